"""The shipped CAMEO and PLOVER code lists, and the checks scenario and model files rely on."""

from __future__ import annotations

import doctest
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace

import pytest

from negotiation import FileError, load_scenario
from negotiation.rules import event_codes
from negotiation.rules.event_codes import (
    Codes,
    PloverMapping,
    cameo_codes,
    cameo_name,
    cameo_to_plover,
    check_cameo,
    check_cameo_plover,
    check_plover,
    codes_from,
    plover_auxiliary_modes,
    plover_contexts,
    plover_event_types,
    plover_modes,
)

# The CAMEO codes named in the analysts' reference (shared/reference/analyst-practice.md), with the
# CAMEO to PLOVER table's own wording of the meaning given there, and the event type it maps to.
ANALYST_CAMEO = {
    "036": ("Express intent to meet or negotiate", "AGREE"),
    "038": ("Express intent to accept mediation", "AGREE"),
    "039": ("Express intent to mediate", "AGREE"),
    "044": ("Meet at a 'third' location", "CONSULT"),
    "045": ("Engage in mediation", "CONSULT"),
    "046": ("Engage in negotiation", "CONSULT"),
    "057": ("Sign formal agreement", "SUPPORT"),
    "0353": ("Express intent to release persons or property", "AGREE"),
    "0841": ("Return, release person(s)", "RETREAT"),
    "073": ("Provide humanitarian aid", "AID"),
    "0863": ("Allow delivery of humanitarian aid", "RETREAT"),
    "0356": ("Express intent to de-escalate military engagement", "AGREE"),
    "0871": ("Declare truce, ceasefire", "RETREAT"),
    "0872": ("Ease military blockade", "RETREAT"),
    "0874": ("Retreat or surrender militarily", "RETREAT"),
    "1053": ("Demand release of persons or property", "REQUEST"),
    "106": ("Demand meeting, negotiation", "REQUEST"),
    "125": ("Reject proposal to meet, discuss, negotiate", "REJECT"),
    "127": ("Reject plan, agreement to settle dispute", "REJECT"),
    "1246": ("Decline to de-escalate military engagement", "REJECT"),
    "134": ("Threaten to halt negotiations", "THREATEN"),
    "139": ("Give ultimatum", "THREATEN"),
    "181": ("Abduct, hijack", "ASSAULT"),
    "191": ("Impose blockade, restrict movement", "COERCE"),
    "195": ("Employ aerial weapons", "ASSAULT"),
    "196": ("Violate ceasefire", "ASSAULT"),
}

# The CAMEO 1.1b3 codebook's codes that the list lacks, as its header names them: the cue
# categories 01 and 02 with all their codes, and five more.
CODEBOOK_CODES_LACKING = [
    "01", "010", "011", "012", "013", "014", "015", "016", "017", "018", "019",
    "02", "020", "021", "0211", "0212", "0213", "0214", "022", "023", "0231", "0232", "0233",
    "0234", "024", "0241", "0242", "0243", "0244", "025", "0251", "0252", "0253", "0254", "0255",
    "0256", "026", "027", "028",
    "155", "176", "1834", "1951", "1952",
]  # fmt: skip

# Where the list's modes stray from PLOVER 1.3's modes of the event type (the list is 2021's).
MODES_OUTSIDE_PLOVER_1_3 = {
    ("RETREAT", "ease"), ("THREATEN", "political"), ("ASSAULT", "seize"),
    ("ASSAULT", "pro_autocracy"),
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


@pytest.mark.parametrize(
    ("code", "name", "event_type"),
    [(code, *meaning) for code, meaning in ANALYST_CAMEO.items()],
    ids=list(ANALYST_CAMEO),
)
def test_analyst_cameo_code_resolves_to_its_name_and_plover_type(code, name, event_type):
    assert cameo_name(code) == name
    assert check_cameo(code) is None
    assert [mapping.event_type for mapping in cameo_to_plover(code)] == [event_type]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0875", "unknown CAMEO code '0875'; did you mean '087', '0871' or '0872'?"),
        ("871", "unknown CAMEO code '871'; did you mean '0871', '071' or '081'?"),
        ("1834", "unknown CAMEO code '1834'; did you mean '183', '1831' or '1832'?"),
        (
            "010",
            "unknown CAMEO code '010': PLOVER drops CAMEO's cue categories 01 and 02 "
            "(comments and appeals), so the list has none of their codes",
        ),
    ],
    ids=["wrong-last-digit", "leading-zero-dropped", "codebook-only-code", "dropped-category"],
)
def test_unknown_cameo_code_is_refused_with_nearby_codes(code, message):
    assert cameo_name(code) is None
    assert cameo_to_plover(code) == []
    assert check_cameo(code) == message


def test_cameo_has_the_cue_categories_03_to_20_nameless():
    roots = [code for code in cameo_codes() if len(code) == 2]
    assert roots == [f"{number:02d}" for number in range(3, 21)]
    assert all(cameo_name(root) is None for root in roots)


def test_cameo_list_holds_274_codes_each_under_its_parent():
    codes = cameo_codes()
    assert len(codes) == len(set(codes)) == 274
    assert all(code[:-1] in codes for code in codes if len(code) > 2)


@pytest.mark.parametrize("code", CODEBOOK_CODES_LACKING)
def test_codebook_code_the_list_lacks_is_unknown_and_named_in_the_header(code):
    header = files("negotiation").joinpath("codes", "cameo_to_plover.tsv").read_text("utf-8")
    assert check_cameo(code) is not None
    assert f" {code}" in header.split("\ncode\t")[0]


def test_list_has_reject_judicial_and_intelligence_cooperation_the_codebook_lacks():
    assert cameo_name("1213") == "Reject judicial cooperation"
    assert cameo_name("1214") == "Reject intelligence cooperation"


# --- CAMEO to PLOVER ---------------------------------------------------------------------------


def test_cameo_code_maps_to_event_type_mode_and_every_context():
    assert cameo_to_plover("094") == [
        PloverMapping("ACCUSE", mode=("investigate",), context=("military", "legal"))
    ]


def test_cue_category_08_maps_to_concede_or_retreat():
    assert cameo_to_plover("08") == [PloverMapping("CONCEDE"), PloverMapping("RETREAT")]


def test_code_listed_twice_with_one_mapping_maps_once_and_keeps_its_first_name():
    assert cameo_to_plover("175") == [PloverMapping("ASSAULT", ("pro_autocracy",), ("military",))]
    assert cameo_name("175") == "Use violent repression"


def test_editors_note_is_not_part_of_the_name():
    assert cameo_name("0813") == "Ease curfew"


def test_every_mapping_uses_a_plover_event_type_and_the_strays_are_the_known_four():
    strays = set()
    for code in cameo_codes():
        for mapping in cameo_to_plover(code):
            modes = plover_modes(mapping.event_type)
            assert modes is not None, code
            strays.update((mapping.event_type, mode) for mode in mapping.mode if mode not in modes)
    assert strays == MODES_OUTSIDE_PLOVER_1_3


@pytest.mark.parametrize(
    ("cameo", "derived"),
    [
        ("192", PloverMapping("COERCE", ("seize",), ("military",))),
        ("046", PloverMapping("CONSULT", (), ("diplomatic",))),
        ("08", None),
        ("0875", None),
        (None, None),
    ],
    ids=["one-mapping", "no-mode", "two-mappings", "unknown-code", "no-cameo-code"],
)
def test_plover_is_derived_from_a_cameo_code_with_one_mapping(cameo, derived):
    assert Codes(cameo=cameo).derived_plover == derived


def test_derived_plover_prints_as_plover_codes_do():
    assert str(Codes(cameo="0841").derived_plover) == "RETREAT (release, legal)"


@pytest.mark.parametrize(
    ("cameo", "event_type"),
    [("0841", "RETREAT"), ("195", "ASSAULT"), ("08", "CONCEDE"), ("08", "RETREAT")],
)
def test_plover_type_agreeing_with_the_cameo_code_passes(cameo, event_type):
    assert check_cameo_plover(cameo, event_type) is None


def test_modes_and_contexts_are_not_compared():
    # 195 maps to heavy-weapons; PLOVER 1.3 has an aerial mode the 2021 table did not
    _, problems = codes_from(_spec("195", "ASSAULT", mode="aerial"))
    assert problems == []


@pytest.mark.parametrize(
    ("cameo", "event_type", "message"),
    [
        (
            "0871",
            "CONCEDE",
            "PLOVER event 'CONCEDE' does not match CAMEO '0871', "
            "which maps to RETREAT (ceasefire, military)",
        ),
        (
            "08",
            "AID",
            "PLOVER event 'AID' does not match CAMEO '08', which maps to CONCEDE or RETREAT",
        ),
    ],
    ids=["declared-ceasefire", "two-mappings"],
)
def test_plover_type_disagreeing_with_the_cameo_code_is_refused(cameo, event_type, message):
    assert check_cameo_plover(cameo, event_type) == message
    _, problems = codes_from(_spec(cameo, event_type))
    assert problems == [(message, ("plover", "event"))]


@pytest.mark.parametrize(
    ("cameo", "event_type", "message"),
    [
        ("0875", "RETREAT", "unknown CAMEO code '0875'; did you mean '087', '0871' or '0872'?"),
        (
            "0871",
            "RETRAET",
            "unknown PLOVER event type 'RETRAET'; did you mean 'RETREAT' or 'REJECT'?",
        ),
    ],
    ids=["unknown-code", "unknown-type"],
)
def test_unknown_code_is_reported_once_not_as_a_disagreement(cameo, event_type, message):
    assert check_cameo_plover(cameo, event_type) is None
    _, problems = codes_from(_spec(cameo, event_type))
    assert [text for text, _ in problems] == [message]


def test_disagreement_in_a_scenario_is_located_at_the_plover_event(tmp_path: Path):
    path = tmp_path / "codes.yaml"
    path.write_text(
        "scenario: codes\n"
        "title: Codes that disagree (hypothetical, for tests)\n"
        "model: gaza_truce\n"
        "events:\n"
        "  - id: deal\n"
        "    date: 2025-01-02\n"
        "    event: deal_announced\n"
        "    params: {kind: phase_one}\n"
        "    codes: {cameo: '0871', plover: {event: CONCEDE}}\n",
        encoding="utf-8",
    )
    with pytest.raises(FileError) as raised:
        load_scenario(path)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{path}:9:44: PLOVER event 'CONCEDE' does not match CAMEO '0871', "
        "which maps to RETREAT (ceasefire, military)"
    ]


def _spec(cameo: str, event_type: str, mode: str | None = None) -> SimpleNamespace:
    """A file's `codes:` mapping, as the schema reads it."""
    plover = SimpleNamespace(event=event_type, mode=mode, context=None)
    return SimpleNamespace(cameo=cameo, plover=plover)


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
    assert len(cameo_codes()) == 274


# --- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("cameo_to_plover.tsv", "commit 5e0c24fba623f2d8df5ae3c7de7a94dba90d5b6f"),
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
    text = "# a comment\ncode\tname\n03\tEXPRESS INTENT\n030 Express intent to cooperate\n"
    with pytest.raises(FileError) as raised:
        event_codes._parse_table(text, "codes/cameo.tsv", ("code", "name"))
    assert str(raised.value) == "codes/cameo.tsv:4:1: expected 2 tab-separated cells (got 1)"


def test_empty_cell_is_refused_unless_its_column_is_optional():
    text = "code\tname\tmode\n03\t\t\n\tAgree\t\n"
    with pytest.raises(FileError) as raised:
        event_codes._parse_table(text, "t.tsv", ("code", "name", "mode"), optional=("name", "mode"))
    assert str(raised.value) == "t.tsv:3:1: 'code' is empty"


def test_list_file_rows_convert_the_table_line_for_line():
    rows = event_codes._read_table(
        "cameo_to_plover.tsv",
        ("code", "name", "event_type", "mode", "context"),
        optional=("name", "mode", "context"),
    )[1]
    # the table's 276 mapping lines: 274 codes, 08 and 175 twice
    assert len(rows) == 276
    assert rows[0][1] == ("03", "", "AGREE", "", "")
    assert rows[-1][1] == (
        "2042", "Detonate nuclear weapons", "ASSAULT", "unconventional", "cbrn"
    )  # fmt: skip


# The module's examples are its documentation: they must be found, not just pass.
MODULE_EXAMPLES = 6


def test_module_examples_hold():
    results = doctest.testmod(event_codes)
    assert results.failed == 0
    assert results.attempted >= MODULE_EXAMPLES
