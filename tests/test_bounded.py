"""The exhaustive stage of `check --properties` (`analyses.bounded`), its reachability search,
and the same seed giving the same run from the CLI and from Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from negotiation.analyses import bounded
from negotiation.analyses.bounded import Reach, exhaust, reachability
from negotiation.analyses.explore import Search, domains, event_steps
from negotiation.analyses.falsify import falsify, run_history
from negotiation.kernel.kernel import Kernel
from negotiation.kernel.monitors import Monitors
from negotiation.rules.expressions import BOOL, compile_expression
from negotiation.rules.load import load_model
from negotiation.semantics.outcomes import Rule
from negotiation.semantics.search import reachable

ROOT = Path(__file__).parent.parent
MODELS = Path(__file__).parent / "models"


def test_a_bug_that_needs_one_exact_number_is_found_before_any_random_draw():
    # `release` lets a tranche of exactly 287 through unchecked: 1 value of 1,000 breaks it
    model = load_model(str(MODELS / "tranche_287.yaml"))
    report = falsify(model, examples=100)
    assert report.exhausted is not None and report.exhausted.rule == Rule("bounds", "held")
    assert report.examples_run == 0  # found by the exhaustive stage, hypothesis never ran
    assert report.counterexample == (("agree", {}), ("release", {"count": 287}))
    assert report.failure is not None and "(got -37)" in report.failure.message


def test_counterexamples_are_shortest_by_construction():
    model = load_model(str(MODELS / "broken_history.yaml"))
    found = exhaust(model)
    assert found.rule == Rule("property", "releases_never_decrease")
    assert [name for name, _ in found.path] == ["agree", "release", "recount"]
    # every history of two events was checked, and none broke a rule
    assert (found.depth, found.stopped, found.complete) == (2, "broken", False)
    # the machine agrees, step for step, that this history breaks that rule
    applied, broken = run_history(model, list(found.path))
    assert broken is not None and broken.rule == found.rule
    assert len(applied) == 3


def test_a_small_model_is_checked_whole_and_nothing_is_sampled():
    model = load_model(str(MODELS / "two_regions.yaml"))
    report = falsify(model, examples=50)
    assert report.exhausted is not None
    assert report.exhausted.complete and report.exhausted.exhaustive_domains
    assert report.examples_run == 0 and report.holds


def test_the_depth_bounds_the_search_and_says_how_far_it_went():
    model = load_model(str(ROOT / "docs" / "examples" / "ceasefire-model.yaml"))
    found = exhaust(model, max_depth=2)
    assert (found.depth, found.stopped, found.complete, found.rule) == (2, "max-depth", False, None)
    capped = exhaust(model, max_depth=10, max_states=3)
    assert capped.stopped == "max-states" and capped.states == 3
    assert capped.depth < 2  # only the levels judged whole count


def test_reach_answers_yes_no_and_undecided(monkeypatch):
    model = load_model(str(MODELS / "tranche_287.yaml"))
    kernel = Kernel.from_model(model)
    chosen, _ = domains(model)
    truce = compile_expression("phase == 'truce'", model.scope(), BOOL)
    start = kernel.initial
    assert Reach(kernel, chosen, truce, 1)(start) is True
    assert Reach(kernel, chosen, truce, 0)(start) is False
    emptied = compile_expression("held == 0", model.scope(), BOOL)
    # agree, then release(count=250): 250 is not among the values searched (1, 286, 287, 288,
    # 1,000), but it is every detainee held, a value the machine's own search tries
    assert Reach(kernel, chosen, emptied, 2)(start) is False
    assert Reach(kernel, chosen, emptied, 2, confirm=True)(start) is True
    assert Reach(kernel, chosen, emptied, 1, confirm=True)(start) is False
    monkeypatch.setattr(bounded, "REACH_STATES", 1)
    assert Reach(kernel, chosen, truce, 2)(kernel.initial) is True  # found before the cap
    assert Reach(kernel, chosen, emptied, 2)(start) is None  # out of states: undecided


@pytest.mark.parametrize("name", ["gaza_truce", "yemen_truce"])
def test_the_kernel_search_agrees_with_the_machine_search_where_both_decide(name):
    model = load_model(name)
    kernel = Kernel.from_model(model)
    chosen, _ = domains(model)
    # a varied sample of states: the first 300 the explorer's search reaches
    search = Search(kernel, event_steps(kernel, chosen), Monitors(kernel.layout, ()), record=True)
    search.add_root(kernel.initial)
    search.run(4, 300)
    states = [kernel.unpack(node & search.mask) for node in search.order or []]
    assert len(states) == 300
    reach = reachability(model, kernel)
    prop = next(p for p in model.properties if p.kind == "stays_reachable")
    assert prop.condition is not None
    decided = 0
    for state in states:
        kernel_says = reach(state, prop.condition, prop.within)
        machine_says = reachable(model, state, prop.condition, prop.within)
        if kernel_says is not None and machine_says is not None:
            assert kernel_says == machine_says, state
            decided += 1
    assert decided >= 200


@pytest.mark.subprocess
def test_the_same_seed_gives_the_same_run_from_the_cli_and_from_python():
    # this process has the test modules (full of numbers hypothesis could pick up) loaded; the
    # CLI's process has not: the two runs must still draw the same histories
    path = ROOT / "docs" / "examples" / "ceasefire-model.yaml"
    args = ["--examples", "150", "--depth", "0", "--seed", "5", "--format", "json"]
    shown = subprocess.run(
        [sys.executable, "-m", "negotiation", "check", "--properties", str(path), *args],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    cli = json.loads(shown.stdout)
    report = falsify(load_model(str(path)), examples=150, seed_value=5, depth=0)
    assert (cli["examples_run"], cli["events_fired"]) == (
        report.examples_run,
        report.events_fired,
    )


def test_a_derived_value_that_must_not_fall_is_judged_by_every_search(tmp_path):
    # `accounted` is held + freed, derived; losing a detainee makes it fall
    model = load_model(str(MODELS / "derived_monotone.yaml"))
    report = falsify(model, examples=20)
    assert report.failure is not None
    assert report.failure.rule == Rule("property", "accounted_never_falls")
    assert report.failure.message == "accounted went from 5 to 4"
    assert report.counterexample == (("lose", {}),)
    from negotiation.analyses.explore import explore

    found = {v.rule.name: v for v in explore(model).violations}
    assert found["accounted_never_falls"].path == (("lose", {}),)
    # `per_head` is freed // held: the step that frees the last one held makes it undefined,
    # which breaks the derived value itself (before any property could read it), as the
    # machine says too
    undefined = found["per_head"]
    assert undefined.rule == Rule("derived", "per_head")
    _, broken = run_history(model, list(undefined.path))
    assert broken is not None and broken.rule == Rule("derived", "per_head")


DOOR = """\
model: door
title: A door that shuts for good (for tests)
variables:
  n: {type: int, min: 0, max: 3, initial: 0}
phases:
  open: {title: Open}
  shut: {title: Shut, final: true}
initial: open
events:
  knock:
    from: [open]
    guards:
      - {name: room, when: n < 3, reason: Three knocks at most.}
    effects: {n: n + 1}
  shut: {from: [open], to: shut}
properties:
  - name: the_door_stays_open
    stays_reachable: phase == 'open'
    within: 2
"""


def test_what_stays_reachable_is_judged_at_every_state_of_the_exhaustive_stage(tmp_path):
    path = tmp_path / "door.yaml"
    path.write_text(DOOR, encoding="utf-8")
    report = falsify(load_model(str(path)), examples=5)
    assert report.exhausted is not None
    assert (report.exhausted.rule, report.exhausted.depth) == (
        Rule("property", "the_door_stays_open"),
        0,  # every history of no event passed; one of one event breaks it
    )
    assert report.counterexample == (("shut", {}),)
    from negotiation.render.check import report_text

    text = report_text(report, None)
    assert "every history of up to 0 events, exhaustively (3 states): one of 1 broke" in text
    # a rule broken by the start itself
    path.write_text(DOOR + "  - name: never_none\n    never: n == 0\n", encoding="utf-8")
    report = falsify(load_model(str(path)), examples=5)
    assert report.counterexample == () and report.failure is not None
    assert "the model's start, before any event: it breaks a rule" in report_text(report, None)
