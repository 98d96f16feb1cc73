"""JSON output: the plain-data shapes of traces, comparisons, sensitivity and rule tests, in a
stable key order; the same input gives the same bytes."""

from __future__ import annotations

import json
from typing import Any

from negotiation.analyses.compare import Divergence, PhaseSpan
from negotiation.analyses.sensitivity import MAX_REPLAYS, Sensitivity
from negotiation.scenarios.scenario import Scenario
from negotiation.scenarios.trace import CheckpointResult, Trace, TraceStep, Violation, codes_of
from negotiation.semantics.judge import derived_values
from negotiation.semantics.outcomes import Broken, GuardOutcome


def to_json(data: Any) -> str:
    """Serialise plain data as indented JSON with a final newline; keys keep their order.

    Text stays readable (no `\\u` escapes for accents), except characters that could drive a
    terminal or hide text (C1 controls, DEL, bidirectional overrides): JSON escapes those, so
    the data is unchanged and `cat` of the file is safe.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if all(ch.isprintable() or ch == "\n" for ch in text):
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text)


def _json_escape(ch: str) -> str:
    # every character outside strings is printable ASCII, so only string contents reach here
    encoded = json.dumps(ch)  # ASCII: '"\\u202e"', or a surrogate pair beyond the BMP
    return encoded[1:-1]


def trace_data(trace: Trace) -> dict[str, Any]:
    """A whole replay (the `run --format json` output)."""
    scenario = trace.scenario
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "model": scenario.model.name,
        "extends": scenario.extends,
        "diverge_at": scenario.diverge_at,
        "rationale": scenario.rationale or None,
        "overrides": list(scenario.overrides),
        "trusted_source": trace.trusted_source,
        "start": {
            "phase": scenario.start_phase,
            "phases": dict(scenario.start_phases),
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
        "steps": [step_data(step, scenario, trace.checkpoints) for step in trace.steps],
        "final": {
            "phase": trace.final.phase,
            "phases": dict(trace.final.phases),
            "ledger": dict(trace.final.ledger),
            "derived": derived_values(scenario.model, trace.final.ledger),
        },
        "expect": {
            "checked": trace.expectations_checked,
            "met": trace.expectations_checked and not trace.expectation_failures,
            "failures": list(trace.expectation_failures),
        },
        "violations": [violation_data(violation) for violation in trace.violations],
        "undecided": list(trace.undecided),
        "checkpoints": {
            "checked": len(trace.checkpoints),
            "met": sum(1 for result in trace.checkpoints if result.met),
            "failures": [checkpoint_data(r) for r in trace.checkpoint_failures],
        },
        "stopped_at": trace.stopped_at,
        "until": trace.until,
    }


def step_data(
    step: TraceStep, scenario: Scenario, trace_checkpoints: tuple[CheckpointResult, ...] = ()
) -> dict[str, Any]:
    entry = step.entry
    codes = codes_of(scenario, entry)
    refused = step.refused
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
        "outcome": step.outcome.kind if step.outcome is not None else None,
        "phase_before": step.before.phase,
        "phase_after": step.after.phase,
        "phases_after": dict(step.after.phases),
        "changes": {
            name: [old, step.after.ledger[name]]
            for name, old in step.before.ledger.items()
            if step.after.ledger[name] != old
        },
        "ledger_after": dict(step.after.ledger),
        "guards": [guard_data(outcome) for outcome in step.guards],
        "refused": (
            {
                "guard": refused.refusals[0].guard,
                "guards": [outcome.guard for outcome in refused.refusals],
                "reason": refused.reason,
                "values": dict(refused.values),
            }
            if refused
            else None
        ),
        "broken": broken_data(step.broken) if step.broken else None,
        "checkpoint": next(
            (checkpoint_data(r) for r in trace_checkpoints if r.at == entry.id), None
        ),
        "claims": [
            {"by": c.by, "source": c.source, "stance": c.stance, "says": c.says}
            for c in entry.claims
        ],
        "derived": entry.derived or None,
        "note": entry.note or None,
    }


def checkpoint_data(result: CheckpointResult) -> dict[str, Any]:
    """A checkpoint as checked: who reported what, and each value against the ledger."""
    checkpoint = result.checkpoint
    wrong = {m.reported.name: m.got for m in result.mismatches}
    return {
        "at": result.at,
        "source": checkpoint.source,
        "by": checkpoint.by or None,
        "says": checkpoint.says or None,
        "confidence": checkpoint.confidence,
        "met": result.met,
        "values": [
            {
                "name": reported.name,
                "reported": reported.text(),
                "met": reported.name not in wrong,
                "got": wrong.get(reported.name) if reported.name in wrong else None,
            }
            for reported in checkpoint.values
        ],
    }


def guard_data(outcome: GuardOutcome) -> dict[str, Any]:
    return {
        "guard": outcome.guard,
        "passed": outcome.passed,
        "applies": not outcome.exempt,
        "reason": outcome.reason,
        "values": dict(outcome.values),
    }


def broken_data(broken: Broken) -> dict[str, Any]:
    return {
        "rule": broken.rule.name,
        "kind": broken.rule.kind,
        "message": broken.message,
        "values": dict(broken.values),
    }


def violation_data(violation: Violation) -> dict[str, Any]:
    return {**broken_data(violation.broken), "at": violation.at}


def sensitivity_data(result: Sensitivity) -> dict[str, Any]:
    baseline = result.baseline
    return {
        "scenario": baseline.scenario.name,
        "baseline": {
            "phase": baseline.final.phase,
            "expectations_met": not baseline.expectation_failures,
        },
        "variants": [
            {
                "event": v.event_id,
                "param": v.param,
                "value": v.value,
                "label": v.label,
                "changes": list(v.changes),
                "moved_with": list(v.moved_with),
                "ruled_out": v.ruled_out or None,
            }
            for v in result.variants
        ],
        "skipped": result.skipped,
        "replay_budget": MAX_REPLAYS,
    }


def divergence_data(result: Divergence) -> dict[str, Any]:
    return {
        "a": _trace_summary(result.a),
        "b": _trace_summary(result.b),
        "first_divergence": (
            None
            if result.index is None
            else {
                "index": result.index + 1,
                "a": _step_summary(result.first_a),
                "b": _step_summary(result.first_b),
            }
        ),
        "timelines": {
            "a": [_span_data(span) for span in result.timeline_a],
            "b": [_span_data(span) for span in result.timeline_b],
        },
        "only_in_a": result.only_a,
        "only_in_b": result.only_b,
        "final": {"a": result.a.final.phase, "b": result.b.final.phase},
        "ledger_differences": {name: [a, b] for name, (a, b) in result.ledger_differences.items()},
    }


def _trace_summary(trace: Trace) -> dict[str, Any]:
    return {
        "scenario": trace.scenario.name,
        "title": trace.scenario.title,
        "steps": len(trace.steps),
        "refused": [step.entry.id for step in trace.refused],
        "final_phase": trace.final.phase,
    }


def _step_summary(step: TraceStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "id": step.entry.id,
        "date": str(step.entry.date) if step.entry.date else None,
        "event": step.entry.event,
        "params": dict(step.params),
        "applied": step.applied,
        "phase_after": step.after.phase,
    }


def _span_data(span: PhaseSpan) -> dict[str, Any]:
    return {
        "phase": span.phase,
        "from": str(span.start) if span.start else None,
        "to": str(span.end) if span.end else None,
        "days_min": span.days[0] if span.days else None,
        "days_max": span.days[1] if span.days else None,
        "entered_by": span.entered_by,
    }
