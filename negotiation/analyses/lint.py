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
    # Indexes built once, so every check below is linear in the size of the file (issue 8: a
    # model of 2,000 phases and 2,000 events was cubic). Events are grouped by their `from`
    # phases (every `from: any` event shares one group), so a phase indexes groups, not events.
    groups: dict[tuple[str, ...], list[str]] = {}
    for event in model.events.values():
        if event.to is not None:
            groups.setdefault(event.from_phases, []).append(event.to)
    targets_of = list(groups.values())
    by_phase: dict[str, list[int]] = {}
    leaves_phase: set[str] = set()
    for group, (sources, targets) in enumerate(groups.items()):
        for source in sources:
            by_phase.setdefault(source, []).append(group)
        distinct = set(targets)
        # A phase has a way out if some event from it leads to another phase.
        leaves_phase.update(sources if len(distinct) > 1 else set(sources) - distinct)
    reachable = {model.initial}
    fired: set[int] = set()
    frontier = [model.initial]
    while frontier:
        current = frontier.pop()
        for group in by_phase.get(current, ()):
            if group in fired:
                continue
            fired.add(group)
            for target in targets_of[group]:
                if target not in reachable:
                    reachable.add(target)
                    frontier.append(target)
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
        if not phase.final and name not in leaves_phase:
            findings.append(
                Finding(
                    "phases",
                    name,
                    f"phase '{name}' has no way out but is not "
                    "marked final: is an event missing, or should it be final?",
                )
            )
    for name, event in model.events.items():
        if reachable.isdisjoint(event.from_phases):
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
