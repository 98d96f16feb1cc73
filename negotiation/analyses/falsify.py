"""`check --properties`: hypothesis against a model's invariants and properties.

Hypothesis draws histories (each step an event that may fire from the current phase, with valid
parameters), replays them through the machine and checks, after every step, the variables'
bounds and the invariants, and at the end the model's properties. When one breaks, hypothesis
shrinks the history to a minimal one; the refused events are dropped (they change nothing), and
the rest is what `Report.counterexample` holds, ready to be written as a scenario.

Importing this module imports hypothesis (about a quarter of a second); the CLI imports it only
for `check --properties`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

from negotiation.errors import InvariantViolation, RefusedEvent
from negotiation.rules.model import Model, Value
from negotiation.rules.properties import START, check_history
from negotiation.semantics.machine import Machine, State
from negotiation.testing import params

Fired = tuple[str, dict[str, Value]]


@dataclass(frozen=True)
class Failure:
    """What broke: the invariant or property, and how."""

    rule: str
    message: str


@dataclass(frozen=True)
class Report:
    """The outcome of a property check, with the seed and budget that produced it."""

    model: str
    seed: int
    examples: int
    steps: int
    rules: tuple[str, ...]
    examples_run: int
    events_fired: int = 0
    interrupted: bool = False
    failure: Failure | None = None
    counterexample: tuple[Fired, ...] = field(default=())

    @property
    def holds(self) -> bool:
        """Every rule held, on histories in which events were applied (not vacuously)."""
        return self.failure is None and self.events_fired > 0

    def to_data(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "seed": self.seed,
            "examples": self.examples,
            "steps": self.steps,
            "examples_run": self.examples_run,
            "events_fired": self.events_fired,
            "interrupted": self.interrupted,
            "rules": list(self.rules),
            "holds": self.holds,
            "failure": (
                {"rule": self.failure.rule, "message": self.failure.message}
                if self.failure
                else None
            ),
            "counterexample": [
                {"event": name, "params": dict(values)} for name, values in self.counterexample
            ],
        }


def rules_checked(model: Model) -> tuple[str, ...]:
    """The names of what is checked: bounds, invariants and properties."""
    return (
        "the bounds of every variable",
        *(f"invariant {inv.name}" for inv in model.invariants),
        *(f"property {prop.name}: {prop.statement()}" for prop in model.properties),
    )


def run_history(
    model: Model, history: list[Fired], machine: Machine | None = None
) -> tuple[list[Fired], Failure | None]:
    """Replay `history`, skipping refused events; the events applied, and the first failure.

    `machine`, if given, is reused (put back in the model's initial state first).
    """
    if machine is None:
        machine = Machine(model)
    else:
        machine.reset(model.initial, model.initial_ledger())
    states: list[State] = [machine.state]
    events = [START]
    applied: list[Fired] = []
    for name, values in history:
        try:
            machine.fire(name, values)
        except RefusedEvent:
            continue
        except InvariantViolation as broken:
            applied.append((name, values))
            return applied, Failure(broken.invariant, str(broken))
        applied.append((name, values))
        states.append(machine.state)
        events.append(name)
    violation = check_history(model, states, events, machine)
    if violation is not None:
        return applied, Failure(f"property {violation.property}", violation.message)
    return applied, None


def check_properties(
    model: Model,
    examples: int = 1000,
    steps: int = 30,
    seed_value: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Run hypothesis on `model`; return a Report with a minimal counterexample if one breaks."""
    found: dict[str, Any] = {}
    count = 0
    fired = 0
    drawing, replaying = Machine(model), Machine(model)
    initial = drawing.state

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @seed(seed_value)
    @given(st.data())
    def history_keeps_the_rules(data: st.DataObject) -> None:
        nonlocal count, fired
        searching = "failure" not in found  # once one fails, the calls are hypothesis shrinking
        if searching:
            count += 1
            if progress is not None:
                progress(count)
        machine = drawing
        machine.load(initial)
        history: list[Fired] = []
        for _ in range(data.draw(st.integers(min_value=1, max_value=steps))):
            names = [n for n, e in model.events.items() if machine.phase in e.from_phases]
            if not names:
                break
            name = data.draw(st.sampled_from(names))
            values = data.draw(params(model.events[name]))
            history.append((name, values))
            with contextlib.suppress(RefusedEvent, InvariantViolation):
                machine.fire(name, values)
        applied, failure = run_history(model, history, replaying)
        if searching:
            fired += len(applied)
        if failure is not None:
            found["applied"], found["failure"] = applied, failure
            raise AssertionError(failure.message)

    interrupted = False
    try:
        history_keeps_the_rules()
    except AssertionError:
        pass  # the failure is in `found`
    except KeyboardInterrupt:
        interrupted = True  # report what was tried so far
    failure = found.get("failure")
    if failure is not None and not interrupted:
        found["applied"] = shorter_counterexample(model, found["applied"], failure)
        failure = run_history(model, found["applied"])[1] or failure
    return Report(
        model=model.name,
        seed=seed_value,
        examples=examples,
        steps=steps,
        rules=rules_checked(model),
        examples_run=count,
        events_fired=fired,
        interrupted=interrupted,
        failure=failure,
        counterexample=tuple(found.get("applied", ())) if failure else (),
    )


def shorter_counterexample(
    model: Model, history: list[Fired], failure: Failure, budget: int = 20_000
) -> list[Fired]:
    """A shortest history that breaks the same rule, if one shorter than `history` exists.

    Hypothesis shrinks by deleting and simplifying what it drew, which can stop at a local
    minimum (three small releases where one large one would do). A breadth-first search over
    histories, trying each event's parameters at a few values (see `candidate_params`), finds the
    shortest history within `budget` distinct states; if it finds none, `history` stands.
    """
    from negotiation.rules.properties import candidate_params, state_key

    prop = next((p for p in model.properties if f"property {p.name}" == failure.rule), None)
    if prop is not None and prop.kind == "stays_reachable":
        return history  # each step would need a search of its own
    machine = Machine(model)
    start = machine.state
    layer: list[tuple[State, tuple[Fired, ...], tuple[str, ...], tuple[State, ...]]] = [
        (start, (), (START,), (start,))
    ]
    seen = {state_key(start)}
    for _ in range(len(history) - 1):
        following = []
        for state, fired, events, states in layer:
            for event in model.events.values():
                if state.phase not in event.from_phases:
                    continue
                for values in candidate_params(event, state.ledger):
                    step = (*fired, (event.name, values))
                    machine.reset(state.phase, state.ledger)
                    try:
                        after = machine.fire(event.name, values).after
                    except RefusedEvent:
                        continue
                    except InvariantViolation as violation:
                        if violation.invariant == failure.rule:
                            return list(step)
                        continue
                    path = (*states, after)
                    names = (*events, event.name)
                    if prop is not None and _breaks(prop, model, path, names):
                        return list(step)
                    key = state_key(after)
                    if key not in seen:
                        seen.add(key)
                        following.append((after, step, names, path))
                        if len(seen) > budget:
                            return history
        layer = following
    return history


def _breaks(prop: Any, model: Model, states: Any, events: Any) -> bool:
    from negotiation.rules.properties import check_property

    try:
        return check_property(prop, model, states, events) is not None
    except ZeroDivisionError:
        return True


def counterexample_scenario(
    model: Model, model_reference: str, report: Report, given_as: str = ""
) -> str:
    """The report's counterexample as a runnable, clearly labelled scenario file.

    `model_reference` is the model as the scenario names it (relative to where it is written);
    `given_as`, the model as the command named it.
    """
    from negotiation.scenarios.scenario import Scenario, ScenarioEvent
    from negotiation.scenarios.writer import dump_scenario

    assert report.failure is not None
    events = tuple(
        ScenarioEvent(f"step_{index}", None, name, dict(values))
        for index, (name, values) in enumerate(report.counterexample, start=1)
    )
    scenario = Scenario(
        name=f"{model.name}_counterexample",
        title=f"Counterexample to {report.failure.rule} (generated, hypothetical)",
        description=(
            f"Generated by negotiation check --properties (seed {report.seed}): a minimal "
            f"sequence of events that breaks {report.failure.rule}. Not a record of events."
        ),
        model=model,
        sources={},
        start_phase=model.initial,
        start_date=None,
        start_ledger=model.initial_ledger(),
        events=events,
        expect=None,
        model_reference=model_reference,
    )
    header = (
        f"Counterexample found by: negotiation check --properties {given_as or model_reference} "
        f"--seed {report.seed} --examples {report.examples} --steps {report.steps}\n"
        f"It breaks {report.failure.rule}: {report.failure.message}\n"
        f"Replay it with: negotiation run FILE (it exits 1 where the rule breaks)"
    )
    return dump_scenario(scenario, header)
