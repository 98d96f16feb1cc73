"""Counterfactual overrides: a counterfactual may change a guard's expression or an event's
phases. `apply_overrides` makes the change in a copy of the model, checks each change as the model
file itself would be checked, and describes each one for the output: a reader must see every way
a counterfactual departs from the documented rules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from negotiation.errors import ExpressionError, FileError, Problem, suggest
from negotiation.files.yamlfile import Document
from negotiation.rules.expressions import BOOL, compile_expression
from negotiation.rules.model import Guard, Model

if TYPE_CHECKING:
    from negotiation.files.schema import OverridesSpec


def apply_overrides(
    model: Model, overrides: OverridesSpec, document: Document
) -> tuple[Model, tuple[str, ...]]:
    """A copy of `model` with the overrides applied, and a line describing each override."""
    problems: list[Problem] = []
    described: list[str] = []
    events = dict(model.events)
    for key, text in overrides.guards.items():
        where = ("overrides", "guards", key)
        event_name, _, guard_name = key.partition(".")
        event = events.get(event_name)
        if event is None:
            message = f"unknown event '{event_name}'" + suggest(event_name, list(events))
            problems.append(Problem(document.locate(*where, on_key=True), message))
            continue
        names = [guard.name for guard in event.guards]
        if guard_name not in names:
            message = f"event '{event_name}' has no guard '{guard_name}'" + suggest(
                guard_name, names
            )
            problems.append(Problem(document.locate(*where, on_key=True), message))
            continue
        try:
            expression = compile_expression(text, model.scope(event.params), BOOL)
        except ExpressionError as error:
            location = document.locate_within(*where, offset=error.offset)
            problems.append(Problem(location, error.message))
            continue
        old = next(guard for guard in event.guards if guard.name == guard_name)
        new_guard = Guard(old.name, expression, old.reason, old.sources)
        guards = tuple(new_guard if g.name == guard_name else g for g in event.guards)
        events[event_name] = replace(event, guards=guards)
        described.append(f"guard {key}: {old.expression.text} → {expression.text}")
    for event_name, change in overrides.events.items():
        where = ("overrides", "events", event_name)
        event = events.get(event_name)
        if event is None:
            message = f"unknown event '{event_name}'" + suggest(event_name, list(events))
            problems.append(Problem(document.locate(*where, on_key=True), message))
            continue
        phases = list(model.phases)
        to = [change.to] if isinstance(change.to, str) else list(change.to or [])
        unknown = [p for p in [*(change.from_ or []), *to] if p not in model.phases]
        for phase in unknown:
            message = f"unknown phase '{phase}'" + suggest(phase, phases)
            problems.append(Problem(document.locate(*where), message))
        if unknown:
            continue
        if change.from_ is not None:
            described.append(
                f"event {event_name} fires from: {', '.join(event.from_phases)} → "
                f"{', '.join(change.from_)}"
            )
            requires: dict[str, set[str]] = {}
            for phase in change.from_:
                requires.setdefault(model.phases[phase].region, set()).add(phase)
            event = replace(
                event,
                from_phases=tuple(change.from_),
                requires={region: frozenset(found) for region, found in requires.items()},
            )
        if change.to is not None:
            was = ", ".join(event.to) or "(stays)"
            described.append(f"event {event_name} leads to: {was} → {', '.join(to)}")
            event = replace(event, to=tuple(to))
        events[event_name] = event
    if problems:
        raise FileError(problems)
    return replace(model, events=events), tuple(described)
