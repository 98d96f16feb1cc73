"""The machine: a model run one event at a time, its phases held by the `transitions` library.

The rules are judged by the one semantics in `negotiation.semantics.judge`, once per attempt;
`transitions` holds the phase and moves it when an event has been judged and applied, and judges
nothing itself (its transitions have no conditions). `attempt` returns the outcome as a type,
`Applied`, `Refused` or `Broken`; `fire` raises for the last two. Either way, an event that does
not apply leaves the machine exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from transitions import Machine as TransitionsMachine

from negotiation.errors import EventError, NegotiationError, suggest
from negotiation.rules.model import Event, Model, Value
from negotiation.semantics.judge import (
    apply_effects,
    check_state,
    judge_guards,
    validate_params,
)
from negotiation.semantics.outcomes import (
    Applied,
    Broken,
    Judgement,
    Ledger,
    Outcome,
    Refused,
    State,
)


class RefusedEvent(NegotiationError):
    """A guard (or the event's phases) refused an event; the state is unchanged."""

    def __init__(self, outcome: Refused) -> None:
        self.outcome = outcome
        super().__init__(str(outcome))


class RuleViolation(NegotiationError):
    """A step would break a rule (a bound, an invariant, an effect that divides by zero): the
    model's rules are wrong. The machine keeps the state it had before the step."""

    def __init__(self, outcome: Broken) -> None:
        self.outcome = outcome
        super().__init__(str(outcome))


class _Holder:
    """The object `transitions` drives; kept apart so triggers can't shadow our methods."""

    phase: str
    ledger: dict[str, Value]
    trigger: Callable[..., bool]  # attached by transitions


class Machine:
    """Run a model: attempt or fire events, ask which are enabled and why one is allowed."""

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
            model_attribute="phase",
        )
        for event in model.events.values():
            if event.from_phases:
                self._machine.add_transition(event.name, list(event.from_phases), event.to)
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
        for name in full:
            if name not in self.model.variables:
                raise EventError(
                    f"unknown variable '{name}'" + suggest(name, list(self.model.variables))
                )
        broken = check_state(self.model, phase, full)
        if broken is not None:
            raise EventError(f"the state breaks {broken.rule}: {broken.message}")
        self.load(State(phase, full))

    def load(self, state: State) -> None:
        """Put the machine in a state known to be valid (one it produced), without checks.

        For searches that return to states over and over; `reset` checks what it is given.
        """
        self._machine.set_state(state.phase, model=self._holder)
        self._holder.ledger = dict(state.ledger)

    def params_for(self, event: str, params: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """The event's full parameters: `params` checked, with defaults filled in."""
        values, problems = validate_params(self._event(event), dict(params or {}))
        if problems:
            first = problems[0]
            invalid_value = first.param is not None and not first.on_key
            raise EventError(
                f"event '{event}': {first.message}" if invalid_value else first.message
            )
        return values

    def explain(self, event: str, params: Mapping[str, Any] | None = None) -> Judgement:
        """Judge an event now, without firing it: the phase check, then every guard.

        Raises RuleViolation if a guard cannot be judged (it divides by zero).
        """
        judged = judge_guards(
            self._event(event), self.phase, self._holder.ledger, self.params_for(event, params)
        )
        if isinstance(judged, Broken):
            raise RuleViolation(judged)
        return judged

    def enabled(self) -> list[str]:
        """The events that may fire now with their default parameters, in model order.

        An event with a parameter that has no default is judged on the guards that do not
        read that parameter.
        """
        names = []
        for event in self.model.events.values():
            open_params = frozenset(n for n, p in event.params.items() if p.default is None)
            values = {n: p.default for n, p in event.params.items() if p.default is not None}
            judged = judge_guards(event, self.phase, self._holder.ledger, values, open_params)
            if isinstance(judged, Judgement) and judged.allowed:
                names.append(event.name)
        return names

    def attempt(self, event: str, params: Mapping[str, Any] | None = None) -> Outcome:
        """Judge `event` and, if it is allowed and breaks no rule, apply it.

        Unknown events and invalid parameters raise EventError: they are mistakes in the
        question, not outcomes of the rules.
        """
        definition = self._event(event)
        values = self.params_for(event, params)
        before = self.state
        judged = judge_guards(definition, before.phase, before.ledger, values)
        if isinstance(judged, Broken):
            return judged
        if not judged.allowed:
            return Refused(event, MappingProxyType(values), before, judged)
        ledger = apply_effects(definition, before.phase, before.ledger, values)
        if isinstance(ledger, Broken):
            return ledger
        phase = definition.to or before.phase
        broken = check_state(self.model, phase, ledger, event)
        if broken is not None:
            return broken
        if not self._holder.trigger(event):
            raise RuntimeError(f"transitions refused '{event}' from '{before.phase}'")
        self._holder.ledger = ledger
        return Applied(event, MappingProxyType(values), before, self.state, judged.outcomes)

    def fire(self, event: str, params: Mapping[str, Any] | None = None) -> Applied:
        """Apply an event; raise RefusedEvent or RuleViolation (state unchanged) if it can't."""
        outcome = self.attempt(event, params)
        if isinstance(outcome, Refused):
            raise RefusedEvent(outcome)
        if isinstance(outcome, Broken):
            raise RuleViolation(outcome)
        return outcome

    def _event(self, event: str) -> Event:
        definition = self.model.events.get(event)
        if definition is None:
            raise EventError(f"unknown event '{event}'" + suggest(event, list(self.model.events)))
        return definition
