"""The command line, through click's CliRunner and once as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from negotiation.cli import cli

ROOT = Path(__file__).parent.parent
GAZA = str(ROOT / "scenarios" / "gaza-2025.yaml")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_run_json_ends_in_mediated_talks_with_the_documented_figures():
    result = invoke("run", GAZA, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    final = data["final"]
    assert final["phase"] == "resumed_strikes, no_deal, mediated_talks"
    assert final["phases"] == {
        "fighting": "resumed_strikes",
        "deal": "no_deal",
        "talks": "mediated_talks",
    }
    ledger = final["ledger"]
    assert ledger["hostages_held_alive"] + ledger["hostages_held_dead"] == 58
    assert ledger["hostages_held_dead"] == 34
    assert ledger["prisoners_released"] == 1800
    assert ledger["killed_since_strikes_resumed"] == 896
    assert data["expect"] == {"checked": True, "met": True, "failures": []}


def test_run_json_has_the_documented_keys_in_a_stable_order():
    data = json.loads(invoke("run", GAZA, "--format", "json").stdout)
    assert list(data)[:3] == ["scenario", "title", "model"]
    assert {"steps", "final"} <= set(data)
    step = data["steps"][0]
    for key in ("event", "date", "phase_before", "phase_after", "ledger_after", "refused"):
        assert key in step
    assert list(data["final"]) == ["phase", "phases", "ledger", "derived"]


def test_run_twice_gives_byte_identical_json():
    first = invoke("run", GAZA, "--format", "json").stdout
    second = invoke("run", GAZA, "--format", "json").stdout
    assert first == second


def test_run_text_shows_phase_changes_changes_and_sources():
    result = invoke("run", GAZA)
    assert result.exit_code == 0
    # Text into a pipe wraps at 80 columns; compare with the line breaks folded away.
    flat = " ".join(result.stdout.split())
    assert "talks mediated_talks → stalled_talks" in flat
    assert "fighting ceasefire → resumed_strikes · deal phase_one → no_deal" in flat
    assert "killed_since_strikes_resumed 0 → 896" in flat
    assert (
        "the health ministry in Hamas-run Gaza (AFP (as republished by Naharnet), 2025-03-28)"
        in flat
    )
    assert "Expectations met." in result.stdout
    assert "\nSources\n" in result.stdout


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


REFUSED = """\
scenario: refused
title: A stall refused because the parties agree (hypothetical)
model: gaza_truce
events:
  - {id: mediators, date: 2025-01-01, event: mediators_join, params: {qatar: true}}
  - {id: talks, date: 2025-01-01, event: talks_open}
  - {id: terms, date: 2025-01-01, event: proposal_made, params: {offer: truce, by: mediator}}
  - {id: yes_israel, date: 2025-01-01, event: proposal_answered,
     params: {party: israel, answer: accepted}}
  - {id: yes_hamas, date: 2025-01-01, event: proposal_answered,
     params: {party: hamas, answer: accepted}}
  - {id: deal, date: 2025-01-02, event: deal_announced, params: {kind: phase_one}}
  - {id: truce, date: 2025-01-03, event: ceasefire_begins}
  - {id: stall, date: 2025-01-04, event: talks_stall}
  - {id: after, date: 2025-01-05, event: strikes_resume}
"""


def test_refused_event_stops_the_replay_names_the_guard_and_exits_1(tmp_path):
    result = invoke("run", write(tmp_path, "s.yaml", REFUSED))
    assert result.exit_code == 1
    assert re.search(r"REFUSED +by guard parties_disagree", result.stdout)
    assert "Replay stopped at 'stall'" in result.stdout
    assert "2025-01-05  after" not in result.stdout


def test_on_refused_skip_records_the_refusal_and_goes_on(tmp_path):
    result = invoke(
        "run", write(tmp_path, "s.yaml", REFUSED), "--on-refused", "skip", "--format", "json"
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [s["refused"]["guard"] for s in data["steps"] if s["refused"]] == ["parties_disagree"]
    assert data["final"]["phases"] == {
        "fighting": "resumed_strikes",
        "deal": "no_deal",
        "talks": "mediated_talks",
    }


def test_failed_expectation_exits_1_and_names_what_differed(tmp_path):
    text = (
        Path(GAZA)
        .read_text(encoding="utf-8")
        .replace("prisoners_released: 1800", "prisoners_released: 1900")
    )
    result = invoke("run", write(tmp_path, "gaza.yaml", text))
    assert result.exit_code == 1
    assert "prisoners_released: expected 1900, got 1800" in result.stdout


def test_bad_file_exits_2_with_a_located_line_and_no_traceback(tmp_path):
    path = write(tmp_path, "bad.yaml", REFUSED.replace("talks_stall", "talks_stal"))
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}:14:42: unknown event 'talks_stal'; did you mean 'talks_stall'?\n"
    )


def test_debug_shows_the_traceback(tmp_path):
    path = write(tmp_path, "bad.yaml", REFUSED.replace("talks_stall", "talks_stal"))
    result = invoke("--debug", "run", path)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_output_file_is_written_and_an_existing_file_survives_a_failed_run(tmp_path):
    out = tmp_path / "trace.json"
    assert invoke("run", GAZA, "--format", "json", "-o", str(out)).exit_code == 0
    good = out.read_text(encoding="utf-8")
    assert json.loads(good)["final"]["phases"]["talks"] == "mediated_talks"
    bad = write(tmp_path, "bad.yaml", "scenario: [\n")
    assert invoke("run", bad, "--format", "json", "-o", str(out)).exit_code == 2
    assert out.read_text(encoding="utf-8") == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "trace.json"]


def test_models_lists_the_builtin_gaza_model():
    result = invoke("models", "--format", "json")
    assert result.exit_code == 0
    assert "gaza_truce" in [m["name"] for m in json.loads(result.stdout)]


@pytest.mark.subprocess
def test_installed_command_runs_as_a_real_process():
    environment = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "negotiation", "run", GAZA, "--format", "json"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["final"]["phases"]["talks"] == "mediated_talks"
    missing = subprocess.run(
        [sys.executable, "-m", "negotiation", "run", "no-such-file.yaml"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )
    assert missing.returncode == 2
    assert missing.stderr == "no-such-file.yaml:1:1: no such file\n"


def test_running_a_model_file_says_it_is_a_model():
    result = invoke("run", str(ROOT / "negotiation" / "models" / "gaza_truce.yaml"))
    assert result.exit_code == 2
    assert "this is a model file, not a scenario" in result.stderr


def test_debug_may_follow_the_command(tmp_path, capsys):
    from negotiation.cli import main

    path = write(tmp_path, "bad.yaml", REFUSED.replace("talks_stall", "talks_stal"))
    assert main(["run", path, "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err
