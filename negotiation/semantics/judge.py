"""The one semantics of a step: how an event's parameters, guards and effects, and a state, are
judged. The machine, scenario loading, the searches and the testing helpers all call these
functions; nothing else judges a rule.

Each function returns its verdict as data (never raises for a rule that refuses or breaks):

- `validate_params`: an event's full parameters, or the problems with what was given;
- `judge_guards`: every guard judged once, each outcome kept, in the model's order;
- `apply_effects`: the new ledger (every effect reads the ledger as it was), or `Broken`;
- `check_state`: `Broken` for the first bound or invariant a state breaks, else None.

A division by zero anywhere in a rule is a broken rule, never a Python error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from negotiation.errors import suggest
from negotiation.rules.expressions import Expression
from negotiation.rules.model import Event, Model, Value
from negotiation.semantics.outcomes import (
    PHASES_RULE,
    Broken,
    GuardOutcome,
    Judgement,
    Ledger,
    Rule,
)


@dataclass(frozen=True)
class ParamProblem:
    """One thing wrong with an event's parameters: which one (None: the event itself)."""

    param: str | None
    message: str
    on_key: bool = False


def validate_params(
    event: Event, given: Mapping[str, Any]
) -> tuple[dict[str, Value], tuple[ParamProblem, ...]]:
    """An event's full parameters (`given`, checked, with defaults filled in), and every
    problem with them. The values are usable only when there are no problems."""
    values: dict[str, Value] = {}
    problems: list[ParamProblem] = []
    for name, value in given.items():
        param = event.params.get(name)
        if param is None:
            hint = suggest(name, list(event.params))
            problems.append(
                ParamProblem(name, f"event '{event.name}' has no parameter '{name}'{hint}", True)
            )
            continue
        error = param.check(value)
        if error:
            problems.append(ParamProblem(name, error))
            continue
        values[name] = value
    for name, param in event.params.items():
        if name in given:
            continue
        if param.default is None:
            message = f"event '{event.name}' needs parameter '{name}' ({param.type})"
            problems.append(ParamProblem(None, message))
        else:
            values[name] = param.default
    return values, tuple(problems)


def judge_guards(
    event: Event,
    phase: str,
    ledger: Ledger,
    params: Mapping[str, Value],
    skip_params: frozenset[str] = frozenset(),
) -> Judgement | Broken:
    """Judge `event` in (`phase`, `ledger`) with `params`: its phases, then each guard once.

    Guards that read a parameter in `skip_params` are not judged (for asking which events may
    fire before their parameters are known). A guard that divides by zero is `Broken`.
    """
    if phase not in event.from_phases:
        reason = f"'{event.name}' fires only from " + ", ".join(event.from_phases)
        outcome = GuardOutcome(PHASES_RULE, False, reason, "phase", {"phase": phase})
        return Judgement(event.name, phase, (outcome,))
    outcomes = []
    for guard in event.guards:
        if skip_params and skip_params.intersection(guard.expression.params):
            continue
        result = evaluate(guard.expression, ledger, params, phase)
        if isinstance(result, _DividedByZero):
            return _division(Rule("guard", guard.name), guard.expression, event.name)
        shown = guard.expression.values(ledger, params, phase)
        outcomes.append(
            GuardOutcome(guard.name, bool(result), guard.reason, guard.expression.text, shown)
        )
    return Judgement(event.name, phase, tuple(outcomes))


def apply_effects(
    event: Event, phase: str, ledger: Ledger, params: Mapping[str, Value]
) -> dict[str, Value] | Broken:
    """The ledger after `event`'s effects; every effect reads the ledger as it was before."""
    new = dict(ledger)
    for variable, expression in event.effects:
        result = evaluate(expression, ledger, params, phase)
        if isinstance(result, _DividedByZero):
            return _division(Rule("effect", variable), expression, event.name)
        new[variable] = result
    return new


def check_state(model: Model, phase: str, ledger: Ledger, event: str = "") -> Broken | None:
    """The first rule the state breaks: a variable out of its bounds, then an invariant."""
    for name, variable in model.variables.items():
        if name not in ledger:
            return Broken(Rule("bounds", name), f"'{name}' has no value", event)
        error = variable.check(ledger[name])
        if error:
            return Broken(Rule("bounds", name), error, event, {name: ledger[name]})
    for invariant in model.invariants:
        expression = invariant.expression
        result = evaluate(expression, ledger, {}, phase)
        if isinstance(result, _DividedByZero):
            return _division(Rule("invariant", invariant.name), expression, event)
        if not result:
            shown = expression.values(ledger, {}, phase)
            detail = ", ".join(f"{k}={v!r}" for k, v in shown.items())
            return Broken(
                Rule("invariant", invariant.name),
                f"{expression.text} ({detail})" if detail else expression.text,
                event,
                shown,
            )
    return None


class _DividedByZero:
    """The value of an expression that divided by zero (a sentinel, not an exception)."""


DIVIDED_BY_ZERO = _DividedByZero()


def evaluate(
    expression: Expression, ledger: Ledger, params: Mapping[str, Value], phase: str
) -> Any:
    """The expression's value, or DIVIDED_BY_ZERO: the one place a rule is evaluated."""
    try:
        return expression(ledger, params, phase)
    except ZeroDivisionError:
        return DIVIDED_BY_ZERO


def _division(rule: Rule, expression: Expression, event: str) -> Broken:
    return Broken(rule, f"division by zero in {expression.text}", event)
