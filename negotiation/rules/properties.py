"""Properties over histories: what a model's rules must mean, beyond what holds in each state.

Invariants hold in every state. A property speaks of a history (the states a sequence of events
passes through, and the events themselves), in a small vocabulary:

- `never: P` and `before: Q`: P never holds before Q has held (without `before`: never at all);
- `after: P`, `always: Q` and `until: R`: once P holds, Q holds in every state until R holds
  (without `until`: for the rest of the history);
- `never_decreases: variable` / `never_increases: variable`: from one state to the next;
- `stays_reachable: P` and `within: N`: from the state the history ends in, some sequence of at
  most N events reaches a state where P holds (a bounded search; see `reachable`).

P, Q and R are expressions of the rule language over the variables, `phase`, and `event`: the
name of the event that led to the state (`start` for the first state of a history).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from negotiation.errors import RefusedEvent
from negotiation.rules.expressions import BOOL, Expression, Scope, enum

if TYPE_CHECKING:
    from negotiation.rules.model import Event, Model
    from negotiation.semantics.machine import Machine, State

START = "start"
KINDS = ("never", "always_after", "never_decreases", "never_increases", "stays_reachable")
SEARCH_BUDGET = 20_000


@dataclass(frozen=True)
class Property:
    """A declared property of a model's histories."""

    name: str
    kind: str
    description: str = ""
    condition: Expression | None = None  # never P / always Q / stays_reachable P
    before: Expression | None = None
    after: Expression | None = None
    until: Expression | None = None
    variable: str | None = None
    within: int = 4

    def statement(self) -> str:
        """The property in words, as its vocabulary reads."""
        text = _text
        if self.kind == "never":
            tail = f" before {text(self.before)}" if self.before else ""
            return f"never {text(self.condition)}{tail}"
        if self.kind == "always_after":
            tail = f" until {text(self.until)}" if self.until else ""
            return f"after {text(self.after)}, always {text(self.condition)}{tail}"
        if self.kind == "stays_reachable":
            return f"{text(self.condition)} stays reachable within {self.within} events"
        return f"{self.variable} {self.kind.replace('_', ' ')}"


def _text(expression: Expression | None) -> str:
    return f"`{expression.text}`" if expression is not None else ""


def property_scope(model: Model) -> Scope:
    """Properties read the variables, `phase`, and `event` (the event that led to the state)."""
    events = enum(frozenset([*model.events, START]), "event")
    return Scope(
        variables={name: v.type for name, v in model.variables.items()},
        params={"event": events},
        phases=frozenset(model.phases),
    )


@dataclass(frozen=True)
class Violation:
    """Where a history breaks a property: the index of the state, and what happened."""

    property: str
    index: int
    message: str


def check_history(
    model: Model, states: Sequence[State], events: Sequence[str], machine: Machine | None = None
) -> Violation | None:
    """The first property the history breaks, or None. `events[i]` led to `states[i]`.

    `machine`, if given, is reused for the searches of `stays_reachable` (its state is lost).
    """
    for prop in model.properties:
        try:
            violation = check_property(prop, model, states, events, machine)
        except ZeroDivisionError:
            violation = Violation(prop.name, len(states) - 1, "a condition divides by zero")
        if violation is not None:
            return violation
    return None


def check_property(
    prop: Property,
    model: Model,
    states: Sequence[State],
    events: Sequence[str],
    machine: Machine | None = None,
) -> Violation | None:
    def holds(expression: Expression | None, index: int) -> bool:
        assert expression is not None
        state = states[index]
        return bool(expression(state.ledger, {"event": events[index]}, state.phase))

    if prop.kind == "never":
        for index in range(len(states)):
            if prop.before is not None and holds(prop.before, index):
                return None
            if holds(prop.condition, index):
                return Violation(
                    prop.name,
                    index,
                    f"{_text(prop.condition)} held"
                    + (f" before {_text(prop.before)}" if prop.before else ""),
                )
        return None
    if prop.kind == "always_after":
        active = False
        for index in range(len(states)):
            if not active and holds(prop.after, index):
                active = True
            if active and prop.until is not None and holds(prop.until, index):
                active = False
            elif active and not holds(prop.condition, index):
                return Violation(
                    prop.name, index, f"{_text(prop.condition)} was false after {_text(prop.after)}"
                )
        return None
    if prop.kind in ("never_decreases", "never_increases"):
        assert prop.variable is not None
        for index in range(1, len(states)):
            old = int(states[index - 1].ledger[prop.variable])
            new = int(states[index].ledger[prop.variable])
            if (new < old) if prop.kind == "never_decreases" else (new > old):
                return Violation(prop.name, index, f"{prop.variable} went from {old} to {new}")
        return None
    if prop.kind == "stays_reachable" and states:
        assert prop.condition is not None
        found = reachable(model, states[-1], prop.condition, prop.within, machine)
        if found is False:
            return Violation(
                prop.name,
                len(states) - 1,
                f"no sequence of {prop.within} events or fewer reaches {_text(prop.condition)}",
            )
    return None


def reachable(
    model: Model, start: State, goal: Expression, within: int, machine: Machine | None = None
) -> bool | None:
    """Whether a state where `goal` holds is reachable from `start` in at most `within` events.

    A depth-first search with iterative deepening over distinct states, trying the events that
    change the phase first (so the usual answer, yes, comes quickly). An event's parameters are
    tried at a few values each: its bounds, its default, and the values of the ledger's whole
    numbers within its bounds (enough to, say, free exactly the hostages held); enums and bools at
    every value. So False means "not within these choices", and None means the search met its
    budget of states first.
    """
    from negotiation.semantics.machine import Machine

    if goal(start.ledger, {"event": START}, start.phase):
        return True
    machine = machine or Machine(model)
    events = sorted(model.events.values(), key=lambda e: e.to is None)
    explored: dict[tuple[Any, ...], int] = {}

    def search(state: State, remaining: int) -> bool | None:
        for event in events:
            if state.phase not in event.from_phases:
                continue
            for values in candidate_params(event, state.ledger):
                machine.load(state)
                try:
                    after = machine.fire(event.name, values).after
                except RefusedEvent:
                    continue
                if goal(after.ledger, {"event": event.name}, after.phase):
                    return True
                if remaining <= 1:
                    continue
                key = state_key(after)
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
    return False


def candidate_params(event: Event, ledger: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A few parameter sets for `event`: see `reachable`."""
    choices = []
    for param in event.params.values():
        if param.type.kind != "int":
            choices.append(param.domain())
            continue
        low = param.min if param.min is not None else 0
        high = param.max if param.max is not None else low
        values = {low, high}
        if param.default is not None:
            values.add(int(param.default))
        values.update(v for v in ledger.values() if type(v) is int and low <= v <= high)
        choices.append(tuple(sorted(values)))
    names = list(event.params)
    for combination in itertools.product(*choices):
        yield dict(zip(names, combination, strict=True))


def state_key(state: State) -> tuple[Any, ...]:
    return (state.phase, *state.ledger.values())


_FORMS = {
    "never": ({"never"}, {"before"}),
    "always_after": ({"after", "always"}, {"until"}),
    "never_decreases": ({"never_decreases"}, set()),
    "never_increases": ({"never_increases"}, set()),
    "stays_reachable": ({"stays_reachable"}, {"within"}),
}
_FIELDS = {
    "never",
    "before",
    "after",
    "always",
    "until",
    "never_decreases",
    "never_increases",
    "stays_reachable",
}


def build_property(
    spec: Any, model: Model, compile_at: Any, report: Any, where: tuple[str | int, ...]
) -> Property | None:
    """Check one property's form and compile its expressions; report problems, located.

    `compile_at(text, scope, type, *where)` compiles or reports and returns None;
    `report(message, *where)` records a problem.
    """
    given = {name for name in _FIELDS if getattr(spec, name) is not None}
    if spec.within != 4:
        given.add("within")
    kind = next(
        (
            k
            for k, (needed, optional) in _FORMS.items()
            if needed <= given and given <= needed | optional
        ),
        None,
    )
    if kind is None:
        forms = (
            "never [before], after + always [until], never_decreases, never_increases, "
            "stays_reachable [within]"
        )
        report(f"property '{spec.name}' must take one of these forms: {forms}", *where)
        return None
    scope = property_scope(model)

    def compiled(field_name: str) -> Expression | None:
        text = getattr(spec, field_name)
        return None if text is None else compile_at(text, scope, BOOL, *where, field_name)

    variable = spec.never_decreases or spec.never_increases
    if variable is not None:
        declared = model.variables.get(variable)
        if declared is None or declared.type.kind != "int":
            report(f"'{variable}' is not a whole-number variable of the model", *where, kind)
            return None
    condition = compiled(
        {"never": "never", "always_after": "always", "stays_reachable": "stays_reachable"}.get(
            kind, "never"
        )
    )
    prop = Property(
        spec.name,
        kind,
        spec.description,
        condition,
        compiled("before"),
        compiled("after"),
        compiled("until"),
        variable,
        spec.within,
    )
    expected = {
        "never": ["never"],
        "always_after": ["after", "always"],
        "stays_reachable": ["stays_reachable"],
    }.get(kind, [])
    if any(
        getattr(spec, f) is not None and c is None
        for f, c in zip(
            ["before", "after", "until"], [prop.before, prop.after, prop.until], strict=True
        )
    ):
        return None
    if expected and condition is None:
        return None
    return prop
