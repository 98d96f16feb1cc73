"""Rule coverage (`check --coverage`): the mutants, the changed kernel, the verdicts and their
evidence, and the command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import Machine, load_model
from negotiation.analyses.coverage import coverage
from negotiation.analyses.falsify import run_history
from negotiation.analyses.mutants import OPERATORS, mutants
from negotiation.cli import cli
from negotiation.kernel.kernel import Kernel
from negotiation.rules.model import Model
from negotiation.semantics.outcomes import Applied
from negotiation.semantics.search import reachable

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "docs" / "examples" / "ceasefire-model.yaml")
RELEASE = str(ROOT / "tests" / "models" / "broken_release.yaml")


def test_each_operator_makes_its_mutants_of_the_example() -> None:
    model = load_model(EXAMPLE)
    found = {(m.event, m.rule.name, m.operator, m.mutated) for m in mutants(model)}
    assert ("ceasefire_begins", "both_agree", "drop-guard", None) in found
    assert (
        "ceasefire_begins",
        "both_agree",
        "swap-and-or",
        "north_agrees or south_agrees",
    ) in found
    assert ("release", "no_more_than_held", "negate-comparison", "count > detainees_held") in found
    assert (
        "release",
        "no_more_than_held",
        "loosen-comparison",
        "count <= detainees_held + 1",
    ) in found
    assert ("release", "detainees_held", "drop-effect", None) in found
    assert ("release", "detainees_held", "flip-sign", "detainees_held + count") in found
    numbers = [m.number for m in mutants(model)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert {m.operator for m in mutants(load_model("gaza_truce"))} == set(OPERATORS)


def test_a_mutant_changes_one_rule_and_nothing_else() -> None:
    model = load_model(EXAMPLE)
    for mutant in mutants(model):
        changed = mutant.model(model)
        differing = [n for n in model.events if changed.events[n] != model.events[n]]
        assert differing == [mutant.event]


@pytest.mark.parametrize("name", ["gaza_truce", EXAMPLE])
def test_a_kernel_with_one_event_changed_is_the_kernel_of_the_changed_model(name: str) -> None:
    """`Kernel.with_event` compiles one event again; it must judge as a kernel generated from
    the mutant model does, on random states the Machine reaches."""
    model = load_model(name)
    kernel = Kernel.from_model(model)
    chosen = mutants(model)[::7]

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        mutant = data.draw(st.sampled_from(chosen))
        changed_model = mutant.model(model)
        quick, full = kernel.with_event(mutant.changed), Kernel.from_model(changed_model)
        packed = full.initial
        for _ in range(data.draw(st.integers(0, 8))):
            following = []
            for event in changed_model.events.values():
                params = {
                    n: data.draw(st.sampled_from(p.domain()))
                    if p.type.kind != "int"
                    else data.draw(st.integers(p.min or 0, min(p.max or 0, (p.min or 0) + 3)))
                    for n, p in event.params.items()
                }
                step = full.attempt(packed, event.name, params)
                assert quick.attempt(packed, event.name, params) == step
                if step.status == "applied":
                    following.append(step.state)
            if not following:
                break
            packed = data.draw(st.sampled_from(following))

    agree()


def _replay(model: Model, path: Any) -> Any:
    return run_history(model, list(path))


def _breaks(model: Model, changed: Model, item: Any) -> bool:
    """Whether the mutant `changed` breaks the rule that caught it on the counterexample, as
    the Machine judges it. A `stays_reachable` catch is judged by the Machine's own search at
    the history's end: the model reaches the condition in time, the mutant not (or the search,
    which tries fewer values, cannot say)."""
    prop = next((p for p in model.properties if p.name == item.rule.name), None)
    if prop is not None and prop.kind == "stays_reachable":
        assert prop.condition is not None
        ends = []
        for judged in (model, changed):
            machine = Machine(judged)
            for event, params in item.path:
                assert isinstance(machine.attempt(event, params), Applied)
            ends.append(reachable(judged, machine.state, prop.condition, prop.within))
        return ends[0] is True and ends[1] is not True
    applied, broken = _replay(changed, item.path)
    return broken is not None and broken.rule == item.rule and len(applied) == len(item.path)


def test_every_verdict_on_the_example_carries_its_evidence() -> None:
    """A caught mutant's counterexample breaks the named rule when the mutant replays it and
    breaks nothing in the model; a survivor's history ends in a step the two judge apart."""
    model = load_model(EXAMPLE)
    result = coverage(model)
    verdicts = {r.mutant.number: r.verdict for r in result.results}
    assert len(verdicts) == len(mutants(model))
    assert set(verdicts.values()) == {"caught", "survived", "equivalent"}
    for item in result.results:
        changed = item.mutant.model(model)
        if item.verdict == "caught":
            assert _breaks(model, changed, item), item.mutant.describe()
            assert _replay(model, item.path)[1] is None
        elif item.verdict == "survived":
            *before, (name, values) = item.path
            machine, other = Machine(model), Machine(changed)
            for event, params in before:
                assert isinstance(machine.attempt(event, params), Applied)
                assert isinstance(other.attempt(event, params), Applied)
            first, second = machine.attempt(name, values), other.attempt(name, values)
            assert (type(first), getattr(first, "after", None)) != (
                type(second),
                getattr(second, "after", None),
            )
    assert result.score == result.count("caught") / (
        result.count("caught") + result.count("survived")
    )


def test_a_model_that_breaks_its_own_rules_is_reported_not_judged() -> None:
    result = coverage(load_model(RELEASE))
    assert result.broken and not result.results


def test_check_coverage_prints_every_mutant_and_json(monkeypatch: Any) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    text = runner.invoke(cli, ["check", "--coverage", "docs/examples/ceasefire-model.yaml"])
    assert text.exit_code == 0, text.output
    count = len(mutants(load_model(EXAMPLE)))
    assert sum(f"#{n} " in text.output for n in range(1, count + 1)) == count
    assert all(len(line) <= 80 for line in text.output.splitlines())
    data = json.loads(
        runner.invoke(
            cli, ["check", "--coverage", "docs/examples/ceasefire-model.yaml", "--format", "json"]
        ).output
    )
    assert len(data["mutants"]) == count
    assert {"rule", "operator", "verdict", "counterexample"} <= set(data["mutants"][0])
    assert 0 <= data["score"] <= 1
    strict = runner.invoke(
        cli, ["check", "--coverage", "docs/examples/ceasefire-model.yaml", "--min-score", "1"]
    )
    assert strict.exit_code == 1
    broken = runner.invoke(cli, ["check", "--coverage", "tests/models/broken_release.yaml"])
    assert broken.exit_code == 1 and "no mutant was judged" in broken.output


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--coverage", "gaza_truce", "yemen_truce"],
        ["check", "--coverage", "--properties", "gaza_truce"],
        ["check", "--coverage", "gaza_truce", "--seed", "1"],
        ["check", "gaza_truce", "--min-score", "0.5"],
        ["check", "--coverage", "gaza_truce", "--min-score", "2"],
    ],
)
def test_wrong_coverage_arguments_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gaza_truce", "yemen_truce"])
def test_the_shipped_models_properties_catch_four_mutants_in_five(name: str) -> None:
    model = load_model(name)
    result = coverage(model)
    assert not result.broken
    assert len(result.results) == len(mutants(model))
    assert result.score is not None and result.score >= 0.8, result.score
    for item in result.results:
        if item.verdict == "caught":
            assert _breaks(model, item.mutant.model(model), item), item.mutant.describe()


def test_searches_for_what_stays_reachable_share_a_budget_and_say_when_it_ran_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from negotiation.analyses import coverage as coverage_module

    monkeypatch.setattr(coverage_module, "REACH_BUDGET", 100)
    model = load_model(str(Path(__file__).parent / "models" / "unreachable_goal.yaml"))
    result = coverage_module.coverage(model, depth=2)
    undecided = [r for r in result.results if "left undecided" in r.message]
    assert undecided and all(r.verdict == "survived" for r in undecided)
