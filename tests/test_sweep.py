"""`simulate --sweep` and `simulate --scheduler`: a sweep finds the rate that really moves a
phase (and not one that cannot), sweep files fail at their place, and a Dask cluster gives the
same bytes as one process and as two."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from negotiation import load_model
from negotiation.analyses.rates import load_rates
from negotiation.analyses.sweep import MAX_POINTS, load_sweep
from negotiation.cli import cli
from negotiation.errors import FileError

ROOT = Path(__file__).parent.parent
TWO = str(ROOT / "tests" / "models" / "two_regions.yaml")
RATES = """\
model: two_regions
phases:
  war:
    ceasefire_begins: {per_day: 0.1}
  phase_one:
    phase_one_expires: {per_day: 0.2}
    release:
      per_day: 0.3
      params:
        count: {values: [1, 2], weights: [1, 1]}
"""
SWEEP = """\
model: two_regions
vary:
  - phase: war
    event: ceasefire_begins
    values: [0.05, 0.2]
  - phase: phase_one
    event: phase_one_expires
    low: 0.1
    high: 0.3
    steps: 3
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def sweep(tmp_path: Path, text: str = SWEEP, *more: str) -> tuple[int, str, str]:
    rates = write(tmp_path, "two.rates.yaml", RATES)
    path = write(tmp_path, "sweep.yaml", text)
    return invoke(
        "simulate", TWO, "--rates", rates, "--sweep", path, "--runs", "4000", "--horizon", "10",
        *more,
    )  # fmt: skip


def test_a_sweep_finds_the_rate_that_moves_a_phase(tmp_path: Path) -> None:
    code, out, err = sweep(tmp_path, SWEEP, "--seed", "3", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["mode"] == "grid"
    # the grid in order, the last rate fastest
    assert [p["rates"] for p in data["points"]] == [
        [a, b] for a in (0.05, 0.2) for b in (0.1, 0.2, 0.3)
    ]
    ceasefire = data["phases"]["fighting"]["ceasefire"]
    # reaching the ceasefire depends on its own chance only: 1 - 0.95^10 against 1 - 0.8^10
    assert ceasefire["most"] == 0
    assert ceasefire["swings"][0] == pytest.approx((1 - 0.8**10) - (1 - 0.95**10), abs=0.03)
    # phase one's expiry comes after the ceasefire, so it cannot move it at all: the same seed
    # at every point makes that exactly zero
    assert ceasefire["swings"][1] == 0.0
    by_point = {tuple(p["rates"]): p["reached"]["fighting"]["ceasefire"] for p in data["points"]}
    assert by_point[(0.05, 0.1)] == by_point[(0.05, 0.3)] != by_point[(0.2, 0.1)]
    # the lapse needs both the ceasefire and the expiry: both move it, upwards
    lapsed = data["phases"]["deal"]["lapsed"]
    assert lapsed["swings"][0] > 0.05 and lapsed["swings"][1] > 0.05
    assert lapsed["lowest"] < lapsed["highest"]
    # nothing is ever done (no rate leads there): no rate moves it
    assert data["phases"]["deal"]["done"] == {
        "lowest": 0.0,
        "highest": 0.0,
        "swings": [0.0, 0.0],
        "most": None,
        "noise": data["phases"]["deal"]["done"]["noise"],
    }


def test_each_point_runs_with_its_rates(tmp_path: Path) -> None:
    text = "vary:\n  - {phase: war, event: ceasefire_begins, values: [0, 1]}\n"
    code, out, err = sweep(tmp_path, text, "--format", "json")
    assert code == 0, err
    never, always = json.loads(out)["points"]
    assert never["reached"]["fighting"]["ceasefire"] == 0.0
    assert always["reached"]["fighting"]["ceasefire"] == 1.0


def test_a_sweep_is_the_same_bytes_for_any_workers(tmp_path: Path) -> None:
    one = sweep(tmp_path, SWEEP, "--seed", "8", "--workers", "1", "--format", "json")
    two = sweep(tmp_path, SWEEP, "--seed", "8", "--workers", "2", "--format", "json")
    assert one[0] == two[0] == 0, one[2] + two[2]
    assert one[1] == two[1]


def test_a_sample_is_drawn_with_the_seed(tmp_path: Path) -> None:
    text = (
        "samples: 5\nvary:\n"
        "  - {phase: war, event: ceasefire_begins, low: 0.05, high: 0.2}\n"
        "  - {phase: phase_one, event: phase_one_expires, values: [0.1, 0.3]}\n"
    )
    first = sweep(tmp_path, text, "--seed", "4", "--format", "json")
    again = sweep(tmp_path, text, "--seed", "4", "--format", "json")
    other = sweep(tmp_path, text, "--seed", "5", "--format", "json")
    assert first[0] == 0, first[2]
    assert first[1] == again[1]
    points = [p["rates"] for p in json.loads(first[1])["points"]]
    assert len(points) == 5 and len({tuple(p) for p in points}) == 5
    assert all(0.05 <= a <= 0.2 and b in (0.1, 0.3) for a, b in points)
    assert points != [p["rates"] for p in json.loads(other[1])["points"]]
    assert json.loads(first[1])["mode"] == "sample"


def test_the_text_fits_80_columns_and_names_the_rate(tmp_path: Path) -> None:
    code, out, err = sweep(tmp_path, SWEEP, "--seed", "3")
    assert code == 0, err
    paths = ("rates: ", "sweep: ")  # a file's path is as long as it is
    assert max(len(line) for line in out.splitlines() if not line.startswith(paths)) <= 80
    assert "6 points (a grid of 2 × 3)" in out
    assert "[1] war: ceasefire_begins" in out
    ceasefire = next(line for line in out.splitlines() if line.startswith("  ceasefire "))
    assert "[1] ceasefire_begins" in ceasefire and "+4" in ceasefire


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "vary:\n  - {phase: war, event: ceasefire_begins, values: [0.1]}\nsample: 3\n",
            ":3:1:",
            "unknown field 'sample'; did you mean 'samples'?",
        ),
        (
            "vary:\n  - {phase: warr, event: ceasefire_begins, values: [0.1]}\n",
            ":2:13:",
            "unknown phase 'warr'; did you mean 'war'?",
        ),
        (
            "vary:\n  - phase: ceasefire\n    event: strikes\n    values: [0.1]\n",
            ":3:12:",
            "gives no chance for 'strikes' in phase 'ceasefire'",
        ),
        (
            "vary:\n  - phase: war\n    event: ceasefire_begins\n    values: [0.1, 1.5]\n",
            ":4:19:",
            "from 0 to 1 (got 1.5)",
        ),
        (
            "vary:\n  - phase: war\n    event: ceasefire_begins\n    low: 0.3\n    high: 0.1\n",
            ":4:10:",
            "'low' must be at most 'high'",
        ),
        (
            "vary:\n  - phase: war\n    event: ceasefire_begins\n    low: 0.3\n    values: [0.1]\n",
            ":2:5:",
            "either 'values' or 'low' and 'high'",
        ),
        (
            "vary:\n  - phase: phase_one\n    event: phase_one_expires\n    values: [0.1, 0.8]\n",
            ":4:13:",
            "the chances in phase 'phase_one' add up to 1.1",
        ),
        (
            "samples: 0\nvary:\n  - {phase: war, event: ceasefire_begins, values: [0.1]}\n",
            ":1:10:",
            "'samples' must be a whole number from 1 to 1,000",
        ),
        (
            "vary:\n  - {phase: war, event: ceasefire_begins, values: [0.1]}\n"
            "  - {phase: war, event: ceasefire_begins, values: [0.2]}\n",
            ":3:25:",
            "varied twice",
        ),
        ("vary: []\n", ":1:7:", "'vary' must be a list"),
        ("model: other\nvary: []\n", ":1:8:", "this sweep is for model 'other'"),
        ("- 1\n", ":1:1:", "expected a mapping of fields, got list"),
    ],
)
def test_sweep_errors_are_located(tmp_path: Path, text: str, where: str, message: str) -> None:
    code, out, err = sweep(tmp_path, text)
    path = tmp_path / "sweep.yaml"
    assert code == 2 and out == ""
    assert f"{path}{where} " in err and message in err, err
    assert "Traceback" not in err
    model = load_model(TWO)
    with pytest.raises(FileError):
        load_sweep(path, model, load_rates(tmp_path / "two.rates.yaml", model))


def test_a_grid_is_bounded(tmp_path: Path) -> None:
    text = (
        "vary:\n"
        "  - {phase: war, event: ceasefire_begins, low: 0, high: 1, steps: 100}\n"
        "  - {phase: phase_one, event: release, low: 0, high: 0.5, steps: 11}\n"
    )
    code, _, err = sweep(tmp_path, text)
    assert code == 2
    assert err.startswith(f"{tmp_path / 'sweep.yaml'}:1:1: the grid has 1,100 points (100 × 11)")
    assert f"at most {MAX_POINTS:,}" in err


def test_scheduler_errors_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["simulate", "--runs", "10", "--horizon", "1"]
    code, _, err = invoke(*args, "--scheduler", "nonsense:://x")
    assert code == 2
    assert err.startswith("Error: 'nonsense:://x' is not a scheduler address")
    assert len(err.splitlines()) == 1
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    code, _, err = invoke(*args, "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert err == (
        "Error: --scheduler needs the cluster extra: pip install 'negotiation[cluster]'\n"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line() -> None:
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, _, err = invoke(
        "simulate", "--runs", "10", "--scheduler", address, "--connect-timeout", "0.5"
    )
    assert code == 2
    assert err.startswith(f"Error: cannot reach the Dask scheduler at '{address}' within 0.5 s")
    assert len(err.splitlines()) == 1


@pytest.mark.slow
def test_a_local_cluster_gives_the_same_bytes(tmp_path: Path) -> None:
    distributed: Any = pytest.importorskip("distributed")
    rates = write(tmp_path, "two.rates.yaml", RATES)
    args = ["simulate", TWO, "--rates", rates, "--runs", "5000", "--horizon", "40"]
    args += ["--seed", "12", "--format", "json"]
    one = invoke(*args, "--workers", "1")
    two = invoke(*args, "--workers", "2")
    assert one[0] == two[0] == 0, one[2] + two[2]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = invoke(*args, "--scheduler", cluster.scheduler_address)
        assert remote[0] == 0, remote[2]
        # the blocks ran on the cluster's workers: they compiled the model themselves
        compiled = client.run(_compiled_models)
        assert sum(compiled.values()) >= 1, compiled
        path = write(tmp_path, "sweep.yaml", SWEEP)
        swept = [
            invoke(*args, "--sweep", path, "--runs", "2000", *extra)
            for extra in ([], ["--scheduler", cluster.scheduler_address])
        ]
    assert one[1] == two[1] == remote[1]
    assert json.loads(remote[1])["runs"] == 5000
    assert swept[0][0] == swept[1][0] == 0, swept[0][2] + swept[1][2]
    assert swept[0][1] == swept[1][1]


def _compiled_models() -> int:
    from negotiation.analyses.simulate import _KERNELS

    return len(_KERNELS)
