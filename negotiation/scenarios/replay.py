"""Replay: run a scenario's events through its model's machine and record the trace."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from negotiation.errors import UsageError, suggest
from negotiation.rules.model import Value
from negotiation.scenarios.dates import Date, DateError, parse_date
from negotiation.scenarios.scenario import Checkpoint, Scenario, ScenarioEvent
from negotiation.scenarios.trace import (
    CheckpointResult,
    Mismatch,
    Trace,
    TraceStep,
    Violation,
)
from negotiation.semantics.history import judge_history
from negotiation.semantics.judge import (
    DIVIDED_BY_ZERO,
    evaluate_in,
    judge_time,
    rule_values_or_none,
    shown_values,
)
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import Applied, Broken, Judgement, Outcome, Refused, State
from negotiation.semantics.search import reachable

OnRefused = Literal["stop", "skip"]
REPLAY_SEARCH_BUDGET = 2_000
"""Events a replay may try to decide what stays reachable from where it ends (a property that
asks it): past that the property is reported undecided, not held and not broken."""


def replay(
    scenario: Scenario,
    on_refused: OnRefused = "stop",
    trusted_source: str | None = None,
    figures: Mapping[tuple[str, str], int] | None = None,
    until: str | None = None,
) -> Trace:
    """Replay every event of `scenario` in order.

    A refused event is recorded with the guards that refused it; with `on_refused="stop"` the
    replay ends there, with "skip" it goes on from the unchanged state. A broken rule always
    ends the replay. Expectations are checked against the state the replay ends in; the model's
    properties against the history it went through.

    A figure (a parameter with several values) takes its `best` value, or with `trusted_source`
    the value that source gives, or the value `figures` sets for its (event id, parameter).

    `until` cuts the replay where the caller asks (see `until_index`): after the entry with that
    id or step number, or before the first entry dated after that date. A cut replay records
    `until` and checks no expectation (its end was not reached), and is not a failure.
    """
    last = until_index(scenario, until) if until is not None else len(scenario.events) - 1
    machine = Machine(scenario.model, scenario.start_phases, scenario.start_ledger)
    steps: list[TraceStep] = []
    violations: list[Violation] = []
    stopped_at: str | None = None
    began = {region: scenario.start_date for region in scenario.start_phases}
    checks: list[CheckpointResult] = []
    for index, entry in enumerate(scenario.events[: last + 1]):
        before = machine.state
        params = chosen_params(entry, trusted_source, figures or {})
        outcome: Outcome | None = None
        if entry.event is not None:
            outcome = _on_time(scenario, machine, entry.event, entry, began, params)
            outcome = outcome or machine.attempt(entry.event, params)
        steps.append(TraceStep(entry, before, params, outcome, index < scenario.inherited))
        if isinstance(outcome, Applied):
            # an event that leads a region to a phase (again, for a renewal) starts its clock
            for phase in scenario.model.events[outcome.event].to:
                began[scenario.model.phases[phase].region] = entry.date
        if isinstance(outcome, Broken):
            violations.append(Violation(outcome, entry.id))
            stopped_at = entry.id
            break
        if isinstance(outcome, Refused) and on_refused == "stop":
            stopped_at = entry.id
            break
        if entry.checkpoint is not None:
            checks.append(check_point(scenario, entry.id, entry.checkpoint, machine.state))
            if not checks[-1].met:
                stopped_at = entry.id
                break
    final = machine.state
    start = steps[0].before if steps else final
    undecided: list[str] = []
    broken = history_violation(scenario, start, steps, machine, undecided)
    if broken is not None:
        violations.append(broken)
    cut = until if stopped_at is None and last < len(scenario.events) - 1 else None
    failures = () if stopped_at or cut else expectation_failures(scenario, final)
    return Trace(
        scenario,
        tuple(steps),
        final,
        failures,
        tuple(violations),
        stopped_at,
        trusted_source,
        tuple(checks),
        cut,
        tuple(undecided),
    )


def until_index(scenario: Scenario, until: str) -> int:
    """The index of the last entry a replay `until` this point replays (-1: none).

    `until` is an entry's id, a step number (1 for the first entry, as a timeline numbers
    them), or a date: the replay stops before the first entry dated wholly after it (an
    undated entry or one whose dates reach back to it is replayed). Raise UsageError when it
    is none of these.
    """
    ids = [entry.id for entry in scenario.events]
    if until in ids:
        return ids.index(until)
    if until.isdigit():
        number = int(until)
        if not 1 <= number <= len(ids):
            raise UsageError(
                f"there is no step {number}: the scenario has {len(ids)} steps", "--until"
            )
        return number - 1
    try:
        date = parse_date(until)
    except DateError:
        hint = suggest(until, ids) or "; give a step id, a step number or a date"
        raise UsageError(f"'{until}' is no step of the scenario{hint}", "--until") from None
    end = date.latest or date.earliest
    for index, entry in enumerate(scenario.events):
        starts = entry.date.earliest if entry.date is not None else None
        if end is not None and starts is not None and starts > end:
            return index - 1
    return len(ids) - 1


def check_point(
    scenario: Scenario, at: str, checkpoint: Checkpoint, state: State
) -> CheckpointResult:
    """What a checkpoint reports against the state it is checked in, value by value."""
    values = rule_values_or_none(scenario.model, state.phases, state.ledger)
    mismatches = []
    for reported in checkpoint.values:
        got = values.get(reported.name) if values is not None else None
        if got is None or not reported.admits(got):
            mismatches.append(Mismatch(reported, got))
    return CheckpointResult(at, checkpoint, tuple(mismatches))


def _on_time(
    scenario: Scenario,
    machine: Machine,
    name: str,
    entry: ScenarioEvent,
    began: Mapping[str, Date | None],
    params: Mapping[str, Value],
) -> Refused | None:
    """An event that marks the end of a phase's planned time, dated before that end: refused
    by the time rule. None when there is nothing to refuse."""
    model = scenario.model
    event = model.events[name]
    if event.expires is None:
        return None
    start = began.get(model.phases[event.expires].region)
    judged = judge_time(
        model,
        event,
        start.earliest if start is not None else None,
        entry.date.latest if entry.date is not None else None,
    )
    if judged is None or judged.passed:
        return None
    state = machine.state
    values = MappingProxyType(machine.params_for(name, params))
    return Refused(name, values, state, Judgement(name, state.phase, (judged,)))


def chosen_params(
    entry: ScenarioEvent, trusted_source: str | None, figures: Mapping[tuple[str, str], int]
) -> dict[str, Value]:
    """The parameters an entry fires with, each figure at the value chosen for this replay."""
    params = dict(entry.params)
    for name, figure in entry.figures.items():
        if (entry.id, name) in figures:
            params[name] = figures[(entry.id, name)]
        elif trusted_source is not None:
            given = figure.from_source(trusted_source)
            if given is not None:
                params[name] = given
    return params


def history_violation(
    scenario: Scenario,
    start: State,
    steps: list[TraceStep],
    machine: Machine,
    undecided: list[str] | None = None,
) -> Violation | None:
    """The first of the model's properties that the applied steps' history breaks; the names
    of those a bounded search could not decide go in `undecided`."""
    model = scenario.model
    if not model.properties:
        return None
    applied = [step for step in steps if isinstance(step.outcome, Applied)]
    states = [start, *(step.after for step in applied)]
    events = ["start", *(step.outcome.event for step in applied if step.outcome is not None)]
    params = [{}, *(s.outcome.params for s in applied if isinstance(s.outcome, Applied))]
    broken = judge_history(
        model,
        states,
        events,
        lambda state, goal, within: reachable(
            model, state, goal, within, machine, REPLAY_SEARCH_BUDGET
        ),
        undecided,
        params,
    )
    if broken is None:
        return None
    at = applied[broken.index - 1].entry.id if broken.index else None
    return Violation(broken, at)


def expectation_failures(scenario: Scenario, final: State) -> tuple[str, ...]:
    """What differs between the end state and the scenario's `expect:`, one line each."""
    expect = scenario.expect
    if expect is None:
        return ()
    failures = []
    model = scenario.model
    for phase in expect.phases:
        region = model.phases[phase].region
        if final.phases[region] != phase:
            where = "phase" if model.one_region else f"region {region}"
            failures.append(f"{where}: expected {phase}, got {final.phases[region]}")
    for name, wanted in expect.ledger.items():
        got = final.ledger[name]
        if got != wanted:
            failures.append(f"{name}: expected {wanted!r}, got {got!r}")
    for expression in expect.holds:
        held = evaluate_in(model, expression, final.phases, final.ledger)
        if held is DIVIDED_BY_ZERO:
            failures.append(f"expected {expression.text} to hold, but it divides by zero")
        elif not held:
            values = shown_values(model, expression, final.phases, final.ledger)
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            failures.append(f"expected {expression.text} to hold ({shown})")
    return tuple(failures)
