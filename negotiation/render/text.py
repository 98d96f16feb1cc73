"""The human timeline of a replay: each step, what moved, why, and on whose word."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from negotiation.errors import shown
from negotiation.rules.model import Model, Value
from negotiation.scenarios.figures import Figure
from negotiation.scenarios.replay import REPLAY_SEARCH_BUDGET
from negotiation.scenarios.scenario import Claim
from negotiation.scenarios.trace import CheckpointResult, Trace, TraceStep, codes_of
from negotiation.semantics.judge import derived_values

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from negotiation.analyses.sensitivity import Sensitivity

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


class Out(Protocol):
    """Where the text renderers print: a rich Console, or a `PlainConsole` for plain text."""

    @property
    def width(self) -> int: ...

    def print(self, *objects: Any, soft_wrap: bool | None = None) -> None: ...


class NotPlain(Exception):
    """Markup or a table that `PlainConsole` does not render as rich would: rich renders it."""


# rich's markup tags (rich.markup.RE_TAGS) and escape (rich.markup.escape), as rich 13 to 15
# define them: plain text is rendered without importing rich (about 20 ms of start-up).
_TAGS = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")
_ESCAPE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
_CONTROL = {7: None, 8: None, 11: None, 12: None, 13: None}  # rich.control.strip_control_codes


def escape(markup: str) -> str:
    """Text escaped so that rich markup shows it as it is (rich.markup.escape)."""
    markup = _ESCAPE.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", markup)
    if markup.endswith("\\") and not markup.endswith("\\\\"):
        return markup + "\\"
    return markup


def plain_markup(markup: str) -> str:
    """The text rich shows for `markup`, without its styles (`Text.from_markup(m).plain`).

    Raises NotPlain for what rich would refuse or treat specially (a closing tag that closes
    nothing, a named closing tag, a meta tag), so the caller can let rich decide.
    """
    if "[" not in markup:
        return markup.translate(_CONTROL)
    parts: list[str] = []
    open_tags = 0
    position = 0
    for match in _TAGS.finditer(markup):
        full_text, escapes, tag_text = match.groups()
        start, end = match.span()
        if start > position:
            parts.append(markup[position:start].replace("\\[", "["))
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            if backslashes:
                parts.append("\\" * backslashes)
            if escaped:
                parts.append(full_text[len(escapes) :].replace("\\[", "["))
                position = end
                continue
        name = tag_text.partition("=")[0]
        if name.startswith("@") or (name.startswith("/") and name[1:].strip()):
            raise NotPlain(markup)
        if name.startswith("/"):
            if not open_tags:
                raise NotPlain(markup)
            open_tags -= 1
        else:
            open_tags += 1
        position = end
    if position < len(markup):
        parts.append(markup[position:].replace("\\[", "["))
    return "".join(parts).translate(_CONTROL)


_EMOJI = re.compile(r":\S*?:")  # what rich.emoji's replacement looks at


def _plain_of(markup: str) -> str:
    """`Text.from_markup(markup).plain`, emoji codes replaced as there; rich only where needed."""
    if not _EMOJI.search(markup):
        try:
            return plain_markup(markup)
        except NotPlain:
            pass
    from rich.text import Text

    return Text.from_markup(markup).plain


class PlainConsole:
    """The part of a rich Console the timeline uses, writing plain text (no colour, no rich).

    Each `print` of markup writes the text rich would, a line of its own (soft wrap: never
    cut); a ledger table is laid out as rich lays out a box-less table that fits the width.
    Anything else raises NotPlain, and the caller renders with rich.
    """

    def __init__(self, width: int) -> None:
        self._width = width
        self.parts: list[str] = []

    @property
    def width(self) -> int:
        return self._width

    def print(self, *objects: Any, soft_wrap: bool | None = None) -> None:
        if not objects:
            self.parts.append("\n")
            return
        if len(objects) != 1:
            raise NotPlain(objects)
        item = objects[0]
        if isinstance(item, str):
            text = plain_markup(item)
            if "\t" in text:  # rich expands tabs to its own stops
                raise NotPlain(item)
            self.parts.append(text + "\n")
        elif isinstance(item, LedgerRows):
            self.parts.append(item.plain(self._width))
        else:
            raise NotPlain(item)

    def text(self) -> str:
        return "".join(self.parts)


class LedgerRows:
    """The ledger table's rows (header first), laid out as rich lays out
    `Table(box=None, pad_edge=False, show_edge=False)` with a left, a right and a right
    justified column, where every cell is ASCII and the table fits the width."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.rows = rows

    def plain(self, width: int) -> str:
        if not all(cell.isascii() and cell.isprintable() for row in self.rows for cell in row):
            raise NotPlain(self)
        widths = [max(len(row[column]) for row in self.rows) for column in range(3)]
        if sum(widths) + 4 > width:  # two spaces between columns; rich would shrink them
            raise NotPlain(self)
        return "".join(
            f"{first:<{widths[0]}}  {second:>{widths[1]}}  {third:>{widths[2]}}\n"
            for first, second, third in self.rows
        )

    def table(self) -> Table:
        from rich.table import Table

        header, *body = self.rows
        table = Table(box=None, pad_edge=False, show_edge=False)
        table.add_column(header[0])
        table.add_column(header[1], justify="right")
        table.add_column(header[2], justify="right")
        for row in body:
            table.add_row(*row)
        return table


def say(console: Out, text: str, indent: str = "  ") -> None:
    """A line of our own words (markup allowed) wrapped to the console's width."""
    plain = _plain_of(text)
    if len(plain.encode()) <= console.width:
        console.print(text, soft_wrap=True)
        return
    for line in wrap(plain, console.width, indent):
        console.print(escape(line), soft_wrap=True)


def safe(text: str) -> str:
    """Text from a file, ready for a rich console: control characters and invisible format
    characters escaped (a file must not drive the reader's terminal), then markup escaped."""
    return escape(shown(text))


def render_trace(trace: Trace, color: bool = False, width: int = WIDTH) -> str:
    """The timeline, the end state and the expectations, as text (with colour if asked).

    Without colour it is written by a `PlainConsole`, as rich would write it, unless something
    in it needs rich itself (then rich renders it all).
    """
    if not color:
        console = PlainConsole(width)
        try:
            _trace(console, trace)
        except NotPlain:
            pass
        else:
            return "".join(line.rstrip() + "\n" for line in console.text().splitlines())
    rich_console = _console(color, width)
    _trace(rich_console, trace)
    text = _written(rich_console)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _trace(console: Out, trace: Trace) -> None:
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


def _bibliography(console: Out, trace: Trace) -> None:
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
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def _step(console: Out, trace: Trace, number: int, step: TraceStep) -> None:
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


def _rows(console: Out, rows: list[tuple[str, str]], indent: int = 3, width: int = 7) -> None:
    """Label-and-text rows, the text wrapped with a hanging indent under itself.

    Labels may carry markup (colour); texts are markup too but are wrapped as their plain words.
    """
    lead = " " * (indent + 2) if indent else ""
    hang = " " * (len(lead) + width + 2)
    room = max(console.width - len(hang), 20)
    for label, text in rows:
        plain_label = _plain_of(label)
        words = _plain_of(text)
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


def _end_state(console: Out, trace: Trace) -> None:
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
    rows = ledger_rows(model, final.ledger, trace.scenario.start_ledger)
    console.print(rows if isinstance(console, PlainConsole) else rows.table())
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
    return ledger_rows(model, ledger, start).table()


def ledger_rows(
    model: Model, ledger: Mapping[str, Value], start: Mapping[str, Value]
) -> LedgerRows:
    """The ledger table's rows: a header, then each variable, its value, its value at the start."""
    rows = [("variable", "value", "at start")]
    for name in model.variables:
        rows.append((name, _value(ledger[name]), _value(start[name])))
    if model.derived:
        now, then = derived_values(model, ledger), derived_values(model, start)
        for name in model.derived:
            rows.append((f"{name} (derived)", _value(now[name]), _value(then[name])))
    return LedgerRows(rows)


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
    from negotiation.analyses.sensitivity import MAX_REPLAYS

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
