"""Properties of the Gaza model's rules under random event sequences (hypothesis)."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import Machine, RefusedEvent, load_model
from negotiation.testing import event_sequences, events, rule_based_machine

MODEL = load_model("gaza_truce")

TestGazaRules = rule_based_machine(MODEL).TestCase
TestGazaRules.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@settings(max_examples=300, deadline=None)
@given(event_sequences(MODEL, max_size=40))
def test_any_event_sequence_keeps_invariants_and_declared_phases(sequence):
    machine = Machine(MODEL)
    for name, values in sequence:
        with contextlib.suppress(RefusedEvent):  # a RuleViolation fails the test
            machine.fire(name, values)
        assert machine.phase in MODEL.phases
        for invariant in MODEL.invariants:
            assert invariant.expression(machine.ledger, {}, machine.phase), invariant.name


@settings(max_examples=300, deadline=None)
@given(event_sequences(MODEL, max_size=25), st.data())
def test_refused_event_leaves_state_unchanged(sequence, data):
    machine = Machine(MODEL)
    for name, values in sequence:
        with contextlib.suppress(RefusedEvent):
            machine.fire(name, values)
    name, values = data.draw(events(MODEL))
    before = machine.state
    explanation = machine.explain(name, values)
    try:
        step = machine.fire(name, values)
    except RefusedEvent as refused:
        assert not explanation.allowed
        assert refused.outcome.rule.name == explanation.refusals[0].guard
        assert machine.state == before
    else:
        assert explanation.allowed
        assert step.before == before
        assert step.after == machine.state


@settings(max_examples=200, deadline=None)
@given(event_sequences(MODEL, max_size=25))
def test_enabled_events_are_explained_as_allowed(sequence):
    machine = Machine(MODEL)
    for name, values in sequence:
        with contextlib.suppress(RefusedEvent):
            machine.fire(name, values)
    for name in machine.enabled():
        event = MODEL.events[name]
        if all(p.default is not None for p in event.params.values()):
            assert machine.explain(name).allowed, name
