"""`negotiation explore` and `negotiation.analyses.explore`: exact counts on a small model
(worked out by hand below), a planted bug found with a shortest counterexample, bounds that end
the search incomplete, the JSON keys, located errors, and a path to the Gaza model's phase two
written as a scenario that `negotiation run` replays to phase two."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from negotiation.analyses.explore import cone, explore
from negotiation.cli import cli
from negotiation.rules.load import load_model
from negotiation.semantics.outcomes import Rule

ROOT = Path(__file__).parent.parent
TWO_REGIONS = str(ROOT / "tests" / "models" / "two_regions.yaml")
BROKEN_RELEASE = str(ROOT / "tests" / "models" / "broken_release.yaml")
GAZA = str(ROOT / "scenarios" / "gaza-2025.yaml")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_two_regions_explored_completely_with_counts_by_hand() -> None:
    # Start (war, no_deal, held 5). ceasefire_begins: (ceasefire, phase_one, h) for h = 5..0
    # by releases (6 states); phase_one_expires: (ceasefire, lapsed, h) (6); strikes, allowed
    # once lapsed: (war, lapsed, h) (6); end, once held == 0: (ceasefire, done) and
    # (war, done) (2). 1 + 6 + 6 + 6 + 2 = 21 states.
    # Transitions: 1 from the start; from (ceasefire, phase_one, h) h releases + 1 expiry:
    # 21; from (ceasefire, lapsed, h) h releases + strikes, + end at h = 0: 22; from
    # (war, lapsed, h) h releases, + end at 0: 16; none from done. 1 + 21 + 22 + 16 = 60.
    # The deepest: ceasefire_begins, release(5), expires, strikes, end: 5.
    result = explore(load_model(TWO_REGIONS))
    assert (result.states, result.transitions, result.depth) == (21, 60, 5)
    assert result.complete and result.stopped is None
    assert result.violations == () and result.dead_end_count == 0
    assert result.unreached_phases == () and result.unfired_events == ()
    assert [name for name, _ in result.reachable["done"]] == [
        "ceasefire_begins",
        "release",
        "phase_one_expires",
        "end",
    ]
    assert result.reachable["done"][1][1] == {"count": 5}
    assert result.reachable["war"] == ()


def test_a_planted_bug_is_found_with_a_shortest_counterexample() -> None:
    result = explore(load_model(BROKEN_RELEASE))
    (found,) = result.violations
    assert found.rule == Rule("bounds", "held")
    assert found.path == (("agree", {}), ("release", {"count": 4}))
    assert result.dead_end_count == 1  # truce with all three released: every release breaks


def test_the_cli_exits_1_with_the_counterexample() -> None:
    done = invoke("explore", BROKEN_RELEASE)
    assert done.exit_code == 1
    assert "after 2 events: agree -> release(count=4)" in done.output
    assert all(len(line) <= 80 for line in done.output.splitlines())


def test_max_states_ends_the_search_incomplete() -> None:
    data = json.loads(
        invoke("explore", TWO_REGIONS, "--max-states", "5", "--format", "json").output
    )
    assert data["complete"] is False and data["stopped"] == "max-states"
    assert data["states"] == 5
    shallow = json.loads(
        invoke("explore", TWO_REGIONS, "--max-depth", "1", "--format", "json").output
    )
    assert shallow["complete"] is False and shallow["depth"] == 1 and shallow["states"] == 2


def test_json_keys() -> None:
    done = invoke("explore", TWO_REGIONS, "--format", "json")
    assert done.exit_code == 0
    data: dict[str, Any] = json.loads(done.output)
    for key in ("states", "transitions", "depth", "complete", "seconds", "reachable", "violations"):
        assert key in data
    assert data["reachable"]["lapsed"] == [
        {"event": "ceasefire_begins", "params": {}},
        {"event": "phase_one_expires", "params": {}},
    ]
    assert (data["states"], data["transitions"], data["depth"]) == (21, 60, 5)


def test_domain_overrides_the_values_tried() -> None:
    data = json.loads(
        invoke("explore", TWO_REGIONS, "--domain", "release.count=5", "--format", "json").output
    )
    assert data["domains"] == {"release": {"count": [5]}}
    assert data["states"] == 1 + 2 + 2 + 2 + 2  # held 5 or 0 in each of four phase pairs, + done


def test_located_errors_exit_2_in_one_line() -> None:
    for args, words in (
        (("explore", TWO_REGIONS, "--target", "phase_three"), "unknown phase 'phase_three'"),
        (("explore", "--from", GAZA, "--after", "no_such_entry"), "'--after'"),
        (("explore", TWO_REGIONS, "--domain", "release.amount=1"), "no parameter 'amount'"),
    ):
        done = CliRunner().invoke(cli, list(args))
        assert done.exit_code == 2, done.output
        lines = done.output.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], lines


def test_the_cone_of_phase_two_leaves_out_what_cannot_matter() -> None:
    events, variables = cone(load_model("gaza_truce"), "phase_two")
    assert {"phase_two_begins", "deal_announced", "ceasefire_begins"} <= events
    assert "casualties_reported" not in events and "aid_entering" not in variables


def test_a_path_to_gaza_phase_two_replays_to_phase_two(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    done = invoke(
        "explore",
        "--from",
        GAZA,
        "--after",
        "hostages_still_held",
        "--target",
        "phase_two",
        "--write-path",
        "phase_two",
        "p.yaml",
    )
    assert done.exit_code == 0, done.output
    text = (tmp_path / "p.yaml").read_text()
    assert "hypothetical" in text and 'model: "gaza_truce"' in text
    ran = invoke("run", "p.yaml", "--format", "json")
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.output)
    assert data["final"]["phases"]["deal"] == "phase_two"
    assert data["violations"] == []
