"""A scenario: a dated, sourced sequence of events to replay through a model.

`load_scenario` reads the file, loads the model it names (built-in or relative to the file) and
checks everything against it: event names, parameters and their bounds, sources, dates and their
order, starting values and expectations. Every problem is reported at once, each located.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from negotiation.dates import Date, DateError, parse_date
from negotiation.errors import ExpressionError, FileError, Location, Problem
from negotiation.expressions import BOOL, Expression, compile_expression, suggest
from negotiation.model import Model, Value, build_model, builtin_models, model_path
from negotiation.schema import ScenarioSpec, validate
from negotiation.yamlfile import Document, Key, read_document


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Claim:
    """Who says what an event records, from which source, and whether it is contested."""

    by: str
    source: str
    stance: str = "asserted"
    says: str = ""


@dataclass(frozen=True)
class ScenarioEvent:
    """One dated entry of a scenario: the model event it fires, with its evidence."""

    id: str
    date: Date | None
    event: str
    params: Mapping[str, Value]
    actor: str | None = None
    claims: tuple[Claim, ...] = ()
    derived: str = ""
    note: str = ""
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Expectation:
    """What a replay must end in; a scenario whose expectation fails exits 1."""

    phase: str | None
    ledger: Mapping[str, Value]
    holds: tuple[Expression, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    model: Model
    sources: Mapping[str, Source]
    start_phase: str
    start_date: Date | None
    start_ledger: Mapping[str, Value]
    events: tuple[ScenarioEvent, ...]
    expect: Expectation | None
    path: str = field(default="", compare=False)
    model_reference: str = field(default="", compare=False)


def load_scenario(path: str | Path) -> Scenario:
    """Load and check a scenario file; raise FileError listing every problem."""
    return build_scenario(read_document(path), Path(path).parent)


def build_scenario(document: Document, folder: Path) -> Scenario:
    spec = validate(document, ScenarioSpec)
    model = _load_model(document, spec.model, folder)
    return _Builder(document, spec, model).build()


def _load_model(document: Document, reference: str, folder: Path) -> Model:
    path = model_path(reference, folder)
    if path is None:
        hint = suggest(reference, builtin_models())
        raise FileError(
            [Problem(document.locate("model"), f"no built-in model '{reference}'{hint}")]
        )
    if not path.is_file():
        message = f"model file '{reference}' not found (looked for {path})"
        raise FileError([Problem(document.locate("model"), message)])
    shown = f"<builtin>/{path.name}" if reference in builtin_models() else str(path)
    return build_model(read_document(path, shown))


class _Builder:
    def __init__(self, document: Document, spec: ScenarioSpec, model: Model) -> None:
        self.document = document
        self.spec = spec
        self.model = model
        self.problems: list[Problem] = []

    def problem(self, message: str, *keys: Key, on_key: bool = False) -> None:
        self.problems.append(Problem(self.document.locate(*keys, on_key=on_key), message))

    def build(self) -> Scenario:
        spec, model = self.spec, self.model
        sources = {
            sid: Source(sid, s.publisher, s.title, s.date, s.url) for sid, s in spec.sources.items()
        }
        start_phase = spec.start.phase or model.initial
        if start_phase not in model.phases:
            self.problem(self.unknown("phase", start_phase, model.phases), "start", "phase")
        start_date = self.date(spec.start.date, "start", "date") if spec.start.date else None
        start_ledger = self.ledger(spec.start.ledger, "start", "ledger")
        if start_phase in model.phases:
            full = {**model.initial_ledger(), **start_ledger}
            for invariant in model.invariants:
                if not invariant.expression(full, {}, start_phase):
                    self.problem(
                        f"the starting state breaks invariant '{invariant.name}': "
                        f"{invariant.expression.text}",
                        "start",
                    )
        events = self.events(sources)
        expect = self.expectation() if spec.expect is not None else None
        if self.problems:
            raise FileError(self.problems)
        return Scenario(
            spec.scenario,
            spec.title,
            spec.description,
            model,
            sources,
            start_phase,
            start_date,
            {**model.initial_ledger(), **start_ledger},
            events,
            expect,
            self.document.path,
            spec.model,
        )

    def unknown(self, what: str, name: str, known: Mapping[str, Any]) -> str:
        return f"unknown {what} '{name}'" + suggest(name, list(known))

    def date(self, text: str, *where: Key) -> Date | None:
        try:
            return parse_date(text)
        except DateError as error:
            self.problem(str(error), *where)
            return None

    def ledger(self, values: Mapping[str, Any], *where: Key) -> dict[str, Value]:
        result = {}
        for name, value in values.items():
            variable = self.model.variables.get(name)
            if variable is None:
                self.problem(
                    self.unknown("variable", name, self.model.variables), *where, name, on_key=True
                )
                continue
            error = variable.check(value)
            if error:
                self.problem(error, *where, name)
                continue
            result[name] = value
        return result

    def events(self, sources: Mapping[str, Source]) -> tuple[ScenarioEvent, ...]:
        entries = []
        seen: dict[str, int] = {}
        latest_start: tuple[datetime.date, str] | None = None
        for index, entry in enumerate(self.spec.events):
            where: tuple[Key, ...] = ("events", index)
            if entry.id in seen:
                self.problem(
                    f"duplicate event id '{entry.id}' (first at events[{seen[entry.id]}])",
                    *where,
                    "id",
                )
            seen.setdefault(entry.id, index)
            date = self.date(entry.date, *where, "date") if entry.date is not None else None
            if (
                date is not None
                and date.latest is not None
                and latest_start is not None
                and date.latest < latest_start[0]
            ):
                self.problem(
                    f"'{entry.id}' ({date}) cannot come after '{latest_start[1]}', which is "
                    f"no earlier than {latest_start[0].isoformat()}: events must be in order",
                    *where,
                    "date",
                )
            if (
                date is not None
                and date.earliest is not None
                and (latest_start is None or date.earliest > latest_start[0])
            ):
                latest_start = (date.earliest, entry.id)
            if entry.actor is not None and entry.actor not in self.model.parties:
                self.problem(
                    self.unknown("party", entry.actor, self.model.parties), *where, "actor"
                )
            for number, claim in enumerate(entry.claims):
                if claim.source not in sources:
                    self.problem(
                        self.unknown("source", claim.source, sources),
                        *where,
                        "claims",
                        number,
                        "source",
                    )
            params = self.params(entry.event, entry.params, *where)
            if (entry.date is not None and date is None) or params is None:
                continue
            claims = tuple(Claim(c.by, c.source, c.stance, _prose(c.says)) for c in entry.claims)
            entries.append(
                ScenarioEvent(
                    entry.id,
                    date,
                    entry.event,
                    params,
                    entry.actor,
                    claims,
                    _prose(entry.derived),
                    _prose(entry.note),
                    self.document.locate(*where),
                )
            )
        return tuple(entries)

    def params(self, event: str, given: Mapping[str, Any], *where: Key) -> dict[str, Value] | None:
        definition = self.model.events.get(event)
        if definition is None:
            self.problem(self.unknown("event", event, self.model.events), *where, "event")
            return None
        values: dict[str, Value] = {}
        ok = True
        for name, value in given.items():
            param = definition.params.get(name)
            if param is None:
                self.problem(
                    f"event '{event}' has no parameter '{name}'"
                    + suggest(name, list(definition.params)),
                    *where,
                    "params",
                    name,
                    on_key=True,
                )
                ok = False
                continue
            error = param.check(value)
            if error:
                self.problem(error, *where, "params", name)
                ok = False
                continue
            values[name] = value
        for name, param in definition.params.items():
            if name not in given:
                if param.default is None:
                    self.problem(
                        f"event '{event}' needs parameter '{name}' ({param.type})",
                        *where,
                        "params" if given else "event",
                    )
                    ok = False
                else:
                    values[name] = param.default
        return values if ok else None

    def expectation(self) -> Expectation:
        spec = self.spec.expect
        assert spec is not None
        if spec.phase is not None and spec.phase not in self.model.phases:
            self.problem(self.unknown("phase", spec.phase, self.model.phases), "expect", "phase")
        ledger = self.ledger(spec.ledger, "expect", "ledger")
        holds = []
        for index, text in enumerate(spec.holds):
            try:
                holds.append(compile_expression(text, self.model.scope(), BOOL))
            except ExpressionError as error:
                location = self.document.locate_within(
                    "expect", "holds", index, offset=error.offset
                )
                self.problems.append(Problem(location, error.message))
        return Expectation(spec.phase, ledger, tuple(holds))


def _prose(text: str) -> str:
    # Folded and literal YAML blocks end in a newline and may wrap: prose is one line here.
    return " ".join(text.split())
