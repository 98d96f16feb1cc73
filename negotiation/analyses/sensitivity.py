"""Sensitivity: which conclusions of a replay rest on an uncertain or contested figure.

The scenario is replayed once as written (each figure at its `best` value), then once for each
other value a figure can take (its `low`, its `high`, each source's value), one figure at a time.
Each variant is compared with the baseline: guards that judged differently, events refused or
allowed, the end phase, the end ledger, the expectations. A figure whose variants change nothing
is reported as such: the conclusions do not rest on it.

Figures the scenario links (`links:`, a figure's `linked:`) move together: when one is varied,
the others of its group move the other way so the group keeps its sum, as far as their ranges
allow; a variant they cannot balance is impossible and is not replayed. A variant whose replay
contradicts one of the scenario's own checkpoints is ruled out by that checkpoint, and reported
apart from the conclusions that could change.

At most MAX_REPLAYS variants are replayed (issue 8: figures x values has no bound in the file);
past that, the variants left are counted in `skipped` and reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from negotiation.scenarios.replay import replay
from negotiation.scenarios.scenario import Scenario
from negotiation.scenarios.trace import CheckpointResult, Trace

MAX_REPLAYS = 500
"""The most variant replays one sensitivity analysis runs; the rest are counted, not run."""


@dataclass(frozen=True)
class Variant:
    """One replay with one figure moved: which figure, to what, and what changed."""

    event_id: str
    param: str
    value: int
    label: str
    changes: tuple[str, ...]
    moved_with: tuple[str, ...] = ()  # the linked figures moved with it, `id.param=value`
    ruled_out: str = ""  # why the variant cannot be: a checkpoint it contradicts, an imbalance


@dataclass(frozen=True)
class Sensitivity:
    baseline: Trace
    variants: tuple[Variant, ...]
    skipped: int = 0
    """Variants not replayed because the budget of MAX_REPLAYS replays was reached."""

    @property
    def figures(self) -> list[tuple[str, str]]:
        """Every (event id, parameter) that was varied, in scenario order."""
        seen: list[tuple[str, str]] = []
        for variant in self.variants:
            if (variant.event_id, variant.param) not in seen:
                seen.append((variant.event_id, variant.param))
        return seen


def sensitivity(scenario: Scenario) -> Sensitivity:
    """Replay the scenario at every extreme of every uncertain or contested figure."""
    baseline = replay(scenario, on_refused="skip")
    variants: list[Variant] = []
    skipped = 0
    for entry in scenario.events:
        for name, figure in entry.figures.items():
            if figure.best is None:
                continue
            labels = {figure.best: "best"}
            for value in (figure.low, figure.high):
                if value is not None:
                    labels.setdefault(value, "low" if value == figure.low else "high")
            for item in figure.values:
                labels.setdefault(item.value, f"per {item.by or item.source}")
            for value, label in labels.items():
                if value == figure.best:
                    continue
                if len(variants) >= MAX_REPLAYS:
                    skipped += 1
                    continue
                moves = linked_moves(scenario, entry.id, name, value)
                if moves is None:
                    why = f"the figures linked by '{figure.linked}' cannot keep their sum"
                    variants.append(Variant(entry.id, name, value, label, (), (), why))
                    continue
                trace = replay(scenario, on_refused="skip", figures=moves)
                moved = tuple(
                    f"{eid}.{param}={moved_to}"
                    for (eid, param), moved_to in moves.items()
                    if (eid, param) != (entry.id, name)
                )
                contradicted = trace.checkpoint_failures
                if contradicted:
                    variants.append(
                        Variant(
                            entry.id, name, value, label, (), moved, ruled_out_by(contradicted[0])
                        )
                    )
                    continue
                changes = differences(baseline, trace)
                variants.append(Variant(entry.id, name, value, label, changes, moved))
    return Sensitivity(baseline, tuple(variants), skipped)


def linked_moves(
    scenario: Scenario, event_id: str, param: str, value: int
) -> dict[tuple[str, str], int] | None:
    """The figures to set for a variant that moves (`event_id`, `param`) to `value`: it alone,
    or with its linked figures moved the other way to keep their sum (each within its range,
    in scenario order). None if they cannot keep it."""
    entry = next(e for e in scenario.events if e.id == event_id)
    figure = entry.figures[param]
    moves = {(event_id, param): value}
    if figure.linked is None or figure.best is None:
        return moves
    remaining = figure.best - value
    for other in scenario.events:
        for name, linked in other.figures.items():
            if remaining == 0:
                return moves
            if linked.linked != figure.linked or (other.id, name) == (event_id, param):
                continue
            if linked.best is None:
                continue
            target = linked.best + remaining
            if linked.low is not None:
                target = max(target, linked.low)
            if linked.high is not None:
                target = min(target, linked.high)
            moves[(other.id, name)] = target
            remaining -= target - linked.best
    return moves if remaining == 0 else None


def ruled_out_by(result: CheckpointResult) -> str:
    """Why a checkpoint rules a variant out, in words."""
    first = result.mismatches[0]
    got = "undefined" if first.got is None else f"{first.got!r}"
    return (
        f"contradicts the checkpoint at '{result.at}' ({result.checkpoint.source}): "
        f"{first.reported.name} reported {first.reported.text()}, the replay gives {got}"
    )


def differences(baseline: Trace, other: Trace) -> tuple[str, ...]:
    """What a variant's replay concluded differently from the baseline, one line each."""
    found = []
    for before, after in zip(baseline.steps, other.steps, strict=False):
        entry = before.entry.id
        was = {o.guard: o.passed for o in before.guards}
        now = {o.guard: o.passed for o in after.guards}
        for guard in [guard for guard in was if guard in now]:  # in the model's order
            if was[guard] != now[guard]:
                verdict = "passes" if now[guard] else "fails"
                found.append(f"at '{entry}', guard {guard} now {verdict}")
        if before.applied != after.applied:
            found.append(f"'{entry}' is now {'applied' if after.applied else 'refused'}")
    if baseline.final.phase != other.final.phase:
        found.append(f"the replay ends in {other.final.phase}, not {baseline.final.phase}")
    for name, value in baseline.final.ledger.items():
        if other.final.ledger[name] != value:
            found.append(f"{name} ends at {other.final.ledger[name]!r}, not {value!r}")
    if bool(baseline.expectation_failures) != bool(other.expectation_failures):
        met = "not met" if other.expectation_failures else "now met"
        found.append(f"expectations are {met}")
    return tuple(found)
