"""Replay: run a scenario's events through its model's machine and record the trace."""

from __future__ import annotations

from typing import Literal

from negotiation.errors import InvariantViolation, RefusedEvent
from negotiation.machine import Machine, State
from negotiation.properties import START, check_history
from negotiation.scenario import Scenario
from negotiation.trace import Refusal, Trace, TraceStep

OnRefused = Literal["stop", "skip"]


def replay(scenario: Scenario, on_refused: OnRefused = "stop") -> Trace:
    """Replay every event of `scenario` in order.

    A refused event is recorded with the guard that refused it; with `on_refused="stop"` the
    replay ends there, with "skip" it goes on from the unchanged state. A broken invariant always
    ends the replay. Expectations are checked against the state the replay ends in.
    """
    machine = Machine(scenario.model, scenario.start_phase, scenario.start_ledger)
    steps: list[TraceStep] = []
    stopped_at: str | None = None
    for entry in scenario.events:
        before = machine.state
        try:
            step = machine.fire(entry.event, entry.params)
        except RefusedEvent as refused:
            refusal = Refusal(refused.guard, refused.reason, refused.values, refused.outcomes)
            steps.append(TraceStep(entry, before, before, refusal=refusal))
            if on_refused == "stop":
                stopped_at = entry.id
                break
            continue
        except InvariantViolation as violation:
            steps.append(TraceStep(entry, before, before, violation=str(violation)))
            stopped_at = entry.id
            break
        steps.append(TraceStep(entry, before, step.after, step=step))
    final = machine.state
    failures = () if stopped_at else check_expectations(scenario, final)
    failures += check_properties(scenario, steps)
    return Trace(scenario, tuple(steps), final, failures, stopped_at)


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
        if not expression(final.ledger, {}, final.phase):
            values = expression.values(final.ledger, {}, final.phase)
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            failures.append(f"expected {expression.text} to hold ({shown})")
    return tuple(failures)
