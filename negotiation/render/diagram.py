"""Diagrams of a model, generated from the Model itself: its regions, their phases and the
events that move them, as Mermaid (`stateDiagram-v2`) or Graphviz DOT, with a replay's path
marked on them.

What is drawn:

- each region as a cluster (DOT) or a composite state (Mermaid), titled; a model with one
  region is a plain state machine and is drawn without one;
- each phase by its title; the initial phase of each region with an arrow from a start point,
  a final phase with a double border (DOT) or an arrow to the end point (Mermaid);
- an event with a `to` as one transition for each phase it moves: from each phase of that
  region the event allows (every phase of the region when the event does not name the region)
  to its target, labelled with the event's name and its guards' names in brackets. An event
  allowed from its own target is drawn as a loop: it fires there and the phase is entered
  again. An event with no `to` changes only the ledger and is not drawn.

A replay's path (`replay_path`) puts on each transition the numbers of the steps that took it,
in brackets before the label, numbered as `negotiation run` numbers them; it styles every
phase the replay was in, and optionally the phases each region is in after one step.

Names and titles from the file are escaped for each syntax: nothing a title holds can end a
string, start a comment or a directive, or add a statement. The same model (and trace) always
gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from negotiation.errors import UsageError, shown, suggest
from negotiation.rules.model import Model, Region
from negotiation.scenarios.trace import Trace
from negotiation.semantics.outcomes import Applied

# DOT and Mermaid ids of what is not a phase: phase and region names are lower case
# ([a-z][a-z0-9_]*), so an id with a capital letter never meets one.
START = "Start_{}"
REGION = "Region_{}"

VISITED_FILL = "#dbeafe"
CURRENT_FILL = "#fde68a"
PATH_COLOR = "#1d4ed8"


@dataclass(frozen=True)
class Transition:
    """One arrow: an event moving one region from `source` to `target`."""

    event: str
    source: str
    target: str
    guards: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.event, self.source, self.target)


@dataclass(frozen=True)
class Path:
    """What a replay marks on a diagram.

    `steps` holds, for each transition taken (by `Transition.key`), the numbers of the steps
    that took it, in order; `visited` every phase the replay was in; `current` the phases of
    the configuration asked for with `at` (empty when none was).
    """

    caption: str
    steps: Mapping[tuple[str, str, str], tuple[int, ...]] = field(default_factory=dict)
    visited: frozenset[str] = frozenset()
    current: frozenset[str] = frozenset()


def transitions(model: Model) -> tuple[Transition, ...]:
    """Every arrow of the model, in the order of its events, their targets and the phases of
    each target's region."""
    found: list[Transition] = []
    for event in model.events.values():
        guards = tuple(guard.name for guard in event.guards)
        for target in event.to:
            region = model.regions[model.phases[target].region]
            allowed = event.requires.get(region.name)
            for source in region.phases:
                if allowed is None or source in allowed:
                    found.append(Transition(event.name, source, target, guards))
    return tuple(found)


def step_number(trace: Trace, at: str) -> int:
    """The step `at` names: a step number as `negotiation run` numbers them (0: the start),
    or an entry's id. Raises UsageError for a step the scenario lacks or the replay did not
    reach."""
    entries = [entry.id for entry in trace.scenario.events]
    if re.fullmatch(r"[0-9]+", at):
        number = int(at)
        if number > len(entries):
            raise UsageError(f"step {number}: the scenario has {len(entries)} steps", "--at")
    elif at in entries:
        number = entries.index(at) + 1
    else:
        message = f"no entry '{shown(at)}' in the scenario" + suggest(at, entries)
        raise UsageError(message, "--at")
    if number > len(trace.steps):
        last = trace.steps[-1].entry.id if trace.steps else ""
        raise UsageError(
            f"step {number} ('{shown(entries[number - 1])}') was not reached: the replay "
            f"stopped at step {len(trace.steps)} ('{shown(last)}')",
            "--at",
        )
    return number


def replay_path(trace: Trace, at: int | None = None) -> Path:
    """The path `trace` took, up to step `at` if given (with the phases after that step as
    the current configuration), else to its end."""
    model = trace.scenario.model
    until = len(trace.steps) if at is None else at
    start = trace.steps[0].before.phases if trace.steps else trace.final.phases
    visited = set(start.values())
    steps: dict[tuple[str, str, str], list[int]] = {}
    for number, step in enumerate(trace.steps[:until], start=1):
        if not isinstance(step.outcome, Applied):
            continue
        event = model.events[step.outcome.event]
        for target in event.to:
            source = step.before.phases[model.phases[target].region]
            steps.setdefault((event.name, source, target), []).append(number)
        visited.update(step.after.phases.values())
    caption = f"{trace.scenario.title}: the replay's path, steps numbered as negotiation run shows"
    current: frozenset[str] = frozenset()
    if at is not None:
        phases = trace.steps[at - 1].after.phases if at else start
        current = frozenset(phases.values())
        caption += (
            f", to step {at} ({trace.steps[at - 1].entry.id}), and the phases after it"
            if at
            else ", and the phases it starts in"
        )
    return Path(
        caption,
        {key: tuple(numbers) for key, numbers in steps.items()},
        frozenset(visited),
        current,
    )


def label(transition: Transition, path: Path | None, escape: Callable[[str], str] = str) -> str:
    """An arrow's label: the step numbers that took it, the event, its guards (each name
    through `escape`)."""
    text = escape(transition.event)
    if transition.guards:
        text += f" [{', '.join(escape(guard) for guard in transition.guards)}]"
    numbers = path.steps.get(transition.key, ()) if path else ()
    if numbers:
        text = f"({', '.join(str(n) for n in numbers)}) {text}"
    return text


def _final_phases(model: Model, region: Region) -> list[str]:
    return [name for name in region.phases if model.phases[name].final]


# --- Graphviz DOT ---------------------------------------------------------------------------


def dot_string(text: str) -> str:
    """`text` as a DOT quoted string: backslashes doubled (so none starts an escape such as
    `\\N`), quotes escaped, each control or invisible character a space."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_lines(*lines: str) -> str:
    """Lines as one DOT quoted string, broken where they end (`\\n`)."""
    return "\\n".join(dot_string(line)[1:-1] for line in lines).join('""')


def _attributes(**values: str) -> str:
    return "[" + ", ".join(f"{key}={dot_string(value)}" for key, value in values.items()) + "]"


def to_dot(model: Model, path: Path | None = None) -> str:
    """The model as a Graphviz `digraph`, regions as `cluster_<region>` subgraphs."""
    caption = dot_lines(model.title, *([path.caption] if path else []))
    lines = [
        f"// {model.name}: generated by `negotiation diagram` from the model",
        f"digraph {dot_string(model.name)} {{",
        f"  graph [label={caption}, {_attributes(labelloc='t', fontname='Helvetica')[1:]};",
        f"  node {_attributes(shape='box', style='rounded', fontname='Helvetica')};",
        f"  edge {_attributes(fontname='Helvetica', fontsize='10')};",
    ]
    arrows = transitions(model)
    for region in model.regions.values():
        indent = "  "
        if not model.one_region:
            lines.append(f"  subgraph {dot_string('cluster_' + region.name)} {{")
            lines.append(f"    {_attributes(label=region.title)[1:-1]};")
            indent = "    "
        lines.extend(indent + line for line in _dot_region(model, region, arrows, path))
        if not model.one_region:
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_region(
    model: Model, region: Region, arrows: tuple[Transition, ...], path: Path | None
) -> Iterator[str]:
    start = START.format(region.name)
    yield f"{dot_string(start)} {_attributes(shape='point', width='0.15', label='')};"
    for name in region.phases:
        phase = model.phases[name]
        attributes = {"label": phase.title, "tooltip": name}
        if phase.final:
            attributes["peripheries"] = "2"
        if path and name in path.current:
            attributes |= {"style": "rounded,filled,bold", "fillcolor": CURRENT_FILL}
        elif path and name in path.visited:
            attributes |= {"style": "rounded,filled", "fillcolor": VISITED_FILL}
        yield f"{dot_string(name)} {_attributes(**attributes)};"
    yield f"{dot_string(start)} -> {dot_string(region.initial)};"
    for arrow in arrows:
        if model.phases[arrow.target].region != region.name:
            continue
        attributes = {"label": label(arrow, path)}
        if path and arrow.key in path.steps:
            attributes |= {"color": PATH_COLOR, "fontcolor": PATH_COLOR, "penwidth": "2"}
        yield (
            f"{dot_string(arrow.source)} -> {dot_string(arrow.target)} {_attributes(**attributes)};"
        )


# --- Mermaid --------------------------------------------------------------------------------

# Phase names Mermaid's lexer reads as a keyword where a state's id stands (found with its
# parser): such a phase gets the id `Phase_<name>`, which no phase name can be.
MERMAID_KEYWORDS = frozenset({"state", "note", "class", "classdef", "style"})

# Kept as they are in Mermaid text; every other character is written as an entity code
# (`#34;`), which Mermaid sets aside before it parses and shows as the character.
_MERMAID_PLAIN = frozenset(" .,'()-_/?!+*=")


def mermaid_text(text: str) -> str:
    """`text` safe in a Mermaid label or quoted state name: letters, digits, spaces and a few
    marks as they are; quotes, `%`, `:`, `;`, `#`, brackets, braces and the rest as entity
    codes; control and invisible characters as spaces. So no title can end a string, start a
    comment or a directive (`%%`), end a label (`;`, `:`) or be read as a whole-line
    statement (Mermaid takes any line holding `direction LR` for one)."""
    out = []
    for ch in text:
        if not ch.isprintable():
            out.append(" ")
        elif ch.isalnum() or ch in _MERMAID_PLAIN:
            out.append(ch)
        else:
            out.append(f"#{ord(ch)};")
    # Mermaid's lexer reads `direction` followed by a space anywhere on a line as a statement
    return re.sub(r"(?i)(directio)(n)(?=\s)", lambda m: f"{m[1]}#{ord(m[2])};", "".join(out))


def mermaid_comment(text: str) -> str:
    """`text` safe in a `%%` comment line: on one line, and with no `%` or brace to start a
    directive (Mermaid looks for `%%{...}%%` anywhere in the text, comments included)."""
    return "".join(
        " " if not ch.isprintable() else f"#{ord(ch)};" if ch in "%{}" else ch for ch in text
    )


def mermaid_id(phase: str) -> str:
    """A phase's Mermaid id: its name, unless Mermaid would read that as a keyword."""
    return f"Phase_{phase}" if phase.lower() in MERMAID_KEYWORDS else phase


def to_mermaid(model: Model, path: Path | None = None) -> str:
    """The model as a Mermaid `stateDiagram-v2`, one composite state for each region."""
    lines = [f"%% {model.name}: {mermaid_comment(model.title)}"]
    if path:
        lines.append(f"%% {mermaid_comment(path.caption)}")
    lines.append("stateDiagram-v2")
    arrows = transitions(model)
    for region in model.regions.values():
        indent = "    "
        if not model.one_region:
            lines.append(
                f'    state "{mermaid_text(region.title)}" as {REGION.format(region.name)} {{'
            )
            indent = "        "
        lines.extend(indent + line for line in _mermaid_region(model, region, arrows, path))
        if not model.one_region:
            lines.append("    }")
    if path:
        lines.extend(_mermaid_classes(model, path))
    return "\n".join(lines) + "\n"


def _mermaid_region(
    model: Model, region: Region, arrows: tuple[Transition, ...], path: Path | None
) -> Iterator[str]:
    for name in region.phases:
        yield f'state "{mermaid_text(model.phases[name].title)}" as {mermaid_id(name)}'
    yield f"[*] --> {mermaid_id(region.initial)}"
    for arrow in arrows:
        if model.phases[arrow.target].region == region.name:
            source, target = mermaid_id(arrow.source), mermaid_id(arrow.target)
            yield f"{source} --> {target} : {label(arrow, path, mermaid_text)}"
    for name in _final_phases(model, region):
        yield f"{mermaid_id(name)} --> [*]"


def _mermaid_classes(model: Model, path: Path) -> Iterator[str]:
    yield f"    classDef visited fill:{VISITED_FILL},stroke:{PATH_COLOR}"
    yield f"    classDef current fill:{CURRENT_FILL},stroke:{PATH_COLOR},stroke-width:3px"
    current = [mermaid_id(name) for name in model.phases if name in path.current]
    visited = [
        mermaid_id(name)
        for name in model.phases
        if name in path.visited and name not in path.current
    ]
    if visited:
        yield f"    class {','.join(visited)} visited"
    if current:
        yield f"    class {','.join(current)} current"
