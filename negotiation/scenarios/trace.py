"""A trace: the whole record of a replay, step by step, and its plain-data form for JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from negotiation.errors import GuardOutcome
from negotiation.rules.event_codes import Codes
from negotiation.scenarios.scenario import Scenario, ScenarioEvent
from negotiation.semantics.machine import State, Step


@dataclass(frozen=True)
class Refusal:
    """Why an event of a scenario was refused: the guard, its reason, the values it read."""

    guard: str
    reason: str
    values: dict[str, Any]
    outcomes: tuple[GuardOutcome, ...] = ()


@dataclass(frozen=True)
class TraceStep:
    """One scenario entry as replayed: the step it made, or the refusal it met."""

    entry: ScenarioEvent
    before: State
    after: State
    params: Mapping[str, Any]
    step: Step | None = None
    refusal: Refusal | None = None
    violation: str | None = None
    inherited: bool = False

    @property
    def applied(self) -> bool:
        return self.step is not None


@dataclass(frozen=True)
class Trace:
    scenario: Scenario
    steps: tuple[TraceStep, ...]
    final: State
    failures: tuple[str, ...] = ()
    stopped_at: str | None = None
    source: str | None = None

    @property
    def refused(self) -> tuple[TraceStep, ...]:
        return tuple(step for step in self.steps if step.refusal is not None)

    @property
    def ok(self) -> bool:
        """True when nothing was refused or broken and every expectation was met."""
        return not self.failures and not self.refused and self.stopped_at is None

    def to_data(self) -> dict[str, Any]:
        """The trace as plain data with a stable key order (the `--format json` output)."""
        scenario = self.scenario
        return {
            "scenario": scenario.name,
            "title": scenario.title,
            "model": scenario.model.name,
            "extends": scenario.extends,
            "diverge_at": scenario.diverge_at,
            "rationale": scenario.rationale or None,
            "overrides": list(scenario.overrides),
            "trusting_source": self.source,
            "start": {
                "phase": scenario.start_phase,
                "date": str(scenario.start_date) if scenario.start_date else None,
                "ledger": dict(scenario.start_ledger),
            },
            "sources": {
                sid: {
                    "publisher": s.publisher,
                    "title": s.title,
                    "date": s.date,
                    "url": s.url,
                    "grade": s.grade or None,
                }
                for sid, s in scenario.sources.items()
            },
            "steps": [_step_data(step, scenario) for step in self.steps],
            "final": {"phase": self.final.phase, "ledger": dict(self.final.ledger)},
            "expect": {
                "checked": scenario.expect is not None,
                "met": scenario.expect is not None and not self.failures,
                "failures": list(self.failures),
            },
            "stopped_at": self.stopped_at,
        }


def _step_data(step: TraceStep, scenario: Scenario) -> dict[str, Any]:
    entry = step.entry
    codes = codes_of(scenario, entry)
    guards = step.step.guards if step.step else (step.refusal.outcomes if step.refusal else ())
    return {
        "id": entry.id,
        "date": str(entry.date) if entry.date is not None else None,
        "event": entry.event,
        "params": dict(step.params),
        "figures": {
            name: {
                "best": figure.best,
                "low": figure.low,
                "high": figure.high,
                "values": [
                    {"source": v.source, "by": v.by, "value": v.value} for v in figure.values
                ],
                "derived": figure.derived or None,
            }
            for name, figure in entry.figures.items()
        },
        "inherited": step.inherited,
        "codes": codes.to_data() if codes else None,
        "actor": entry.actor,
        "phase_before": step.before.phase,
        "phase_after": step.after.phase,
        "changes": {
            name: [old, step.after.ledger[name]]
            for name, old in step.before.ledger.items()
            if step.after.ledger[name] != old
        },
        "ledger_after": dict(step.after.ledger),
        "guards": [
            {"guard": o.guard, "passed": o.passed, "reason": o.reason, "values": dict(o.values)}
            for o in guards
        ],
        "refused": (
            {
                "guard": step.refusal.guard,
                "reason": step.refusal.reason,
                "values": step.refusal.values,
            }
            if step.refusal
            else None
        ),
        "violation": step.violation,
        "claims": [
            {"by": c.by, "source": c.source, "stance": c.stance, "says": c.says}
            for c in entry.claims
        ],
        "derived": entry.derived or None,
        "note": entry.note or None,
    }


def codes_of(scenario: Scenario, entry: ScenarioEvent) -> Codes | None:
    """The entry's own codes, else its event's default codes in the model."""
    if entry.codes is not None:
        return entry.codes
    event = scenario.model.events.get(entry.event)
    return event.codes if event else None
