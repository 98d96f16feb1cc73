"""Hostile and broken input files are refused with located problems, through the API and the CLI.

Every file the program reads is untrusted. Each case below is one file the program must refuse,
and the one problem (file:line:col and key words) it must report among any others. The file is
either a small valid model or scenario with one thing broken, written inline so that the line
and column can be read off the base file; or a file kept in tests/corpus/; or one too big for
the repository, generated into the test's folder. Each case is run through both doors:

- the API: `load_model` (models) or `load_scenario` (scenarios) raises a FileError carrying the
  case's problem, reports no problem twice, and stays within a memory bound;
- the command line: `negotiation check` (models) or `negotiation run` (scenarios) exits 2 with
  nothing on stdout and only `file:line:col: message` lines on stderr, one of them the case's,
  and no traceback.

A watchdog stops a runaway (an alias bomb expanded, 'a' * 10**9 built) so that it fails the test
instead of hanging the suite; how fast a file is refused is measured by the benchmarks, not here.
The hypothesis tests at the end feed the loaders arbitrary bytes and arbitrary YAML documents:
the answer is a model, a scenario or a FileError, never another exception.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from negotiation import FileError, Model, Problem, Scenario, load_model, load_scenario
from negotiation.cli import cli
from negotiation.errors import Location
from negotiation.files.schema import FIELD_NAMES, ModelSpec, ScenarioSpec
from negotiation.files.yamlfile import MAX_BYTES

CORPUS = Path(__file__).parent / "corpus"

# A runaway is cut off here, so that it fails its test instead of hanging the suite. Every case
# is refused in well under a second; the generous margin is for a shared, loaded machine. (A
# signal interrupts Python code, not one long C call such as computing 2 ** 10 ** 10: keeping
# such calls from being made at all is the loaders' job, which the cases check.)
WATCHDOG_SECONDS = 30
# A safety bound, not a benchmark: a case handled well grows the process by a few tens of MB at
# most; a runaway by gigabytes.
PEAK_BYTES = 100 * 2**20

# One problem as the CLI prints it: file:line:col: message (file names here hold no colon).
PROBLEM_LINE = re.compile(
    r"(?P<file>[^:\n]+):(?P<line>[1-9]\d*):(?P<column>[1-9]\d*): (?P<message>.+)"
)


# --- the base files the inline cases break ---------------------------------------------------

MODEL_FILE = "tiny.yaml"
SCENARIO_FILE = "scenario.yaml"

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
    event: mediators_join
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


# --- files too big for the repository, generated into the test's folder ---------------------


def _filled(head: str, line: str, tail: str = "") -> bytes:
    """`head`, then `line` (formatted with its index) as many times as fit just under the size
    limit, then `tail`: the largest file the program agrees to read."""
    room = MAX_BYTES - 10_000 - len(head) - len(tail)
    count = room // len(line.format(index=10**6))
    return (head + "".join(line.format(index=i) for i in range(count)) + tail).encode()


_HEAD = "scenario: big\ntitle: A big file\nmodel: gaza_truce\n"


# --- the cases ------------------------------------------------------------------------------

Kind = Literal["model", "scenario"]


@dataclass(frozen=True)
class Case:
    """A file the program must refuse, and one problem it must report: at `shown` (default: the
    file itself):line:column, with a message containing `message`."""

    given: str  # the file's name, as given to the loader and the command
    kind: Kind
    line: int
    column: int
    message: str
    # the file's bytes, or a function making them, written into the test's folder;
    # None: the file of that name in tests/corpus/
    content: bytes | Callable[[], bytes] | None = None
    shown: str | None = None


def model_text(id: str, raw: bytes, line: int, column: int, message: str) -> Any:
    """A model file holding `raw`."""
    return pytest.param(Case(MODEL_FILE, "model", line, column, message, raw), id=f"model/{id}")


def model_edit(id: str, old: str, new: str, line: int, column: int, message: str) -> Any:
    """The base model with `old` replaced by `new`."""
    return model_text(id, edited(MODEL, old, new).encode(), line, column, message)


def scenario_edit(id: str, old: str, new: str, line: int, column: int, message: str) -> Any:
    """The base scenario with `old` replaced by `new`."""
    raw = edited(SCENARIO, old, new).encode()
    case = Case(SCENARIO_FILE, "scenario", line, column, message, raw)
    return pytest.param(case, id=f"scenario/{id}")


def corpus(file: str, line: int, column: int, message: str, *, shown: str | None = None) -> Any:
    """A scenario in tests/corpus/."""
    case = Case(file, "scenario", line, column, message, shown=shown)
    return pytest.param(case, id=f"corpus/{file}")


def corpus_model(file: str, line: int, column: int, message: str) -> Any:
    """A model in tests/corpus/."""
    return pytest.param(Case(file, "model", line, column, message), id=f"corpus/{file}")


def generated(
    file: str, make: Callable[[], bytes], line: int, column: int, message: str, marks: Any = ()
) -> Any:
    """A scenario too big to keep, made by `make`."""
    case = Case(file, "scenario", line, column, message, make)
    return pytest.param(case, id=f"generated/{file}", marks=marks)


CASES = [
    # --- bytes that are not YAML text ---
    model_text("empty-file", b"", 1, 1, "file is empty"),
    model_text("whitespace-only-file", b"  \n\n", 1, 1, "file is empty"),
    model_text("comment-only-file", b"# a model, to be written\n", 1, 1, "file is empty"),
    corpus("empty.yaml", 1, 1, "file is empty"),
    model_text(
        "non-utf8-byte",
        edited(MODEL, "A tiny", "A t\udcffny").encode("utf-8", "surrogateescape"),
        2,
        11,
        "not UTF-8 text (byte 0xff)",
    ),
    model_text(
        "non-utf8-byte-after-non-ascii-text",
        "model: tiny\ntitle: Négociation \udcff".encode("utf-8", "surrogateescape"),
        2,
        20,
        "not UTF-8 text (byte 0xff)",
    ),
    model_text(
        "binary-garbage",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        1,
        1,
        "not UTF-8 text (byte 0x89)",
    ),
    corpus("random-bytes.bin", 1, 3, "not UTF-8 text (byte 0xb2)"),
    corpus("png-header.png", 1, 1, "not UTF-8 text (byte 0x89)"),
    corpus("latin-1-text.yaml", 2, 9, "not UTF-8 text (byte 0xe9)"),
    model_text(
        "binary-garbage-valid-utf8",
        b"\x00\x01\x02\x03",
        1,
        1,
        "control character U+0000 is not allowed",
    ),
    model_text(
        "control-character",
        b"model: tiny\ntitle: a\x07b\n",
        2,
        9,
        "control character U+0007 is not allowed",
    ),
    model_text(
        "control-character-after-non-ascii-text",
        "model: tiny\ntitle: Négociation \x07\n".encode(),
        2,
        20,
        "control character U+0007 is not allowed",
    ),
    corpus("nul-byte.yaml", 2, 16, "control character U+0000 is not allowed"),
    model_text("too-large", b"model: " + b"x" * 2_000_000, 1, 1, "file is too large"),
    generated(
        "three-megabytes.yaml",
        lambda: (_HEAD + "events: []\n" + "# padding\n" * 300_000).encode(),
        1,
        1,
        "file is too large (3,000,061 bytes",
    ),
    # --- YAML that is malformed, or could execute, explode or mislead ---
    model_edit(
        "syntax-error-colon-in-plain-value",
        "title: A tiny model",
        "title: A tiny: model",
        2,
        14,
        "mapping values are not allowed",
    ),
    model_edit(
        "syntax-error-tab-indentation",
        "  war: {title: War}",
        "\twar: {title: War}",
        8,
        1,
        "cannot start any token",
    ),
    corpus("tab-indentation.yaml", 7, 1, "found a tab character that violates indentation"),
    corpus("unclosed-quote.yaml", 2, 8, "a quoted scalar is never closed"),
    model_edit(
        "alias",
        "  war: {title: War}",
        "  war: &w {title: War}\n  truce: *w",
        9,
        10,
        "YAML aliases (*name) are not allowed",
    ),
    corpus("billion-laughs.yaml", 6, 11, "YAML aliases (*name) are not allowed"),
    model_edit(
        "python-object-tag",
        "title: A tiny model",
        "title: !!python/object:os.system {}",
        2,
        8,
        "python/object:os.system' are not allowed",
    ),
    corpus(
        "python-object-apply-tag.yaml",
        2,
        8,
        "tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed",
    ),
    corpus(
        "python-name-tag.yaml",
        2,
        8,
        "tags such as 'tag:yaml.org,2002:python/name:os.system' are not allowed",
    ),
    corpus_model(
        "python-object-apply-tag-in-model.yaml",
        19,
        17,
        "tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed",
    ),
    # a %TAG directive that makes `!object/apply:` mean `!!python/object/apply:`
    corpus("tag-directive.yaml", 4, 8, "'tag:yaml.org,2002:python/object/apply:os.system'"),
    corpus("local-tag.yaml", 2, 8, "tags such as '!shell' are not allowed"),
    corpus("merge-key.yaml", 4, 1, "merge keys (<<) are not allowed"),
    corpus("bool-tag-bad-value.yaml", 2, 8, "invalid value 'maybe'"),
    corpus("int-tag-empty-value.yaml", 2, 8, "invalid value ''"),
    model_text(
        "deep-nesting-flow",
        b"model: " + b"[" * 50 + b"]" * 50,
        1,
        47,
        "nesting is deeper than 40 levels",
    ),
    model_text(
        "deep-nesting-block",
        "\n".join("  " * depth + f"level_{depth}:" for depth in range(60)).encode(),
        41,
        81,
        "nesting is deeper than 40 levels",
    ),
    corpus("deep-nesting-lists.yaml", 4, 48, "nesting is deeper than 40 levels"),
    corpus("deep-nesting-mappings.yaml", 4, 165, "nesting is deeper than 40 levels"),
    model_edit(
        "duplicate-key",
        "initial: war\n",
        "initial: war\ninitial: war\n",
        11,
        1,
        "duplicate key 'initial' (first given on line 10)",
    ),
    corpus("duplicate-key.yaml", 4, 1, "duplicate key 'title' (first given on line 2)"),
    corpus("duplicate-param.yaml", 8, 26, "duplicate key 'count' (first given on line 8)"),
    corpus_model(
        "duplicate-key-in-model.yaml", 9, 3, "duplicate key 'war' (first given on line 7)"
    ),
    model_text(
        "two-documents",
        (MODEL + "---\nmodel: another\n").encode(),
        22,
        1,
        "a file holds one YAML document; found a second",
    ),
    corpus("two-documents.yaml", 9, 1, "a file holds one YAML document; found a second"),
    corpus("list-as-key.yaml", 4, 1, "a mapping key must be a plain name"),
    corpus("newline-in-key.yaml", 5, 4, "unknown field 'phase"),
    model_text(
        "not-a-mapping", b"- model\n- tiny\n", 1, 1, "expected a mapping of fields, got list"
    ),
    corpus("top-level-list.yaml", 1, 1, "expected a mapping of fields, got list"),
    corpus("top-level-scalar.yaml", 1, 1, "expected a mapping of fields, got str"),
    # --- names: unknown, with "did you mean" ---
    model_edit(
        "unknown-phase-in-from",
        "from: [war]",
        "from: [war, phase_on]",
        13,
        17,
        "unknown phase 'phase_on'; did you mean 'phase_one'?",
    ),
    model_edit(
        "unknown-phase-in-to",
        "to: phase_one",
        "to: phase_onr",
        14,
        9,
        "unknown phase 'phase_onr'; did you mean 'phase_one'?",
    ),
    model_edit(
        "unknown-variable-in-effect",
        'strikes_ongoing: "False"',
        'strikes_ongoin: "False"',
        20,
        7,
        "unknown variable 'strikes_ongoin'; did you mean 'strikes_ongoing'?",
    ),
    model_edit(
        "unknown-name-in-guard",
        GUARD,
        "when: strikes_ongoing or israel_positon == 'accept_phase_two'",
        17,
        34,
        "unknown name 'israel_positon'; did you mean 'israel_position'?",
    ),
    model_edit(
        "unknown-enum-value-in-comparison",
        GUARD,
        "when: israel_position == 'accept_phase_tow'",
        17,
        34,
        "unknown value of israel_position 'accept_phase_tow'; did you mean 'accept_phase_two'?",
    ),
    model_edit(
        "unknown-enum-value-in-membership",
        GUARD,
        "when: israel_position in ('undeclared', 'accept_phase_tow')",
        17,
        49,
        "unknown value of israel_position 'accept_phase_tow'; did you mean 'accept_phase_two'?",
    ),
    model_edit(
        "misspelled-field",
        "    from: [war]",
        "    frm: [war]",
        13,
        5,
        "unknown field 'frm'; did you mean 'from'?",
    ),
    corpus_model("model-unknown-phase.yaml", 12, 12, "unknown phase 'wr'; did you mean 'war'?"),
    corpus_model("model-unknown-variable.yaml", 21, 7, "unknown variable 'hedl'; did you mean"),
    corpus_model("model-unknown-param.yaml", 18, 15, "unknown name 'relased'; did you mean"),
    # `default` is a field of parameters, not of variables
    corpus_model("model-variable-with-default.yaml", 4, 52, "'default' is not a field here"),
    scenario_edit(
        "unknown-event",
        "event: mediators_join",
        "event: mediators_joi",
        19,
        12,
        "unknown event 'mediators_joi'; did you mean 'mediators_join'?",
    ),
    corpus(
        "unknown-event.yaml",
        7,
        12,
        "unknown event 'hostages_siezed'; did you mean 'hostages_seized'?",
    ),
    scenario_edit(
        "unknown-parameter",
        "{count: 251}",
        "{count: 251, cuont: 3}",
        13,
        26,
        "event 'hostages_seized' has no parameter 'cuont'; did you mean 'count'?",
    ),
    corpus("unknown-param.yaml", 8, 14, "has no parameter 'cuont'; did you mean 'count'?"),
    scenario_edit(
        "unknown-source-in-claim",
        "source: afp_2025_03_28}",
        "source: afp_2025_03_29}",
        16,
        27,
        "unknown source 'afp_2025_03_29'; did you mean 'afp_2025_03_28'?",
    ),
    scenario_edit(
        "unknown-variable-in-expect-ledger",
        "{hostages_held_alive: 251}",
        "{hostages_held_alvie: 251}",
        23,
        12,
        "unknown variable 'hostages_held_alvie'; did you mean 'hostages_held_alive'?",
    ),
    corpus(
        "unknown-variable.yaml",
        5,
        12,
        "unknown variable 'hostages_held_alvie'; did you mean 'hostages_held_alive'?",
    ),
    scenario_edit(
        "unknown-variable-in-expect-holds",
        "- hostages_seized == 251",
        "- hostages_sezied == 251",
        25,
        7,
        "unknown name 'hostages_sezied'; did you mean 'hostages_seized'?",
    ),
    scenario_edit(
        "unknown-actor",
        "actor: qatar",
        "actor: qatr",
        20,
        12,
        "unknown party 'qatr'; did you mean 'qatar'?",
    ),
    corpus(
        "unknown-phase.yaml", 4, 16, "unknown phase 'stalled_talk'; did you mean 'stalled_talks'?"
    ),
    corpus("unknown-phase-in-expect.yaml", 10, 10, "unknown phase 'phase_too'; did you mean"),
    corpus("unknown-field.yaml", 8, 5, "unknown field 'parmas'; did you mean 'params'?"),
    scenario_edit(
        "unknown-model-name",
        "model: gaza_truce",
        "model: gaza_truse",
        3,
        8,
        "no built-in model 'gaza_truse'; did you mean 'gaza_truce'?",
    ),
    corpus(
        "unknown-model.yaml", 3, 8, "no built-in model 'gaza_truse'; did you mean 'gaza_truce'?"
    ),
    corpus("newline-in-model-name.yaml", 3, 9, "no built-in model 'gaza"),
    corpus("missing-model-file.yaml", 3, 8, "model file 'no-such-model.yaml' not found"),
    # a scenario naming a broken model file: the problem is located in the model file
    corpus(
        "bad-model-by-path.yaml",
        12,
        12,
        "unknown phase 'wr'; did you mean 'war'?",
        shown="model-unknown-phase.yaml",
    ),
    corpus("extends-itself.yaml", 4, 10, "'extends' makes a cycle"),
    corpus("extends-missing-file.yaml", 4, 10, "base scenario 'no-such-scenario.yaml' not found"),
    # --- wrong types ---
    model_edit(
        "type-error-bool-plus-int",
        EFFECT,
        "hostages_held_alive: strikes_ongoing + 1",
        21,
        28,
        "'+' needs whole numbers, but this is true or false",
    ),
    model_edit(
        "type-error-int-guard",
        GUARD,
        "when: hostages_held_alive",
        17,
        15,
        "expected true or false, but this expression gives a whole number",
    ),
    model_edit(
        "expression-error-in-quoted-value",
        EFFECT,
        'hostages_held_alive: "hostages_held_alive + True"',
        21,
        51,
        "'+' needs whole numbers, but this is true or false",
    ),
    model_edit(
        "expression-error-in-folded-value",
        GUARD,
        "when: >-\n          strikes_ongoing and\n          hostages_held_alive",
        19,
        11,
        "'and' needs true or false on each side",
    ),
    model_edit(
        "expression-error-in-multi-line-plain-value",
        GUARD,
        "when: strikes_ongoing and\n          hostages_held_alive",
        18,
        11,
        "'and' needs true or false on each side",
    ),
    corpus("string-count.yaml", 8, 21, "'count' must be a whole number (got 'two hundred')"),
    corpus("bool-count.yaml", 8, 21, "'count' must be a whole number (got True)"),
    corpus("float-count.yaml", 8, 21, "'count' must be a whole number (got 2.5)"),
    corpus("count-for-bool.yaml", 12, 25, "'crossings' must be true or false (got 1)"),
    corpus("params-as-list.yaml", 8, 13, "Input should be a valid dictionary (got list)"),
    corpus("events-as-mapping.yaml", 5, 3, "events: Input should be a valid list (got dict)"),
    corpus(
        "figure-best-as-text.yaml", 8, 21, "figure 'count': best: Input should be a valid integer"
    ),
    corpus_model("model-string-min.yaml", 4, 26, "Input should be a valid integer (got 'zero')"),
    corpus_model("model-count-for-final.yaml", 8, 32, "Input should be a valid boolean (got 1)"),
    corpus_model(
        "model-enum-for-bool-initial.yaml", 5, 38, "'talks_open' must be true or false (got 'no')"
    ),
    # --- dates: impossible, invalid, not dates, out of order ---
    scenario_edit(
        "invalid-date",
        "date: 2024-01-01",
        "date: 2025-02-30",
        18,
        11,
        "'2025-02-30': day is out of range for month",
    ),
    corpus("impossible-date.yaml", 6, 11, "invalid value '2025-02-30': day is out of range"),
    scenario_edit(
        "invalid-date-quoted",
        "date: 2024-01-01",
        "date: '2025-02-30'",
        18,
        12,
        "'2025-02-30' is not a real date",
    ),
    corpus("impossible-date-quoted.yaml", 6, 12, "'2025-02-30' is not a real date"),
    corpus("month-13.yaml", 6, 11, "invalid value '2025-13-01': month must be in 1..12"),
    corpus("month-13-quoted.yaml", 6, 12, "'2025-13-01' is not a real date"),
    corpus("not-a-date.yaml", 6, 11, "'not-a-date' is not a date in EDTF"),
    corpus("reversed-range.yaml", 6, 11, "'2025-03-28/2025-01-15' ends before it begins"),
    scenario_edit(
        "events-out-of-order",
        "date: 2024-01-01",
        "date: 2023-01-01",
        18,
        11,
        "'mediation' (2023-01-01) cannot come after 'october_7_attack'",
    ),
    # --- values out of bounds, or missing ---
    model_edit(
        "initial-value-out-of-bounds",
        "max: 100, initial: 10",
        "max: 100, initial: 101",
        4,
        63,
        "initial value: 'hostages_held_alive' must be at most 100 (got 101)",
    ),
    corpus_model("model-initial-below-min.yaml", 4, 48, "'held' must be at least 0 (got -1)"),
    corpus_model("model-min-above-max.yaml", 4, 26, "min (100) is greater than max (0)"),
    scenario_edit(
        "parameter-out-of-bounds",
        "{count: 251}",
        "{count: 1001}",
        13,
        21,
        "'count' must be at most 1000 (got 1001)",
    ),
    corpus("count-above-max.yaml", 8, 21, "'count' must be at most 1000 (got 1001)"),
    corpus("negative-count.yaml", 8, 21, "'count' must be at least 1 (got -5)"),
    corpus("huge-count.yaml", 8, 21, "'count' must be at most 1000"),
    corpus("integer-with-5000-digits.yaml", 8, 21, "invalid value '9999"),
    corpus(
        "negative-start-ledger.yaml", 5, 33, "'hostages_held_alive' must be at least 0 (got -1)"
    ),
    corpus("figure-best-outside-range.yaml", 8, 28, "best (251) must lie between low (1) and high"),
    scenario_edit(
        "missing-required-parameter",
        "    params: {count: 251}\n",
        "",
        12,
        12,
        "event 'hostages_seized' needs parameter 'count' (a whole number)",
    ),
    # --- expressions that try to escape the rule language or compute without bound ---
    model_edit(
        "forbidden-attribute-access",
        GUARD,
        "when: not strikes_ongoing.__class__",
        17,
        19,
        "attribute access ('.') is not allowed",
    ),
    corpus("attribute-access.yaml", 11, 7, "attribute access ('.') is not allowed"),
    corpus_model("model-attribute-access.yaml", 18, 15, "attribute access ('.') is not allowed"),
    model_edit(
        "forbidden-call",
        GUARD,
        "when: strikes_ongoing and __import__('os')",
        17,
        35,
        "only min, max and abs can be called; '__import__' is not one of them",
    ),
    corpus("import-call.yaml", 11, 7, "only min, max and abs can be called"),
    corpus("override-with-import.yaml", 6, 46, "only min, max and abs can be called"),
    corpus_model("model-import-call.yaml", 18, 15, "only min, max and abs can be called"),
    model_edit("forbidden-import", GUARD, "when: import os", 17, 15, "imports are not allowed"),
    model_edit(
        # a plain YAML value cannot hold ": ", so the lambda is written without the space
        "forbidden-lambda",
        GUARD,
        "when: lambda:True",
        17,
        15,
        "'lambda' is not allowed",
    ),
    corpus("lambda.yaml", 11, 8, "'lambda' is not allowed"),
    corpus_model("model-lambda.yaml", 18, 16, "'lambda' is not allowed"),
    model_edit(
        "forbidden-f-string",
        GUARD,
        "when: f'{strikes_ongoing}' == 'True'",
        17,
        15,
        "f-strings are not allowed",
    ),
    model_edit(
        "forbidden-subscript",
        GUARD,
        "when: strikes_ongoing and israel_position[0] == 'u'",
        17,
        35,
        "indexing ('[...]') is not allowed",
    ),
    model_edit(
        "forbidden-power",
        EFFECT,
        "hostages_held_alive: hostages_held_alive + 2 ** 3",
        21,
        50,
        "'**' is not allowed",
    ),
    corpus("power-tower.yaml", 11, 7, "'**' is not allowed"),
    corpus_model("model-power-tower.yaml", 21, 13, "'**' is not allowed"),
    model_edit(
        "forbidden-true-division",
        EFFECT,
        "hostages_held_alive: 1 + hostages_held_alive / 2",
        21,
        32,
        "'/' is not allowed",
    ),
    model_edit(
        "forbidden-huge-literal",
        EFFECT,
        "hostages_held_alive: hostages_held_alive + 99999999999999999999",
        21,
        50,
        "number is too large",
    ),
    model_edit(
        "forbidden-huge-literal-unquoted",
        EFFECT,
        "hostages_held_alive: 99999999999999999999",
        21,
        28,
        "number is too large",
    ),
    corpus("huge-literal.yaml", 11, 7, "number is too large"),
    corpus_model("model-huge-literal.yaml", 21, 13, "number is too large"),
    corpus("string-repetition.yaml", 11, 8, "'*' needs whole numbers"),
    corpus("string-repetition-without-power.yaml", 11, 8, "'*' needs whole numbers"),
    corpus_model("model-string-repetition.yaml", 18, 16, "'*' needs whole numbers"),
    model_edit(
        "expression-syntax-error",
        GUARD,
        "when: strikes_ongoing == = True",
        17,
        34,
        "invalid syntax",
    ),
    corpus("long-expression.yaml", 11, 7, "expression is longer than 1000 characters"),
    corpus("too-many-parts.yaml", 11, 7, "expression has more than 400 parts"),
    corpus("chained-unary-minus.yaml", 11, 8, "expression has more than 400 parts"),
    corpus("nested-parentheses.yaml", 11, 207, "too many nested parentheses"),
    # --- the largest files the program agrees to read (about a second each, so: slow) ---
    # tens of thousands of misspelled names or bad dates: the report stops after 100 problems
    generated(
        "many-unknown-names.yaml",
        lambda: _filled(
            _HEAD + "events: []\nexpect:\n  holds:\n", "    - hostages_sezied == {index}\n"
        ),
        7,
        7,
        "unknown name 'hostages_sezied'; did you mean 'hostages_seized'?",
        marks=pytest.mark.slow,
    ),
    generated(
        "many-unknown-events.yaml",
        lambda: _filled(_HEAD + "events:\n", "  - {{id: e{index}, event: mediators_joi}}\n"),
        5,
        21,
        "unknown event 'mediators_joi'; did you mean 'mediators_join'?",
        marks=pytest.mark.slow,
    ),
    generated(
        "many-bad-dates.yaml",
        lambda: _filled(
            _HEAD + "events:\n",
            "  - {{id: e{index}, date: nonsense{index}, event: mediators_join}}\n",
        ),
        5,
        20,
        "'nonsense0' is not a date in EDTF",
        marks=pytest.mark.slow,
    ),
    # one misspelled event, then about 15,000 valid ones: a single problem
    generated(
        "many-valid-events-one-unknown.yaml",
        lambda: _filled(
            _HEAD + "events:\n  - {id: first, event: mediators_joi}\n",
            "  - {{id: e{index}, date: 2024-01-01, event: mediators_join}}\n",
        ),
        5,
        24,
        "unknown event 'mediators_joi'; did you mean 'mediators_join'?",
        marks=pytest.mark.slow,
    ),
]


# --- running a case -------------------------------------------------------------------------


class _Runaway(BaseException):
    """Raised by the watchdog. A BaseException, so that no `except Exception` swallows it."""


@contextlib.contextmanager
def _watchdog(what: str) -> Iterator[None]:
    """Fail the test if the block still runs after WATCHDOG_SECONDS (where there is SIGALRM)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Runaway

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, WATCHDOG_SECONDS)
    try:
        yield
    except _Runaway:
        pytest.fail(f"{what} still running after {WATCHDOG_SECONDS} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _peak_growth() -> Iterator[list[int]]:
    """How far the block raises the process's resident memory above where it started, in bytes.

    Linux keeps the peak (VmHWM) and lets a process reset it to the current size, so this costs
    nothing, unlike tracemalloc, which slows every allocation several times over. Elsewhere the
    list stays empty and the bound goes unchecked.
    """
    measured: list[int] = []
    status = Path("/proc/self/status")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak := the current size
        start = _status_bytes(status, "VmRSS")
    except OSError:
        yield measured
        return
    yield measured
    measured.append(_status_bytes(status, "VmHWM") - start)


def _status_bytes(status: Path, field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB$", status.read_text(), re.MULTILINE)
    assert found, f"no {field} in {status}"
    return int(found[1]) * 1024


def _placed(case: Case, folder: Path) -> Path:
    """The folder to give the case's file from, by its bare name (so it is shown as given)."""
    if case.content is None:
        return CORPUS
    raw = case.content() if callable(case.content) else case.content
    (folder / case.given).write_bytes(raw)
    return folder


LOADERS: dict[Kind, Callable[[str], Model | Scenario]] = {
    "model": load_model,
    "scenario": load_scenario,
}
COMMANDS: dict[Kind, str] = {"model": "check", "scenario": "run"}


@pytest.mark.parametrize("case", CASES)
def test_loader_refuses_a_bad_file_with_a_located_problem(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_placed(case, tmp_path))

    with (
        _peak_growth() as growth,
        _watchdog(f"loading {case.given}"),
        pytest.raises(FileError) as caught,
    ):
        LOADERS[case.kind](case.given)

    problems = caught.value.problems
    shown = "\n".join(str(problem) for problem in problems[:20])
    wanted = Location(case.shown or case.given, case.line, case.column)
    assert any(
        problem.location == wanted and case.message in problem.message for problem in problems
    ), f"no problem saying {case.message!r} at {wanted}:\n{shown}"
    assert len(set(problems)) == len(problems), f"a problem reported twice:\n{shown}"
    assert all(peak < PEAK_BYTES for peak in growth), f"grew by {growth[0] / 2**20:.0f} MB"


@pytest.mark.parametrize("case", CASES)
def test_command_refuses_a_bad_file_with_file_line_col_lines(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_placed(case, tmp_path))
    arguments = [COMMANDS[case.kind], case.given]

    with _watchdog(f"`negotiation {' '.join(arguments)}`"):
        result: Result = CliRunner().invoke(cli, arguments, catch_exceptions=False)

    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.endswith("\n"), f"no complete line on stderr: {result.stderr[:200]!r}"
    lines = result.stderr.removesuffix("\n").split("\n")  # lines as a terminal shows them
    malformed = [text for text in lines if not PROBLEM_LINE.fullmatch(text)]
    assert not malformed, f"not file:line:col: message: {malformed[:3]}"
    found = [PROBLEM_LINE.fullmatch(text) for text in lines]
    located = {
        (match["file"], int(match["line"]), int(match["column"]))
        for match in found
        if match is not None and case.message in match["message"]
    }
    wanted = (case.shown or case.given, case.line, case.column)
    assert wanted in located, f"{case.message!r} not there:\n{result.stderr[:2000]}"


def test_every_corpus_file_is_a_case() -> None:
    # A file added to the corpus without its expectations here would never be run.
    files = {path.name for path in CORPUS.iterdir()}
    cases = {param.values[0].given for param in CASES if param.values[0].content is None}
    assert files == cases


# --- what the report says, beyond one located problem ---------------------------------------


def _model_problems(text: str, folder: Path) -> tuple[Problem, ...]:
    (folder / MODEL_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(FileError) as caught:
        load_model(folder / MODEL_FILE)
    return caught.value.problems


def _scenario_problems(text: str, folder: Path) -> tuple[Problem, ...]:
    (folder / SCENARIO_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(FileError) as caught:
        load_scenario(folder / SCENARIO_FILE)
    return caught.value.problems


def test_base_files_are_valid(tmp_path: Path) -> None:
    # Every inline case breaks one of these; they must be valid to begin with.
    (tmp_path / MODEL_FILE).write_text(MODEL, encoding="utf-8")
    (tmp_path / SCENARIO_FILE).write_text(SCENARIO, encoding="utf-8")
    assert load_model(tmp_path / MODEL_FILE).name == "tiny"
    assert load_scenario(tmp_path / SCENARIO_FILE).name == "short"


def test_problem_prints_as_file_line_column_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    problems = _model_problems(edited(MODEL, "to: phase_one", "to: phase_onr"), Path("."))
    assert [str(p) for p in problems] == [
        "tiny.yaml:14:9: unknown phase 'phase_onr'; did you mean 'phase_one'?"
    ]


def test_expression_syntax_error_says_invalid_syntax_once(tmp_path: Path) -> None:
    problems = _model_problems(edited(MODEL, GUARD, "when: strikes_ongoing == = True"), tmp_path)
    assert [p.message.count("invalid syntax") for p in problems] == [1]


def test_bad_initial_value_is_not_also_reported_as_an_unknown_variable(tmp_path: Path) -> None:
    problems = _model_problems(
        edited(MODEL, "max: 100, initial: 10", "max: 100, initial: 101"), tmp_path
    )
    assert [p.message for p in problems] == [
        "initial value: 'hostages_held_alive' must be at most 100 (got 101)"
    ]


def test_unknown_builtin_model_name_suggests_the_nearest() -> None:
    with pytest.raises(FileError) as caught:
        load_model("gaza_truse")
    assert [str(p) for p in caught.value.problems] == [
        "gaza_truse:1:1: no built-in model 'gaza_truse'; did you mean 'gaza_truce'?"
    ]


def test_a_field_of_another_section_is_not_suggested_as_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(
        cli, ["check", "model-variable-with-default.yaml"], catch_exceptions=False
    )
    assert "'default' is not a field here" in result.stderr
    assert "did you mean 'default'?" not in result.stderr


def test_model_with_several_problems_reports_all_sorted_by_line(tmp_path: Path) -> None:
    text = MODEL
    for old, new in [
        ('strikes_ongoing: "False"', 'strikes_ongoin: "False"'),  # line 20
        ("from: [war]", "from: [wr]"),  # line 13
        ("initial: war", "initial: wr"),  # line 10
        (GUARD, "when: israel_positon == 'accept_phase_two'"),  # line 17
    ]:
        text = edited(text, old, new)
    problems = _model_problems(text, tmp_path)
    assert [(p.location.line, p.location.column) for p in problems] == [
        (10, 10),
        (13, 12),
        (17, 15),
        (20, 7),
    ]
    assert "unknown phase 'wr'" in problems[1].message


def test_scenario_with_several_problems_reports_all_sorted_by_line(tmp_path: Path) -> None:
    text = SCENARIO
    for old, new in [
        ("- hostages_seized == 251", "- hostages_sezied == 251"),  # line 25
        ("event: mediators_join", "event: mediators_joi"),  # line 19
        ("source: afp_2025_03_28}", "source: afp_2025_03_29}"),  # line 16
        ("{hostages_held_alive: 251}", "{hostages_held_alvie: 251}"),  # line 23
    ]:
        text = edited(text, old, new)
    problems = _scenario_problems(text, tmp_path)
    assert [(p.location.line, p.location.column) for p in problems] == [
        (16, 27),
        (19, 12),
        (23, 12),
        (25, 7),
    ]


# --- any bytes, any YAML document -----------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _loaded_or_refused(loader: Callable[[Path], object], path: Path, kind: type) -> None:
    """`loader` gives a `kind`, or a FileError whose every problem is located."""
    try:
        loaded = loader(path)
    except FileError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.location.line >= 1 and problem.location.column >= 1
            assert problem.message
    else:
        assert isinstance(loaded, kind)


# Arbitrary bytes rarely get past the YAML layer, so half the examples are the valid model with
# a slice of it replaced by random text: those reach the schema, the names and the expressions.
_spliced_models = st.builds(
    lambda start, length, insert: (MODEL[:start] + insert + MODEL[start + length :]).encode(),
    st.integers(0, len(MODEL)),
    st.integers(0, 40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
    | st.text(alphabet=":-[]{},'\"&*!#|>%@?\n \t0123456789.+*/()=<_abc", max_size=20),
)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=512) | _spliced_models)
def test_any_bytes_give_a_model_or_a_file_error(fuzz_folder: Path, raw: bytes) -> None:
    path = fuzz_folder / "bytes.yaml"
    path.write_bytes(raw)
    _loaded_or_refused(load_model, path, Model)


GAZA = load_model("gaza_truce")
TOP_LEVEL_KEYS = sorted(
    {
        field.alias or name
        for spec in (ModelSpec, ScenarioSpec)
        for name, field in spec.model_fields.items()
    }
)
# Names that mean something to the loaders, so that some documents get past the schema.
MEANINGFUL = sorted(
    {
        "gaza_truce",
        "any",
        "int",
        "bool",
        "enum",
        "2025-02-30",
        "2025-03-20~",
        "hostages_seized + count <= 1000",
        *GAZA.events,
        *GAZA.phases,
        *GAZA.variables,
        *(param for event in GAZA.events.values() for param in event.params),
    }
)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.dates()
    | st.sampled_from(MEANINGFUL)
)
_keys = (
    st.sampled_from(FIELD_NAMES)
    | st.sampled_from(MEANINGFUL)
    | st.text(max_size=12)
    | st.integers(-3, 3)
    | st.booleans()
    | st.dates()
)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=40,
)
# Rules: some valid, some ill-typed, some hostile; the rest are arbitrary text.
RULES = [
    "hostages_seized + count <= 1000",
    "phase == 'war'",
    "strikes_ongoing",
    "released <= held",
    "held - released",
    "held >= 0",
    "talks_open and held",
    "().__class__",
    "2 ** 10 ** 10",
]
_rules = st.sampled_from(RULES) | st.text(max_size=30)
_dates = st.dates().map(datetime.date.isoformat) | st.sampled_from(
    ["2025-02-30", "2025-13-01", "2025-03-20~", "2023-10-07/2025-01-15", "not-a-date"]
)
_gaza_names = st.sampled_from(MEANINGFUL)
_counts = st.integers(-5, 1005)
_ledgers = st.dictionaries(_gaza_names, _counts | _scalars, max_size=3)

_entries = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "c"]), "event": st.sampled_from(sorted(GAZA.events))},
    optional={
        "date": _dates,
        "params": st.dictionaries(_gaza_names, _counts | _scalars | _values, max_size=3),
    },
)
_scenarios = st.fixed_dictionaries(
    {
        "scenario": st.just("fuzz"),
        "title": st.text(max_size=10),
        "model": st.just("gaza_truce"),
        "events": st.lists(_entries, max_size=4),
    },
    optional={
        "start": st.fixed_dictionaries(
            {}, optional={"phase": _gaza_names, "date": _dates, "ledger": _ledgers}
        ),
        "expect": st.fixed_dictionaries(
            {},
            optional={
                "phase": _gaza_names,
                "ledger": _ledgers,
                "holds": st.lists(_rules, max_size=3),
            },
        ),
        "overrides": st.fixed_dictionaries(
            {"guards": st.dictionaries(st.just("hostages_seized.within_hostage_capacity"), _rules)}
        ),
    },
)

# A small model's vocabulary, so that some model documents reach the names and the rules.
_phase_names = st.sampled_from(["war", "truce"])
_type_fields = {
    "min": st.integers(-2, 2),
    "max": st.integers(-2, 100),
    "values": st.lists(st.sampled_from(["war", "truce", "undeclared"]), max_size=3),
}
_kinds = st.sampled_from(["int", "bool", "enum"])
_initial = st.integers(-2, 100) | st.booleans() | st.sampled_from(["war", "undeclared"]) | _scalars
_variables = st.fixed_dictionaries({"type": _kinds, "initial": _initial}, optional=_type_fields)
_params = st.fixed_dictionaries({"type": _kinds}, optional={**_type_fields, "default": _initial})
_model_events = st.fixed_dictionaries(
    {"from": st.lists(_phase_names, max_size=2) | st.just("any")},
    optional={
        "to": _phase_names,
        "params": st.dictionaries(st.just("released"), _params, max_size=1),
        "guards": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["g", "h"]), "when": _rules, "reason": st.just("why")}
            ),
            max_size=2,
        ),
        "effects": st.dictionaries(st.sampled_from(["held", "talks_open"]), _rules, max_size=2),
    },
)
_models = st.fixed_dictionaries(
    {
        "model": st.just("fuzz"),
        "title": st.text(max_size=10),
        "variables": st.dictionaries(st.sampled_from(["held", "talks_open"]), _variables),
        "phases": st.dictionaries(
            _phase_names,
            st.fixed_dictionaries({"title": st.just("A phase")}, optional={"final": st.booleans()}),
            min_size=1,
        ),
        "initial": _phase_names,
        "events": st.dictionaries(st.sampled_from(["truce_begins", "war_resumes"]), _model_events),
    },
    optional={
        "invariants": st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["i", "j"]), "holds": _rules}),
            max_size=2,
        ),
    },
)

# Anything; a mapping of the formats' top-level keys; or a near-scenario or near-model.
_documents = (
    _values
    | st.dictionaries(st.sampled_from(TOP_LEVEL_KEYS) | _keys, _values, max_size=12)
    | _scenarios
    | _models
)


def _dumped(data: Any) -> bytes:
    yaml = YAML(typ="safe", pure=True)
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue().encode()


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(data=_documents)
def test_any_yaml_document_gives_a_model_a_scenario_or_a_file_error(
    fuzz_folder: Path, data: Any
) -> None:
    path = fuzz_folder / "document.yaml"
    path.write_bytes(_dumped(data))
    _loaded_or_refused(load_model, path, Model)
    _loaded_or_refused(load_scenario, path, Scenario)
