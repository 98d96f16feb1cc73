"""Output of `negotiation check`: file checks and property reports, as text or data."""

from __future__ import annotations

from typing import Any

from negotiation.analyses.falsify import Report
from negotiation.analyses.lint import FileCheck


def file_checks_text(checks: list[FileCheck]) -> str:
    lines = []
    for check in checks:
        for problem in (*check.problems, *check.findings):
            lines.append(str(problem))
        if not check.problems and not check.findings:
            lines.append(f"{check.file}: ok ({check.kind} {check.name})")
    return "\n".join(lines) + "\n"


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


def report_text(report: Report, written: str | None) -> str:
    lines = [
        f"Checked model {report.model}: {report.examples_run:,} histories tried "
        f"(budget {report.examples:,} of up to {report.steps} events each), "
        f"{report.events_fired:,} events applied in all, seed {report.seed}.",
    ]
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
        lines.append("Every rule held:")
        lines += [f"  ✓ {rule}" for rule in report.rules]
        return "\n".join(lines) + "\n"
    lines.append(f"✗ {report.failure.rule} is broken: {report.failure.message}")
    count = len(report.counterexample)
    lines.append(f"Minimal counterexample ({count} event{'s' if count != 1 else ''}):")
    for index, (name, values) in enumerate(report.counterexample, start=1):
        shown = ", ".join(f"{k}={_plain(v)}" for k, v in values.items())
        lines.append(f"  {index:>2}  {name}({shown})" if shown else f"  {index:>2}  {name}")
    if written:
        lines.append(f"Written as a scenario: {written}")
        lines.append(f"Replay it with: negotiation run {written}")
    return "\n".join(lines) + "\n"


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
