"""An exploration (`negotiation.analyses.explore`) as text for people and as JSON data."""

from __future__ import annotations

from typing import Any

from negotiation.analyses.explore import Exploration
from negotiation.errors import shown
from negotiation.render.text import WIDTH, wrap
from negotiation.semantics.search import Fired


def step_text(step: Fired) -> str:
    name, values = step
    if not values:
        return name
    shown = ", ".join(f"{k}={_value(v)}" for k, v in values.items())
    return f"{name}({shown})"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_text(path: tuple[Fired, ...]) -> str:
    return " -> ".join(step_text(step) for step in path) if path else "(the start)"


def exploration_data(result: Exploration, written: str | None = None) -> dict[str, Any]:
    """The exploration as JSON data, in a stable key order."""

    def steps(path: tuple[Fired, ...]) -> list[dict[str, Any]]:
        return [{"event": name, "params": dict(values)} for name, values in path]

    return {
        "model": result.model.name,
        "start": {"phases": dict(result.start.phases), "from": result.start_label},
        "states": result.states,
        "transitions": result.transitions,
        "attempts": result.attempts,
        "depth": result.depth,
        "complete": result.complete,
        "stopped": result.stopped,
        "seconds": round(result.seconds, 3),
        "target": result.target,
        "reachable": {phase: steps(path) for phase, path in result.reachable.items()},
        "reachable_by_region": {
            region: [p for p in spec.phases if p in result.reachable]
            for region, spec in result.model.regions.items()
        },
        "violations": [
            {
                "rule": str(found.rule),
                "kind": found.rule.kind,
                "name": found.rule.name,
                "message": found.message,
                "path": steps(found.path),
            }
            for found in result.violations
        ],
        "dead_ends": {
            "count": result.dead_end_count,
            "examples": [
                {"phases": dict(d.state.phases), "path": steps(d.path)} for d in result.dead_ends
            ],
        },
        "unreached_phases": list(result.unreached_phases),
        "unfired_events": list(result.unfired_events),
        "unchecked_properties": list(result.unchecked),
        "domains": {
            event: {param: list(values) for param, values in params.items()}
            for event, params in result.domains.items()
            if params
        },
        "exhaustive_domains": result.exhaustive_domains,
        "written": written,
    }


def exploration_text(result: Exploration, written: str | None = None, width: int = WIDTH) -> str:
    """The exploration for people, wrapped to `width` columns."""
    lines: list[str] = []

    def say(text: str, indent: str = "") -> None:
        lines.extend(wrap(indent + shown(text), width, indent + "    "))

    state = "complete" if result.complete else f"incomplete (stopped: {result.stopped})"
    say(f"Explored {result.model.name} from {result.start_label}: {state}.")
    say(
        f"{result.states:,} states, {result.transitions:,} transitions "
        f"({result.attempts:,} steps tried), depth {result.depth}, {result.seconds:.1f} s."
    )
    if not result.exhaustive_domains:
        say(
            "Parameters were tried at chosen values (--format json lists them; --domain "
            "sets them), not at every value."
        )
    lines.append("")
    lines.append("Reachable phases, each with a shortest path:")
    for region, spec in result.model.regions.items():
        if len(result.model.regions) > 1:
            say(f"{region}:", "  ")
        indent = "    " if len(result.model.regions) > 1 else "  "
        for phase in spec.phases:
            path = result.reachable.get(phase)
            if path is not None:
                say(f"{phase} ({len(path)}): {path_text(path)}", indent)
    lines.append("")
    if result.violations:
        lines.append("Rules broken, each with a shortest counterexample:")
        for found in result.violations:
            say(f"{found.rule}: {found.message}", "  ")
            say(f"after {_events(len(found.path))}: {path_text(found.path)}", "    ")
    else:
        lines.append("No rule broken.")
    if result.unchecked:
        say("Not checked here: " + ", ".join(result.unchecked) + ".")
    if result.dead_end_count:
        say(f"Dead ends (no event applies, no phase final): {result.dead_end_count:,}.")
        for dead in result.dead_ends[:3]:
            say(f"{', '.join(dead.state.phases.values())}: {path_text(dead.path)}", "  ")
    else:
        lines.append("No dead ends.")
    if result.unreached_phases:
        say("Phases never reached: " + ", ".join(result.unreached_phases) + ".")
    if result.unfired_events:
        say("Events never applied: " + ", ".join(result.unfired_events) + ".")
    if written:
        say(f"Wrote the path to {written}; replay it with: negotiation run {written}")
    return "\n".join(lines) + "\n"


def _events(count: int) -> str:
    return f"{count} event{'s' if count != 1 else ''}"
