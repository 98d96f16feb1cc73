"""Hypothesis strategies and a stateful test machine for any model.

A modeller who changes a rule wants to know, before trusting any replay, whether the rules still
mean what they think. This module makes that a few lines of test code:

    from hypothesis import settings
    from negotiation import load_model
    from negotiation.testing import rule_based_machine

    TestMyRules = rule_based_machine(load_model("my_model.yaml")).TestCase

Every event of the model becomes a rule, every invariant an invariant; a refused event must leave
the state exactly as it was. Importing this module imports hypothesis (about a quarter of a
second), so the CLI imports it only where it is used.

`scenarios` and `counterfactual_scenarios` generate whole scenarios, each as `load_scenario` would
build it from its file, with every field a file can give and text chosen to break a careless
writer (`AWKWARD`): the format's round trip, load(dump(scenario)) == scenario, is tested over them.
"""

from negotiation.analyses.falsify import param_values, params
from negotiation.testing.histories import (
    applicable_sequences,
    event_sequences,
    events,
    rule_based_machine,
)
from negotiation.testing.scenario_strategies import (
    AWKWARD,
    awkward_text,
    codes,
    counterfactual_scenarios,
    dates,
    figures,
    overrides,
    prose,
    scenarios,
    sources,
)

__all__ = [
    "AWKWARD",
    "applicable_sequences",
    "awkward_text",
    "codes",
    "counterfactual_scenarios",
    "dates",
    "event_sequences",
    "events",
    "figures",
    "overrides",
    "param_values",
    "params",
    "prose",
    "rule_based_machine",
    "scenarios",
    "sources",
]
