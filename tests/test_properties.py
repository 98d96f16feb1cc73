"""Properties of the Gaza model's machine under random event sequences (hypothesis).

The one large run of the model's rules (bounds, invariants and properties over 2,000 histories)
is `negotiation check --properties gaza_truce` in test_check.py, marked slow. The runs here are
small: each pins a behaviour of the machine, or of negotiation.testing, that the large run does
not look at.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import Machine, RefusedEvent, load_model
from negotiation.testing import event_sequences, events, rule_based_machine

MODEL = load_model("gaza_truce")

# negotiation.testing's state machine runs on the model (its rules are the large run's job)
TestGazaRules = rule_based_machine(MODEL).TestCase
TestGazaRules.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@settings(max_examples=50, deadline=None)
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


@settings(max_examples=50, deadline=None)
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
