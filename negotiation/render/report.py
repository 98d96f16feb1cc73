"""The report: one self-contained HTML page of a replay (and, if asked, of a second history
compared with it), for an analyst to hand a colleague.

The page makes no network request: its styles and pictures are inline, it has no script, and a
Content-Security-Policy forbids fetching anything. Every text from a file goes through Jinja2's
autoescaping, since scenario files are untrusted. The same traces give the same bytes.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2

from negotiation.analyses.compare import compare
from negotiation.render.data import (
    checkpoint_data,
    divergence_data,
    guard_data,
    step_data,
    trace_data,
    violation_data,
)
from negotiation.rules.expressions import INT
from negotiation.rules.model import Model, Value
from negotiation.scenarios.trace import Trace, TraceStep

# Light backgrounds that dark text reads on, told apart without colour by the phase's name in
# each cell. A phase takes the colour of its place in its region's declared order.
PALETTE = (
    "#dbeafe",
    "#fde68a",
    "#bbf7d0",
    "#fecaca",
    "#e9d5ff",
    "#fed7aa",
    "#a5f3fc",
    "#f5d0fe",
)
SERIES_COLOURS = ("#1d4ed8", "#c2410c")  # the report's history, then the compared one
NO_GRAPHVIZ = "diagram unavailable: Graphviz is not installed"
DOT_TIMEOUT = 60  # seconds: a model of a few hundred phases takes well under one
NO_DIAGRAM_RENDERER = "diagram unavailable: this version has no diagram renderer"


@dataclass(frozen=True)
class ChartBox:
    """The geometry of one ledger chart, in SVG user units."""

    width: int = 640
    height: int = 220
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 44

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


CHART = ChartBox()


@dataclass(frozen=True)
class Diagram:
    """The model's diagram for the page: inline SVG, or why there is none."""

    svg: str | None
    note: str = ""


def render_report(trace: Trace, other: Trace | None = None, diagram: Diagram | None = None) -> str:
    """The HTML page of `trace`, with `other` side by side from where they part if given.

    `diagram` defaults to the model's diagram with the replay's path marked, drawn by Graphviz
    when it is installed."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        **report_data(trace, other, diagram if diagram is not None else diagram_of(trace))
    )


def report_data(trace: Trace, other: Trace | None, diagram: Diagram) -> dict[str, Any]:
    """What the template shows, as plain data (built on the JSON shapes of `render.data`)."""
    scenario = trace.scenario
    data = trace_data(trace)
    traces = (trace,) if other is None else (trace, other)
    return {
        "scenario": data,
        "description": scenario.description,
        "model": {"name": scenario.model.name, "title": scenario.model.title},
        "regions": _regions(scenario.model),
        "start_row": _start_row(trace),
        "rows": [_row(trace, number, step) for number, step in enumerate(trace.steps, 1)],
        "diagram": diagram,
        "charts": ledger_charts(traces),
        "series": [
            {"title": t.scenario.title, "colour": colour, "dashed": index > 0}
            for index, (t, colour) in enumerate(zip(traces, SERIES_COLOURS, strict=False))
        ],
        "refusals": [_refusal(number, step) for number, step in _numbered(trace) if step.refused],
        "violations": [violation_data(violation) for violation in trace.violations],
        "checkpoints": _checkpoints(trace),
        "sources": [
            {**source, "id": sid, "link": _web_address(source["url"])}
            for sid, source in data["sources"].items()
        ],
        "comparison": _comparison(trace, other) if other is not None else None,
    }


def diagram_of(trace: Trace) -> Diagram:
    """The model's diagram with the replay's path marked (`render.diagram`), drawn as SVG by
    Graphviz's `dot`; or why it cannot be drawn here."""
    try:
        diagram = importlib.import_module("negotiation.render.diagram")
    except ImportError:
        return Diagram(None, NO_DIAGRAM_RENDERER)
    dot = shutil.which("dot")
    if dot is None:
        return Diagram(None, NO_GRAPHVIZ)
    text = diagram.to_dot(trace.scenario.model, diagram.replay_path(trace))
    drawn = subprocess.run(
        [dot, "-Tsvg"],
        input=text,
        capture_output=True,
        encoding="utf-8",
        timeout=DOT_TIMEOUT,
        check=False,
    )
    if drawn.returncode != 0:
        said = drawn.stderr.strip().splitlines()
        return Diagram(None, f"diagram unavailable: Graphviz failed ({said[0] if said else ''})")
    return Diagram(inline_svg(drawn.stdout))


def inline_svg(svg: str) -> str:
    """An SVG document as an element to put inside HTML: its XML declaration, doctype and
    comments (Graphviz's names its version) dropped."""
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    start = svg.find("<svg")
    return svg[start:].strip() if start >= 0 else ""


def ledger_charts(traces: Sequence[Trace]) -> list[dict[str, Any]]:
    """One line chart per int variable that moves in any of the histories: the step on the x
    axis, the value after it on the y axis (step 0: the start). Every number is rounded to a
    tenth of a unit, so the same traces give the same text."""
    model = traces[0].scenario.model
    histories = [_values_over_time(trace) for trace in traces]
    charts = []
    for name, variable in model.variables.items():
        if variable.type != INT:
            continue
        series = [[int(ledger[name]) for ledger in history] for history in histories]
        if len({value for values in series for value in values}) <= 1:
            continue  # the same value throughout, in every history
        charts.append(_chart(name, variable.description, series))
    return charts


def _chart(name: str, description: str, series: list[list[int]]) -> dict[str, Any]:
    low = min(min(values) for values in series)
    high = max(max(values) for values in series)
    last = max(len(values) for values in series) - 1
    span = high - low or 1

    def x(step: int) -> str:
        return f"{CHART.left + CHART.plot_width * step / max(last, 1):.1f}"

    def y(value: int) -> str:
        return f"{CHART.top + CHART.plot_height * (high - value) / span:.1f}"

    x_ticks = sorted({0, last, *(last * k // 4 for k in range(1, 4))})
    y_ticks = sorted({low, high, (low + high) // 2} if high - low > 1 else {low, high})
    return {
        "name": name,
        "description": description,
        "box": CHART,
        "lines": [
            {
                "points": " ".join(_steps(values, x, y)),
                "dots": [
                    {"x": x(step), "y": y(value), "step": step, "value": value}
                    for step, value in enumerate(values)
                    if step == 0 or value != values[step - 1]
                ],
            }
            for values in series
        ],
        "x_ticks": [{"at": x(step), "label": step} for step in x_ticks],
        "y_ticks": [{"at": y(value), "label": f"{value:,}"} for value in y_ticks],
    }


def _steps(values: list[int], x: Callable[[int], str], y: Callable[[int], str]) -> list[str]:
    """The points of a line that holds each value until the step that changes it: a ledger
    moves at a step, not between steps."""
    points = [f"{x(0)},{y(values[0])}"]
    for step in range(1, len(values)):
        if values[step] != values[step - 1]:
            points.append(f"{x(step)},{y(values[step - 1])}")
        points.append(f"{x(step)},{y(values[step])}")
    return points


def _values_over_time(trace: Trace) -> list[Mapping[str, Value]]:
    start = trace.steps[0].before.ledger if trace.steps else trace.final.ledger
    return [start, *(step.after.ledger for step in trace.steps)]


def _regions(model: Model) -> list[dict[str, str]]:
    return [{"name": region.name, "title": region.title} for region in model.regions.values()]


def _phase_cells(model: Model, phases: Mapping[str, str], before: Mapping[str, str] | None) -> Any:
    cells = []
    for region in model.regions.values():
        phase = phases.get(region.name, "")
        order = region.phases.index(phase) if phase in region.phases else 0
        known = model.phases.get(phase)
        cells.append(
            {
                "phase": phase,
                "title": known.title if known is not None else phase,
                "colour": PALETTE[order % len(PALETTE)],
                "moved": before is not None and before.get(region.name) != phase,
            }
        )
    return cells


def _start_row(trace: Trace) -> dict[str, Any]:
    scenario = trace.scenario
    phases = trace.steps[0].before.phases if trace.steps else trace.final.phases
    return {
        "date": str(scenario.start_date) if scenario.start_date else None,
        "cells": _phase_cells(scenario.model, phases, None),
    }


def _row(trace: Trace, number: int, step: TraceStep) -> dict[str, Any]:
    data = step_data(step, trace.scenario, trace.checkpoints)
    return {
        **data,
        "number": number,
        "outcome": data["outcome"] or "checkpoint",
        "cells": _phase_cells(trace.scenario.model, step.after.phases, step.before.phases),
    }


def _numbered(trace: Trace) -> list[tuple[int, TraceStep]]:
    return list(enumerate(trace.steps, 1))


def _refusal(number: int, step: TraceStep) -> dict[str, Any]:
    refused = step.refused
    assert refused is not None
    return {
        "number": number,
        "id": step.entry.id,
        "date": str(step.entry.date) if step.entry.date else None,
        "event": step.entry.event,
        "phase": step.before.phase,
        "guards": [guard_data(outcome) for outcome in refused.refusals],
    }


def _checkpoints(trace: Trace) -> list[dict[str, Any]]:
    where = {step.entry.id: (number, step) for number, step in _numbered(trace)}
    sources = trace.scenario.sources
    found = []
    for result in trace.checkpoints:
        number, step = where.get(result.at, (None, None))
        source = sources.get(result.checkpoint.source)
        found.append(
            {
                **checkpoint_data(result),
                "number": number,
                "date": str(step.entry.date) if step and step.entry.date else None,
                "source_title": f"{source.publisher}: {source.title}" if source else None,
            }
        )
    return found


def _comparison(trace: Trace, other: Trace) -> dict[str, Any]:
    result = compare(trace, other)
    index = result.index
    return {
        **divergence_data(result),
        "title_a": trace.scenario.title,
        "title_b": other.scenario.title,
        "shared": index,
        "sides": [_side(one, index) for one in (trace, other)] if index is not None else [],
    }


def _side(trace: Trace, index: int) -> dict[str, Any]:
    """One history from the step where it parts from the other, and where it ends."""
    return {
        "title": trace.scenario.title,
        "rows": [_row(trace, number, step) for number, step in _numbered(trace)[index:]],
        "steps": len(trace.steps),
        "final": _phase_cells(trace.scenario.model, trace.final.phases, None),
    }


def _web_address(url: str | None) -> str | None:
    """`url` if it is a web address a reader may follow; None for anything else (a
    `javascript:` or `data:` address from a hostile file is shown as text, not as a link)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if value is None:
        return "—"
    return str(value)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("negotiation.render", "templates"),
        autoescape=True,  # every text from a scenario or model file is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["value"] = _value
    return environment
