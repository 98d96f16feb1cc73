"""Searching histories with the machine: what is reachable from a state, and the shortest
history that breaks a rule. The seed of exploration; every step is judged by the machine.

An event's parameters are tried at a few values each (`candidate_params`): enums and bools at
every value, ints at every value when their range is small, else at their bounds, their default,
the numbers the event's guards compare with and their neighbours, and the ledger's whole numbers
within bounds. At most MAX_PARAM_SETS combinations of those values are tried per event (six int
parameters of a few values each would be tens of thousands). A search counts its attempts (events
tried, whatever their outcome) against SEARCH_BUDGET. A search that had to choose among values,
or that ran out of its budget, cannot say "unreachable": it answers None, undecided, never a wrong
verdict.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from negotiation.rules.expressions import Expression
from negotiation.rules.model import Event, Model, Param, Value
from negotiation.semantics.history import judge_property
from negotiation.semantics.judge import DIVIDED_BY_ZERO, evaluate_in
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import Applied, Broken, Rule, State

SEARCH_BUDGET = 20_000  # attempts (events tried) a search may make, and distinct states it keeps
MAX_PARAM_SETS = 256  # parameter combinations tried per event; past it, choices are not exhaustive
SMALL_RANGE = 16  # an int parameter with at most this many values is tried at every one
Fired = tuple[str, dict[str, Value]]


@dataclass(frozen=True)
class Choices:
    """The parameter sets a search tries for one event, and whether they are all there are."""

    sets: tuple[dict[str, Value], ...]
    exhaustive: bool


def candidate_params(event: Event, ledger: Mapping[str, Any]) -> Choices:
    """The parameter sets to try for `event` in a state with `ledger` (see the module)."""
    choices: list[tuple[Value, ...]] = []
    exhaustive = True
    for param in event.params.values():
        values, complete = _param_values(param, event, ledger)
        choices.append(values)
        exhaustive = exhaustive and complete
    names = list(event.params)
    total = 1
    for values in choices:
        total = min(total * len(values), MAX_PARAM_SETS + 1)
    if total > MAX_PARAM_SETS:
        exhaustive = False
    sets = tuple(
        dict(zip(names, combination, strict=True))
        for combination in (
            itertools.islice(_combinations(choices), MAX_PARAM_SETS)
            if total > MAX_PARAM_SETS
            else itertools.product(*choices)
        )
    )
    return Choices(sets, exhaustive)


def _combinations(choices: list[tuple[Value, ...]]) -> Iterator[tuple[Value, ...]]:
    """The product of `choices`, lazily, each candidate value of each parameter first (the others
    at their first value), so a capped prefix still tries every value once."""
    if any(not values for values in choices):
        return
    first = tuple(values[0] for values in choices)
    given: set[tuple[Value, ...]] = set()
    for index, values in enumerate(choices):
        for value in values:
            combination = (*first[:index], value, *first[index + 1 :])
            if combination not in given:
                given.add(combination)
                yield combination
    for combination in itertools.product(*choices):
        if combination not in given:
            yield combination


def _param_values(
    param: Param, event: Event, ledger: Mapping[str, Any]
) -> tuple[tuple[Value, ...], bool]:
    if param.type.kind != "int":
        return param.domain(), True
    low = param.min if param.min is not None else 0
    high = param.max if param.max is not None else max(low, 0)
    if param.min is not None and param.max is not None and high - low < SMALL_RANGE:
        return tuple(range(low, high + 1)), True
    values = {low, high}
    if param.default is not None:
        values.add(int(param.default))
    for literal in _literals(event):
        values.update((literal - 1, literal, literal + 1))
    values.update(v for v in ledger.values() if type(v) is int)
    return tuple(sorted(v for v in values if low <= v <= high)), False


def _literals(event: Event) -> set[int]:
    """The whole numbers the event's guards compare with."""
    found: set[int] = set()
    for guard in event.guards:
        for node in ast.walk(ast.parse(guard.expression.text, mode="eval")):
            if isinstance(node, ast.Constant) and type(node.value) is int:
                found.add(node.value)
    return found


def reachable(
    model: Model,
    start: State,
    goal: Expression,
    within: int,
    machine: Machine | None = None,
    budget: int = SEARCH_BUDGET,
) -> bool | None:
    """Whether a state where `goal` holds is reachable from `start` in at most `within` events:
    True, False (certainly not), or None (undecided: values were chosen, or the budget ran out).

    A depth-first search with iterative deepening over distinct states, trying the events that
    change the phase first, so the usual answer, yes, comes quickly.
    """
    if _holds(model, goal, start, "start"):
        return True
    machine = machine or Machine(model)
    events = sorted(model.events.values(), key=lambda e: not e.to)
    explored: dict[tuple[Any, ...], int] = {}
    certain = True
    attempts = 0

    def search(state: State, remaining: int) -> bool | None:
        nonlocal certain, attempts
        for event in events:
            if not event.allows(state.phases):
                continue
            choices = candidate_params(event, state.ledger)
            certain = certain and choices.exhaustive
            for values in choices.sets:
                attempts += 1
                if attempts > budget:
                    return None
                machine.load(state)
                outcome = machine.attempt(event.name, values)
                if not isinstance(outcome, Applied):
                    continue  # refused, or breaks a rule: not a way forward
                after = outcome.after
                if _holds(model, goal, after, event.name):
                    return True
                if remaining <= 1:
                    continue
                key = after.key()
                if explored.get(key, 0) >= remaining - 1:
                    continue
                explored[key] = remaining - 1
                if len(explored) > SEARCH_BUDGET:
                    return None
                found = search(after, remaining - 1)
                if found is not False:
                    return found
        return False

    for depth in range(1, within + 1):
        found = search(start, depth)
        if found is not False:
            return found
    return False if certain else None


def shortest_breaking_history(
    model: Model, rule: Rule, longest: int, budget: int = SEARCH_BUDGET
) -> list[Fired] | None:
    """A shortest history from the model's start (at most `longest` events) that breaks
    `rule`, found breadth-first within `budget` attempts (events tried) and as many distinct
    states; None if none was found."""
    prop = next((p for p in model.properties if Rule("property", p.name) == rule), None)
    if prop is not None and prop.kind == "stays_reachable":
        return None  # each state would need a search of its own
    machine = Machine(model)
    start = machine.state
    layer: list[tuple[State, tuple[Fired, ...], tuple[str, ...], tuple[State, ...]]] = [
        (start, (), ("start",), (start,))
    ]
    seen = {start.key()}
    attempts = [0]
    for _ in range(longest):
        following = []
        for state, fired, names, states in layer:
            expansions = _expansions(model, machine, state, fired, attempts, budget)
            for step, after, outcome in expansions:
                if isinstance(outcome, Broken):
                    if outcome.rule == rule:
                        return list(step)
                    continue
                path = (*states, after)
                events = (*names, step[-1][0])
                params = [{}, *(values for _, values in step)]
                if (
                    prop is not None
                    and judge_property(model, prop, path, events, params=params) is not None
                ):
                    return list(step)
                if after.key() not in seen:
                    seen.add(after.key())
                    following.append((after, step, events, path))
                    if len(seen) > budget:
                        return None
            if attempts[0] >= budget:
                return None  # out of attempts: undecided, not "no such history"
        layer = following
    return None


def _expansions(
    model: Model,
    machine: Machine,
    state: State,
    fired: tuple[Fired, ...],
    attempts: list[int],
    budget: int,
) -> Iterator[tuple[tuple[Fired, ...], State, Applied | Broken]]:
    """Each event tried from `state`; `attempts[0]` counts the tries, refused ones included, and
    no try is made past `budget`."""
    for event in model.events.values():
        if not event.allows(state.phases):
            continue
        for values in candidate_params(event, state.ledger).sets:
            if attempts[0] >= budget:
                return
            attempts[0] += 1
            machine.load(state)
            outcome = machine.attempt(event.name, values)
            if isinstance(outcome, Applied | Broken):
                after = outcome.after if isinstance(outcome, Applied) else state
                yield (*fired, (event.name, values)), after, outcome


def _holds(model: Model, goal: Expression, state: State, event: str) -> bool:
    value = evaluate_in(model, goal, state.phases, state.ledger, {"event": event})
    return value is not DIVIDED_BY_ZERO and bool(value)
