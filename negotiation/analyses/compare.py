"""Compare two histories: where they part, how long each spent in each phase, how they end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from negotiation.errors import UsageError
from negotiation.rules.model import Value
from negotiation.scenarios.dates import Date
from negotiation.scenarios.trace import Trace, TraceStep


@dataclass(frozen=True)
class PhaseSpan:
    """A stretch of a history spent in one phase, from the step that entered it."""

    phase: str
    start: Date | None
    end: Date | None
    entered_by: str | None  # the id of the entry that entered it; None for the start

    @property
    def days(self) -> tuple[int, int] | None:
        """The fewest and most whole days in the phase, over every reading of both dates."""
        if self.start is None or self.end is None:
            return None
        start, end = self.start, self.end
        if None in (start.earliest, start.latest, end.earliest, end.latest):
            return None
        assert start.earliest and start.latest and end.earliest and end.latest
        fewest = max(0, (end.earliest - start.latest).days)
        most = max(0, (end.latest - start.earliest).days)
        return fewest, most


@dataclass(frozen=True)
class Divergence:
    """How two traces differ."""

    a: Trace
    b: Trace
    index: int | None  # the first step (0-based) where the histories differ; None if never
    timeline_a: tuple[PhaseSpan, ...]
    timeline_b: tuple[PhaseSpan, ...]
    ledger_differences: dict[str, tuple[Value, Value]]

    @property
    def only_a(self) -> list[str]:
        """The ids of A's events that B does not have (a counterfactual drops its base's events
        from the divergence on, reports among them: their effects are missing from B too)."""
        ids = {step.entry.id for step in self.b.steps}
        return [step.entry.id for step in self.a.steps if step.entry.id not in ids]

    @property
    def only_b(self) -> list[str]:
        ids = {step.entry.id for step in self.a.steps}
        return [step.entry.id for step in self.b.steps if step.entry.id not in ids]

    @property
    def first_a(self) -> TraceStep | None:
        return _at(self.a, self.index)

    @property
    def first_b(self) -> TraceStep | None:
        return _at(self.b, self.index)


def compare(a: Trace, b: Trace) -> Divergence:
    """The first step where the histories differ, their phase timelines, their end states.

    Raises UsageError if the two histories are of different models."""
    if a.scenario.model.name != b.scenario.model.name:
        raise UsageError(
            f"A uses the model {a.scenario.model.name} and B {b.scenario.model.name}: "
            "only histories of one model can be compared"
        )
    index = None
    for number in range(max(len(a.steps), len(b.steps))):
        if _signature(_at(a, number)) != _signature(_at(b, number)):
            index = number
            break
    differences = {
        name: (value, b.final.ledger[name])
        for name, value in a.final.ledger.items()
        if name in b.final.ledger and b.final.ledger[name] != value
    }
    return Divergence(a, b, index, timeline(a), timeline(b), differences)


def timeline(trace: Trace) -> tuple[PhaseSpan, ...]:
    """The phases a history went through, each with the dates it was entered and left.

    The last phase ends at the last dated event of the scenario: a replay knows nothing later.
    """
    scenario = trace.scenario
    dated = [step.entry.date for step in trace.steps if step.entry.date is not None]
    start = scenario.start_date or (dated[0] if dated else None)
    spans: list[PhaseSpan] = []
    phase, since, entered_by = scenario.start_phase, start, None
    for step in trace.steps:
        if step.applied and step.after.phase != phase:
            spans.append(PhaseSpan(phase, since, step.entry.date, entered_by))
            phase, since, entered_by = step.after.phase, step.entry.date, step.entry.id
    spans.append(PhaseSpan(phase, since, dated[-1] if dated else None, entered_by))
    return tuple(spans)


def _at(trace: Trace, index: int | None) -> TraceStep | None:
    if index is None or index >= len(trace.steps):
        return None
    return trace.steps[index]


def _signature(step: TraceStep | None) -> tuple[Any, ...] | None:
    if step is None:
        return None
    return (step.entry.id, step.entry.event, tuple(sorted(step.params.items())), step.applied)
