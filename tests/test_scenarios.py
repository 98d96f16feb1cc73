"""Every shipped scenario replays and meets its own `expect:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from negotiation import load_scenario, replay

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_meets_its_expectations(path):
    scenario = load_scenario(path)
    assert scenario.expect is not None, "a shipped scenario states what it must end in"
    trace = replay(scenario)
    assert trace.stopped_at is None
    assert trace.expectation_failures == ()
    assert trace.violations == ()


def test_documented_scenario_ends_with_the_figures_of_the_article():
    trace = replay(load_scenario(SCENARIOS[0].parent / "gaza-2025.yaml"))
    ledger = trace.final.ledger
    assert trace.final.phases == {
        "fighting": "resumed_strikes",
        "deal": "no_deal",
        "talks": "mediated_talks",
    }
    assert (ledger["hostages_held_alive"], ledger["hostages_held_dead"]) == (24, 34)
    assert ledger["hostages_seized"] == 252  # 251 on 7 October, and 1 held from before the war
    assert ledger["prisoners_released"] == 1800
    assert ledger["killed_since_strikes_resumed"] == 896


def test_every_event_of_the_documented_scenario_cites_a_declared_source():
    scenario = load_scenario(SCENARIOS[0].parent / "gaza-2025.yaml")
    for entry in scenario.events:
        assert entry.claims, f"{entry.id} has no claim"
        for claim in entry.claims:
            assert claim.source in scenario.sources
            assert claim.by.strip()
