"""The explanation page of the Gaza truce model keeps up with the model.

docs/explanation/gaza-model.md explains the built-in model phase by phase and rule by rule. These
tests fail when the model gains or renames a phase, a variable, an event, a guard or an invariant
that the page does not name, or changes a guard's expression without the page showing the new one.
The page's own examples are run by the doc tests (conftest.py); the hypothetical scenarios it uses
are checked here to say that they are hypothetical.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from negotiation import load_model, load_scenario

ROOT = Path(__file__).parent.parent
PAGE_PATH = ROOT / "docs" / "explanation" / "gaza-model.md"
PAGE = PAGE_PATH.read_text(encoding="utf-8")
MODEL = load_model("gaza_truce")

GUARDS = [
    pytest.param(guard, id=f"{event.name}.{guard.name}")
    for event in MODEL.events.values()
    for guard in event.guards
]


def names_in_code(name: str) -> bool:
    """Whether the page shows `name` as code, so a word of prose does not count as a mention."""
    return f"`{name}`" in PAGE


@pytest.mark.parametrize("phase", list(MODEL.phases))
def test_page_names_every_phase(phase):
    assert names_in_code(phase), f"the page does not mention the phase `{phase}`"


@pytest.mark.parametrize("event", list(MODEL.events))
def test_page_names_every_event(event):
    assert names_in_code(event), f"the page does not mention the event `{event}`"


@pytest.mark.parametrize("guard", GUARDS)
def test_page_names_every_guard(guard):
    assert names_in_code(guard.name), f"the page does not mention the guard `{guard.name}`"


@pytest.mark.parametrize("guard", GUARDS)
def test_page_shows_every_guard_expression_as_the_model_has_it(guard):
    expression = guard.expression.text
    assert names_in_code(expression), f"the page does not show `{expression}` ({guard.name})"


@pytest.mark.parametrize("variable", list(MODEL.variables))
def test_page_names_every_variable(variable):
    assert names_in_code(variable), f"the page does not mention the variable `{variable}`"


@pytest.mark.parametrize("invariant", [i.name for i in MODEL.invariants])
def test_page_names_every_invariant(invariant):
    assert names_in_code(invariant), f"the page does not mention the invariant `{invariant}`"


@pytest.mark.parametrize("source", list(MODEL.sources))
def test_page_names_every_source_of_the_model(source):
    assert names_in_code(source), f"the page does not name the model's source `{source}`"


EXAMPLES = sorted(set(re.findall(r"\bexamples/([\w-]+\.yaml)\b", PAGE)))


def test_page_runs_at_least_one_example_scenario():
    assert EXAMPLES, "the page shows no example scenario from docs/examples/"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_scenarios_of_the_page_are_labelled_hypothetical(name):
    scenario = load_scenario(ROOT / "docs" / "examples" / name)
    assert scenario.model.name == "gaza_truce"
    assert scenario.title.startswith("Hypothetical"), scenario.title
    assert "hypothetical" in scenario.description.lower(), scenario.description
