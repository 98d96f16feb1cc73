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

from negotiation.errors import (
    MAX_PROBLEMS,
    ExpressionError,
    FileError,
    Location,
    Problem,
    TooManyProblems,
    UsageError,
)
from negotiation.files.schema import ScenarioSpec, validate
from negotiation.files.yamlfile import Document, Key, read_document
from negotiation.rules.event_codes import Codes, codes_from
from negotiation.rules.expressions import BOOL, Expression, compile_expression, suggest
from negotiation.rules.model import Model, Value, build_model, builtin_models, model_path
from negotiation.scenarios.dates import Date, DateError, parse_date
from negotiation.scenarios.figures import Figure, build_figures


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    date: str | None = None
    url: str | None = None
    reliability: str | None = None
    credibility: int | None = None

    @property
    def grade(self) -> str:
        """The Admiralty grade, as analysts write it (B2), or '' if not graded."""
        return f"{self.reliability or ''}{self.credibility or ''}"


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
    figures: Mapping[str, Figure] = field(default_factory=dict)
    codes: Codes | None = None


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
    extends: str | None = None
    diverge_at: str | None = None
    rationale: str = ""
    overrides: tuple[str, ...] = ()
    inherited: int = 0

    @property
    def own_events(self) -> tuple[ScenarioEvent, ...]:
        """The events this file adds (all of them, unless it extends a base)."""
        return self.events[self.inherited :]

    def figure_sources(self) -> list[str]:
        """The sources that give a value for some figure of this scenario, sorted."""
        return sorted({v.source for e in self.events for f in e.figures.values() for v in f.values})

    def check_trusted_source(self, source: str) -> None:
        """Raise UsageError unless trusting `source` can change a figure of this scenario."""
        if source not in self.sources:
            hint = suggest(source, list(self.sources)) or (
                "; its sources are " + ", ".join(self.sources) if self.sources else ""
            )
            raise UsageError(f"the scenario has no source '{source}'{hint}", "--trusted-source")
        giving = self.figure_sources()
        if source not in giving:
            which = ", ".join(giving) if giving else "none"
            raise UsageError(
                f"'{source}' gives no figure in this scenario, so trusting it changes nothing "
                f"(sources that give figures: {which})",
                "--trusted-source",
            )


def load_scenario(path: str | Path) -> Scenario:
    """Load and check a scenario file; raise FileError listing every problem."""
    return build_scenario(read_document(path), Path(path).parent)


def build_scenario(document: Document, folder: Path, chain: tuple[Path, ...] = ()) -> Scenario:
    """Check a parsed scenario and build it, resolving `extends:` (relative to `folder`).

    `chain` holds the files that extend this one, to report a cycle where it closes.
    """
    from negotiation.scenarios.counterfactual import apply_overrides, load_base

    data = document.data
    if isinstance(data, dict) and "phases" in data and "scenario" not in data:
        message = "this is a model file, not a scenario (check it with `negotiation check`)"
        raise FileError([Problem(document.locate(), message)])
    spec = validate(document, ScenarioSpec)
    base = load_base(document, spec, folder, chain) if spec.extends else None
    if spec.model is not None:
        model = _load_model(document, spec.model, folder)
    elif base is not None:
        model = base.model
    else:
        raise FileError([Problem(document.locate(), "missing required field 'model'")])
    overrides: tuple[str, ...] = ()
    if spec.overrides is not None:
        model, overrides = apply_overrides(model, spec.overrides, document)
    return _Builder(document, spec, model, base, overrides).build()


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
    def __init__(
        self,
        document: Document,
        spec: ScenarioSpec,
        model: Model,
        base: Scenario | None = None,
        overrides: tuple[str, ...] = (),
    ) -> None:
        self.document = document
        self.spec = spec
        self.model = model
        self.base = base
        self.overrides = overrides
        self.problems: list[Problem] = []

    def problem(self, message: str, *keys: Key, on_key: bool = False) -> None:
        self.problems.append(Problem(self.document.locate(*keys, on_key=on_key), message))
        self.check_count()

    def check_count(self) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooManyProblems(self.problems)

    def build(self) -> Scenario:
        spec, model, base = self.spec, self.model, self.base
        sources = dict(base.sources) if base else {}
        sources.update(
            (sid, Source(sid, s.publisher, s.title, s.date, s.url, s.reliability, s.credibility))
            for sid, s in spec.sources.items()
        )
        start_given = "start" in spec.model_fields_set
        start_phase = spec.start.phase or (base.start_phase if base else model.initial)
        if start_phase not in model.phases:
            self.problem(self.unknown("phase", start_phase, model.phases), "start", "phase")
        start_date = self.date(spec.start.date, "start", "date") if spec.start.date else None
        if start_date is None and base is not None:
            start_date = base.start_date
        inherited_ledger = dict(base.start_ledger) if base else model.initial_ledger()
        start_ledger = {**inherited_ledger, **self.ledger(spec.start.ledger, "start", "ledger")}
        if start_phase in model.phases:
            for invariant in model.invariants:
                if not invariant.expression(start_ledger, {}, start_phase):
                    self.problem(
                        f"the starting state breaks invariant '{invariant.name}': "
                        f"{invariant.expression.text}",
                        "start",
                    )
        kept = self.kept_events()
        events = self.events(sources, kept)
        expect = self.expectation() if spec.expect is not None else None
        if self.problems:
            raise FileError(self.problems)
        overrides = self.overrides
        if base is not None and start_given:
            changed = [f"{k}={v!r}" for k, v in spec.start.ledger.items()]
            if spec.start.phase:
                changed.insert(0, f"phase={spec.start.phase}")
            if changed:
                overrides = ("start: " + ", ".join(changed), *overrides)
        return Scenario(
            spec.scenario,
            spec.title,
            spec.description,
            model,
            sources,
            start_phase,
            start_date,
            start_ledger,
            (*kept, *events),
            expect,
            self.document.path,
            spec.model or (base.model_reference if base else ""),
            spec.extends,
            spec.diverge_at,
            _prose(spec.rationale),
            overrides,
            len(kept),
        )

    def kept_events(self) -> tuple[ScenarioEvent, ...]:
        """The base's events before `diverge_at` (all of them if it is not given)."""
        base, spec = self.base, self.spec
        if base is None:
            if spec.diverge_at is not None:
                self.problem(
                    "'diverge_at' needs 'extends': the base it diverges from", "diverge_at"
                )
            return ()
        if spec.diverge_at is None:
            return base.events
        ids = [entry.id for entry in base.events]
        if spec.diverge_at not in ids:
            self.problem(
                f"the base has no event '{spec.diverge_at}'" + suggest(spec.diverge_at, ids),
                "diverge_at",
            )
            return base.events
        return base.events[: ids.index(spec.diverge_at)]

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

    def events(
        self, sources: Mapping[str, Source], kept: tuple[ScenarioEvent, ...] = ()
    ) -> tuple[ScenarioEvent, ...]:
        entries = []
        seen: dict[str, int] = {}
        inherited = {entry.id for entry in kept}
        latest_start: tuple[datetime.date, str] | None = None
        for kept_entry in kept:
            kept_date = kept_entry.date
            if (
                kept_date is not None
                and kept_date.earliest is not None
                and (latest_start is None or kept_date.earliest > latest_start[0])
            ):
                latest_start = (kept_date.earliest, kept_entry.id)
        for index, entry in enumerate(self.spec.events):
            where: tuple[Key, ...] = ("events", index)
            if entry.id in seen:
                self.problem(
                    f"duplicate event id '{entry.id}' (first at events[{seen[entry.id]}])",
                    *where,
                    "id",
                )
            if entry.id in inherited:
                self.problem(f"event id '{entry.id}' is already used by the base", *where, "id")
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
            codes = None
            if entry.codes is not None:
                codes, problems = codes_from(entry.codes)
                for message, keys in problems:
                    self.problem(message, *where, "codes", *keys)
            figures = self.figures(entry.params, sources, *where)
            given = {k: (figures[k].best if k in figures else v) for k, v in entry.params.items()}
            params = self.params(entry.event, given, *where)
            if params is not None:
                self.figure_bounds(entry.event, figures, *where)
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
                    figures,
                    codes,
                )
            )
        return tuple(entries)

    def figures(
        self, given: Mapping[str, Any], sources: Mapping[str, Source], *where: Key
    ) -> dict[str, Figure]:
        """The parameters written as figures (a mapping with `best`), checked."""

        def report(message: str, *keys: Key) -> None:
            self.problem(message, *where, "params", *keys)

        return build_figures(given, sources, report)

    def figure_bounds(self, event: str, figures: Mapping[str, Figure], *where: Key) -> None:
        """Every value a figure can take must fit its parameter, as its `best` must."""
        definition = self.model.events[event]
        for name, figure in figures.items():
            param = definition.params.get(name)
            if param is None:
                continue
            for value in figure.extremes():
                error = param.check(value)
                if error:
                    self.problem(f"figure '{name}': {error}", *where, "params", name)
                    break

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
                self.check_count()
        return Expectation(spec.phase, ledger, tuple(holds))


def _prose(text: str) -> str:
    # Folded and literal YAML blocks end in a newline and may wrap: prose is one line here.
    return " ".join(text.split())
