"""The rules of the built-in Gaza truce model, pinned guard by guard.

Every guard of every event is pinned both ways: a case where it passes and the event fires (the
phase it leads to and exactly the variables it changes), and a case where it alone fails and the
event is refused by name, leaving the machine's state exactly as it was. A few events fired from a
phase outside their `from` list pin the `allowed_phases` refusal. A coverage test fails when the
model gains a guard or an event that these tables do not pin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from negotiation import RefusedEvent
from negotiation.rules.load import load_model
from negotiation.rules.model import Model, Value
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import PHASES_RULE as ALLOWED_PHASES
from negotiation.semantics.outcomes import Rule, State

MODEL: Model = load_model("gaza_truce")

# The phases of a ceasefire, where the invariant `no_strikes_under_ceasefire` wants strikes stopped.
CEASEFIRE_PHASES = frozenset(
    {"phase_one", "extended_phase_one", "stalled_talks", "phase_two", "end_of_war"}
)


def broken_invariants(state: State) -> list[str]:
    """The names of the model's invariants that `state` breaks."""
    return [
        invariant.name
        for invariant in MODEL.invariants
        if not invariant.expression(state.ledger, {}, state.phase)
    ]


def machine_at(phase: str, ledger: Mapping[str, Value], *, consistent: bool = True) -> Machine:
    """A machine in `phase` with `ledger` over the model's initial values.

    The state is made consistent the way the invariants want it, so a case only says what it is
    about: `hostages_seized` is the sum of the hostages held and returned unless given, and
    strikes are stopped in the phases of a ceasefire unless the case says otherwise. Unless
    `consistent` is false, the state must then keep every invariant.
    """
    full = {**MODEL.initial_ledger(), **ledger}
    if "hostages_seized" not in ledger:
        full["hostages_seized"] = (
            int(full["hostages_held_alive"])
            + int(full["hostages_held_dead"])
            + int(full["hostages_returned"])
        )
    if phase in CEASEFIRE_PHASES and "strikes_ongoing" not in ledger:
        full["strikes_ongoing"] = False
    machine = Machine(MODEL, phase=phase, ledger=full)
    if consistent:
        assert broken_invariants(machine.state) == [], "the case's starting state is inconsistent"
    return machine


def fires(
    case_id: str,
    phase: str,
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    phase_after: str,
    changes: Mapping[str, tuple[Value, Value]],
) -> Any:
    return pytest.param(phase, ledger, event, params, phase_after, changes, id=case_id)


def refused(
    case_id: str,
    phase: str,
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    guard: str,
    *,
    consistent: bool = True,
) -> Any:
    return pytest.param(phase, ledger, event, params, guard, consistent, id=case_id)


# Each pass case sits at the edge of the guard it is named for where the guard has one
# (a count equal to its limit), so that it and its refusal case pin the boundary between them.
FIRES = [
    # hostages_freed: any phase, stays
    fires(
        "hostages_freed-fires-every-hostage-freed-is-a-body",
        "resumed_strikes",
        {"hostages_held_dead": 2, "hostages_returned": 5},
        "hostages_freed",
        {"hostages": 2, "bodies": 2},
        "resumed_strikes",
        {"hostages_held_dead": (2, 0), "hostages_returned": (5, 7)},
    ),
    fires(
        "hostages_freed-fires-freeing-the-last-living-hostages",
        "war",
        {"hostages_held_alive": 3, "hostages_returned": 5},
        "hostages_freed",
        {"hostages": 3},
        "war",
        {"hostages_held_alive": (3, 0), "hostages_returned": (5, 8)},
    ),
    fires(
        "hostages_freed-fires-returning-the-last-bodies",
        "stalled_talks",
        {"hostages_held_alive": 4, "hostages_held_dead": 2},
        "hostages_freed",
        {"hostages": 3, "bodies": 2},
        "stalled_talks",
        {"hostages_held_alive": (4, 3), "hostages_held_dead": (2, 0), "hostages_returned": (0, 3)},
    ),
    fires(
        "hostages_freed-fires-a-body-of-a-hostage-not-reported-dead",
        "war",
        {"hostages_held_alive": 4, "hostages_held_dead": 1},
        "hostages_freed",
        {"hostages": 2, "bodies": 2},
        "war",
        {"hostages_held_alive": (4, 3), "hostages_held_dead": (1, 0), "hostages_returned": (0, 2)},
    ),
    # exchange: phase_one, extended_phase_one, phase_two; stays
    fires(
        "exchange-fires-under-ceasefire",
        "phase_one",
        {"hostages_held_alive": 10},
        "exchange",
        {"hostages": 3, "prisoners": 90},
        "phase_one",
        {
            "hostages_held_alive": (10, 7),
            "hostages_returned": (0, 3),
            "prisoners_released": (0, 90),
        },
    ),
    fires(
        "exchange-fires-every-hostage-exchanged-is-a-body",
        "extended_phase_one",
        {"hostages_held_alive": 1, "hostages_held_dead": 2},
        "exchange",
        {"hostages": 2, "bodies": 2, "prisoners": 0},
        "extended_phase_one",
        {"hostages_held_dead": (2, 0), "hostages_returned": (0, 2)},
    ),
    fires(
        "exchange-fires-exchanging-the-last-living-hostages",
        "phase_two",
        {"hostages_held_alive": 4, "hostages_returned": 30, "prisoners_released": 1800},
        "exchange",
        {"hostages": 4, "prisoners": 1000},
        "phase_two",
        {
            "hostages_held_alive": (4, 0),
            "hostages_returned": (30, 34),
            "prisoners_released": (1800, 2800),
        },
    ),
    fires(
        "exchange-fires-returning-the-last-bodies",
        "phase_one",
        {"hostages_held_alive": 6, "hostages_held_dead": 2},
        "exchange",
        {"hostages": 5, "bodies": 2, "prisoners": 200},
        "phase_one",
        {
            "hostages_held_alive": (6, 3),
            "hostages_held_dead": (2, 0),
            "hostages_returned": (0, 5),
            "prisoners_released": (0, 200),
        },
    ),
    # hostage_status_reported: any phase, stays
    fires(
        "hostage_status_reported-fires-every-hostage-held-reported-dead",
        "mediated_talks",
        {"hostages_held_alive": 10, "hostages_held_dead": 2},
        "hostage_status_reported",
        {"dead": 12},
        "mediated_talks",
        {"hostages_held_alive": (10, 0), "hostages_held_dead": (2, 12)},
    ),
    # mediators_engage / mediators_withdraw: any phase, stay
    fires(
        "mediators_engage-fires-mediators-not-yet-engaged",
        "war",
        {"mediators_engaged": False},
        "mediators_engage",
        {},
        "war",
        {"mediators_engaged": (False, True)},
    ),
    fires(
        "mediators_withdraw-fires-mediators-engaged",
        "mediated_talks",
        {"mediators_engaged": True},
        "mediators_withdraw",
        {},
        "mediated_talks",
        {"mediators_engaged": (True, False)},
    ),
    # talks_open: war, resumed_strikes, stalled_talks -> mediated_talks
    fires(
        "talks_open-fires-mediators-engaged",
        "resumed_strikes",
        {"mediators_engaged": True},
        "talks_open",
        {},
        "mediated_talks",
        {},
    ),
    # deal_announced: any phase, stays
    fires(
        "deal_announced-fires-phase-one-deal-with-mediators-engaged",
        "mediated_talks",
        {"mediators_engaged": True},
        "deal_announced",
        {"deal": "phase_one"},
        "mediated_talks",
        {"agreement": ("none", "phase_one")},
    ),
    fires(
        "deal_announced-fires-phase-two-deal-accepted-by-both",
        "stalled_talks",
        {
            "mediators_engaged": True,
            "israel_position": "accept_phase_two",
            "hamas_position": "accept_phase_two",
        },
        "deal_announced",
        {"deal": "phase_two"},
        "stalled_talks",
        {"agreement": ("none", "phase_two"), "withdrawal_agreed": (False, True)},
    ),
    fires(
        "deal_announced-fires-extension-accepted-by-both",
        "phase_one",
        {
            "mediators_engaged": True,
            "israel_position": "extend_phase_one",
            "hamas_position": "extend_phase_one",
        },
        "deal_announced",
        {"deal": "phase_one_extension"},
        "phase_one",
        {"agreement": ("none", "phase_one_extension")},
    ),
    # ceasefire_begins: war, resumed_strikes, mediated_talks -> phase_one
    fires(
        "ceasefire_begins-fires-phase-one-agreed",
        "mediated_talks",
        {"agreement": "phase_one", "strikes_ongoing": True, "rocket_fire": True},
        "ceasefire_begins",
        {},
        "phase_one",
        {
            "agreement": ("phase_one", "none"),
            "strikes_ongoing": (True, False),
            "rocket_fire": (True, False),
            "aid_entering": (False, True),
        },
    ),
    # talks_stall: phase_one, extended_phase_one, mediated_talks -> stalled_talks
    fires(
        "talks_stall-fires-positions-differ",
        "extended_phase_one",
        {"israel_position": "extend_phase_one", "hamas_position": "phase_two_talks"},
        "talks_stall",
        {},
        "stalled_talks",
        {},
    ),
    fires(
        "talks_stall-fires-talks-under-ceasefire",
        "mediated_talks",
        {
            "strikes_ongoing": False,
            "israel_position": "extend_phase_one",
            "hamas_position": "phase_two_talks",
        },
        "talks_stall",
        {},
        "stalled_talks",
        {},
    ),
    fires(
        "hostages_seized-fires-adds-to-seized-and-held-alive",
        "war",
        {},
        "hostages_seized",
        {"count": 251},
        "war",
        {"hostages_seized": (0, 251), "hostages_held_alive": (0, 251)},
    ),
    fires(
        "hostages_seized-fires-up-to-capacity",
        "war",
        {"hostages_held_alive": 900},
        "hostages_seized",
        {"count": 100},
        "war",
        {"hostages_seized": (900, 1000), "hostages_held_alive": (900, 1000)},
    ),
    fires(
        "exchange-fires-up-to-prisoner-capacity",
        "phase_one",
        {"hostages_held_alive": 10, "prisoners_released": 99_950},
        "exchange",
        {"hostages": 3, "prisoners": 50},
        "phase_one",
        {
            "hostages_held_alive": (10, 7),
            "hostages_returned": (0, 3),
            "prisoners_released": (99_950, 100_000),
        },
    ),
    fires(
        "talks_collapse-fires-and-voids-the-announced-deal",
        "mediated_talks",
        {"strikes_ongoing": True, "agreement": "phase_one"},
        "talks_collapse",
        {},
        "resumed_strikes",
        {"agreement": ("phase_one", "none")},
    ),
    # talks_collapse: mediated_talks -> resumed_strikes
    fires(
        "talks_collapse-fires-fighting-goes-on",
        "mediated_talks",
        {"strikes_ongoing": True},
        "talks_collapse",
        {},
        "resumed_strikes",
        {},
    ),
    # phase_one_extended: phase_one, stalled_talks, mediated_talks -> extended_phase_one
    fires(
        "phase_one_extended-fires-extension-agreed",
        "mediated_talks",
        {"agreement": "phase_one_extension", "strikes_ongoing": True},
        "phase_one_extended",
        {},
        "extended_phase_one",
        {"agreement": ("phase_one_extension", "none"), "strikes_ongoing": (True, False)},
    ),
    # strikes_resume: the ceasefire phases and mediated_talks -> resumed_strikes
    fires(
        "strikes_resume-fires-strikes-had-stopped",
        "stalled_talks",
        {"killed_since_strikes_resumed": 500, "agreement": "phase_two"},
        "strikes_resume",
        {},
        "resumed_strikes",
        {
            "strikes_ongoing": (False, True),
            "killed_since_strikes_resumed": (500, 0),
            "agreement": ("phase_two", "none"),
        },
    ),
    # rocket_fire_resumes: any phase, stays
    fires(
        "rocket_fire_resumes-fires-rockets-had-stopped",
        "phase_one",
        {"rocket_fire": False},
        "rocket_fire_resumes",
        {},
        "phase_one",
        {"rocket_fire": (False, True)},
    ),
    # casualties_reported: any phase, stays
    fires(
        "casualties_reported-fires-toll-unchanged",
        "resumed_strikes",
        {"killed_since_strikes_resumed": 830},
        "casualties_reported",
        {"killed": 830},
        "resumed_strikes",
        {},
    ),
    # territory_seized: war, resumed_strikes, mediated_talks; stays
    fires(
        "territory_seized-fires-during-fighting",
        "resumed_strikes",
        {"strikes_ongoing": True},
        "territory_seized",
        {},
        "resumed_strikes",
        {"territory_seized": (False, True)},
    ),
    # phase_two_begins: phase_one, extended_phase_one, stalled_talks, mediated_talks -> phase_two
    fires(
        "phase_two_begins-fires-phase-two-agreed",
        "stalled_talks",
        {
            "agreement": "phase_two",
            "israel_position": "accept_phase_two",
            "hamas_position": "accept_phase_two",
            "rocket_fire": True,
        },
        "phase_two_begins",
        {},
        "phase_two",
        {"agreement": ("phase_two", "none"), "rocket_fire": (True, False)},
    ),
    fires(
        "phase_two_begins-fires-both-still-accept",
        "mediated_talks",
        {
            "agreement": "phase_two",
            "israel_position": "accept_phase_two",
            "hamas_position": "accept_phase_two",
            "strikes_ongoing": True,
        },
        "phase_two_begins",
        {},
        "phase_two",
        {"agreement": ("phase_two", "none"), "strikes_ongoing": (True, False)},
    ),
    # war_ends: phase_two -> end_of_war
    fires(
        "war_ends-fires-no-living-hostages-held",
        "phase_two",
        {
            "hostages_held_alive": 0,
            "hostages_held_dead": 0,
            "hostages_returned": 251,
            "withdrawal_agreed": True,
        },
        "war_ends",
        {},
        "end_of_war",
        {},
    ),
    fires(
        "war_ends-fires-withdrawal-agreed-with-bodies-still-held",
        "phase_two",
        {
            "hostages_held_alive": 0,
            "hostages_held_dead": 3,
            "hostages_returned": 248,
            "withdrawal_agreed": True,
        },
        "war_ends",
        {},
        "end_of_war",
        {},
    ),
]

# Events without guards: they fire in any phase but a final one, and only their effects matter.
FIRES_UNGUARDED = [
    fires(
        "position_declared-fires-sets-only-israel-position",
        "phase_one",
        {"hamas_position": "phase_two_talks"},
        "position_declared",
        {"party": "israel", "position": "extend_phase_one"},
        "phase_one",
        {"israel_position": ("undeclared", "extend_phase_one")},
    ),
    fires(
        "position_declared-fires-sets-only-hamas-position",
        "phase_one",
        {"israel_position": "extend_phase_one"},
        "position_declared",
        {"party": "hamas", "position": "phase_two_talks"},
        "phase_one",
        {"hamas_position": ("undeclared", "phase_two_talks")},
    ),
    fires(
        "access_changed-fires-closes-crossings-and-stops-aid",
        "resumed_strikes",
        {"crossings_open": True, "aid_entering": True},
        "access_changed",
        {"crossings": False, "aid": False},
        "resumed_strikes",
        {"crossings_open": (True, False), "aid_entering": (True, False)},
    ),
    fires(
        "threat_made-fires-israel-threat-to-seize-territory-recorded",
        "mediated_talks",
        {},
        "threat_made",
        {"party": "israel", "threat": "seize_territory"},
        "mediated_talks",
        {"seizure_threatened": (False, True)},
    ),
    fires(
        "threat_made-fires-hamas-threat-changes-nothing",
        "mediated_talks",
        {},
        "threat_made",
        {"party": "hamas", "threat": "warning_about_hostages"},
        "mediated_talks",
        {},
    ),
]

REFUSED = [
    # hostages_freed
    refused(
        "hostages_freed-refused-more-bodies-than-hostages",
        "war",
        {"hostages_held_alive": 5, "hostages_held_dead": 2},
        "hostages_freed",
        {"hostages": 1, "bodies": 2},
        "bodies_among_hostages",
    ),
    refused(
        "hostages_freed-refused-more-living-than-held",
        "war",
        {"hostages_held_alive": 3, "hostages_returned": 5},
        "hostages_freed",
        {"hostages": 4},
        "no_more_than_held",
    ),
    refused(
        "hostages_freed-refused-more-than-held-counting-bodies",
        "stalled_talks",
        {"hostages_held_alive": 3, "hostages_held_dead": 1},
        "hostages_freed",
        {"hostages": 5, "bodies": 2},
        "no_more_than_held",
    ),
    # exchange
    refused(
        "exchange-refused-beyond-prisoner-capacity",
        "phase_one",
        {"hostages_held_alive": 10, "prisoners_released": 99_950},
        "exchange",
        {"hostages": 3, "prisoners": 51},
        "within_prisoner_capacity",
    ),
    refused(
        "hostages_seized-refused-beyond-hostage-capacity",
        "war",
        {"hostages_held_alive": 900},
        "hostages_seized",
        {"count": 101},
        "within_hostage_capacity",
    ),
    refused(
        "exchange-refused-more-bodies-than-hostages",
        "phase_one",
        {"hostages_held_alive": 5, "hostages_held_dead": 2},
        "exchange",
        {"hostages": 1, "bodies": 2, "prisoners": 30},
        "bodies_among_hostages",
    ),
    refused(
        "exchange-refused-more-living-than-held",
        "phase_two",
        {"hostages_held_alive": 4, "hostages_returned": 30},
        "exchange",
        {"hostages": 5, "prisoners": 1000},
        "no_more_than_held",
    ),
    refused(
        "exchange-refused-more-than-held-counting-bodies",
        "extended_phase_one",
        {"hostages_held_alive": 3, "hostages_held_dead": 1},
        "exchange",
        {"hostages": 5, "bodies": 2, "prisoners": 200},
        "no_more_than_held",
    ),
    # hostage_status_reported
    refused(
        "hostage_status_reported-refused-more-dead-than-held",
        "mediated_talks",
        {"hostages_held_alive": 10, "hostages_held_dead": 2},
        "hostage_status_reported",
        {"dead": 13},
        "no_more_dead_than_held",
    ),
    # mediators
    refused(
        "mediators_engage-refused-mediators-already-engaged",
        "war",
        {"mediators_engaged": True},
        "mediators_engage",
        {},
        "not_already_engaged",
    ),
    refused(
        "mediators_withdraw-refused-no-mediators-engaged",
        "stalled_talks",
        {"mediators_engaged": False},
        "mediators_withdraw",
        {},
        "mediators_present",
    ),
    # talks_open
    refused(
        "talks_open-refused-no-mediators-engaged",
        "resumed_strikes",
        {"mediators_engaged": False},
        "talks_open",
        {},
        "mediators_needed",
    ),
    # deal_announced
    refused(
        "deal_announced-refused-no-mediators-engaged",
        "mediated_talks",
        {"mediators_engaged": False},
        "deal_announced",
        {"deal": "phase_one"},
        "mediated_agreement",
    ),
    refused(
        "deal_announced-refused-phase-two-not-accepted-by-hamas",
        "stalled_talks",
        {
            "mediators_engaged": True,
            "israel_position": "accept_phase_two",
            "hamas_position": "phase_two_talks",
        },
        "deal_announced",
        {"deal": "phase_two"},
        "phase_two_accepted_by_both",
    ),
    refused(
        "deal_announced-refused-extension-not-accepted-by-hamas",
        "phase_one",
        {
            "mediators_engaged": True,
            "israel_position": "extend_phase_one",
            "hamas_position": "phase_two_talks",
        },
        "deal_announced",
        {"deal": "phase_one_extension"},
        "extension_accepted_by_both",
    ),
    # ceasefire_begins
    refused(
        "ceasefire_begins-refused-no-phase-one-agreed",
        "mediated_talks",
        {"agreement": "phase_two", "strikes_ongoing": True},
        "ceasefire_begins",
        {},
        "phase_one_agreed",
    ),
    # talks_stall
    refused(
        "talks_stall-refused-positions-agree",
        "phase_one",
        {"israel_position": "phase_two_talks", "hamas_position": "phase_two_talks"},
        "talks_stall",
        {},
        "positions_differ",
    ),
    refused(
        "talks_stall-refused-strikes-ongoing",
        "mediated_talks",
        {
            "strikes_ongoing": True,
            "israel_position": "extend_phase_one",
            "hamas_position": "phase_two_talks",
        },
        "talks_stall",
        {},
        "ceasefire_in_force",
    ),
    # talks_collapse
    refused(
        "talks_collapse-refused-strikes-stopped",
        "mediated_talks",
        {"strikes_ongoing": False},
        "talks_collapse",
        {},
        "fighting_goes_on",
    ),
    # phase_one_extended
    refused(
        "phase_one_extended-refused-no-extension-agreed",
        "stalled_talks",
        {"agreement": "phase_one"},
        "phase_one_extended",
        {},
        "extension_agreed",
    ),
    # strikes_resume
    refused(
        "strikes_resume-refused-strikes-already-ongoing",
        "mediated_talks",
        {"strikes_ongoing": True},
        "strikes_resume",
        {},
        "strikes_had_stopped",
    ),
    # rocket_fire_resumes
    refused(
        "rocket_fire_resumes-refused-rockets-already-fired",
        "resumed_strikes",
        {"rocket_fire": True},
        "rocket_fire_resumes",
        {},
        "rockets_had_stopped",
    ),
    # casualties_reported
    refused(
        "casualties_reported-refused-toll-falls",
        "resumed_strikes",
        {"killed_since_strikes_resumed": 830},
        "casualties_reported",
        {"killed": 829},
        "toll_does_not_fall",
    ),
    # territory_seized
    refused(
        "territory_seized-refused-strikes-stopped",
        "mediated_talks",
        {"strikes_ongoing": False},
        "territory_seized",
        {},
        "during_fighting",
    ),
    # phase_two_begins
    refused(
        "phase_two_begins-refused-no-phase-two-agreed",
        "stalled_talks",
        {
            "agreement": "none",
            "israel_position": "accept_phase_two",
            "hamas_position": "accept_phase_two",
        },
        "phase_two_begins",
        {},
        "phase_two_agreed",
    ),
    refused(
        "phase_two_begins-refused-israel-no-longer-accepts",
        "stalled_talks",
        {
            "agreement": "phase_two",
            "israel_position": "extend_phase_one",
            "hamas_position": "accept_phase_two",
        },
        "phase_two_begins",
        {},
        "both_still_accept",
    ),
    # war_ends
    refused(
        "war_ends-refused-living-hostages-held",
        "phase_two",
        {"hostages_held_alive": 1, "hostages_returned": 250, "withdrawal_agreed": True},
        "war_ends",
        {},
        "all_living_hostages_freed",
    ),
    refused(
        "war_ends-refused-withdrawal-not-agreed",
        "phase_two",
        {"hostages_held_alive": 0, "hostages_returned": 251, "withdrawal_agreed": False},
        "war_ends",
        {},
        "withdrawal_agreed_first",
    ),
]

# Events fired from a phase outside their `from` list, in states where every guard would pass.
REFUSED_BY_PHASE = [
    pytest.param(
        "stalled_talks",
        {"hostages_held_alive": 10},
        "exchange",
        {"hostages": 3, "prisoners": 90},
        id="exchange-refused-outside-a-deal-phase",
    ),
    pytest.param(
        "phase_one",
        {"hostages_held_alive": 0, "hostages_returned": 251, "withdrawal_agreed": True},
        "war_ends",
        {},
        id="war_ends-refused-before-phase-two",
    ),
    pytest.param(
        "war",
        {"strikes_ongoing": True},
        "talks_collapse",
        {},
        id="talks_collapse-refused-during-war-without-talks",
    ),
    pytest.param(
        "phase_two",
        {"agreement": "phase_one"},
        "ceasefire_begins",
        {},
        id="ceasefire_begins-refused-during-phase-two",
    ),
    pytest.param(
        "phase_one",
        {"mediators_engaged": True},
        "talks_open",
        {},
        id="talks_open-refused-during-phase-one",
    ),
    pytest.param(
        "end_of_war",
        {"hostages_held_alive": 0, "hostages_returned": 251, "withdrawal_agreed": True},
        "hostages_seized",
        {"count": 1},
        id="hostages_seized-refused-after-the-war-ended",
    ),
    pytest.param(
        "end_of_war",
        {"hostages_held_alive": 0, "hostages_returned": 251, "withdrawal_agreed": True},
        "mediators_engage",
        {},
        id="mediators_engage-refused-after-the-war-ended",
    ),
]


@pytest.mark.parametrize(
    ("phase", "ledger", "event", "params", "phase_after", "changes"), FIRES + FIRES_UNGUARDED
)
def test_event_fires_when_its_guards_pass(
    phase: str,
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    phase_after: str,
    changes: Mapping[str, tuple[Value, Value]],
) -> None:
    machine = machine_at(phase, ledger)
    before = machine.state

    step = machine.fire(event, params)

    assert step.before == before
    assert step.after.phase == phase_after
    assert step.changes() == changes
    assert machine.state == step.after
    assert [(outcome.guard, outcome.passed) for outcome in step.guards] == [
        (guard.name, True) for guard in MODEL.events[event].guards
    ]
    assert broken_invariants(step.after) == []


@pytest.mark.parametrize(("phase", "ledger", "event", "params", "guard", "consistent"), REFUSED)
def test_event_refused_by_the_one_guard_that_fails(
    phase: str,
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    guard: str,
    consistent: bool,
) -> None:
    machine = machine_at(phase, ledger, consistent=consistent)
    before = machine.state
    reason = next(g.reason for g in MODEL.events[event].guards if g.name == guard)

    with pytest.raises(RefusedEvent) as refusal:
        machine.fire(event, params)

    refused = refusal.value.outcome
    assert (refused.event, refused.state.phase, refused.reason) == (event, phase, reason)
    assert refused.rule == Rule("guard", guard)
    assert [outcome.guard for outcome in refused.refusals] == [guard]
    assert machine.state == before
    assert machine.explain(event, params).allowed is False


@pytest.mark.parametrize(("phase", "ledger", "event", "params"), REFUSED_BY_PHASE)
def test_event_refused_outside_its_allowed_phases(
    phase: str, ledger: Mapping[str, Value], event: str, params: Mapping[str, Any]
) -> None:
    machine = machine_at(phase, ledger)
    before = machine.state
    definition = MODEL.events[event]
    full_params = machine.params_for(event, params)
    assert phase not in definition.from_phases
    assert all(g.expression(before.ledger, full_params, phase) for g in definition.guards)

    with pytest.raises(RefusedEvent) as refusal:
        machine.fire(event, params)

    refused = refusal.value.outcome
    assert (refused.event, refused.state.phase) == (event, phase)
    assert refused.rule == Rule("phase", ALLOWED_PHASES)
    assert refused.values == {"phase": phase}
    assert machine.state == before


def test_every_guard_is_pinned_both_ways() -> None:
    guards = {(e.name, g.name) for e in MODEL.events.values() for g in e.guards}
    refused_guards = {(case.values[2], case.values[4]) for case in REFUSED}
    fired_events = {case.values[2] for case in FIRES}
    unguarded = {case.values[2] for case in FIRES_UNGUARDED}

    assert refused_guards == guards
    assert fired_events == {event for event, _ in guards}
    assert unguarded == {e.name for e in MODEL.events.values() if not e.guards}


def test_model_declares_its_four_invariants() -> None:
    assert [invariant.name for invariant in MODEL.invariants] == [
        "counts_not_negative",
        "hostages_accounted_for",
        "no_strikes_under_ceasefire",
        "war_ends_with_hostages_home",
    ]


@pytest.mark.parametrize("invariant", [inv.name for inv in MODEL.invariants])
def test_invariant_holds_on_the_initial_state(invariant: str) -> None:
    state = Machine(MODEL).state
    expression = next(inv.expression for inv in MODEL.invariants if inv.name == invariant)

    assert state.phase == "war"
    assert expression(state.ledger, {}, state.phase) is True
