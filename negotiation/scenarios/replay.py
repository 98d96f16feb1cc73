"""Replay: run a scenario's events through its model's machine and record the trace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from negotiation.errors import InvariantViolation, RefusedEvent
from negotiation.rules.model import Value
from negotiation.rules.properties import START, check_history
from negotiation.scenarios.scenario import Scenario, ScenarioEvent
from negotiation.scenarios.trace import Refusal, Trace, TraceStep
from negotiation.semantics.machine import Machine, State

OnRefused = Literal["stop", "skip"]


def replay(
    scenario: Scenario,
    on_refused: OnRefused = "stop",
    source: str | None = None,
    figures: Mapping[tuple[str, str], int] | None = None,
) -> Trace:
    """Replay every event of `scenario` in order.

    A refused event is recorded with the guard that refused it; with `on_refused="stop"` the
    replay ends there, with "skip" it goes on from the unchanged state. A broken invariant always
    ends the replay. Expectations are checked against the state the replay ends in.

    A figure (a parameter with several values) takes its `best` value, or with `source` the
    value that source gives, or the value `figures` sets for its (event id, parameter).
    """
    machine = Machine(scenario.model, scenario.start_phase, scenario.start_ledger)
    steps: list[TraceStep] = []
    stopped_at: str | None = None
    for index, entry in enumerate(scenario.events):
        before = machine.state
        inherited = index < scenario.inherited
        params = chosen_params(entry, source, figures or {})
        try:
            step = machine.fire(entry.event, params)
        except RefusedEvent as refused:
            refusal = Refusal(refused.guard, refused.reason, refused.values, refused.outcomes)
            steps.append(
                TraceStep(entry, before, before, params, refusal=refusal, inherited=inherited)
            )
            if on_refused == "stop":
                stopped_at = entry.id
                break
            continue
        except InvariantViolation as violation:
            steps.append(
                TraceStep(
                    entry, before, before, params, violation=str(violation), inherited=inherited
                )
            )
            stopped_at = entry.id
            break
        steps.append(TraceStep(entry, before, step.after, params, step=step, inherited=inherited))
    final = machine.state
    failures = () if stopped_at else check_expectations(scenario, final)
    failures += check_properties(scenario, steps)
    return Trace(scenario, tuple(steps), final, failures, stopped_at, source)


def chosen_params(
    entry: ScenarioEvent, source: str | None, figures: Mapping[tuple[str, str], int]
) -> dict[str, Value]:
    """The parameters an entry fires with, each figure at the value chosen for this replay."""
    params = dict(entry.params)
    for name, figure in entry.figures.items():
        if (entry.id, name) in figures:
            params[name] = figures[(entry.id, name)]
        elif source is not None:
            given = figure.from_source(source)
            if given is not None:
                params[name] = given
    return params


def check_properties(scenario: Scenario, steps: list[TraceStep]) -> tuple[str, ...]:
    """The model's properties over the history the replay went through (applied steps only)."""
    if not scenario.model.properties:
        return ()
    applied = [step for step in steps if step.step is not None]
    states = [
        steps[0].before
        if steps
        else Machine(scenario.model, scenario.start_phase, scenario.start_ledger).state
    ]
    states += [step.after for step in applied]
    events = [START, *(step.entry.event for step in applied)]
    violation = check_history(scenario.model, states, events)
    if violation is None:
        return ()
    where = f"at '{applied[violation.index - 1].entry.id}'" if violation.index else "at the start"
    return (f"property '{violation.property}' broken {where}: {violation.message}",)


def check_expectations(scenario: Scenario, final: State) -> tuple[str, ...]:
    """What differs between the end state and the scenario's `expect:`, one line each."""
    expect = scenario.expect
    if expect is None:
        return ()
    failures = []
    if expect.phase is not None and final.phase != expect.phase:
        failures.append(f"phase: expected {expect.phase}, got {final.phase}")
    for name, wanted in expect.ledger.items():
        got = final.ledger[name]
        if got != wanted:
            failures.append(f"{name}: expected {wanted!r}, got {got!r}")
    for expression in expect.holds:
        try:
            held = expression(final.ledger, {}, final.phase)
        except ZeroDivisionError:
            failures.append(f"expected {expression.text} to hold, but it divides by zero")
            continue
        if not held:
            values = expression.values(final.ledger, {}, final.phase)
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            failures.append(f"expected {expression.text} to hold ({shown})")
    return tuple(failures)
