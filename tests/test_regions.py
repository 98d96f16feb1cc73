"""Statecharts: regions that change on their own, events across regions, derived values, and a
phase's planned time (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from negotiation import FileError, Machine, Refused, load_model, load_scenario, replay
from negotiation.analyses.lint import lint_model
from negotiation.analyses.sensitivity import sensitivity
from negotiation.cli import cli
from negotiation.render.data import trace_data

MODELS = Path(__file__).parent / "models"
GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parent.parent
TWO = load_model(MODELS / "two_regions.yaml")


def test_the_state_is_one_phase_per_region() -> None:
    machine = Machine(TWO)
    assert machine.phases == {"fighting": "war", "deal": "no_deal"}
    machine.fire("ceasefire_begins")
    assert machine.phases == {"fighting": "ceasefire", "deal": "phase_one"}


def test_an_event_needs_every_region_it_names() -> None:
    machine = Machine(TWO, ["ceasefire"])  # the deal's region stays at no_deal
    outcome = machine.attempt("release", {"count": 1})
    assert isinstance(outcome, Refused)
    assert outcome.rule.kind == "phase"
    assert outcome.values == {"deal": "no_deal"}


def test_guards_read_a_region_by_its_name() -> None:
    machine = Machine(TWO, ["ceasefire", "phase_one"])
    outcome = machine.attempt("strikes")
    assert isinstance(outcome, Refused)
    assert [o.guard for o in outcome.refusals] == ["after_lapse"]
    assert outcome.refusals[0].values == {"deal": "phase_one"}


def test_the_scenario_replays_with_its_lapse_and_derived_total() -> None:
    trace = replay(load_scenario(MODELS / "two-regions-scenario.yaml"))
    assert trace.ok
    data = trace_data(trace)
    assert data["final"]["phases"] == {"fighting": "war", "deal": "done"}
    assert data["final"]["derived"] == {"seized": 5}


def test_a_lapse_dated_before_the_planned_end_is_refused_by_time(tmp_path: Path) -> None:
    text = (MODELS / "two-regions-scenario.yaml").read_text(encoding="utf-8")
    (tmp_path / "two_regions.yaml").write_text(
        (MODELS / "two_regions.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    early = tmp_path / "early.yaml"
    early.write_text(
        text.replace(
            "date: 2025-03-02, event: phase_one_expires",
            "date: 2025-02-20, event: phase_one_expires",
        )
    )
    trace = replay(load_scenario(early))
    [step] = trace.refused
    assert step.entry.id == "c"
    assert step.refused is not None and step.refused.rule.kind == "time"
    assert "planned to last 42 days from 2025-01-19, to 2025-03-02" in step.refused.reason


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("to: lapsed", "to: [lapsed, phase_one]"), "are both in region 'deal'"),
        (
            ("    from: [lapsed]\n    to: done", "    from: [done]\n    to: lapsed"),
            "'done' is final",
        ),
        (("expires: phase_one", "expires: ceasefire"), "has no planned_days"),
        (("  seized: {value: held + freed", "  seized: {value: held + deal"), "deal"),
    ],
    ids=[
        "two-phases-of-one-region",
        "leaves-a-final-phase",
        "expires-unplanned",
        "derived-reads-a-region",
    ],
)
def test_region_mistakes_are_located(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = (MODELS / "two_regions.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "model.yaml"
    path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    with pytest.raises(FileError) as error:
        load_model(path)
    assert any(message in problem.message for problem in error.value.problems)


def test_lint_reasons_region_by_region(tmp_path: Path) -> None:
    assert lint_model(TWO) == []
    text = (MODELS / "two_regions.yaml").read_text(encoding="utf-8")
    path = tmp_path / "model.yaml"
    path.write_text(
        text.replace("    from: [phase_one]\n    expires", "    from: [lapsed]\n    expires")
    )
    with pytest.raises(FileError) as error:
        load_model(path)  # expires needs its phase among `from`
    assert "fires only from lapsed" in str(error.value)


def test_lint_finds_a_phase_no_event_can_reach(tmp_path: Path) -> None:
    text = (MODELS / "two_regions.yaml").read_text(encoding="utf-8")
    path = tmp_path / "model.yaml"
    path.write_text(text.replace("    from: [lapsed]\n    to: done", "    from: [lapsed]"))
    findings = {(f.section, f.name) for f in lint_model(load_model(path))}
    assert ("phases", "done") in findings


# --- checkpoints -------------------------------------------------------------------------------


def test_every_checkpoint_is_checked_where_it_stands() -> None:
    trace = replay(load_scenario(MODELS / "two-regions-scenario.yaml"))
    assert [(r.at, r.met) for r in trace.checkpoints] == [("report_after_b", True), ("e", True)]


def test_a_checkpoint_that_disagrees_fails_at_its_own_step(tmp_path: Path) -> None:
    for name in ("two_regions.yaml", "two-regions-scenario.yaml"):
        (tmp_path / name).write_text((MODELS / name).read_text(encoding="utf-8"))
    path = tmp_path / "two-regions-scenario.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("values: {held: 3, seized: 5", "values: {held: 4, seized: 5"))
    trace = replay(load_scenario(path))
    assert not trace.ok
    assert trace.stopped_at == "report_after_b"
    [failed] = trace.checkpoint_failures
    [mismatch] = failed.mismatches
    assert (mismatch.reported.name, mismatch.reported.value, mismatch.got) == ("held", 4, 3)
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 1
    assert (
        "Checkpoint failed at 'report_after_b': held reported as 4 by wire, the replay gives 3"
        in " ".join(result.stdout.split())
    )


def test_a_figure_checkpoint_admits_its_range(tmp_path: Path) -> None:
    for name in ("two_regions.yaml", "two-regions-scenario.yaml"):
        (tmp_path / name).write_text((MODELS / name).read_text(encoding="utf-8"))
    path = tmp_path / "two-regions-scenario.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("freed: {low: 1}", "freed: {low: 3}"))
    [failed] = replay(load_scenario(path)).checkpoint_failures
    assert failed.mismatches[0].reported.text() == "at least 3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("values: {held: 3,", "values: {hold: 3,"), "unknown value 'hold'"),
        (("deal: phase_one,", "deal: war,"), "'deal' must be one of"),
        (("      source: wire\n", "      source: wyre\n"), "unknown source 'wyre'"),
        (("linked: freed_early}\n  - id: report", "linked: fred}\n  - id: report"), "unknown link"),
    ],
    ids=["unknown-value", "phase-of-another-region", "unknown-source", "unknown-link"],
)
def test_checkpoint_mistakes_are_located(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    (tmp_path / "two_regions.yaml").write_text((MODELS / "two_regions.yaml").read_text())
    text = (MODELS / "two-regions-scenario.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    with pytest.raises(FileError) as error:
        load_scenario(path)
    assert any(message in problem.message for problem in error.value.problems), error.value


def test_sensitivity_moves_linked_figures_and_rules_out_what_a_checkpoint_contradicts() -> None:
    result = sensitivity(load_scenario(MODELS / "two-regions-scenario.yaml"))
    moved = {(v.event_id, v.value): v.moved_with for v in result.variants}
    assert moved[("b", 1)] == ("e.count=4",)
    assert all(
        "contradicts the checkpoint at 'report_after_b'" in v.ruled_out for v in result.variants
    )
    assert all(not v.changes for v in result.variants)


def test_an_event_that_leads_a_region_back_to_its_phase_restarts_the_planned_time(
    tmp_path: Path,
) -> None:
    text = (MODELS / "two_regions.yaml").read_text(encoding="utf-8")
    renewal = "  renewed:\n    from: [phase_one]\n    expires: phase_one\n    to: phase_one\n"
    (tmp_path / "two_regions.yaml").write_text(
        text.replace("  strikes:\n", renewal + "  strikes:\n")
    )
    events = """events:
  - {id: a, date: 2025-01-19, event: ceasefire_begins}
  - {id: renewal, date: 2025-03-02, event: renewed}
  - {id: too_soon, date: 2025-04-01, event: renewed}
"""
    (tmp_path / "s.yaml").write_text(
        "scenario: s\ntitle: Renewals\nmodel: two_regions.yaml\nstart: {date: 2025-01-01}\n"
        + events
    )
    trace = replay(load_scenario(tmp_path / "s.yaml"))
    assert [step.entry.id for step in trace.refused] == ["too_soon"]
    assert "from 2025-03-02, to 2025-04-13" in trace.refused[0].refused.reason


def test_a_model_with_one_region_in_the_first_format_replays_as_it_did_before_regions() -> None:
    # tests/golden/one-region-replay.json was written by the program as it was before regions
    # (commit f5d709f), from the unchanged example files: each step's phase and ledger.
    golden = json.loads((GOLDEN / "one-region-replay.json").read_text(encoding="utf-8"))
    for name, expected in golden.items():
        trace = replay(load_scenario(ROOT / name), on_refused="skip")
        steps = [[s.entry.id, s.after.phase, dict(s.after.ledger), s.applied] for s in trace.steps]
        assert steps == expected["steps"]
        assert [trace.final.phase, dict(trace.final.ledger)] == expected["final"]
        assert list(trace.final.phases) == ["phase"]
