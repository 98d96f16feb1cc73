"""negotiation: a negotiation-phase state machine simulator.

Load a model (the rules of one negotiation process), run it as a machine, and replay scenarios
(dated, sourced sequences of events) through it:

    >>> from negotiation import load_scenario, replay
    >>> trace = replay(load_scenario("scenarios/gaza-2025.yaml"))
    >>> trace.final.phase
    'mediated_talks'
"""

from negotiation.errors import (
    EventError,
    FileError,
    InvariantViolation,
    NegotiationError,
    Problem,
    RefusedEvent,
)
from negotiation.rules.model import Model, builtin_models, load_model
from negotiation.scenarios.replay import replay
from negotiation.scenarios.scenario import Scenario, load_scenario
from negotiation.scenarios.trace import Trace
from negotiation.semantics.machine import Explanation, Machine, State, Step

__all__ = [
    "EventError",
    "Explanation",
    "FileError",
    "InvariantViolation",
    "Machine",
    "Model",
    "NegotiationError",
    "Problem",
    "RefusedEvent",
    "Scenario",
    "State",
    "Step",
    "Trace",
    "builtin_models",
    "load_model",
    "load_scenario",
    "replay",
]
