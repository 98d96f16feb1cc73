"""Model lint: what a model's phase graph says is probably a mistake.

Guards are not evaluated here: an edge is any event's `from` phase to its `to` phase. So a finding
is certain (no history can reach that phase, whatever the values), while a clean lint does not
promise that every phase is reachable under the guards; `check --properties` tests that side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from negotiation.errors import FileError, Problem
from negotiation.rules.model import Model


@dataclass(frozen=True)
class Finding:
    """One lint finding: what it is about (a phase or an event) and what is wrong."""

    section: Literal["phases", "events"]
    name: str
    message: str


def lint_model(model: Model) -> list[Finding]:
    """Unreachable phases, events that can never fire, and dead ends that are not final."""
    reachable = {model.initial}
    frontier = [model.initial]
    while frontier:
        current = frontier.pop()
        for event in model.events.values():
            if current in event.from_phases and event.to is not None and event.to not in reachable:
                reachable.add(event.to)
                frontier.append(event.to)
    findings = []
    for name, phase in model.phases.items():
        if name not in reachable:
            findings.append(
                Finding(
                    "phases",
                    name,
                    f"phase '{name}' can never be reached from the initial phase '{model.initial}'",
                )
            )
        leaves = any(
            name in event.from_phases and event.to not in (None, name)
            for event in model.events.values()
        )
        if not phase.final and not leaves:
            findings.append(
                Finding(
                    "phases",
                    name,
                    f"phase '{name}' has no way out but is not "
                    "marked final: is an event missing, or should it be final?",
                )
            )
    for name, event in model.events.items():
        if not reachable.intersection(event.from_phases):
            findings.append(
                Finding(
                    "events",
                    name,
                    f"event '{name}' can never fire: none of its phases can be reached",
                )
            )
    return findings


@dataclass(frozen=True)
class FileCheck:
    """The result of checking one file without running it."""

    file: str
    kind: Literal["model", "scenario", "unknown"]
    name: str
    problems: tuple[Problem, ...] = ()
    findings: tuple[Problem, ...] = ()


def check_file(path_or_name: str) -> FileCheck:
    """Validate a model, a scenario or a built-in model's name; lint a model."""
    from negotiation.files.yamlfile import read_document
    from negotiation.rules.load import build_model
    from negotiation.rules.model import builtin_models, model_path
    from negotiation.scenarios.load import build_scenario

    name = path_or_name
    path = Path(path_or_name)
    if not path.exists() and name in builtin_models():
        resolved = model_path(name)
        assert resolved is not None
        document = read_document(resolved, f"<builtin>/{resolved.name}")
    else:
        try:
            document = read_document(path)
        except FileError as error:
            return FileCheck(str(path), "unknown", "", problems=error.problems)
    data = document.data
    try:
        if isinstance(data, dict) and "scenario" in data:
            scenario = build_scenario(document, path.parent)
            findings = tuple(
                Problem(document.locate(key), f"warning: the {key} still says TODO")
                for key in ("title", "rationale", "description")
                if "TODO" in str(data.get(key, ""))
            )
            return FileCheck(document.path, "scenario", scenario.name, findings=findings)
        model = build_model(document)
    except FileError as error:
        is_scenario = isinstance(data, dict) and "scenario" in data
        kind: Literal["scenario", "model"] = "scenario" if is_scenario else "model"
        return FileCheck(document.path, kind, "", problems=error.problems)
    findings = tuple(
        Problem(document.locate(f.section, f.name, on_key=True), f"warning: {f.message}")
        for f in lint_model(model)
    )
    return FileCheck(document.path, "model", model.name, findings=findings)
