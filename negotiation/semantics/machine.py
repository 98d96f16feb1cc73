"""The machine: a model run one event at a time, its phases held by the `transitions` library.

The rules are judged by the one semantics in `negotiation.semantics.judge`, once per attempt;
`transitions` holds each region's phase and moves it when an event has been judged and applied,
and judges nothing itself (its transitions have no conditions). `attempt` returns the outcome
as a type, `Applied`, `Refused` or `Broken`; `fire` raises for the last two. Either way, an
event that does not apply leaves the machine exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from transitions import Machine as TransitionsMachine

from negotiation.errors import EventError, NegotiationError, suggest
from negotiation.rules.model import Event, Model, Value
from negotiation.semantics.judge import (
    apply_effects,
    check_state,
    judge_guards,
    moved,
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
    """The object `transitions` drives for one region; kept apart so triggers can't shadow our
    methods."""

    phase: str
    trigger: Callable[..., bool]  # attached by transitions


PhasesGiven = str | Sequence[str] | Mapping[str, str]


class Machine:
    """Run a model: attempt or fire events, ask which are enabled and why one is allowed.

    Each region's phase is held by a `transitions` machine of its own; a transition is added the
    first time an event moves a region from a phase, so building a machine costs nothing per
    (event, phase) pair, however many phases `from: any` names.
    """

    def __init__(
        self,
        model: Model,
        phase: PhasesGiven | None = None,
        ledger: Mapping[str, Value] | None = None,
    ) -> None:
        self.model = model
        self._ledger: dict[str, Value] = model.initial_ledger()
        self._holders: dict[str, _Holder] = {}
        self._machines: dict[str, TransitionsMachine] = {}
        self._added: set[tuple[str, str, str]] = set()
        for region in model.regions.values():
            holder = _Holder()
            self._holders[region.name] = holder
            self._machines[region.name] = TransitionsMachine(
                model=holder,
                states=list(region.phases),
                initial=region.initial,
                auto_transitions=False,
                model_attribute="phase",
            )
        if phase is not None or ledger is not None:
            self.reset(phase or model.initial, {**model.initial_ledger(), **(ledger or {})})

    @property
    def phases(self) -> dict[str, str]:
        """The phase of each region."""
        return {name: holder.phase for name, holder in self._holders.items()}

    @property
    def phase(self) -> str:
        """The phases as one text (the phase itself, for a model with one region)."""
        return self.state.phase

    @property
    def ledger(self) -> Ledger:
        return MappingProxyType(self._ledger)

    @property
    def state(self) -> State:
        return State.of(self.phases, self._ledger)

    def reset(self, phase: PhasesGiven, ledger: Mapping[str, Value]) -> None:
        """Put the machine in a given state (phases: one, some or all of the regions'; the
        others at their initial phase); the state is checked like any step's."""
        try:
            phases = self.model.configuration(phase)
        except KeyError as error:
            name = str(error.args[0])
            raise EventError(
                f"unknown phase '{name}'" + suggest(name, list(self.model.phases))
            ) from None
        full = {**self.model.initial_ledger(), **ledger}
        for name in full:
            if name not in self.model.variables:
                raise EventError(
                    f"unknown variable '{name}'" + suggest(name, list(self.model.variables))
                )
        broken = check_state(self.model, phases, full)
        if broken is not None:
            raise EventError(f"the state breaks {broken.rule}: {broken.message}")
        self.load(State.of(phases, full))

    def load(self, state: State) -> None:
        """Put the machine in a state known to be valid (one it produced), without checks.

        For searches that return to states over and over; `reset` checks what it is given.
        """
        for region, phase in state.phases.items():
            self._machines[region].set_state(phase, model=self._holders[region])
        self._ledger = dict(state.ledger)

    def params_for(self, event: str, params: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """The event's full parameters: `params` checked, with defaults filled in."""
        values, problems = validate_params(self._event(event), dict(params or {}))
        if problems:
            first = problems[0]
            invalid_value = first.param is not None and not first.on_key
            message = f"event '{event}': {first.message}" if invalid_value else first.message
            raise EventError(message)
        return values

    def explain(self, event: str, params: Mapping[str, Any] | None = None) -> Judgement:
        """Judge an event now, without firing it: the phase check, then every guard.

        Raises RuleViolation if a guard cannot be judged (it divides by zero).
        """
        judged = judge_guards(
            self.model,
            self._event(event),
            self.phases,
            self._ledger,
            self.params_for(event, params),
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
        phases = self.phases
        for event in self.model.events.values():
            if not event.allows(phases):
                continue
            open_params = frozenset(n for n, p in event.params.items() if p.default is None)
            values = {n: p.default for n, p in event.params.items() if p.default is not None}
            judged = judge_guards(self.model, event, phases, self._ledger, values, open_params)
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
        judged = judge_guards(self.model, definition, before.phases, before.ledger, values)
        if isinstance(judged, Broken):
            return judged
        if not judged.allowed:
            return Refused(event, MappingProxyType(values), before, judged)
        ledger = apply_effects(self.model, definition, before.phases, before.ledger, values)
        if isinstance(ledger, Broken):
            return ledger
        after = moved(self.model, definition, before.phases)
        broken = check_state(self.model, after, ledger, event)
        if broken is not None:
            return broken
        for region, phase in after.items():
            if phase != before.phases[region]:
                self._move(event, region, before.phases[region], phase)
        self._ledger = ledger
        return Applied(event, MappingProxyType(values), before, self.state, judged.outcomes)

    def fire(self, event: str, params: Mapping[str, Any] | None = None) -> Applied:
        """Apply an event; raise RefusedEvent or RuleViolation (state unchanged) if it can't."""
        outcome = self.attempt(event, params)
        if isinstance(outcome, Refused):
            raise RefusedEvent(outcome)
        if isinstance(outcome, Broken):
            raise RuleViolation(outcome)
        return outcome

    def _move(self, event: str, region: str, source: str, dest: str) -> None:
        """Fire `event` in `region`'s transitions machine, adding the transition on first use."""
        key = (event, region, source)
        if key not in self._added:
            self._machines[region].add_transition(event, source, dest)
            self._added.add(key)
        if not self._holders[region].trigger(event):
            raise RuntimeError(f"transitions refused '{event}' from '{source}'")

    def _event(self, event: str) -> Event:
        definition = self.model.events.get(event)
        if definition is None:
            raise EventError(f"unknown event '{event}'" + suggest(event, list(self.model.events)))
        return definition
