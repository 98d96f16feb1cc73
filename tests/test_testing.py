"""negotiation.testing's strategies: what they generate, and the properties they let us state.

The round trip of the scenario format (load(dump(scenario)) == scenario) is in test_writer.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from negotiation import Machine, load_model, replay
from negotiation.render.data import to_json, trace_data
from negotiation.scenarios.figures import Figure
from negotiation.scenarios.scenario import Checkpoint, Reported, Scenario
from negotiation.testing import (
    applicable_sequences,
    counterfactual_scenarios,
    params,
    scenarios,
)

MODEL = load_model("gaza_truce")
TWO_REGIONS_FILE = Path(__file__).parent / "models" / "two_regions.yaml"
TWO_REGIONS = load_model(TWO_REGIONS_FILE)
# Each Gaza replay also searches what stays reachable from where it ends, so the quick run draws
# a few scenarios; the large run (marked slow, run by .ci/run) draws many.
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LARGE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@SLOW
@given(scenarios(MODEL, "gaza_truce"))
def test_replaying_a_scenario_twice_gives_byte_identical_json(scenario):
    first = to_json(trace_data(replay(scenario)))
    second = to_json(trace_data(replay(scenario)))
    assert first == second


@pytest.mark.slow
@SLOW
@given(scenarios(MODEL, "gaza_truce"))
def test_generated_scenarios_replay_without_refusal(scenario):
    trace = replay(scenario)
    assert trace.refused == ()
    assert trace.stopped_at is None


@pytest.mark.slow
@SLOW
@given(scenarios(MODEL, "gaza_truce"))
def test_generated_scenarios_meet_their_expectations(scenario):
    assert replay(scenario).expectation_failures == ()


@pytest.mark.slow
@LARGE
@given(scenarios(MODEL, "gaza_truce"))
def test_many_generated_scenarios_replay_identically_without_refusal_and_meet_expectations(
    scenario,
):
    trace = replay(scenario)
    assert trace.refused == () and trace.stopped_at is None
    assert trace.expectation_failures == ()
    assert to_json(trace_data(trace)) == to_json(trace_data(replay(scenario)))


def figures_of(scenario: Scenario) -> list[Figure]:
    return [figure for entry in scenario.events for figure in entry.figures.values()]


def checkpoints_of(scenario: Scenario) -> list[Checkpoint]:
    return [entry.checkpoint for entry in scenario.events if entry.checkpoint is not None]


def reported_of(scenario: Scenario) -> list[Reported]:
    return [reported for checkpoint in checkpoints_of(scenario) for reported in checkpoint.values]


def reported_figures(scenario: Scenario) -> list[Figure]:
    return [r.figure for r in reported_of(scenario) if r.figure is not None]


def date_texts(scenario: Scenario) -> list[str]:
    return [entry.date.text for entry in scenario.events if entry.date is not None]


# What the round trip of tests/test_writer.py can only check if the strategies generate it.
GENERATED: dict[str, Callable[[Scenario], bool]] = {
    "several sources": lambda s: len(s.sources) > 1,
    "graded sources": lambda s: any(x.reliability and x.credibility for x in s.sources.values()),
    "source urls and dates": lambda s: any(x.url and x.date for x in s.sources.values()),
    "a source id YAML reads as a boolean": lambda s: "true" in s.sources or "no" in s.sources,
    "figure ranges": lambda s: any(f.low is not None and f.high is not None for f in figures_of(s)),
    "figure values per source": lambda s: any(len(f.values) > 1 for f in figures_of(s)),
    "figure derivations": lambda s: any(f.derived for f in figures_of(s)),
    "links with a description": lambda s: any(s.link_descriptions.values()),
    "a claim's confidence": lambda s: any(c.confidence for e in s.events for c in e.claims),
    "a checkpoint beside an event": lambda s: any(
        e.event is not None and e.checkpoint is not None for e in s.events
    ),
    "a checkpoint alone": lambda s: any(e.event is None for e in s.events),
    "a checkpoint's confidence, by and says": lambda s: any(
        c.confidence and c.by and c.says for c in checkpoints_of(s)
    ),
    "a checkpoint's true/false": lambda s: any(isinstance(r.value, bool) for r in reported_of(s)),
    "a checkpoint's number": lambda s: any(
        type(r.value) is int and r.figure is None for r in reported_of(s)
    ),
    "a checkpoint's range with no best": lambda s: any(f.best is None for f in reported_figures(s)),
    "a checkpoint's open bound": lambda s: any(
        (f.low is None) != (f.high is None) for f in reported_figures(s)
    ),
    "CAMEO and PLOVER codes together": lambda s: any(
        e.codes and e.codes.cameo and e.codes.plover for e in s.events
    ),
    "PLOVER modes and contexts": lambda s: any(
        e.codes and e.codes.plover_mode and e.codes.plover_context for e in s.events
    ),
    "actors": lambda s: any(e.actor for e in s.events),
    "several claims on one entry": lambda s: any(len(e.claims) > 1 for e in s.events),
    "a disputed claim": lambda s: any(c.stance == "disputed" for e in s.events for c in e.claims),
    "notes with YAML's indicators": lambda s: any(set(e.note) & set("#&*!:'\"") for e in s.events),
    "a newline in the title": lambda s: "\n" in s.title,
    "a unicode line separator in a text": lambda s: any(
        "\u2028" in text
        for text in (s.title, s.description, *(x.title for x in s.sources.values()))
    ),
    "undated entries": lambda s: any(e.date is None for e in s.events),
    "ranges of days": lambda s: any("/" in t and ".." not in t for t in date_texts(s)),
    "open-ended dates": lambda s: any(".." in t for t in date_texts(s)),
    "unspecified digits": lambda s: any("X" in t for t in date_texts(s)),
    "approximate or uncertain dates": lambda s: any(t[-1] in "~?%" for t in date_texts(s)),
    "a month or a year": lambda s: any(len(t.rstrip("?")) in (4, 7) for t in date_texts(s)),
    "a start date": lambda s: s.start_date is not None,
    "a start phase other than the initial": lambda s: s.start_phases != MODEL.initial,
    "changed starting values": lambda s: s.start_ledger != MODEL.initial_ledger(),
    "an expected phase": lambda s: bool(s.expect and s.expect.phases),
    "expected values": lambda s: bool(s.expect and s.expect.ledger),
    "expected holds": lambda s: bool(s.expect and s.expect.holds),
}

# ... and what a model with regions has (tests/models/two_regions.yaml), with the figures its
# `release` count makes common (the Gaza model's figures are rarer).
REGIONS_GENERATED: dict[str, Callable[[Scenario], bool]] = {
    "figure scopes": lambda s: any(f.scope for f in figures_of(s)),
    "linked figures": lambda s: any(f.linked for f in figures_of(s)),
    "a checkpoint's linked, scoped figure": lambda s: any(
        f.linked and f.scope for f in reported_figures(s)
    ),
    "a figure value's confidence": lambda s: any(
        v.confidence for f in (*figures_of(s), *reported_figures(s)) for v in f.values
    ),
    "start phases moved in two regions": lambda s: all(
        s.start_phases[region] != phase for region, phase in TWO_REGIONS.initial.items()
    ),
    "expected phases of every region": lambda s: bool(s.expect and len(s.expect.phases) == 2),
    "expected phases of one region": lambda s: bool(s.expect and len(s.expect.phases) == 1),
    "a dated lapse": lambda s: any(
        e.event == "phase_one_expires" and e.date is not None for e in s.events
    ),
    "a checkpoint's phase": lambda s: any(r.name in ("fighting", "deal") for r in reported_of(s)),
    "a checkpoint's derived value": lambda s: any(r.name == "seized" for r in reported_of(s)),
}

COUNTERFACTUAL_GENERATED: dict[str, Callable[[Scenario, Scenario], bool]] = {
    "a divergence": lambda base, cf: cf.diverge_at is not None and cf.inherited > 0,
    "all the base's events kept": lambda base, cf: cf.diverge_at is None and cf.inherited > 0,
    "own events after the kept ones": lambda base, cf: cf.inherited > 0 and bool(cf.own_events),
    "guard overrides": lambda base, cf: bool(cf.rule_overrides and cf.rule_overrides.guards),
    "event overrides": lambda base, cf: bool(cf.rule_overrides and cf.rule_overrides.events),
    "an own start phase": lambda base, cf: bool(cf.own_start and cf.own_start.phase),
    "an own start date": lambda base, cf: bool(cf.own_start and cf.own_start.date),
    "own starting values": lambda base, cf: bool(cf.own_start and cf.own_start.ledger),
    "a source replacing the base's": lambda base, cf: any(
        sid in base.sources and base.sources[sid] != source for sid, source in cf.sources.items()
    ),
    "its own model": lambda base, cf: cf.model_reference != "",
    "a rationale": lambda base, cf: cf.rationale != "",
}
# Derandomized, and with enough examples that each field turns up several times: a field the
# strategies stop generating fails the test, not one run in ten.
COLLECT = settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.slow
def test_scenarios_generate_every_field():
    seen: set[str] = set()

    @COLLECT
    @given(scenarios(MODEL, "gaza_truce"))
    def collect(scenario):
        seen.update(what for what, has in GENERATED.items() if has(scenario))

    collect()
    assert sorted(set(GENERATED) - seen) == []


@pytest.mark.slow
def test_scenarios_of_a_model_with_regions_generate_what_regions_allow():
    seen: set[str] = set()

    @settings(COLLECT, max_examples=250)
    @given(scenarios(TWO_REGIONS, str(TWO_REGIONS_FILE)))
    def collect(scenario):
        seen.update(what for what, has in REGIONS_GENERATED.items() if has(scenario))

    collect()
    assert sorted(set(REGIONS_GENERATED) - seen) == []


@pytest.mark.slow
def test_counterfactual_scenarios_generate_every_field():
    seen: set[str] = set()

    @settings(COLLECT, max_examples=120)
    @given(counterfactual_scenarios(MODEL, "gaza_truce"))
    def collect(pair):
        seen.update(what for what, has in COUNTERFACTUAL_GENERATED.items() if has(*pair))

    collect()
    assert sorted(set(COUNTERFACTUAL_GENERATED) - seen) == []


@pytest.mark.slow
@settings(SLOW, max_examples=100)
@given(scenarios(TWO_REGIONS, str(TWO_REGIONS_FILE)))
def test_generated_scenarios_of_a_model_with_regions_replay_and_meet_their_checkpoints(scenario):
    # Its phase one lapses (`expires`) after 42 days: the replay refuses a lapse dated earlier.
    trace = replay(scenario)
    assert (trace.refused, trace.stopped_at, trace.checkpoint_failures) == ((), None, ())
    assert trace.expectation_failures == ()


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
