"""A sweep's results as text (80 columns) and as JSON (stable key order)."""

from __future__ import annotations

import dataclasses
from typing import Any

from negotiation.analyses.sweep import SweepResult
from negotiation.errors import printable
from negotiation.render.data import to_json

WIDTH = 80


def sweep_data(result: SweepResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def sweep_json(result: SweepResult) -> str:
    return to_json(sweep_data(result))


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _points(value: float) -> str:
    return f"{100 * value:+.1f} pt"


def _values(varied: dict[str, Any]) -> str:
    if "values" in varied:
        values = [f"{v:g}" for v in varied["values"]]
        if len(values) > 6:
            values = [*values[:3], "…", values[-1], f"({len(values):,} values)"]
        return ", ".join(values)
    return f"{varied['low']:g} to {varied['high']:g}, {varied['steps']:,} steps"


def sweep_text(result: SweepResult) -> str:
    """Which rate moves the odds of each phase most, for people."""
    count = len(result.points)
    if result.mode == "grid":
        sizes = " × ".join(
            str(len(v["values"])) if "values" in v else str(v["steps"]) for v in result.varied
        )
        how = f"a grid of {sizes}"
    else:
        how = "a random sample"
    lines = [
        f"Sweep of {printable(result.model)}: {count:,} points ({how}),",
        f"{result.runs:,} runs of {result.horizon:,} days each, the same seed at every point",
    ]
    if result.start:
        start = result.start
        lines.append(
            f"from {printable(str(start['scenario']))} after {printable(str(start['after']))}"
        )
    else:
        lines.append("from the model's start")
    lines.append(f"rates: {printable(result.rates)}")
    lines.append(f"sweep: {printable(result.sweep)}")
    lines.append(f"seed {result.seed}, blocks of {result.block:,} runs, numpy {result.numpy}")
    lines.append("")
    lines.append("Rates varied (chance per day)")
    for i, varied in enumerate(result.varied, 1):
        name = f"[{i}] {printable(varied['phase'])}: {printable(varied['event'])}"
        line = f"  {name:<40} {_values(varied)}"
        lines.append(line if len(line) <= WIDTH else line[: WIDTH - 1] + "…")
    lines.append("")
    lines.append(f"Chance of reaching each phase within {result.horizon:,} days,")
    lines.append("and the rate whose range moves it most (noise: half the 95% interval)")
    lines.append(
        f"  {'phase':<20} {'lowest':>6} {'highest':>7}  {'moved most by':<22} "
        f"{'swing':>9} {'noise':>8}"
    )
    for region, phases in result.phases.items():
        lines.append(printable(region))
        for phase, found in phases.items():
            most = found["most"]
            if most is None:
                by, swing = "-", "-"
            else:
                by = f"[{most + 1}] {printable(result.varied[most]['event'])}"
                swing = _points(found["swings"][most])
            noise = f"±{100 * found['noise']:.1f} pt"
            lines.append(
                f"  {printable(phase)[:20]:<20} {_percent(found['lowest']):>6} "
                f"{_percent(found['highest']):>7}  {by[:22]:<22} {swing:>9} {noise:>8}"
            )
    return "\n".join(lines) + "\n"
