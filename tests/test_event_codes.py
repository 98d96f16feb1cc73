"""The shipped CAMEO and PLOVER code lists, and the checks scenario and model files rely on."""

from __future__ import annotations

import doctest
from importlib.resources import files

import pytest

from negotiation.errors import FileError
from negotiation.rules import event_codes
from negotiation.rules.event_codes import (
    cameo_codes,
    cameo_name,
    check_cameo,
    check_plover,
    plover_auxiliary_modes,
    plover_contexts,
    plover_event_types,
    plover_modes,
)

# The CAMEO codes named in the analysts' reference (shared/reference/analyst-practice.md), with the
# codebook's own wording of the meaning given there.
ANALYST_CAMEO = {
    "036": "Express intent to meet or negotiate",
    "038": "Express intent to accept mediation",
    "039": "Express intent to mediate",
    "044": 'Meet at a "third" location',
    "045": "Mediate",
    "046": "Engage in negotiation",
    "057": "Sign formal agreement",
    "0353": "Express intent to release persons or property",
    "0841": "Return, release person(s)",
    "073": "Provide humanitarian aid",
    "0863": "Allow humanitarian access",
    "0356": "Express intent to de-escalate military engagement",
    "0871": "Declare truce, ceasefire",
    "0872": "Ease military blockade",
    "0874": "Retreat or surrender militarily",
    "1053": "Demand release of persons or property",
    "106": "Demand meeting, negotiation",
    "125": "Reject proposal to meet, discuss, or negotiate",
    "127": "Reject plan, agreement to settle dispute",
    "1246": "Refuse to de-escalate military engagement",
    "134": "Threaten to halt negotiations",
    "139": "Give ultimatum",
    "181": "Abduct, hijack, or take hostage",
    "191": "Impose blockade, restrict movement",
    "195": "Employ aerial weapons, not specified below",
    "196": "Violate ceasefire",
}

# Codes under each root (the root itself excluded), as the CAMEO 1.1b3 codebook lists them.
CAMEO_CODES_PER_ROOT = {
    "01": 10, "02": 27, "03": 28, "04": 7, "05": 8, "06": 5, "07": 6, "08": 25, "09": 5, "10": 27,
    "11": 12, "12": 26, "13": 22, "14": 26, "15": 6, "16": 13, "17": 13, "18": 14, "19": 9, "20": 7,
}  # fmt: skip

PLOVER_TYPES = [
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
]  # fmt: skip

PLOVER_MODE_COUNTS = {
    "AGREE": 0, "CONSULT": 4, "SUPPORT": 0, "CONCEDE": 0, "COOPERATE": 0, "AID": 0,
    "RETREAT": 7, "REQUEST": 4, "ACCUSE": 3, "REJECT": 4, "THREATEN": 7, "PROTEST": 6,
    "SANCTION": 4, "MOBILIZE": 4, "COERCE": 11, "ASSAULT": 19,
}  # fmt: skip


# --- CAMEO ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "name"), ANALYST_CAMEO.items(), ids=list(ANALYST_CAMEO))
def test_analyst_cameo_code_resolves_to_its_codebook_name(code, name):
    assert cameo_name(code) == name
    assert check_cameo(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0875", "unknown CAMEO code '0875'; did you mean '087', '0871' or '0872'?"),
        ("871", "unknown CAMEO code '871'; did you mean '0871', '071' or '081'?"),
        ("1213", "unknown CAMEO code '1213'; did you mean '121', '1211' or '1212'?"),
    ],
    ids=["wrong-last-digit", "leading-zero-dropped", "icews-only-code"],
)
def test_unknown_cameo_code_is_refused_with_nearby_codes(code, message):
    assert cameo_name(code) is None
    assert check_cameo(code) == message


def test_cameo_has_the_twenty_root_codes_01_to_20():
    roots = [code for code in cameo_codes() if len(code) == 2]
    assert roots == [f"{number:02d}" for number in range(1, 21)]
    assert cameo_name("01") == "MAKE PUBLIC STATEMENT"
    assert cameo_name("20") == "USE UNCONVENTIONAL MASS VIOLENCE"


@pytest.mark.parametrize(
    ("root", "count"), CAMEO_CODES_PER_ROOT.items(), ids=list(CAMEO_CODES_PER_ROOT)
)
def test_cameo_root_has_the_codebooks_number_of_codes(root, count):
    under = [code for code in cameo_codes() if code.startswith(root) and code != root]
    assert len(under) == count


def test_cameo_list_holds_316_codes_each_under_its_parent():
    codes = cameo_codes()
    assert len(codes) == len(set(codes)) == 316
    assert all(code[:-1] in codes for code in codes if len(code) > 2)


# --- PLOVER -----------------------------------------------------------------------------------


def test_plover_has_sixteen_event_types_in_the_manuals_order():
    assert plover_event_types() == PLOVER_TYPES


@pytest.mark.parametrize(
    ("event_type", "count"), PLOVER_MODE_COUNTS.items(), ids=list(PLOVER_MODE_COUNTS)
)
def test_plover_event_type_has_the_manuals_number_of_modes(event_type, count):
    modes = plover_modes(event_type)
    assert modes is not None
    assert len(modes) == count


def test_plover_contexts_are_the_37_general_ones_and_4_auxiliary_modes():
    assert len(plover_contexts()) == 37
    assert plover_auxiliary_modes() == ["historical", "future", "hypothetical", "negation"]


@pytest.mark.parametrize(
    ("event_type", "mode"),
    [
        ("RETREAT", "withdraw"),
        ("RETREAT", "release"),
        ("RETREAT", "disarm"),
        ("RETREAT", "ceasefire"),
        ("RETREAT", "access"),
        ("CONSULT", "visit"),
        ("CONSULT", "third-party"),
        ("CONSULT", "multilateral"),
        ("CONSULT", "phone"),
        ("THREATEN", "relations"),
        ("THREATEN", "violence"),
        ("ASSAULT", "aerial"),
        ("ASSAULT", "drone"),
        ("ASSAULT", "heavy-weapons"),
        ("ASSAULT", "abduct"),
        ("COERCE", "withhold"),
    ],
    ids=lambda value: value,
)
def test_analyst_plover_mode_is_accepted_under_its_type(event_type, mode):
    assert check_plover(event_type, mode=mode) is None


@pytest.mark.parametrize(
    ("event_type", "mode", "message"),
    [
        (
            "CONCEDE",
            "ceasefire",
            "PLOVER mode 'ceasefire' does not belong to CONCEDE (CONCEDE has no modes); "
            "it is a mode of RETREAT",
        ),
        (
            "THREATEN",
            "drone",
            "PLOVER mode 'drone' does not belong to THREATEN; it is a mode of ASSAULT",
        ),
        (
            "ASSAULT",
            "withhold",
            "PLOVER mode 'withhold' does not belong to ASSAULT; it is a mode of COERCE",
        ),
        (
            "CONSULT",
            "restrict",
            "PLOVER mode 'restrict' does not belong to CONSULT; it is a mode of THREATEN or COERCE",
        ),
        (
            "THREATEN",
            "violance",
            "PLOVER mode 'violance' does not belong to THREATEN; did you mean 'violence'?",
        ),
    ],
    ids=["declared-ceasefire", "threat-is-not-a-strike", "coerce-mode", "two-owners", "typo"],
)
def test_plover_mode_under_the_wrong_type_is_refused(event_type, mode, message):
    assert check_plover(event_type, mode=mode) == message


@pytest.mark.parametrize(
    "context", ["diplomatic", "military", "human_security", "peacekeeping", "territory"]
)
def test_analyst_plover_context_is_accepted(context):
    assert check_plover("CONSULT", context=context) is None


@pytest.mark.parametrize("auxiliary", ["historical", "future", "hypothetical", "negation"])
def test_auxiliary_mode_is_accepted_as_mode_or_context_with_any_type(auxiliary):
    assert check_plover("AGREE", mode=auxiliary) is None
    assert check_plover("ASSAULT", mode=["drone", auxiliary], context=auxiliary) is None


def test_every_problem_of_one_record_is_reported_one_a_line():
    assert check_plover("DEMAND", mode="meet", context=["diplomatic", "millitary"]) == (
        "unknown PLOVER event type 'DEMAND'\n"
        "unknown PLOVER context 'millitary'; did you mean 'military'?"
    )


def test_plover_names_are_case_sensitive_but_suggested_across_case():
    assert check_plover("agree") == "unknown PLOVER event type 'agree'; did you mean 'AGREE'?"


def test_unknown_event_type_has_no_modes():
    assert plover_modes("DEMAND") is None
    assert plover_modes("AGREE") == []


def test_returned_lists_are_copies():
    plover_event_types().clear()
    cameo_codes().clear()
    assert len(plover_event_types()) == 16
    assert len(cameo_codes()) == 316


# --- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("cameo.tsv", "commit a134e4baff46c9b3d0ec590ba4abc956ed28db13"),
        ("plover_event_types.tsv", "commit a67ea3c891192e2c630b42b326f09de908f9b88c"),
        ("plover_modes.tsv", "commit a67ea3c891192e2c630b42b326f09de908f9b88c"),
        ("plover_contexts.tsv", "commit a67ea3c891192e2c630b42b326f09de908f9b88c"),
    ],
)
def test_data_file_names_its_source_and_licence(name, source):
    header = files("negotiation").joinpath("codes", name).read_text(encoding="utf-8")
    assert source in header
    assert "# licence:" in header


def test_malformed_row_is_reported_with_its_line():
    text = "# a comment\ncode\tname\n01\tMAKE PUBLIC STATEMENT\n010 Make statement\n"
    with pytest.raises(FileError) as raised:
        event_codes._parse_table(text, "codes/cameo.tsv", ("code", "name"))
    assert str(raised.value) == "codes/cameo.tsv:4:1: expected 2 non-empty tab-separated cells"


def test_module_examples_hold():
    assert doctest.testmod(event_codes).failed == 0
