"""negotiation.testing's strategies, and the format properties they let us state."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from negotiation import Machine, load_model, replay
from negotiation.files.yamlfile import parse_document
from negotiation.render.data import to_json, trace_data
from negotiation.scenarios.scenario import build_scenario
from negotiation.scenarios.writer import dump_scenario
from negotiation.testing import applicable_sequences, params, scenarios

MODEL = load_model("gaza_truce")
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(scenarios(MODEL, "gaza_truce"))
def test_load_of_dump_gives_back_the_same_scenario(scenario):
    text = dump_scenario(scenario)
    loaded = build_scenario(parse_document(text.encode(), "dumped.yaml"), Path("."))
    assert loaded == scenario


@SLOW
@given(scenarios(MODEL, "gaza_truce"))
def test_replaying_a_scenario_twice_gives_byte_identical_json(scenario):
    first = to_json(trace_data(replay(scenario)))
    second = to_json(trace_data(replay(scenario)))
    assert first == second


@SLOW
@given(scenarios(MODEL, "gaza_truce"))
def test_generated_scenarios_replay_without_refusal(scenario):
    trace = replay(scenario)
    assert trace.refused == ()
    assert trace.stopped_at is None


@SLOW
@given(applicable_sequences(MODEL, max_size=15))
def test_applicable_sequences_are_accepted_step_after_step(sequence):
    machine = Machine(MODEL)
    for name, values in sequence:
        machine.fire(name, values)  # a RefusedEvent here fails the test


@settings(max_examples=100, deadline=None)
@given(params(MODEL.events["exchange"]))
def test_params_stay_within_the_declared_bounds(values):
    for name, param in MODEL.events["exchange"].params.items():
        assert param.check(values[name]) is None
