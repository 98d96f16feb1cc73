"""Output of `negotiation check`: file checks and property reports, as text or data."""

from __future__ import annotations

from typing import Any

from negotiation.analyses.falsify import Report
from negotiation.analyses.lint import FileCheck
from negotiation.errors import shown
from negotiation.render.text import WIDTH, wrap


def file_check_lines(checks: list[FileCheck]) -> list[tuple[str, bool]]:
    """The lines of a file check, each with whether it reports a problem (for stderr)."""
    lines = []
    for check in checks:
        lines += [(str(problem), True) for problem in check.problems]
        lines += [(str(finding), False) for finding in check.findings]
        if not check.problems and not check.findings:
            lines.append((f"{shown(check.file)}: ok ({check.kind} {check.name})", False))
    return lines


def file_checks_data(checks: list[FileCheck]) -> list[dict[str, Any]]:
    return [
        {
            "file": check.file,
            "kind": check.kind,
            "name": check.name or None,
            "valid": not check.problems,
            "problems": [_problem(p) for p in check.problems],
            "findings": [_problem(p) for p in check.findings],
        }
        for check in checks
    ]


def _problem(problem: Any) -> dict[str, Any]:
    location = problem.location
    return {
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "message": problem.message,
    }


def report_data(report: Report, written: str | None) -> dict[str, Any]:
    """A rule test's report as plain data (`check --properties --format json`)."""
    failure = report.failure
    exhausted = report.exhausted
    return {
        "model": report.model,
        "seed": report.seed,
        "exhaustive": (
            {
                "depth": exhausted.depth,
                "states": exhausted.states,
                "transitions": exhausted.transitions,
                "complete": exhausted.complete,
                "stopped": exhausted.stopped,
                "exhaustive_domains": exhausted.exhaustive_domains,
            }
            if exhausted
            else None
        ),
        "examples": report.examples,
        "steps": report.steps,
        "examples_run": report.examples_run,
        "events_fired": report.events_fired,
        "interrupted": report.interrupted,
        "rules": list(report.rules),
        "holds": report.holds,
        "undecided": list(report.undecided),
        "failure": (
            {
                "rule": failure.rule.name,
                "kind": failure.rule.kind,
                "message": failure.message,
                "found_by": "random" if report.sampled else "exhaustive",
            }
            if failure
            else None
        ),
        "counterexample": [
            {"event": name, "params": dict(values)} for name, values in report.counterexample
        ],
        "scenario_file": written,
    }


def report_text(report: Report, written: str | None) -> str:
    lines = [f"Checked model {report.model}, seed {report.seed}:", *_stages(report)]
    if report.interrupted:
        lines.append("Interrupted: these are the results so far.")
    if report.failure is None:
        if report.interrupted:
            lines.append("No rule broke in the histories tried before the interruption.")
            return "\n".join(lines) + "\n"
        if report.events_fired == 0:
            lines.append(
                "No event could be applied: nothing was tested. Is the model's initial "
                "phase a dead end?"
            )
            return "\n".join(lines) + "\n"
        lines.append("Every rule held:" if not report.undecided else "No rule broke:")
        for rule in report.rules:
            open_ = any(rule.startswith(f"property {name}:") for name in report.undecided)
            lines += wrap(f"  {'?' if open_ else '✓'} {rule}", WIDTH, "      ")
        if report.undecided:
            lines += wrap(
                "Not decided within the searches' budget, here and there: "
                f"{', '.join(report.undecided)} (what stays reachable).",
                WIDTH,
                "  ",
            )
        return "\n".join(lines) + "\n"
    lines += wrap(f"✗ {report.failure.rule} is broken: {report.failure.message}", WIDTH, "  ")
    count = len(report.counterexample)
    events = f"{count} event{'s' if count != 1 else ''}"
    if report.interrupted:
        lines.append(f"Counterexample ({events}), not shortened: the search was interrupted:")
    elif report.sampled:
        lines.append(f"Minimal counterexample ({events}):")
    else:
        lines.append(f"Shortest counterexample ({events}):")
    for index, (name, values) in enumerate(report.counterexample, start=1):
        shown = ", ".join(f"{k}={_plain(v)}" for k, v in values.items())
        step = f"  {index:>2}  {name}({shown})" if shown else f"  {index:>2}  {name}"
        lines += wrap(step, WIDTH, "        ")
    if written:
        lines.append(f"Written as a scenario: {written}")
        lines.append(f"Replay it with: negotiation run {written}")
    return "\n".join(lines) + "\n"


def _stages(report: Report) -> list[str]:
    """What was checked: every history up to a depth, then histories drawn at random."""
    lines = []
    exhausted = report.exhausted
    if exhausted is not None:
        states = f"{exhausted.states:,} state{'s' if exhausted.states != 1 else ''}"
        up_to = f"up to {exhausted.depth} event{'s' if exhausted.depth != 1 else ''}"
        if exhausted.rule is not None and not exhausted.path:
            lines.append("  the model's start, before any event: it breaks a rule")
        elif exhausted.rule is not None:
            lines.append(
                f"  every history of {up_to}, exhaustively ({states}): "
                f"one of {len(exhausted.path)} broke a rule"
            )
        elif exhausted.complete:
            lines.append(f"  every history there is, exhaustively ({states}, none left)")
        else:
            lines.append(f"  every history of {up_to}, exhaustively ({states})")
        if not exhausted.exhaustive_domains:
            lines.append(
                "    with each parameter's bounds, default, and the numbers its guards "
                "compare\n    with and their neighbours"
            )
    proven = exhausted is not None and exhausted.complete and exhausted.exhaustive_domains
    found = exhausted is not None and exhausted.rule is not None
    if report.sampled or not (proven or found or report.interrupted):
        lines.append(
            f"  then {report.examples_run:,} histories of up to {report.steps} events drawn "
            f"at random\n    (budget {report.examples:,}), with any parameter values"
        )
    elif proven and not found:
        lines.append("  nothing left to draw at random: every history there is was checked")
    lines.append(f"  {report.events_fired:,} events applied in all.")
    return lines


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
