"""Properties over histories: what a model's rules must mean, beyond what holds in each state.

Invariants hold in every state. A property speaks of a history (the states a sequence of events
passes through, and the events themselves), in a small vocabulary:

- `never: P` and `before: Q`: P never holds before Q has held (without `before`: never at all);
- `after: P`, `always: Q` and `until: R`: once P holds, Q holds in every state until R holds
  (without `until`: for the rest of the history);
- `on: E` with `never: P` or `always: Q`: in every state the event E led to, P does not hold
  (or Q holds); P and Q may read E's parameters too, so a property can state what an event
  must do (`on: exchange`, `always: prisoners_released >= prisoners`);
- `on: E` with `only_when: P`: E fires only from states where P holds (P is judged in the
  state before E, with E's parameters): what an event must find;
- `never_decreases: variable` / `never_increases: variable`: from one state to the next;
- `stays_reachable: P` and `within: N`: from the state the history ends in, some sequence of at
  most N events reaches a state where P holds (a bounded search).

P, Q and R are expressions of the rule language over the variables, `phase`, and `event`: the
name of the event that led to the state (`start` for the first state of a history).

This module defines properties and checks their form; `negotiation.semantics.history` judges a
history against them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from negotiation.errors import suggest
from negotiation.rules.expressions import BOOL, Expression, Scope, enum

START = "start"
PropertyKind = Literal[
    "never",
    "always",
    "only_when",
    "always_after",
    "never_decreases",
    "never_increases",
    "stays_reachable",
]


@dataclass(frozen=True)
class Property:
    """A declared property of a model's histories."""

    name: str
    kind: PropertyKind
    description: str = ""
    condition: Expression | None = None  # never P / always Q / stays_reachable P
    before: Expression | None = None
    after: Expression | None = None
    until: Expression | None = None
    variable: str | None = None
    within: int = 4
    on: str | None = None  # judged only in the states this event led to

    def statement(self) -> str:
        """The property in words, as its vocabulary reads."""
        text = _text
        head = f"after each {self.on}, " if self.on else ""
        if self.kind == "never":
            tail = f" before {text(self.before)}" if self.before else ""
            return f"{head}never {text(self.condition)}{tail}"
        if self.kind == "always":
            return f"{head}always {text(self.condition)}"
        if self.kind == "only_when":
            return f"{self.on} only when {text(self.condition)}"
        if self.kind == "always_after":
            tail = f" until {text(self.until)}" if self.until else ""
            return f"after {text(self.after)}, always {text(self.condition)}{tail}"
        if self.kind == "stays_reachable":
            return f"{text(self.condition)} stays reachable within {self.within} events"
        return f"{self.variable} {self.kind.replace('_', ' ')}"


def _text(expression: Expression | None) -> str:
    return f"`{expression.text}`" if expression is not None else ""


def property_scope(scope: Scope, events: Iterable[str]) -> Scope:
    """Properties read what the model's rules read (`scope`), and `event`: the event that led
    to the state."""
    return Scope(
        variables=scope.variables,
        params={"event": enum(frozenset([*events, START]), "event")},
        phases=scope.phases,
    )


_FORMS: dict[PropertyKind, tuple[set[str], set[str]]] = {
    "never": ({"never"}, {"before", "on"}),
    "always": ({"on", "always"}, set()),
    "only_when": ({"on", "only_when"}, set()),
    "always_after": ({"after", "always"}, {"until"}),
    "never_decreases": ({"never_decreases"}, set()),
    "never_increases": ({"never_increases"}, set()),
    "stays_reachable": ({"stays_reachable"}, {"within"}),
}
_FIELDS = {
    "on",
    "only_when",
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
    spec: Any,
    scope: Scope,
    compile_at: Any,
    report: Any,
    where: tuple[str | int, ...],
    events: Mapping[str, Any] | None = None,
) -> Property | None:
    """Check one property's form and compile its expressions; report problems, located.

    `scope` is the model's `property_scope`; `events`, the model's events (for `on`).
    `compile_at(text, scope, type, *where)` compiles or reports and returns None;
    `report(message, *where)` records a problem.
    """
    given = {name for name in _FIELDS if getattr(spec, name) is not None}
    if spec.within != 4:
        given.add("within")
    kind: PropertyKind | None = next(
        (
            k
            for k, (needed, optional) in _FORMS.items()
            if needed <= given and given <= needed | optional
        ),
        None,
    )
    if kind is None:
        forms = (
            "never [before], on + never, on + always, on + only_when, after + always [until], "
            "never_decreases, never_increases, stays_reachable [within]"
        )
        report(f"property '{spec.name}' must take one of these forms: {forms}", *where)
        return None
    if spec.on is not None and spec.before is not None:
        report(f"property '{spec.name}' takes `on` or `before`, not both", *where, "on")
        return None
    if spec.on is not None:
        event = (events or {}).get(spec.on)
        if event is None:
            report(
                f"unknown event '{spec.on}'" + suggest(spec.on, list(events or {})),
                *where,
                "on",
            )
            return None
        scope = Scope(
            variables=scope.variables,
            params={**scope.params, **{n: p.type for n, p in event.params.items()}},
            phases=scope.phases,
        )

    def compiled(field_name: str) -> Expression | None:
        text = getattr(spec, field_name)
        return None if text is None else compile_at(text, scope, BOOL, *where, field_name)

    variable = spec.never_decreases or spec.never_increases
    if variable is not None:
        declared = scope.variables.get(variable)
        if declared is None or declared.kind != "int":
            report(f"'{variable}' is not a whole-number variable of the model", *where, kind)
            return None
    condition = compiled(
        {
            "never": "never",
            "always": "always",
            "only_when": "only_when",
            "always_after": "always",
            "stays_reachable": "stays_reachable",
        }.get(kind, "never")
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
        spec.on,
    )
    expected = {
        "never": ["never"],
        "always": ["always"],
        "only_when": ["only_when"],
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
