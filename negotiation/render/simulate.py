"""A simulation's results as text (80 columns) and as JSON (stable key order)."""

from __future__ import annotations

import dataclasses
from typing import Any

from negotiation.analyses.simulate import Simulation
from negotiation.errors import printable
from negotiation.render.data import to_json


def simulation_data(result: Simulation) -> dict[str, Any]:
    return dataclasses.asdict(result)


def simulation_json(result: Simulation) -> str:
    return to_json(simulation_data(result))


def _percent(value: float) -> str:
    return f"{100 * value:5.1f}%"


def simulation_text(result: Simulation) -> str:
    """The results for people: phases at the horizon and reached within it, ledger figures."""
    lines = [
        f"Simulation of {printable(result.model)}: {result.runs:,} runs of {result.horizon:,} days",
    ]
    if result.start:
        start = result.start
        lines.append(
            f"from {printable(str(start['scenario']))} after {printable(str(start['after']))}"
        )
    else:
        lines.append("from the model's start")
    lines.append(f"rates: {printable(result.rates)}")
    lines.append(f"seed {result.seed}, blocks of {result.block:,} runs, numpy {result.numpy}")
    lines.append("")
    lines.append("Phases: at the horizon, reached within it (95% interval), days to reach")
    lines.append(
        f"  {'phase':<24} {'at end':>7} {'reached':>7} {'95% interval':>15} {'days 10/50/90':>16}"
    )
    for region, phases in result.reached.items():
        lines.append(f"{printable(region)}")
        for phase, reached in phases.items():
            at_end = result.at_horizon[region][phase] / result.runs
            interval = f"{_percent(reached['low'])}–{_percent(reached['high'])}"
            days = reached["days"]
            when = f"{days['p10']}/{days['p50']}/{days['p90']}" if days else "-"
            lines.append(
                f"  {printable(phase)[:24]:<24} {_percent(at_end):>7} "
                f"{_percent(reached['probability']):>7} {interval:>15} {when:>16}"
            )
    figures = {name: f for name, f in result.ledger.items() if "mean" in f and f["max"] > 0}
    if figures:
        lines.append("")
        lines.append("Ledger at the horizon (int figures that moved)")
        lines.append(
            f"  {'figure':<28} {'min':>7} {'p10':>7} {'p50':>7} {'p90':>7} {'max':>7} {'mean':>9}"
        )
        for name, f in figures.items():
            lines.append(
                f"  {printable(name)[:28]:<28} {f['min']:>7} {f['p10']:>7} {f['p50']:>7} "
                f"{f['p90']:>7} {f['max']:>7} {f['mean']:>9.1f}"
            )
    if result.events:
        lines.append("")
        lines.append("Events attempted")
        lines.append(f"  {'event':<34} {'applied':>11} {'refused':>11} {'broken':>9}")
        for name, counts in result.events.items():
            lines.append(
                f"  {printable(name)[:34]:<34} {counts['applied']:>11,} "
                f"{counts['refused']:>11,} {counts['broken']:>9,}"
            )
    return "\n".join(lines) + "\n"
