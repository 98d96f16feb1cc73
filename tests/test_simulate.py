"""`simulate`: the same seed gives the same bytes for any chunking and worker count, a model
whose odds can be worked out by hand lands on them, rates files fail at their place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from negotiation import load_model
from negotiation.analyses.rates import load_rates
from negotiation.analyses.simulate import simulate
from negotiation.cli import cli
from negotiation.errors import FileError
from negotiation.kernel.kernel import Kernel
from negotiation.render.simulate import simulation_json
from negotiation.scenarios.load import load_scenario
from negotiation.scenarios.replay import replay

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


def rates_file(tmp_path: Path, text: str = RATES) -> Path:
    path = tmp_path / "two.rates.yaml"
    path.write_text(text)
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_same_seed_same_bytes_for_any_workers_and_chunks(tmp_path: Path) -> None:
    rates = str(rates_file(tmp_path))
    args = ["simulate", TWO, "--rates", rates, "--runs", "3000", "--horizon", "40"]
    one = invoke(*args, "--seed", "5", "--workers", "1", "--format", "json")
    two = invoke(*args, "--seed", "5", "--workers", "2", "--format", "json")
    assert one[0] == two[0] == 0, one[2] + two[2]
    assert one[1] == two[1]
    other = invoke(*args, "--seed", "6", "--format", "json")
    assert other[1] != one[1]
    data = json.loads(one[1])
    assert (data["seed"], data["block"], data["numpy"]) == (5, 1024, np.__version__)
    model = load_model(TWO)
    kernel = Kernel.from_model(model)
    loaded = load_rates(rates, model)
    chunked = [
        simulation_json(simulate(kernel, loaded, 3000, 40, 5, chunk_blocks=size))
        for size in (1, 2, 3)
    ]
    assert len(set(chunked)) == 1
    assert json.loads(chunked[0])["reached"] == data["reached"]


def exact(horizon: int) -> dict[str, float]:
    """The chance of reaching ceasefire and lapsed within `horizon` days, by the day."""
    war, one, lapsed = 1.0, 0.0, 0.0
    for _ in range(horizon):
        war, one, lapsed = war * 0.9, one * 0.8 + war * 0.1, lapsed + one * 0.2
    return {"ceasefire": 1 - war, "lapsed": lapsed}


def test_a_model_worked_by_hand(tmp_path: Path) -> None:
    model = load_model(TWO)
    result = simulate(
        Kernel.from_model(model), load_rates(rates_file(tmp_path), model), 20_000, 10, 11
    )
    expected = exact(10)
    for region, phase in (("fighting", "ceasefire"), ("deal", "lapsed")):
        reached = result.reached[region][phase]
        assert reached["probability"] == pytest.approx(expected[phase], abs=0.015)
        assert reached["low"] <= expected[phase] <= reached["high"]
    # five hostages held: releases of 1 or 2 end once none are left (then refused)
    assert result.ledger["held"]["min"] >= 0
    assert result.events["release"]["applied"] > 0
    assert result.events["ceasefire_begins"]["refused"] == 0


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("phases:\n  war:\n    cease: {per_day: 0.1}\n", ":3:5:", "unknown event 'cease'"),
        ("phases:\n  war:\n    ceasefire_begins: {per_day: 1.5}\n", ":3:33:", "from 0 to 1"),
        ("phases:\n  warr: {}\n", ":2:3:", "unknown phase 'warr'"),
        (
            "phases:\n  phase_one:\n    release:\n      per_day: 0.1\n"
            "      params: {count: {uniform: [0, 3]}}\n",
            ":5:34:",
            "at least 1",
        ),
        ("phases:\n  phase_one:\n    release: {per_day: 0.1}\n", ":3:14:", "no default"),
        (
            "phases:\n  phase_one:\n    phase_one_expires: {per_day: 0.6}\n"
            "    release: {per_day: 0.6, params: {count: 1}}\n",
            ":2:3:",
            "add up to 1.2",
        ),
    ],
)
def test_rates_errors_are_located(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = rates_file(tmp_path, text)
    code, _, err = invoke("simulate", TWO, "--rates", str(path), "--runs", "10")
    assert code == 2
    assert f"{path}{where}" in err and message in err, err
    with pytest.raises(FileError):
        load_rates(path, load_model(TWO))


def test_from_a_scenario_state() -> None:
    scenario = ROOT / "scenarios" / "gaza-2025.yaml"
    trace = replay(load_scenario(str(scenario)), on_refused="skip", until="3")
    code, out, err = invoke(
        "simulate",
        "--from",
        str(scenario),
        "--after",
        "3",
        "--runs",
        "50",
        "--horizon",
        "0",
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["start"] == {"scenario": str(scenario), "after": "3"}
    for region, phase in trace.final.phases.items():
        assert data["at_horizon"][region][phase] == 50
    for name, value in trace.final.ledger.items():
        if name in data["ledger"] and "min" in data["ledger"][name]:
            assert data["ledger"][name]["min"] == data["ledger"][name]["max"] == value


def test_text_fits_80_columns() -> None:
    code, out, err = invoke("simulate", "--runs", "1500", "--horizon", "60", "--seed", "2")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "seed 2, blocks of 1,024 runs" in out


def test_default_rates_of_every_builtin_model_load() -> None:
    from negotiation.analyses.rates import default_rates_path
    from negotiation.rules.model import builtin_models

    assert builtin_models() == ["gaza_truce", "yemen_truce"]  # the rates files are not models
    for name in builtin_models():
        model = load_model(name)
        path = default_rates_path(model)
        assert path is not None
        assert load_rates(path, model).rates
