"""Strategies for events and histories of any model, and a stateful test machine for it."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from negotiation.analyses.falsify import params
from negotiation.rules.model import Event, Model, Value
from negotiation.semantics.judge import check_state
from negotiation.semantics.machine import Machine, RefusedEvent, RuleViolation
from negotiation.semantics.search import Fired


def events(model: Model, phase: str | None = None) -> st.SearchStrategy[Fired]:
    """An event of `model` with valid parameters; with `phase`, only events that may fire there."""
    names = [
        name
        for name, event in model.events.items()
        if phase is None or event.allows(model.configuration(phase))
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
        candidates = [n for n, e in model.events.items() if e.allows(machine.phases)]
        if not candidates:
            break
        name = draw(st.sampled_from(candidates))
        values = draw(params(model.events[name]))
        if machine.explain(name, values).allowed:
            machine.fire(name, values)
            fired.append((name, values))
    return fired


# --- scenarios --------------------------------------------------------------------------------


# What breaks a naive YAML writer, to mix into text: a newline then a key, a comment or list
# marker, an anchor, an alias, a tag, YAML's words for true and null, numbers YAML would read,
# unicode line separators, a byte-order mark, control characters.
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
        for region, phase in self.machine.phases.items():
            assert model.phases[phase].region == region, f"undeclared phase {phase!r}"

    def invariants_hold(self: Any) -> None:
        state = self.machine.state
        broken = check_state(model, state.phases, state.ledger)
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
