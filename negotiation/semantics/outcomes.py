"""What judging a step yields, as types: the state, the rule, each guard's outcome, and a
step's outcome, one of `Applied`, `Refused` or `Broken`, each carrying the rule it concerns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from negotiation.rules.model import ONE_REGION, Value

Ledger = Mapping[str, Value]
RuleKind = Literal["phase", "guard", "effect", "bounds", "invariant", "property", "derived", "time"]


@dataclass(frozen=True)
class Rule:
    """A rule of a model, by kind and name: how outcomes say which rule refused or broke.

    Code compares rules by identity (kind and name), never by their display text.
    """

    kind: RuleKind
    name: str

    def __str__(self) -> str:
        if self.kind == "bounds":
            return f"the bounds of '{self.name}'"
        if self.kind == "phase":
            return "the phases it fires from"
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class GuardOutcome:
    """How one guard judged one attempt to fire an event."""

    guard: str
    passed: bool
    reason: str
    expression: str
    values: Mapping[str, Any]
    exempt: str = ""  # the condition under which the guard did not apply to this firing


@dataclass(frozen=True)
class Judgement:
    """Every guard of an event judged once, in the model's order."""

    event: str
    phase: str
    outcomes: tuple[GuardOutcome, ...]

    @property
    def allowed(self) -> bool:
        return all(outcome.passed for outcome in self.outcomes)

    @property
    def refusals(self) -> tuple[GuardOutcome, ...]:
        """Every guard that refused (the phase check, if the event cannot fire from here)."""
        return tuple(outcome for outcome in self.outcomes if not outcome.passed)


@dataclass(frozen=True)
class Broken:
    """A rule a step (or a state, or a history) breaks: the model's rules are wrong or the
    history is impossible under them."""

    rule: Rule
    message: str
    event: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    index: int | None = None  # for a property: the state of the history where it broke
    kind: Literal["broken"] = "broken"

    def __str__(self) -> str:
        subject = f"event '{self.event}' would break" if self.event else "breaks"
        return f"{subject} {self.rule}: {self.message}"


PHASES_RULE = "allowed_phases"
TIME_RULE = "planned_time"


@dataclass(frozen=True)
class State:
    """The full state of a negotiation at one moment: one phase per region, and the ledger.

    A model with one region has one entry, `phase`; `State.of("war", ledger)` builds its state.
    """

    phases: Mapping[str, str]
    ledger: Ledger

    @staticmethod
    def of(phases: str | Mapping[str, str], ledger: Mapping[str, Value]) -> State:
        config = {ONE_REGION: phases} if isinstance(phases, str) else dict(phases)
        return State(MappingProxyType(config), MappingProxyType(dict(ledger)))

    @property
    def phase(self) -> str:
        """The phases as one text, for people: `war` with one region, else joined by `, `."""
        return ", ".join(self.phases.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and (dict(self.phases), dict(self.ledger)) == (
            dict(other.phases),
            dict(other.ledger),
        )

    def __hash__(self) -> int:
        return hash((tuple(self.phases.items()), tuple(sorted(self.ledger.items()))))

    def key(self) -> tuple[Any, ...]:
        """The state as a tuple, for searches that remember where they have been."""
        return (*self.phases.values(), *self.ledger.values())


@dataclass(frozen=True)
class Applied:
    """An event that fired: the state before and after, and how each guard judged it."""

    event: str
    params: Mapping[str, Value]
    before: State
    after: State
    guards: tuple[GuardOutcome, ...]
    kind: Literal["applied"] = "applied"

    def changes(self) -> dict[str, tuple[Value, Value]]:
        """Each variable whose value moved, with its old and new value."""
        return {
            name: (old, self.after.ledger[name])
            for name, old in self.before.ledger.items()
            if self.after.ledger[name] != old
        }


@dataclass(frozen=True)
class Refused:
    """An event its phases or guards did not allow; the state is unchanged."""

    event: str
    params: Mapping[str, Value]
    state: State
    judgement: Judgement
    kind: Literal["refused"] = "refused"

    @property
    def refusals(self) -> tuple[GuardOutcome, ...]:
        """Every guard that refused, in the model's order (or the phase check alone)."""
        return self.judgement.refusals

    @property
    def rule(self) -> Rule:
        first = self.refusals[0]
        kinds: dict[str, RuleKind] = {PHASES_RULE: "phase", TIME_RULE: "time"}
        return Rule(kinds.get(first.guard, "guard"), first.guard)

    @property
    def reason(self) -> str:
        return self.refusals[0].reason

    @property
    def values(self) -> Mapping[str, Any]:
        return self.refusals[0].values

    def __str__(self) -> str:
        names = ", ".join(f"'{outcome.guard}'" for outcome in self.refusals)
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        detail = f" ({shown})" if shown else ""
        return (
            f"event '{self.event}' refused in phase '{self.state.phase}' by guard {names}: "
            f"{self.reason}{detail}"
        )


Outcome = Applied | Refused | Broken
