"""Whole-frontier breadth-first search with numpy: `explore`'s engine where no property over
histories needs judging and a state fits one 64-bit word.

A level of the search is a sorted array of packed states (`uint64`). Each event with each of
its parameter sets is judged and fired on the level's states that its phases allow, a million
at a time, by the kernel's array form (`Kernel.step_columns`); a step that a guard on the
parameters alone refuses everywhere is skipped. The states reached are made unique (a sort,
every few million, to bound the memory) and those seen before are dropped by a binary search
(`searchsorted`) in each earlier level, so the states are stored once, in their level, and
nothing else: 8 bytes a state. No parent pointers are kept. A shortest path to a state is found
when asked for, backwards: in the level before it, the first step (in the steps' order) that
leads to it, from the first state (in sorted order) it leads from, and so on to the start.

What it judges is what the kernel judges on a step (a variable's bounds, the invariants), so a
rule broken by a reachable step comes with a shortest history that breaks it, as in
`explore.Search`; properties over histories are not judged here (`explore` uses `Search`, with
its monitor bits, when a model has any to judge). With a `key_mask` (a target's cone), states
that agree under the mask count as one, the first reached in sorted order standing for them.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from negotiation.analyses.found import DEAD_END_EXAMPLES, Found, Step
from negotiation.kernel.codegen import APPLIED, BROKEN
from negotiation.kernel.kernel import Kernel
from negotiation.rules.expressions import Expression
from negotiation.rules.model import Event, Model, Value
from negotiation.semantics.judge import evaluate
from negotiation.semantics.outcomes import Rule
from negotiation.semantics.search import Fired

Words = npt.NDArray[np.uint64]
COMPACT = 1 << 23  # states found in a level kept before they are made unique (64 MB)
CHUNK = 1 << 20  # states of a level judged at once
Progress = Callable[[int, int, int], None]  # (depth, states, frontier)


@dataclass
class Frontier:
    """A whole-frontier search over `kernel`'s packed states (one word), from `start`."""

    kernel: Kernel
    steps: Sequence[Step]
    key_mask: int = -1
    target: str | None = None
    levels: list[Words] = field(default_factory=list)  # states, sorted, level by level
    keys: list[Words] = field(default_factory=list)  # their keys under the mask, sorted
    violations: dict[Rule, Found] = field(default_factory=dict)
    reached: dict[str, tuple[int, int]] = field(default_factory=dict)  # phase -> (level, row)
    fired: set[str] = field(default_factory=set)
    dead: list[tuple[int, int]] = field(default_factory=list)
    dead_count: int = 0
    transitions: int = 0
    attempts: int = 0
    stopped: str | None = None
    done: bool = False  # a level found nothing new: every state was expanded

    def __post_init__(self) -> None:
        layout = self.kernel.layout
        if layout.words != 1:
            raise ValueError("a whole-frontier search needs states of one word")
        self.mask = np.uint64(self.key_mask & (2**64 - 1))
        self.full = self.mask == np.uint64(2**64 - 1)  # no mask: a state is its own key
        self.regions = [(f, np.uint64(layout.offset(f)), np.uint64(f.mask)) for f in layout.regions]
        model = self.kernel.model
        self.final = {
            f.name: np.array([model.phases[p].final for p in f.values], bool)
            for f in layout.regions
        }
        # for each event, each region it requires: a table of the region's phase codes allowed
        self.requires: dict[str, list[tuple[np.uint64, np.uint64, npt.NDArray[np.bool_]]]] = {}
        for event in model.events.values():
            tables = []
            for region, allowed in event.requires.items():
                f = layout.field(region)
                table = np.array([p in allowed for p in f.values], bool)
                tables.append((np.uint64(layout.offset(f)), np.uint64(f.mask), table))
            self.requires[event.name] = tables
        self.never = {
            number
            for number, (name, values, _) in enumerate(self.steps)
            if _refused_by_parameters(model, model.events[name], values)
        }
        # for each event, the bits of a state it leaves alone (not its effects', not its moves')
        self.untouched: dict[str, np.uint64] = {}
        for event in model.events.values():
            kept = self.key_mask & (2**64 - 1)
            written = {name for name, _ in event.effects}
            written |= {model.phases[phase].region for phase in event.to}
            for f in layout.fields:
                if f.name in written:
                    kept &= ~(f.mask << layout.offset(f))
            self.untouched[event.name] = np.uint64(kept)

    @property
    def states(self) -> int:
        return sum(len(level) for level in self.levels)

    @property
    def depth(self) -> int:
        return max(len(self.levels) - 1, 0)

    def add_root(self, packed: int) -> None:
        root = np.array([packed], dtype=np.uint64)
        self.levels, self.keys = [root], [root if self.full else root & self.mask]
        self._visited(0)

    def _visited(self, index: int) -> None:
        level = self.levels[index]
        for f, offset, mask in self.regions:
            codes = ((level >> offset) & mask).astype(np.intp)
            for code in np.flatnonzero(np.bincount(codes, minlength=len(f.values))):
                phase = f.values[int(code)]
                if phase not in self.reached:
                    self.reached[phase] = (index, int(np.argmax(codes == code)))
        if self.target is not None and self.target in self.reached:
            self.stopped = "target"

    def _allowed(self, states: Words, event: str) -> npt.NDArray[np.intp]:
        """The rows of `states` whose phases allow `event`."""
        allowed = np.ones(len(states), dtype=bool)
        for offset, mask, table in self.requires[event]:
            allowed &= table[((states >> offset) & mask).astype(np.intp)]
        return np.flatnonzero(allowed)

    def _seen(self, keys: Words) -> npt.NDArray[np.bool_]:
        """Which of `keys` (sorted, unique) an earlier level holds."""
        seen = np.zeros(len(keys), dtype=bool)
        for known in self.keys:
            if len(known):
                at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
                seen |= known[at] == keys
        return seen

    def run(
        self,
        max_depth: int,
        max_states: int,
        time_limit: float | None = None,
        began: float = 0.0,
        progress: Progress | None = None,
    ) -> None:
        """Expand level after level until nothing is new or a bound is met (`stopped`)."""
        kernel, steps = self.kernel, self.steps
        names = [name for name, _, _ in steps]
        try:
            while not self.stopped and not self.done:
                if self.depth >= max_depth:
                    self.stopped = "max-depth"
                    break
                index = len(self.levels) - 1
                level = self.levels[index]
                moved = np.zeros(len(level), dtype=bool)
                found: list[Words] = []
                pending = 0
                # a chunk of the level at a time, so that the kernel's temporaries stay small
                for first in range(0, len(level), CHUNK):
                    part = level[first : first + CHUNK]
                    allowed: dict[str, npt.NDArray[np.intp]] = {}
                    for number, (name, values, _) in enumerate(steps):
                        if time_limit is not None and time.perf_counter() - began > time_limit:
                            self.stopped = "time-limit"
                            break
                        rows = allowed.get(name)
                        if rows is None:
                            rows = allowed[name] = self._allowed(part, name)
                        self.attempts += len(rows)
                        if number in self.never or not len(rows):
                            continue  # (a step refused everywhere is tried, in effect)
                        (after,), status, rule = kernel.step_columns([part[rows]], name, values)
                        applied = status == APPLIED
                        count = int(applied.sum())
                        if count:
                            self.transitions += count
                            self.fired.add(names[number])
                            moved[first + rows[applied]] = True
                            found.append(after[applied])
                            pending += count
                            if pending > COMPACT:  # each state once, to bound the memory
                                found = [_unique(np.concatenate(found))]
                                pending = len(found[0])
                        broken = status == BROKEN
                        if broken.any():
                            for number_of_rule in np.unique(rule[broken]):
                                entry = kernel.table.entries[int(number_of_rule)][1]
                                if entry in self.violations:
                                    continue
                                at = broken & (rule == number_of_rule)
                                row = first + int(rows[np.argmax(at)])
                                path = (*self.path(index, row), (name, dict(values)))
                                message = f"{name} breaks {entry}"
                                self.violations[entry] = Found(entry, message, path)
                    if self.stopped:
                        break
                if self.stopped:
                    break
                self._dead_ends(index, moved)
                self._next(found, max_states)
                if progress is not None:
                    progress(self.depth, self.states, len(self.levels[-1]))
        except KeyboardInterrupt:
            self.stopped = "interrupted"

    def _dead_ends(self, index: int, moved: npt.NDArray[np.bool_]) -> None:
        level = self.levels[index]
        final = np.zeros(len(level), dtype=bool)
        for f, offset, mask in self.regions:
            final |= self.final[f.name][((level >> offset) & mask).astype(np.int64)]
        dead = np.flatnonzero(~moved & ~final)
        self.dead_count += len(dead)
        room = DEAD_END_EXAMPLES - len(self.dead)
        self.dead += [(index, int(row)) for row in dead[: max(room, 0)]]

    def _next(self, found: list[Words], max_states: int) -> None:
        """The next level: the states found, unique under the mask, not seen before."""
        if not found:
            self.done = True
            return
        candidates = _unique(np.concatenate(found))  # sorted
        if self.full:
            keys = candidates
        else:  # the first (smallest) state of each key stands for it
            order = np.argsort(candidates & self.mask, kind="stable")
            keys = (candidates & self.mask)[order]
            first = _firsts(keys)
            keys, candidates = keys[first], candidates[order[first]]
            order = np.argsort(candidates)
            keys, candidates = keys[order], candidates[order]
        fresh = ~self._seen(keys)
        states, keys = candidates[fresh], keys[fresh]
        room = max_states - self.states
        if len(states) > room:
            states, keys = states[:room], keys[:room]
            self.stopped = "max-states"
        if not len(states):
            self.done = True
            return
        self.levels.append(states)
        self.keys.append(states if keys is candidates or self.full else np.sort(keys))
        self._visited(len(self.levels) - 1)

    def path(self, index: int, row: int) -> tuple[Fired, ...]:
        """A shortest history to the state at (level `index`, `row`): backwards, the first
        step (in the steps' order) that leads to it from the level before, from the first
        state (in sorted order) it leads to it from, and so on to the start."""
        found: list[Fired] = []
        goal = self.levels[index][row] & self.mask
        for back in range(index - 1, -1, -1):
            level = self.levels[back]
            parent = None
            candidates: dict[str, npt.NDArray[np.intp]] = {}
            for number, (name, values, _) in enumerate(self.steps):
                if number in self.never:
                    continue
                rows = candidates.get(name)
                if rows is None:  # the states the event could have left as they are
                    rows = self._allowed(level, name)
                    kept = self.untouched[name]
                    rows = candidates[name] = rows[(level[rows] & kept) == (goal & kept)]
                if not len(rows):
                    continue
                (after,), status, _ = self.kernel.step_columns([level[rows]], name, values)
                hits = np.flatnonzero((status == APPLIED) & ((after & self.mask) == goal))
                if len(hits):
                    parent = int(rows[hits[0]])
                    found.append((name, dict(values)))
                    break
            assert parent is not None, "a state of a level has no parent in the level before"
            goal = level[parent] & self.mask
        return tuple(reversed(found))

    def state(self, index: int, row: int) -> int:
        return int(self.levels[index][row])


def _firsts(ordered: Words) -> npt.NDArray[np.bool_]:
    """Where each run of equal values of a sorted array begins."""
    first = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        first[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _unique(values: Words) -> Words:
    """The distinct values, sorted (a sort: numpy's `unique` hashes, many times slower on a
    few million states with many repeats)."""
    ordered = np.sort(values)
    return ordered[_firsts(ordered)]


def _refused_by_parameters(model: Model, event: Event, values: Mapping[str, Value]) -> bool:
    """Whether a guard that reads the event's parameters only (no variable, no phase) refuses
    these values: then the step is refused in every state. Guards are judged in order, and one
    that divides by zero breaks a rule rather than refusing, so a guard that reads the state
    and might divide (or reads a derived value that might) ends the look."""
    for guard in event.guards:
        expression = guard.expression
        if expression.variables or expression.uses_phase:
            if _may_divide(model, expression):
                return False
            continue
        if evaluate(expression, {}, values, "") is False:
            return True
    return False


def _may_divide(model: Model, expression: Expression) -> bool:
    trees, names, read = [expression.tree], list(expression.variables), set[str]()
    while names:  # and the derived values it reads, and theirs
        name = names.pop()
        if name in model.derived and name not in read:
            read.add(name)
            trees.append(model.derived[name].expression.tree)
            names += model.derived[name].expression.variables
    return any(
        isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))
        for tree in trees
        for node in ast.walk(tree)
    )
