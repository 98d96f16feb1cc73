"""Writing scenarios as YAML, in the format `load_scenario` reads: a whole scenario
(counterexamples found by `check --properties`; load(dump(scenario)) == scenario is a tested
property of the format, for counterfactuals too), or the commented skeleton of a counterfactual
(`negotiation new`).

Every string that came from a scenario (titles, notes, names, dates, expressions) is written
double-quoted, with YAML's escapes: a newline or a `: ` in a title stays inside the title and
cannot add a key, and a `#`, `&` or `!!` at its start is text, not a comment, anchor or tag.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import SafeRepresenter

from negotiation.errors import EventError, suggest
from negotiation.files.schema import OverridesSpec, StartSpec, schema_comment
from negotiation.rules.event_codes import Codes
from negotiation.scenarios.figures import Figure
from negotiation.scenarios.scenario import Checkpoint, Scenario, ScenarioEvent, Source


class Quoted(str):
    """A string that came from input: always written double-quoted."""


class _Representer(SafeRepresenter):
    pass


def _represent_quoted(representer: SafeRepresenter, text: Quoted) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:str", str(text), style='"')


_Representer.add_representer(Quoted, _represent_quoted)


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in file order, leaving out what has its default value.

    A counterfactual (one that `extends` a base) is written as its file says it: the reference
    to its base, where it diverges, its own `start:` and overrides, and only its own events.
    Strings from the scenario are `Quoted`, so `dump_data` quotes them.
    """
    data: dict[str, Any] = {"scenario": Quoted(scenario.name), "title": Quoted(scenario.title)}
    if scenario.description:
        data["description"] = Quoted(scenario.description)
    if scenario.extends is None:
        data["model"] = Quoted(scenario.model_reference or scenario.model.name)
    elif scenario.model_reference:  # a counterfactual has its base's model unless it names one
        data["model"] = Quoted(scenario.model_reference)
    if scenario.extends is not None:
        data["extends"] = Quoted(scenario.extends)
    if scenario.diverge_at is not None:
        data["diverge_at"] = Quoted(scenario.diverge_at)
    if scenario.rationale:
        data["rationale"] = Quoted(scenario.rationale)
    if scenario.rule_overrides is not None:
        data["overrides"] = _overrides(scenario.rule_overrides)
    if scenario.sources:
        data["sources"] = {Quoted(sid): _source(s) for sid, s in scenario.sources.items()}
    if scenario.links:
        data["links"] = _links(scenario)
    start = _own_start(scenario.own_start) if scenario.extends is not None else _start(scenario)
    if start is not None:
        data["start"] = start
    data["events"] = [_event(entry) for entry in scenario.own_events]
    if scenario.expect is not None:
        expect: dict[str, Any] = {}
        if scenario.expect.phases:
            expect["phase"] = _phases(list(scenario.expect.phases))
        if scenario.expect.ledger:
            expect["ledger"] = _values(scenario.expect.ledger)
        if scenario.expect.holds:
            expect["holds"] = [Quoted(expression.text) for expression in scenario.expect.holds]
        data["expect"] = expect
    return data


def dump_scenario(scenario: Scenario, header: str = "") -> str:
    """The scenario as YAML text; `header` (comment lines) goes first."""
    return dump_data(scenario_data(scenario), header)


def dump_data(data: Any, header: str = "") -> str:
    """Plain data as YAML text, `Quoted` double-quoted; `header` becomes comment lines first."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    stream = io.StringIO()
    yaml.dump(data, stream)
    return "".join(_comment(line) for line in header.splitlines()) + stream.getvalue()


def _comment(line: str) -> str:
    # A comment is text to YAML too: a control character there makes the file unreadable.
    shown = "".join(
        c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode() for c in line
    )
    return f"# {shown}\n" if shown else "#\n"


def quoted(text: str) -> str:
    """`text` as one double-quoted YAML scalar on one line: safe in a value or a comment."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.width = 2**31 - 1  # never folded: a comment line cannot continue on the next
    stream = io.StringIO()
    yaml.dump(Quoted(text), stream)
    return stream.getvalue().splitlines()[0]


def _source(source: Source) -> dict[str, Any]:
    data: dict[str, Any] = {"publisher": Quoted(source.publisher), "title": Quoted(source.title)}
    for key in ("date", "url", "reliability"):
        value = getattr(source, key)
        if value is not None:
            data[key] = Quoted(value)
    if source.credibility is not None:
        data["credibility"] = source.credibility
    return data


def _links(scenario: Scenario) -> dict[str, Any]:
    # A counterfactual writes its base's links too: its own figures may name them, and the
    # base's links below its own give back the same groups.
    data: dict[str, Any] = {}
    for name, keep in scenario.links.items():
        link: dict[str, Any] = {"keep": Quoted(keep)}
        description = scenario.link_descriptions.get(name, "")
        if description:
            link["description"] = Quoted(description)
        data[Quoted(name)] = link
    return data


def _start(scenario: Scenario) -> dict[str, Any]:
    start: dict[str, Any] = {"phase": _phases(list(scenario.start_phases.values()))}
    if scenario.start_date is not None:
        start["date"] = Quoted(str(scenario.start_date))
    changed = {
        name: value
        for name, value in scenario.start_ledger.items()
        if name not in scenario.model.variables or value != scenario.model.variables[name].initial
    }
    if changed:
        start["ledger"] = _values(changed)
    return start


def _phases(phases: list[str]) -> Any:
    # one phase as a name (the first format), several as a list
    return Quoted(phases[0]) if len(phases) == 1 else [Quoted(phase) for phase in phases]


def _own_start(start: StartSpec | None) -> dict[str, Any] | None:
    # A counterfactual's `start:` as its file gave it: the base's starting values apply below it,
    # and each value given is listed among the overrides, so none may be added or left out.
    if start is None:
        return None
    data: dict[str, Any] = {}
    if start.phase is not None:
        data["phase"] = _phases([start.phase] if isinstance(start.phase, str) else start.phase)
    if start.date is not None:
        data["date"] = Quoted(start.date)
    if start.ledger:
        data["ledger"] = _values(start.ledger)
    return data


def _overrides(overrides: OverridesSpec) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if overrides.guards:
        data["guards"] = {Quoted(key): Quoted(text) for key, text in overrides.guards.items()}
    if overrides.events:
        data["events"] = {}
        for name, change in overrides.events.items():
            event: dict[str, Any] = {}
            data["events"][Quoted(name)] = event
            if change.from_ is not None:
                event["from"] = [Quoted(phase) for phase in change.from_]
            if change.to is not None:
                event["to"] = _phases([change.to] if isinstance(change.to, str) else change.to)
    return data


def _event(entry: ScenarioEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"id": Quoted(entry.id)}
    if entry.date is not None:
        data["date"] = Quoted(str(entry.date))
    if entry.event is not None:  # else a checkpoint alone
        data["event"] = Quoted(entry.event)
    if entry.params:
        data["params"] = {
            Quoted(name): _figure(entry.figures[name]) if name in entry.figures else _value(value)
            for name, value in entry.params.items()
        }
    if entry.actor is not None:
        data["actor"] = Quoted(entry.actor)
    if entry.claims:
        data["claims"] = [
            {"by": Quoted(c.by), "source": Quoted(c.source), "stance": Quoted(c.stance)}
            | ({"says": Quoted(c.says)} if c.says else {})
            | ({"confidence": Quoted(c.confidence)} if c.confidence is not None else {})
            for c in entry.claims
        ]
    if entry.derived:
        data["derived"] = Quoted(entry.derived)
    if entry.codes is not None:
        data["codes"] = _codes(entry.codes)
    if entry.note:
        data["note"] = Quoted(entry.note)
    if entry.checkpoint is not None:
        data["checkpoint"] = _checkpoint(entry.checkpoint)
    return data


def _checkpoint(checkpoint: Checkpoint) -> dict[str, Any]:
    data: dict[str, Any] = {"source": Quoted(checkpoint.source)}
    if checkpoint.by:
        data["by"] = Quoted(checkpoint.by)
    if checkpoint.says:
        data["says"] = Quoted(checkpoint.says)
    if checkpoint.confidence is not None:
        data["confidence"] = Quoted(checkpoint.confidence)
    data["values"] = {
        Quoted(reported.name): _figure(reported.figure)
        if reported.figure is not None
        else _value(reported.value)
        for reported in checkpoint.values
    }
    return data


def _figure(figure: Figure) -> dict[str, Any]:
    # A checkpoint's figure may give only a range: no `best`, or an open bound.
    data: dict[str, Any] = {}
    for key in ("best", "low", "high"):
        if getattr(figure, key) is not None:
            data[key] = getattr(figure, key)
    if figure.values:
        data["values"] = [
            {"source": Quoted(v.source)}
            | ({"by": Quoted(v.by)} if v.by else {})
            | {"value": v.value}
            | ({"confidence": Quoted(v.confidence)} if v.confidence is not None else {})
            for v in figure.values
        ]
    if figure.derived:
        data["derived"] = Quoted(figure.derived)
    if figure.scope:
        data["scope"] = Quoted(figure.scope)
    if figure.linked is not None:
        data["linked"] = Quoted(figure.linked)
    return data


def _codes(codes: Codes) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if codes.cameo is not None:
        data["cameo"] = Quoted(codes.cameo)
    if codes.plover is not None:
        plover: dict[str, Any] = {"event": Quoted(codes.plover)}
        for key, given in (("mode", codes.plover_mode), ("context", codes.plover_context)):
            if len(given) == 1:
                plover[key] = Quoted(given[0])
            elif given:
                plover[key] = [Quoted(one) for one in given]
        data["plover"] = plover
    return data


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {Quoted(name): _value(value) for name, value in values.items()}


def _value(value: Any) -> Any:
    return Quoted(value) if isinstance(value, str) else value


def counterfactual_skeleton(base: Scenario, base_reference: str, at: str, written_to: Path) -> str:
    """A scenario that extends `base` and diverges at the event `at`, ready to be filled in.

    It loads as written: it keeps the base's events before `at` and repeats the base's `at` event
    as the first of its own, for the author to change. What comes from the base or the command
    line is escaped, in comments too: the base's title is quoted, and its reference and names are
    written plain only where plain YAML reads them back unchanged on one line.
    """
    ids = [entry.id for entry in base.events]
    if at not in ids:
        raise EventError(f"the base has no event '{at}'" + suggest(at, ids))
    entry = base.events[ids.index(at)]
    first = _event(entry)
    first["id"] = Quoted(f"{entry.id}_instead")
    first["note"] = Quoted("Replace this with what happens instead, and say on what it rests.")
    events = "".join(f"  {line}\n" if line else "\n" for line in dump_data([first]).splitlines())
    header = schema_comment("scenario", written_to)
    reference, event = _plain_or_quoted(base_reference), _plain_or_quoted(at)
    in_words = f"'{at}'" if _PLAIN.fullmatch(at) else quoted(at)
    return f"""{header}# A counterfactual of {quoted(base.title)}.
# It keeps the events of the base scenario before {in_words} and continues with the events below.
# Every field is explained in docs/reference/scenario-format.md. Check it with
#   negotiation check THIS_FILE
# and compare it with its base with
#   negotiation compare {reference} THIS_FILE
scenario: {_plain_or_quoted(f"{base.name}_what_if")}
title: {_plain_or_quoted(f"What if ...? (counterfactual of {base.name})")}
extends: {reference}
# The first event of the base that this scenario does not keep:
diverge_at: {event}
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
  # The base's {in_words}, as a starting point: change it, replace it, add what follows.
{events}# What the replay must end in; a failed expectation exits 1.
# expect:
#   phase: ...
#   ledger: {{variable: value}}
"""


# Text the skeleton may leave unquoted, as its documented example shows it: names, paths and
# words, with none of YAML's indicators (`:`, `#`, `&`, `!`, quotes, brackets) and no line break.
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ ./()?-]*")


def _plain_or_quoted(text: str) -> str:
    if _PLAIN.fullmatch(text) and not text.endswith(" "):
        yaml = YAML(typ="safe", pure=True)
        if yaml.load(text) == text:  # not a number, a date, a boolean or null
            return text
    return quoted(text)
