"""Writing a scenario back to YAML, in the same format `load_scenario` reads.

Used to write counterexamples found by `check --properties` as runnable scenarios; and
load(dump(scenario)) == scenario is a tested property of the format.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML

from negotiation.scenario import Scenario, ScenarioEvent


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in file order, leaving out what has its default value."""
    data: dict[str, Any] = {"scenario": scenario.name, "title": scenario.title}
    if scenario.description:
        data["description"] = scenario.description
    data["model"] = scenario.model_reference or scenario.model.name
    if scenario.sources:
        data["sources"] = {
            sid: _without_none(
                {"publisher": s.publisher, "title": s.title, "date": s.date, "url": s.url}
            )
            for sid, s in scenario.sources.items()
        }
    start: dict[str, Any] = {"phase": scenario.start_phase}
    if scenario.start_date is not None:
        start["date"] = str(scenario.start_date)
    changed = {
        name: value
        for name, value in scenario.start_ledger.items()
        if value != scenario.model.variables[name].initial
    }
    if changed:
        start["ledger"] = changed
    data["start"] = start
    data["events"] = [_event(entry) for entry in scenario.events]
    if scenario.expect is not None:
        expect: dict[str, Any] = {}
        if scenario.expect.phase is not None:
            expect["phase"] = scenario.expect.phase
        if scenario.expect.ledger:
            expect["ledger"] = dict(scenario.expect.ledger)
        if scenario.expect.holds:
            expect["holds"] = [expression.text for expression in scenario.expect.holds]
        data["expect"] = expect
    return data


def dump_scenario(scenario: Scenario, header: str = "") -> str:
    """The scenario as YAML text; `header` (comment lines) goes first."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    stream = io.StringIO()
    yaml.dump(scenario_data(scenario), stream)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + stream.getvalue()


def _event(entry: ScenarioEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"id": entry.id}
    if entry.date is not None:
        data["date"] = str(entry.date)
    data["event"] = entry.event
    if entry.params:
        data["params"] = dict(entry.params)
    if entry.actor is not None:
        data["actor"] = entry.actor
    if entry.claims:
        data["claims"] = [
            {"by": c.by, "source": c.source, "stance": c.stance, "says": c.says}
            for c in entry.claims
        ]
    if entry.derived:
        data["derived"] = entry.derived
    if entry.note:
        data["note"] = entry.note
    return data


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}
