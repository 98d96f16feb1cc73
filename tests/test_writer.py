"""The scenario writer: load(dump(scenario)) == scenario, for every field and for counterfactuals,
strings from input always quoted, and the skeleton of a counterfactual safe from its base's title.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from ruamel.yaml import YAML
from ruamel.yaml.events import ScalarEvent

from negotiation import FileError, load_model, load_scenario, replay
from negotiation.files.schema import FIELD_NAMES
from negotiation.files.yamlfile import parse_document
from negotiation.rules.model import Model
from negotiation.scenarios import writer
from negotiation.scenarios.load import build_scenario
from negotiation.scenarios.scenario import Scenario
from negotiation.scenarios.writer import (
    counterfactual_skeleton,
    dump_data,
    dump_scenario,
    scenario_data,
)
from negotiation.testing import counterfactual_scenarios, scenarios

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
EXAMPLES = ROOT / "docs" / "examples"
TEST_MODELS = ROOT / "tests" / "models"
# The two-region example files and a one-region one, beside their models.
EXAMPLE_FILES = [
    TEST_MODELS / "two-regions-scenario.yaml",
    EXAMPLES / "truce-scenario.yaml",
    EXAMPLES / "ceasefire-scenario.yaml",
]
# The models scenarios are generated for, each named as a scenario names it. Files by their
# absolute path, so a dumped scenario finds its model wherever it is written.
GENERATED_ON = {
    "two regions": str(TEST_MODELS / "two_regions.yaml"),
    "one region": str(EXAMPLES / "ceasefire-model.yaml"),
    "gaza_truce": "gaza_truce",
}
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# For a property expected to fail: stop at the first failure, without shrinking it.
FIND_FAILURE = settings(PROPERTY, phases=[Phase.generate], database=None)
# ... and its failing example, a whole scenario, is long to show: hypothesis warns, as expected.
LARGE_EXAMPLE_REPR = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@functools.cache
def model_of(which: str) -> Model:
    # Loaded when a test asks: a model that does not load fails its own tests, not the module.
    return load_model(GENERATED_ON[which])


def load_text(text: str, folder: Path = EXAMPLES) -> Scenario:
    return build_scenario(parse_document(text.encode(), str(folder / "dumped.yaml")), folder)


def load_or_none(text: str) -> Scenario | None:
    """The scenario `text` holds, or None if it does not load (a writer left a field out that
    another needs)."""
    try:
        return load_text(text)
    except FileError:
        return None


def round_trip_counterfactual(base: Scenario, counterfactual: Scenario) -> Scenario:
    """The counterfactual written next to its base, and loaded back."""
    with tempfile.TemporaryDirectory() as folder:
        assert counterfactual.extends is not None
        Path(folder, counterfactual.extends).write_text(dump_scenario(base), encoding="utf-8")
        Path(folder, "counterfactual.yaml").write_text(dump_scenario(counterfactual), "utf-8")
        return load_scenario(Path(folder, "counterfactual.yaml"))


# --- the round trip over generated scenarios --------------------------------------------------
# The Gaza model takes a tenth of a second to load, and each round trip loads it: a few
# examples in the quick run, many more in the slow one.


@pytest.mark.parametrize(
    ("which", "examples"),
    [
        ("two regions", 12),
        ("one region", 6),
        ("gaza_truce", 2),
        pytest.param("two regions", 100, marks=pytest.mark.slow, id="two regions-slow"),
        pytest.param("one region", 50, marks=pytest.mark.slow, id="one region-slow"),
        pytest.param("gaza_truce", 100, marks=pytest.mark.slow, id="gaza_truce-slow"),
    ],
)
def test_load_of_dump_gives_back_the_same_scenario(which, examples):
    @settings(PROPERTY, max_examples=examples)
    @given(scenarios(model_of(which), GENERATED_ON[which]))
    def round_trip(scenario):
        assert load_text(dump_scenario(scenario)) == scenario

    round_trip()


@pytest.mark.parametrize(
    ("which", "examples"),
    [
        ("two regions", 6),
        ("gaza_truce", 1),
        pytest.param("two regions", 50, marks=pytest.mark.slow, id="two regions-slow"),
        pytest.param("gaza_truce", 60, marks=pytest.mark.slow, id="gaza_truce-slow"),
    ],
)
def test_load_of_dump_gives_back_the_same_counterfactual(which, examples):
    @settings(PROPERTY, max_examples=examples)
    @given(counterfactual_scenarios(model_of(which), GENERATED_ON[which]))
    def round_trip(pair):
        base, counterfactual = pair
        assert round_trip_counterfactual(base, counterfactual) == counterfactual

    round_trip()


@settings(PROPERTY, max_examples=10)
@given(scenarios(model_of("two regions"), GENERATED_ON["two regions"]))
def test_every_plain_scalar_of_a_dump_is_a_field_name_or_a_number(scenario):
    # Strings from input are double-quoted: a plain scalar is the format's, never the input's.
    for event in YAML(typ="safe").parse(dump_scenario(scenario)):
        if isinstance(event, ScalarEvent) and event.style is None:
            plain = event.value in FIELD_NAMES or event.value in ("true", "false")
            assert plain or event.value.lstrip("-").isdigit(), event.value


# --- the shipped scenarios --------------------------------------------------------------------


def copy_with_its_bases(path: Path, folder: Path) -> None:
    """Copy `path` into `folder`, and the bases it extends where `extends` finds them."""
    target = folder / path.name
    shutil.copy(path, target)
    extends = load_scenario(path).extends
    if extends is not None:
        copy_with_its_bases((path.parent / extends).resolve(), (target.parent / extends).parent)


# The first shipped scenario in the quick run, every one in the slow run.
@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path, id=path.stem, marks=() if number == 0 else pytest.mark.slow)
        for number, path in enumerate(SHIPPED)
    ],
)
def test_each_shipped_scenario_round_trips(path, tmp_path):
    original = load_scenario(path)
    copy_with_its_bases(path, tmp_path)
    dumped = tmp_path / path.name
    dumped.write_text(dump_scenario(original), encoding="utf-8")
    assert load_scenario(dumped) == original


def test_a_shipped_counterfactual_is_written_with_its_own_events_only(tmp_path):
    path = ROOT / "scenarios" / "what-if-hamas-accepts-extension.yaml"
    scenario = load_scenario(path)
    data = scenario_data(scenario)
    assert data["extends"] == "gaza-2025.yaml"
    assert data["diverge_at"] == "hamas_wants_phase_two_talks"
    assert [entry["id"] for entry in data["events"]] == [e.id for e in scenario.own_events]
    assert "model" not in data  # its model is its base's


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.stem for path in EXAMPLE_FILES])
def test_each_example_scenario_round_trips(path, tmp_path):
    original = load_scenario(path)
    shutil.copy(path.parent / original.model_reference, tmp_path)
    dumped = tmp_path / path.name
    dumped.write_text(dump_scenario(original), encoding="utf-8")
    assert load_scenario(dumped) == original


# --- the round trip fails when the writer leaves a field out ----------------------------------
# On the two-region example model (docs/examples/truce-model.yaml): every field once.

MODEL_FILE = EXAMPLES / "truce-model.yaml"

BASE = """\
scenario: rich_base
title: "A base with every field (hypothetical, for tests)"
description: Every field the writer writes, once.
model: truce-model.yaml
sources:
  wire:
    publisher: Example Wire
    title: A report
    date: 2024-04-08
    url: https://example.org/report
    reliability: B
    credibility: 2
  other: {publisher: Other Wire, title: Another report}
links:
  releases: {keep: sum, description: The releases free 40 in all.}
  plain: {keep: sum}
start:
  phase: [war, no_deal]
  date: 2024-04-01
  ledger: {detainees_held: 30, detainees_released: 10}
events:
  - id: truce
    date: 2024-04-05
    event: truce_begins
    actor: broker
  - id: released
    date: 2024-04-10
    event: release
    params:
      count:
        best: 10
        low: 8
        high: 12
        values:
          - {source: wire, by: the broker, value: 10, confidence: high}
          - {source: other, value: 12}
        derived: Two counts.
        scope: detainees released at the crossing
        linked: releases
    actor: broker
    claims:
      - {by: the broker, source: wire, stance: disputed, says: Ten were released., confidence: low}
    derived: From the two reports.
    codes: {cameo: '181', plover: {event: ASSAULT, mode: [abduct, hypothetical], context: military}}
    note: A teaching note.
  - id: tally
    date: 2024-04-11/2024-04-12
    checkpoint:
      source: wire
      by: the broker
      says: Twenty are still held.
      confidence: medium
      values:
        detainees_held: 20
        crossings_open: true
        deal: stage_one
        detainees_released: {low: 15}
        detainees_taken:
          best: 40
          low: 39
          high: 41
          scope: everyone detained
          values: [{source: other, value: 41, confidence: low}]
          linked: plain
  - id: lapse
    date: 2024-05-06~
    event: stage_one_expires
    checkpoint: {source: other, values: {deal: lapsed}}
expect:
  phase: [ceasefire, lapsed]
  ledger: {detainees_held: 20}
  holds: [detainees_taken == 40]
"""

COUNTERFACTUAL = """\
scenario: rich_counterfactual
title: A counterfactual with every field (hypothetical, for tests)
extends: base.yaml
diverge_at: truce
rationale: Why ask it.
overrides:
  guards: {fighting_resumes.after_the_lapse: "True"}
  events: {fighting_resumes: {from: [ceasefire], to: [war, lapsed]}}
sources:
  own: {publisher: Own Wire, title: Own report, reliability: C}
start:
  phase: [ceasefire, stage_one]
  date: 2024-03-30
  ledger: {crossings_open: true}
events:
  - id: early_release
    date: 2024-04-02
    event: release
    params: {count: 5}
  - id: resumed
    date: 2024-04-20
    event: fighting_resumes
    claims: [{by: a mediator, source: own}]
expect: {phase: [war, lapsed]}
"""


def set_path(data: Any, path: tuple[Any, ...], change: Callable[[Any, Any], None]) -> None:
    for key in path[:-1]:
        data = data[key]
    change(data, path[-1])


def drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: set_path(data, path, lambda parent, key: parent.pop(key))


def replace_with(value: Any, *path: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: set_path(data, path, lambda parent, key: parent.__setitem__(key, value))


def best_only(data: dict[str, Any]) -> None:
    params = data["events"][1]["params"]
    params["count"] = params["count"]["best"]


FIGURE = ("events", 1, "params", "count")
CHECKPOINT = ("events", 2, "checkpoint")
REPORTED = (*CHECKPOINT, "values")
# Each leaves out of the written data one field the scenario has, as a writer that forgot it would.
LEFT_OUT = {
    "description": ("base", drop("description")),
    "source url": ("base", drop("sources", "wire", "url")),
    "source reliability": ("base", drop("sources", "wire", "reliability")),
    "source credibility": ("base", drop("sources", "wire", "credibility")),
    "a source": ("base", drop("sources", "other")),
    "links": ("base", drop("links")),
    "a link's description": ("base", drop("links", "releases", "description")),
    "start date": ("base", drop("start", "date")),
    "start ledger": ("base", drop("start", "ledger")),
    "event date": ("base", drop("events", 3, "date")),
    "figure (written as its best)": ("base", best_only),
    "figure low": ("base", drop(*FIGURE, "low")),
    "figure values": ("base", drop(*FIGURE, "values")),
    "figure value's by": ("base", drop(*FIGURE, "values", 0, "by")),
    "figure value's confidence": ("base", drop(*FIGURE, "values", 0, "confidence")),
    "figure derived": ("base", drop(*FIGURE, "derived")),
    "figure scope": ("base", drop(*FIGURE, "scope")),
    "figure linked": ("base", drop(*FIGURE, "linked")),
    "actor": ("base", drop("events", 1, "actor")),
    "claim stance": ("base", drop("events", 1, "claims", 0, "stance")),
    "claim says": ("base", drop("events", 1, "claims", 0, "says")),
    "claim confidence": ("base", drop("events", 1, "claims", 0, "confidence")),
    "event derived": ("base", drop("events", 1, "derived")),
    "CAMEO code": ("base", drop("events", 1, "codes", "cameo")),
    "PLOVER mode": ("base", drop("events", 1, "codes", "plover", "mode")),
    "PLOVER context": ("base", drop("events", 1, "codes", "plover", "context")),
    "note": ("base", drop("events", 1, "note")),
    "an entry that is a checkpoint alone": ("base", drop("events", 2)),
    "an entry's checkpoint (beside its event)": ("base", drop("events", 3, "checkpoint")),
    "checkpoint by": ("base", drop(*CHECKPOINT, "by")),
    "checkpoint says": ("base", drop(*CHECKPOINT, "says")),
    "checkpoint confidence": ("base", drop(*CHECKPOINT, "confidence")),
    "checkpoint number": ("base", drop(*REPORTED, "detainees_held")),
    "checkpoint true/false": ("base", drop(*REPORTED, "crossings_open")),
    "checkpoint phase": ("base", drop(*REPORTED, "deal")),
    "checkpoint range alone": ("base", drop(*REPORTED, "detainees_released")),
    "checkpoint figure's best": ("base", drop(*REPORTED, "detainees_taken", "best")),
    "checkpoint figure's scope": ("base", drop(*REPORTED, "detainees_taken", "scope")),
    "checkpoint figure's linked": ("base", drop(*REPORTED, "detainees_taken", "linked")),
    "checkpoint figure's values": ("base", drop(*REPORTED, "detainees_taken", "values")),
    "expected phase": ("base", drop("expect", "phase")),
    "expected phase of a second region": ("base", drop("expect", "phase", 1)),
    "expected ledger": ("base", drop("expect", "ledger")),
    "expected holds": ("base", drop("expect", "holds")),
    "diverge_at": ("counterfactual", drop("diverge_at")),
    "rationale": ("counterfactual", drop("rationale")),
    "guard override": ("counterfactual", drop("overrides", "guards")),
    "event override": ("counterfactual", drop("overrides", "events", "fighting_resumes", "to")),
    "event override's second phase": (
        "counterfactual",
        drop("overrides", "events", "fighting_resumes", "to", 1),
    ),
    "own source": ("counterfactual", drop("sources", "own")),
    "own start phase": ("counterfactual", drop("start", "phase")),
    "own start phase of a second region": ("counterfactual", drop("start", "phase", 1)),
    "own start date": ("counterfactual", drop("start", "date")),
    "own start ledger": ("counterfactual", drop("start", "ledger")),
    "own event": ("counterfactual", drop("events", 0)),
    "extends": ("counterfactual", drop("extends")),
}


def write_rich(folder: Path) -> None:
    """The rich base and counterfactual in `folder`, beside their model."""
    shutil.copy(MODEL_FILE, folder)
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    (folder / "counterfactual.yaml").write_text(COUNTERFACTUAL, encoding="utf-8")


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> dict[str, Scenario]:
    folder = tmp_path_factory.mktemp("rich")
    write_rich(folder)
    return {
        "base": load_scenario(folder / "base.yaml"),
        "counterfactual": load_scenario(folder / "counterfactual.yaml"),
    }


def reloads_equal(data: dict[str, Any], original: Scenario, folder: Path) -> bool:
    """Whether `data`, written next to the base of the rich counterfactual, loads as `original`."""
    write_rich(folder)
    path = folder / "dumped.yaml"
    path.write_text(dump_data(data), encoding="utf-8")
    try:
        return load_scenario(path) == original
    except FileError:
        return False


def test_the_rich_base_replays_and_meets_its_checkpoints(rich):
    trace = replay(rich["base"])
    assert (trace.stopped_at, trace.expectation_failures) == (None, ())
    assert [check.at for check in trace.checkpoints if check.met] == ["tally", "lapse"]


@pytest.mark.parametrize("which", ["base", "counterfactual"])
def test_the_rich_scenarios_round_trip(rich, which, tmp_path):
    assert reloads_equal(scenario_data(rich[which]), rich[which], tmp_path)


def test_a_counterfactual_of_a_counterfactual_round_trips(tmp_path):
    write_rich(tmp_path)
    second = COUNTERFACTUAL.replace("extends: base.yaml", "extends: counterfactual.yaml")
    second = second.replace("diverge_at: truce", "diverge_at: resumed")
    second = second.replace("id: resumed", "id: again").replace("id: early_release", "id: early")
    (tmp_path / "second.yaml").write_text(second, encoding="utf-8")
    original = load_scenario(tmp_path / "second.yaml")
    assert original.inherited == 1
    assert reloads_equal(scenario_data(original), original, tmp_path)


@pytest.mark.parametrize("field", LEFT_OUT, ids=list(LEFT_OUT))
def test_the_round_trip_fails_when_a_field_is_left_out(rich, field, tmp_path):
    which, leave_out = LEFT_OUT[field]
    data = scenario_data(rich[which])
    leave_out(data)
    assert not reloads_equal(data, rich[which], tmp_path)


def without(*keys: str) -> Callable[[Scenario], dict[str, Any]]:
    """A writer that leaves `keys` out of every entry, and (a top-level key) out of the file."""
    written = writer.scenario_data

    def scenario_data_without(scenario: Scenario) -> dict[str, Any]:
        data = written(scenario)
        for key in keys:
            data.pop(key, None)
            for entry in data["events"]:
                entry.pop(key, None)
        return data

    return scenario_data_without


def without_own_start(scenario: Scenario) -> dict[str, Any]:
    data = scenario_data(scenario)
    if "extends" in data:
        data.pop("start", None)
    return data


@LARGE_EXAMPLE_REPR
@pytest.mark.parametrize("keys", [("codes",), ("checkpoint",), ("links",)], ids=lambda k: k[0])
def test_the_generated_round_trip_finds_a_writer_that_drops_a_field(monkeypatch, keys):
    monkeypatch.setattr(writer, "scenario_data", without(*keys))

    @FIND_FAILURE
    @given(scenarios(model_of("two regions"), GENERATED_ON["two regions"]))
    def round_trip(scenario):
        assert load_or_none(dump_scenario(scenario)) == scenario

    with pytest.raises(AssertionError):
        round_trip()


@pytest.mark.slow
@LARGE_EXAMPLE_REPR
def test_the_generated_round_trip_finds_a_writer_that_drops_a_counterfactual_start(monkeypatch):
    monkeypatch.setattr(writer, "scenario_data", without_own_start)

    @FIND_FAILURE
    @given(counterfactual_scenarios(model_of("two regions"), GENERATED_ON["two regions"]))
    def round_trip(pair):
        base, counterfactual = pair
        if counterfactual.own_start is not None:
            assert round_trip_counterfactual(base, counterfactual) == counterfactual

    with pytest.raises(AssertionError):
        round_trip()


# --- strings from input stay strings ----------------------------------------------------------

HOSTILE_TITLES = [
    "A title\nmodel: evil_model",
    "A title\nevents: []",
    "# not a comment",
    "- not an item",
    "&anchor A title",
    "*alias",
    "!!python/object:os.system 'echo'",
    "A title\u2028model: evil_model",
    "A title\u2029\x85next line",
    "key: value",
    "'single' and \"double\" quotes\\",
    "true",
    "null",
    "  surrounded by spaces  ",
    "",
]
# The skeleton's tests load two files each: a few titles are enough there.
SKELETON_TITLES = [HOSTILE_TITLES[n] for n in (0, 2, 3, 4, 6, 7)]


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_text(BASE)


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=[repr(t) for t in HOSTILE_TITLES])
def test_a_hostile_title_stays_the_title(small, title):
    scenario = dataclasses.replace(small, title=title)
    text = dump_scenario(scenario)
    document = parse_document(text.encode(), "dumped.yaml")
    assert set(document.data) == set(scenario_data(small))
    assert document.data["title"] == title
    assert load_text(text) == scenario


@pytest.mark.parametrize(
    "header",
    ["found by a test\nmodel: evil_model", "a\u2028model: evil_model", "a \x01 control\x85\x00"],
    ids=["newline", "line separator", "control characters"],
)
def test_a_hostile_header_stays_comments(small, header):
    text = dump_scenario(small, header=header)
    assert load_text(text) == small
    assert all(line.startswith("#") for line in text.splitlines()[: len(header.splitlines())])


# --- the skeleton of a counterfactual ---------------------------------------------------------


@pytest.mark.parametrize("title", SKELETON_TITLES, ids=[repr(t) for t in SKELETON_TITLES])
def test_the_skeleton_of_a_base_with_a_hostile_title_loads_without_injected_keys(
    small, title, tmp_path
):
    base = dataclasses.replace(small, title=title)
    shutil.copy(MODEL_FILE, tmp_path)
    (tmp_path / "base.yaml").write_text(dump_scenario(base), encoding="utf-8")
    written = tmp_path / "counterfactual.yaml"
    text = counterfactual_skeleton(
        load_scenario(tmp_path / "base.yaml"), "base.yaml", "lapse", written
    )
    written.write_text(text, encoding="utf-8")
    data = parse_document(text.encode(), str(written)).data
    assert list(data) == [
        "scenario",
        "title",
        "extends",
        "diverge_at",
        "rationale",
        "sources",
        "events",
    ]
    assert f"# A counterfactual of {writer.quoted(title)}.\n" in text
    loaded = load_scenario(written)
    assert (loaded.extends, loaded.diverge_at, loaded.inherited) == ("base.yaml", "lapse", 3)


def test_the_skeleton_quotes_a_hostile_base_reference(small, tmp_path):
    reference = "base.yaml\nmodel: evil_model\n# "
    text = counterfactual_skeleton(small, reference, "lapse", tmp_path / "counterfactual.yaml")
    data = parse_document(text.encode(), "counterfactual.yaml").data
    assert data["extends"] == reference
    assert "model" not in data


def test_the_skeleton_of_an_ordinary_base_leaves_names_and_paths_plain(small, tmp_path):
    text = counterfactual_skeleton(small, "base.yaml", "lapse", tmp_path / "counterfactual.yaml")
    assert "\nextends: base.yaml\n" in text
    assert "\ndiverge_at: lapse\n" in text
    assert "\nscenario: rich_base_what_if\n" in text
    assert "before 'lapse' and continues" in text
