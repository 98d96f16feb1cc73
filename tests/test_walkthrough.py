"""The walkthrough: its session as a state machine driven by commands, the command through
CliRunner with scripted input, its handout and lesson page, `--until` on `run` and
`walkthrough`, and once through a real terminal (tmux)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner, Result

from negotiation.cli import cli
from negotiation.render.walkthrough import render_lesson, render_screen
from negotiation.scenarios.load import load_scenario
from negotiation.scenarios.replay import replay
from negotiation.teaching.walkthrough import (
    Answer,
    BranchEnd,
    Choices,
    Debrief,
    Goodbye,
    Message,
    Screen,
    Session,
    Start,
    Step,
    Walkthrough,
    questions_in,
    walkthrough,
)

S = TypeVar("S")

MODEL = """\
model: two_regions_taught
title: A truce with talks beside it
description: A ceasefire beside a deal whose phase one lapses after 42 days.
regions:
  fighting:
    title: The fighting
    initial: war
    phases:
      war: {title: War, teaching: "The starting point. Ask what each side demands first."}
      ceasefire: {title: Ceasefire, teaching: "A ceasefire is not a deal. Who gains from the gap?"}
  deal:
    title: The deal
    initial: no_deal
    phases:
      no_deal: {title: No deal}
      phase_one: {title: Phase one, planned_days: 42}
      lapsed: {title: Phase one lapsed, teaching: "Compare the lapse with a breakdown."}
      done: {title: Done, final: true}
variables:
  held: {type: int, min: 0, max: 10, initial: 5}
  freed: {type: int, min: 0, max: 10, initial: 0}
events:
  ceasefire_begins:
    from: [war, no_deal]
    to: [ceasefire, phase_one]
  release:
    from: [phase_one, lapsed]
    params: {count: {type: int, min: 1, max: 10}}
    guards:
      - {name: enough, when: count <= held, reason: no more than are held}
    effects: {held: held - count, freed: freed + count}
  phase_one_expires:
    from: [phase_one]
    expires: phase_one
    to: lapsed
  strikes:
    from: [ceasefire]
    to: war
    guards:
      - {name: after_lapse, when: "deal == 'lapsed'", reason: strikes only after the lapse}
  end:
    from: [lapsed]
    to: done
    guards:
      - {name: all_free, when: held == 0, reason: everyone freed}
"""

BASE = """\
scenario: base
title: The record
description: A made-up record for the tests.
model: model.yaml
sources:
  wire: {publisher: Example Wire, title: A made-up report, date: 2025-03-01}
start: {date: 2025-01-01}
events:
  - id: a
    date: 2025-01-19
    event: ceasefire_begins
    claims: [{by: the wire, source: wire, says: The guns fell silent.}]
  - {id: b, date: 2025-02-01, event: release, params: {count: 2}}
  - {id: c, date: 2025-03-02, event: phase_one_expires}
  - {id: d, date: 2025-03-18, event: strikes, note: "The strikes resumed. Why then?"}
  - {id: e, date: 2025-03-20, event: release, params: {count: 3}}
  - {id: f, date: 2025-03-21, event: end}
"""

WHAT_IF = """\
scenario: what_if
title: What if the releases had gone on?
extends: base.yaml
diverge_at: d
rationale: Ask what a release instead of strikes would have needed.
events:
  - {id: more_releases, date: 2025-03-18, event: release, params: {count: 3}}
  - {id: ended, date: 2025-03-19, event: end}
"""

# The record's steps are numbered 1-6; the counterfactual replaces step 4 ('d', index 3), so
# the decision point follows step 3. Its options are ordered by id: 1 'd' (what happened),
# 2 'more_releases'.
DIVERGES = 3
REAL, ALTERNATIVE = "1", "2"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "model.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "what-if.yaml").write_text(WHAT_IF, encoding="utf-8")
    return tmp_path


@pytest.fixture
def walk(folder: Path) -> Walkthrough:
    return walkthrough(folder / "base.yaml")


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def only(screens: tuple[Screen, ...], kind: type[S]) -> S:
    """The one screen of `kind` among `screens`."""
    (screen,) = [s for s in screens if isinstance(s, kind)]
    return screen


# -- the walkthrough's material -----------------------------------------------------------------


def test_counterfactuals_are_found_beside_the_scenario(walk: Walkthrough) -> None:
    (decision,) = walk.decisions
    assert decision.at == DIVERGES
    assert [b.scenario.name for b in decision.branches] == ["what_if"]
    assert [(o.key, o.entry.id if o.entry else None, o.real) for o in decision.options] == [
        ("1", "d", True),
        ("2", "more_releases", False),
    ]


def test_a_file_that_extends_another_scenario_is_no_decision(folder: Path) -> None:
    (folder / "other.yaml").write_text(BASE.replace("scenario: base", "scenario: other"))
    (folder / "what-if-other.yaml").write_text(WHAT_IF.replace("base.yaml", "other.yaml"))
    (decision,) = walkthrough(folder / "base.yaml").decisions
    assert [b.scenario.name for b in decision.branches] == ["what_if"]


def test_a_broken_counterfactual_is_reported_not_fatal(folder: Path) -> None:
    (folder / "what-if-broken.yaml").write_text(WHAT_IF.replace("event: end", "event: nope"))
    walk = walkthrough(folder / "base.yaml")
    assert len(walk.decisions) == 1
    assert [Path(u.path).name for u in walk.unreadable] == ["what-if-broken.yaml"]
    assert "not read" in render_screen(Start(walk))


def test_a_counterfactual_that_goes_on_after_the_record_is_a_decision_at_its_end(
    folder: Path,
) -> None:
    after = WHAT_IF.replace("diverge_at: d\n", "").replace("2025-03-1", "2025-04-1")
    (folder / "what-if.yaml").write_text(after)
    walk = walkthrough(folder / "base.yaml")
    assert walk.unreadable == ()
    (decision,) = walk.decisions
    assert decision.at == 6
    real = next(o for o in decision.options if o.real)
    assert real.entry is None and decision.real is None


def test_debrief_questions_come_from_teaching_notes_with_where_each_comes_from(
    walk: Walkthrough,
) -> None:
    assert [(q.text, q.source) for q in walk.questions] == [
        ("Ask what each side demands first.", "model two_regions_taught, phase war (War)"),
        ("Who gains from the gap?", "model two_regions_taught, phase ceasefire (Ceasefire)"),
        (
            "Compare the lapse with a breakdown.",
            "model two_regions_taught, phase lapsed (Phase one lapsed)",
        ),
        ("Why then?", "scenario base, entry d"),
        (
            "Ask what a release instead of strikes would have needed.",
            "scenario what_if, its rationale",
        ),
    ]


@pytest.mark.parametrize(
    ("note", "questions"),
    [
        ("Planned for 42 days. Ask what happens then.", ["Ask what happens then."]),
        ("A statement. Another one.", []),
        ("Why? Because.", ["Why?"]),
    ],
    ids=["ask", "none", "question-mark"],
)
def test_questions_in_a_teaching_note(note: str, questions: list[str]) -> None:
    assert questions_in(note) == questions


# -- the session --------------------------------------------------------------------------------


def test_a_walk_predicts_wrongly_branches_steps_returns_and_finishes(walk: Walkthrough) -> None:
    session = Session(walk)
    assert isinstance(session.begin()[0], Start)
    step = only(session.handle(f"j {DIVERGES}"), Step)
    assert isinstance(step, Step) and step.index == DIVERGES - 1 and step.decision is not None
    assert ("p", "predict") in session.commands()
    assert isinstance(only(session.handle("p"), Choices), Choices)
    answer = only(session.handle(ALTERNATIVE), Answer)
    assert isinstance(answer, Answer) and not answer.prediction.correct
    inside = only(session.handle("x"), Step)
    assert isinstance(inside, Step) and inside.branch is not None
    assert inside.step.entry.id == "more_releases"
    assert ("r", "return") in session.commands()
    assert only(session.handle("n"), Step).step.entry.id == "ended"
    assert isinstance(only(session.handle("n"), BranchEnd), BranchEnd)
    back = session.handle("r")
    assert isinstance(back[0], Message) and "Back in The record" in back[0].text
    assert back[1] == Step(walk.trace, DIVERGES - 1, None, walk.decisions[0])
    ids = [only(session.handle("n"), Step).step.entry.id for _ in range(3)]
    assert ids == ["d", "e", "f"]
    debrief = only(session.handle(""), Debrief)
    assert isinstance(debrief, Debrief) and len(debrief.predictions) == 1
    assert session.handle("n") == (Goodbye(True),) and session.done


def test_predicting_what_happened_is_right(walk: Walkthrough) -> None:
    session = Session(walk)
    session.handle(f"j {DIVERGES}")
    session.handle("p")
    answer = only(session.handle(REAL), Answer)
    assert isinstance(answer, Answer) and answer.prediction.correct
    assert "Right" in render_screen(answer)


def test_a_key_that_is_no_option_asks_again(walk: Walkthrough) -> None:
    session = Session(walk)
    session.handle(f"j {DIVERGES}")
    session.handle("p")
    assert isinstance(only(session.handle("7"), Message), Message)
    assert session.pending is not None and not session.predictions


@pytest.mark.parametrize(
    ("target", "entry"),
    [("5", "e"), ("b", "b"), ("2025-03-19", "d"), ("2025-03-18", "d")],
    ids=["number", "id", "date-between", "date-of-a-step"],
)
def test_jump(walk: Walkthrough, target: str, entry: str) -> None:
    session = Session(walk)
    step = only(session.handle(f"j {target}"), Step)
    assert step.step.entry.id == entry


def test_jump_before_the_first_step_is_the_start(walk: Walkthrough) -> None:
    assert isinstance(Session(walk).handle("j 2024-01-01")[0], Start)


def test_jump_to_nothing_says_why(walk: Walkthrough) -> None:
    message = only(Session(walk).handle("j nowhere"), Message)
    assert "no step" in message.text


def test_back_goes_one_step_back_and_stops_at_the_start(walk: Walkthrough) -> None:
    session = Session(walk)
    session.handle("n")
    session.handle("n")
    assert only(session.handle("b"), Step).step.entry.id == "a"
    assert isinstance(session.handle("b")[0], Start)
    assert "start" in only(session.handle("b"), Message).text


def test_back_in_a_branch_stops_where_it_begins(walk: Walkthrough) -> None:
    session = Session(walk)
    session.handle(f"j {DIVERGES}")
    session.handle("x")
    message = only(session.handle("b"), Message)
    assert "r returns" in message.text


def test_quit_ends_the_session(walk: Walkthrough) -> None:
    session = Session(walk)
    session.handle("n")
    assert session.handle("q") == (Goodbye(False),) and session.done
    assert session.commands() == ()


def test_predict_and_branch_only_at_a_decision_point(walk: Walkthrough) -> None:
    session = Session(walk)
    session.handle("n")
    assert isinstance(session.handle("p")[0], Message)
    assert isinstance(session.handle("x")[0], Message)
    assert isinstance(session.handle("r")[0], Message)


def test_an_unknown_command_lists_what_works(walk: Walkthrough) -> None:
    message = only(Session(walk).handle("zz"), Message)
    assert "'zz' is not a command here" in message.text


# -- the command --------------------------------------------------------------------------------


def test_command_with_scripted_input_predicts_branches_returns_and_finishes(folder: Path) -> None:
    script = f"j {DIVERGES}\np\n{ALTERNATIVE}\nx\nn\nn\nr\n\nn\nn\nn\nn\n"
    result = run("walkthrough", str(folder / "base.yaml"), input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "Decision point",
        "What happens next? (step 4)",
        "Not what happened: you chose 2.",
        "what if: What if the releases had gone on?",
        "End of the counterfactual",
        "Back in The record, where you left it.",
        "Predictions: 0 of 1 as it happened.",
        "from scenario base, entry d",
        "End of the walkthrough.",
    ):
        assert text in out
    assert out.index("Back in") < out.index("  6  2025-03-21  f  end")


def test_command_right_prediction_and_quit(folder: Path) -> None:
    result = run("walkthrough", str(folder / "base.yaml"), input=f"j {DIVERGES}\np\n{REAL}\nq\n")
    assert result.exit_code == 0
    assert "Right: you chose 1." in result.output
    assert result.output.rstrip().endswith("Walkthrough left.")


def test_end_of_input_quits(folder: Path) -> None:
    result = run("walkthrough", str(folder / "base.yaml"), input="n\n")
    assert result.exit_code == 0
    assert result.output.rstrip().endswith("Walkthrough left.")


def test_step_shows_source_title_rule_reason_phases_and_teaching(folder: Path) -> None:
    result = run("walkthrough", str(folder / "base.yaml"), input="n\nq\n")
    out = result.output
    assert "source   Example Wire, “A made-up report”, 2025-03-01" in out
    assert "phase    fighting war → ceasefire · deal no_deal → phase_one" in out
    assert "teaching ceasefire: A ceasefire is not a deal. Who gains from the gap?" in out
    assert "why      ceasefire_begins has no guard" in out


def test_no_input_prints_the_whole_walkthrough(folder: Path) -> None:
    result = run("walkthrough", str(folder / "base.yaml"), "--no-input")
    assert result.exit_code == 0
    out = result.output
    for number in range(1, 7):
        assert f"step {number} of 6" in out
    assert "What happens next? (step 4)" in out
    assert "What happened (1): strikes" in out
    assert "what if: What if the releases had gone on?" in out
    assert "  5  2025-03-19  ended  end" in out
    assert "Debrief" in out and "Questions, from the teaching notes:" in out
    assert "p predicts" not in out and "you chose" not in out
    assert all(len(line) <= 100 for line in out.splitlines())


def test_markdown_lesson_page_has_a_heading_per_step(folder: Path, tmp_path: Path) -> None:
    page = tmp_path / "lesson.md"
    result = run("walkthrough", str(folder / "base.yaml"), "--format", "markdown", "-o", str(page))
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# The record",
        "## Step 1: 2025-01-19, `a`",
        "## Step 2: 2025-02-01, `b`",
        "## Step 3: 2025-03-02, `c`",
        "## Decision point: what happens next? (step 4)",
        "### The answer",
        "## What if: What if the releases had gone on?",
        "### Step 4: 2025-03-18, `more_releases`",
        "### Step 5: 2025-03-19, `ended`",
        "### End of the counterfactual: What if the releases had gone on?",
        "## Step 4: 2025-03-18, `d`",
        "## Step 5: 2025-03-20, `e`",
        "## Step 6: 2025-03-21, `f`",
        "## Debrief",
    ]
    assert "1. Ask what each side demands first. *(from model two\\_regions\\_taught" in text
    assert "> lapsed: Compare the lapse with a breakdown." in text


def test_markdown_escapes_text_from_files(folder: Path) -> None:
    base = folder / "base.yaml"
    base.write_text(BASE.replace("title: The record", "title: '<b>The *record*</b>'"))
    page = render_lesson(walkthrough(base))
    assert page.startswith("# \\<b\\>The \\*record\\*\\</b\\>\n")


# -- --until --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "steps"),
    [("c", 3), ("3", 3), ("2025-03-17", 3), ("2025-03-18", 4), ("2024-12-31", 0)],
    ids=["id", "number", "date-before-a-step", "date-of-a-step", "before-everything"],
)
def test_replay_until(folder: Path, until: str, steps: int) -> None:
    trace = replay(load_scenario(folder / "base.yaml"), until=until)
    assert len(trace.steps) == steps
    assert trace.until == until and trace.stopped_at is None and trace.ok
    assert not trace.expectations_checked


def test_replay_until_the_last_step_is_no_cut(folder: Path) -> None:
    trace = replay(load_scenario(folder / "base.yaml"), until="f")
    assert len(trace.steps) == 6 and trace.until is None


def test_run_until_says_it_was_cut_where_asked(folder: Path) -> None:
    result = run("run", str(folder / "base.yaml"), "--until", "2025-03-17")
    assert result.exit_code == 0
    assert "Replay cut where asked (until 2025-03-17): 3 later entries not replayed" in (
        result.output
    )
    assert "  4  2025-03-18" not in result.output


def test_run_until_in_json(folder: Path) -> None:
    result = run("run", str(folder / "base.yaml"), "--until", "2", "--format", "json")
    data = json.loads(result.output)
    assert data["until"] == "2" and data["stopped_at"] is None and len(data["steps"]) == 2


@pytest.mark.parametrize(
    ("until", "message"),
    [("9", "there is no step 9: the scenario has 6 steps"), ("dd", "did you mean 'd'?")],
    ids=["number", "id"],
)
def test_run_until_nowhere_is_a_usage_error(folder: Path, until: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["run", str(folder / "base.yaml"), "--until", until])
    assert result.exit_code == 2
    assert message in result.output


def test_walkthrough_until_stops_there_and_still_asks_what_happens_next(folder: Path) -> None:
    result = run("walkthrough", str(folder / "base.yaml"), "--until", "c", "--no-input")
    assert result.exit_code == 0
    out = result.output
    assert "step 3 of 6" in out and "step 4 of 6" not in out
    assert "the walk stops at c, as asked" in out
    assert "What happened (1): strikes" in out  # from the whole record
    assert "Replay cut where asked (until c)" in out


# -- through a real terminal ------------------------------------------------------------------


@pytest.mark.subprocess
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_walkthrough_in_a_terminal(folder: Path) -> None:
    program = Path(sys.executable).parent / "negotiation"
    socket = f"negotiation-test-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket]
    command = f"{program} walkthrough base.yaml; echo EXITED $?; sleep 60"
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "100", "-y", "40", "-c", str(folder), command],
        check=True,
        env={"PATH": "/usr/bin:/bin", "TERM": "xterm", "HOME": str(folder), "LANG": "C.UTF-8"},
    )

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=True
        ).stdout

    def wait_for(text: str) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{screen()}")

    def keys(*sent: str) -> None:
        subprocess.run([*tmux, "send-keys", *sent], check=True)

    try:
        wait_for("q quit")
        keys("j", " ", "3", "Enter")
        wait_for("Decision point")
        keys("p")  # a single key acts at once, with no Enter
        wait_for("What happens next? (step 4)")
        keys(ALTERNATIVE)
        wait_for("Not what happened: you chose 2.")
        keys("x")
        wait_for("what if: What if the releases had gone on?")
        keys("n")
        wait_for("  5  2025-03-19  ended  end")
        keys("r")
        wait_for("Back in The record, where you left it.")
        for _ in range(4):
            keys("n")
        wait_for("Debrief")
        keys("n")
        shown = wait_for("EXITED 0")
        assert "End of the walkthrough." in shown
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
