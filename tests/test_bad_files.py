"""Bad input files fail with a FileError whose problems say where (file:line:col) and what.

Every case starts from a small valid file and breaks one thing in it, so the expected line and
column can be read off the base file below. Lines and columns are 1-based and count characters,
as editors do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiation.errors import FileError, Location, Problem
from negotiation.files.yamlfile import parse_document
from negotiation.rules.model import build_model, load_model
from negotiation.scenarios.scenario import load_scenario

MODEL_FILE = "tiny.yaml"

# A valid model. Line numbers, for reading the cases:
#  4 hostages_held_alive (initial: 10 at column 63)   10 initial: war   13 from: [war]
# 14 to: phase_one
# 17 when: (the guard's expression at column 15)      20 strikes_ongoing effect (key at column 7)
# 21 hostages_held_alive effect (expression at column 28)
MODEL = """\
model: tiny
title: A tiny model
variables:
  hostages_held_alive: {type: int, min: 0, max: 100, initial: 10}
  strikes_ongoing: {type: bool, initial: true}
  israel_position: {type: enum, values: [undeclared, accept_phase_two], initial: undeclared}
phases:
  war: {title: War}
  phase_one: {title: Phase one}
initial: war
events:
  ceasefire_begins:
    from: [war]
    to: phase_one
    guards:
      - name: agreed
        when: israel_position == 'accept_phase_two'
        reason: the deal needs Israel's agreement
    effects:
      strikes_ongoing: "False"
      hostages_held_alive: hostages_held_alive - 1
"""
GUARD = "when: israel_position == 'accept_phase_two'"
EFFECT = "hostages_held_alive: hostages_held_alive - 1"

# A valid scenario on the built-in Gaza model. Line numbers, for reading the cases:
#  3 model:   13 params   16 the claim's source (at column 27)   18 the second event's date
# 19 the second event's name   23 expect's ledger   25 expect's first `holds`
SCENARIO = """\
scenario: short
title: A short scenario
model: gaza_truce
sources:
  afp_2025_03_28: {publisher: AFP, title: Hamas says Gaza truce talks with mediators stepping up}
start:
  phase: war
  date: 2023-10-07
events:
  - id: october_7_attack
    date: 2023-10-07
    event: hostages_seized
    params: {count: 251}
    actor: palestinian_militants
    claims:
      - {by: AFP, source: afp_2025_03_28}
  - id: mediation
    date: 2024-01-01
    event: mediators_engage
    actor: qatar
expect:
  phase: war
  ledger: {hostages_held_alive: 251}
  holds:
    - hostages_seized == 251
"""


def edited(base: str, old: str, new: str) -> str:
    """`base` with its one occurrence of `old` replaced (failing loudly if the base drifts)."""
    assert base.count(old) == 1, f"{old!r} must occur exactly once in the base file"
    return base.replace(old, new)


def model_problems(raw: bytes) -> tuple[Problem, ...]:
    with pytest.raises(FileError) as caught:
        build_model(parse_document(raw, MODEL_FILE))
    return caught.value.problems


def scenario_problems(text: str, folder: Path) -> tuple[Problem, ...]:
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileError) as caught:
        load_scenario(path)
    return caught.value.problems


def assert_problem(
    problems: tuple[Problem, ...], file: str, line: int, column: int, message: str
) -> None:
    """Exactly one problem mentions `message`, and it stands at file:line:column."""
    shown = "\n".join(str(p) for p in problems)
    matching = [p for p in problems if message in p.message]
    assert len(matching) == 1, f"expected one problem saying {message!r}, got:\n{shown}"
    assert matching[0].location == Location(file, line, column), shown


def test_base_files_are_valid(tmp_path: Path) -> None:
    # Every case below breaks one of these; they must be valid to begin with.
    assert build_model(parse_document(MODEL.encode(), MODEL_FILE)).name == "tiny"
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert load_scenario(path).name == "short"


def test_problem_prints_as_file_line_column_message() -> None:
    problems = model_problems(edited(MODEL, "to: phase_one", "to: phase_onr").encode())
    assert [str(p) for p in problems] == [
        "tiny.yaml:14:9: unknown phase 'phase_onr'; did you mean 'phase_one'?"
    ]


# --- the YAML layer ---------------------------------------------------------------------------

YAML_CASES = [
    pytest.param(
        edited(MODEL, "title: A tiny model", "title: A tiny: model").encode(),
        2,
        14,
        "mapping values are not allowed",
        id="syntax-error-colon-in-plain-value",
    ),
    pytest.param(
        edited(MODEL, "  war: {title: War}", "\twar: {title: War}").encode(),
        8,
        1,
        "cannot start any token",
        id="syntax-error-tab-indentation",
    ),
    pytest.param(
        edited(MODEL, "initial: war\n", "initial: war\ninitial: war\n").encode(),
        11,
        1,
        "duplicate key 'initial' (first given on line 10)",
        id="duplicate-key",
    ),
    pytest.param(
        edited(MODEL, "  war: {title: War}", "  war: &w {title: War}\n  truce: *w").encode(),
        9,
        10,
        "YAML aliases (*name) are not allowed",
        id="alias",
    ),
    pytest.param(
        edited(MODEL, "title: A tiny model", "title: !!python/object:os.system {}").encode(),
        2,
        8,
        "python/object:os.system' are not allowed",
        id="python-object-tag",
    ),
    pytest.param(b"", 1, 1, "file is empty", id="empty-file"),
    pytest.param(b"  \n\n", 1, 1, "file is empty", id="whitespace-only-file"),
    pytest.param(
        edited(MODEL, "A tiny", "A t\udcffny").encode("utf-8", "surrogateescape"),
        2,
        11,
        "not UTF-8 text (byte 0xff)",
        id="non-utf8-byte",
    ),
    pytest.param(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        1,
        1,
        "not UTF-8 text (byte 0x89)",
        id="binary-garbage",
    ),
    pytest.param(
        b"\x00\x01\x02\x03",
        1,
        1,
        "control character U+0000 is not allowed",
        id="binary-garbage-valid-utf8",
    ),
    pytest.param(
        b"model: tiny\ntitle: a\x07b\n",
        2,
        9,
        "control character U+0007 is not allowed",
        id="control-character",
    ),
    pytest.param(
        b"model: " + b"[" * 50 + b"]" * 50,
        1,
        47,
        "nesting is deeper than 40 levels",
        id="deep-nesting-flow",
    ),
    pytest.param(
        "\n".join("  " * depth + f"level_{depth}:" for depth in range(60)).encode(),
        41,
        81,
        "nesting is deeper than 40 levels",
        id="deep-nesting-block",
    ),
    pytest.param(
        (MODEL + "---\nmodel: another\n").encode(),
        22,
        1,
        "a file holds one YAML document; found a second",
        id="two-documents",
    ),
    pytest.param(
        b"model: " + b"x" * 2_000_000,
        1,
        1,
        "file is too large",
        id="too-large",
    ),
    pytest.param(
        b"- model\n- tiny\n",
        1,
        1,
        "expected a mapping of fields, got list",
        id="not-a-mapping",
    ),
    pytest.param(
        "model: tiny\ntitle: Négociation \udcff".encode("utf-8", "surrogateescape"),
        2,
        20,
        "not UTF-8 text (byte 0xff)",
        id="non-utf8-byte-after-non-ascii-text",
    ),
    pytest.param(
        "model: tiny\ntitle: Négociation \x07\n".encode(),
        2,
        20,
        "control character U+0007 is not allowed",
        id="control-character-after-non-ascii-text",
    ),
    pytest.param(
        b"# a model, to be written\n",
        1,
        1,
        "file is empty",
        id="comment-only-file",
    ),
]


@pytest.mark.parametrize(("raw", "line", "column", "message"), YAML_CASES)
def test_bad_yaml_is_a_located_file_error(raw: bytes, line: int, column: int, message: str) -> None:
    assert_problem(model_problems(raw), MODEL_FILE, line, column, message)


# --- the model ------------------------------------------------------------------------------

MODEL_CASES = [
    pytest.param(
        "from: [war]",
        "from: [war, phase_on]",
        13,
        17,
        "unknown phase 'phase_on'; did you mean 'phase_one'?",
        id="unknown-phase-in-from",
    ),
    pytest.param(
        "to: phase_one",
        "to: phase_onr",
        14,
        9,
        "unknown phase 'phase_onr'; did you mean 'phase_one'?",
        id="unknown-phase-in-to",
    ),
    pytest.param(
        'strikes_ongoing: "False"',
        'strikes_ongoin: "False"',
        20,
        7,
        "unknown variable 'strikes_ongoin'; did you mean 'strikes_ongoing'?",
        id="unknown-variable-in-effect",
    ),
    pytest.param(
        GUARD,
        "when: strikes_ongoing or israel_positon == 'accept_phase_two'",
        17,
        34,
        "unknown name 'israel_positon'; did you mean 'israel_position'?",
        id="unknown-name-in-guard",
    ),
    pytest.param(
        GUARD,
        "when: israel_position == 'accept_phase_tow'",
        17,
        34,
        "unknown value of israel_position 'accept_phase_tow'; did you mean 'accept_phase_two'?",
        id="unknown-enum-value-in-comparison",
    ),
    pytest.param(
        GUARD,
        "when: israel_position in ('undeclared', 'accept_phase_tow')",
        17,
        49,
        "unknown value of israel_position 'accept_phase_tow'; did you mean 'accept_phase_two'?",
        id="unknown-enum-value-in-membership",
    ),
    pytest.param(
        EFFECT,
        "hostages_held_alive: strikes_ongoing + 1",
        21,
        28,
        "'+' needs whole numbers, but this is true or false",
        id="type-error-bool-plus-int",
    ),
    pytest.param(
        GUARD,
        "when: hostages_held_alive",
        17,
        15,
        "expected true or false, but this expression gives a whole number",
        id="type-error-int-guard",
    ),
    pytest.param(
        GUARD,
        "when: not strikes_ongoing.__class__",
        17,
        19,
        "attribute access ('.') is not allowed",
        id="forbidden-attribute-access",
    ),
    pytest.param(
        EFFECT,
        "hostages_held_alive: hostages_held_alive + 2 ** 3",
        21,
        50,
        "'**' is not allowed",
        id="forbidden-power",
    ),
    pytest.param(
        EFFECT,
        "hostages_held_alive: 1 + hostages_held_alive / 2",
        21,
        32,
        "'/' is not allowed",
        id="forbidden-true-division",
    ),
    pytest.param(
        GUARD,
        "when: strikes_ongoing and __import__('os')",
        17,
        35,
        "only min, max and abs can be called; '__import__' is not one of them",
        id="forbidden-call",
    ),
    pytest.param(
        # a plain YAML value cannot hold ": ", so the lambda is written without the space
        GUARD,
        "when: lambda:True",
        17,
        15,
        "'lambda' is not allowed",
        id="forbidden-lambda",
    ),
    pytest.param(
        GUARD,
        "when: import os",
        17,
        15,
        "imports are not allowed",
        id="forbidden-import",
    ),
    pytest.param(
        GUARD,
        "when: f'{strikes_ongoing}' == 'True'",
        17,
        15,
        "f-strings are not allowed",
        id="forbidden-f-string",
    ),
    pytest.param(
        GUARD,
        "when: strikes_ongoing and israel_position[0] == 'u'",
        17,
        35,
        "indexing ('[...]') is not allowed",
        id="forbidden-subscript",
    ),
    pytest.param(
        EFFECT,
        "hostages_held_alive: hostages_held_alive + 99999999999999999999",
        21,
        50,
        "number is too large",
        id="forbidden-huge-literal",
    ),
    pytest.param(
        GUARD,
        "when: strikes_ongoing == = True",
        17,
        34,
        "invalid syntax",
        id="expression-syntax-error",
    ),
    pytest.param(
        "max: 100, initial: 10",
        "max: 100, initial: 101",
        4,
        63,
        "initial value: 'hostages_held_alive' must be at most 100 (got 101)",
        id="initial-value-out-of-bounds",
    ),
    pytest.param(
        "    from: [war]",
        "    frm: [war]",
        13,
        5,
        "unknown field 'frm'; did you mean 'from'?",
        id="misspelled-field",
    ),
    pytest.param(
        EFFECT,
        'hostages_held_alive: "hostages_held_alive + True"',
        21,
        51,
        "'+' needs whole numbers, but this is true or false",
        id="expression-error-in-quoted-value",
    ),
    pytest.param(
        GUARD,
        "when: >-\n          strikes_ongoing and\n          hostages_held_alive",
        19,
        11,
        "'and' needs true or false on each side",
        id="expression-error-in-folded-value",
    ),
    pytest.param(
        GUARD,
        "when: strikes_ongoing and\n          hostages_held_alive",
        18,
        11,
        "'and' needs true or false on each side",
        id="expression-error-in-multi-line-plain-value",
    ),
    pytest.param(
        EFFECT,
        "hostages_held_alive: 99999999999999999999",
        21,
        28,
        "number is too large",
        id="forbidden-huge-literal-unquoted",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "column", "message"), MODEL_CASES)
def test_bad_model_is_a_located_file_error(
    old: str, new: str, line: int, column: int, message: str
) -> None:
    problems = model_problems(edited(MODEL, old, new).encode())
    assert_problem(problems, MODEL_FILE, line, column, message)


def test_expression_syntax_error_says_invalid_syntax_once() -> None:
    problems = model_problems(edited(MODEL, GUARD, "when: strikes_ongoing == = True").encode())
    assert [p.message.count("invalid syntax") for p in problems] == [1]


def test_unknown_builtin_model_name_suggests_the_nearest() -> None:
    with pytest.raises(FileError) as caught:
        load_model("gaza_truse")
    assert_problem(
        caught.value.problems,
        "gaza_truse",
        1,
        1,
        "no built-in model 'gaza_truse'; did you mean 'gaza_truce'?",
    )


# --- the scenario ---------------------------------------------------------------------------

SCENARIO_CASES = [
    pytest.param(
        "event: mediators_engage",
        "event: mediators_engag",
        19,
        12,
        "unknown event 'mediators_engag'; did you mean 'mediators_engage'?",
        id="unknown-event",
    ),
    pytest.param(
        "{count: 251}",
        "{count: 251, cuont: 3}",
        13,
        26,
        "event 'hostages_seized' has no parameter 'cuont'; did you mean 'count'?",
        id="unknown-parameter",
    ),
    pytest.param(
        "{count: 251}",
        "{count: 1001}",
        13,
        21,
        "'count' must be at most 1000 (got 1001)",
        id="parameter-out-of-bounds",
    ),
    pytest.param(
        "    params: {count: 251}\n",
        "",
        12,
        12,
        "event 'hostages_seized' needs parameter 'count' (a whole number)",
        id="missing-required-parameter",
    ),
    pytest.param(
        "source: afp_2025_03_28}",
        "source: afp_2025_03_29}",
        16,
        27,
        "unknown source 'afp_2025_03_29'; did you mean 'afp_2025_03_28'?",
        id="unknown-source-in-claim",
    ),
    pytest.param(
        "date: 2024-01-01",
        "date: 2025-02-30",
        18,
        11,
        "'2025-02-30': day is out of range for month",
        id="invalid-date",
    ),
    pytest.param(
        "date: 2024-01-01",
        "date: '2025-02-30'",
        18,
        12,
        "'2025-02-30' is not a real date",
        id="invalid-date-quoted",
    ),
    pytest.param(
        "date: 2024-01-01",
        "date: 2023-01-01",
        18,
        11,
        "'mediation' (2023-01-01) cannot come after 'october_7_attack'",
        id="events-out-of-order",
    ),
    pytest.param(
        "model: gaza_truce",
        "model: gaza_truse",
        3,
        8,
        "no built-in model 'gaza_truse'; did you mean 'gaza_truce'?",
        id="unknown-model-name",
    ),
    pytest.param(
        "{hostages_held_alive: 251}",
        "{hostages_held_alvie: 251}",
        23,
        12,
        "unknown variable 'hostages_held_alvie'; did you mean 'hostages_held_alive'?",
        id="unknown-variable-in-expect-ledger",
    ),
    pytest.param(
        "- hostages_seized == 251",
        "- hostages_sezied == 251",
        25,
        7,
        "unknown name 'hostages_sezied'; did you mean 'hostages_seized'?",
        id="unknown-variable-in-expect-holds",
    ),
    pytest.param(
        "actor: qatar",
        "actor: qatr",
        20,
        12,
        "unknown party 'qatr'; did you mean 'qatar'?",
        id="unknown-actor",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "column", "message"), SCENARIO_CASES)
def test_bad_scenario_is_a_located_file_error(
    old: str, new: str, line: int, column: int, message: str, tmp_path: Path
) -> None:
    problems = scenario_problems(edited(SCENARIO, old, new), tmp_path)
    assert_problem(problems, str(tmp_path / "scenario.yaml"), line, column, message)


# --- every problem at once ------------------------------------------------------------------


def test_model_with_several_problems_reports_all_sorted_by_line() -> None:
    text = MODEL
    for old, new in [
        ('strikes_ongoing: "False"', 'strikes_ongoin: "False"'),  # line 20
        ("from: [war]", "from: [wr]"),  # line 13
        ("initial: war", "initial: wr"),  # line 10
        (GUARD, "when: israel_positon == 'accept_phase_two'"),  # line 17
    ]:
        text = edited(text, old, new)
    problems = model_problems(text.encode())
    assert [(p.location.line, p.location.column) for p in problems] == [
        (10, 10),
        (13, 12),
        (17, 15),
        (20, 7),
    ]
    assert "unknown phase 'wr'" in problems[1].message


def test_bad_initial_value_is_not_also_reported_as_an_unknown_variable() -> None:
    problems = model_problems(
        edited(MODEL, "max: 100, initial: 10", "max: 100, initial: 101").encode()
    )
    assert [str(p) for p in problems] == [
        "tiny.yaml:4:63: initial value: 'hostages_held_alive' must be at most 100 (got 101)"
    ]


def test_scenario_with_several_problems_reports_all_sorted_by_line(tmp_path: Path) -> None:
    text = SCENARIO
    for old, new in [
        ("- hostages_seized == 251", "- hostages_sezied == 251"),  # line 25
        ("event: mediators_engage", "event: mediators_engag"),  # line 19
        ("source: afp_2025_03_28}", "source: afp_2025_03_29}"),  # line 16
        ("{hostages_held_alive: 251}", "{hostages_held_alvie: 251}"),  # line 23
    ]:
        text = edited(text, old, new)
    problems = scenario_problems(text, tmp_path)
    assert [(p.location.line, p.location.column) for p in problems] == [
        (16, 27),
        (19, 12),
        (23, 12),
        (25, 7),
    ]


# --- any bytes at all -----------------------------------------------------------------------

# Arbitrary bytes rarely get past the YAML layer, so half the examples are the valid model with
# a slice of it replaced by random text: those reach the schema, the names and the expressions.
_spliced_models = st.builds(
    lambda start, length, insert: (MODEL[:start] + insert + MODEL[start + length :]).encode(),
    st.integers(0, len(MODEL)),
    st.integers(0, 40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
    | st.text(alphabet=":-[]{},'\"&*!#|>%@?\n \t0123456789.+*/()=<_abc", max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512) | _spliced_models)
def test_any_bytes_give_a_model_or_a_file_error(raw: bytes) -> None:
    try:
        result = build_model(parse_document(raw, "fuzz.yaml"))
    except FileError as error:
        assert error.problems
        assert all(p.location.line >= 1 and p.location.column >= 1 for p in error.problems)
    else:
        assert result.name
