"""The human timeline of a replay: each step, what moved, why, and on whose word."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from negotiation.analyses.sensitivity import MAX_REPLAYS, Sensitivity
from negotiation.errors import shown
from negotiation.rules.model import Model, Value
from negotiation.scenarios.figures import Figure
from negotiation.scenarios.replay import REPLAY_SEARCH_BUDGET
from negotiation.scenarios.scenario import Claim
from negotiation.scenarios.trace import CheckpointResult, Trace, TraceStep, codes_of
from negotiation.semantics.judge import derived_values

WIDTH = 80  # into a file or a pipe
MIN_WIDTH = 60  # the narrowest terminal the timeline is wrapped for


def wrap(text: str, width: int, subsequent_indent: str = "") -> list[str]:
    """`text` in lines of at most `width` bytes of UTF-8 (so "→" counts three): narrower than
    a terminal needs, but a line fits 80 columns by any count, `awk 'length > 80'` included.
    Spaces inside a line are kept (columns stay aligned); words longer than a line are cut."""
    lines: list[str] = []
    line = ""
    for token in re.findall(r"\s*\S+", text.rstrip()):
        word = token.lstrip()
        indent = subsequent_indent if lines else ""
        candidate = line + token if line else indent + (token if not lines else word)
        if len(candidate.encode()) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = subsequent_indent + word
        while len(line.encode()) > width:
            cut = _fit(line, width)
            lines.append(line[:cut])
            line = subsequent_indent + line[cut:]
    if line:
        lines.append(line)
    return lines


def _fit(word: str, room: int) -> int:
    """How many characters of `word` fit in `room` bytes (at least one)."""
    used = 0
    for index, char in enumerate(word):
        used += len(char.encode())
        if used > room:
            return max(index, 1)
    return len(word)


def say(console: Console, text: str, indent: str = "  ") -> None:
    """A line of our own words (markup allowed) wrapped to the console's width."""
    plain = Text.from_markup(text)
    if len(plain.plain.encode()) <= console.width:
        console.print(text, soft_wrap=True)
        return
    for line in wrap(plain.plain, console.width, indent):
        console.print(escape(line), soft_wrap=True)


def safe(text: str) -> str:
    """Text from a file, ready for a rich console: control characters and invisible format
    characters escaped (a file must not drive the reader's terminal), then markup escaped."""
    return escape(shown(text))


def render_trace(trace: Trace, color: bool = False, width: int = WIDTH) -> str:
    """The timeline, the end state and the expectations, as text (with colour if asked)."""
    console = _console(color, width)
    scenario = trace.scenario
    model = scenario.model
    say(console, f"[bold]{safe(scenario.title)}[/]")
    start = f", {scenario.start_date}" if scenario.start_date else ""
    say(console, f"scenario  {scenario.name}")
    say(console, f"model     {model.name} ({safe(model.title)})")
    say(console, f"start     {scenario.start_phase}{start}")
    if scenario.extends:
        where = f", diverging at '{scenario.diverge_at}'" if scenario.diverge_at else ""
        say(
            console,
            f"extends   {safe(scenario.extends)}: keeps its first {scenario.inherited} "
            f"events (marked b){where}",
        )
    if scenario.rationale:
        _rows(console, [("why", safe(scenario.rationale))], indent=0, width=8)
    for override in scenario.overrides:
        _rows(console, [("override", safe(override))], indent=0, width=8)
    if trace.trusted_source:
        say(console, f"figures   where sources disagree, the values of '{trace.trusted_source}'")
    for number, step in enumerate(trace.steps, start=1):
        console.print()
        _step(console, trace, number, step)
    console.print()
    _end_state(console, trace)
    _bibliography(console, trace)
    text = _written(console)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def cited_sources(trace: Trace) -> list[str]:
    """The ids of the sources the replayed entries cite (claims, checkpoints, figures), in the
    order the scenario lists its sources."""
    cited: set[str] = set()
    for step in trace.steps:
        entry = step.entry
        cited.update(claim.source for claim in entry.claims)
        if entry.checkpoint is not None:
            cited.add(entry.checkpoint.source)
        for figure in entry.figures.values():
            cited.update(value.source for value in figure.values)
    return [sid for sid in trace.scenario.sources if sid in cited]


def _bibliography(console: Console, trace: Trace) -> None:
    """The sources the replay cites: publisher, title, date, grade and address."""
    cited = cited_sources(trace)
    if not cited:
        return
    console.print()
    say(console, "[bold]Sources[/]")
    width = min(max(len(sid) for sid in cited), 24)
    for sid in cited:
        source = trace.scenario.sources[sid]
        parts = [source.publisher, f'"{source.title}"', source.date or "undated"]
        if source.grade:
            parts.append(f"graded {source.grade}")
        text = ", ".join(parts) + "." + (f" {source.url}" if source.url else "")
        if len(sid) > width:  # a long id on a line of its own
            console.print(escape(sid), soft_wrap=True)
            _rows(console, [("", safe(text))], indent=0, width=width)
        else:
            _rows(console, [(escape(sid), safe(text))], indent=0, width=width)


def _written(console: Console) -> str:
    """What has been printed to a console made by `_console`."""
    buffer = console.file
    assert isinstance(buffer, io.StringIO)
    return buffer.getvalue()


def _console(color: bool, width: int) -> Console:
    return Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def _step(console: Console, trace: Trace, number: int, step: TraceStep) -> None:
    entry = step.entry
    definition = trace.scenario.model.events.get(entry.event) if entry.event else None
    order = list(definition.params) if definition else list(entry.params)
    params = ", ".join(f"{k}={_plain(step.params[k])}" for k in order if k in step.params)
    call = f"{entry.event}({params})" if params else (entry.event or "checkpoint")
    actor = f"  by {entry.actor}" if entry.actor else ""
    date = entry.date if entry.date is not None else "undated"
    mark = "b" if step.inherited else " "
    header = f"{number:>3}{mark} {date}  {entry.id}  {call}{actor}"
    lines = wrap(header, console.width, subsequent_indent=" " * 9)
    console.print(f"[bold]{safe(lines[0])}[/]", soft_wrap=True)
    for line in lines[1:]:
        console.print(safe(line), soft_wrap=True)
    rows: list[tuple[str, str]] = []
    refused, broken = step.refused, step.broken
    if refused is not None:
        for number, outcome in enumerate(refused.refusals):
            label = "[red bold]REFUSED[/]" if number == 0 else "and"
            rows.append(
                (
                    label,
                    f"by guard [bold]{outcome.guard}[/]: "
                    f"{safe(outcome.reason)}{safe(_values(outcome.values))}",
                )
            )
        rows.append(("phase", f"{step.before.phase} (unchanged: nothing was applied)"))
    elif broken is not None:
        rows.append(("[red bold]BROKEN[/]", safe(str(broken))))
    elif step.outcome is None:
        rows.append(("phase", f"{step.before.phase} (a report: no event)"))
    else:
        rows.append(("phase", _phase_change(trace.scenario.model, step)))
        changes = [
            f"{name} {_value(old)} → {_value(step.after.ledger[name])}"
            for name, old in step.before.ledger.items()
            if step.after.ledger[name] != old
        ]
        rows.append(("changed", " · ".join(changes) if changes else "nothing"))
        applied = [o for o in step.guards if not o.exempt]
        if applied:
            rows.append(("guards", ", ".join(f"{o.guard} ✓" for o in applied)))
        for outcome in step.guards:
            if outcome.exempt:
                rows.append(("n/a", f"{outcome.guard}: does not apply, as {outcome.exempt}"))
    result = next((c for c in trace.checkpoints if c.at == entry.id), None)
    if result is not None:
        rows += _checkpoint_rows(trace, result)
    codes = codes_of(trace.scenario, entry)
    if codes is not None:
        rows.append(("codes", safe(str(codes))))
    for name, figure in entry.figures.items():
        rows.append(("figure", safe(_figure(trace, name, figure, step.params.get(name)))))
    for claim in entry.claims:
        rows.append(("claim", safe(_claim(trace, claim))))
    if entry.derived:
        rows.append(("derived", safe(entry.derived)))
    if entry.note:
        rows.append(("note", safe(entry.note)))
    _rows(console, rows)


def _rows(console: Console, rows: list[tuple[str, str]], indent: int = 3, width: int = 7) -> None:
    """Label-and-text rows, the text wrapped with a hanging indent under itself.

    Labels may carry markup (colour); texts are markup too but are wrapped as their plain words.
    """
    lead = " " * (indent + 2) if indent else ""
    hang = " " * (len(lead) + width + 2)
    room = max(console.width - len(hang), 20)
    for label, text in rows:
        plain_label = Text.from_markup(label).plain
        words = Text.from_markup(text).plain
        lines = wrap(words, room) or [""]
        gap = " " * (width - len(plain_label) + 2)
        console.print(f"{lead}{label}{gap}{safe(lines[0])}", soft_wrap=True)
        for line in lines[1:]:
            console.print(f"{hang}{safe(line)}", soft_wrap=True)


def _figure(trace: Trace, name: str, figure: Figure, used: object = None) -> str:
    parts = [f"{name}: {figure.best if used is None else used} used"]
    if figure.low is not None or figure.high is not None:
        low = figure.low if figure.low is not None else "?"
        high = figure.high if figure.high is not None else "?"
        parts.append(f"range {low}–{high}")
    for item in figure.values:
        source = trace.scenario.sources.get(item.source)
        who = item.by or (source.publisher if source else item.source)
        parts.append(f"{item.value} per {who}")
    text = "; ".join(parts)
    return f"{text}. {figure.derived}" if figure.derived else text


def _claim(trace: Trace, claim: Claim) -> str:
    source = trace.scenario.sources.get(claim.source)
    if source is None:
        cited = claim.source
    else:
        cited = ", ".join(part for part in (source.publisher, source.date, source.grade) if part)
    who = cited if claim.by == (source.publisher if source else None) else f"{claim.by} ({cited})"
    stance = "" if claim.stance == "asserted" else f" [{claim.stance}]"
    return f"{who}{stance}: {claim.says}" if claim.says else f"{who}{stance}"


def _checkpoint_rows(trace: Trace, result: CheckpointResult) -> list[tuple[str, str]]:
    """What a source reported at this step, and whether the ledger agrees, value by value."""
    checkpoint = result.checkpoint
    source = trace.scenario.sources.get(checkpoint.source)
    by = checkpoint.by or (source.publisher if source else checkpoint.source)
    said = Claim(by, checkpoint.source, "asserted", checkpoint.says)
    rows = [("reported", safe(_claim(trace, said)))]
    wrong = {m.reported.name: m for m in result.mismatches}
    checks = []
    for reported in checkpoint.values:
        if reported.name in wrong:
            got = wrong[reported.name].got
            shown = "undefined" if got is None else _value(got)
            checks.append(f"✗ {reported.name}: reported {reported.text()}, ledger {shown}")
        else:
            checks.append(f"✓ {reported.name} {reported.text()}")
    label = "checked" if result.met else "[red bold]MISMATCH[/]"
    rows.append((label, safe(" · ".join(checks))))
    return rows


def _phase_change(model: Model, step: TraceStep) -> str:
    """The phase row of an applied step: what moved, region by region."""
    before, after = step.before.phases, step.after.phases
    if before == after:
        return f"{step.after.phase} (unchanged)"
    if model.one_region:
        return f"{step.before.phase} → [bold]{step.after.phase}[/]"
    moves = [
        f"{region} {before[region]} → [bold]{phase}[/]"
        for region, phase in after.items()
        if before[region] != phase
    ]
    return " · ".join(moves)


def _end_state(console: Console, trace: Trace) -> None:
    model = trace.scenario.model
    final = trace.final
    if model.one_region:
        title = model.phases[final.phase].title
        say(console, f"[bold]End state[/]: {final.phase} ({safe(title)})")
    else:
        say(console, "[bold]End state[/]:")
        width = max(len(region) for region in model.regions)
        for region, phase in final.phases.items():
            title = model.phases[phase].title
            say(console, f"  {region:<{width}}  {phase} ({safe(title)})")
    console.print(ledger_table(model, final.ledger, trace.scenario.start_ledger))
    if trace.stopped_at is not None:
        say(console, f"[red bold]Replay stopped[/] at '{trace.stopped_at}'.")
    if trace.until is not None:
        left = len(trace.scenario.events) - len(trace.steps)
        cut = (
            f"Replay cut where asked (until {shown(trace.until)}): {left} later "
            f"{'entry' if left == 1 else 'entries'} not replayed, expectations not checked."
        )
        for line in wrap(cut, console.width):
            console.print(escape(line), soft_wrap=True)
    for result in trace.checkpoint_failures:
        for mismatch in result.mismatches:
            got = "undefined" if mismatch.got is None else _value(mismatch.got)
            say(
                console,
                f"[red bold]Checkpoint failed[/] at '{result.at}': {mismatch.reported.name} "
                f"reported as {mismatch.reported.text()} by {safe(result.checkpoint.source)}, "
                f"the replay gives {got}",
            )
    if trace.checkpoints and not trace.checkpoint_failures:
        count = len(trace.checkpoints)
        say(console, f"Checkpoints: {count} met, each where its source reported it.")
    for violation in trace.violations:
        where = f"at '{violation.at}'" if violation.at else "in the starting state"
        broken = violation.broken
        say(
            console,
            f"[red bold]Broken[/] {where}: {broken.rule}: {safe(broken.message)}",
        )
    if trace.expectation_failures:
        say(console, "[red bold]Not met:[/]")
        for failure in trace.expectation_failures:
            say(console, f"  - {safe(failure)}")
    elif trace.stopped_at is None and trace.until is None and not trace.violations:
        met = "Expectations met." if trace.scenario.expect else "Expectations: none stated."
        say(console, f"[green]{met}[/]" if trace.scenario.expect else met)
        if model.properties:
            count = len(model.properties) - len(trace.undecided)
            say(console, f"The model's {count} properties hold on this history.")
        if trace.undecided:
            say(
                console,
                f"Not decided within {REPLAY_SEARCH_BUDGET:,} events tried: "
                + ", ".join(trace.undecided)
                + " (what stays reachable from where the history ends).",
            )


def ledger_table(model: Model, ledger: Mapping[str, Value], start: Mapping[str, Value]) -> Table:
    """The ledger as a table: each variable, its value, and its value at the start."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("variable")
    table.add_column("value", justify="right")
    table.add_column("at start", justify="right")
    for name in model.variables:
        table.add_row(name, _value(ledger[name]), _value(start[name]))
    if model.derived:
        now, then = derived_values(model, ledger), derived_values(model, start)
        for name in model.derived:
            table.add_row(f"{name} (derived)", _value(now[name]), _value(then[name]))
    return table


def _value(value: Value | None) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _plain(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(values: Mapping[str, object]) -> str:
    if not values:
        return ""
    return " (" + ", ".join(f"{k}={v!r}" for k, v in values.items()) + ")"


def render_sensitivity(result: Sensitivity, width: int = WIDTH) -> str:
    """Which conclusions change when an uncertain or contested figure moves."""
    console = _console(False, width)
    scenario = result.baseline.scenario
    figures = result.figures
    say(
        console,
        f"Sensitivity of {scenario.name} to its uncertain and contested figures: "
        f"{len(figures)} figure{'s' if len(figures) != 1 else ''}, "
        f"{len(result.variants)} variant replay{'s' if len(result.variants) != 1 else ''}.",
    )
    met = "met" if not result.baseline.expectation_failures else "not met"
    say(
        console,
        f"As written, the replay ends in {result.baseline.final.phase}; expectations {met}.",
    )
    if not figures:
        say(console, "No figure in this scenario has a range or disagreeing sources.")
    for event_id, param in figures:
        entry = next(e for e in scenario.events if e.id == event_id)
        figure = entry.figures[param]
        console.print()
        say(
            console, f"[bold]{event_id}.{param}[/]: {safe(_figure(result.baseline, param, figure))}"
        )
        for variant in result.variants:
            if (variant.event_id, variant.param) != (event_id, param):
                continue
            moved = f", with {', '.join(variant.moved_with)}" if variant.moved_with else ""
            if variant.ruled_out:
                say(console, f"  at {variant.value} ({safe(variant.label)}{moved}): ruled out")
                _rows(console, [("", safe(variant.ruled_out))], indent=2, width=1)
            elif variant.changes:
                rows = [("", safe(change)) for change in variant.changes]
                say(
                    console,
                    f"  at {variant.value} ({safe(variant.label)}{moved}): "
                    f"{len(variant.changes)} conclusion(s) change",
                )
                _rows(console, rows, indent=2, width=1)
            else:
                say(
                    console, f"  at {variant.value} ({safe(variant.label)}{moved}): nothing changes"
                )
    resting = sorted({f"{v.event_id}.{v.param}" for v in result.variants if v.changes})
    console.print()
    if resting:
        say(console, "Conclusions rest on: " + ", ".join(resting) + ".")
    elif figures:
        replayed = "the variants replayed" if result.skipped else "these figures"
        say(console, f"No conclusion rests on {replayed}.")
    if result.skipped:
        say(
            console,
            f"... {result.skipped:,} variant{'s' if result.skipped != 1 else ''} not replayed: "
            f"the budget of {MAX_REPLAYS} replays was reached.",
        )
    text = _written(console)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
