"""`negotiation new`: the skeleton of a counterfactual, with comments explaining each field."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML

from negotiation.errors import EventError
from negotiation.expressions import suggest
from negotiation.scenario import Scenario
from negotiation.scenario_yaml import _event
from negotiation.schema import schema_comment


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
