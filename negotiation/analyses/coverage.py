"""Rule coverage (`check --coverage`): which of a model's rules its invariants and properties
pin down, by mutants (see `mutants`).

The search is the explorer's (`explore.Search` over the compiled kernel), in three steps:

1. **The reference.** Every history of up to `depth` events from the model's start and from
   each state on a shortest path to each phase (found by the explorer with a target, so the
   phases deep in the model are searched around too), breadth-first until `max_states` states
   (the last level then searched in part). The model itself must break no rule there.
2. **Where a mutant differs.** The mutant and the model agree until the mutated event does
   something else: on every reference state where the event may fire, with each of its
   parameter sets, the event is judged by both (the kernel's array form, a whole batch at
   once). A mutant that differs nowhere is *equivalent* on the states searched (proven so when
   the reference search was complete: it reached every state there is).
3. **Whether a rule notices.** From the first states where it differs (breadth-first order, so
   the shortest histories first), the mutant's step, then every history of up to
   `follow_depth` more events in the mutant, are judged against the bounds, invariants and
   properties; a `stays_reachable` property is judged at those states (and the states just
   before) by a search of the mutant toward its condition, where the model reaches it. A rule
   broken there *catches* the mutant, with the shortest such history as counterexample; else
   the mutant *survives*, with the history that shows it differs.

The score is caught ÷ (caught + survived). Everything is deterministic: the same model and
bounds give the same verdicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from negotiation.analyses.bounded import Reach
from negotiation.analyses.explore import Domains, Search, domains, event_steps, explore
from negotiation.analyses.found import Found
from negotiation.analyses.mutants import Mutant, mutants
from negotiation.kernel.codegen import APPLIED, REFUSED
from negotiation.kernel.kernel import Kernel
from negotiation.kernel.monitors import Monitors
from negotiation.rules.model import Model
from negotiation.rules.properties import START, Property
from negotiation.semantics.outcomes import Rule
from negotiation.semantics.search import Fired

DEPTH = 10  # events from each reference root, at most
FOLLOW_DEPTH = 2  # events after a mutant's first difference
MAX_STATES = 100_000  # reference states
FOLLOW_STATES = 20_000  # states searched after a mutant's first differences
ROOTS = 24  # first differences followed, per mutant
CANDIDATES = 200  # first differences considered (of each kind), per mutant
TARGET_STATES = 30_000  # states a search for a shortest path to a phase may keep
TARGET_DEPTH = 16
REACH_BUDGET = 5_000_000  # states the searches toward what stays reachable keep, together
Verdict = Literal["caught", "survived", "equivalent"]


@dataclass(frozen=True)
class Result:
    """One mutant's verdict: the rule that caught it and a shortest history that breaks it, or
    (survived) a history after which the mutant and the model differ."""

    mutant: Mutant
    verdict: Verdict
    rule: Rule | None = None
    message: str = ""
    path: tuple[Fired, ...] = ()


@dataclass(frozen=True)
class Coverage:
    model: Model
    results: tuple[Result, ...]
    reference_states: int
    reference_complete: bool  # every state reachable from the roots was searched
    roots: int
    depth: int  # the levels searched from the roots, the last one maybe in part
    stopped: str | None  # why the reference search ended before it was complete
    follow_depth: int
    seconds: float
    unchecked: tuple[str, ...]  # properties no mutant search judges
    broken: tuple[Found, ...] = ()  # rules the model itself breaks (then no mutant is judged)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.results if r.verdict == verdict)

    @property
    def score(self) -> float | None:
        """Caught ÷ non-equivalent mutants (None when every mutant is equivalent)."""
        judged = self.count("caught") + self.count("survived")
        return self.count("caught") / judged if judged else None

    def by_rule(self) -> dict[tuple[str, Rule], list[Result]]:
        """The results grouped by the rule mutated (event, rule), in the model's order."""
        grouped: dict[tuple[str, Rule], list[Result]] = {}
        for result in self.results:
            grouped.setdefault((result.mutant.event, result.mutant.rule), []).append(result)
        return grouped


Progress = Callable[[int, int], None]  # (mutants judged, mutants)


class _Reference:
    """The reference search and what every mutant's judgement reuses."""

    def __init__(self, model: Model, kernel: Kernel, chosen: Domains, depth: int, limit: int):
        self.model, self.kernel = model, kernel
        self.monitors = Monitors(kernel.layout)
        self.steps = event_steps(kernel, chosen)
        search = Search(kernel, self.steps, self.monitors, record=True)
        start = kernel.initial
        bits = self.monitors.step(0, -1, start, START).bits
        search.add_root(start | bits << search.shift)
        for path in _phase_paths(model, kernel):
            node = start | bits << search.shift
            for index, fired in enumerate(path):
                node = self._fire(node, fired, search.shift)
                search.add_root(node, path[: index + 1])
        self.roots = len(search.prefixes)
        search.run(depth, limit)
        self.search = search
        self.complete = search.stopped is None
        self.depth, self.stopped = search.depth, search.stopped
        order = search.order or []
        self.nodes = order
        layout = kernel.layout
        packed = [node & search.mask for node in order]
        self.columns = layout.word_columns(layout.to_array(packed))
        rows: dict[str, list[int]] = {}
        by_key: dict[int, list[int]] = {}
        for row, node in enumerate(packed):
            by_key.setdefault(node >> search.phase_shift, []).append(row)
        for key, found in by_key.items():
            for name in {self.steps[i][0] for i in search.phases_of(key)[0]}:
                rows.setdefault(name, []).extend(found)
        self.rows = {name: np.array(sorted(found), dtype=np.int64) for name, found in rows.items()}
        self._original: dict[str, list[tuple[np.ndarray, ...]]] = {}
        self._reach: dict[str, Reach] = {}
        self.reach_budget = [REACH_BUDGET]  # states all the reachability searches may keep
        self.chosen = chosen

    def reach(self, prop: Property) -> Reach:
        """The model's own reachability search for a `stays_reachable` property."""
        if prop.name not in self._reach:
            assert prop.condition is not None
            condition, within = prop.condition, prop.within
            self._reach[prop.name] = Reach(
                self.kernel, self.chosen, condition, within, budget=self.reach_budget
            )
        return self._reach[prop.name]

    def _fire(self, node: int, fired: Fired, shift: int) -> int:
        name, values = fired
        packed, bits = node & ((1 << shift) - 1), node >> shift
        after = self.kernel.step(packed, name, self.kernel.params_for(name, values))
        assert after >= 0, f"a path found by the explorer does not replay at {name}"
        return after | self.monitors.step(bits, packed, after, name, values).bits << shift

    def outcomes(self, kernel: Kernel, event: str) -> list[tuple[np.ndarray, ...]]:
        """The event judged by `kernel` on the reference states where it may fire, for each of
        its parameter sets: (status, the next state's word columns...)."""
        rows = self.rows.get(event)
        if rows is None:
            return []
        words = [column[rows] for column in self.columns]
        found: list[tuple[np.ndarray, ...]] = []
        for name, values, _ in self.steps:
            if name == event:
                following, status, _ = kernel.step_columns(words, event, values)
                found.append((status, *following))
        return found

    def differences(
        self, kernel: Kernel, event: str
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The first (row, step index) where `kernel` judges `event` otherwise than the model
        does, in breadth-first order: at most CANDIDATES where the event applies (or breaks a
        rule) under `kernel`, and at most CANDIDATES where it is refused there."""
        if event not in self._original:
            self._original[event] = self.outcomes(self.kernel, event)
        original = self._original[event]
        changed = self.outcomes(kernel, event)
        indexes = [i for i, (name, _, _) in enumerate(self.steps) if name == event]
        rows = self.rows.get(event, np.zeros(0, dtype=np.int64))
        moves: list[tuple[int, int]] = []
        refused: list[tuple[int, int]] = []
        for index, before, after in zip(indexes, original, changed, strict=True):
            differ = before[0] != after[0]
            applied = before[0] == APPLIED
            for old, new in zip(before[1:], after[1:], strict=True):
                differ |= applied & (old != new)
            stops = after[0] == REFUSED
            for kept, which in ((moves, differ & ~stops), (refused, differ & stops)):
                kept += [(int(rows[r]), index) for r in np.flatnonzero(which)[:CANDIDATES]]
        return sorted(moves)[:CANDIDATES], sorted(refused)[:CANDIDATES]


def _phase_paths(model: Model, kernel: Kernel) -> list[tuple[Fired, ...]]:
    """A shortest path from the start to each phase the explorer reaches (toward it)."""
    paths = []
    for phase in model.phases:
        found = explore(
            model, target=phase, kernel=kernel, max_states=TARGET_STATES, max_depth=TARGET_DEPTH
        ).reachable.get(phase)
        if found:
            paths.append(found)
    return paths


def coverage(
    model: Model,
    depth: int = DEPTH,
    follow_depth: int = FOLLOW_DEPTH,
    max_states: int = MAX_STATES,
    progress: Progress | None = None,
    only: Sequence[int] = (),
) -> Coverage:
    """Judge every mutant of `model` (or the numbers in `only`); see the module."""
    began = time.perf_counter()
    kernel = Kernel.from_model(model)
    chosen, _ = domains(model)
    reference = _Reference(model, kernel, chosen, depth, max_states)
    reachability = [p for p in model.properties if p.kind == "stays_reachable"]
    unchecked = tuple(n for n in reference.monitors.unchecked if not _reach_judged(model, n))
    done = Coverage(
        model,
        (),
        len(reference.nodes),
        reference.complete,
        reference.roots,
        reference.depth,
        reference.stopped,
        follow_depth,
        0.0,
        unchecked,
        tuple(reference.search.violations.values()),
    )
    if done.broken:
        return done
    everything = mutants(model)
    chosen_mutants = [m for m in everything if not only or m.number in only]
    results = []
    for count, mutant in enumerate(chosen_mutants, start=1):
        results.append(_judge(reference, mutant, chosen, follow_depth, reachability))
        if progress is not None:
            progress(count, len(chosen_mutants))
    return Coverage(
        model,
        tuple(results),
        len(reference.nodes),
        reference.complete,
        reference.roots,
        reference.depth,
        reference.stopped,
        follow_depth,
        time.perf_counter() - began,
        unchecked,
    )


def _reach_judged(model: Model, name: str) -> bool:
    return any(p.name == name and p.kind == "stays_reachable" for p in model.properties)


def _judge(
    reference: _Reference,
    mutant: Mutant,
    chosen: Domains,
    follow_depth: int,
    reachability: list[Property],
) -> Result:
    kernel = reference.kernel.with_event(mutant.changed)
    moves, refusals = reference.differences(kernel, mutant.event)
    if not moves and not refusals:
        return Result(mutant, "equivalent")
    search = reference.search
    monitors = reference.monitors
    steps = event_steps(kernel, chosen)
    follow = Search(kernel, steps, monitors)
    shift = search.shift
    first: tuple[Fired, ...] = ()
    watched: list[tuple[int, tuple[Fired, ...]]] = []  # states where reachability is judged
    valid = {True: 0, False: 0}
    for row, index, moving in sorted(
        [(r, i, True) for r, i in moves] + [(r, i, False) for r, i in refusals]
    ):
        if valid[moving] >= ROOTS:
            continue
        node = reference.nodes[row]
        packed, bits = node & search.mask, node >> shift
        name, values, _ = reference.steps[index]
        prefix = search.path(node)
        if not _replays(kernel, prefix, packed):
            continue  # the mutant already differs on the way here: not a state it reaches so
        valid[moving] += 1
        history = (*prefix, (name, dict(values)))
        first = first or history
        result = kernel.step(packed, name, values)
        if result < 0:
            status, rule = kernel.table.entries[-1 - result]
            if status == "broken":
                return Result(mutant, "caught", rule, f"{name} breaks {rule}", history)
            watched += _before(search, node)
            continue
        verdict = monitors.step(bits, packed, result, name, values)
        if verdict.broken:
            rule, message = verdict.broken[0]
            return Result(mutant, "caught", rule, message, history)
        follow.add_root(result | verdict.bits << shift, history)
        watched.append((result, history))
        watched += _before(search, node)
    follow.run(follow_depth, FOLLOW_STATES, until_broken=True)
    if follow.violations:
        found = min(follow.violations.values(), key=lambda f: len(f.path))
        return Result(mutant, "caught", found.rule, found.message, found.path)
    undecided = False
    for prop in reachability:
        assert prop.condition is not None
        original = reference.reach(prop)
        budget = reference.reach_budget
        changed = Reach(kernel, chosen, prop.condition, prop.within, budget=budget)
        for packed, history in watched:
            before, after = original(packed), changed(packed)
            undecided = undecided or before is None or (before is True and after is None)
            if before is True and after is False:
                message = (
                    f"no sequence of {prop.within} events or fewer reaches "
                    f"`{prop.condition.text}` (with the parameter values tried)"
                )
                return Result(mutant, "caught", Rule("property", prop.name), message, history)
    if undecided:  # (the searches' budget ran out: a search said neither yes nor no)
        message = "breaks no rule found (what stays reachable was left undecided)"
        return Result(mutant, "survived", message=message, path=first)
    return Result(mutant, "survived", message="breaks no rule", path=first)


def _replays(kernel: Kernel, path: tuple[Fired, ...], packed: int) -> bool:
    """Whether `kernel` fires every step of `path` from the model's start and ends in
    `packed`: the state is one the mutant reaches as the model does."""
    state = kernel.initial
    for name, values in path:
        state = kernel.step(state, name, kernel.params_for(name, values))
        if state < 0:
            return False
    return state == packed


def _before(search: Search, node: int) -> list[tuple[int, tuple[Fired, ...]]]:
    """`node` as (packed state, history to it): the state before a step that differs."""
    return [(node & search.mask, search.path(node))]
