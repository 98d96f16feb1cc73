"""Checking a file's shape without pydantic, for files that are right.

Building the pydantic classes of `negotiation.files.schema` costs more at start-up (about 0.1 s
with pydantic's import) than all the rest of `negotiation run`. So a parsed file is first checked
here, against `TABLE`: the same formats, written out from those classes (`schema.format_table()`,
and a test holds the two equal). The check is strict and conservative: a file it accepts is one
pydantic accepts, and it builds the same values (as `Record`s with the same fields). Anything it
is not sure of (a wrong field, a union two ways, a conversion that fails) sends the file to
pydantic, which accepts it or says every problem, located, as before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from negotiation.errors import FileError, Problem
from negotiation.files.conversions import cameo_text, date_text, rule_text

if TYPE_CHECKING:
    from negotiation.files.schema import FigureSpec, ModelSpec, ScenarioSpec, Spec
    from negotiation.files.yamlfile import Document


CONVERSIONS = {"date_text": date_text, "rule_text": rule_text, "cameo_text": cameo_text}


class Record:
    """A checked part of a file: its fields as attributes, as the pydantic class would hold
    them (read-only), and `model_fields_set`, the fields the file gave."""

    __slots__ = ("__dict__", "model_fields_set")
    model_fields_set: set[str]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other: object) -> bool:
        if type(other).__name__ != type(self).__name__:
            return NotImplemented
        return all(getattr(other, name, self) == value for name, value in vars(self).items())

    def __hash__(self) -> int:
        return hash(tuple(vars(self).values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"{type(self).__name__}({fields})"


class _Unsure(Exception):
    """The fast check cannot vouch for this value: pydantic decides."""


_RECORDS: dict[str, type[Record]] = {}
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _record_class(name: str) -> type[Record]:
    found = _RECORDS.get(name)
    if found is None:
        found = _RECORDS[name] = type(name, (Record,), {"__slots__": ()})
    return found


def _value(kind: tuple[Any, ...], value: Any) -> Any:
    tag = kind[0]
    if tag == "str":
        _, pattern, longest, conversion = kind
        if conversion is not None:
            try:
                value = CONVERSIONS[conversion](value)
            except Exception:
                raise _Unsure from None
        if type(value) is not str or (longest is not None and len(value) > longest):
            raise _Unsure
        if pattern is not None:
            compiled = _PATTERNS.get(pattern)
            if compiled is None:
                compiled = _PATTERNS[pattern] = re.compile(pattern)
            if compiled.fullmatch(value) is None:
                raise _Unsure
        return value
    if tag == "int":
        _, least, most = kind
        if type(value) is not int:
            raise _Unsure
        if (least is not None and value < least) or (most is not None and value > most):
            raise _Unsure
        return value
    if tag == "bool":
        if type(value) is not bool:
            raise _Unsure
        return value
    if tag == "none":
        if value is not None:
            raise _Unsure
        return None
    if tag == "any":
        return value
    if tag == "literal":
        if not any(type(value) is type(item) and value == item for item in kind[1]):
            raise _Unsure
        return value
    if tag == "list":
        _, item_kind, longest = kind
        if type(value) is not list or (longest is not None and len(value) > longest):
            raise _Unsure
        return [_value(item_kind, item) for item in value]
    if tag == "dict":
        _, key_kind, value_kind = kind
        if type(value) is not dict:
            raise _Unsure
        return {_value(key_kind, k): _value(value_kind, v) for k, v in value.items()}
    if tag == "union":
        found: list[Any] = []
        for option in kind[1]:
            try:
                found.append(_value(option, value))
            except _Unsure:
                continue
        if len(found) != 1:
            raise _Unsure
        return found[0]
    if tag == "spec":
        if type(value) is not dict:
            raise _Unsure
        return _record(kind[1], value)
    raise _Unsure


def _record(name: str, data: dict[str, Any]) -> Record:
    fields = TABLE[name]
    known = {key for _, key, _, _, _ in fields}
    if not known.issuperset(data):
        raise _Unsure  # an unknown field (or a field by its Python name): pydantic says
    record = object.__new__(_record_class(name))
    values = record.__dict__
    given: set[str] = set()
    for attribute, key, kind, required, default in fields:
        if key in data:
            values[attribute] = _value(kind, data[key])
            given.add(attribute)
        elif required:
            raise _Unsure
        elif isinstance(default, tuple) and default[:1] == ("record",):
            values[attribute] = _record(default[1], {})
        elif isinstance(default, (list, dict)):
            values[attribute] = type(default)()
        else:
            values[attribute] = default
    object.__setattr__(record, "model_fields_set", given)
    return record


def check(data: Any, spec: str) -> Record | None:
    """`data` as the format `spec` (a class name of `schema`) holds it, or None if unsure."""
    if type(data) is not dict:
        return None
    try:
        return _record(spec, data)
    except (_Unsure, RecursionError):
        return None


def validate(document: Document, name: str) -> Spec | Record:
    """Check a parsed file against the format `name` (a class of `negotiation.files.schema`);
    raise FileError listing every problem, located. A file this module vouches for is built
    without pydantic (whose classes are then not even imported)."""
    if document.data is None:
        raise FileError([Problem(document.locate(), "file is empty (it holds only comments)")])
    record = check(document.data, name)
    if record is not None:
        return record
    from negotiation.files import schema

    spec: type[Spec] = getattr(schema, name)
    return schema.validate(document, spec)


def validate_model(document: Document) -> ModelSpec:
    """A model file's shape, checked (see `validate`)."""
    return cast("ModelSpec", validate(document, "ModelSpec"))


def validate_scenario(document: Document) -> ScenarioSpec:
    """A scenario file's shape, checked (see `validate`)."""
    return cast("ScenarioSpec", validate(document, "ScenarioSpec"))


def figure(value: dict[str, Any]) -> FigureSpec | str:
    """A figure's fields, checked, or what is wrong with them first (`field: message`)."""
    record = check(value, "FigureSpec")
    if record is not None:
        return cast("FigureSpec", record)
    from pydantic import ValidationError

    from negotiation.files.schema import FigureSpec

    try:
        return FigureSpec.model_validate(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field_path = ".".join(str(part) for part in first["loc"])
        shown = f"{field_path}: " if field_path else ""
        return f"{shown}{first['msg']}"


# Written by `negotiation.files.schema.format_table()`; tests/test_fastspec.py holds it equal.
# Each class: (attribute, key in the file, kind, required, default) per field.
TABLE: dict[str, tuple[tuple[str, str, tuple[Any, ...], bool, Any], ...]] = {
    "SourceSpec": (
        ("publisher", "publisher", ("str", None, 20000, None), True, None),
        ("title", "title", ("str", None, 20000, None), True, None),
        ("date", "date", ("union", (("str", None, None, "date_text"), ("none",))), False, None),
        ("url", "url", ("union", (("str", None, 20000, None), ("none",))), False, None),
        (
            "reliability",
            "reliability",
            ("union", (("literal", ("A", "B", "C", "D", "E", "F")), ("none",))),
            False,
            None,
        ),
        (
            "credibility",
            "credibility",
            ("union", (("literal", (1, 2, 3, 4, 5, 6)), ("none",))),
            False,
            None,
        ),
    ),
    "PartySpec": (
        ("title", "title", ("str", None, 20000, None), True, None),
        (
            "role",
            "role",
            ("literal", ("belligerent", "mediator", "guarantor", "other")),
            True,
            None,
        ),
        ("description", "description", ("str", None, 20000, None), False, ""),
    ),
    "VariableSpec": (
        ("type", "type", ("literal", ("int", "bool", "enum")), True, None),
        ("min", "min", ("union", (("int", None, None), ("none",))), False, None),
        ("max", "max", ("union", (("int", None, None), ("none",))), False, None),
        (
            "values",
            "values",
            ("union", (("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None), ("none",))),
            False,
            None,
        ),
        ("initial", "initial", ("any",), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
    ),
    "PhaseSpec": (
        ("title", "title", ("str", None, 20000, None), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
        ("teaching", "teaching", ("str", None, 20000, None), False, ""),
        ("final", "final", ("bool",), False, False),
        ("planned_days", "planned_days", ("union", (("int", 1, 100000), ("none",))), False, None),
    ),
    "RegionSpec": (
        ("title", "title", ("str", None, 20000, None), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
        ("initial", "initial", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        (
            "phases",
            "phases",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "PhaseSpec")),
            True,
            None,
        ),
    ),
    "DerivedSpec": (
        ("value", "value", ("str", None, 20000, "rule_text"), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
    ),
    "ParamSpec": (
        ("type", "type", ("literal", ("int", "bool", "enum")), True, None),
        ("min", "min", ("union", (("int", None, None), ("none",))), False, None),
        ("max", "max", ("union", (("int", None, None), ("none",))), False, None),
        (
            "values",
            "values",
            ("union", (("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None), ("none",))),
            False,
            None,
        ),
        ("default", "default", ("any",), False, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
    ),
    "PloverSpec": (
        ("event", "event", ("str", None, None, None), True, None),
        (
            "mode",
            "mode",
            (
                "union",
                (("str", None, None, None), ("list", ("str", None, None, None), None), ("none",)),
            ),
            False,
            None,
        ),
        (
            "context",
            "context",
            (
                "union",
                (("str", None, None, None), ("list", ("str", None, None, None), None), ("none",)),
            ),
            False,
            None,
        ),
    ),
    "CodesSpec": (
        ("cameo", "cameo", ("union", (("str", None, None, "cameo_text"), ("none",))), False, None),
        ("plover", "plover", ("union", (("spec", "PloverSpec"), ("none",))), False, None),
    ),
    "GuardSpec": (
        ("name", "name", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("when", "when", ("str", None, 20000, "rule_text"), True, None),
        ("reason", "reason", ("str", None, 20000, None), True, None),
        ("sources", "sources", ("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None), False, []),
    ),
    "EventSpec": (
        ("title", "title", ("str", None, 20000, None), False, ""),
        ("description", "description", ("str", None, 20000, None), False, ""),
        (
            "from_",
            "from",
            (
                "union",
                (("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None), ("literal", ("any",))),
            ),
            True,
            None,
        ),
        (
            "to",
            "to",
            (
                "union",
                (
                    ("str", "^[a-z][a-z0-9_]*$", 64, None),
                    ("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None),
                    ("none",),
                ),
            ),
            False,
            None,
        ),
        (
            "expires",
            "expires",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        (
            "params",
            "params",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "ParamSpec")),
            False,
            {},
        ),
        ("guards", "guards", ("list", ("spec", "GuardSpec"), None), False, []),
        (
            "effects",
            "effects",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("str", None, 20000, "rule_text")),
            False,
            {},
        ),
        ("sources", "sources", ("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None), False, []),
        ("codes", "codes", ("union", (("spec", "CodesSpec"), ("none",))), False, None),
    ),
    "InvariantSpec": (
        ("name", "name", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("holds", "holds", ("str", None, 20000, "rule_text"), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
    ),
    "PropertySpec": (
        ("name", "name", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
        ("never", "never", ("union", (("str", None, 20000, "rule_text"), ("none",))), False, None),
        (
            "before",
            "before",
            ("union", (("str", None, 20000, "rule_text"), ("none",))),
            False,
            None,
        ),
        ("after", "after", ("union", (("str", None, 20000, "rule_text"), ("none",))), False, None),
        (
            "always",
            "always",
            ("union", (("str", None, 20000, "rule_text"), ("none",))),
            False,
            None,
        ),
        ("until", "until", ("union", (("str", None, 20000, "rule_text"), ("none",))), False, None),
        (
            "never_decreases",
            "never_decreases",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        (
            "never_increases",
            "never_increases",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        (
            "stays_reachable",
            "stays_reachable",
            ("union", (("str", None, 20000, "rule_text"), ("none",))),
            False,
            None,
        ),
        ("within", "within", ("int", 1, 12), False, 4),
        ("on", "on", ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))), False, None),
        (
            "only_when",
            "only_when",
            ("union", (("str", None, 20000, "rule_text"), ("none",))),
            False,
            None,
        ),
    ),
    "ModelSpec": (
        ("model", "model", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("title", "title", ("str", None, 20000, None), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
        (
            "sources",
            "sources",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "SourceSpec")),
            False,
            {},
        ),
        (
            "parties",
            "parties",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "PartySpec")),
            False,
            {},
        ),
        (
            "variables",
            "variables",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "VariableSpec")),
            True,
            None,
        ),
        (
            "derived",
            "derived",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "DerivedSpec")),
            False,
            {},
        ),
        (
            "phases",
            "phases",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "PhaseSpec")),
            False,
            {},
        ),
        (
            "initial",
            "initial",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        (
            "regions",
            "regions",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "RegionSpec")),
            False,
            {},
        ),
        (
            "events",
            "events",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "EventSpec")),
            True,
            None,
        ),
        ("invariants", "invariants", ("list", ("spec", "InvariantSpec"), None), False, []),
        ("properties", "properties", ("list", ("spec", "PropertySpec"), None), False, []),
    ),
    "ClaimSpec": (
        ("by", "by", ("str", None, 20000, None), True, None),
        ("source", "source", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("stance", "stance", ("literal", ("asserted", "disputed", "denied")), False, "asserted"),
        ("says", "says", ("str", None, 20000, None), False, ""),
        (
            "confidence",
            "confidence",
            ("union", (("literal", ("high", "medium", "low")), ("none",))),
            False,
            None,
        ),
    ),
    "FigureValueSpec": (
        ("source", "source", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("by", "by", ("str", None, 20000, None), False, ""),
        ("value", "value", ("int", None, None), True, None),
        (
            "confidence",
            "confidence",
            ("union", (("literal", ("high", "medium", "low")), ("none",))),
            False,
            None,
        ),
    ),
    "FigureSpec": (
        ("best", "best", ("union", (("int", None, None), ("none",))), False, None),
        ("low", "low", ("union", (("int", None, None), ("none",))), False, None),
        ("high", "high", ("union", (("int", None, None), ("none",))), False, None),
        ("values", "values", ("list", ("spec", "FigureValueSpec"), None), False, []),
        ("derived", "derived", ("str", None, 20000, None), False, ""),
        ("scope", "scope", ("str", None, 20000, None), False, ""),
        (
            "linked",
            "linked",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
    ),
    "CheckpointSpec": (
        ("source", "source", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("by", "by", ("str", None, 20000, None), False, ""),
        ("says", "says", ("str", None, 20000, None), False, ""),
        (
            "confidence",
            "confidence",
            ("union", (("literal", ("high", "medium", "low")), ("none",))),
            False,
            None,
        ),
        (
            "values",
            "values",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("any",)),
            True,
            None,
        ),
    ),
    "LinkSpec": (
        ("keep", "keep", ("literal", ("sum",)), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
    ),
    "EventEntrySpec": (
        ("id", "id", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("date", "date", ("union", (("str", None, None, "date_text"), ("none",))), False, None),
        (
            "event",
            "event",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        (
            "checkpoint",
            "checkpoint",
            ("union", (("spec", "CheckpointSpec"), ("none",))),
            False,
            None,
        ),
        ("params", "params", ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("any",)), False, {}),
        (
            "actor",
            "actor",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        ("claims", "claims", ("list", ("spec", "ClaimSpec"), None), False, []),
        ("derived", "derived", ("str", None, 20000, None), False, ""),
        ("note", "note", ("str", None, 20000, None), False, ""),
        ("codes", "codes", ("union", (("spec", "CodesSpec"), ("none",))), False, None),
    ),
    "StartSpec": (
        (
            "phase",
            "phase",
            (
                "union",
                (
                    ("str", "^[a-z][a-z0-9_]*$", 64, None),
                    ("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None),
                    ("none",),
                ),
            ),
            False,
            None,
        ),
        ("date", "date", ("union", (("str", None, None, "date_text"), ("none",))), False, None),
        ("ledger", "ledger", ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("any",)), False, {}),
    ),
    "ExpectSpec": (
        (
            "phase",
            "phase",
            (
                "union",
                (
                    ("str", "^[a-z][a-z0-9_]*$", 64, None),
                    ("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None),
                    ("none",),
                ),
            ),
            False,
            None,
        ),
        ("ledger", "ledger", ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("any",)), False, {}),
        ("holds", "holds", ("list", ("str", None, 20000, "rule_text"), None), False, []),
    ),
    "EventOverrideSpec": (
        (
            "from_",
            "from",
            ("union", (("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None), ("none",))),
            False,
            None,
        ),
        (
            "to",
            "to",
            (
                "union",
                (
                    ("str", "^[a-z][a-z0-9_]*$", 64, None),
                    ("list", ("str", "^[a-z][a-z0-9_]*$", 64, None), None),
                    ("none",),
                ),
            ),
            False,
            None,
        ),
    ),
    "OverridesSpec": (
        (
            "guards",
            "guards",
            ("dict", ("str", None, 20000, None), ("str", None, 20000, "rule_text")),
            False,
            {},
        ),
        (
            "events",
            "events",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "EventOverrideSpec")),
            False,
            {},
        ),
    ),
    "ScenarioSpec": (
        ("scenario", "scenario", ("str", "^[a-z][a-z0-9_]*$", 64, None), True, None),
        ("title", "title", ("str", None, 20000, None), True, None),
        ("description", "description", ("str", None, 20000, None), False, ""),
        ("model", "model", ("union", (("str", None, 20000, None), ("none",))), False, None),
        ("extends", "extends", ("union", (("str", None, 20000, None), ("none",))), False, None),
        (
            "diverge_at",
            "diverge_at",
            ("union", (("str", "^[a-z][a-z0-9_]*$", 64, None), ("none",))),
            False,
            None,
        ),
        ("rationale", "rationale", ("str", None, 20000, None), False, ""),
        ("overrides", "overrides", ("union", (("spec", "OverridesSpec"), ("none",))), False, None),
        (
            "sources",
            "sources",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "SourceSpec")),
            False,
            {},
        ),
        (
            "links",
            "links",
            ("dict", ("str", "^[a-z][a-z0-9_]*$", 64, None), ("spec", "LinkSpec")),
            False,
            {},
        ),
        ("start", "start", ("spec", "StartSpec"), False, ("record", "StartSpec")),
        ("events", "events", ("list", ("spec", "EventEntrySpec"), 100000), True, None),
        ("expect", "expect", ("union", (("spec", "ExpectSpec"), ("none",))), False, None),
    ),
}
