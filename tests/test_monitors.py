"""The compiled monitors (negotiation.kernel.monitors) against the one semantics of properties,
`judge_property`: on random histories the Machine replays, a step at a time, the compiled
monitors break exactly the properties that `judge_property` says the history up to that step
breaks first there, with the same message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import Machine, load_model
from negotiation.kernel.layout import Layout
from negotiation.kernel.monitors import Monitors
from negotiation.rules.model import Event, Model, Param
from negotiation.rules.properties import START
from negotiation.semantics.history import judge_property
from negotiation.semantics.outcomes import Applied, State

ROOT = Path(__file__).parent.parent
MODELS = {
    "gaza_truce": "gaza_truce",
    "yemen_truce": "yemen_truce",
    "ceasefire-model": str(ROOT / "docs" / "examples" / "ceasefire-model.yaml"),
    "broken-ceasefire-model": str(ROOT / "docs" / "examples" / "broken-ceasefire-model.yaml"),
    "two_regions": str(ROOT / "tests" / "models" / "two_regions.yaml"),
    "broken_history": str(ROOT / "tests" / "models" / "broken_history.yaml"),
    "squaring": str(ROOT / "tests" / "models" / "squaring.yaml"),
    "derived_monotone": str(ROOT / "tests" / "models" / "derived_monotone.yaml"),
}
LOADED: dict[str, tuple[Model, Monitors]] = {}


def compiled(name: str) -> tuple[Model, Monitors]:
    if name not in LOADED:
        model = load_model(MODELS[name])
        LOADED[name] = (model, Monitors(Layout.of(model)))
    return LOADED[name]


def param_values(param: Param) -> st.SearchStrategy[Any]:
    if param.type.kind == "bool":
        return st.booleans()
    if param.type.kind == "enum":
        return st.sampled_from(sorted(param.type.values or ()))
    assert param.min is not None and param.max is not None
    return st.one_of(
        st.integers(param.min, min(param.max, param.min + 3)), st.integers(param.min, param.max)
    )


def event_params(event: Event) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({n: param_values(p) for n, p in event.params.items()})


@st.composite
def histories(draw: Any, name: str, steps: int) -> History:
    """The states a random walk of the Machine passes through, and the events that led there
    with their parameters."""
    model, _ = compiled(name)
    machine = Machine(model)
    states, events, params = [machine.state], [START], [{}]
    for _ in range(draw(st.integers(0, steps))):
        enabled = machine.enabled() or list(model.events)
        event = draw(st.sampled_from(enabled))
        outcome = machine.attempt(event, draw(event_params(model.events[event])))
        if isinstance(outcome, Applied):
            states.append(outcome.after)
            events.append(event)
            params.append(dict(outcome.params))
    return states, events, params


History = tuple[list[State], list[str], list[dict[str, Any]]]


def check(name: str, history: History) -> dict[str, tuple[int, str]]:
    model, monitors = compiled(name)
    layout = monitors.layout
    states, events, params = history
    judged = [prop for _, prop in monitors.judged]
    expected: dict[str, tuple[int, str]] = {}
    for prop in judged:
        broken = judge_property(model, prop, states, events, params=params)
        if broken is not None:
            expected[prop.name] = (broken.index, broken.message)
    got: dict[str, tuple[int, str]] = {}
    bits, before = 0, -1
    for index, (state, event) in enumerate(zip(states, events, strict=True)):
        after = layout.pack(state)
        verdict = monitors.step(bits, before, after, event, params[index])
        for rule, message in verdict.broken:
            got.setdefault(rule.name, (index, message))
        bits, before = verdict.bits, after
    assert got == expected
    return got


QUICK = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
LARGE = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_monitors_judge_as_the_semantics_does(name: str) -> None:
    @QUICK
    @given(histories(name, 20))
    def agree(history: History) -> None:
        check(name, history)

    agree()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gaza_truce", "yemen_truce"])
def test_monitors_judge_as_the_semantics_does_large(name: str) -> None:
    @LARGE
    @given(histories(name, 60))
    def agree(history: History) -> None:
        check(name, history)

    agree()


def test_a_written_history_breaks_the_property_at_its_step() -> None:
    """Not vacuous: agree, release one, recount lowers `released` at the third step."""
    model, _ = compiled("broken_history")
    machine = Machine(model)
    states, events, given = [machine.state], [START], [{}]
    for event, params in [("agree", {}), ("release", {"count": 1}), ("recount", {})]:
        outcome = machine.attempt(event, params)
        assert isinstance(outcome, Applied)
        states.append(outcome.after)
        events.append(event)
        given.append(params)
    got = check("broken_history", (states, events, given))
    assert got == {"releases_never_decrease": (3, "released went from 1 to 0")}
