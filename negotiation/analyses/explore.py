"""Explore: every history from a state, breadth-first, a whole frontier at a time.

`explore(model, start, ...)` runs the model's compiled kernel (`negotiation.kernel`) over every
state reachable from `start` within the bounds given (depth, states, seconds), trying each event
with each of its parameter sets (`domains`: each parameter's candidate values as
`negotiation.semantics.search` chooses them, from bounds, defaults and the numbers the event's
guards compare with and their neighbours; overridable per parameter). It reports:

- the phases reached, each with a shortest path (a list of events with their parameters);
- the rules a reachable step breaks (a variable's bounds, an invariant: the kernel's Broken
  outcomes; and the model's properties over histories), each with a shortest counterexample;
- dead ends: states no event leaves with any of the parameter sets tried, where no region is in
  a final phase;
- the phases and events never reached, and counts (states, transitions, depth).

States are packed ints (the kernel's layout), deduplicated in a dict that also keeps, for each
state, its predecessor and the step that first reached it: a shortest path is read back from it
(no re-expansion). A level is expanded in the order of the packed ints, so a run is
deterministic. Properties that speak of a history (`never P before Q`, `after P always Q until
R`) are followed by a few monitor bits kept above the packed state, so two histories reaching
the same state with different monitors stay apart and every verdict is exact; `never_decreases`
and `never_increases` are judged on each step. `stays_reachable` is not judged here (it asks a
search from every state) and is listed as unchecked.
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from negotiation.analyses.found import DEAD_END_EXAMPLES, Found, Step
from negotiation.errors import UsageError, suggest
from negotiation.kernel.kernel import Kernel
from negotiation.kernel.monitors import Monitors
from negotiation.rules.expressions import Expression
from negotiation.rules.model import Model, Value
from negotiation.rules.properties import START
from negotiation.semantics.outcomes import Rule, State
from negotiation.semantics.search import (
    MAX_PARAM_SETS,
    Fired,
    _combinations,
    candidate_params,
)

if TYPE_CHECKING:
    from negotiation.analyses.frontier import Frontier

MAX_DEPTH = 8
MAX_STATES = 200_000
Domains = dict[str, dict[str, tuple[Value, ...]]]


@dataclass(frozen=True)
class DeadEnd:
    state: State
    path: tuple[Fired, ...]


@dataclass(frozen=True)
class Exploration:
    """What an exploration found, and whether it looked everywhere within its domains."""

    model: Model
    start: State
    domains: Domains
    exhaustive_domains: bool  # every parameter's domain holds all its values
    states: int
    transitions: int  # steps applied (to new states or not)
    attempts: int  # steps tried: applied, refused and broken
    depth: int  # the most events on a shortest path to a state found
    complete: bool
    stopped: str | None  # why it ended early: max-depth, max-states, time-limit, target, ...
    seconds: float
    reachable: dict[str, tuple[Fired, ...]]  # phase -> a shortest path to it
    violations: tuple[Found, ...]
    dead_ends: tuple[DeadEnd, ...]
    dead_end_count: int
    unreached_phases: tuple[str, ...]
    unfired_events: tuple[str, ...]
    unchecked: tuple[str, ...] = ()  # properties not judged by the exploration
    target: str | None = None
    start_label: str = "the model's start"
    fired: frozenset[str] = field(default_factory=frozenset)

    def path_to(self, phase: str) -> tuple[Fired, ...] | None:
        return self.reachable.get(phase)


def parse_domain(model: Model, text: str) -> tuple[str, str, tuple[Value, ...]]:
    """`event.param=v1,v2,...` as (event, param, values), each value checked against the
    parameter's type and bounds (UsageError, naming --domain, if wrong)."""
    head, sep, tail = text.partition("=")
    event_name, dot, param_name = head.strip().partition(".")
    if not sep or not dot or not tail.strip():
        raise UsageError(f"'{text}' is not EVENT.PARAM=V1,V2,...", "--domain")
    event = model.events.get(event_name)
    if event is None:
        raise UsageError(
            f"unknown event '{event_name}'" + suggest(event_name, list(model.events)), "--domain"
        )
    param = event.params.get(param_name)
    if param is None:
        raise UsageError(
            f"event '{event_name}' has no parameter '{param_name}'"
            + suggest(param_name, list(event.params)),
            "--domain",
        )
    values: list[Value] = []
    for raw in (item.strip() for item in tail.split(",")):
        value: Value
        kind = param.type.kind
        if kind == "int":
            try:
                value = int(raw.replace("_", ""))
            except ValueError:
                raise UsageError(
                    f"{event_name}.{param_name}: '{raw}' is not a whole number", "--domain"
                ) from None
            if (param.min is not None and value < param.min) or (
                param.max is not None and value > param.max
            ):
                raise UsageError(
                    f"{event_name}.{param_name}: {value} is outside [{param.min}, {param.max}]",
                    "--domain",
                )
        elif kind == "bool":
            if raw.lower() not in ("true", "false"):
                raise UsageError(
                    f"{event_name}.{param_name}: '{raw}' is not true or false", "--domain"
                )
            value = raw.lower() == "true"
        else:
            allowed = sorted(param.type.values or ())
            if raw not in allowed:
                raise UsageError(
                    f"{event_name}.{param_name}: '{raw}' is not one of {', '.join(allowed)}",
                    "--domain",
                )
            value = raw
        if value not in values:
            values.append(value)
    return event_name, param_name, tuple(values)


def domains(
    model: Model, overrides: Sequence[tuple[str, str, tuple[Value, ...]]] = ()
) -> tuple[Domains, bool]:
    """Each event's parameters' candidate values (search.py's choice: every value of a small
    domain; else bounds, default, guard literals and their neighbours), with `overrides` in
    place; and whether every domain is a parameter's every value."""
    found: Domains = {}
    exhaustive = True
    given = {(event, param): values for event, param, values in overrides}
    for event in model.events.values():
        per: dict[str, tuple[Value, ...]] = {}
        for name in event.params:
            if (event.name, name) in given:
                per[name] = given[(event.name, name)]
                continue
            choices = candidate_params(_one_param(event, name), {})
            per[name] = tuple(dict.fromkeys(s[name] for s in choices.sets))
            exhaustive = exhaustive and choices.exhaustive
        found[event.name] = per
        if math.prod(len(values) for values in per.values()) > MAX_PARAM_SETS:
            exhaustive = False  # `_param_sets` tries some of the combinations only
    return found, exhaustive


def _one_param(event: Any, name: str) -> Any:
    """The event with only parameter `name`, so its candidate values are not capped by the
    number of combinations of all of them."""
    from dataclasses import replace

    return replace(event, params={name: event.params[name]})


def _param_sets(values: Mapping[str, tuple[Value, ...]]) -> list[dict[str, Value]]:
    """Every combination of the parameters' values, the first parameter's changing slowest;
    past MAX_PARAM_SETS (an event of many parameters), the first MAX_PARAM_SETS of them in
    `search`'s order, each value of each parameter among them: a file cannot make a search
    try more steps from one state than the number of its events times this."""
    names, choices = list(values), [values[name] for name in values]
    if math.prod(len(options) for options in choices) <= MAX_PARAM_SETS:
        combinations: Iterable[tuple[Value, ...]] = itertools.product(*choices)
    else:
        combinations = itertools.islice(_combinations(choices), MAX_PARAM_SETS)
    return [dict(zip(names, combination, strict=True)) for combination in combinations]


Progress = Callable[[int, int, int], None]  # (depth, states, frontier)


def cone(model: Model, target: str | Expression) -> tuple[frozenset[str], frozenset[str]]:
    """The events and variables that can matter for reaching the phase `target` (or a state
    where the expression `target` holds): backwards from it, the events that move into a phase
    that matters or write a variable that matters, and what their guards (and those effects)
    read and the phases they fire from. An event outside the cone changes nothing any event
    inside it reads, nor moves a region it needs."""
    from negotiation.kernel.codegen import reads

    def variables(expression: Any) -> set[str]:
        found: set[str] = set()
        for name in reads(expression):
            if name in model.derived:
                found |= variables(model.derived[name].expression)
            else:
                found.add(name)
        return found

    phases, needed, events = set[str](), set[str](), set[str]()

    def add(read: set[str]) -> None:
        for name in read:
            if name in model.regions:
                phases.update(model.regions[name].phases)
            elif name in model.variables:
                needed.add(name)
            else:  # `phase`, the one region's
                phases.update(model.phases)

    if isinstance(target, str):
        phases.add(target)
    else:
        add(variables(target))
    changed = True
    while changed:
        changed = False
        for event in model.events.values():
            writes = {name for name, _ in event.effects}
            if event.name in events or not (set(event.to) & phases or writes & needed):
                continue
            events.add(event.name)
            changed = True
            read: set[str] = set()
            for guard in event.guards:
                read |= variables(guard.expression)
            for name, expression in event.effects:
                if name in needed:
                    read |= variables(expression)
            add(read)
            for region, allowed in event.requires.items():
                if set(allowed) != set(model.regions[region].phases):
                    phases |= set(allowed)
    return frozenset(events), frozenset(needed)


class Search:
    """Breadth-first search over a kernel's packed states, a level at a time: the engine of
    `explore` and of rule coverage. Nodes are packed states with the monitor bits above them;
    `seen` maps each node's key (its bits under `key_mask`) to its parent's key and the index
    of the step that first reached it, or, for a root, to (-1 - the root's number, -1): a
    shortest path is read back from it (`path`)."""

    def __init__(
        self,
        kernel: Kernel,
        steps: Sequence[Step],
        monitors: Monitors,
        key_mask: int = -1,
        target: str | None = None,
        record: bool = False,
    ) -> None:
        self.kernel, self.model, self.steps, self.monitors = kernel, kernel.model, steps, monitors
        layout = kernel.layout
        self.key_mask = key_mask
        self.target = target
        self.phase_shift = min(layout.offset(f) for f in layout.regions)
        self.shift = layout.words * 64  # monitor bits sit above the packed state
        self.mask = (1 << self.shift) - 1
        self.by_event: dict[str, list[int]] = {}
        for index, (name, _, _) in enumerate(steps):
            self.by_event.setdefault(name, []).append(index)
        self._allowed: dict[int, tuple[list[int], tuple[str, ...], bool]] = {}
        self.record = record
        self._reset()

    def _reset(self) -> None:
        self.seen: dict[int, tuple[int, int]] = {}
        self.prefixes: list[tuple[Fired, ...]] = []
        self.frontier: list[int] = []
        self.order: list[int] | None = [] if self.record else None  # every node, in BFS order
        self.violations: dict[Rule, Found] = {}
        self.reached: dict[str, int] = {}
        self.fired: set[str] = set()
        self.dead: list[int] = []
        self.dead_count = self.transitions = self.attempts = self.depth = 0
        self.stopped: str | None = None

    def _stops(self, until_broken: bool | Rule) -> bool:
        if until_broken is True:
            return bool(self.violations)
        return until_broken in self.violations

    def fresh(self) -> Search:
        """A new, empty search over the same steps, sharing what was worked out about which
        steps each combination of phases allows (for many small searches)."""
        new = copy.copy(self)
        new._reset()
        return new

    def phases_of(self, key: int) -> tuple[list[int], tuple[str, ...], bool]:
        """For a state's phase bits: the steps that may fire, its phases, whether one is final."""
        found = self._allowed.get(key)
        if found is None:
            layout, model = self.kernel.layout, self.model
            packed = key << self.phase_shift
            phases = {
                f.name: f.values[(packed >> layout.offset(f)) & f.mask] for f in layout.regions
            }
            tried = [
                i
                for name, event in model.events.items()
                if event.allows(phases)
                for i in self.by_event.get(name, [])
            ]
            final = any(model.phases[p].final for p in phases.values())
            found = self._allowed[key] = (tried, tuple(phases.values()), final)
        return found

    def add_root(self, node: int, prefix: tuple[Fired, ...] = ()) -> None:
        """Start from `node` too, reached by the events of `prefix` (a path found before)."""
        key = node & self.key_mask
        if key in self.seen:
            return
        self.seen[key] = (-1 - len(self.prefixes), -1)
        self.prefixes.append(prefix)
        self.frontier.append(node)
        self._visited(node)
        if self.target is not None and self.target in self.reached:
            self.stopped = "target"

    def _visited(self, node: int) -> None:
        if self.order is not None:
            self.order.append(node)
        for phase in self.phases_of((node & self.mask) >> self.phase_shift)[1]:
            if phase not in self.reached:
                self.reached[phase] = node

    def path(self, node: int) -> tuple[Fired, ...]:
        found: list[Fired] = []
        while True:
            parent, index = self.seen[node & self.key_mask]
            if index < 0:
                return (*self.prefixes[-1 - parent], *reversed(found))
            name, values, _ = self.steps[index]
            found.append((name, dict(values)))
            node = parent

    def found(self, rule: Rule, message: str, node: int, step: int) -> None:
        if rule not in self.violations:
            name, values, _ = self.steps[step]
            path = (*self.path(node), (name, dict(values)))
            self.violations[rule] = Found(rule, message, path)

    def run(
        self,
        max_depth: int,
        max_states: int,
        time_limit: float | None = None,
        began: float = 0.0,
        progress: Progress | None = None,
        until_broken: bool | Rule = False,
    ) -> None:
        """Expand level after level until nothing is new or a bound is met (`stopped` says
        which); `until_broken`: stop at the first rule broken (True), or when that rule is
        (a Rule). A KeyboardInterrupt ends it with what was found (`stopped` "interrupted")."""
        monitors, steps, seen = self.monitors, self.steps, self.seen
        entries = self.kernel.table.entries
        judge = monitors.judge if monitors else None
        monitor_bits, shift, mask = monitors.bits, self.shift, self.mask
        key_mask, phase_shift, target = self.key_mask, self.phase_shift, self.target
        frontier = [] if self.stopped else self.frontier
        try:
            while frontier:
                if self.depth >= max_depth:
                    self.stopped = "max-depth"
                    break
                following: list[int] = []
                for count, node in enumerate(sorted(frontier)):
                    if progress is not None and count % 4096 == 4095:  # within a long level
                        progress(self.depth, len(seen), len(frontier))
                    late = time_limit is not None and count % 256 == 0
                    if late and time.perf_counter() - began > (time_limit or 0):
                        self.stopped = "time-limit"
                        break
                    packed = node & mask
                    bits = node >> shift
                    tried, _, final = self.phases_of(packed >> phase_shift)
                    moved = False
                    for index in tried:
                        name, values, function = steps[index]
                        self.attempts += 1
                        result = function(packed, values)
                        if result < 0:
                            status, rule = entries[-1 - result]
                            if status == "broken":
                                self.found(rule, f"{name} breaks {rule}", node, index)
                                if until_broken is True:
                                    self.stopped = "broken"
                                    break
                            continue
                        moved = True
                        self.transitions += 1
                        self.fired.add(name)
                        after_bits = bits
                        if judge is not None:
                            after_bits = judge(bits, packed, result, name, values)
                            if after_bits >> monitor_bits:
                                verdict = monitors.step(bits, packed, result, name, values)
                                after_bits = verdict.bits
                                for rule, message in verdict.broken:
                                    self.found(rule, message, node, index)
                                if until_broken and self._stops(until_broken):
                                    self.stopped = "broken"
                                    break
                        child = result | after_bits << shift
                        key = child & key_mask
                        if key in seen:
                            continue
                        seen[key] = (node & key_mask, index)
                        following.append(child)
                        self._visited(child)
                        if target is not None and target in self.reached:
                            self.stopped = "target"
                            break
                        if len(seen) >= max_states:
                            self.stopped = "max-states"
                            break
                    if not moved and not final and not self.stopped:
                        self.dead_count += 1
                        if len(self.dead) < DEAD_END_EXAMPLES:
                            self.dead.append(node)
                    if until_broken and self._stops(until_broken):
                        self.stopped = "broken"
                    if self.stopped:
                        break
                if following:
                    self.depth += 1
                frontier = following
                if progress is not None:
                    progress(self.depth, len(seen), len(frontier))
                if self.stopped:
                    break
        except KeyboardInterrupt:
            self.stopped = "interrupted"
        self.frontier = frontier


def cone_mask(kernel: Kernel, variables: frozenset[str]) -> int:
    """The bits of a packed state that hold its phases and the `variables` (a cone's)."""
    layout = kernel.layout
    mask = (1 << (layout.words * 64)) - 1
    for f in layout.variables:
        if f.name not in variables:
            mask &= ~(f.mask << layout.offset(f))
    return mask


def event_steps(
    kernel: Kernel, chosen: Domains, events: frozenset[str] | None = None
) -> list[Step]:
    """Each event (of `events`, or all) with each of its parameter sets from `chosen`."""
    return [
        (name, kernel.params_for(name, values), kernel.scalar[name])
        for name in kernel.event_names
        if events is None or name in events
        for values in _param_sets(chosen[name])
    ]


History = Sequence[tuple[State, str, Mapping[str, Value]]]  # (state, event, its params)


def start_bits(
    monitors: Monitors, kernel: Kernel, start: State, history: History
) -> tuple[int, list[tuple[Rule, str]]]:
    """The monitor bits at `start` after `history` (its states, each with the event that led
    there and its parameters, `start` last), and the properties the start itself breaks when
    there is no history before it."""
    bits, previous = 0, -1
    broken: list[tuple[Rule, str]] = []
    if not monitors:
        return 0, broken
    for state, event, params in [*history] or [(start, START, {})]:
        verdict = monitors.step(bits, previous, kernel.pack(state), event, params)
        bits, previous = verdict.bits, kernel.pack(state)
        if not history:
            broken += verdict.broken
    return bits, broken


def explore(
    model: Model,
    start: State | None = None,
    history: History = (),
    domain_overrides: Sequence[tuple[str, str, tuple[Value, ...]]] = (),
    max_depth: int = MAX_DEPTH,
    max_states: int = MAX_STATES,
    time_limit: float | None = None,
    target: str | None = None,
    progress: Progress | None = None,
    kernel: Kernel | None = None,
    start_label: str = "the model's start",
    prune: bool = True,
    whole_frontiers: bool = True,
) -> Exploration:
    """Explore breadth-first from `start` (the model's start by default); see the module.

    `history`: the states a replay went through to `start` (`start` itself last), each with
    the event that led there and its parameters, so that properties over histories are judged
    from the history's beginning, not from `start`. With a `target` and `prune`, only the
    events of the target's `cone` are tried and
    states that differ only in variables outside it count as one (the first reached stands for
    them), and properties are not judged: a path found is still a real one, each step judged by
    the kernel, and shortest among the events tried. A KeyboardInterrupt ends the search with
    the results so far, marked incomplete (`stopped` "interrupted").

    When no property is judged (the model has none, or a target prunes them) and a state fits
    one 64-bit word, the search runs a whole level at a time in numpy (`frontier.Frontier`;
    `whole_frontiers=False` keeps it to `Search`): the same states, counts and verdicts, and
    paths as short, though where several are shortest it may show another.
    """
    began = time.perf_counter()
    if target is not None and target not in model.phases:
        raise UsageError(
            f"unknown phase '{target}'" + suggest(target, list(model.phases)), "--target"
        )
    kernel = kernel or Kernel.from_model(model)
    layout = kernel.layout
    start = start or State.of(model.initial, model.initial_ledger())
    chosen, exhaustive = domains(model, domain_overrides)
    pruned = target is not None and prune
    kept_events, kept_variables = cone(model, target) if pruned and target else (None, None)
    monitors = Monitors(layout, () if pruned else None)
    if pruned:
        monitors.unchecked = [p.name for p in model.properties]
    # the bits of a state that tell it apart: all, or the cone's with a target
    key_mask = -1 if kept_variables is None else cone_mask(kernel, kept_variables)
    steps = event_steps(kernel, chosen, kept_events)
    reachable: dict[str, tuple[Fired, ...]]
    dead_ends: tuple[DeadEnd, ...]
    if layout.words == 1 and not monitors and whole_frontiers:
        from negotiation.analyses.frontier import Frontier

        frontier = Frontier(kernel, steps, key_mask, target)
        frontier.add_root(kernel.pack(start))
        frontier.run(max_depth, max_states, time_limit, began, progress)
        found = frontier.reached
        reachable = {p: frontier.path(*found[p]) for p in model.phases if p in found}
        dead_ends = tuple(
            DeadEnd(kernel.unpack(frontier.state(*at)), frontier.path(*at)) for at in frontier.dead
        )
        engine: Search | Frontier = frontier
        states = frontier.states
    else:
        search = Search(kernel, steps, monitors, key_mask, target)
        bits, broken = start_bits(monitors, kernel, start, history)
        for rule, message in broken:
            search.violations.setdefault(rule, Found(rule, message, ()))
        search.add_root(kernel.pack(start) | bits << search.shift)
        search.run(max_depth, max_states, time_limit, began, progress)
        reachable = {p: search.path(search.reached[p]) for p in model.phases if p in search.reached}
        dead_ends = tuple(
            DeadEnd(kernel.unpack(n & search.mask), search.path(n)) for n in search.dead
        )
        engine, states = search, len(search.seen)
    return Exploration(
        model=model,
        start=start,
        domains=chosen,
        exhaustive_domains=exhaustive,
        states=states,
        transitions=engine.transitions,
        attempts=engine.attempts,
        depth=engine.depth,
        complete=engine.stopped is None,
        stopped=engine.stopped,
        seconds=time.perf_counter() - began,
        reachable=reachable,
        violations=tuple(engine.violations.values()),
        dead_ends=dead_ends,
        dead_end_count=engine.dead_count,
        unreached_phases=tuple(p for p in model.phases if p not in reachable),
        unfired_events=tuple(e for e in model.events if e not in engine.fired),
        unchecked=tuple(monitors.unchecked),
        target=target,
        start_label=start_label,
        fired=frozenset(engine.fired),
    )


def path_scenario(
    result: Exploration,
    phase: str,
    model_reference: str,
    command: str,
    start_date: Any = None,
) -> str:
    """The shortest path to `phase` as a runnable, clearly labelled scenario file: it starts
    in the exploration's start state and expects to end in `phase`.

    `model_reference` is the model as the scenario names it (relative to where it is written);
    `command`, the command line that found it (for the header).
    """
    from negotiation.scenarios.scenario import Expectation, Scenario, ScenarioEvent
    from negotiation.scenarios.writer import dump_scenario

    found = result.reachable.get(phase)
    if found is None:
        raise UsageError(f"phase '{phase}' was not reached", "--write-path")
    model = result.model
    events = tuple(
        ScenarioEvent(f"step_{index}", None, name, dict(values))
        for index, (name, values) in enumerate(found, start=1)
    )
    scenario = Scenario(
        name=f"{model.name}_path_to_{phase}",
        title=f"A shortest path to {phase} (generated, hypothetical)",
        description=(
            f"Generated by negotiation explore: a shortest sequence of events ({len(found)}) "
            f"from {result.start_label} to {phase}, with parameters chosen from the "
            "explored domains. Not a record of events."
        ),
        model=model,
        sources={},
        start_phases=dict(result.start.phases),
        start_date=start_date,
        start_ledger=dict(result.start.ledger),
        events=events,
        expect=Expectation(phases=(phase,), ledger={}),
        model_reference=model_reference,
    )
    header = (
        f"A hypothetical path found by: {command}\n"
        f"Replay it with: negotiation run FILE (it ends in {phase})"
    )
    return dump_scenario(scenario, header)
