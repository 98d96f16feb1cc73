"""Checking a scenario file's contents against its model, compiler-style: every problem is
collected, located, and raised together. `build` reads as the list of what must hold; each
check is a small method of its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from negotiation.errors import (
    MAX_PROBLEMS,
    ExpressionError,
    FileError,
    Problem,
    TooManyProblems,
    suggest,
)
from negotiation.files.yamlfile import Document, Key
from negotiation.rules.event_codes import Codes, codes_from
from negotiation.rules.expressions import BOOL, INT, Type, compile_expression
from negotiation.rules.model import Model, Value
from negotiation.scenarios.dates import Date, DateError, parse_date
from negotiation.scenarios.figures import Figure, build_figures
from negotiation.scenarios.scenario import (
    Checkpoint,
    Claim,
    Expectation,
    Reported,
    Scenario,
    ScenarioEvent,
    Source,
)
from negotiation.semantics.judge import check_state, validate_params

if TYPE_CHECKING:
    from negotiation.files.schema import CheckpointSpec, EventEntrySpec, ScenarioSpec, StartSpec


def build(
    document: Document,
    spec: ScenarioSpec,
    model: Model,
    base: Scenario | None = None,
    overrides: tuple[str, ...] = (),
) -> Scenario:
    """Check `spec` (read from `document`) against `model` and build the Scenario."""
    return _Builder(document, spec, model, base, overrides).build()


@dataclass
class _Order:
    """The latest earliest-date seen so far, and whose it was: events must come in order."""

    date: datetime.date | None = None
    entry: str = ""


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
        start_phases = self.start_phases(base)
        start_date = self.date(spec.start.date, "start", "date") if spec.start.date else None
        if start_date is None and base is not None:
            start_date = base.start_date
        inherited_ledger = dict(base.start_ledger) if base else model.initial_ledger()
        start_ledger = {**inherited_ledger, **self.ledger(spec.start.ledger, "start", "ledger")}
        if start_phases is not None:
            broken = check_state(model, start_phases, start_ledger)
            if broken is not None and broken.rule.kind == "invariant":
                self.problem(
                    f"the starting state breaks invariant '{broken.rule.name}': "
                    f"{model_invariant_text(model, broken.rule.name)}",
                    "start",
                )
        kept = self.kept_events()
        events = self.events(sources, kept)
        expect = self.expectation() if spec.expect is not None else None
        if self.problems:
            raise FileError(self.problems)
        overrides = self.overrides
        own_start = spec.start if base is not None and start_given else None
        changed = describe_start(own_start) if own_start is not None else None
        if changed is not None:
            overrides = (changed, *overrides)
        return Scenario(
            spec.scenario,
            spec.title,
            spec.description,
            model,
            sources,
            start_phases or model.initial,
            start_date,
            start_ledger,
            (*kept, *events),
            expect,
            self.document.path,
            spec.model or "",
            spec.extends,
            spec.diverge_at,
            _prose(spec.rationale),
            overrides,
            len(kept),
            spec.overrides,
            own_start,
            {**(base.links if base else {}), **{n: link.keep for n, link in spec.links.items()}},
            {
                **(base.link_descriptions if base else {}),
                **{n: link.description for n, link in spec.links.items()},
            },
        )

    def phase_list(self, given: str | list[str] | None, *where: Key) -> list[str] | None:
        """Phases given as one name or a list, each known and at most one a region."""
        if given is None:
            return []
        names = [given] if isinstance(given, str) else given
        regions: dict[str, str] = {}
        ok = True
        for index, name in enumerate(names):
            keys = where if isinstance(given, str) else (*where, index)
            phase = self.model.phases.get(name)
            if phase is None:
                self.problem(self.unknown("phase", name, self.model.phases), *keys)
                ok = False
            elif phase.region in regions:
                self.problem(
                    f"'{name}' and '{regions[phase.region]}' are both in region '{phase.region}'",
                    *keys,
                )
                ok = False
            else:
                regions[phase.region] = name
        return names if ok else None

    def start_phases(self, base: Scenario | None) -> dict[str, str] | None:
        """One phase per region: those `start:` gives, else the base's, else the initial."""
        given = self.phase_list(self.spec.start.phase, "start", "phase")
        if given is None:
            return None
        start = dict(base.start_phases) if base else self.model.initial
        for name in given:
            start[self.model.phases[name].region] = name
        return start

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
        """The file's own entries, each checked; an entry with a problem is left out."""
        entries = []
        seen: dict[str, int] = {}
        order = _Order()
        for kept_entry in kept:
            self.advance(order, kept_entry.date, kept_entry.id)
        inherited = {entry.id for entry in kept}
        for index, entry in enumerate(self.spec.events):
            built = self.entry(index, entry, sources, seen, inherited, order)
            if built is not None:
                entries.append(built)
        return tuple(entries)

    def entry(
        self,
        index: int,
        entry: EventEntrySpec,
        sources: Mapping[str, Source],
        seen: dict[str, int],
        inherited: set[str],
        order: _Order,
    ) -> ScenarioEvent | None:
        where: tuple[Key, ...] = ("events", index)
        self.check_id(entry.id, index, seen, inherited, where)
        date = self.date(entry.date, *where, "date") if entry.date is not None else None
        self.check_order(entry.id, date, order, where)
        self.check_actor(entry.actor, where)
        self.check_claims(entry, sources, where)
        codes = self.codes(entry, where)
        checkpoint = self.checkpoint(entry.checkpoint, sources, where)
        figures = self.figures(entry.params, sources, *where)
        params: dict[str, Value] | None = {}
        if entry.event is None:
            if entry.checkpoint is None:
                self.problem("an entry needs an 'event', a 'checkpoint', or both", *where)
            if entry.params:
                self.problem("parameters need an 'event'", *where, "params")
        else:
            given = {k: (figures[k].best if k in figures else v) for k, v in entry.params.items()}
            params = self.params(entry.event, given, *where)
            if params is not None:
                self.figure_bounds(entry.event, figures, *where)
        if (entry.date is not None and date is None) or params is None:
            return None
        return ScenarioEvent(
            entry.id,
            date,
            entry.event,
            params,
            entry.actor,
            tuple(
                Claim(c.by, c.source, c.stance, _prose(c.says), c.confidence) for c in entry.claims
            ),
            _prose(entry.derived),
            _prose(entry.note),
            self.document.locate(*where),
            figures,
            codes,
            checkpoint,
        )

    def checkpoint(
        self, spec: CheckpointSpec | None, sources: Mapping[str, Source], where: tuple[Key, ...]
    ) -> Checkpoint | None:
        """A checkpoint: a known source, and values of the model's variables, derived values
        or regions, each of the right type."""
        if spec is None:
            return None
        keys = (*where, "checkpoint")
        if spec.source not in sources:
            self.problem(self.unknown("source", spec.source, sources), *keys, "source")
        if not spec.values:
            self.problem("a checkpoint reports at least one value", *keys, "values")

        def report(message: str, *more: Key) -> None:
            self.problem(message, *keys, "values", *more)

        links = self.links()
        figures = build_figures(spec.values, sources, report, need_best=False, links=links)
        reported = []
        for name, value in spec.values.items():
            expected = self.reported_type(name, (*keys, "values"))
            if expected is None:
                continue
            if name in figures:
                if expected.kind != "int":
                    report(f"'{name}' is {expected}: a figure is for whole numbers", name)
                    continue
                reported.append(Reported(name, figures[name].best, figures[name]))
            elif isinstance(value, dict):
                continue  # a malformed figure, reported by build_figures
            elif not expected.accepts(value):
                report(f"'{name}' must be {expected} (got {value!r})", name)
            else:
                reported.append(Reported(name, value))
        confidence = spec.confidence
        return Checkpoint(
            spec.source, _prose(spec.by), _prose(spec.says), tuple(reported), confidence
        )

    def reported_type(self, name: str, where: tuple[Key, ...]) -> Type | None:
        """The type of what a checkpoint may report under `name`, or None (reported)."""
        model = self.model
        if name in model.variables:
            return model.variables[name].type
        if name in model.derived:
            return INT
        regions = model.region_types()
        if name in regions:
            return regions[name]
        known = [*model.variables, *model.derived, *regions]
        self.problem(
            f"unknown value '{name}': a checkpoint reports a variable, a derived value or a "
            "region" + suggest(name, known),
            *where,
            name,
            on_key=True,
        )
        return None

    def links(self) -> dict[str, str]:
        """The link groups a figure may name: the base's (for a counterfactual) and the file's."""
        own = {name: link.keep for name, link in self.spec.links.items()}
        return {**(self.base.links if self.base else {}), **own}

    def check_id(
        self, id: str, index: int, seen: dict[str, int], inherited: set[str], where: tuple[Key, ...]
    ) -> None:
        """An id is used once, in this file and in the base it keeps."""
        if id in seen:
            self.problem(f"duplicate event id '{id}' (first at events[{seen[id]}])", *where, "id")
        if id in inherited:
            self.problem(f"event id '{id}' is already used by the base", *where, "id")
        seen.setdefault(id, index)

    def check_order(
        self, id: str, date: Date | None, order: _Order, where: tuple[Key, ...]
    ) -> None:
        """An event may not end before an earlier one certainly began."""
        latest = date.latest if date is not None else None
        if latest is not None and order.date is not None and latest < order.date:
            self.problem(
                f"'{id}' ({date}) cannot come after '{order.entry}', which is "
                f"no earlier than {order.date.isoformat()}: events must be in order",
                *where,
                "date",
            )
        self.advance(order, date, id)

    @staticmethod
    def advance(order: _Order, date: Date | None, id: str) -> None:
        earliest = date.earliest if date is not None else None
        if earliest is not None and (order.date is None or earliest > order.date):
            order.date, order.entry = earliest, id

    def check_actor(self, actor: str | None, where: tuple[Key, ...]) -> None:
        """An actor is one of the model's parties."""
        if actor is not None and actor not in self.model.parties:
            self.problem(self.unknown("party", actor, self.model.parties), *where, "actor")

    def check_claims(
        self, entry: EventEntrySpec, sources: Mapping[str, Source], where: tuple[Key, ...]
    ) -> None:
        """Every claim cites a source of the scenario's bibliography."""
        for number, claim in enumerate(entry.claims):
            if claim.source not in sources:
                message = self.unknown("source", claim.source, sources)
                self.problem(message, *where, "claims", number, "source")

    def codes(self, entry: EventEntrySpec, where: tuple[Key, ...]) -> Codes | None:
        """The entry's event codes, each checked against the shipped code lists."""
        if entry.codes is None:
            return None
        codes, problems = codes_from(entry.codes)
        for message, keys in problems:
            self.problem(message, *where, "codes", *keys)
        return codes

    def figures(
        self, given: Mapping[str, Any], sources: Mapping[str, Source], *where: Key
    ) -> dict[str, Figure]:
        """The parameters written as figures (a mapping with `best`), checked."""

        def report(message: str, *keys: Key) -> None:
            self.problem(message, *where, "params", *keys)

        return build_figures(given, sources, report, links=self.links())

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
        """The entry's full parameters, checked by the one semantics (`validate_params`)."""
        definition = self.model.events.get(event)
        if definition is None:
            self.problem(self.unknown("event", event, self.model.events), *where, "event")
            return None
        values, problems = validate_params(definition, given)
        for problem in problems:
            if problem.param is None:
                self.problem(problem.message, *where, "params" if given else "event")
            else:
                self.problem(
                    problem.message, *where, "params", problem.param, on_key=problem.on_key
                )
        return None if problems else values

    def expectation(self) -> Expectation:
        spec = self.spec.expect
        assert spec is not None
        phases = self.phase_list(spec.phase, "expect", "phase") or []
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
        return Expectation(tuple(phases), ledger, tuple(holds))


def model_invariant_text(model: Model, name: str) -> str:
    return next(inv.expression.text for inv in model.invariants if inv.name == name)


def describe_start(start: StartSpec) -> str | None:
    """How a counterfactual's `start:` departs from its base's, as its output lists it."""
    changed = [f"{k}={v!r}" for k, v in start.ledger.items()]
    if start.phase:
        changed.insert(0, f"phase={start.phase}")
    return "start: " + ", ".join(changed) if changed else None


def _prose(text: str) -> str:
    # Folded and literal YAML blocks end in a newline and may wrap: prose is one line here.
    return " ".join(text.split())
