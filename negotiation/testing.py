"""Hypothesis strategies and a stateful test machine for any model.

A modeller who changes a rule wants to know, before trusting any replay, whether the rules still
mean what they think. This module makes that a few lines of test code:

    from hypothesis import settings
    from negotiation import load_model
    from negotiation.testing import rule_based_machine

    TestMyRules = rule_based_machine(load_model("my_model.yaml")).TestCase

Every event of the model becomes a rule, every invariant an invariant; a refused event must leave
the state exactly as it was. Importing this module imports hypothesis (about a quarter of a
second), so the CLI imports it only where it is used.
"""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from negotiation.analyses.falsify import param_values, params
from negotiation.rules.model import Event, Model, Value
from negotiation.semantics.judge import check_state
from negotiation.semantics.machine import Machine, RefusedEvent, RuleViolation
from negotiation.semantics.search import Fired


def events(model: Model, phase: str | None = None) -> st.SearchStrategy[Fired]:
    """An event of `model` with valid parameters; with `phase`, only events that may fire there."""
    names = [
        name for name, event in model.events.items() if phase is None or phase in event.from_phases
    ]
    if not names:
        return st.nothing()
    return st.sampled_from(names).flatmap(
        lambda name: params(model.events[name]).map(lambda values: (name, values))
    )


def event_sequences(model: Model, max_size: int = 20) -> st.SearchStrategy[list[Fired]]:
    """Sequences of events with valid parameters, whatever phase they are fired in."""
    return st.lists(events(model), max_size=max_size)


@st.composite
def applicable_sequences(draw: Any, model: Model, max_size: int = 20) -> list[Fired]:
    """Sequences that the machine accepts, step after step, from the model's initial state.

    Each step is drawn among the events that may fire from the current phase; a draw that a guard
    refuses is dropped (and counted by hypothesis as a filtered example), so every sequence
    returned replays without a refusal.
    """
    machine = Machine(model)
    fired: list[Fired] = []
    for _ in range(draw(st.integers(min_value=0, max_value=max_size))):
        candidates = [n for n, e in model.events.items() if machine.phase in e.from_phases]
        if not candidates:
            break
        name = draw(st.sampled_from(candidates))
        values = draw(params(model.events[name]))
        if machine.explain(name, values).allowed:
            machine.fire(name, values)
            fired.append((name, values))
    return fired


@st.composite
def scenarios(draw: Any, model: Model, model_reference: str, max_events: int = 12) -> Any:
    """Whole scenarios for `model`: an applicable sequence, dated in order, with claims.

    `model_reference` is what the scenario's `model:` says (a built-in name or a path), so the
    scenario can be written out and read back.
    """
    from negotiation.scenarios.dates import Date
    from negotiation.scenarios.scenario import Claim, Scenario, ScenarioEvent, Source

    sequence = draw(applicable_sequences(model, max_size=max_events))
    day = draw(st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2030, 1, 1)))
    words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.'", min_size=1, max_size=30).map(
        lambda text: " ".join(text.split()) or "a"
    )
    entries = []
    for index, (name, values) in enumerate(sequence):
        day += datetime.timedelta(days=draw(st.integers(min_value=0, max_value=40)))
        span = draw(st.integers(min_value=0, max_value=3))
        end = day + datetime.timedelta(days=span)
        text = day.isoformat() if span == 0 else f"{day.isoformat()}/{end.isoformat()}"
        stance = draw(st.sampled_from(["asserted", "disputed", "denied"]))
        claim = Claim(draw(words), "source", stance, draw(words))
        entries.append(
            ScenarioEvent(
                f"event_{index}",
                Date(day, end, text),
                name,
                values,
                claims=(claim,),
                note=draw(words),
            )
        )
    return Scenario(
        name="generated",
        title=draw(words),
        description="",
        model=model,
        sources={"source": Source("source", "Example Wire", draw(words), "2020-01-01")},
        start_phase=model.initial,
        start_date=None,
        start_ledger=model.initial_ledger(),
        events=tuple(entries),
        expect=None,
        model_reference=model_reference,
    )


def rule_based_machine(model: Model) -> type[RuleBasedStateMachine]:
    """A hypothesis RuleBasedStateMachine for `model`: one rule per event, its invariants checked.

    Each rule fires its event with drawn parameters. A refused event must leave the state
    untouched; an applied one must land in a declared phase. After every step, every variable
    must be within its bounds and every invariant must hold (`RuleViolation` fails the test).
    """

    def __init__(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.machine = Machine(model)

    def make_rule(name: str, event: Event) -> Any:
        def fire(self: Any, values: dict[str, Value]) -> None:
            before = self.machine.state
            try:
                self.machine.fire(name, values)
            except RefusedEvent:
                assert self.machine.state == before, f"refused '{name}' changed the state"

        fire.__name__ = f"fire_{name}"
        return rule(values=params(event))(fire)

    def phase_declared(self: Any) -> None:
        assert self.machine.phase in model.phases, f"undeclared phase {self.machine.phase!r}"

    def invariants_hold(self: Any) -> None:
        state = self.machine.state
        broken = check_state(model, state.phase, state.ledger)
        if broken is not None:
            raise RuleViolation(broken)

    namespace: dict[str, Any] = {
        "__init__": __init__,
        "phase_declared": invariant()(phase_declared),
        "invariants_hold": invariant()(invariants_hold),
    }
    for name, event in model.events.items():
        namespace[f"fire_{name}"] = make_rule(name, event)
    class_name = "".join(part.title() for part in model.name.split("_")) + "Rules"
    return type(class_name, (RuleBasedStateMachine,), namespace)


__all__ = [
    "applicable_sequences",
    "event_sequences",
    "events",
    "param_values",
    "params",
    "rule_based_machine",
    "scenarios",
]
