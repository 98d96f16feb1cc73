"""A file can never run code or compute without bound, and bad input gets one located line.

Each case is the smallest file that once crashed or ran away (issue 8). Every test asserts an
outcome; a watchdog (`signal.alarm`) only turns a hang into a failure, it measures nothing.
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from negotiation.analyses import falsify as falsify_module
from negotiation.analyses.sensitivity import MAX_REPLAYS, sensitivity
from negotiation.cli import cli
from negotiation.errors import FileError
from negotiation.files.yamlfile import read_document
from negotiation.render.check import report_text
from negotiation.rules.load import DEFAULT_INT_BOUND, load_model
from negotiation.scenarios.dates import DateError, parse_date
from negotiation.scenarios.load import load_scenario
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import Broken, Rule
from negotiation.semantics.search import (
    MAX_PARAM_SETS,
    SEARCH_BUDGET,
    candidate_params,
    reachable,
    shortest_breaking_history,
)

ROOT = Path(__file__).parent.parent
EXAMPLE_MODEL = ROOT / "docs" / "examples" / "ceasefire-model.yaml"
EXAMPLE_SCENARIO = ROOT / "docs" / "examples" / "ceasefire-scenario.yaml"
WATCHDOG_SECONDS = 60
LOCATED = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<column>\d+): (?P<message>.+)$", re.M)


@pytest.fixture(autouse=True)
def _watchdog() -> Iterator[None]:
    """Fail a test that hangs instead of hanging the suite; not a measure of speed."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {WATCHDOG_SECONDS} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(WATCHDOG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def scenario(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    """The example scenario beside a copy of its model, with text replaced."""
    (tmp_path / "ceasefire-model.yaml").write_text(EXAMPLE_MODEL.read_text())
    text = EXAMPLE_SCENARIO.read_text()
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def refused_by_cli(arguments: list[str], file: str, line: int, message: str) -> None:
    result = CliRunner().invoke(cli, arguments)
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    located = [m for m in LOCATED.finditer(result.stderr) if message in m["message"]]
    assert located, result.stderr
    assert Path(located[0]["file"]).name == file
    assert int(located[0]["line"]) == line


def refused_by_api(path: Path, line: int, message: str) -> None:
    with pytest.raises(FileError) as raised:
        load_scenario(path)
    problem = raised.value.problems[0]
    assert message in problem.message
    assert problem.location.line == line


# --- 1. tracebacks on plain bad input ---------------------------------------------------------

BAD_VALUES = [
    pytest.param(
        {"{count: 40}": "{count: 0x" + "f" * 5000 + "}"},
        34,
        "an integer of more than",
        id="hex-integer-of-5000-digits",
    ),
    pytest.param(
        {"{count: 40}": "{count: 0o" + "7" * 5000 + "}"},
        34,
        "an integer of more than",
        id="octal-integer-of-5000-digits",
    ),
    pytest.param(
        {"{count: 40}": "{count: 0b" + "1" * 5000 + "}"},
        34,
        "an integer of more than",
        id="binary-integer-of-5000-digits",
    ),
    pytest.param(
        {"model: ceasefire-model.yaml": 'model: ceasefire-model.yaml\nextends: "a\\0.yaml"'},
        6,
        "NUL",
        id="extends-with-a-nul",
    ),
    pytest.param(
        {"model: ceasefire-model.yaml": 'model: "m\\0.yaml"'},
        5,
        "NUL",
        id="model-with-a-nul",
    ),
    pytest.param(
        {"model: ceasefire-model.yaml": "model: ceasefire-model.yaml\nextends: " + "a" * 300},
        6,
        "longer than 255 bytes",
        id="extends-with-a-305-character-name",
    ),
    pytest.param(
        {"model: ceasefire-model.yaml": "model: " + "a" * 300 + ".yaml"},
        5,
        "longer than 255 bytes",
        id="model-with-a-305-character-name",
    ),
    pytest.param(
        {"model: ceasefire-model.yaml": "model: " + "a/" * 3000 + "m.yaml"},
        5,
        "cannot be read",
        id="model-with-a-path-too-long",
    ),
    pytest.param({"date: 2024-04-05": "date: 0000-XX"}, 27, "year 0", id="year-0"),
    pytest.param(
        {"date: 2024-04-05": "date: '{" + ",".join(["2020-01-01"] * 5000) + "}'"},
        27,
        "a date is at most 100 characters",
        id="edtf-set-of-5000-members",
    ),
    pytest.param(
        {"model: ceasefire-model.yaml": "model: /dev/zero"},
        5,
        "is not a regular file",
        id="model-is-a-device",
    ),
]


@pytest.mark.parametrize(("replace", "line", "message"), BAD_VALUES)
def test_bad_value_is_a_located_error_through_the_api(
    replace: dict[str, str], line: int, message: str, tmp_path: Path
) -> None:
    path = scenario(tmp_path, replace)
    refused_by_api(path, line, message)


@pytest.mark.parametrize(("replace", "line", "message"), BAD_VALUES)
def test_bad_value_is_a_located_error_through_the_cli(
    replace: dict[str, str], line: int, message: str, tmp_path: Path
) -> None:
    path = scenario(tmp_path, replace)
    refused_by_cli(["run", str(path)], path.name, line, message)


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "model.yaml"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="is not a regular file"):
        read_document(fifo)
    refused_by_cli(["check", str(fifo)], "model.yaml", 1, "is not a regular file")


def test_huge_sparse_file_is_refused_by_its_size(tmp_path: Path) -> None:
    sparse = tmp_path / "model.yaml"
    with sparse.open("wb") as stream:
        stream.truncate(4 * 1024**3)
    with pytest.raises(FileError, match="file is too large"):
        read_document(sparse)
    refused_by_cli(["check", str(sparse)], "model.yaml", 1, "file is too large")


def test_device_is_refused_as_a_file_to_check() -> None:
    refused_by_cli(["check", "/dev/zero"], "zero", 1, "is not a regular file")


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2025-03~", "2025-03-01", "2025-03-31"),
        ("2025-03?", "2025-03-01", "2025-03-31"),
        ("2025-03-20~", "2025-03-20", "2025-03-20"),
        ("2025~", "2025-01-01", "2025-12-31"),
        ("2025-03-2X", "2025-03-20", "2025-03-29"),
        ("2025-03-20~/2025-04", "2025-03-20", "2025-04-30"),
        ("{2020-01-01,2020-01-05}", "2020-01-01", "2020-01-05"),
        ("[2020-01..2020-03]", "2020-01-01", "2020-03-31"),
        ("2023-10-07/..", "2023-10-07", "None"),
    ],
    ids=lambda value: str(value),
)
def test_common_approximate_dates_give_their_bounds(text: str, earliest: str, latest: str) -> None:
    date = parse_date(text)
    assert (str(date.earliest), str(date.latest)) == (earliest, latest)


@pytest.mark.parametrize("text", ["2025-?", "0000-XX", "2025-02-30~", "x" * 101, "{2020,}"])
def test_bad_date_is_a_date_error(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text)


# --- 2. bounded work ----------------------------------------------------------------------------

MODELS = Path(__file__).parent / "models"


def test_int_without_declared_bounds_gets_the_default_bound() -> None:
    model = load_model(str(MODELS / "squaring.yaml"))
    assert (model.variables["n"].min, model.variables["n"].max) == (
        -DEFAULT_INT_BOUND,
        DEFAULT_INT_BOUND,
    )


def test_squaring_effect_breaks_the_default_bound_instead_of_growing() -> None:
    machine = Machine(load_model(str(MODELS / "squaring.yaml")))
    outcomes = [machine.attempt("square") for _ in range(10)]
    broken = [o for o in outcomes if isinstance(o, Broken)]
    assert broken and broken[0].rule == Rule("bounds", "n")


def test_squaring_model_is_reported_broken_by_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = str(MODELS / "squaring.yaml")
    monkeypatch.chdir(tmp_path)  # the counterexample is written here
    result = CliRunner().invoke(cli, ["check", "--properties", model, "--examples", "20"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert "the bounds of 'n' is broken" in result.stdout


# --- 4. interrupts ------------------------------------------------------------------------------


def _interrupt(*arguments: object, **keywords: object) -> None:
    raise KeyboardInterrupt


def test_interrupt_while_shortening_keeps_the_counterexample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(falsify_module, "shortest_breaking_history", _interrupt)
    # depth 0: no exhaustive stage to find it first; hypothesis finds it, then is interrupted
    report = falsify_module.falsify(load_model(str(MODELS / "squaring.yaml")), 20, depth=0)
    assert report.interrupted
    assert report.failure is not None and report.failure.rule == Rule("bounds", "n")
    assert report.counterexample
    assert "not shortened" in report_text(report, None)


def test_interrupt_while_shortening_is_reported_by_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(falsify_module, "shortest_breaking_history", _interrupt)
    monkeypatch.chdir(tmp_path)
    model = str(MODELS / "squaring.yaml")
    args = ["check", "--properties", model, "--examples", "20", "--depth", "0"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert "not shortened" in result.stdout
    assert (tmp_path / "squaring-counterexample.yaml").is_file()


# --- 5. linear lint, capped problems, budgets (issue 8) --------------------------------------


def _chain_model(tmp_path: Path, size: int = 2000, source: str = "") -> Path:
    """A model of `size` phases and `size` events, each event one step along the chain (from
    the phase before it, or from `source`: `any`)."""
    lines = [
        "model: chain",
        "title: Chain",
        "parties: {a: {title: A, role: mediator}}",
        "variables: {}",
        "phases:",
    ]
    final = ["false"] * (size - 1) + ["true"]
    lines += [f"  p{i}: {{title: P{i}, final: {final[i]}}}" for i in range(size)]
    lines += ["initial: p0", "events:"]
    lines += [f"  e{i}: {{from: {source or f'[p{i}]'}, to: p{i + 1}}}" for i in range(size - 1)]
    lines += [f"  e{size - 1}: {{from: [p0], to: p0}}"]
    path = tmp_path / "chain-model.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("source", ["", "any"], ids=["from-the-phase-before", "from-any"])
def test_lint_of_2000_phases_and_2000_events_finishes(tmp_path: Path, source: str) -> None:
    path = _chain_model(tmp_path, source=source)
    assert path.stat().st_size < 200_000
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stdout + result.stderr


@pytest.mark.slow
def test_lint_of_2000_phases_finds_what_is_unreachable(tmp_path: Path) -> None:
    path = _chain_model(tmp_path)
    text = path.read_text().replace("  e999: {from: [p999], to: p1000}", "  e999: {from: [p999]}")
    path.write_text(text)
    result = CliRunner().invoke(cli, ["check", str(path)])
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "phase 'p1000' can never be reached" in output
    assert "phase 'p999' has no way out" in output
    assert "event 'e1000' can never fire" in output


@pytest.mark.slow
def test_machine_of_2000_phases_and_2000_events_is_built(tmp_path: Path) -> None:
    machine = Machine(load_model(str(_chain_model(tmp_path))))
    assert machine.phase == "p0"


MODEL_HEAD = [
    "model: bad",
    "title: Bad",
    "parties: {a: {title: A, role: mediator}}",
    "variables: {}",
    "initial: p0",
    "phases: {p0: {title: P, final: true}, p1: {title: Q}}",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (["events: {}"] + [f"x{i}: 1" for i in range(100_000)], "unknown field 'x0'"),
        (
            ["events: {e: {to: p1, from: [" + ", ".join(["p1"] * 200_000) + "]}}"],
            "duplicate phase 'p1'",
        ),
    ],
    ids=["100000-unknown-fields", "200000-duplicate-phases"],
)
def test_a_file_of_100000_problems_gives_at_most_101_lines(
    tmp_path: Path, tail: list[str], message: str
) -> None:
    path = tmp_path / "bad-model.yaml"
    path.write_text("\n".join(MODEL_HEAD + tail) + "\n")
    assert 500_000 < path.stat().st_size <= 1_000_000
    with pytest.raises(FileError) as raised:
        load_model(str(path))
    assert len(raised.value.problems) <= 101
    assert message in raised.value.problems[0].message
    assert "there may be more" in raised.value.problems[-1].message
    result = CliRunner().invoke(cli, ["check", str(path)])
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output[-2000:]
    assert "Traceback" not in output
    assert 50 <= len(output.splitlines()) <= 101
    assert message in output


def _many_figures(tmp_path: Path, entries: int = 30, sources: int = 20) -> Path:
    """A scenario of `entries` events, each with a figure of `sources` disagreeing values."""
    (tmp_path / "tally-model.yaml").write_text(
        "model: tally\ntitle: Tally\nparties: {a: {title: A, role: mediator}}\n"
        "variables: {total: {type: int, min: 0, max: 1000000, initial: 0}}\n"
        "phases: {open: {title: Open}, done: {title: Done, final: true}}\ninitial: open\n"
        "events:\n  tick:\n    from: [open]\n    params: {n: {type: int, min: 0, max: 1000}}\n"
        "    effects: {total: total + n}\n  close: {from: [open], to: done}\n"
    )
    lines = ["scenario: many_figures", "title: Many figures", "model: tally-model.yaml"]
    lines += ["sources:"]
    lines += [f"  s{j}: {{publisher: P{j}, title: T{j}, date: 2024-05-01}}" for j in range(sources)]
    lines += ["events:"]
    for i in range(entries):
        values = ", ".join(f"{{source: s{j}, value: {j + 1}}}" for j in range(sources))
        lines += [
            f"  - id: e{i}",
            "    date: 2024-04-01",
            "    event: tick",
            f"    params: {{n: {{best: 1, low: 0, high: 900, values: [{values}]}}}}",
            "    claims: [{by: P0, source: s0}]",
        ]
    lines += ["  - {id: end, date: 2024-04-02, event: close, claims: [{by: P0, source: s0}]}"]
    path = tmp_path / "many-figures.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_sensitivity_stops_at_its_replay_budget_and_says_so(tmp_path: Path) -> None:
    path = _many_figures(tmp_path)
    result = sensitivity(load_scenario(path))
    total = 30 * 21  # low, high and 20 sources' values other than best, per figure
    assert len(result.variants) == MAX_REPLAYS
    assert result.skipped == total - MAX_REPLAYS
    text = CliRunner().invoke(cli, ["run", str(path), "--sensitivity"])
    assert "Traceback" not in text.stdout + text.stderr
    assert (
        f"{total - MAX_REPLAYS} variants not replayed: the budget of {MAX_REPLAYS} replays "
        "was reached" in text.stdout
    )
    data = CliRunner().invoke(cli, ["run", str(path), "--sensitivity", "--format", "json"])
    loaded = json.loads(data.stdout)
    assert loaded["skipped"] == total - MAX_REPLAYS
    assert loaded["replay_budget"] == MAX_REPLAYS
    assert len(loaded["variants"]) == MAX_REPLAYS


def test_sensitivity_under_its_budget_skips_nothing(tmp_path: Path) -> None:
    result = sensitivity(load_scenario(_many_figures(tmp_path, entries=3, sources=2)))
    assert (len(result.variants), result.skipped) == (3 * 3, 0)
    text = CliRunner().invoke(cli, ["run", str(tmp_path / "many-figures.yaml"), "--sensitivity"])
    assert "not replayed" not in text.stdout


WIDE_MODEL = """\
model: wide
title: Wide
parties: {a: {title: A, role: mediator}}
variables: {total: {type: int, min: 0, max: 1000000, initial: 0}}
phases: {open: {title: Open}, done: {title: Done, final: true}}
initial: open
events:
  pick:
    from: [open]
    params: {PARAMS}
    guards:
      - {name: small, when: a + b + c + d + e + f <= 1000000, reason: the total is bounded}
    effects: {total: a + b + c + d + e + f}
  close:
    from: [open]
    to: done
    guards:
      - {name: exact, when: total == 123457, reason: only an exact total closes}
properties:
  - name: can_always_close
    stays_reachable: phase == 'done'
    within: 3
""".replace(
    "PARAMS", ", ".join(f"{name}: {{type: int, min: 0, max: 1000000}}" for name in "abcdef")
)


def _wide(tmp_path: Path) -> Path:
    path = tmp_path / "wide-model.yaml"
    path.write_text(WIDE_MODEL)
    return path


def test_candidate_params_of_six_wide_ints_are_capped_and_not_exhaustive(tmp_path: Path) -> None:
    model = load_model(str(_wide(tmp_path)))
    choices = candidate_params(model.events["pick"], model.initial_ledger())
    sets = list(choices.sets)
    assert 0 < len(sets) <= MAX_PARAM_SETS
    assert not choices.exhaustive
    assert {s["a"] for s in sets} >= {0, 999_999, 1_000_000}  # every value of `a` is tried


def test_search_counts_attempts_and_answers_undecided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(str(_wide(tmp_path)))
    attempts = []
    attempt = Machine.attempt

    def counted(self: Machine, *arguments: Any, **keywords: Any) -> Any:
        attempts.append(1)
        return attempt(self, *arguments, **keywords)

    monkeypatch.setattr(Machine, "attempt", counted)
    prop = model.properties[0]
    assert prop.condition is not None
    start = Machine(model).state
    assert reachable(model, start, prop.condition, 5) is None  # values were chosen: undecided
    assert len(attempts) <= SEARCH_BUDGET
    attempts.clear()
    assert shortest_breaking_history(model, Rule("bounds", "total"), 5, budget=1000) is None
    assert len(attempts) <= 1000


@pytest.mark.slow
def test_stays_reachable_over_six_wide_ints_is_checked_and_replayed(tmp_path: Path) -> None:
    path = _wide(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--properties", str(path), "--examples", "20"])
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exit_code == 0, output  # undecided is never reported as broken
    assert "can_always_close" in result.stdout
    scenario_path = tmp_path / "wide-scenario.yaml"
    scenario_path.write_text(
        "scenario: wide_example\ntitle: Wide\nmodel: wide-model.yaml\n"
        "sources: {s: {publisher: P, title: T, date: 2024-05-01}}\nevents:\n"
        + "".join(
            f"  - {{id: p{i}, date: 2024-04-01, event: pick, claims: [{{by: P, source: s}}],\n"
            f"     params: {{a: {i}, b: 1, c: 2, d: 3, e: 4, f: 5}}}}\n"
            for i in range(5)
        )
    )
    replayed = CliRunner().invoke(cli, ["run", str(scenario_path)])
    output = replayed.stdout + replayed.stderr
    assert "Traceback" not in output
    assert replayed.exit_code == 0, output
    # an undecided search is not a broken rule: the replay says it could not decide
    assert "Broken" not in output
    assert "Not decided within 2,000 events tried: can_always_close" in " ".join(output.split())


# --- 6. searches over an event of many parameters (issue 11) ---------------------------------


def _many_parameters(tmp_path: Path, count: int = 7) -> Path:
    """An event of `count` parameters, each compared with a number of its own: every
    combination of their candidate values would be some 5**7 steps from one state."""
    params = "\n".join(f"      p{i}: {{type: int, min: 0, max: 1000}}" for i in range(count))
    guard = " and ".join(f"p{i} != {100 + i}" for i in range(count))
    path = tmp_path / "many.yaml"
    path.write_text(
        "model: many_params\ntitle: Many parameters\n"
        "variables:\n  n: {type: int, min: 0, max: 4, initial: 0}\n"
        "phases:\n  open: {title: Open}\ninitial: open\n"
        f"events:\n  go:\n    from: [open]\n    params:\n{params}\n"
        f"    guards:\n      - name: g\n        when: {guard}\n        reason: r\n"
        "    effects:\n      n: n + 1\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow  # hypothesis shrinks histories of seven-parameter events: about 9 s
def test_an_event_of_many_parameters_is_tried_with_a_bounded_number_of_sets(tmp_path: Path):
    from negotiation.analyses.explore import domains, event_steps, explore
    from negotiation.kernel.kernel import Kernel
    from negotiation.semantics.search import MAX_PARAM_SETS

    model = load_model(str(_many_parameters(tmp_path)))
    chosen, exhaustive = domains(model)
    assert not exhaustive
    steps = event_steps(Kernel.from_model(model), chosen)
    assert len(steps) == MAX_PARAM_SETS
    # every candidate value of every parameter is among the sets tried
    for name, values in chosen["go"].items():
        assert {params[name] for _, params, _ in steps} == set(values)
    found = explore(model, max_depth=3)
    assert found.attempts == 3 * MAX_PARAM_SETS and not found.exhaustive_domains
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--properties",
            str(tmp_path / "many.yaml"),
            "--examples",
            "2",
            "--depth",
            "3",
            "--counterexample",
            str(tmp_path / "c.yaml"),
        ],
    )
    # n goes past its bound of 4 at the fifth step: beyond an exhaustive stage of 3 events,
    # so hypothesis finds it, and it is shortened to those five steps
    assert result.exit_code == 1, result.output
    assert "every history of up to 3 events, exhaustively" in result.output
    assert "Minimal counterexample (5 events):" in result.output


def test_searches_for_what_stays_reachable_share_a_budget_and_say_when_it_is_spent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from negotiation.analyses import bounded

    monkeypatch.setattr(bounded, "REACH_BUDGET", 5_000)
    model = str(Path(__file__).parent / "models" / "unreachable_goal.yaml")
    args = ["--examples", "3", "--depth", "2", "--counterexample", str(tmp_path / "c.yaml")]
    result = CliRunner().invoke(cli, ["check", "--properties", model, *args])
    assert result.exit_code == 0, result.output
    assert "? property goal_in_reach" in result.output
    assert "Not decided within the searches' budget" in result.output
    shown = CliRunner().invoke(cli, ["check", "--properties", model, *args, "--format", "json"])
    assert json.loads(shown.output)["undecided"] == ["goal_in_reach"]
