"""Judging a history against a model's properties: the states a sequence of events went
through, and the events themselves (`events[i]` led to `states[i]`; `start` for the first),
with their parameters (`params[i]`; a property `on` an event reads them).

A property that asks what stays reachable needs a search from the history's last state; the
caller passes that search in (`reach`), so judging a history never runs a machine itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from negotiation.rules.expressions import Expression
from negotiation.rules.model import Model, Value
from negotiation.rules.properties import Property
from negotiation.semantics.judge import DIVIDED_BY_ZERO, evaluate_in
from negotiation.semantics.outcomes import Broken, Rule, State

# reach(state, goal, within) -> True (reachable), False (not within the search's choices), or
# None (the search ran out of budget: undecided).
Reach = Callable[[State, Expression, int], bool | None]


class _Undecided(Exception):
    """A condition divided by zero: the property breaks where it was judged."""


Params = Sequence[Mapping[str, Value]]


def judge_history(
    model: Model,
    states: Sequence[State],
    events: Sequence[str],
    reach: Reach | None = None,
    undecided: list[str] | None = None,
    params: Params = (),
) -> Broken | None:
    """The first property the history breaks, as `Broken` (its `index` is the state's), or
    None. Without `reach`, properties about what stays reachable are not judged; a property
    the search could not decide is not broken, and its name goes in `undecided`."""
    for prop in model.properties:
        broken = judge_property(model, prop, states, events, reach, undecided, params)
        if broken is not None:
            return broken
    return None


def judge_property(
    model: Model,
    prop: Property,
    states: Sequence[State],
    events: Sequence[str],
    reach: Reach | None = None,
    undecided: list[str] | None = None,
    params: Params = (),
) -> Broken | None:
    """Whether the history breaks `prop`, and where (see `judge_history` for `undecided`).
    A property `on` an event needs the `params` each event was given (ValueError without)."""
    rule = Rule("property", prop.name)
    if prop.on is not None and len(params) < len(states):
        raise ValueError(f"property {prop.name} reads the parameters of {prop.on}: give them")

    def holds(expression: Expression | None, index: int) -> bool:
        """`expression` in the index-th state, or, for `only_when`, in the state before it,
        with the parameters of the event that led to the index-th state."""
        assert expression is not None
        state = states[index - 1 if prop.kind == "only_when" else index]
        event: dict[str, Value] = {"event": events[index]}
        if prop.on is not None:
            event.update(params[index])
        value = evaluate_in(model, expression, state.phases, state.ledger, event)
        if value is DIVIDED_BY_ZERO:
            raise _Undecided(index)
        return bool(value)

    def amount(index: int) -> int:
        """The value of a monotone property's variable (or derived value) in a state."""
        assert prop.variable is not None
        state = states[index]
        derived = model.derived.get(prop.variable)
        if derived is None:
            return int(state.ledger[prop.variable])
        value = evaluate_in(model, derived.expression, state.phases, state.ledger)
        if value is DIVIDED_BY_ZERO:
            raise _Undecided(index)
        return int(value)

    try:
        found = _judge(prop, states, events, holds, reach, undecided, amount)
    except _Undecided as undecided:
        index = int(undecided.args[0])
        return Broken(rule, "a condition divides by zero", index=index)
    if found is None:
        return None
    index, message = found
    return Broken(rule, message, events[index] if index else "", index=index)


def _judge(
    prop: Property,
    states: Sequence[State],
    events: Sequence[str],
    holds: Callable[[Expression | None, int], bool],
    reach: Reach | None,
    undecided: list[str] | None = None,
    amount: Callable[[int], int] | None = None,
) -> tuple[int, str] | None:
    text = _text
    if prop.on is not None:
        for index in range(len(states)):
            if events[index] != prop.on:
                continue
            if prop.kind == "never" and holds(prop.condition, index):
                return index, f"{text(prop.condition)} held after {prop.on}"
            if prop.kind == "always" and not holds(prop.condition, index):
                return index, f"{text(prop.condition)} was false after {prop.on}"
            if prop.kind == "only_when" and index and not holds(prop.condition, index):
                return index, f"{prop.on} fired where {text(prop.condition)} did not hold"
        return None
    if prop.kind == "never":
        for index in range(len(states)):
            if prop.before is not None and holds(prop.before, index):
                return None
            if holds(prop.condition, index):
                tail = f" before {text(prop.before)}" if prop.before else ""
                return index, f"{text(prop.condition)} held{tail}"
        return None
    if prop.kind == "always_after":
        active = False
        for index in range(len(states)):
            if not active and holds(prop.after, index):
                active = True
            if active and prop.until is not None and holds(prop.until, index):
                active = False
            elif active and not holds(prop.condition, index):
                return index, f"{text(prop.condition)} was false after {text(prop.after)}"
        return None
    if prop.kind in ("never_decreases", "never_increases"):
        assert prop.variable is not None and amount is not None
        for index in range(1, len(states)):
            old, new = amount(index - 1), amount(index)
            if (new < old) if prop.kind == "never_decreases" else (new > old):
                return index, f"{prop.variable} went from {old} to {new}"
        return None
    if prop.kind == "stays_reachable" and states and reach is not None:
        assert prop.condition is not None
        answer = reach(states[-1], prop.condition, prop.within)
        if answer is None and undecided is not None:
            undecided.append(prop.name)
        if answer is False:
            return (
                len(states) - 1,
                f"no sequence of {prop.within} events or fewer reaches {text(prop.condition)}",
            )
    return None


def _text(expression: Expression | None) -> str:
    return f"`{expression.text}`" if expression is not None else ""
