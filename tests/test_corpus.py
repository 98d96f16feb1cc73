"""A corpus of hostile and broken input files, run through the real command line.

Every file the program reads is untrusted. Each case is one file in tests/corpus/ (or, when it is
too big to keep in the repository, one generated into a temporary folder) given to
`negotiation run` (scenarios) or `negotiation check` (models), and each must be refused the same
way: exit code 2, nothing on stdout, one or more `file:line:col: message` lines on stderr (one of
them at the case's line and column, saying the case's key words), no traceback, in under a second
and without a runaway in memory. The last test builds arbitrary YAML documents and feeds them to
the loaders: the answer is a model, a scenario or a FileError, never another exception.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import re
import signal
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from negotiation.cli import cli
from negotiation.errors import FileError
from negotiation.files.schema import FIELD_NAMES, ModelSpec, ScenarioSpec
from negotiation.files.yamlfile import MAX_BYTES, parse_document
from negotiation.rules.model import Model, build_model, load_model
from negotiation.scenarios.dates import parse_date
from negotiation.scenarios.scenario import Scenario, build_scenario

CORPUS = Path(__file__).parent / "corpus"
GAZA_SCENARIO = Path(__file__).parents[1] / "scenarios" / "gaza-2025.yaml"

# One problem as the CLI prints it: file:line:col: message (file names here hold no colon).
PROBLEM_LINE = re.compile(
    r"(?P<file>[^:\n]+):(?P<line>[1-9]\d*):(?P<column>[1-9]\d*): (?P<message>.+)"
)

# Safety bounds, not benchmarks: a case handled well takes milliseconds and at most a few tens of
# MB. A runaway (an alias bomb expanded, a power tower computed, 'a' * 10**9 built) takes minutes
# or gigabytes.
SECONDS = 1.0
PEAK_BYTES = 100 * 2**20
# A runaway is cut off here, so that it fails the test instead of hanging the suite.
WATCHDOG_SECONDS = 2 * SECONDS


# --- files too big for the repository, generated into the test's folder ---------------------


def _filled(head: str, line: str, tail: str = "") -> bytes:
    """`head`, then `line` (formatted with its index) as many times as fit just under the size
    limit, then `tail`: the largest file the program agrees to read."""
    room = MAX_BYTES - 10_000 - len(head) - len(tail)
    count = room // len(line.format(index=10**6))
    return (head + "".join(line.format(index=i) for i in range(count)) + tail).encode()


_HEAD = "scenario: big\ntitle: A big file\nmodel: gaza_truce\n"

GENERATED: dict[str, Callable[[], bytes]] = {
    # 3 MB: refused by its size before it is parsed
    "three-megabytes.yaml": lambda: (_HEAD + "events: []\n" + "# padding\n" * 300_000).encode(),
    # tens of thousands of misspelled names: the report stops after 100 problems
    "many-unknown-names.yaml": lambda: _filled(
        _HEAD + "events: []\nexpect:\n  holds:\n", "    - hostages_sezied == {index}\n"
    ),
    "many-unknown-events.yaml": lambda: _filled(
        _HEAD + "events:\n", "  - {{id: e{index}, event: mediators_engag}}\n"
    ),
    "many-bad-dates.yaml": lambda: _filled(
        _HEAD + "events:\n",
        "  - {{id: e{index}, date: nonsense{index}, event: mediators_engage}}\n",
    ),
    # one misspelled event, then about 15,000 valid ones: a single problem
    "many-valid-events-one-unknown.yaml": lambda: _filled(
        _HEAD + "events:\n  - {id: first, event: mediators_engag}\n",
        "  - {{id: e{index}, date: 2024-01-01, event: mediators_engage}}\n",
    ),
}


# --- the cases ------------------------------------------------------------------------------


def case(
    file: str,
    line: int,
    column: int,
    message: str,
    *,
    command: str = "run",
    shown: str | None = None,
    marks: Any = (),
) -> Any:
    """One corpus case: `file` given to `negotiation COMMAND` must be refused with a problem at
    `shown` (default: the file itself):LINE:COLUMN whose message contains `message`."""
    return pytest.param(
        file, command, shown or file, line, column, message, id=Path(file).stem, marks=marks
    )


def model_case(file: str, line: int, column: int, message: str, **options: Any) -> Any:
    return case(file, line, column, message, command="check", **options)


CASES = [
    # --- bytes that are not YAML text ---
    case("empty.yaml", 1, 1, "file is empty"),
    case("random-bytes.bin", 1, 3, "not UTF-8 text (byte 0xb2)"),
    case("png-header.png", 1, 1, "not UTF-8 text (byte 0x89)"),
    case("latin-1-text.yaml", 2, 9, "not UTF-8 text (byte 0xe9)"),
    case("nul-byte.yaml", 2, 16, "control character U+0000 is not allowed"),
    case("three-megabytes.yaml", 1, 1, "file is too large (3,000,061 bytes"),
    # --- YAML that could execute, explode or mislead ---
    case("billion-laughs.yaml", 6, 11, "YAML aliases (*name) are not allowed"),
    case(
        "python-object-apply-tag.yaml",
        2,
        8,
        "tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed",
    ),
    case(
        "python-name-tag.yaml",
        2,
        8,
        "tags such as 'tag:yaml.org,2002:python/name:os.system' are not allowed",
    ),
    model_case(
        "python-object-apply-tag-in-model.yaml",
        19,
        17,
        "tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed",
    ),
    # a %TAG directive that makes `!object/apply:` mean `!!python/object/apply:`
    case("tag-directive.yaml", 4, 8, "'tag:yaml.org,2002:python/object/apply:os.system'"),
    case("local-tag.yaml", 2, 8, "tags such as '!shell' are not allowed"),
    case("merge-key.yaml", 4, 1, "merge keys (<<) are not allowed"),
    case(
        "bool-tag-bad-value.yaml",
        2,
        8,
        "invalid value 'maybe'",
    ),
    case(
        "int-tag-empty-value.yaml",
        2,
        8,
        "invalid value ''",
    ),
    case("deep-nesting-lists.yaml", 4, 48, "nesting is deeper than 40 levels"),
    case("deep-nesting-mappings.yaml", 4, 165, "nesting is deeper than 40 levels"),
    case("duplicate-key.yaml", 4, 1, "duplicate key 'title' (first given on line 2)"),
    case("duplicate-param.yaml", 8, 26, "duplicate key 'count' (first given on line 8)"),
    model_case("duplicate-key-in-model.yaml", 9, 3, "duplicate key 'war' (first given on line 7)"),
    case("two-documents.yaml", 9, 1, "a file holds one YAML document; found a second"),
    case("unclosed-quote.yaml", 2, 8, "a quoted scalar is never closed"),
    case("tab-indentation.yaml", 7, 1, "found a tab character that violates indentation"),
    case("list-as-key.yaml", 4, 1, "a mapping key must be a plain name"),
    case(
        "newline-in-key.yaml",
        5,
        4,
        "unknown field 'phase",
    ),
    case("top-level-list.yaml", 1, 1, "expected a mapping of fields, got list"),
    case("top-level-scalar.yaml", 1, 1, "expected a mapping of fields, got str"),
    # --- names: unknown, with "did you mean" ---
    case(
        "unknown-event.yaml",
        7,
        12,
        "unknown event 'hostages_siezed'; did you mean 'hostages_seized'?",
    ),
    case(
        "unknown-phase.yaml", 4, 16, "unknown phase 'stalled_talk'; did you mean 'stalled_talks'?"
    ),
    case("unknown-phase-in-expect.yaml", 10, 10, "unknown phase 'phase_too'; did you mean"),
    case(
        "unknown-variable.yaml",
        5,
        12,
        "unknown variable 'hostages_held_alvie'; did you mean 'hostages_held_alive'?",
    ),
    case("unknown-param.yaml", 8, 14, "has no parameter 'cuont'; did you mean 'count'?"),
    case("unknown-field.yaml", 8, 5, "unknown field 'parmas'; did you mean 'params'?"),
    case("unknown-model.yaml", 3, 8, "no built-in model 'gaza_truse'; did you mean 'gaza_truce'?"),
    case(
        "newline-in-model-name.yaml",
        3,
        9,
        "no built-in model 'gaza",
    ),
    case("missing-model-file.yaml", 3, 8, "model file 'no-such-model.yaml' not found"),
    # a scenario naming a broken model file: the problem is located in the model file
    case(
        "bad-model-by-path.yaml",
        12,
        12,
        "unknown phase 'wr'; did you mean 'war'?",
        shown="model-unknown-phase.yaml",
    ),
    case("extends-itself.yaml", 4, 10, "'extends' makes a cycle"),
    case("extends-missing-file.yaml", 4, 10, "base scenario 'no-such-scenario.yaml' not found"),
    model_case("model-unknown-phase.yaml", 12, 12, "unknown phase 'wr'; did you mean 'war'?"),
    model_case("model-unknown-variable.yaml", 21, 7, "unknown variable 'hedl'; did you mean"),
    model_case("model-unknown-param.yaml", 18, 15, "unknown name 'relased'; did you mean"),
    # `default` is a field of parameters, not of variables
    model_case("model-variable-with-default.yaml", 4, 52, "'default' is not a field here"),
    # --- wrong types ---
    case("string-count.yaml", 8, 21, "'count' must be a whole number (got 'two hundred')"),
    case("bool-count.yaml", 8, 21, "'count' must be a whole number (got True)"),
    case("float-count.yaml", 8, 21, "'count' must be a whole number (got 2.5)"),
    case("count-for-bool.yaml", 12, 25, "'crossings' must be true or false (got 1)"),
    case("params-as-list.yaml", 8, 13, "Input should be a valid dictionary (got list)"),
    case("events-as-mapping.yaml", 5, 3, "events: Input should be a valid list (got dict)"),
    case(
        "figure-best-as-text.yaml", 8, 21, "figure 'count': best: Input should be a valid integer"
    ),
    model_case("model-string-min.yaml", 4, 26, "Input should be a valid integer (got 'zero')"),
    model_case("model-count-for-final.yaml", 8, 32, "Input should be a valid boolean (got 1)"),
    model_case(
        "model-enum-for-bool-initial.yaml", 5, 38, "'talks_open' must be true or false (got 'no')"
    ),
    # --- dates: impossible, invalid, not dates ---
    case("impossible-date.yaml", 6, 11, "invalid value '2025-02-30': day is out of range"),
    case("impossible-date-quoted.yaml", 6, 12, "'2025-02-30' is not a real date"),
    case("month-13.yaml", 6, 11, "invalid value '2025-13-01': month must be in 1..12"),
    case("month-13-quoted.yaml", 6, 12, "'2025-13-01' is not a real date"),
    case("not-a-date.yaml", 6, 11, "'not-a-date' is not a date in EDTF"),
    case("reversed-range.yaml", 6, 11, "'2025-03-28/2025-01-15' ends before it begins"),
    # --- counts out of bounds ---
    case("negative-count.yaml", 8, 21, "'count' must be at least 1 (got -5)"),
    case("count-above-max.yaml", 8, 21, "'count' must be at most 1000 (got 1001)"),
    case("huge-count.yaml", 8, 21, "'count' must be at most 1000"),
    case("integer-with-5000-digits.yaml", 8, 21, "invalid value '9999"),
    case("negative-start-ledger.yaml", 5, 33, "'hostages_held_alive' must be at least 0 (got -1)"),
    case("figure-best-outside-range.yaml", 8, 28, "best (251) must lie between low (1) and high"),
    model_case("model-initial-below-min.yaml", 4, 48, "'held' must be at least 0 (got -1)"),
    model_case("model-min-above-max.yaml", 4, 26, "min (100) is greater than max (0)"),
    # --- expressions that try to escape the rule language or compute without bound ---
    case("attribute-access.yaml", 11, 7, "attribute access ('.') is not allowed"),
    case("import-call.yaml", 11, 7, "only min, max and abs can be called"),
    case("lambda.yaml", 11, 8, "'lambda' is not allowed"),
    case("power-tower.yaml", 11, 7, "'**' is not allowed"),
    case("huge-literal.yaml", 11, 7, "number is too large"),
    case("string-repetition.yaml", 11, 8, "'*' needs whole numbers"),
    case("string-repetition-without-power.yaml", 11, 8, "'*' needs whole numbers"),
    case("long-expression.yaml", 11, 7, "expression is longer than 1000 characters"),
    case("too-many-parts.yaml", 11, 7, "expression has more than 400 parts"),
    case("chained-unary-minus.yaml", 11, 8, "expression has more than 400 parts"),
    case("nested-parentheses.yaml", 11, 207, "too many nested parentheses"),
    case("override-with-import.yaml", 6, 46, "only min, max and abs can be called"),
    model_case("model-attribute-access.yaml", 18, 15, "attribute access ('.') is not allowed"),
    model_case("model-import-call.yaml", 18, 15, "only min, max and abs can be called"),
    model_case("model-lambda.yaml", 18, 16, "'lambda' is not allowed"),
    model_case("model-power-tower.yaml", 21, 13, "'**' is not allowed"),
    model_case("model-huge-literal.yaml", 21, 13, "number is too large"),
    model_case("model-string-repetition.yaml", 18, 16, "'*' needs whole numbers"),
    # --- the largest files the program agrees to read ---
    case(
        "many-unknown-names.yaml",
        7,
        7,
        "unknown name 'hostages_sezied'; did you mean 'hostages_seized'?",
    ),
    case(
        "many-unknown-events.yaml",
        5,
        21,
        "unknown event 'mediators_engag'; did you mean 'mediators_engage'?",
    ),
    case(
        "many-bad-dates.yaml",
        5,
        20,
        "'nonsense0' is not a date in EDTF",
    ),
    case(
        "many-valid-events-one-unknown.yaml",
        5,
        24,
        "unknown event 'mediators_engag'; did you mean 'mediators_engage'?",
    ),
]


# --- running a case -------------------------------------------------------------------------


class _Runaway(BaseException):
    """Raised by the watchdog. A BaseException, so that no `except Exception` swallows it."""


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """Interrupt the code in the block after `seconds` (where the platform has SIGALRM)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Runaway

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _measured(arguments: list[str]) -> tuple[Result, float, int]:
    """Invoke the CLI twice: once timed, once with its memory traced; return the timed run's
    result, its wall time, and the traced run's peak. (Tracing slows a run several times over, so
    the two are measured apart.)"""
    runner = CliRunner()
    try:
        with _watchdog(WATCHDOG_SECONDS):
            start = time.perf_counter()
            result = runner.invoke(cli, arguments, catch_exceptions=False)
            seconds = time.perf_counter() - start
    except _Runaway:
        pytest.fail(f"`negotiation {' '.join(arguments)}` still running after {WATCHDOG_SECONDS} s")
    tracemalloc.start()
    try:
        with _watchdog(WATCHDOG_SECONDS * 5):
            runner.invoke(cli, arguments, catch_exceptions=False)
        peak = tracemalloc.get_traced_memory()[1]
    except _Runaway:
        pytest.fail(f"`negotiation {' '.join(arguments)}` ran away with its memory traced")
    finally:
        tracemalloc.stop()
    return result, seconds, peak


@pytest.fixture(scope="module", autouse=True)
def _imports_done() -> None:
    # The first command in a process imports the package's modules, builds pydantic's validators
    # and, for the first EDTF date, imports edtf: one-time costs of the process, not of the file.
    CliRunner().invoke(cli, ["run", str(GAZA_SCENARIO)])
    CliRunner().invoke(cli, ["check", "gaza_truce"])
    parse_date("2025-03~")


@pytest.mark.parametrize(("file", "command", "shown", "line", "column", "message"), CASES)
def test_bad_file_is_refused_with_located_problems_in_bounded_time_and_memory(
    file: str,
    command: str,
    shown: str,
    line: int,
    column: int,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if file in GENERATED:
        (tmp_path / file).write_bytes(GENERATED[file]())
        monkeypatch.chdir(tmp_path)
    else:
        monkeypatch.chdir(CORPUS)  # so that the file is shown by its name, as it was given

    result, seconds, peak = _measured([command, file])

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
        if match is not None and message in match["message"]
    }
    assert (shown, line, column) in located, f"{message!r} not there:\n{result.stderr[:2000]}"
    assert seconds < SECONDS, f"took {seconds:.2f} s"
    assert peak < PEAK_BYTES, f"peak memory {peak / 2**20:.0f} MB"


def test_a_field_of_another_section_is_not_suggested_as_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(
        cli, ["check", "model-variable-with-default.yaml"], catch_exceptions=False
    )
    assert "'default' is not a field here" in result.stderr
    assert "did you mean 'default'?" not in result.stderr


def test_every_corpus_file_is_a_case() -> None:
    # A file added to the corpus without its expectations here would never be run.
    files = {path.name for path in CORPUS.iterdir()}
    cases = {param.values[0] for param in CASES}
    assert files == cases - set(GENERATED)


# --- arbitrary YAML documents ---------------------------------------------------------------

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


def _assert_located(error: FileError) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.location.line >= 1 and problem.location.column >= 1
        assert problem.message


@settings(max_examples=300, deadline=None)
@given(_documents)
def test_any_yaml_document_gives_a_model_a_scenario_or_a_file_error(data: Any) -> None:
    try:
        document = parse_document(_dumped(data), "fuzz.yaml")
    except FileError as error:
        _assert_located(error)
        return
    try:
        model = build_model(document)
    except FileError as error:
        _assert_located(error)
    else:
        assert isinstance(model, Model)
    try:
        scenario = build_scenario(document, CORPUS)
    except FileError as error:
        _assert_located(error)
    else:
        assert isinstance(scenario, Scenario)
