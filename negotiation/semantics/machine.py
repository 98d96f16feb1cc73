"""The machine: a model run by the `transitions` library, one event at a time.

Phases are the states of a `transitions.Machine`, events its triggers, compiled guards its
conditions, and effects are applied in the transition's `before` callback. This is the reference
semantics of a model. Before handing an event to `transitions`, `fire` judges every guard itself
so that a refusal can name the guard, its reason and the values that made it false; afterwards it
checks the variables' bounds and the model's invariants, and puts the old state back if either
is broken. Either way, a failed step leaves the machine exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from transitions import Machine as TransitionsMachine

from negotiation.errors import EventError, GuardOutcome, InvariantViolation, RefusedEvent
from negotiation.rules.expressions import suggest
from negotiation.rules.model import Event, Model, Value

Ledger = Mapping[str, Value]
ALLOWED_PHASES = "allowed_phases"


@dataclass(frozen=True)
class State:
    """A phase and a ledger: the full state of a negotiation at one moment."""

    phase: str
    ledger: Ledger

    @staticmethod
    def of(phase: str, ledger: Mapping[str, Value]) -> State:
        return State(phase, MappingProxyType(dict(ledger)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and (self.phase, dict(self.ledger)) == (
            other.phase,
            dict(other.ledger),
        )

    def __hash__(self) -> int:
        return hash((self.phase, tuple(sorted(self.ledger.items()))))


@dataclass(frozen=True)
class Step:
    """One applied event: the state before and after, and how each guard judged it."""

    event: str
    params: Mapping[str, Value]
    before: State
    after: State
    guards: tuple[GuardOutcome, ...]

    def changes(self) -> dict[str, tuple[Value, Value]]:
        """Each variable whose value moved, with its old and new value."""
        return {
            name: (old, self.after.ledger[name])
            for name, old in self.before.ledger.items()
            if self.after.ledger[name] != old
        }


@dataclass(frozen=True)
class Explanation:
    """Whether an event may fire now, and why: its phase check and each guard's outcome."""

    event: str
    phase: str
    allowed: bool
    outcomes: tuple[GuardOutcome, ...]

    @property
    def refusal(self) -> GuardOutcome | None:
        return next((outcome for outcome in self.outcomes if not outcome.passed), None)


class _Holder:
    """The object `transitions` drives; kept apart so triggers can't shadow our methods."""

    phase: str
    ledger: dict[str, Value]
    trigger: Callable[..., bool]  # attached by transitions


class Machine:
    """Run a model: fire events, ask which are enabled and why one is or is not allowed."""

    def __init__(
        self, model: Model, phase: str | None = None, ledger: Mapping[str, Value] | None = None
    ) -> None:
        self.model = model
        self._holder = _Holder()
        self._holder.ledger = model.initial_ledger()
        self._machine = TransitionsMachine(
            model=self._holder,
            states=list(model.phases),
            initial=model.initial,
            auto_transitions=False,
            send_event=True,
            model_attribute="phase",
        )
        for event in model.events.values():
            conditions = [self._condition(guard.expression) for guard in event.guards]
            for source in event.from_phases:
                self._machine.add_transition(
                    event.name, source, event.to, conditions=conditions, before=[self._apply]
                )
        if phase is not None or ledger is not None:
            self.reset(phase or model.initial, {**model.initial_ledger(), **(ledger or {})})

    @property
    def phase(self) -> str:
        return self._holder.phase

    @property
    def ledger(self) -> Ledger:
        return MappingProxyType(self._holder.ledger)

    @property
    def state(self) -> State:
        return State.of(self._holder.phase, self._holder.ledger)

    def reset(self, phase: str, ledger: Mapping[str, Value]) -> None:
        """Put the machine in a given state; the state is checked like any step's."""
        if phase not in self.model.phases:
            raise EventError(f"unknown phase '{phase}'" + suggest(phase, list(self.model.phases)))
        full = {**self.model.initial_ledger(), **ledger}
        for name, value in full.items():
            variable = self.model.variables.get(name)
            if variable is None:
                raise EventError(
                    f"unknown variable '{name}'" + suggest(name, list(self.model.variables))
                )
            error = variable.check(value)
            if error:
                raise EventError(error)
        for invariant in self.model.invariants:
            if not invariant.expression(full, {}, phase):
                raise EventError(
                    f"the state breaks invariant '{invariant.name}': {invariant.expression.text}"
                )
        self._machine.set_state(phase, model=self._holder)
        self._holder.ledger = full

    def load(self, state: State) -> None:
        """Put the machine in a state known to be valid (one it produced), without checks.

        For searches that return to states over and over; `reset` checks what it is given.
        """
        self._machine.set_state(state.phase, model=self._holder)
        self._holder.ledger = dict(state.ledger)

    def params_for(self, event: str, params: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """The event's full parameters: `params` checked, with defaults filled in."""
        definition = self._event(event)
        given = dict(params or {})
        result: dict[str, Value] = {}
        for name in given:
            if name not in definition.params:
                hint = suggest(name, list(definition.params))
                raise EventError(f"event '{event}' has no parameter '{name}'{hint}")
        for name, param in definition.params.items():
            if name in given:
                value = given[name]
            elif param.default is not None:
                value = param.default
            else:
                raise EventError(f"event '{event}' needs parameter '{name}' ({param.type})")
            error = param.check(value)
            if error:
                raise EventError(f"event '{event}': {error}")
            result[name] = value
        return result

    def explain(self, event: str, params: Mapping[str, Any] | None = None) -> Explanation:
        """Judge an event now, without firing it: the phase check, then every guard."""
        definition = self._event(event)
        values = self.params_for(event, params)
        phase, ledger = self._holder.phase, self._holder.ledger
        if phase not in definition.from_phases:
            reason = f"'{event}' fires only from " + ", ".join(definition.from_phases)
            outcome = GuardOutcome(ALLOWED_PHASES, False, reason, "phase", {"phase": phase})
            return Explanation(event, phase, False, (outcome,))
        outcomes = []
        for guard in definition.guards:
            passed = _evaluate(guard.expression, ledger, values, phase, event, guard.name)
            shown = guard.expression.values(ledger, values, phase)
            outcomes.append(
                GuardOutcome(guard.name, bool(passed), guard.reason, guard.expression.text, shown)
            )
        allowed = all(outcome.passed for outcome in outcomes)
        return Explanation(event, phase, allowed, tuple(outcomes))

    def enabled(self) -> list[str]:
        """The events that may fire now with their default parameters, in model order.

        An event with a parameter that has no default is judged on the guards that do not
        read that parameter.
        """
        names = []
        for event in self.model.events.values():
            if self._holder.phase not in event.from_phases:
                continue
            open_params = {n for n, p in event.params.items() if p.default is None}
            values = {n: p.default for n, p in event.params.items() if p.default is not None}
            if all(
                _evaluate(
                    g.expression,
                    self._holder.ledger,
                    values,
                    self._holder.phase,
                    event.name,
                    g.name,
                )
                for g in event.guards
                if not open_params.intersection(g.expression.params)
            ):
                names.append(event.name)
        return names

    def fire(self, event: str, params: Mapping[str, Any] | None = None) -> Step:
        """Apply an event; raise RefusedEvent (state unchanged) if a guard refuses it."""
        explanation = self.explain(event, params)
        values = self.params_for(event, params)
        refusal = explanation.refusal
        if refusal is not None:
            raise RefusedEvent(
                event,
                explanation.phase,
                refusal.guard,
                refusal.reason,
                refusal.values,
                explanation.outcomes,
            )
        before = self.state
        try:
            if not self._holder.trigger(event, **values):
                raise RuntimeError(f"transitions refused '{event}' after its guards passed")
            self._check_after(event)
        except InvariantViolation:
            self.reset(before.phase, before.ledger)
            raise
        return Step(event, MappingProxyType(values), before, self.state, explanation.outcomes)

    def _event(self, event: str) -> Event:
        definition = self.model.events.get(event)
        if definition is None:
            raise EventError(f"unknown event '{event}'" + suggest(event, list(self.model.events)))
        return definition

    def _condition(self, expression: Any) -> Any:
        holder = self._holder

        def condition(event_data: Any) -> bool:
            return bool(expression(holder.ledger, event_data.kwargs, holder.phase))

        return condition

    def _apply(self, event_data: Any) -> None:
        # Every effect reads the ledger as it was before the event: assignments are simultaneous.
        event = self.model.events[event_data.event.name]
        old = self._holder.ledger
        new = dict(old)
        for variable, expression in event.effects:
            new[variable] = _evaluate(
                expression,
                old,
                event_data.kwargs,
                self._holder.phase,
                event.name,
                f"effect on '{variable}'",
            )
        self._holder.ledger = new

    def _check_after(self, event: str) -> None:
        ledger, phase = self._holder.ledger, self._holder.phase
        for name, variable in self.model.variables.items():
            error = variable.check(ledger[name])
            if error:
                raise InvariantViolation(event, f"the bounds of '{name}'", error)
        for invariant in self.model.invariants:
            if not invariant.expression(ledger, {}, phase):
                shown = invariant.expression.values(ledger, {}, phase)
                detail = ", ".join(f"{k}={v!r}" for k, v in shown.items())
                raise InvariantViolation(
                    event,
                    f"invariant '{invariant.name}'",
                    f"{invariant.expression.text} ({detail})",
                )


def _evaluate(expression: Any, ledger: Any, params: Any, phase: str, event: str, what: str) -> Any:
    try:
        return expression(ledger, params, phase)
    except ZeroDivisionError:
        raise InvariantViolation(event, what, f"division by zero in {expression.text}") from None
