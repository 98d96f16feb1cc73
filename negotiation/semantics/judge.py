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

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from negotiation.errors import suggest
from negotiation.rules.expressions import Expression
from negotiation.rules.model import ONE_REGION, Event, Model, Value
from negotiation.semantics.outcomes import (
    PHASES_RULE,
    TIME_RULE,
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


Phases = Mapping[str, str]


def rule_values(model: Model, phases: Phases, ledger: Ledger) -> tuple[Mapping[str, Any], str]:
    """What a rule reads in a state: the ledger, each region's phase under the region's name,
    and each derived value; and, for a model with one region, its phase as `phase`.

    Raises `_Undefined` if a derived value divides by zero (callers turn it into `Broken`).
    """
    phase = phases.get(ONE_REGION, "")
    if model.one_region and not model.derived:
        return ledger, phase
    values: dict[str, Any] = dict(ledger)
    if not model.one_region:
        values.update(phases)
    for derived in model.derived.values():
        result = evaluate(derived.expression, values, {}, phase)
        if isinstance(result, _DividedByZero):
            raise _Undefined(_division(Rule("derived", derived.name), derived.expression, ""))
        values[derived.name] = result
    return values, phase


def rule_values_or_none(model: Model, phases: Phases, ledger: Ledger) -> Mapping[str, Any] | None:
    """`rule_values`, with every region under its name (one region: `phase`), or None if a
    derived value divides by zero."""
    try:
        values, _ = rule_values(model, phases, ledger)
    except _Undefined:
        return None
    return {**values, **phases}


def judge_guards(
    model: Model,
    event: Event,
    phases: Phases,
    ledger: Ledger,
    params: Mapping[str, Value],
    skip_params: frozenset[str] = frozenset(),
) -> Judgement | Broken:
    """Judge `event` in (`phases`, `ledger`) with `params`: its phases, then each guard once.

    Guards that read a parameter in `skip_params` are not judged (for asking which events may
    fire before their parameters are known). A guard that divides by zero is `Broken`.
    """
    shown_phases = ", ".join(phases.values())
    if not event.allows(phases):
        reason = f"'{event.name}' fires only from " + ", ".join(event.from_phases)
        where = {region: phases.get(region) for region in event.requires}
        outcome = GuardOutcome(PHASES_RULE, False, reason, "phase", where)
        return Judgement(event.name, shown_phases, (outcome,))
    try:
        values, phase = rule_values(model, phases, ledger)
    except _Undefined as undefined:
        return undefined.broken
    outcomes = []
    for guard in event.guards:
        if skip_params and skip_params.intersection(guard.expression.params):
            continue
        result = evaluate(guard.expression, values, params, phase)
        if isinstance(result, _DividedByZero):
            return _division(Rule("guard", guard.name), guard.expression, event.name)
        shown = guard.expression.values(values, params, phase)
        exempt = ""
        if guard.exempt is not None and evaluate(guard.exempt, values, params, phase) is True:
            exempt = guard.exempt.text
        outcomes.append(
            GuardOutcome(
                guard.name, bool(result), guard.reason, guard.expression.text, shown, exempt
            )
        )
    return Judgement(event.name, shown_phases, tuple(outcomes))


def apply_effects(
    model: Model, event: Event, phases: Phases, ledger: Ledger, params: Mapping[str, Value]
) -> dict[str, Value] | Broken:
    """The ledger after `event`'s effects; every effect reads the state as it was before."""
    try:
        values, phase = rule_values(model, phases, ledger)
    except _Undefined as undefined:
        return undefined.broken
    new = dict(ledger)
    for variable, expression in event.effects:
        result = evaluate(expression, values, params, phase)
        if isinstance(result, _DividedByZero):
            return _division(Rule("effect", variable), expression, event.name)
        new[variable] = result
    return new


def moved(model: Model, event: Event, phases: Phases) -> dict[str, str]:
    """The phases after `event`: each region it moves in its new phase, the others as they
    were."""
    after = dict(phases)
    for phase in event.to:
        after[model.phases[phase].region] = phase
    return after


def check_state(model: Model, phases: Phases, ledger: Ledger, event: str = "") -> Broken | None:
    """The first rule the state breaks: a variable out of its bounds, then an invariant."""
    for name, variable in model.variables.items():
        if name not in ledger:
            return Broken(Rule("bounds", name), f"'{name}' has no value", event)
        error = variable.check(ledger[name])
        if error:
            return Broken(Rule("bounds", name), error, event, {name: ledger[name]})
    try:
        values, phase = rule_values(model, phases, ledger)
    except _Undefined as undefined:
        return replace(undefined.broken, event=event)
    for invariant in model.invariants:
        expression = invariant.expression
        result = evaluate(expression, values, {}, phase)
        if isinstance(result, _DividedByZero):
            return _division(Rule("invariant", invariant.name), expression, event)
        if not result:
            shown = expression.values(values, {}, phase)
            detail = ", ".join(f"{k}={v!r}" for k, v in shown.items())
            return Broken(
                Rule("invariant", invariant.name),
                f"{expression.text} ({detail})" if detail else expression.text,
                event,
                shown,
            )
    return None


def evaluate_in(
    model: Model,
    expression: Expression,
    phases: Phases,
    ledger: Ledger,
    params: Mapping[str, Value] | None = None,
) -> Any:
    """An expression's value in a state (for properties, expectations, searches' goals), or
    DIVIDED_BY_ZERO if it, or a derived value it reads, divides by zero."""
    try:
        values, phase = rule_values(model, phases, ledger)
    except _Undefined:
        return DIVIDED_BY_ZERO
    return evaluate(expression, values, params or {}, phase)


def shown_values(
    model: Model,
    expression: Expression,
    phases: Phases,
    ledger: Ledger,
    params: Mapping[str, Value] | None = None,
) -> dict[str, Any]:
    """The values of the names an expression reads in a state, for explaining its result."""
    try:
        values, phase = rule_values(model, phases, ledger)
    except _Undefined:
        values, phase = ledger, phases.get(ONE_REGION, "")
    return expression.values(values, params or {}, phase)


def derived_values(model: Model, ledger: Ledger) -> dict[str, Value | None]:
    """Each derived value of the model on `ledger` (None where it divides by zero)."""
    values: dict[str, Any] = dict(ledger)
    found: dict[str, Value | None] = {}
    for derived in model.derived.values():
        result = evaluate(derived.expression, values, {}, "")
        found[derived.name] = None if isinstance(result, _DividedByZero) else result
    return found


def judge_time(
    model: Model, event: Event, began: datetime.date | None, latest: datetime.date | None
) -> GuardOutcome | None:
    """For an event that marks the end of a phase's planned time (`expires`): whether the
    latest day it can have happened is at least the phase's first day plus its planned days.
    None when the event marks no such end, or a date is not known: nothing to judge."""
    if event.expires is None or began is None or latest is None:
        return None
    phase = model.phases[event.expires]
    assert phase.planned_days is not None  # the loader requires it for `expires`
    due = began + datetime.timedelta(days=phase.planned_days)
    reason = (
        f"'{phase.name}' was planned to last {phase.planned_days} days from {began.isoformat()}, "
        f"to {due.isoformat()}"
    )
    shown = {"began": began.isoformat(), "date": latest.isoformat()}
    return GuardOutcome(TIME_RULE, latest >= due, reason, "date", shown)


class _Undefined(Exception):
    """A derived value that divides by zero: nothing that reads the state can be judged."""

    def __init__(self, broken: Broken) -> None:
        self.broken = broken
        super().__init__(str(broken))


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
