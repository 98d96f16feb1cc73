"""Rates files: an analyst's stated assumptions for `simulate`, read and checked against a model.

A rates file gives, per phase (of any region), for each event the chance per day that it is
attempted there, and for each of its parameters a distribution:

    model: gaza_truce              # optional; checked against the model when given
    phases:
      phase_one:
        exchange:
          per_day: 0.066           # a chance in [0, 1]
          params:
            hostages: {uniform: [1, 4]}                       # a whole number, inclusive range
            bodies: 0                                         # a fixed value
            prisoners: {values: [90, 183, 600], weights: [2, 1, 1]}  # a list, weighted

A parameter not listed takes its default from the model (one without a default must be listed).
The chances listed under one phase add up to at most 1. Every problem is reported at its place in
the file (`file:line:col: message`), as the model and scenario loaders do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from negotiation.errors import FileError, Problem, suggest
from negotiation.files.yamlfile import Document, Key, read_document
from negotiation.rules.model import Model, Param, Value

DrawKind = Literal["fixed", "uniform", "values"]
RATES_FOLDER = Path(__file__).parent.parent / "models" / "rates"


@dataclass(frozen=True)
class Draw:
    """How one parameter is drawn: a fixed value, a whole number in [low, high], or one of
    `values` with `weights` (summing to 1)."""

    kind: DrawKind
    values: tuple[Value, ...]
    weights: tuple[float, ...] = ()

    @property
    def random(self) -> bool:
        """Whether drawing it takes a uniform number."""
        return self.kind != "fixed"


@dataclass(frozen=True)
class Rate:
    """One event's chance per day in one phase, with how each of its parameters is drawn
    (every parameter of the event, in the model's order)."""

    phase: str
    event: str
    per_day: float
    params: tuple[tuple[str, Draw], ...]

    @property
    def random_params(self) -> int:
        return sum(1 for _, draw in self.params if draw.random)


@dataclass(frozen=True)
class Rates:
    """Every rate of a file, in the file's order."""

    path: str
    rates: tuple[Rate, ...]


def default_rates_path(model: Model) -> Path | None:
    """The rates file shipped with a built-in model, or None."""
    path = RATES_FOLDER / f"{model.name}.rates.yaml"
    return path if path.exists() else None


def load_rates(path: str | Path, model: Model, display: str | None = None) -> Rates:
    """Read and check a rates file against `model`; FileError (located problems) if wrong."""
    document = read_document(path, display)
    return check_rates(document, model)


def check_rates(document: Document, model: Model) -> Rates:
    problems: list[Problem] = []

    def problem(message: str, *keys: Key, on_key: bool = False) -> None:
        problems.append(Problem(document.locate(*keys, on_key=on_key), message))

    data = document.data
    if data is None:
        raise FileError([Problem(document.locate(), "file is empty (it holds only comments)")])
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise FileError([Problem(document.locate(), f"expected a mapping of fields, got {kind}")])
    for key in data:
        if key not in ("model", "phases"):
            problem(
                f"unknown field '{key}'" + suggest(str(key), ["model", "phases"]), key, on_key=True
            )
    named = data.get("model")
    if named is not None and named != model.name:
        problem(f"these rates are for model '{named}', not '{model.name}'", "model")
    phases = data.get("phases")
    rates: list[Rate] = []
    if not isinstance(phases, dict):
        problem("'phases' must be a mapping of phase names to events", "phases")
        raise FileError(problems)
    for phase, events in phases.items():
        if phase not in model.phases:
            problem(
                f"unknown phase '{phase}'" + suggest(str(phase), list(model.phases)),
                "phases",
                phase,
                on_key=True,
            )
            continue
        if not isinstance(events, dict):
            problem("expected a mapping of event names to rates", "phases", phase)
            continue
        total = 0.0
        for name, spec in events.items():
            keys: tuple[Key, ...] = ("phases", phase, name)
            event = model.events.get(name)
            if event is None:
                problem(
                    f"unknown event '{name}'" + suggest(str(name), list(model.events)),
                    *keys,
                    on_key=True,
                )
                continue
            if not isinstance(spec, dict):
                problem("expected a mapping with 'per_day' and 'params'", *keys)
                continue
            for key in spec:
                if key not in ("per_day", "params"):
                    problem(
                        f"unknown field '{key}'" + suggest(str(key), ["per_day", "params"]),
                        *keys,
                        key,
                        on_key=True,
                    )
            per_day = spec.get("per_day")
            if isinstance(per_day, bool) or not isinstance(per_day, (int, float)):
                problem(
                    "'per_day' must be a number from 0 to 1 (a chance per day)", *keys, "per_day"
                )
                continue
            if not (0 <= per_day <= 1) or math.isnan(per_day):
                problem(f"'per_day' must be from 0 to 1 (got {per_day})", *keys, "per_day")
                continue
            total += float(per_day)
            given = spec.get("params") or {}
            if not isinstance(given, dict):
                problem("'params' must be a mapping of parameter names", *keys, "params")
                continue
            for pname in given:
                if pname not in event.params:
                    problem(
                        f"event '{name}' has no parameter '{pname}'"
                        + suggest(str(pname), list(event.params)),
                        *keys,
                        "params",
                        pname,
                        on_key=True,
                    )
            draws: list[tuple[str, Draw]] = []
            for pname, param in event.params.items():
                where = (*keys, "params", pname)
                if pname not in given:
                    if param.default is None:
                        problem(
                            f"event '{name}': parameter '{pname}' has no default; give "
                            "its distribution under 'params'",
                            *keys,
                        )
                        continue
                    draws.append((pname, Draw("fixed", (param.default,))))
                    continue
                draw = _draw(given[pname], param, lambda m, *k, w=where: problem(m, *w, *k))
                if draw is not None:
                    draws.append((pname, draw))
            if len(draws) == len(event.params):
                rates.append(Rate(str(phase), str(name), float(per_day), tuple(draws)))
        if total > 1 + 1e-9:
            problem(
                f"the chances in phase '{phase}' add up to {total:g} a day; at most one event "
                "happens a day, so they must add up to at most 1",
                "phases",
                phase,
                on_key=True,
            )
    if problems:
        raise FileError(problems)
    return Rates(document.path, tuple(rates))


def _draw(spec: Any, param: Param, problem: Any) -> Draw | None:
    """A parameter's distribution from its spec, or None (with a problem said)."""
    if not isinstance(spec, dict):
        why = param.check(spec)
        if why is not None:
            problem(why)
            return None
        return Draw("fixed", (spec,))
    if set(spec) == {"uniform"}:
        bounds = spec["uniform"]
        if (
            param.type.kind != "int"
            or not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        ):
            problem(
                "'uniform' takes [low, high], two whole numbers, for an int parameter", "uniform"
            )
            return None
        for index, bound in enumerate(bounds):
            why = param.check(bound)
            if why is not None:
                problem(why, "uniform", index)
                return None
        if bounds[0] > bounds[1]:
            problem(f"'uniform' needs low <= high (got {bounds[0]} > {bounds[1]})", "uniform")
            return None
        return Draw("uniform", (bounds[0], bounds[1]))
    if set(spec) in ({"values"}, {"values", "weights"}):
        values = spec["values"]
        if not isinstance(values, list) or not values:
            problem("'values' must be a list of at least one value", "values")
            return None
        for index, value in enumerate(values):
            why = param.check(value)
            if why is not None:
                problem(why, "values", index)
                return None
        weights = spec.get("weights", [1] * len(values))
        if (
            not isinstance(weights, list)
            or len(weights) != len(values)
            or not all(
                isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights
            )
            or sum(weights) <= 0
        ):
            problem(f"'weights' must be {len(values)} numbers of at least 0, not all 0", "weights")
            return None
        total = float(sum(weights))
        return Draw("values", tuple(values), tuple(float(w) / total for w in weights))
    problem("a distribution is a value, {uniform: [low, high]} or {values: [...], weights: [...]}")
    return None
