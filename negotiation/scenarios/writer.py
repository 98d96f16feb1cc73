"""Writing scenarios as YAML, in the format `load_scenario` reads: a whole scenario
(counterexamples found by `check --properties`; load(dump(scenario)) == scenario is a tested
property of the format), or the commented skeleton of a counterfactual (`negotiation new`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from negotiation.errors import EventError
from negotiation.files.schema import schema_comment
from negotiation.rules.expressions import suggest
from negotiation.scenarios.scenario import Scenario, ScenarioEvent


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


def counterfactual_skeleton(base: Scenario, base_reference: str, at: str, written_to: Path) -> str:
    """A scenario that extends `base` and diverges at the event `at`, ready to be filled in.

    It loads as written: it keeps the base's events before `at` and repeats the base's `at` event
    as the first of its own, for the author to change.
    """
    ids = [entry.id for entry in base.events]
    if at not in ids:
        raise EventError(f"the base has no event '{at}'" + suggest(at, ids))
    entry = base.events[ids.index(at)]
    first = _event(entry)
    first["id"] = f"{entry.id}_instead"
    first["note"] = "Replace this with what happens instead, and say on what it rests."
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    stream = io.StringIO()
    yaml.dump([first], stream)
    events = "".join(f"  {line}\n" if line else "\n" for line in stream.getvalue().splitlines())
    header = schema_comment("scenario", written_to)
    return f"""{header}# A counterfactual of "{base.title}".
# It keeps the events of the base scenario before '{at}' and continues with the events below.
# Every field is explained in docs/reference/scenario-format.md. Check it with
#   negotiation check THIS_FILE
# and compare it with its base with
#   negotiation compare {base_reference} THIS_FILE
scenario: {base.name}_what_if
title: What if ...? (counterfactual of {base.name})
extends: {base_reference}
# The first event of the base that this scenario does not keep:
diverge_at: {at}
# Why this alternative is worth asking, and what it assumes. Say so plainly: it did not happen.
rationale: >
  TODO: why ask this, and on which sources the positions it assumes rest.
# Sources for the positions this counterfactual assumes (publisher, title, date, url).
sources: {{}}
# Optional changes to the rules, each listed in the output of `negotiation run`:
# overrides:
#   guards:
#     event.guard: "a new expression for that guard"
#   events:
#     event: {{from: [phase, ...], to: phase}}
# Optional changes to the starting values (also listed):
# start:
#   ledger: {{variable: value}}
events:
  # The base's '{at}', as a starting point: change it, replace it, add what follows.
{events}# What the replay must end in; a failed expectation exits 1.
# expect:
#   phase: ...
#   ledger: {{variable: value}}
"""
