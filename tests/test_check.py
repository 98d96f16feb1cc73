"""`negotiation check`: validation and lint of files, and hypothesis on a model's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from negotiation.cli import cli

ROOT = Path(__file__).parent.parent
MODELS = Path(__file__).parent / "models"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_broken_rule_gives_a_minimal_counterexample_that_replays_the_failure(tmp_path):
    written = tmp_path / "counterexample.yaml"
    result = invoke(
        "check",
        "--properties",
        str(MODELS / "broken_release.yaml"),
        "--examples",
        "300",
        "--counterexample",
        str(written),
    )
    assert result.exit_code == 1
    assert "✗ the bounds of 'held' is broken" in result.stdout
    # the shortest history that breaks it, found by the exhaustive stage: one event to reach
    # the truce, one release
    assert "Shortest counterexample (2 events):" in result.stdout
    assert "every history of up to 1 event, exhaustively" in result.stdout
    replay = invoke("run", str(written))
    assert replay.exit_code == 1
    assert "would break the bounds of 'held'" in replay.stdout
    assert "Replay stopped at 'step_2'" in replay.stdout


@pytest.mark.slow
def test_broken_history_property_gives_a_counterexample_that_replays_the_failure(tmp_path):
    written = tmp_path / "counterexample.yaml"
    result = invoke(
        "check",
        "--properties",
        str(MODELS / "broken_history.yaml"),
        "--counterexample",
        str(written),
        "--format",
        "json",
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["failure"]["rule"], report["failure"]["kind"]) == (
        "releases_never_decrease",
        "property",
    )
    assert [step["event"] for step in report["counterexample"]] == ["agree", "release", "recount"]
    assert report["scenario_file"] == str(written)
    replay = invoke("run", str(written))
    assert replay.exit_code == 1
    assert "Broken at 'step_3': property 'releases_never_decrease'" in replay.stdout


@pytest.mark.slow
def test_same_seed_gives_the_same_report(tmp_path):
    args = [
        "check",
        "--properties",
        str(MODELS / "broken_history.yaml"),
        "--format",
        "json",
        "--seed",
        "7",
        "--counterexample",
        str(tmp_path / "c.yaml"),
        "--force",
    ]
    assert invoke(*args).stdout == invoke(*args).stdout
    assert json.loads(invoke(*args).stdout)["seed"] == 7


@pytest.mark.slow  # about 40 s: 59 properties judged by the Machine on each history
def test_gaza_model_keeps_its_rules_over_300_histories():
    result = invoke("check", "--properties", "gaza_truce", "--examples", "300", "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["failure"]
    assert report["holds"] is True
    assert report["examples_run"] >= 300
    assert sum(rule.startswith("property ") for rule in report["rules"]) >= 5


def test_check_valid_files_exits_0():
    result = invoke("check", str(ROOT / "scenarios" / "gaza-2025.yaml"), "gaza_truce")
    assert result.exit_code == 0
    assert "ok (scenario gaza_2025)" in result.stdout
    assert "ok (model gaza_truce)" in result.stdout


LINTED = """\
model: linted
title: A model with a dead end and an island (for tests)
variables:
  n: {type: int, min: 0, max: 5, initial: 0}
phases:
  start: {title: Start}
  dead_end: {title: Dead end}
  island: {title: Island}
initial: start
events:
  go: {from: [start], to: dead_end}
  leave_island: {from: [island], to: start}
"""


def test_lint_finds_unreachable_phases_dead_ends_and_events_that_never_fire(tmp_path):
    path = tmp_path / "linted.yaml"
    path.write_text(LINTED, encoding="utf-8")
    result = invoke("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:7:3: warning: phase 'dead_end' has no way out" in result.stdout
    assert f"{path}:8:3: warning: phase 'island' can never be reached" in result.stdout
    assert f"{path}:12:3: warning: event 'leave_island' can never fire" in result.stdout


def test_check_invalid_file_exits_2_with_every_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        LINTED.replace("to: dead_end", "to: ded_end").replace("[island]", "[iland]"),
        encoding="utf-8",
    )
    result = invoke("check", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:11:27: unknown phase 'ded_end'; did you mean 'dead_end'?",
        f"{path}:12:25: unknown phase 'iland'; did you mean 'island'?",
    ]


def test_properties_takes_exactly_one_model():
    result = CliRunner().invoke(cli, ["check", "--properties", "gaza_truce", "gaza_truce"])
    assert result.exit_code == 2
    assert "--properties takes one model" in result.stderr
    assert result.stdout == ""


def test_properties_without_a_model_is_a_usage_error():
    # click refuses a missing FILES argument before the command's own one-model rule is reached
    result = CliRunner().invoke(cli, ["check", "--properties"])
    assert result.exit_code == 2
    assert "Missing argument 'FILES...'" in result.stderr


@pytest.mark.parametrize(
    "option", [["--examples", "0"], ["--steps", "0"], ["--examples", "-5"]], ids=str
)
def test_properties_budget_must_be_positive(option):
    result = CliRunner().invoke(cli, ["check", "--properties", "gaza_truce", *option])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_tiny_budget_still_applies_events():
    args = ["--examples", "1", "--depth", "1", "--format", "json"]
    result = invoke("check", "--properties", "gaza_truce", *args)
    report = json.loads(result.stdout)
    assert report["exhaustive"]["depth"] == 1
    assert report["events_fired"] > report["exhaustive"]["transitions"] >= 1
    assert report["examples_run"] == 1


def test_an_existing_counterexample_file_is_not_overwritten(tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("precious", encoding="utf-8")
    args = [
        "check",
        "--properties",
        str(MODELS / "broken_release.yaml"),
        "--counterexample",
        str(target),
    ]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert target.read_text(encoding="utf-8") == "precious"
    assert invoke(*args, "--force").exit_code == 1
    assert "step_2" in target.read_text(encoding="utf-8")


def test_budget_options_need_properties():
    result = CliRunner().invoke(cli, ["check", "gaza_truce", "--examples", "5"])
    assert result.exit_code == 2
    assert "--examples needs --properties" in result.stderr
    result = CliRunner().invoke(cli, ["check", "gaza_truce", "--depth", "5"])
    assert result.exit_code == 2
    assert "--depth needs --properties or --coverage" in result.stderr


def test_properties_on_a_scenario_says_it_is_a_scenario():
    result = invoke("check", "--properties", str(ROOT / "scenarios" / "gaza-2025.yaml"))
    assert result.exit_code == 2
    assert "this is a scenario file, not a model" in result.stderr


def test_properties_leave_nothing_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--properties", str(MODELS / "two_regions.yaml"), "--examples", "20")
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []
