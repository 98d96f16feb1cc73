"""The one semantics: each rule judged once, outcomes as types, and transitions judging nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from negotiation import Applied, Broken, Machine, Refused, Rule, load_model, load_scenario, replay
from negotiation.render.data import trace_data
from negotiation.rules.model import Model
from negotiation.semantics.judge import check_state, validate_params

GAZA = load_model("gaza_truce")


def counting(model: Model) -> tuple[Model, Counter[str]]:
    """A copy of `model` whose guards count how often they are evaluated."""
    calls: Counter[str] = Counter()
    events = {}
    for name, event in model.events.items():
        guards = []
        for guard in event.guards:
            key = f"{name}.{guard.name}"

            def counted(ledger: Any, params: Any, phase: str, _f=guard.expression.function, _k=key):
                calls[_k] += 1
                return _f(ledger, params, phase)

            guards.append(replace(guard, expression=replace(guard.expression, function=counted)))
        events[name] = replace(event, guards=tuple(guards))
    return replace(model, events=events), calls


def test_each_guard_is_judged_once_when_an_event_fires() -> None:
    model, calls = counting(GAZA)
    machine = Machine(model)
    machine.fire("mediators_join", {"qatar": True, "egypt": True})
    calls.clear()

    step = machine.fire("talks_open")

    guards = [f"talks_open.{g.name}" for g in model.events["talks_open"].guards]
    assert guards, "talks_open has guards to count"
    assert isinstance(step, Applied)
    assert dict(calls) == dict.fromkeys(guards, 1)


def test_each_guard_is_judged_once_when_an_event_is_refused() -> None:
    model, calls = counting(GAZA)
    machine = Machine(model)

    outcome = machine.attempt("talks_open")

    assert isinstance(outcome, Refused)
    guards = [f"talks_open.{g.name}" for g in model.events["talks_open"].guards]
    assert dict(calls) == dict.fromkeys(guards, 1)


def test_transitions_holds_the_phases_but_has_no_conditions() -> None:
    machine = Machine(GAZA)
    machine.fire("mediators_join", {"qatar": True, "egypt": True})
    machine.fire("talks_open")
    assert machine.phases == {"fighting": "war", "deal": "no_deal", "talks": "mediated_talks"}
    machine.fire("proposal_made", {"offer": "truce", "by": "mediator"})
    machine.fire("deal_announced", {"kind": "phase_one"})
    machine.fire("proposal_answered", {"party": "hamas", "answer": "accepted"})
    machine.fire("proposal_answered", {"party": "israel", "answer": "accepted"})
    machine.fire("ceasefire_begins")  # moves two regions at once
    assert machine.phases == {
        "fighting": "ceasefire",
        "deal": "phase_one",
        "talks": "mediated_talks",
    }
    assert {name: holder.phase for name, holder in machine._holders.items()} == machine.phases
    transitions = {
        region: [
            transition
            for event in held.events.values()
            for group in event.transitions.values()
            for transition in group
        ]
        for region, held in machine._machines.items()
    }
    assert all(transitions.values()), "each region's machine moved"
    assert all(not t.conditions for group in transitions.values() for t in group)


def test_building_a_machine_adds_no_transition_until_one_is_used() -> None:
    machine = Machine(GAZA)
    assert all(not region.events for region in machine._machines.values())


def test_refused_outcome_names_every_guard_that_refused() -> None:
    machine = Machine(GAZA)
    outcome = machine.attempt("strikes_resume")
    assert isinstance(outcome, Refused)
    assert outcome.rule.kind == "phase"
    assert [refusal.guard for refusal in outcome.refusals] == ["allowed_phases"]
    assert machine.state == outcome.state

    outcome = machine.attempt("ceasefire_begins")  # no deal announced, no party has accepted
    assert isinstance(outcome, Refused)
    assert outcome.rule == Rule("guard", "phase_one_agreed")
    assert [refusal.guard for refusal in outcome.refusals] == [
        "phase_one_agreed",
        "both_parties_accept",
    ]
    assert machine.state == outcome.state


def test_broken_outcome_carries_the_rule_and_leaves_the_state() -> None:
    model = load_model("tests/models/broken_release.yaml")
    machine = Machine(model)
    machine.fire("agree")
    before = machine.state
    outcome = machine.attempt("release", {"count": 10})
    assert isinstance(outcome, Broken)
    assert outcome.rule == Rule("bounds", "held")
    assert machine.state == before


def test_one_function_validates_parameters_for_machine_and_scenario() -> None:
    event = GAZA.events["exchange"]
    values, problems = validate_params(event, {"hostages": -1, "nonsense": 1})
    messages = [p.message for p in problems]
    assert any("nonsense" in m for m in messages)
    assert any("at least 0" in m for m in messages)
    assert "hostages" not in values
    assert any("needs parameter 'prisoners'" in m for m in messages)


def test_check_state_reports_bounds_before_invariants() -> None:
    ledger = {**GAZA.initial_ledger()}
    name = next(n for n, v in GAZA.variables.items() if v.min == 0)
    ledger[name] = -1
    broken = check_state(GAZA, GAZA.initial, ledger)
    assert broken is not None and broken.rule == Rule("bounds", name)


def test_a_broken_property_is_a_violation_and_expectations_say_the_truth(tmp_path) -> None:
    model_text = Path("tests/models/broken_history.yaml").read_text(encoding="utf-8")
    (tmp_path / "model.yaml").write_text(model_text, encoding="utf-8")
    # agree, release one, recount it: `released` goes 0, 1, 0 and breaks its property.
    (tmp_path / "history.yaml").write_text(
        "scenario: s\ntitle: A recount\nmodel: model.yaml\nstart: {date: 2025-01-01}\n"
        "events:\n"
        "  - {id: a, date: 2025-01-02, event: agree}\n"
        "  - {id: b, date: 2025-01-03, event: release, params: {count: 1}}\n"
        "  - {id: c, date: 2025-01-04, event: recount}\n"
        "expect:\n  phase: truce\n",
        encoding="utf-8",
    )

    trace = replay(load_scenario(tmp_path / "history.yaml"))
    data = trace_data(trace)

    assert [v["kind"] for v in data["violations"]] == ["property"]
    assert data["violations"][0]["rule"] == "releases_never_decrease"
    assert data["expect"]["checked"] is True
    assert data["expect"]["met"] is (not trace.expectation_failures)
    assert all("property" not in failure for failure in data["expect"]["failures"])
