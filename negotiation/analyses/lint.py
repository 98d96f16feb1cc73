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
    """Unreachable phases, events that can never fire, and dead ends that are not final.

    Region by region: a phase is reachable if it is its region's initial phase or some event
    that can fire leads to it; an event can fire once every region it names can reach one of the
    phases it names. Guards are not judged. Linear in the size of the file: events with the
    same `from` (every `from: any` event, say) share one entry of the indexes.
    """
    groups: dict[tuple[tuple[str, frozenset[str]], ...], list[str]] = {}
    for event in model.events.values():
        key = tuple(sorted(event.requires.items()))
        groups.setdefault(key, []).append(event.name)
    keys = list(groups)
    waiting = [len(key) for key in keys]  # regions not yet able to be in a required phase
    needed_by: dict[str, list[tuple[int, str]]] = {}  # phase -> (group, region) it satisfies
    for index, key in enumerate(keys):
        for region, phases in key:
            for phase in phases:
                needed_by.setdefault(phase, []).append((index, region))
    reachable = {region.initial for region in model.regions.values()}
    satisfied: set[tuple[int, str]] = set()
    fired: set[int] = set()
    frontier = list(reachable)
    ready = [index for index, count in enumerate(waiting) if count == 0]

    def fire(index: int) -> None:
        fired.add(index)
        for name in groups[keys[index]]:
            for target in model.events[name].to:
                if target not in reachable:
                    reachable.add(target)
                    frontier.append(target)

    for index in ready:
        fire(index)
    while frontier:
        reached = frontier.pop()
        for index, region in needed_by.get(reached, ()):
            if (index, region) in satisfied:
                continue
            satisfied.add((index, region))
            waiting[index] -= 1
            if waiting[index] == 0 and index not in fired:
                fire(index)
    findings = []
    leaving = _phases_with_a_way_out(model)
    for name, declared in model.phases.items():
        if name not in reachable:
            start = model.regions[declared.region].initial
            findings.append(
                Finding(
                    "phases",
                    name,
                    f"phase '{name}' can never be reached from the initial phase '{start}'",
                )
            )
        if not declared.final and name not in leaving:
            findings.append(
                Finding(
                    "phases",
                    name,
                    f"phase '{name}' has no way out but is not "
                    "marked final: is an event missing, or should it be final?",
                )
            )
    for index, key in enumerate(keys):
        if index in fired:
            continue
        for name in groups[key]:
            findings.append(
                Finding(
                    "events",
                    name,
                    f"event '{name}' can never fire: none of its phases can be reached",
                )
            )
    return findings


def _phases_with_a_way_out(model: Model) -> set[str]:
    """The phases some event moves away from (to another phase of the same region)."""
    # (region, allowed phases or None for any phase of the region) -> targets
    moves: dict[tuple[str, frozenset[str] | None], set[str]] = {}
    for event in model.events.values():
        for target in event.to:
            region = model.phases[target].region
            moves.setdefault((region, event.requires.get(region)), set()).add(target)
    leaving: set[str] = set()
    for (region, allowed), targets in moves.items():
        sources = allowed if allowed is not None else model.regions[region].phases
        if len(targets) > 1:
            leaving.update(sources)
        else:
            leaving.update(set(sources) - targets)
    return leaving


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
