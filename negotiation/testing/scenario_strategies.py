"""Strategies for whole scenarios and counterfactuals, with every field a file can give and
text chosen to break a careless writer (`AWKWARD`)."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from negotiation.analyses.falsify import param_values, params
from negotiation.errors import NegotiationError
from negotiation.files.schema import CodesSpec, OverridesSpec, StartSpec
from negotiation.files.yamlfile import Document
from negotiation.rules.event_codes import (
    Codes,
    cameo_codes,
    codes_from,
    plover_auxiliary_modes,
    plover_contexts,
    plover_event_types,
    plover_modes,
)
from negotiation.rules.expressions import BOOL, INT, Expression, compile_expression
from negotiation.rules.model import Event, Model, Param, Value
from negotiation.scenarios.builder import describe_start
from negotiation.scenarios.counterfactual import apply_overrides
from negotiation.scenarios.dates import Date, parse_date
from negotiation.scenarios.figures import Figure, FigureValue
from negotiation.scenarios.scenario import (
    Checkpoint,
    Claim,
    Expectation,
    Reported,
    Scenario,
    ScenarioEvent,
    Source,
)
from negotiation.semantics.judge import check_state, rule_values_or_none
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import State

AWKWARD = (
    "\nkey: value",
    "# not a comment",
    "- not an item",
    "&anchor",
    "*alias",
    "!!python/object:os.system",
    ": ",
    " #",
    "'\"\\",
    "{[|>%@`",
    "\t",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\ufeff",
    "\x00\x1b",
    "null",
    "true",
    "0871",
    "2025-01-01",
    "é…中文🙂",
)
_FIRST_DAY, _LAST_DAY = datetime.date(1990, 1, 1), datetime.date(2030, 1, 1)
_DAYS = st.dates(_FIRST_DAY, _LAST_DAY)
_NAMES = st.sampled_from(["true", "false", "null", "no", "on"]) | st.from_regex(
    r"[a-z][a-z0-9_]{0,8}", fullmatch=True
)
_STANCES = st.sampled_from(["asserted", "disputed", "denied"])
_CONFIDENCE = st.none() | st.sampled_from(["high", "medium", "low"])


@functools.cache
def awkward_text(max_parts: int = 4) -> st.SearchStrategy[str]:
    """Text with pieces of `AWKWARD` among arbitrary characters."""
    parts = st.sampled_from(AWKWARD) | st.text(max_size=6)
    return st.lists(parts, max_size=max_parts).map("".join)


@functools.cache
def prose(max_parts: int = 4) -> st.SearchStrategy[str]:
    """Awkward text as a file's claims, notes and rationale are read: one line, single-spaced."""
    return awkward_text(max_parts).map(lambda text: " ".join(text.split()))


@st.composite
def sources(draw: Any, min_size: int = 1, max_size: int = 3) -> dict[str, Source]:
    """A bibliography: ids YAML could misread (`true`, `no`), awkward titles, grades, urls."""
    ids = draw(st.lists(_NAMES, min_size=min_size, max_size=max_size, unique=True))
    date = st.none() | _DAYS.map(str) | awkward_text(2)
    url = st.none() | st.just("https://example.org/report?id=1#part") | awkward_text(2)
    grades = st.tuples(
        st.none() | st.sampled_from("ABCDEF"), st.none() | st.integers(min_value=1, max_value=6)
    )
    return {
        sid: Source(
            sid, draw(awkward_text()), draw(awkward_text()), draw(date), draw(url), *draw(grades)
        )
        for sid in ids
    }


@st.composite
def codes(draw: Any) -> Codes:
    """An entry's codes as `codes_from` reads them: a CAMEO code, a PLOVER type with modes and
    contexts, or both (a PLOVER type that `codes_from` accepts beside the CAMEO code)."""
    cameo = draw(st.none() | st.sampled_from(_cameo_codes()))
    if draw(st.booleans()):
        found = _codes(cameo)
        assert found is not None, "a code of the shipped list is refused"
        return found
    types = [t for t in plover_event_types() if _codes(cameo, {"event": t}) is not None]
    plover: dict[str, Any] = {"event": draw(st.sampled_from(types))}
    auxiliary = plover_auxiliary_modes()
    modes = [*(plover_modes(plover["event"]) or []), *auxiliary]
    plover["mode"] = draw(st.lists(st.sampled_from(modes), max_size=2, unique=True))
    contexts = [*plover_contexts(), *auxiliary]
    plover["context"] = draw(st.lists(st.sampled_from(contexts), max_size=2, unique=True))
    found = _codes(cameo, plover) or _codes(cameo, {"event": plover["event"]}) or _codes(cameo)
    assert found is not None, "a code of the shipped list is refused"
    return found


@functools.cache
def _cameo_codes() -> list[str]:
    return cameo_codes()


def _codes(cameo: str | None, plover: dict[str, Any] | None = None) -> Codes | None:
    """The codes `codes_from` reads from this `codes:` mapping, or None if it refuses them."""
    found, problems = codes_from(CodesSpec.model_validate({"cameo": cameo, "plover": plover}))
    return None if problems else found


def dates(day: datetime.date) -> st.SearchStrategy[Date]:
    """A date that allows `day`, in the forms analysts write: a day, a range of days, an open
    end, unspecified digits (`2025-03-XX`), and EDTF forms the edtf package reads (approximate,
    uncertain, a month, a year)."""
    return st.tuples(_DATE_FORMS, st.integers(min_value=1, max_value=30)).map(
        lambda form: _parse_date(form[0](day, form[1]))
    )


_DATE_FORMS = st.sampled_from(
    [
        lambda day, days: day.isoformat(),
        lambda day, days: day.isoformat(),
        lambda day, days: f"{day}/{day + datetime.timedelta(days=days)}",
        lambda day, days: f"{day}/..",
        lambda day, days: f"../{day}",
        lambda day, days: f"{day:%Y-%m}-XX",
        lambda day, days: f"{day:%Y-%m}-{day.day // 10}X",
        lambda day, days: f"{day}{'~?%'[days % 3]}",
        lambda day, days: (f"{day:%Y-%m}", f"{day:%Y-%m}?", f"{day:%Y}")[days % 3],
    ]
)


@functools.lru_cache(maxsize=4096)
def _parse_date(text: str) -> Date:
    return parse_date(text)


@st.composite
def figures(
    draw: Any,
    best: int,
    param: Param,
    source_ids: Sequence[str],
    links: Sequence[str] = (),
    best_given: bool = True,
) -> Figure:
    """A figure for `param` around `best`: a range (either end may be open) and per-source
    values within its bounds, with a scope, confidences and maybe one of `links`. Without
    `best_given` (a checkpoint's figure), `best` may be left out where a bound is given."""
    lowest = param.min if param.min is not None else best - 100
    highest = param.max if param.max is not None else best + 100
    given = draw(st.sampled_from(["range", "range", "low", "high", "neither"]))
    low = draw(st.integers(lowest, best)) if given in ("range", "low") else None
    high = draw(st.integers(best, highest)) if given in ("range", "high") else None
    value = st.builds(
        FigureValue,
        st.sampled_from(source_ids),
        awkward_text(2),
        st.integers(min_value=lowest, max_value=highest),
        _CONFIDENCE,
    )
    values = draw(st.lists(value, max_size=2)) if source_ids else []
    open_best = not best_given and given != "neither" and draw(st.booleans())
    linked = draw(st.sampled_from([None, *links])) if links else None
    return Figure(
        None if open_best else best,
        low,
        high,
        tuple(values),
        draw(prose()),
        draw(prose(2)),
        linked,
    )


def _checkpoint(
    draw: Any, model: Model, state: State, source_ids: Sequence[str], links: Sequence[str]
) -> Checkpoint | None:
    """What a source could report in `state` and the replay finds there: variables, derived
    values and (with regions) phases, exactly or as figures that admit the ledger's value."""
    values = rule_values_or_none(model, state.phases, state.ledger)
    if values is None or not source_ids:
        return None  # a derived value divides by zero: nothing can be reported
    names = [*model.variables, *model.derived, *model.region_types()]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    reported = []
    for name in chosen:
        got = values[name]
        if isinstance(got, int) and not isinstance(got, bool) and draw(st.booleans()):
            figure = draw(figures(got, Param(name, INT), source_ids, links, best_given=False))
            reported.append(Reported(name, figure.best, figure))
        else:
            reported.append(Reported(name, got))
    return Checkpoint(
        draw(st.sampled_from(source_ids)),
        draw(prose(2)),
        draw(prose()),
        tuple(reported),
        draw(_CONFIDENCE),
    )


def _due(model: Model, event: Event, began: Mapping[str, Date | None]) -> datetime.date | None:
    """The first day an `expires` event may be dated without the replay refusing it."""
    if event.expires is None:
        return None
    phase = model.phases[event.expires]
    start = began.get(phase.region)
    if start is None or start.earliest is None or phase.planned_days is None:
        return None
    return start.earliest + datetime.timedelta(days=phase.planned_days)


def _entries(
    draw: Any,
    machine: Machine,
    source_ids: Sequence[str],
    max_events: int,
    day: datetime.date,
    prefix: str,
    began: dict[str, Date | None],
    links: Sequence[str] = (),
) -> list[ScenarioEvent]:
    """Entries `machine` accepts one after the other (it fires them), dated in order from `day`,
    with actors, claims, figures, codes, notes and checkpoints of the state after them, and
    checkpoints alone; their ids start with `prefix`. `began` holds the date each region's
    phase began, as the replay keeps it: an event that ends a phase's planned time is dated no
    earlier than that end (or left undated), so the replay does not refuse it."""
    model = machine.model
    actors = st.none() | st.sampled_from(sorted(model.parties)) if model.parties else st.none()
    claim = st.builds(
        Claim, awkward_text(2), st.sampled_from(source_ids), _STANCES, prose(), _CONFIDENCE
    )
    entries: list[ScenarioEvent] = []
    for _ in range(draw(st.integers(min_value=0, max_value=max_events))):
        day = min(day + datetime.timedelta(days=draw(st.integers(0, 40))), _LAST_DAY)
        if source_ids and draw(st.integers(0, 5)) == 0:  # a checkpoint alone
            checkpoint = _checkpoint(draw, model, machine.state, source_ids, links)
            if checkpoint is not None:
                date = draw(st.none() | dates(day))
                entries.append(
                    ScenarioEvent(f"{prefix}{len(entries)}", date, None, {}, checkpoint=checkpoint)
                )
            continue
        candidates = [n for n, e in model.events.items() if e.allows(machine.phases)]
        if not candidates:
            break
        name = draw(st.sampled_from(candidates))
        event = model.events[name]
        values = draw(params(event))
        if not machine.explain(name, values).allowed:
            continue
        before = machine.phases
        try:
            machine.fire(name, values)
        except NegotiationError:  # a step that would break a rule is not applicable
            continue
        due = _due(model, event, began)
        day = max(day, due) if due is not None else day
        date = draw(st.none() | dates(day)) if day <= _LAST_DAY else None
        day = min(day, _LAST_DAY)
        began.update((r, date) for r, phase in machine.phases.items() if before[r] != phase)
        figured = {
            key: draw(figures(int(values[key]), param, source_ids, links))
            for key, param in event.params.items()
            if param.type.kind == "int" and draw(st.integers(0, 2)) > 0
        }
        checked = draw(st.integers(0, 3)) == 0
        entries.append(
            ScenarioEvent(
                f"{prefix}{len(entries)}",
                date,
                name,
                values,
                draw(actors),
                tuple(draw(st.lists(claim, max_size=2))) if source_ids else (),
                draw(prose()),
                draw(prose()),
                figures=figured,
                codes=draw(st.none() | codes()),
                checkpoint=_checkpoint(draw, model, machine.state, source_ids, links)
                if checked
                else None,
            )
        )
    return entries


def _start(
    draw: Any, model: Model, phases: Mapping[str, str], ledger: Mapping[str, Value]
) -> tuple[dict[str, str], dict[str, Value]]:
    """Changes to a starting `ledger`, and `phases` or phases that differ in one region or
    (with regions) in several, that keep the model's rules (no changes and `phases` if none
    would)."""
    names = draw(st.lists(st.sampled_from(sorted(model.variables)), max_size=3, unique=True))
    variables = [model.variables[name] for name in names]
    changes = {
        v.name: draw(param_values(Param(v.name, v.type, min=v.min, max=v.max))) for v in variables
    }
    start = dict(phases)
    for region in draw(st.lists(st.sampled_from(sorted(model.regions)), max_size=3, unique=True)):
        candidates = [
            {**start, region: p} for p in model.regions[region].phases if p != start[region]
        ]
        valid = [c for c in candidates if check_state(model, c, {**ledger, **changes}) is None]
        if not valid and changes:  # the changes break a rule: move phases alone
            changes = {}
            valid = [c for c in candidates if check_state(model, c, ledger) is None]
        if not valid:
            break
        start = draw(st.sampled_from(valid))
    if check_state(model, start, {**ledger, **changes}) is not None:
        return dict(phases), {}
    return start, changes


def _given_phases(model: Model, given: str | list[str] | None) -> dict[str, str]:
    names = [] if given is None else [given] if isinstance(given, str) else given
    return {model.phases[name].region: name for name in names}


def _expectation(draw: Any, model: Model, machine: Machine) -> Expectation | None:
    """An expectation the replay meets: the phase it ends in, some of its ledger, some `holds`."""
    if not draw(st.booleans()):
        return None
    ledger = machine.ledger
    names = st.lists(st.sampled_from(sorted(ledger)), max_size=3, unique=True)
    holds = [_holds(name, ledger[name], model) for name in draw(names)]
    ends = list(machine.phases.values())  # every region's, or (with regions) only some
    some = st.sets(st.sampled_from(ends), min_size=1, max_size=max(1, len(ends) - 1)).map(
        lambda chosen: tuple(phase for phase in ends if phase in chosen)
    )
    return Expectation(
        draw(st.just(()) | st.just(tuple(ends)) | some),
        {name: ledger[name] for name in draw(names)},
        tuple(holds),
    )


def _holds(name: str, value: Value, model: Model) -> Expression:
    if isinstance(value, bool):
        return compile_expression(name if value else f"not {name}", model.scope(), BOOL)
    return compile_expression(f"{name} == {value!r}", model.scope(), BOOL)


@st.composite
def scenarios(draw: Any, model: Model, model_reference: str, max_events: int = 12) -> Scenario:
    """Whole scenarios for `model`, each what `load_scenario` builds from its file, with every
    field a scenario file can give: several graded sources, link groups, a start (phases, date,
    ledger) that keeps the invariants, entries the machine accepts one after the other from it,
    dated in every form the loader reads, with actors, claims, figures (scoped, linked, open
    bounds), codes, notes and checkpoints the replay meets, checkpoints alone, and an
    expectation the replay meets. Titles, names, claims and notes carry `AWKWARD` text.

    `model_reference` is what the scenario's `model:` says (a built-in name or a path), so the
    scenario can be written out and read back.
    """
    bibliography = draw(sources())
    links = draw(st.just({}) | st.dictionaries(_NAMES, awkward_text(2), min_size=1, max_size=2))
    phase, changes = _start(draw, model, model.initial, model.initial_ledger())
    ledger = {**model.initial_ledger(), **changes}
    day = draw(_DAYS)
    start_date = draw(st.none() | dates(day))
    machine = Machine(model, phase, ledger)
    began = dict.fromkeys(phase, start_date)
    entries = _entries(
        draw, machine, sorted(bibliography), max_events, day, "event_", began, sorted(links)
    )
    return Scenario(
        name=draw(_NAMES),
        title=draw(awkward_text()),
        description=draw(awkward_text()),
        model=model,
        sources=bibliography,
        start_phases=phase,
        start_date=start_date,
        start_ledger=ledger,
        events=tuple(entries),
        expect=_expectation(draw, model, machine),
        model_reference=model_reference,
        links=dict.fromkeys(links, "sum"),
        link_descriptions=links,
    )


@st.composite
def overrides(draw: Any, model: Model) -> OverridesSpec:
    """Rule changes to `model` that load: guards set to True or False, events' phases changed."""
    guards = sorted(f"{e.name}.{g.name}" for e in model.events.values() for g in e.guards)
    phases = st.sampled_from(sorted(model.phases))
    change = st.fixed_dictionaries(
        {}, optional={"from": st.lists(phases, min_size=1, max_size=3, unique=True), "to": phases}
    )
    given = {
        "guards": st.dictionaries(
            st.sampled_from(guards), st.sampled_from(["True", "False"]), max_size=2
        )
        if guards
        else st.just({}),
        "events": st.dictionaries(st.sampled_from(sorted(model.events)), change, max_size=2),
    }
    return OverridesSpec.model_validate(draw(st.fixed_dictionaries(given)))


@st.composite
def counterfactual_scenarios(
    draw: Any,
    model: Model,
    model_reference: str,
    base_reference: str = "base.yaml",
    max_events: int = 8,
) -> tuple[Scenario, Scenario]:
    """A base scenario and a counterfactual of it, as `load_scenario` builds it with the base
    written at `base_reference` (relative to the counterfactual): it keeps the base's events
    before where it diverges (all of them if it does not say), and has its own sources (some
    replacing the base's), overrides, start and events, after the kept ones in date. Its events
    are applicable after the kept ones, as far as those still apply under its changed rules.
    """
    base = draw(scenarios(model, model_reference, max_events))
    ids = [entry.id for entry in base.events]
    diverge_at = draw(st.none() | st.sampled_from(ids)) if ids else None
    kept = base.events[: ids.index(diverge_at)] if diverge_at is not None else base.events
    bibliography = {**base.sources, **draw(sources(min_size=0, max_size=2))}
    rules = draw(st.none() | overrides(model))
    changed_model, described = (
        apply_overrides(model, rules, Document("<generated>", None)) if rules else (model, ())
    )
    own_start = None
    if draw(st.booleans()):
        phase, changes = _start(draw, model, base.start_phases, base.start_ledger)
        given: dict[str, Any] = {"ledger": changes}
        moved = [p for r, p in phase.items() if base.start_phases[r] != p]
        if moved or draw(st.booleans()):
            every = list(phase.values())
            given["phase"] = moved[0] if len(moved) == 1 else every[0] if len(every) == 1 else every
        date = draw(st.none() | dates(draw(_DAYS)))
        if date is not None:
            given["date"] = date.text
        own_start = StartSpec.model_validate(given)
    start = own_start or StartSpec()
    phase = model.configuration({**base.start_phases, **_given_phases(model, start.phase)})
    ledger = {**base.start_ledger, **start.ledger}
    machine = Machine(changed_model, phase, ledger)
    start_date = _parse_date(start.date) if start.date else base.start_date
    began = dict.fromkeys(phase, start_date)
    for entry in kept:
        before = machine.phases
        try:
            if entry.event is not None:
                machine.fire(entry.event, entry.params)
        except NegotiationError:
            continue
        began.update((r, entry.date) for r, p in machine.phases.items() if before[r] != p)
    earliest = [e.date.earliest for e in kept if e.date is not None and e.date.earliest]
    day = max(earliest, default=draw(_DAYS))
    links = sorted(base.links)  # the base's link groups: the counterfactual writes them too
    own = _entries(draw, machine, sorted(bibliography), max_events, day, "own_", began, links)
    described_start = describe_start(own_start) if own_start is not None else None
    counterfactual = Scenario(
        name=draw(_NAMES),
        title=draw(awkward_text()),
        description=draw(awkward_text()),
        model=changed_model,
        sources=bibliography,
        start_phases=phase,
        start_date=start_date,
        start_ledger=ledger,
        events=(*kept, *own),
        expect=_expectation(draw, changed_model, machine),
        model_reference=draw(st.sampled_from(["", model_reference])),
        extends=base_reference,
        diverge_at=diverge_at,
        rationale=draw(prose()),
        overrides=(described_start, *described) if described_start else described,
        inherited=len(kept),
        rule_overrides=rules,
        own_start=own_start,
        links=base.links,
        link_descriptions=base.link_descriptions,
    )
    return base, counterfactual
