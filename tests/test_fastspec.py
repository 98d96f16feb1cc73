"""The fast check of a file's shape (`negotiation.files.fastspec`) agrees with the pydantic
classes it stands in for: its table is theirs, and a file it accepts is one pydantic accepts,
built into the same values; anything else it leaves to pydantic."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from negotiation.errors import FileError
from negotiation.files import fastspec, schema
from negotiation.files.yamlfile import read_document

ROOT = Path(__file__).parent.parent
FILES = sorted(
    path
    for folder in ("scenarios", "negotiation/models", "docs", "tests")
    for path in (ROOT / folder).rglob("*.yaml")
)


def plain(value: Any) -> Any:
    """A checked value as plain data, whichever way it was built."""
    if isinstance(value, (BaseModel, fastspec.Record)):
        fields = value.model_fields_set
        return (type(value).__name__, {k: plain(v) for k, v in vars(value).items()}, fields)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return (type(value).__name__, value)


def agrees(data: Any, name: str) -> bool:
    """Whether the fast check accepts `data`; where it does, pydantic builds the same."""
    record = fastspec.check(data, name)
    if record is None:
        return False
    built = getattr(schema, name).model_validate(data)
    assert plain(record) == plain(built)
    assert record == built
    return True


def test_the_table_is_the_pydantic_classes() -> None:
    assert schema.format_table() == fastspec.TABLE


def test_shipped_files_are_checked_fast_as_pydantic_checks_them() -> None:
    fast = 0
    for path in FILES:
        try:
            data = read_document(path).data
        except FileError:  # hostile files of the corpus
            continue
        if not isinstance(data, dict):
            continue
        name = "ScenarioSpec" if "scenario" in data else "ModelSpec"
        try:
            getattr(schema, name).model_validate(data)
        except ValidationError:
            assert fastspec.check(data, name) is None, path
            continue
        fast += agrees(data, name)
    assert fast >= 10


def test_the_run_path_imports_neither_pydantic_nor_rich() -> None:
    code = (
        "import sys; from negotiation.cli import main; "
        "main(['run', 'scenarios/gaza-2025.yaml', '-o', '/dev/null']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'rich', 'numpy'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    st.sampled_from(["", "a", "phase_one", "A", "x\n", "Name", "0871", "any", "sum"]),
    st.just(datetime.date(2025, 3, 18)),
)
FIELDS = sorted({key for fields in fastspec.TABLE.values() for _, key, _, _, _ in fields})
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([*FIELDS, "from_", "zz"]), inner, max_size=5),
    ),
    max_leaves=12,
)


@given(st.sampled_from(sorted(fastspec.TABLE)), DATA)
@settings(max_examples=2000)
def test_random_data_is_checked_fast_only_as_pydantic_checks_it(name: str, data: Any) -> None:
    try:
        getattr(schema, name).model_validate(data)
    except ValidationError:
        assert fastspec.check(data, name) is None
        return
    agrees(data, name)
