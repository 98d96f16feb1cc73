"""A trace: the whole record of a replay, step by step, with each step's outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from negotiation.rules.event_codes import Codes
from negotiation.rules.model import Value
from negotiation.scenarios.scenario import Checkpoint, Reported, Scenario, ScenarioEvent
from negotiation.semantics.outcomes import (
    Applied,
    Broken,
    GuardOutcome,
    Outcome,
    Refused,
    State,
)


@dataclass(frozen=True)
class TraceStep:
    """One scenario entry as replayed, and its outcome: applied, refused or broken."""

    entry: ScenarioEvent
    before: State
    params: Mapping[str, Any]
    outcome: Outcome | None  # None: the entry fires no event (a checkpoint alone)
    inherited: bool = False

    @property
    def after(self) -> State:
        return self.outcome.after if isinstance(self.outcome, Applied) else self.before

    @property
    def applied(self) -> bool:
        return isinstance(self.outcome, Applied)

    @property
    def refused(self) -> Refused | None:
        return self.outcome if isinstance(self.outcome, Refused) else None

    @property
    def broken(self) -> Broken | None:
        return self.outcome if isinstance(self.outcome, Broken) else None

    @property
    def guards(self) -> tuple[GuardOutcome, ...]:
        """How each guard judged this step (none if a rule broke before they were all judged)."""
        if isinstance(self.outcome, Applied):
            return self.outcome.guards
        if isinstance(self.outcome, Refused):
            return self.outcome.judgement.outcomes
        return ()


@dataclass(frozen=True)
class Mismatch:
    """A value a checkpoint reports that the ledger does not hold (`got` None: undefined)."""

    reported: Reported
    got: Value | None


@dataclass(frozen=True)
class CheckpointResult:
    """A checkpoint checked where it stands in the history: the values that disagree."""

    at: str
    checkpoint: Checkpoint
    mismatches: tuple[Mismatch, ...]

    @property
    def met(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class Violation:
    """A rule the replayed history broke, and at which entry (None: in the starting state)."""

    broken: Broken
    at: str | None


@dataclass(frozen=True)
class Trace:
    """A replay's whole record: each step, the end state, what broke and what was not met."""

    scenario: Scenario
    steps: tuple[TraceStep, ...]
    final: State
    expectation_failures: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = ()
    stopped_at: str | None = None
    trusted_source: str | None = None
    checkpoints: tuple[CheckpointResult, ...] = ()
    # Where the caller asked the replay to stop (its `until`), when entries after it were left
    # out: a cut, not a failure, so `ok` does not read it; expectations are not checked.
    until: str | None = None
    undecided: tuple[str, ...] = ()  # properties a bounded search could not decide

    @property
    def checkpoint_failures(self) -> tuple[CheckpointResult, ...]:
        return tuple(result for result in self.checkpoints if not result.met)

    @property
    def refused(self) -> tuple[TraceStep, ...]:
        return tuple(step for step in self.steps if step.refused is not None)

    @property
    def expectations_checked(self) -> bool:
        """The scenario states expectations and the replay reached its end to check them."""
        return self.scenario.expect is not None and self.stopped_at is None and self.until is None

    @property
    def ok(self) -> bool:
        """True when nothing was refused or broken and every expectation was met."""
        return (
            not self.expectation_failures
            and not self.checkpoint_failures
            and not self.violations
            and not self.refused
            and self.stopped_at is None
        )


def codes_of(scenario: Scenario, entry: ScenarioEvent) -> Codes | None:
    """The entry's own codes, else its event's default codes in the model."""
    if entry.codes is not None:
        return entry.codes
    event = scenario.model.events.get(entry.event) if entry.event is not None else None
    return event.codes if event else None
