"""Rule coverage (`negotiation.analyses.coverage`) as text for people and as JSON data."""

from __future__ import annotations

from typing import Any

from negotiation.analyses.coverage import Coverage, Result
from negotiation.errors import shown
from negotiation.render.explore import path_text
from negotiation.render.text import WIDTH, wrap
from negotiation.semantics.search import Fired


def _steps(path: tuple[Fired, ...]) -> list[dict[str, Any]]:
    return [{"event": name, "params": dict(values)} for name, values in path]


def coverage_data(result: Coverage) -> dict[str, Any]:
    """The coverage as JSON data, in a stable key order."""
    return {
        "model": result.model.name,
        "score": result.score,
        "caught": result.count("caught"),
        "survived": result.count("survived"),
        "equivalent": result.count("equivalent"),
        "search": {
            "states": result.reference_states,
            "complete": result.reference_complete,
            "roots": result.roots,
            "depth": result.depth,
            "stopped": result.stopped,
            "follow_depth": result.follow_depth,
        },
        "seconds": round(result.seconds, 3),
        "unchecked": list(result.unchecked),
        "model_breaks": [
            {"rule": str(found.rule), "message": found.message, "path": _steps(found.path)}
            for found in result.broken
        ],
        "mutants": [_mutant(r) for r in result.results],
    }


def _mutant(result: Result) -> dict[str, Any]:
    mutant = result.mutant
    return {
        "number": mutant.number,
        "event": mutant.event,
        "rule": {"kind": mutant.rule.kind, "name": mutant.rule.name},
        "operator": mutant.operator,
        "original": mutant.original,
        "mutated": mutant.mutated,
        "verdict": result.verdict,
        "caught_by": str(result.rule) if result.rule else None,
        "message": result.message or None,
        # caught: a shortest history that breaks the rule; survived: one after which the
        # mutant does something the model does not
        "counterexample": _steps(result.path) if result.verdict == "caught" else None,
        "differs_after": _steps(result.path) if result.verdict == "survived" else None,
    }


def coverage_text(result: Coverage, width: int = WIDTH) -> str:
    """The coverage for people: the score, then each rule's mutants with their verdicts."""
    lines: list[str] = []

    def say(text: str, indent: str = "", more: str = "    ") -> None:
        lines.extend(wrap(indent + shown(text), width, indent + more))

    name = result.model.name
    if result.broken:
        say(f"{name} itself breaks its rules, so no mutant was judged; fix these first:")
        for found in result.broken:
            say(f"{found.rule}: {found.message}", "  ")
            say(f"after {_events(len(found.path))}: {path_text(found.path)}", "    ")
        return "\n".join(lines) + "\n"
    caught, survived = result.count("caught"), result.count("survived")
    equivalent = result.count("equivalent")
    score = "no mutant tells itself apart" if result.score is None else f"{result.score:.0%}"
    say(
        f"Rule coverage of {name}: {caught} of {caught + survived} mutants caught ({score}); "
        f"{equivalent} equivalent, not counted."
    )
    if result.reference_complete:
        extent = "every state reachable"
    elif result.stopped == "max-states":
        extent = "the last level in part"
    else:
        extent = f"stopped: {result.stopped}"
    say(
        f"Searched every history of up to {result.depth} events from the start and from "
        f"{result.roots - 1} states on shortest paths to the phases: "
        f"{result.reference_states:,} states ({extent}); then {result.follow_depth} events "
        f"past each difference; {result.seconds:.1f} s."
    )
    if result.unchecked:
        say("Not judged: " + ", ".join(result.unchecked) + ".")
    for (event, rule), results in result.by_rule().items():
        lines.append("")
        say(f"{event}, {rule.kind} {rule.name}: `{results[0].mutant.original}`")
        for item in results:
            mutant = item.mutant
            change = "dropped" if mutant.mutated is None else f"`{mutant.mutated}`"
            say(f"#{mutant.number} {mutant.operator}: {item.verdict.upper()}", "  ", "      ")
            if mutant.mutated is not None:
                say(f"made {change}", "      ", "  ")
            if item.verdict == "caught":
                say(f"by {item.rule}: {item.message}", "      ", "  ")
                say(f"after {_events(len(item.path))}: {path_text(item.path)}", "      ", "  ")
            elif item.verdict == "survived":
                say(
                    f"breaks no rule; differs at the last of: {path_text(item.path)}",
                    "      ",
                    "  ",
                )
            else:
                say("no state searched tells it from the model", "      ", "  ")
    return "\n".join(lines) + "\n"


def _events(count: int) -> str:
    return f"{count} event{'s' if count != 1 else ''}"
