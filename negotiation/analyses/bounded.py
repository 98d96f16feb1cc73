"""Bounded exhaustive checking over the compiled kernel: the first, decisive stage of `check
--properties`, and the reachability search that judges `stays_reachable` everywhere.

`exhaust(model, max_depth, max_states)` is the explorer's breadth-first search (`explore.Search`)
from the model's start, a level at a time, over the same parameter domains as `explore` (each
parameter's bounds, default, the numbers its guards compare with and their neighbours): every
step is judged by the kernel (bounds, invariants), every history by the compiled property
monitors, and every state reached by a search toward each `stays_reachable` condition (`Reach`).
A level is judged whole before the next is opened, so the first rule broken comes with a
shortest history that breaks it: shortest by construction, not by shrinking. When nothing
breaks, `Exhausted.depth` says how many events every history checked had at most (every one of
them, within the domains), and `complete` that no new state was left: every history of any
length was checked.

`Reach` answers "can a state where this holds be reached within N events from here?" with a
search over the events that can matter (the condition's cone), its "no" confirmed by the
machine's own search; `reachability(model)` wraps it as the `reach` that
`semantics.history.judge_history` takes, so histories drawn at random are judged as the
exhaustive stage judges them, and as `negotiation run` judges a history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from negotiation.analyses.explore import (
    Domains,
    Search,
    cone,
    cone_mask,
    domains,
    event_steps,
    start_bits,
)
from negotiation.kernel.kernel import Kernel
from negotiation.kernel.monitors import Monitors
from negotiation.rules.expressions import Expression
from negotiation.rules.model import Model
from negotiation.rules.properties import START, Property
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import Rule, State
from negotiation.semantics.search import Fired, reachable

DEPTH = 10  # events in the longest history checked exhaustively, at most
MAX_STATES = 100_000  # distinct states the exhaustive stage keeps, at most
REACH_STATES = 20_000  # states a search toward a `stays_reachable` condition may keep
REACH_BUDGET = 1_000_000  # states all of one check's searches toward them may keep, together


class Reach:
    """Whether some sequence of at most `within` events from a packed state reaches a state
    where `condition` holds: True, False, or None when a search ran out of states first.

    A search toward it over the kernel, with the events of its cone only and the parameter
    values in `chosen`; remembered, state by state. A path it finds is a real one, so its yes
    stands. Its no is only "not with these values": with `confirm`, a no is asked again of the
    machine's own search (`semantics.search.reachable`, which also tries values that depend on
    the state, such as every detainee still held), the one a replay judges a history by, so a
    counterexample found here replays as one. Without `confirm` (rule coverage, which compares
    a model with its mutants over the same values), the no stands."""

    def __init__(
        self,
        kernel: Kernel,
        chosen: Domains,
        condition: Expression,
        within: int,
        confirm: bool = False,
        budget: list[int] | None = None,
    ) -> None:
        events, variables = cone(kernel.model, condition)
        goal = Property(f"reach {condition.text}", "never", condition=condition)
        self.kernel, self.within = kernel, within
        self.goal = Rule("property", goal.name)
        self.monitors = Monitors(kernel.layout, (goal,))
        self.steps = event_steps(kernel, chosen, events)
        self.mask = cone_mask(kernel, variables)
        self.known: dict[int, bool | None] = {}
        self.condition, self.confirm = condition, confirm
        self.confirmed: dict[int, bool | None] = {}
        self.machine: Machine | None = None
        self.search = Search(kernel, self.steps, self.monitors, self.mask)
        self.budget = budget  # states left to all the searches that share it
        self.undecided = False  # whether some answer was None

    def __call__(self, packed: int) -> bool | None:
        answer = self._search(packed)
        if answer is None:
            self.undecided = True
        if answer is not False or not self.confirm:
            return answer
        if packed not in self.confirmed:
            self.machine = self.machine or Machine(self.kernel.model)
            state = self.kernel.unpack(packed)
            model, condition, within = self.kernel.model, self.condition, self.within
            self.confirmed[packed] = reachable(model, state, condition, within, self.machine)
        if self.confirmed[packed] is None:
            self.undecided = True
        return self.confirmed[packed]

    def _search(self, packed: int) -> bool | None:
        key = packed & self.mask  # states that differ only outside the cone answer alike
        if key in self.known:
            return self.known[key]
        known: bool | None
        if self.monitors.step(0, -1, packed, START).broken:
            known = True
        elif self.budget is not None and self.budget[0] <= 0:
            return None  # the searches' budget is spent: not decided (and not remembered)
        else:
            search = self.search.fresh()
            search.add_root(packed)
            search.run(self.within, REACH_STATES, until_broken=self.goal)
            if self.budget is not None:
                self.budget[0] -= len(search.seen)
            found = search.violations.get(self.goal)  # (a step that breaks a rule leads nowhere)
            if found is not None:
                known = True
                # every state on the way there reaches it within fewer events
                kernel, state = self.kernel, packed
                for name, values in found.path:
                    state = kernel.step(state, name, kernel.params_for(name, values))
                    self.known[state & self.mask] = True
            elif search.stopped in (None, "max-depth"):
                known = False
            else:  # out of states (or interrupted): not decided
                known = None
        self.known[key] = known
        return known


class Reachability:
    """`Reach` searches by condition, as `judge_history`'s `reach(state, goal, within)`."""

    def __init__(
        self, kernel: Kernel, chosen: Domains, confirm: bool = True, budget: int | None = None
    ) -> None:
        self.kernel, self.chosen, self.confirm = kernel, chosen, confirm
        self.searches: dict[tuple[str, int], Reach] = {}
        # shared by every search: a file cannot make them endless
        self.budget = [REACH_BUDGET if budget is None else budget]

    def search(self, condition: Expression, within: int) -> Reach:
        key = (condition.text, within)
        if key not in self.searches:
            reach = Reach(self.kernel, self.chosen, condition, within, self.confirm, self.budget)
            self.searches[key] = reach
        return self.searches[key]

    def __call__(self, state: State, goal: Expression, within: int) -> bool | None:
        return self.search(goal, within)(self.kernel.pack(state))

    def undecided(self, model: Model) -> tuple[str, ...]:
        """The `stays_reachable` properties some search could not decide."""
        return tuple(
            p.name
            for p in model.properties
            if p.kind == "stays_reachable"
            and p.condition is not None
            and (p.condition.text, p.within) in self.searches
            and self.searches[(p.condition.text, p.within)].undecided
        )


def reachability(model: Model, kernel: Kernel | None = None) -> Reachability:
    """The kernel's reachability search for `model`, over the explorer's domains."""
    return Reachability(kernel or Kernel.from_model(model), domains(model)[0])


@dataclass(frozen=True)
class Exhausted:
    """What the exhaustive stage checked, and the first rule it found broken."""

    depth: int  # every history of up to this many events was checked
    states: int
    transitions: int  # steps applied
    complete: bool  # no state was left unexpanded: histories of any length were checked
    stopped: str | None  # max-depth, max-states, time-limit, broken, interrupted
    seconds: float
    exhaustive_domains: bool  # every parameter's domain holds all its values
    rule: Rule | None = None
    message: str = ""
    path: tuple[Fired, ...] = ()  # a shortest history that breaks `rule`


Progress = Callable[[int, int], None]  # (depth, states)


def exhaust(
    model: Model,
    max_depth: int = DEPTH,
    max_states: int = MAX_STATES,
    time_limit: float | None = None,
    progress: Progress | None = None,
    kernel: Kernel | None = None,
    reach: Reachability | None = None,
) -> Exhausted:
    """Check every history from the model's start, a level at a time; see the module.
    `reach` is the reachability search to judge `stays_reachable` with (one of its own by
    default); its `undecided` says which it could not decide."""
    began = time.perf_counter()
    kernel = kernel or Kernel.from_model(model)
    chosen, exhaustive = domains(model)
    monitors = Monitors(kernel.layout)
    search = Search(kernel, event_steps(kernel, chosen), monitors, record=True)
    reach = reach or Reachability(kernel, chosen)
    reaches = [
        (p, reach.search(p.condition, p.within))
        for p in model.properties
        if p.kind == "stays_reachable" and p.condition is not None
    ]
    start = State.of(model.initial, model.initial_ledger())
    bits, broken = start_bits(monitors, kernel, start, ())

    def result(
        checked: int, rule: Rule | None = None, message: str = "", path: tuple[Fired, ...] = ()
    ) -> Exhausted:
        return Exhausted(
            depth=checked,
            states=len(search.seen),
            transitions=search.transitions,
            complete=search.stopped is None and rule is None,
            stopped="broken" if rule is not None else search.stopped,
            seconds=time.perf_counter() - began,
            exhaustive_domains=exhaustive,
            rule=rule,
            message=message,
            path=path,
        )

    if broken:
        return result(0, *broken[0])
    search.add_root(kernel.pack(start) | bits << search.shift)

    checking = [0]  # the length of the histories being checked

    def searching(_: int, states: int, __: int) -> None:
        if progress is not None:
            progress(checking[0], states)

    judged = 0  # nodes of `search.order` whose reachability was judged
    level = 0
    while True:
        order = search.order or []
        for node in order[judged:]:
            for prop, toward in reaches:
                if toward(node & search.mask) is False:
                    assert prop.condition is not None
                    message = (
                        f"no sequence of {prop.within} events or fewer reaches "
                        f"`{prop.condition.text}` (with the parameter values tried)"
                    )
                    path = search.path(node)  # (`level` events: the shorter ones passed)
                    return result(max(level - 1, 0), Rule("property", prop.name), message, path)
        judged = len(order)
        if level >= max_depth or search.stopped not in (None, "max-depth") or not search.frontier:
            break
        search.stopped = None
        checking[0] = level + 1
        search.run(level + 1, max_states, time_limit, began, searching, until_broken=True)
        if search.violations:
            found = min(search.violations.values(), key=lambda f: len(f.path))
            return result(len(found.path) - 1, found.rule, found.message, found.path)
        if search.stopped in ("max-states", "time-limit", "interrupted"):
            break  # this level was judged in part: the histories of `level` events stand
        level += 1
        if progress is not None:
            progress(level, len(search.seen))
    if search.stopped is None and search.frontier:
        search.stopped = "max-depth"
    return result(level)
