"""A walkthrough's screens as text (for the terminal and the handout) and as a Markdown lesson
page. A step is drawn by the timeline's own step renderer (render/text.py), with what a class
needs beside it: the sources' titles, the phases in force, each rule's reason, the teaching notes.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.text import Text

from negotiation.errors import shown
from negotiation.render.markdown import block as _block
from negotiation.render.markdown import code, md
from negotiation.render.text import (
    WIDTH,
    _console,
    _end_state,
    _rows,
    _step,
    _written,
    safe,
    wrap,
)
from negotiation.scenarios.scenario import ScenarioEvent
from negotiation.scenarios.trace import Trace, TraceStep
from negotiation.teaching.walkthrough import (
    Answer,
    Branch,
    BranchEnd,
    Choices,
    Debrief,
    Decision,
    Goodbye,
    Message,
    Option,
    Prediction,
    Screen,
    Start,
    Step,
    Walkthrough,
)

Rows = list[tuple[str, str]]


def render_screen(screen: Screen, color: bool = False, width: int = WIDTH) -> str:
    """One screen of a session, as text."""
    console = _console(color, width)
    _draw(console, screen)
    return _finish(console)


def render_keys(keys: tuple[tuple[str, str], ...]) -> str:
    """The commands that work now, on one line: `n next · b back · q quit`."""
    return " · ".join(f"{key} {meaning}" for key, meaning in keys)


def render_handout(walk: Walkthrough, width: int = WIDTH) -> str:
    """The whole walkthrough, for reading without a session: every step of the record, at
    each decision point the question, the answer and each counterfactual's own steps, then
    the debrief."""
    console = _console(False, width)
    for screen in handout_screens(walk):
        _draw(console, screen, handout=True)
        console.print()
    return _finish(console)


def handout_screens(walk: Walkthrough) -> Iterator[Screen]:
    """The screens of a walk that takes every road once, in order."""
    trace = walk.trace
    yield Start(walk)
    for index in range(-1, len(trace.steps)):
        if index >= 0:
            yield Step(trace, index, None, walk.decision_at(index + 1))
        decision = walk.decision_at(index + 1)
        if decision is None:
            continue
        yield Choices(decision)
        yield Answer(Prediction(decision, _real_option(decision), trace.scenario.name))
        for branch in decision.branches:
            for at in range(branch.at, len(branch.trace.steps)):
                yield Step(branch.trace, at, branch)
            yield BranchEnd(branch)
    yield Debrief(walk, ())


def _real_option(decision: Decision) -> Option:
    return next(option for option in decision.options if option.real)


def _finish(console: Console) -> str:
    return "".join(line.rstrip() + "\n" for line in _written(console).splitlines())


def _draw(console: Console, screen: Screen, handout: bool = False) -> None:
    if isinstance(screen, Start):
        _start(console, screen.walkthrough)
    elif isinstance(screen, Step):
        _walk_step(console, screen, handout)
    elif isinstance(screen, Choices):
        _choices(console, screen.decision)
    elif isinstance(screen, Answer):
        _answer(console, screen.prediction, handout)
    elif isinstance(screen, BranchEnd):
        _branch_end(console, screen.branch, handout)
    elif isinstance(screen, Debrief):
        _debrief(console, screen)
    elif isinstance(screen, Message):
        _para(console, "", screen.text)
    elif isinstance(screen, Goodbye):
        console.print("End of the walkthrough." if screen.finished else "Walkthrough left.")


# -- the screens ------------------------------------------------------------------------------


def _start(console: Console, walk: Walkthrough) -> None:
    trace = walk.trace
    scenario, model = trace.scenario, trace.scenario.model
    _para(console, "", scenario.title, bold=True)
    rows: Rows = [
        ("scenario", safe(scenario.name)),
        ("model", f"{model.name}: {safe(model.title)}"),
    ]
    if model.description:
        rows.append(("about", prose(model.description)))
    if scenario.description:
        rows.append(("history", prose(scenario.description)))
    start = trace.steps[0].before if trace.steps else trace.final
    date = f" on {scenario.start_date}" if scenario.start_date else ""
    steps = f"{len(trace.steps)} step{'' if len(trace.steps) == 1 else 's'}"
    rows.append(("start", f"{steps}, starting{date} in {_configuration(trace, start)}"))
    for phase in start.phases.values():
        if model.phases[phase].teaching:
            rows.append(("teaching", f"{phase}: {prose(model.phases[phase].teaching)}"))
    for decision in walk.decisions:
        for branch in decision.branches:
            rows.append(
                (
                    "what if",
                    f"{safe(branch.scenario.title)}: diverges at step {decision.at + 1}",
                )
            )
    for unreadable in walk.unreadable:
        rows.append(("not read", f"{safe(unreadable.path)}: {safe(unreadable.reason)}"))
    if trace.until is not None:
        rows.append(("until", f"the walk stops at {safe(trace.until)}, as asked"))
    _rows(console, rows, indent=0, width=8)
    first = walk.decision_at(0)
    if first is not None:
        _decision_note(console, first)


def _walk_step(console: Console, screen: Step, handout: bool, teaching: bool = True) -> None:
    trace, step = screen.trace, screen.step
    if screen.branch is not None:
        _para(console, "what if: ", screen.branch.scenario.title)
    total = len(trace.scenario.events)
    console.print(f"step {screen.index + 1} of {total}")
    _step(console, trace, screen.index + 1, step)
    rows = step_rows(trace, step)
    _rows(console, [row for row in rows if teaching or row[0] != "teaching"])
    if screen.decision is not None and not handout:
        _decision_note(console, screen.decision)


def _decision_note(console: Console, decision: Decision) -> None:
    count = len(decision.branches)
    which = "a counterfactual diverges" if count == 1 else f"{count} counterfactuals diverge"
    _para(
        console,
        "[bold]Decision point[/]: ",
        f"{which} at the next step. What happens next? p predicts, x branches.",
    )


def _choices(console: Console, decision: Decision) -> None:
    console.print(f"[bold]What happens next?[/] (step {decision.at + 1})")
    for option in decision.options:
        _rows(console, [(option.key, safe(option_text(option)))], indent=1, width=1)


def _answer(console: Console, prediction: Prediction, handout: bool) -> None:
    decision, chosen = prediction.decision, prediction.chosen
    real = _real_option(decision)
    if not handout:
        verdict = "[green bold]Right[/]" if prediction.correct else "[bold]Not what happened[/]"
        console.print(f"{verdict}: you chose {chosen.key}.")
    _para(console, f"[bold]What happened[/] ({real.key}): ", option_text(real))
    if decision.real is not None:
        _rows(console, verdict_rows(decision.real))
    for option in decision.options:
        if option.branch is None:
            continue
        branch = option.branch
        _para(console, f"[bold]What if[/] ({option.key}): ", branch.scenario.title)
        rows: Rows = []
        if branch.scenario.rationale:
            rows.append(("premise", prose(branch.scenario.rationale)))
        if branch.at < len(branch.trace.steps):
            rows += verdict_rows(branch.trace.steps[branch.at])
        else:
            rows.append(("rules", "its replay ends before this step"))
        _rows(console, rows)
    if not handout:
        branches = [o for o in decision.options if o.branch is not None]
        hint = "x" if len(branches) == 1 else " or ".join(f"x {o.key}" for o in branches)
        console.print(f"{hint}: branch into the counterfactual · n: go on with the record")


def _branch_end(console: Console, branch: Branch, handout: bool) -> None:
    _para(console, "[bold]End of the counterfactual[/]: ", branch.scenario.title)
    _end_state(console, branch.trace)
    if not handout:
        console.print("r: return to where you branched")


def _debrief(console: Console, screen: Debrief) -> None:
    walk = screen.walkthrough
    _end_state(console, walk.trace)
    console.print()
    console.print("[bold]Debrief[/]")
    if screen.predictions:
        right = sum(1 for p in screen.predictions if p.correct)
        console.print(f"Predictions: {right} of {len(screen.predictions)} as it happened.")
        for prediction in screen.predictions:
            mark = "✓" if prediction.correct else "✗"
            text = f"step {prediction.decision.at + 1}: {option_text(prediction.chosen)}"
            _rows(console, [(mark, safe(text))], indent=1, width=1)
    if not walk.questions:
        console.print("No teaching note of this model or scenario asks a question.")
    else:
        console.print("Questions, from the teaching notes:")
    for number, question in enumerate(walk.questions, start=1):
        rows = [(f"{number}.", safe(question.text)), ("", f"from {safe(question.source)}")]
        _rows(console, rows, indent=1, width=3)


# -- what a step adds for a class --------------------------------------------------------------


def step_rows(trace: Trace, step: TraceStep) -> Rows:
    """Beside the timeline's rows: the sources by title, the phases in force where there are
    several regions, each guard's reason for an applied step, and the teaching notes of the
    phases the step enters."""
    scenario, model = trace.scenario, trace.scenario.model
    rows: Rows = []
    cited = [claim.source for claim in step.entry.claims]
    if step.entry.checkpoint is not None:
        cited.append(step.entry.checkpoint.source)
    for source_id in dict.fromkeys(cited):
        source = scenario.sources.get(source_id)
        if source is not None:
            parts = [source.publisher, f"“{source.title}”", source.date or "", source.url or ""]
            rows.append(("source", safe(", ".join(part for part in parts if part))))
    if step.applied:
        rows += [row for row in verdict_rows(step) if row[0] == "why"]
        if not model.one_region and step.after.phases != step.before.phases:
            rows.append(("now", _configuration(trace, step.after)))
    for region, phase in step.after.phases.items():
        if step.before.phases[region] != phase and model.phases[phase].teaching:
            rows.append(("teaching", f"{phase}: {prose(model.phases[phase].teaching)}"))
    return rows


def verdict_rows(step: TraceStep) -> Rows:
    """What the rules said of a step: the guards that allowed it, with their reasons, or
    those that refused it, or the rule it would break."""
    outcome = step.outcome
    if outcome is None:
        return [("rules", "a report, not an event: no rule to judge")]
    if step.broken is not None:
        return [("broken", safe(str(step.broken)))]
    refused = step.refused
    if refused is not None:
        return [
            ("refused", f"{outcome.guard}: {safe(outcome.reason)}") for outcome in refused.refusals
        ]
    if not step.guards:
        return [("why", f"{step.entry.event} has no guard: the phases it fires from allow it")]
    return [("why", f"✓ {guard.guard}: {safe(guard.reason)}") for guard in step.guards]


def _para(console: Console, lead: str, text: str, bold: bool = False) -> None:
    """A paragraph: `lead` (markup of our own) then `text` from a file, wrapped to the
    console's width with a hanging indent."""
    plain_lead = Text.from_markup(lead).plain
    words = plain_lead + " ".join(shown(text).split())
    lines = wrap(words, console.width, subsequent_indent="  ")
    for number, line in enumerate(lines or [plain_lead]):
        shown_line = safe(line[len(plain_lead) :]) if number == 0 else safe(line)
        shown_line = f"[bold]{shown_line}[/]" if bold else shown_line
        console.print(f"{lead}{shown_line}" if number == 0 else shown_line, soft_wrap=True)


def prose(text: str) -> str:
    """A paragraph from a file, its line breaks and runs of spaces made single spaces."""
    return safe(" ".join(text.split()))


def option_text(option: Option) -> str:
    """An option of a decision point in a line: its event, parameters and actor."""
    if option.entry is None:
        return "nothing more: the record ends here"
    return entry_text(option.entry)


def entry_text(entry: ScenarioEvent) -> str:
    params = ", ".join(f"{name}={value}" for name, value in entry.params.items())
    call = f"{entry.event}({params})" if params else (entry.event or "a report")
    actor = f" by {entry.actor}" if entry.actor else ""
    return f"{call}{actor}"


def _configuration(trace: Trace, state: object) -> str:
    phases = getattr(state, "phases", {})
    model = trace.scenario.model
    if model.one_region:
        phase = next(iter(phases.values()))
        return f"{phase} ({safe(model.phases[phase].title)})"
    return " · ".join(f"{region} {phase}" for region, phase in phases.items())


# -- the lesson page -------------------------------------------------------------------------


def render_lesson(walk: Walkthrough, width: int = WIDTH) -> str:
    """The walkthrough as a Markdown lesson page: a heading per step, its record as the
    timeline prints it, the teaching notes as prose, the decision points as questions with
    their answers, each counterfactual's steps, and the debrief."""
    trace = walk.trace
    scenario = trace.scenario
    out: list[str] = [f"# {md(scenario.title)}", ""]
    out += [f"A walkthrough of {code(scenario.name)} (model {code(scenario.model.name)}).", ""]
    out += _block(render_screen(Start(walk), width=width))
    for screen in handout_screens(walk):
        if isinstance(screen, Step):
            step, branch = screen.step, screen.branch
            if branch is not None and screen.index == branch.at:
                out += [f"## What if: {md(branch.scenario.title)}", ""]
                if branch.scenario.rationale:
                    out += [md(branch.scenario.rationale), ""]
            level = "###" if branch is not None else "##"
            date = step.entry.date if step.entry.date is not None else "undated"
            number = screen.index + 1
            out += [f"{level} Step {number}: {md(str(date))}, {code(step.entry.id)}", ""]
            console = _console(False, width)
            _walk_step(console, screen, handout=True, teaching=False)
            out += _block(_finish(console))
            out += _teaching(screen)
        elif isinstance(screen, Choices):
            out += [f"## Decision point: what happens next? (step {screen.decision.at + 1})", ""]
            for option in screen.decision.options:
                out.append(f"{option.key}. {md(option_text(option))}")
            out.append("")
        elif isinstance(screen, Answer):
            out += ["### The answer", ""]
            out += _block(_handout_text(screen, width))
        elif isinstance(screen, BranchEnd):
            out += [f"### End of the counterfactual: {md(screen.branch.scenario.title)}", ""]
            out += _block(_handout_text(screen, width))
        elif isinstance(screen, Debrief):
            out += ["## Debrief", ""]
            out += _block(_end_text(trace, width))
            for number, question in enumerate(walk.questions, start=1):
                out.append(f"{number}. {md(question.text)} *(from {md(question.source)})*")
            if not walk.questions:
                out.append("No teaching note of this model or scenario asks a question.")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _teaching(screen: Step) -> list[str]:
    """The step's teaching notes as prose, for the page to read as a lesson."""
    step, model = screen.step, screen.trace.scenario.model
    notes = [
        f"{phase}: {model.phases[phase].teaching}"
        for region, phase in step.after.phases.items()
        if step.before.phases[region] != phase and model.phases[phase].teaching
    ]
    return [line for note in notes for line in (f"> {md(note)}", "")]


def _handout_text(screen: Screen, width: int) -> str:
    console = _console(False, width)
    _draw(console, screen, handout=True)
    return _finish(console)


def _end_text(trace: Trace, width: int) -> str:
    console = _console(False, width)
    _end_state(console, trace)
    return _finish(console)
