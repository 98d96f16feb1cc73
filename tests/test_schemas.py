"""The published JSON Schemas agree with the loader: what it accepts they accept.

Editors check files against `negotiation/schemas/*.json` (`negotiation schema model|scenario`) as
they are typed, so a schema stricter than the loader marks good files as wrong. Every shipped and
documented model and scenario must validate; and where a schema can tell (an unknown field, a
wrong type), a file the loader refuses is refused by the schema too.

A file is checked as an editor sees it: YAML 1.2 has no date type, so `2025-03-18` is the text
it reads as, not the date our reader makes of it.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from negotiation import load_model, load_scenario
from negotiation.cli import cli
from negotiation.files.yamlfile import read_document

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "negotiation" / "schemas"
CORPUS = Path(__file__).parent / "corpus"
KINDS = ["model", "scenario"]

SHIPPED = sorted(
    {
        *(ROOT / "negotiation" / "models").glob("*.yaml"),
        *(ROOT / "scenarios").glob("*.yaml"),
        # docs' models and scenarios (a sweep file, `*-sweep.yaml`, has a format of its own)
        *(path for path in (ROOT / "docs").rglob("*.yaml") if not path.stem.endswith("-sweep")),
        *(ROOT / "tests" / "models").glob("*.yaml"),
    }
)


def published(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{kind}.schema.json").read_text("utf-8"))
    return schema


def as_an_editor_sees_it(value: Any) -> Any:
    """The data of a YAML file as JSON: dates as the text they are written as."""
    if isinstance(value, dict):
        return {key: as_an_editor_sees_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_an_editor_sees_it(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def kind_of(data: Any) -> str:
    return "scenario" if isinstance(data, dict) and "scenario" in data else "model"


def schema_errors(path: Path, kind: str | None = None) -> list[Any]:
    data = read_document(path).data
    validator = Draft202012Validator(published(kind or kind_of(data)))
    return list(validator.iter_errors(as_an_editor_sees_it(data)))


@pytest.mark.parametrize("kind", KINDS)
def test_published_schema_is_what_the_schema_command_prints(kind: str) -> None:
    result = CliRunner().invoke(cli, ["schema", kind], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == (SCHEMAS / f"{kind}.schema.json").read_text("utf-8"), (
        f"regenerate: negotiation schema {kind} > negotiation/schemas/{kind}.schema.json"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_published_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    schema = published(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_kind_of_shipped_file_is_found() -> None:
    # A moved folder would leave the next test checking nothing.
    kinds = {kind_of(read_document(path).data) for path in SHIPPED}
    assert kinds == {"model", "scenario"}
    assert len(SHIPPED) >= 10


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(ROOT)))
def test_shipped_file_validates_against_its_published_schema(path: Path) -> None:
    errors = schema_errors(path)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


# --- rules written as a bare YAML number or boolean -----------------------------------------

MODEL = """\
model: tiny
title: A tiny model
variables:
  held: {type: int, min: 0, max: 100, initial: 10}
  talks_open: {type: bool, initial: false}
phases:
  war: {title: War}
  truce: {title: Truce, final: true}
initial: war
events:
  truce_begins:
    from: [war]
    to: truce
    guards:
      - {name: agreed, when: talks_open, reason: the parties must be talking}
    effects:
      held: held - 1
invariants:
  - {name: held_counted, holds: held >= 0}
"""

SCENARIO = """\
scenario: short
title: A short scenario
model: gaza_truce
events:
  - {id: talks, date: 2024-01-01, event: mediators_join, params: {qatar: true}}
expect:
  holds:
    - hostages_seized == 0
"""


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        pytest.param("model", "when: talks_open", "when: true", id="guard-true"),
        pytest.param("model", "when: talks_open", "when: false", id="guard-false"),
        pytest.param("model", "held: held - 1", "held: 0", id="effect-number"),
        pytest.param("model", "held: held - 1", "talks_open: true", id="effect-boolean"),
        pytest.param("model", "holds: held >= 0", "holds: true", id="invariant-true"),
        pytest.param("scenario", "- hostages_seized == 0", "- true", id="expect-holds-true"),
        pytest.param(
            "scenario",
            "expect:\n",
            "overrides:\n  guards: {hostages_seized.within_hostage_capacity: false}\nexpect:\n",
            id="override-guard-false",
        ),
    ],
)
def test_rule_written_as_a_yaml_scalar_is_accepted_by_loader_and_schema(
    kind: str, old: str, new: str, tmp_path: Path
) -> None:
    base = MODEL if kind == "model" else SCENARIO
    assert base.count(old) == 1
    path = tmp_path / f"{kind}.yaml"
    path.write_text(base.replace(old, new), encoding="utf-8")

    (load_model if kind == "model" else load_scenario)(path)  # raises if the loader refuses
    errors = schema_errors(path, kind)

    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# --- files both refuse ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "kind", "where"),
    [
        pytest.param("unknown-field.yaml", "scenario", ["events", 0], id="unknown-field"),
        pytest.param(
            "model-variable-with-default.yaml",
            "model",
            ["variables", "held"],
            id="field-of-another-section",
        ),
        pytest.param(
            "model-string-min.yaml", "model", ["variables", "held", "min"], id="text-for-number"
        ),
        pytest.param(
            "model-count-for-final.yaml",
            "model",
            ["phases", "truce", "final"],
            id="number-for-boolean",
        ),
        pytest.param("params-as-list.yaml", "scenario", ["events", 0, "params"], id="list-for-map"),
        pytest.param("events-as-mapping.yaml", "scenario", ["events"], id="map-for-list"),
        pytest.param("top-level-list.yaml", "scenario", [], id="list-for-file"),
    ],
)
def test_file_the_loader_refuses_for_its_shape_is_refused_by_the_schema(
    file: str, kind: str, where: list[str | int]
) -> None:
    # The loader refuses each (tests/test_hostile_files.py holds its message); so must the schema.
    errors = schema_errors(CORPUS / file, kind)
    assert [list(error.absolute_path) for error in errors] == [where], [e.message for e in errors]
