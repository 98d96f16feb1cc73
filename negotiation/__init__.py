"""negotiation: a negotiation-phase state machine simulator.

Load a model (the rules of one negotiation process), run it as a machine, and replay scenarios
(dated, sourced sequences of events) through it. A model may have several regions that change on
their own (the Gaza model's: the fighting, the deal's stage, the talks); a state holds one phase
of each, and its `phase` is their names as one text:

    >>> from negotiation import load_scenario, replay
    >>> trace = replay(load_scenario("scenarios/gaza-2025.yaml"))
    >>> trace.final.phase
    'resumed_strikes, no_deal, mediated_talks'
    >>> dict(trace.final.phases)
    {'fighting': 'resumed_strikes', 'deal': 'no_deal', 'talks': 'mediated_talks'}

Each step's outcome is a type, `Applied`, `Refused` or `Broken`, carrying the rule it concerns:
here an event refused by its phases (strikes resume only from a ceasefire), naming the phase of
each region it requires, and one refused by a guard:

    >>> from negotiation import Machine, Refused, load_model
    >>> machine = Machine(load_model("gaza_truce"))
    >>> machine.phases
    {'fighting': 'war', 'deal': 'no_deal', 'talks': 'no_talks'}
    >>> outcome = machine.attempt("strikes_resume")
    >>> isinstance(outcome, Refused), outcome.rule.kind, dict(outcome.values)
    (True, 'phase', {'fighting': 'war', 'deal': 'no_deal'})
    >>> str(machine.attempt("talks_open").rule)
    "guard 'mediators_needed'"
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
