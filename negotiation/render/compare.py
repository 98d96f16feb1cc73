"""The text of `negotiation compare`: divergence, phase timelines side by side, end states."""

from __future__ import annotations

from rich.table import Table

from negotiation.analyses.compare import Divergence, PhaseSpan
from negotiation.render.text import WIDTH, _console, _plain, _rows, _written, safe, wrap
from negotiation.scenarios.trace import TraceStep


def render_divergence(result: Divergence, width: int = WIDTH) -> str:
    console = _console(False, width)
    a, b = result.a.scenario, result.b.scenario
    console.print(f"A  {a.name}: {safe(a.title)}")
    console.print(f"B  {b.name}: {safe(b.title)}")
    console.print()
    if result.index is None:
        console.print("The histories do not diverge: every step is the same.")
    else:
        console.print(f"[bold]First divergence[/] at step {result.index + 1}:")
        for side, step in (("A", result.first_a), ("B", result.first_b)):
            lines = wrap(f"  {side}  {_describe(step)}", console.width, " " * 5)
            for line in lines:
                console.print(safe(line), soft_wrap=True)
    console.print()
    console.print("[bold]Phases[/] (whole days in each; a range where the dates are ranges)")
    table = Table(box=None, pad_edge=False, show_edge=False)
    for side in ("A", "B"):
        table.add_column(f"{side} phase", overflow="fold")
        table.add_column("from", overflow="fold", min_width=11)
        table.add_column("days", justify="right", overflow="fold")
    rows = max(len(result.timeline_a), len(result.timeline_b))
    for number in range(rows):
        cells: list[str] = []
        for spans in (result.timeline_a, result.timeline_b):
            cells += _span_cells(spans[number] if number < len(spans) else None)
        table.add_row(*cells)
    console.print(table)
    for side, ids in (("A", result.only_a), ("B", result.only_b)):
        if ids:
            console.print()
            _rows(console, [(f"Only in {side}", safe(", ".join(ids)))], indent=0, width=9)
    if result.only_a:
        console.print("(the end differences include the effects of the events only in A)")
    console.print()
    console.print(f"[bold]End[/]: A in {result.a.final.phase}, B in {result.b.final.phase}")
    if result.ledger_differences:
        ledger = Table(box=None, pad_edge=False, show_edge=False)
        ledger.add_column("variable")
        ledger.add_column("A", justify="right")
        ledger.add_column("B", justify="right")
        for name, (left, right) in result.ledger_differences.items():
            ledger.add_row(name, _plain(left), _plain(right))
        console.print(ledger)
    else:
        console.print("The ledgers end the same.")
    for side, trace in (("A", result.a), ("B", result.b)):
        if trace.refused:
            refused = ", ".join(
                f"'{step.entry.id}' ({', '.join(o.guard for o in step.refused.refusals)})"
                for step in trace.refused
                if step.refused
            )
            console.print(f"Refused in {side}: {safe(refused)}")
    text = _written(console)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _describe(step: TraceStep | None) -> str:
    if step is None:
        return "(no more events)"
    params = ", ".join(f"{k}={_plain(v)}" for k, v in step.params.items())
    call = f"{step.entry.event}({params})" if params else step.entry.event
    date = step.entry.date or "undated"
    outcome = f"→ {step.after.phase}" if step.applied else "refused"
    return f"{date}  {step.entry.id}  {call}  {outcome}"


def _span_cells(span: PhaseSpan | None) -> list[str]:
    if span is None:
        return ["", "", ""]
    if span.days is None:
        days = ""
    else:
        fewest, most = span.days
        days = str(fewest) if fewest == most else f"{fewest} to {most}"
    # one region's phase a line, and a date range over two lines, so no name is cut
    phases = span.phase.replace(", ", ",\n")
    start = str(span.start).replace("/", "/\n") if span.start else "undated"
    return [phases, start, days]
