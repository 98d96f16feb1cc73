"""The rules of the built-in Gaza truce model, pinned guard by guard.

The model is a statechart of three regions (the fighting, the deal's stage, the talks). Every
guard of every event is pinned both ways: a case where it applies, passes and the event fires
(the phases it leads to and exactly the variables it changes), and a case where it alone fails
and the event is refused by name, leaving the machine's state exactly as it was. Every event
whose `from` is narrower than "any phase" is refused by its phases from a phase outside it, the
refusal naming the phase of each region it requires; two events that fire from any phase are
refused in the final phase. A coverage test fails when the model gains a guard or an event that
these tables do not pin.

The states are taken from the record (`scenarios/gaza-2025-2026.yaml`) where one fits, and are
hypothetical where the record has none (a rescue, an extension taking effect, the war's end);
the cases are about the rules, not about the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from negotiation import RefusedEvent
from negotiation.rules.load import load_model
from negotiation.rules.model import Model, Value
from negotiation.semantics.judge import evaluate_in
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import PHASES_RULE as ALLOWED_PHASES
from negotiation.semantics.outcomes import Rule, State

MODEL: Model = load_model("gaza_truce")

# Every phase that is not final: what `from: any` lists.
ANY_PHASE = frozenset(name for name, phase in MODEL.phases.items() if not phase.final)

# Ledgers of the record (`scenarios/gaza-2025-2026.yaml`), before the entry named; the hostages
# seized (255 in all) are the sum of those held and returned, as `machine_at` fills them in.
JANUARY_2025 = {  # the record's derived start, 15 January 2025
    "hostages_held_alive": 62,
    "hostages_held_dead": 35,
    "held_from_before_the_war": 3,
    "hostages_returned": 158,
    "hostages_returned_dead": 41,
}
THAI_WORKERS_FREED = {  # 30 January 2025
    "hostages_held_alive": 52,
    "hostages_held_dead": 35,
    "held_from_before_the_war": 3,
    "hostages_returned": 168,
    "hostages_returned_dead": 41,
    "prisoners_released": 400,
}
SEVENTH_EXCHANGE = {  # 22 February 2025
    "hostages_held_alive": 38,
    "hostages_held_dead": 31,
    "held_from_before_the_war": 3,
    "hostages_returned": 186,
    "hostages_returned_dead": 45,
    "prisoners_released": 1135,
}
EIGHTH_EXCHANGE = {  # 27 February 2025, with the 620 prisoners withheld on 22 February
    "hostages_held_alive": 32,
    "hostages_held_dead": 31,
    "held_from_before_the_war": 1,
    "hostages_returned": 192,
    "hostages_returned_dead": 45,
    "prisoners_released": 1135,
    "prisoners_withheld": 620,
}
END_OF_PHASE_ONE = {  # 1 March 2025, before the report of early March
    "hostages_held_alive": 32,
    "hostages_held_dead": 27,
    "held_from_before_the_war": 1,
    "hostages_returned": 196,
    "hostages_returned_dead": 49,
    "prisoners_released": 1778,
}
MARCH_2025 = {  # after the report of early March (35 of 59 dead), to May 2025
    "hostages_held_alive": 24,
    "hostages_held_dead": 35,
    "held_from_before_the_war": 1,
    "hostages_returned": 196,
    "hostages_returned_dead": 49,
    "prisoners_released": 1778,
}
OCTOBER_2025 = {  # 10 October 2025
    "hostages_held_alive": 20,
    "hostages_held_dead": 28,
    "held_from_before_the_war": 1,
    "hostages_returned": 207,
    "hostages_returned_dead": 59,
    "prisoners_released": 1778,
}
NOVEMBER_2025 = {  # 9 November 2025, before Hadar Goldin's body was handed over
    "hostages_held_alive": 0,
    "hostages_held_dead": 5,
    "held_from_before_the_war": 1,
    "hostages_returned": 250,
    "hostages_returned_dead": 82,
    "prisoners_released": 3746,
}
JANUARY_2026 = {  # January 2026, one body still held
    "hostages_held_alive": 0,
    "hostages_held_dead": 1,
    "held_from_before_the_war": 0,
    "hostages_returned": 254,
    "hostages_returned_dead": 86,
    "prisoners_released": 3746,
}
THREE_MEDIATORS = {"qatar_role": "mediator", "egypt_role": "mediator", "us_role": "mediator"}
FOUR_MEDIATORS = {**THREE_MEDIATORS, "turkey_role": "mediator"}
THREE_GUARANTORS = {"qatar_role": "guarantor", "egypt_role": "guarantor", "us_role": "guarantor"}
FOUR_GUARANTORS = {**THREE_GUARANTORS, "turkey_role": "guarantor"}
BOTH_ACCEPT = {"israel_answer": "accepted", "hamas_answer": "accepted"}

# Phases, as `Machine` takes them: each names its region, the others start at their initial phase.
PHASE_ONE = ("ceasefire", "phase_one", "mediated_talks")
LAPSED = ("ceasefire", "phase_one_lapsed", "mediated_talks")
PHASE_TWO = ("ceasefire", "phase_two", "mediated_talks")


def broken_invariants(state: State) -> list[str]:
    """The names of the model's invariants that `state` breaks."""
    return [
        invariant.name
        for invariant in MODEL.invariants
        if evaluate_in(MODEL, invariant.expression, state.phases, state.ledger) is not True
    ]


def machine_at(phases: Sequence[str], ledger: Mapping[str, Value]) -> Machine:
    """A machine in `phases` (each names its region; the others at their initial phase) with
    `ledger` over the model's initial values.

    The state is made consistent the way the invariants want it, so a case only says what it is
    about: `hostages_seized` is the sum of the hostages held and returned unless given, and
    strikes are stopped under a ceasefire unless the case says otherwise (a flare-up). The
    machine refuses a starting state that breaks an invariant.
    """
    full = {**MODEL.initial_ledger(), **ledger}
    if "hostages_seized" not in ledger:
        full["hostages_seized"] = (
            int(full["hostages_held_alive"])
            + int(full["hostages_held_dead"])
            + int(full["hostages_returned"])
        )
    ceasefire = MODEL.configuration(list(phases))["fighting"] == "ceasefire"
    if ceasefire and "strikes_ongoing" not in ledger:
        full["strikes_ongoing"] = False
    machine = Machine(MODEL, list(phases), full)
    assert broken_invariants(machine.state) == [], "the case's starting state is inconsistent"
    return machine


def fires(
    case_id: str,
    phases: Sequence[str],
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    phases_after: Sequence[str],
    changes: Mapping[str, tuple[Value, Value]],
) -> Any:
    return pytest.param(phases, ledger, event, params, phases_after, changes, id=case_id)


def refused(
    case_id: str,
    phases: Sequence[str],
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    guard: str,
) -> Any:
    return pytest.param(phases, ledger, event, params, guard, id=case_id)


def refused_by_phases(
    case_id: str,
    phases: Sequence[str],
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    values: Mapping[str, str],
    *,
    guards_pass: bool = True,
) -> Any:
    return pytest.param(phases, ledger, event, params, values, guards_pass, id=case_id)


# Each pass case sits at the edge of the guard it is named for where the guard has one (a count
# equal to its limit), so that it and its refusal case pin the boundary between them.
FIRES = [
    # hostages_seized: any phase, stays
    fires(
        "hostages_seized-fires-the-bodies-of-two-soldiers-before-the-war",
        ("war",),
        {},
        "hostages_seized",
        {"count": 2, "dead": 2, "before_the_war": True},
        ("war",),
        {
            "hostages_seized": (0, 2),
            "hostages_held_dead": (0, 2),
            "held_from_before_the_war": (0, 2),
        },
    ),
    fires(
        "hostages_seized-fires-up-to-capacity",
        ("war",),
        {"hostages_held_alive": 900},
        "hostages_seized",
        {"count": 100},
        ("war",),
        {"hostages_seized": (900, 1000), "hostages_held_alive": (900, 1000)},
    ),
    # exchange: a deal in force (phase_one, extended_phase_one, phase_two); stays
    fires(
        "exchange-fires-first-exchange-of-january-2025",
        PHASE_ONE,
        JANUARY_2025,
        "exchange",
        {"hostages": 3, "prisoners": 90},
        PHASE_ONE,
        {
            "hostages_held_alive": (62, 59),
            "hostages_returned": (158, 161),
            "prisoners_released": (0, 90),
        },
    ),
    fires(
        "exchange-fires-two-held-since-before-the-war-and-prisoners-withheld",
        PHASE_ONE,
        SEVENTH_EXCHANGE,
        "exchange",
        {"hostages": 6, "from_before_the_war": 2, "prisoners": 0, "withheld": 620},
        PHASE_ONE,
        {
            "hostages_held_alive": (38, 32),
            "held_from_before_the_war": (3, 1),
            "hostages_returned": (186, 192),
            "prisoners_withheld": (0, 620),
        },
    ),
    fires(
        "exchange-fires-every-prisoner-withheld-freed-with-four-bodies",
        PHASE_ONE,
        EIGHTH_EXCHANGE,
        "exchange",
        {"hostages": 4, "bodies": 4, "prisoners": 643, "withheld_freed": 620},
        PHASE_ONE,
        {
            "hostages_held_dead": (31, 27),
            "hostages_returned": (192, 196),
            "hostages_returned_dead": (45, 49),
            "prisoners_released": (1135, 1778),
            "prisoners_withheld": (620, 0),
        },
    ),
    fires(
        "exchange-fires-the-last-living-hostages",
        PHASE_ONE,
        OCTOBER_2025,
        "exchange",
        {"hostages": 20, "prisoners": 1968},
        PHASE_ONE,
        {
            "hostages_held_alive": (20, 0),
            "hostages_returned": (207, 227),
            "prisoners_released": (1778, 3746),
        },
    ),
    fires(
        "exchange-fires-every-hostage-held-since-before-the-war",
        ("ceasefire", "extended_phase_one"),
        {"hostages_held_alive": 2, "held_from_before_the_war": 2},
        "exchange",
        {"hostages": 2, "from_before_the_war": 2, "prisoners": 0},
        ("ceasefire", "extended_phase_one"),
        {
            "hostages_held_alive": (2, 0),
            "held_from_before_the_war": (2, 0),
            "hostages_returned": (0, 2),
        },
    ),
    fires(
        "exchange-fires-a-body-of-a-hostage-not-reported-dead",
        ("ceasefire", "extended_phase_one"),
        {"hostages_held_alive": 4, "hostages_held_dead": 1},
        "exchange",
        {"hostages": 2, "bodies": 2, "prisoners": 0},
        ("ceasefire", "extended_phase_one"),
        {
            "hostages_held_alive": (4, 3),
            "hostages_held_dead": (1, 0),
            "hostages_returned": (0, 2),
            "hostages_returned_dead": (0, 2),
        },
    ),
    fires(
        "exchange-fires-up-to-prisoner-capacity",
        ("ceasefire", "phase_two"),
        {"hostages_held_alive": 10, "prisoners_released": 99_950, "prisoners_withheld": 99_990},
        "exchange",
        {"hostages": 3, "prisoners": 50, "withheld": 10},
        ("ceasefire", "phase_two"),
        {
            "hostages_held_alive": (10, 7),
            "hostages_returned": (0, 3),
            "prisoners_released": (99_950, 100_000),
            "prisoners_withheld": (99_990, 100_000),
        },
    ),
    # hostages_freed: any phase, stays
    fires(
        "hostages_freed-fires-released-outside-the-exchange-terms",
        PHASE_ONE,
        THAI_WORKERS_FREED,
        "hostages_freed",
        {"hostages": 5, "how": "released"},
        PHASE_ONE,
        {"hostages_held_alive": (52, 47), "hostages_returned": (168, 173)},
    ),
    fires(
        "hostages_freed-fires-released-via-the-open-direct-channel",
        ("resumed_strikes", "stalled_talks"),
        {**MARCH_2025, "direct_channel_open": True},
        "hostages_freed",
        {"hostages": 1, "how": "released_via_direct_channel"},
        ("resumed_strikes", "stalled_talks"),
        {"hostages_held_alive": (24, 23), "hostages_returned": (196, 197)},
    ),
    fires(
        "hostages_freed-fires-handed-over-the-last-held-since-before-the-war",
        PHASE_ONE,
        {**NOVEMBER_2025, **FOUR_GUARANTORS},
        "hostages_freed",
        {"hostages": 1, "bodies": 1, "from_before_the_war": 1, "how": "handed_over"},
        PHASE_ONE,
        {
            "hostages_held_dead": (5, 4),
            "held_from_before_the_war": (1, 0),
            "hostages_returned": (250, 251),
            "hostages_returned_dead": (82, 83),
        },
    ),
    fires(
        "hostages_freed-fires-rescue-of-every-living-hostage-held",
        ("war",),
        {"hostages_held_alive": 4, "hostages_held_dead": 2},
        "hostages_freed",
        {"hostages": 4, "how": "rescued"},
        ("war",),
        {"hostages_held_alive": (4, 0), "hostages_returned": (0, 4)},
    ),
    fires(
        "hostages_freed-fires-recovery-of-the-last-body",
        PHASE_TWO,
        {**JANUARY_2026, **FOUR_GUARANTORS},
        "hostages_freed",
        {"hostages": 1, "bodies": 1, "how": "recovered"},
        PHASE_TWO,
        {
            "hostages_held_dead": (1, 0),
            "hostages_returned": (254, 255),
            "hostages_returned_dead": (86, 87),
        },
    ),
    fires(
        "hostages_freed-fires-recovery-of-a-body-not-reported-dead",
        ("resumed_strikes", "stalled_talks"),
        {"hostages_held_alive": 4, "hostages_held_dead": 1},
        "hostages_freed",
        {"hostages": 2, "bodies": 2, "how": "recovered"},
        ("resumed_strikes", "stalled_talks"),
        {
            "hostages_held_alive": (4, 3),
            "hostages_held_dead": (1, 0),
            "hostages_returned": (0, 2),
            "hostages_returned_dead": (0, 2),
        },
    ),
    # hostage_status_reported: any phase, stays
    fires(
        "hostage_status_reported-fires-report-of-early-march-2025",
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        END_OF_PHASE_ONE,
        "hostage_status_reported",
        {"dead": 35},
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        {"hostages_held_alive": (32, 24), "hostages_held_dead": (27, 35)},
    ),
    fires(
        "hostage_status_reported-fires-every-hostage-held-reported-dead",
        ("war",),
        {"hostages_held_alive": 3, "hostages_held_dead": 2},
        "hostage_status_reported",
        {"dead": 5},
        ("war",),
        {"hostages_held_alive": (3, 0), "hostages_held_dead": (2, 5)},
    ),
    # mediators_join / mediators_step_back: any phase, stay
    fires(
        "mediators_join-fires-three-mediators-of-january-2025",
        ("war",),
        {},
        "mediators_join",
        {"qatar": True, "egypt": True, "united_states": True},
        ("war",),
        {
            "qatar_role": ("none", "mediator"),
            "egypt_role": ("none", "mediator"),
            "us_role": ("none", "mediator"),
        },
    ),
    fires(
        "mediators_join-fires-turkey-beside-three-engaged",
        ("resumed_strikes", "mediated_talks"),
        THREE_MEDIATORS,
        "mediators_join",
        {"turkey": True},
        ("resumed_strikes", "mediated_talks"),
        {"turkey_role": ("none", "mediator")},
    ),
    fires(
        "mediators_step_back-fires-qatar-after-the-doha-strike",
        ("resumed_strikes",),
        THREE_MEDIATORS,
        "mediators_step_back",
        {"qatar": True},
        ("resumed_strikes",),
        {"qatar_role": ("mediator", "none")},
    ),
    # guarantors_sign: a stage of a deal; stays
    fires(
        "guarantors_sign-fires-four-at-sharm-el-sheikh",
        PHASE_ONE,
        FOUR_MEDIATORS,
        "guarantors_sign",
        {"qatar": True, "egypt": True, "united_states": True, "turkey": True},
        PHASE_ONE,
        {
            "qatar_role": ("mediator", "guarantor"),
            "egypt_role": ("mediator", "guarantor"),
            "us_role": ("mediator", "guarantor"),
            "turkey_role": ("mediator", "guarantor"),
        },
    ),
    # direct_channel_opened: any phase, stays
    fires(
        "direct_channel_opened-fires-channel-not-yet-open",
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        THREE_GUARANTORS,
        "direct_channel_opened",
        {},
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        {"direct_channel_open": (False, True)},
    ),
    # proposal_answered: any phase, stays
    fires(
        "proposal_answered-fires-hamas-rejects-the-extension",
        LAPSED,
        {"terms": "extension", "israel_answer": "accepted"},
        "proposal_answered",
        {"party": "hamas", "answer": "rejected"},
        LAPSED,
        {"hamas_answer": ("none", "rejected")},
    ),
    fires(
        "proposal_answered-fires-israel-approves-the-announced-deal",
        ("war", "mediated_talks"),
        {"terms": "truce", "hamas_answer": "accepted", "agreement": "phase_one"},
        "proposal_answered",
        {"party": "israel", "answer": "accepted"},
        ("war", "mediated_talks"),
        {"israel_answer": ("none", "accepted")},
    ),
    # talks_open: no_talks, stalled_talks -> mediated_talks
    fires(
        "talks_open-fires-doha-talks-with-mediators",
        ("war",),
        THREE_MEDIATORS,
        "talks_open",
        {},
        ("war", "mediated_talks"),
        {},
    ),
    fires(
        "talks_open-fires-stalled-talks-resume-with-one-mediator",
        ("resumed_strikes", "stalled_talks"),
        {"egypt_role": "mediator"},
        "talks_open",
        {},
        ("resumed_strikes", "mediated_talks"),
        {},
    ),
    # talks_stall: mediated_talks -> stalled_talks
    fires(
        "talks_stall-fires-positions-differ-in-a-ceasefire",
        LAPSED,
        {"israel_position": "extend_phase_one", "hamas_position": "phase_two_talks"},
        "talks_stall",
        {},
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        {},
    ),
    fires(
        "talks_stall-fires-answers-differ-in-war",
        ("resumed_strikes", "mediated_talks"),
        {"terms": "truce", "israel_answer": "accepted", "hamas_answer": "rejected"},
        "talks_stall",
        {},
        ("resumed_strikes", "stalled_talks"),
        {},
    ),
    # deal_announced: any phase, stays
    fires(
        "deal_announced-fires-phase-one-on-a-truce",
        ("war", "mediated_talks"),
        {**THREE_MEDIATORS, "terms": "truce", "hamas_answer": "accepted"},
        "deal_announced",
        {"kind": "phase_one"},
        ("war", "mediated_talks"),
        {"agreement": ("none", "phase_one")},
    ),
    fires(
        "deal_announced-fires-phase-one-on-a-plan-accepted-in-part",
        ("resumed_strikes", "mediated_talks"),
        {
            **FOUR_MEDIATORS,
            "terms": "plan",
            "israel_answer": "accepted",
            "hamas_answer": "accepted_in_part",
        },
        "deal_announced",
        {"kind": "phase_one"},
        ("resumed_strikes", "mediated_talks"),
        {"agreement": ("none", "phase_one")},
    ),
    fires(
        "deal_announced-fires-extension-on-an-extension",
        LAPSED,
        {**THREE_GUARANTORS, "terms": "extension", **BOTH_ACCEPT},
        "deal_announced",
        {"kind": "extension"},
        LAPSED,
        {"agreement": ("none", "extension")},
    ),
    fires(
        "deal_announced-fires-phase-two-on-the-plan",
        PHASE_ONE,
        {
            **JANUARY_2026,
            **FOUR_GUARANTORS,
            "terms": "plan",
            "israel_answer": "accepted",
            "hamas_answer": "accepted_in_part",
            "israel_position": "accept_phase_two",
        },
        "deal_announced",
        {"kind": "phase_two"},
        PHASE_ONE,
        {"agreement": ("none", "phase_two"), "withdrawal_agreed": (False, True)},
    ),
    fires(
        "deal_announced-fires-phase-two-on-phase-two-terms",
        PHASE_ONE,
        {**THREE_GUARANTORS, "terms": "phase_two"},
        "deal_announced",
        {"kind": "phase_two"},
        PHASE_ONE,
        {"agreement": ("none", "phase_two"), "withdrawal_agreed": (False, True)},
    ),
    # ceasefire_begins: war, resumed_strikes -> ceasefire and phase_one
    fires(
        "ceasefire_begins-fires-from-war-in-january-2025",
        ("war", "mediated_talks"),
        {
            **JANUARY_2025,
            **THREE_MEDIATORS,
            "terms": "truce",
            **BOTH_ACCEPT,
            "agreement": "phase_one",
            "rocket_fire": True,
        },
        "ceasefire_begins",
        {},
        PHASE_ONE,
        {
            "strikes_ongoing": (True, False),
            "rocket_fire": (True, False),
            "aid_entering": (False, True),
            "agreement": ("phase_one", "none"),
        },
    ),
    fires(
        "ceasefire_begins-fires-after-strikes-resumed-on-acceptance-in-part",
        ("resumed_strikes", "mediated_talks"),
        {
            **OCTOBER_2025,
            **FOUR_MEDIATORS,
            "terms": "plan",
            "israel_answer": "accepted",
            "hamas_answer": "accepted_in_part",
            "agreement": "phase_one",
            "aid_entering": True,
            "killed_since_ceasefire": 100,  # a toll kept from an earlier ceasefire
        },
        "ceasefire_begins",
        {},
        PHASE_ONE,
        {
            "strikes_ongoing": (True, False),
            "agreement": ("phase_one", "none"),
            "killed_since_ceasefire": (100, 0),
        },
    ),
    # phase_one_extended: phase_one, phase_one_lapsed -> extended_phase_one
    fires(
        "phase_one_extended-fires-after-the-lapse-both-accepting",
        LAPSED,
        {**THREE_GUARANTORS, "terms": "extension", **BOTH_ACCEPT, "agreement": "extension"},
        "phase_one_extended",
        {},
        ("ceasefire", "extended_phase_one", "mediated_talks"),
        {"agreement": ("extension", "none")},
    ),
    fires(
        "phase_one_extended-fires-before-the-lapse-accepted-in-part",
        PHASE_ONE,
        {
            "terms": "extension",
            "israel_answer": "accepted_in_part",
            "hamas_answer": "accepted",
            "agreement": "extension",
        },
        "phase_one_extended",
        {},
        ("ceasefire", "extended_phase_one", "mediated_talks"),
        {"agreement": ("extension", "none")},
    ),
    # phase_two_begins: phase_one, phase_one_lapsed, extended_phase_one -> phase_two
    fires(
        "phase_two_begins-fires-january-2026-accepted-in-part",
        PHASE_ONE,
        {
            **JANUARY_2026,
            **FOUR_GUARANTORS,
            "terms": "plan",
            "israel_answer": "accepted",
            "hamas_answer": "accepted_in_part",
            "israel_position": "accept_phase_two",
            "agreement": "phase_two",
            "withdrawal_agreed": True,
        },
        "phase_two_begins",
        {},
        PHASE_TWO,
        {"agreement": ("phase_two", "none")},
    ),
    fires(
        "phase_two_begins-fires-from-an-extended-phase-one",
        ("ceasefire", "extended_phase_one", "stalled_talks"),
        {"terms": "phase_two", **BOTH_ACCEPT, "agreement": "phase_two", "withdrawal_agreed": True},
        "phase_two_begins",
        {},
        ("ceasefire", "phase_two", "stalled_talks"),
        {"agreement": ("phase_two", "none")},
    ),
    # war_ends: phase_two -> end_of_war
    fires(
        "war_ends-fires-no-living-hostage-held-with-a-body-still-held",
        PHASE_TWO,
        {**JANUARY_2026, **FOUR_GUARANTORS, "withdrawal_agreed": True},
        "war_ends",
        {},
        ("ceasefire", "end_of_war", "mediated_talks"),
        {},
    ),
    # strikes_during_ceasefire / ceasefire_enforcement_resumed: ceasefire, stays
    fires(
        "strikes_during_ceasefire-fires-no-flare-up-under-way",
        PHASE_ONE,
        {**OCTOBER_2025, **FOUR_GUARANTORS},
        "strikes_during_ceasefire",
        {},
        PHASE_ONE,
        {"strikes_ongoing": (False, True)},
    ),
    fires(
        "ceasefire_enforcement_resumed-fires-after-a-flare-up",
        PHASE_ONE,
        {**OCTOBER_2025, **FOUR_GUARANTORS, "strikes_ongoing": True},
        "ceasefire_enforcement_resumed",
        {},
        PHASE_ONE,
        {"strikes_ongoing": (True, False)},
    ),
    # rocket_fire_resumes: any phase, stays
    fires(
        "rocket_fire_resumes-fires-rockets-had-stopped",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "rocket_fire_resumes",
        {},
        ("resumed_strikes", "stalled_talks"),
        {"rocket_fire": (False, True)},
    ),
    # casualties_reported: any phase, stays
    fires(
        "casualties_reported-fires-the-war-toll",
        ("resumed_strikes", "stalled_talks"),
        {"killed_since_strikes_resumed": 673},
        "casualties_reported",
        {"measure": "war", "killed": 50_021},
        ("resumed_strikes", "stalled_talks"),
        {"killed_in_war_reported": (0, 50_021)},
    ),
    fires(
        "casualties_reported-fires-the-toll-since-strikes-resumed-unchanged",
        ("resumed_strikes", "mediated_talks"),
        {"killed_in_war_reported": 50_021, "killed_since_strikes_resumed": 896},
        "casualties_reported",
        {"measure": "since_strikes_resumed", "killed": 896},
        ("resumed_strikes", "mediated_talks"),
        {},
    ),
    fires(
        "casualties_reported-fires-the-toll-since-the-ceasefire",
        PHASE_TWO,
        {"killed_since_ceasefire": 386},
        "casualties_reported",
        {"measure": "since_ceasefire", "killed": 448},
        PHASE_TWO,
        {"killed_since_ceasefire": (386, 448)},
    ),
    # territory_seized / offensive_escalated: war, resumed_strikes; stay
    fires(
        "territory_seized-fires-as-threatened",
        ("resumed_strikes", "stalled_talks"),
        {"seizure_threatened": True},
        "territory_seized",
        {},
        ("resumed_strikes", "stalled_talks"),
        {"territory_seized": (False, True)},
    ),
    fires(
        "offensive_escalated-fires-a-new-ground-operation",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "offensive_escalated",
        {},
        ("resumed_strikes", "stalled_talks"),
        {"offensive_escalations": (0, 1)},
    ),
    fires(
        "offensive_escalated-fires-up-to-capacity",
        ("war",),
        {"offensive_escalations": 99},
        "offensive_escalated",
        {},
        ("war",),
        {"offensive_escalations": (99, 100)},
    ),
    # forces_pulled_back: ceasefire, stays
    fires(
        "forces_pulled_back-fires-to-the-yellow-line",
        PHASE_ONE,
        {**OCTOBER_2025, **FOUR_MEDIATORS, "terms": "plan"},
        "forces_pulled_back",
        {},
        PHASE_ONE,
        {"forces_at_agreed_line": (False, True)},
    ),
    # endorsed: any phase, stays
    fires(
        "endorsed-fires-resolution-2803-on-the-plan-in-force",
        PHASE_ONE,
        {**NOVEMBER_2025, **FOUR_GUARANTORS, "terms": "plan"},
        "endorsed",
        {"body": "un_security_council"},
        PHASE_ONE,
        {"un_endorsed": (False, True)},
    ),
    fires(
        "endorsed-fires-terms-on-the-table-without-a-deal",
        ("resumed_strikes", "mediated_talks"),
        {"terms": "plan"},
        "endorsed",
        {"body": "un_security_council"},
        ("resumed_strikes", "mediated_talks"),
        {"un_endorsed": (False, True)},
    ),
    fires(
        "endorsed-fires-a-deal-in-force-without-terms-on-the-table",
        PHASE_TWO,
        {},
        "endorsed",
        {"body": "board_of_peace"},
        PHASE_TWO,
        {"board_of_peace_chartered": (False, True)},
    ),
]

# Events without guards: they fire in any phase their `from` allows, and only their effects and
# the phases they move to matter.
FIRES_UNGUARDED = [
    fires(
        "position_declared-fires-sets-only-israel-position",
        PHASE_ONE,
        {"hamas_position": "phase_two_talks"},
        "position_declared",
        {"party": "israel", "position": "accept_phase_two"},
        PHASE_ONE,
        {"israel_position": ("undeclared", "accept_phase_two")},
    ),
    fires(
        "position_declared-fires-sets-only-hamas-position",
        LAPSED,
        {"israel_position": "extend_phase_one"},
        "position_declared",
        {"party": "hamas", "position": "phase_two_talks"},
        LAPSED,
        {"hamas_position": ("undeclared", "phase_two_talks")},
    ),
    fires(
        "proposal_made-fires-mediator-proposal-clears-both-answers",
        LAPSED,
        {"terms": "truce", **BOTH_ACCEPT},
        "proposal_made",
        {"offer": "extension", "by": "mediator"},
        LAPSED,
        {
            "terms": ("truce", "extension"),
            "israel_answer": ("accepted", "none"),
            "hamas_answer": ("accepted", "none"),
        },
    ),
    fires(
        "proposal_made-fires-israel-accepts-its-own-proposal",
        ("resumed_strikes", "mediated_talks"),
        {"terms": "truce", "hamas_answer": "accepted"},
        "proposal_made",
        {"offer": "truce", "by": "israel"},
        ("resumed_strikes", "mediated_talks"),
        {"israel_answer": ("none", "accepted"), "hamas_answer": ("accepted", "none")},
    ),
    fires(
        "talks_broken_off-fires-from-stalled-talks",
        ("war", "stalled_talks"),
        {},
        "talks_broken_off",
        {},
        ("war", "no_talks"),
        {},
    ),
    fires(
        "negotiators_struck-fires-and-ends-the-round",
        ("resumed_strikes", "stalled_talks"),
        THREE_MEDIATORS,
        "negotiators_struck",
        {},
        ("resumed_strikes", "no_talks"),
        {},
    ),
    fires(
        "phase_one_expires-fires-and-the-ceasefire-holds",
        PHASE_ONE,
        {**END_OF_PHASE_ONE, **THREE_GUARANTORS},
        "phase_one_expires",
        {},
        LAPSED,
        {},
    ),
    fires(
        "strikes_resume-fires-and-guarantors-become-mediators",
        LAPSED,
        {
            **MARCH_2025,
            **THREE_GUARANTORS,
            "terms": "extension",
            "hamas_answer": "accepted_in_part",
            "direct_channel_open": True,
        },
        "strikes_resume",
        {},
        ("resumed_strikes", "no_deal", "mediated_talks"),
        {
            "strikes_ongoing": (False, True),
            "qatar_role": ("guarantor", "mediator"),
            "egypt_role": ("guarantor", "mediator"),
            "us_role": ("guarantor", "mediator"),
        },
    ),
    fires(
        "strikes_resume-fires-and-voids-the-announced-deal-and-the-line",
        PHASE_ONE,
        {
            **FOUR_GUARANTORS,
            "forces_at_agreed_line": True,
            "agreement": "phase_two",
            "withdrawal_agreed": True,
            "killed_since_strikes_resumed": 896,
        },
        "strikes_resume",
        {},
        ("resumed_strikes", "no_deal", "mediated_talks"),
        {
            "strikes_ongoing": (False, True),
            "killed_since_strikes_resumed": (896, 0),
            "agreement": ("phase_two", "none"),
            "withdrawal_agreed": (True, False),
            "forces_at_agreed_line": (True, False),
            "qatar_role": ("guarantor", "mediator"),
            "egypt_role": ("guarantor", "mediator"),
            "us_role": ("guarantor", "mediator"),
            "turkey_role": ("guarantor", "mediator"),
        },
    ),
    fires(
        "targeted_strike-fires-changes-nothing",
        PHASE_ONE,
        JANUARY_2026,
        "targeted_strike",
        {},
        PHASE_ONE,
        {},
    ),
    fires(
        "attack_on_forces-fires-changes-nothing",
        PHASE_ONE,
        OCTOBER_2025,
        "attack_on_forces",
        {},
        PHASE_ONE,
        {},
    ),
    fires(
        "access_changed-fires-closes-crossings-and-stops-aid",
        LAPSED,
        {"crossings_open": True, "aid_entering": True},
        "access_changed",
        {"crossings": False, "aid": False},
        LAPSED,
        {"crossings_open": (True, False), "aid_entering": (True, False)},
    ),
    fires(
        "electricity_supply_changed-fires-cuts-the-supply",
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        {},
        "electricity_supply_changed",
        {"cut": True},
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        {"electricity_cut": (False, True)},
    ),
    fires(
        "threat_made-fires-israel-threat-to-seize-territory-recorded",
        ("resumed_strikes", "stalled_talks"),
        {},
        "threat_made",
        {"party": "israel", "threat": "seize_territory"},
        ("resumed_strikes", "stalled_talks"),
        {"seizure_threatened": (False, True)},
    ),
    fires(
        "threat_made-fires-hamas-warning-changes-nothing",
        ("resumed_strikes", "stalled_talks"),
        {},
        "threat_made",
        {"party": "hamas", "threat": "warning_about_hostages"},
        ("resumed_strikes", "stalled_talks"),
        {},
    ),
]

REFUSED = [
    # hostages_seized
    refused(
        "hostages_seized-refused-more-dead-than-seized",
        ("war",),
        {},
        "hostages_seized",
        {"count": 2, "dead": 3},
        "dead_among_seized",
    ),
    refused(
        "hostages_seized-refused-beyond-hostage-capacity",
        ("war",),
        {"hostages_held_alive": 900},
        "hostages_seized",
        {"count": 101},
        "within_hostage_capacity",
    ),
    # exchange
    refused(
        "exchange-refused-more-bodies-than-hostages",
        PHASE_ONE,
        EIGHTH_EXCHANGE,
        "exchange",
        {"hostages": 1, "bodies": 2, "prisoners": 30},
        "bodies_among_hostages",
    ),
    refused(
        "exchange-refused-more-living-than-held",
        PHASE_ONE,
        OCTOBER_2025,
        "exchange",
        {"hostages": 21, "prisoners": 1968},
        "no_more_than_held",
    ),
    refused(
        "exchange-refused-more-than-held-counting-bodies",
        ("ceasefire", "extended_phase_one"),
        {"hostages_held_alive": 3, "hostages_held_dead": 2},
        "exchange",
        {"hostages": 5, "bodies": 1, "prisoners": 200},
        "no_more_than_held",
    ),
    refused(
        "exchange-refused-more-held-since-before-the-war-than-held",
        PHASE_ONE,
        EIGHTH_EXCHANGE,
        "exchange",
        {"hostages": 2, "from_before_the_war": 2, "prisoners": 0},
        "held_since_before_the_war_among_them",
    ),
    refused(
        "exchange-refused-more-seized-in-the-war-than-held",
        ("ceasefire", "phase_two"),
        {"hostages_held_alive": 2, "held_from_before_the_war": 2},
        "exchange",
        {"hostages": 2, "prisoners": 0},
        "held_since_before_the_war_among_them",
    ),
    refused(
        "exchange-refused-more-withheld-freed-than-withheld",
        PHASE_ONE,
        EIGHTH_EXCHANGE,
        "exchange",
        {"hostages": 4, "bodies": 4, "prisoners": 643, "withheld_freed": 621},
        "withheld_freed_were_withheld",
    ),
    refused(
        "exchange-refused-more-withheld-freed-than-freed-now",
        PHASE_ONE,
        EIGHTH_EXCHANGE,
        "exchange",
        {"hostages": 4, "bodies": 4, "prisoners": 600, "withheld_freed": 620},
        "withheld_freed_were_withheld",
    ),
    refused(
        "exchange-refused-beyond-prisoner-capacity",
        ("ceasefire", "phase_two"),
        {"hostages_held_alive": 10, "prisoners_released": 99_950},
        "exchange",
        {"hostages": 3, "prisoners": 51},
        "within_prisoner_capacity",
    ),
    refused(
        "exchange-refused-beyond-withheld-capacity",
        ("ceasefire", "phase_two"),
        {"hostages_held_alive": 10, "prisoners_withheld": 99_990},
        "exchange",
        {"hostages": 3, "prisoners": 50, "withheld": 11},
        "within_prisoner_capacity",
    ),
    # hostages_freed
    refused(
        "hostages_freed-refused-more-bodies-than-hostages",
        ("war",),
        {"hostages_held_alive": 5, "hostages_held_dead": 2},
        "hostages_freed",
        {"hostages": 1, "bodies": 2},
        "bodies_among_hostages",
    ),
    refused(
        "hostages_freed-refused-more-living-than-held",
        ("war",),
        {"hostages_held_alive": 4, "hostages_held_dead": 2},
        "hostages_freed",
        {"hostages": 5, "how": "rescued"},
        "no_more_than_held",
    ),
    refused(
        "hostages_freed-refused-more-than-held-counting-bodies",
        ("resumed_strikes", "stalled_talks"),
        {"hostages_held_alive": 3, "hostages_held_dead": 2},
        "hostages_freed",
        {"hostages": 5, "bodies": 1},
        "no_more_than_held",
    ),
    refused(
        "hostages_freed-refused-none-held-since-before-the-war",
        PHASE_TWO,
        {**JANUARY_2026, **FOUR_GUARANTORS},
        "hostages_freed",
        {"hostages": 1, "bodies": 1, "from_before_the_war": 1, "how": "handed_over"},
        "held_since_before_the_war_among_them",
    ),
    refused(
        "hostages_freed-refused-direct-channel-not-open",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "hostages_freed",
        {"hostages": 1, "how": "released_via_direct_channel"},
        "direct_channel_needed",
    ),
    refused(
        "hostages_freed-refused-handed-over-without-a-deal",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "hostages_freed",
        {"hostages": 1, "bodies": 1, "how": "handed_over"},
        "hand_over_under_a_deal",
    ),
    refused(
        "hostages_freed-refused-a-rescue-of-a-body",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "hostages_freed",
        {"hostages": 1, "bodies": 1, "how": "rescued"},
        "rescue_is_of_the_living",
    ),
    refused(
        "hostages_freed-refused-a-recovery-of-the-living",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "hostages_freed",
        {"hostages": 3, "bodies": 2, "how": "recovered"},
        "recovery_is_of_the_dead",
    ),
    # hostage_status_reported
    refused(
        "hostage_status_reported-refused-more-dead-than-held",
        ("ceasefire", "phase_one_lapsed", "stalled_talks"),
        END_OF_PHASE_ONE,
        "hostage_status_reported",
        {"dead": 60},
        "no_more_dead_than_held",
    ),
    # mediators_join / mediators_step_back
    refused(
        "mediators_join-refused-naming-no-mediator",
        ("war",),
        {},
        "mediators_join",
        {},
        "names_a_mediator",
    ),
    refused(
        "mediators_join-refused-qatar-already-engaged",
        ("resumed_strikes", "mediated_talks"),
        THREE_MEDIATORS,
        "mediators_join",
        {"qatar": True, "turkey": True},
        "not_already_engaged",
    ),
    refused(
        "mediators_step_back-refused-naming-no-mediator",
        ("resumed_strikes",),
        THREE_MEDIATORS,
        "mediators_step_back",
        {},
        "names_a_mediator",
    ),
    refused(
        "mediators_step_back-refused-turkey-not-engaged",
        ("resumed_strikes",),
        THREE_MEDIATORS,
        "mediators_step_back",
        {"qatar": True, "turkey": True},
        "mediators_present",
    ),
    # guarantors_sign
    refused(
        "guarantors_sign-refused-naming-no-guarantor",
        PHASE_ONE,
        FOUR_MEDIATORS,
        "guarantors_sign",
        {},
        "names_a_guarantor",
    ),
    # direct_channel_opened
    refused(
        "direct_channel_opened-refused-channel-already-open",
        ("resumed_strikes", "stalled_talks"),
        {"direct_channel_open": True},
        "direct_channel_opened",
        {},
        "not_already_open",
    ),
    # proposal_answered
    refused(
        "proposal_answered-refused-no-terms-on-the-table",
        ("war", "mediated_talks"),
        THREE_MEDIATORS,
        "proposal_answered",
        {"party": "hamas", "answer": "accepted"},
        "terms_on_the_table",
    ),
    # talks_open
    refused(
        "talks_open-refused-no-mediator-engaged",
        ("resumed_strikes",),
        {},
        "talks_open",
        {},
        "mediators_needed",
    ),
    # talks_stall
    refused(
        "talks_stall-refused-positions-and-answers-agree",
        PHASE_ONE,
        {"israel_position": "extend_phase_one", "hamas_position": "extend_phase_one"},
        "talks_stall",
        {},
        "parties_disagree",
    ),
    # deal_announced
    refused(
        "deal_announced-refused-no-mediator-engaged",
        ("war", "mediated_talks"),
        {"terms": "truce", "hamas_answer": "accepted"},
        "deal_announced",
        {"kind": "phase_one"},
        "mediated_agreement",
    ),
    refused(
        "deal_announced-refused-phase-one-on-extension-terms",
        LAPSED,
        {**THREE_GUARANTORS, "terms": "extension", **BOTH_ACCEPT},
        "deal_announced",
        {"kind": "phase_one"},
        "terms_fit_the_deal",
    ),
    refused(
        "deal_announced-refused-phase-two-on-a-truce",
        PHASE_ONE,
        {**THREE_GUARANTORS, "terms": "truce", **BOTH_ACCEPT},
        "deal_announced",
        {"kind": "phase_two"},
        "terms_fit_the_deal",
    ),
    refused(
        "deal_announced-refused-extension-rejected-by-hamas",
        LAPSED,
        {
            **THREE_GUARANTORS,
            "terms": "extension",
            "israel_answer": "accepted",
            "hamas_answer": "rejected",
        },
        "deal_announced",
        {"kind": "extension"},
        "not_rejected",
    ),
    # ceasefire_begins
    refused(
        "ceasefire_begins-refused-no-phase-one-announced",
        ("war", "mediated_talks"),
        {**THREE_MEDIATORS, "terms": "truce", **BOTH_ACCEPT},
        "ceasefire_begins",
        {},
        "phase_one_agreed",
    ),
    refused(
        "ceasefire_begins-refused-before-israel-approves",
        ("war", "mediated_talks"),
        {
            **THREE_MEDIATORS,
            "terms": "truce",
            "hamas_answer": "accepted",
            "agreement": "phase_one",
        },
        "ceasefire_begins",
        {},
        "both_parties_accept",
    ),
    refused(
        "ceasefire_begins-refused-hamas-rejects",
        ("resumed_strikes", "mediated_talks"),
        {
            **FOUR_MEDIATORS,
            "terms": "plan",
            "israel_answer": "accepted",
            "hamas_answer": "rejected",
            "agreement": "phase_one",
        },
        "ceasefire_begins",
        {},
        "both_parties_accept",
    ),
    # phase_one_extended
    refused(
        "phase_one_extended-refused-no-extension-announced",
        LAPSED,
        {**THREE_GUARANTORS, "terms": "extension", **BOTH_ACCEPT},
        "phase_one_extended",
        {},
        "extension_agreed",
    ),
    refused(
        "phase_one_extended-refused-hamas-rejects-the-extension",
        LAPSED,
        {
            **THREE_GUARANTORS,
            "terms": "extension",
            "israel_answer": "accepted",
            "hamas_answer": "rejected",
            "agreement": "extension",
        },
        "phase_one_extended",
        {},
        "both_parties_accept",
    ),
    # phase_two_begins
    refused(
        "phase_two_begins-refused-no-phase-two-announced",
        PHASE_ONE,
        {**JANUARY_2026, **FOUR_GUARANTORS, "terms": "plan", **BOTH_ACCEPT},
        "phase_two_begins",
        {},
        "phase_two_agreed",
    ),
    refused(
        "phase_two_begins-refused-hamas-rejects-disarmament",
        PHASE_ONE,
        {
            **JANUARY_2026,
            **FOUR_GUARANTORS,
            "terms": "plan",
            "israel_answer": "accepted",
            "hamas_answer": "rejected",
            "agreement": "phase_two",
            "withdrawal_agreed": True,
        },
        "phase_two_begins",
        {},
        "both_parties_accept",
    ),
    # war_ends
    refused(
        "war_ends-refused-a-living-hostage-held",
        PHASE_TWO,
        {"hostages_held_alive": 1, "hostages_returned": 254, "withdrawal_agreed": True},
        "war_ends",
        {},
        "all_living_hostages_freed",
    ),
    refused(
        "war_ends-refused-withdrawal-not-agreed",
        PHASE_TWO,
        {**JANUARY_2026, **FOUR_GUARANTORS, "withdrawal_agreed": False},
        "war_ends",
        {},
        "withdrawal_agreed_first",
    ),
    # strikes_during_ceasefire / ceasefire_enforcement_resumed
    refused(
        "strikes_during_ceasefire-refused-flare-up-already-under-way",
        PHASE_ONE,
        {**OCTOBER_2025, "strikes_ongoing": True},
        "strikes_during_ceasefire",
        {},
        "no_flare_up_under_way",
    ),
    refused(
        "ceasefire_enforcement_resumed-refused-no-flare-up",
        PHASE_ONE,
        {**OCTOBER_2025, "strikes_ongoing": False},
        "ceasefire_enforcement_resumed",
        {},
        "flare_up_under_way",
    ),
    # rocket_fire_resumes
    refused(
        "rocket_fire_resumes-refused-rockets-already-fired",
        ("resumed_strikes", "stalled_talks"),
        {"rocket_fire": True},
        "rocket_fire_resumes",
        {},
        "rockets_had_stopped",
    ),
    # casualties_reported
    refused(
        "casualties_reported-refused-toll-since-strikes-resumed-in-a-ceasefire",
        PHASE_ONE,
        {"killed_since_strikes_resumed": 896},
        "casualties_reported",
        {"measure": "since_strikes_resumed", "killed": 900},
        "measure_fits_the_fighting",
    ),
    refused(
        "casualties_reported-refused-toll-since-the-ceasefire-in-war",
        ("resumed_strikes", "mediated_talks"),
        {},
        "casualties_reported",
        {"measure": "since_ceasefire", "killed": 404},
        "measure_fits_the_fighting",
    ),
    refused(
        "casualties_reported-refused-war-toll-falls",
        ("resumed_strikes", "mediated_talks"),
        {"killed_in_war_reported": 50_021},
        "casualties_reported",
        {"measure": "war", "killed": 50_020},
        "toll_does_not_fall",
    ),
    refused(
        "casualties_reported-refused-toll-since-the-ceasefire-falls",
        PHASE_TWO,
        {"killed_since_ceasefire": 386},
        "casualties_reported",
        {"measure": "since_ceasefire", "killed": 385},
        "toll_does_not_fall",
    ),
    # territory_seized
    refused(
        "territory_seized-refused-no-threat-first",
        ("resumed_strikes", "stalled_talks"),
        {"seizure_threatened": False},
        "territory_seized",
        {},
        "threatened_first",
    ),
    # offensive_escalated
    refused(
        "offensive_escalated-refused-beyond-capacity",
        ("war",),
        {"offensive_escalations": 100},
        "offensive_escalated",
        {},
        "within_escalation_capacity",
    ),
    # forces_pulled_back
    refused(
        "forces_pulled_back-refused-forces-already-at-the-line",
        PHASE_ONE,
        {**OCTOBER_2025, "forces_at_agreed_line": True},
        "forces_pulled_back",
        {},
        "not_already_back",
    ),
    # endorsed
    refused(
        "endorsed-refused-no-terms-and-no-deal",
        ("resumed_strikes", "no_talks"),
        {"terms": "none"},
        "endorsed",
        {"body": "un_security_council"},
        "something_to_endorse",
    ),
]

# Events fired from phases outside their `from`, in states where every guard would pass (but
# where the invariants make that impossible: `guards_pass=False`, and the phases alone are named).
REFUSED_BY_PHASES = [
    refused_by_phases(
        "exchange-refused-without-a-deal-in-force",
        ("resumed_strikes", "stalled_talks"),
        MARCH_2025,
        "exchange",
        {"hostages": 3, "prisoners": 90},
        {"deal": "no_deal"},
    ),
    refused_by_phases(
        "exchange-refused-after-phase-one-lapsed",
        LAPSED,
        MARCH_2025,
        "exchange",
        {"hostages": 3, "prisoners": 90},
        {"deal": "phase_one_lapsed"},
    ),
    refused_by_phases(
        "guarantors_sign-refused-without-a-deal-in-force",
        ("resumed_strikes", "mediated_talks"),
        FOUR_MEDIATORS,
        "guarantors_sign",
        {"qatar": True},
        {"deal": "no_deal"},
    ),
    refused_by_phases(
        "talks_open-refused-talks-already-open",
        ("war", "mediated_talks"),
        THREE_MEDIATORS,
        "talks_open",
        {},
        {"talks": "mediated_talks"},
    ),
    refused_by_phases(
        "talks_stall-refused-without-talks",
        ("resumed_strikes", "no_talks"),
        {"israel_position": "extend_phase_one", "hamas_position": "phase_two_talks"},
        "talks_stall",
        {},
        {"talks": "no_talks"},
    ),
    refused_by_phases(
        "talks_broken_off-refused-without-talks",
        ("war", "no_talks"),
        {},
        "talks_broken_off",
        {},
        {"talks": "no_talks"},
    ),
    refused_by_phases(
        "ceasefire_begins-refused-during-a-ceasefire",
        LAPSED,
        {**THREE_GUARANTORS, "terms": "truce", **BOTH_ACCEPT, "agreement": "phase_one"},
        "ceasefire_begins",
        {},
        {"fighting": "ceasefire", "deal": "phase_one_lapsed"},
    ),
    refused_by_phases(
        "phase_one_expires-refused-after-an-extension",
        ("ceasefire", "extended_phase_one"),
        {},
        "phase_one_expires",
        {},
        {"deal": "extended_phase_one"},
    ),
    refused_by_phases(
        "phase_one_extended-refused-during-phase-two",
        PHASE_TWO,
        {"terms": "extension", **BOTH_ACCEPT, "agreement": "extension"},
        "phase_one_extended",
        {},
        {"deal": "phase_two"},
    ),
    refused_by_phases(
        "phase_two_begins-refused-without-a-phase-one",
        ("war", "mediated_talks"),
        {**THREE_MEDIATORS, "terms": "phase_two", **BOTH_ACCEPT, "agreement": "phase_two"},
        "phase_two_begins",
        {},
        {"deal": "no_deal"},
    ),
    refused_by_phases(
        "war_ends-refused-before-phase-two",
        PHASE_ONE,
        {**JANUARY_2026, **FOUR_GUARANTORS, "agreement": "phase_two", "withdrawal_agreed": True},
        "war_ends",
        {},
        {"deal": "phase_one"},
    ),
    refused_by_phases(
        "strikes_resume-refused-strikes-already-resumed",
        ("resumed_strikes", "mediated_talks"),
        MARCH_2025,
        "strikes_resume",
        {},
        {"fighting": "resumed_strikes", "deal": "no_deal"},
    ),
    refused_by_phases(
        "strikes_during_ceasefire-refused-in-war",
        ("war",),
        {},
        "strikes_during_ceasefire",
        {},
        {"fighting": "war"},
        guards_pass=False,  # outside a ceasefire, strikes are always under way
    ),
    refused_by_phases(
        "ceasefire_enforcement_resumed-refused-in-war",
        ("resumed_strikes",),
        {},
        "ceasefire_enforcement_resumed",
        {},
        {"fighting": "resumed_strikes"},
    ),
    refused_by_phases(
        "targeted_strike-refused-outside-a-ceasefire",
        ("resumed_strikes",),
        {},
        "targeted_strike",
        {},
        {"fighting": "resumed_strikes"},
    ),
    refused_by_phases(
        "attack_on_forces-refused-outside-a-ceasefire",
        ("war",),
        {},
        "attack_on_forces",
        {},
        {"fighting": "war"},
    ),
    refused_by_phases(
        "territory_seized-refused-during-a-ceasefire",
        PHASE_ONE,
        {"seizure_threatened": True},
        "territory_seized",
        {},
        {"fighting": "ceasefire"},
    ),
    refused_by_phases(
        "offensive_escalated-refused-during-a-ceasefire",
        LAPSED,
        {"offensive_escalations": 1},
        "offensive_escalated",
        {},
        {"fighting": "ceasefire"},
    ),
    refused_by_phases(
        "forces_pulled_back-refused-in-war",
        ("war", "mediated_talks"),
        {},
        "forces_pulled_back",
        {},
        {"fighting": "war"},
    ),
    # `from: any` is every phase but a final one: after the war ends, nothing fires.
    refused_by_phases(
        "hostages_seized-refused-after-the-war-ended",
        ("ceasefire", "end_of_war"),
        {**JANUARY_2026, "withdrawal_agreed": True},
        "hostages_seized",
        {"count": 1},
        {"fighting": "ceasefire", "deal": "end_of_war", "talks": "no_talks"},
    ),
    refused_by_phases(
        "mediators_join-refused-after-the-war-ended",
        ("ceasefire", "end_of_war", "mediated_talks"),
        {**JANUARY_2026, "withdrawal_agreed": True},
        "mediators_join",
        {"qatar": True},
        {"fighting": "ceasefire", "deal": "end_of_war", "talks": "mediated_talks"},
    ),
]


@pytest.mark.parametrize(
    ("phases", "ledger", "event", "params", "phases_after", "changes"), FIRES + FIRES_UNGUARDED
)
def test_event_fires_when_its_guards_pass(
    phases: Sequence[str],
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    phases_after: Sequence[str],
    changes: Mapping[str, tuple[Value, Value]],
) -> None:
    machine = machine_at(phases, ledger)
    before = machine.state

    step = machine.fire(event, params)

    assert step.before == before
    assert dict(step.after.phases) == MODEL.configuration(list(phases_after))
    assert step.changes() == changes
    assert machine.state == step.after
    assert [(outcome.guard, outcome.passed) for outcome in step.guards] == [
        (guard.name, True) for guard in MODEL.events[event].guards
    ]
    assert broken_invariants(step.after) == []


@pytest.mark.parametrize(("phases", "ledger", "event", "params", "guard"), REFUSED)
def test_event_refused_by_the_one_guard_that_fails(
    phases: Sequence[str],
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    guard: str,
) -> None:
    machine = machine_at(phases, ledger)
    before = machine.state
    reason = next(g.reason for g in MODEL.events[event].guards if g.name == guard)

    with pytest.raises(RefusedEvent) as refusal:
        machine.fire(event, params)

    refused = refusal.value.outcome
    assert (refused.event, refused.state, refused.reason) == (event, before, reason)
    assert refused.rule == Rule("guard", guard)
    assert [outcome.guard for outcome in refused.refusals] == [guard]
    assert refused.refusals[0].exempt == ""  # the guard applied to this firing
    assert machine.state == before
    assert machine.explain(event, params).allowed is False


@pytest.mark.parametrize(
    ("phases", "ledger", "event", "params", "values", "guards_pass"), REFUSED_BY_PHASES
)
def test_event_refused_outside_its_allowed_phases(
    phases: Sequence[str],
    ledger: Mapping[str, Value],
    event: str,
    params: Mapping[str, Any],
    values: Mapping[str, str],
    guards_pass: bool,
) -> None:
    machine = machine_at(phases, ledger)
    before = machine.state
    definition = MODEL.events[event]
    full_params = machine.params_for(event, params)
    assert not definition.allows(before.phases)
    judged = [
        evaluate_in(MODEL, g.expression, before.phases, before.ledger, full_params)
        for g in definition.guards
    ]
    assert all(judged) is guards_pass

    with pytest.raises(RefusedEvent) as refusal:
        machine.fire(event, params)

    refused = refusal.value.outcome
    assert (refused.event, refused.state) == (event, before)
    assert refused.rule == Rule("phase", ALLOWED_PHASES)
    assert [outcome.guard for outcome in refused.refusals] == [ALLOWED_PHASES]
    assert dict(refused.values) == values
    assert set(values) == set(definition.requires)
    assert machine.state == before


# `hostages_freed` says how the hostages came home; a guard about one way does not apply to the
# others, and is shown as not applying (while it still passes, and the step lists it).
HOW_FREED = {
    "direct_channel_needed": "how != 'released_via_direct_channel'",
    "hand_over_under_a_deal": "how != 'handed_over'",
    "rescue_is_of_the_living": "how != 'rescued'",
    "recovery_is_of_the_dead": "how != 'recovered'",
}


@pytest.mark.parametrize(
    ("params", "applies"),
    [
        pytest.param({"hostages": 1}, None, id="not_reported"),
        pytest.param({"hostages": 1, "how": "released"}, None, id="released"),
        pytest.param(
            {"hostages": 1, "how": "released_via_direct_channel"},
            "direct_channel_needed",
            id="released_via_direct_channel",
        ),
        pytest.param(
            {"hostages": 1, "bodies": 1, "how": "handed_over"},
            "hand_over_under_a_deal",
            id="handed_over",
        ),
        pytest.param({"hostages": 1, "how": "rescued"}, "rescue_is_of_the_living", id="rescued"),
        pytest.param(
            {"hostages": 1, "bodies": 1, "how": "recovered"},
            "recovery_is_of_the_dead",
            id="recovered",
        ),
    ],
)
def test_a_guard_on_another_way_home_does_not_apply(
    params: Mapping[str, Any], applies: str | None
) -> None:
    machine = machine_at(PHASE_ONE, {**OCTOBER_2025, "direct_channel_open": True})

    step = machine.fire("hostages_freed", params)

    assert [outcome.guard for outcome in step.guards] == [
        guard.name for guard in MODEL.events["hostages_freed"].guards
    ]
    assert all(outcome.passed for outcome in step.guards)
    assert {outcome.guard: outcome.exempt for outcome in step.guards if outcome.exempt} == {
        guard: exempt for guard, exempt in HOW_FREED.items() if guard != applies
    }


def test_every_guard_is_pinned_both_ways() -> None:
    guards = {(e.name, g.name) for e in MODEL.events.values() for g in e.guards}
    refused_guards = {(case.values[2], case.values[4]) for case in REFUSED}
    fired_events = {case.values[2] for case in FIRES}
    unguarded = {case.values[2] for case in FIRES_UNGUARDED}
    refused_by_phases = {case.values[2] for case in REFUSED_BY_PHASES}
    narrow = {e.name for e in MODEL.events.values() if set(e.from_phases) != ANY_PHASE}
    applied = set()  # the guards that applied (not exempt) and passed in a case that fires
    for case in FIRES:
        phases, ledger, event, params = case.values[:4]
        step = machine_at(phases, ledger).fire(event, params)
        applied |= {(event, g.guard) for g in step.guards if g.passed and not g.exempt}

    assert refused_guards == guards
    assert applied == guards
    assert fired_events == {event for event, _ in guards}
    assert unguarded == {e.name for e in MODEL.events.values() if not e.guards}
    assert narrow <= refused_by_phases


def test_model_declares_its_eight_invariants() -> None:
    assert [invariant.name for invariant in MODEL.invariants] == [
        "counts_not_negative",
        "hostages_accounted_for",
        "held_from_before_the_war_among_the_held",
        "bodies_among_the_returned",
        "a_deal_only_under_a_ceasefire",
        "strikes_outside_a_ceasefire",
        "guarantors_of_a_deal_in_force",
        "war_ends_with_hostages_home",
    ]


@pytest.mark.parametrize("invariant", [inv.name for inv in MODEL.invariants])
def test_invariant_holds_on_the_initial_state(invariant: str) -> None:
    state = Machine(MODEL).state
    expression = next(inv.expression for inv in MODEL.invariants if inv.name == invariant)

    assert dict(state.phases) == {"fighting": "war", "deal": "no_deal", "talks": "no_talks"}
    assert evaluate_in(MODEL, expression, state.phases, state.ledger) is True
