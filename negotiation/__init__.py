"""negotiation: a negotiation-phase state machine simulator.

Load a model (the rules of one negotiation process), run it as a machine, and replay scenarios
(dated, sourced sequences of events) through it:

    >>> from negotiation import load_scenario, replay
    >>> trace = replay(load_scenario("scenarios/gaza-2025.yaml"))
    >>> trace.final.phase
    'mediated_talks'

Each step's outcome is a type, `Applied`, `Refused` or `Broken`, carrying the rule it concerns:

    >>> from negotiation import Machine, Refused, load_model
    >>> machine = Machine(load_model("gaza_truce"))
    >>> outcome = machine.attempt("strikes_resume")
    >>> isinstance(outcome, Refused), outcome.rule.kind
    (True, 'phase')
"""

from negotiation.errors import (
    EventError,
    FileError,
    NegotiationError,
    Problem,
    UsageError,
)
from negotiation.rules.load import load_model
from negotiation.rules.model import Model, builtin_models
from negotiation.scenarios.load import load_scenario
from negotiation.scenarios.replay import replay
from negotiation.scenarios.scenario import Scenario
from negotiation.scenarios.trace import Trace, TraceStep, Violation
from negotiation.semantics.machine import Machine, RefusedEvent, RuleViolation
from negotiation.semantics.outcomes import (
    Applied,
    Broken,
    GuardOutcome,
    Judgement,
    Outcome,
    Refused,
    Rule,
    State,
)

__all__ = [
    "Applied",
    "Broken",
    "EventError",
    "FileError",
    "GuardOutcome",
    "Judgement",
    "Machine",
    "Model",
    "NegotiationError",
    "Outcome",
    "Problem",
    "Refused",
    "RefusedEvent",
    "Rule",
    "RuleViolation",
    "Scenario",
    "State",
    "Trace",
    "TraceStep",
    "UsageError",
    "Violation",
    "builtin_models",
    "load_model",
    "load_scenario",
    "replay",
]
