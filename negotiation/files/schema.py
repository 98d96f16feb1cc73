"""The shapes of the two file formats, as pydantic models.

These check structure only (which fields, which basic types); names, expressions, bounds and
cross-references are checked by `model` and `scenario`, which know the meaning. The same classes
give the published JSON Schema (`negotiation schema`).
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import annotated_types
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from negotiation.errors import MAX_PROBLEMS, FileError, Problem, TooManyProblems, suggest
from negotiation.files.conversions import cameo_text as _cameo_text
from negotiation.files.conversions import date_text as _date_text
from negotiation.files.conversions import rule_text as _rule_text
from negotiation.files.yamlfile import Document

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, Field(max_length=20_000)]
DateText = Annotated[str, BeforeValidator(_date_text)]
# The published schema says what the file may hold, before conversion: a rule may be written as
# a bare number or boolean, so an editor validating against the schema must accept those too.
RuleText = Annotated[Text, BeforeValidator(_rule_text, json_schema_input_type=Text | bool | int)]


class Spec(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True, frozen=True)


S = TypeVar("S", bound=Spec)


class SourceSpec(Spec):
    publisher: Text
    title: Text
    date: DateText | None = None
    url: Text | None = None
    reliability: Literal["A", "B", "C", "D", "E", "F"] | None = Field(
        None, description="Admiralty grade of the source: A reliable ... F cannot be judged"
    )
    credibility: Literal[1, 2, 3, 4, 5, 6] | None = Field(
        None, description="Admiralty grade of the information: 1 confirmed ... 6 cannot be judged"
    )


class PartySpec(Spec):
    title: Text
    role: Literal["belligerent", "mediator", "guarantor", "other"]
    description: Text = ""


class VariableSpec(Spec):
    type: Literal["int", "bool", "enum"]
    min: int | None = None
    max: int | None = None
    values: list[Name] | None = None
    initial: Any = Field(
        description="the value at the start: a whole number, true/false or one of `values`"
    )
    description: Text = ""


class PhaseSpec(Spec):
    title: Text
    description: Text = ""
    teaching: Text = Field("", description="a note for instructors and students")
    final: bool = False
    planned_days: int | None = Field(
        None, ge=1, le=100_000, description="how long the phase was planned to last, in days"
    )


class RegionSpec(Spec):
    """One dimension of the process that changes on its own: its phases and where it starts."""

    title: Text
    description: Text = ""
    initial: Name
    phases: dict[Name, PhaseSpec]


class DerivedSpec(Spec):
    value: RuleText = Field(description="a whole-number expression over the variables")
    description: Text = ""


class ParamSpec(Spec):
    type: Literal["int", "bool", "enum"]
    min: int | None = None
    max: int | None = None
    values: list[Name] | None = None
    default: Any = None
    description: Text = ""


class PloverSpec(Spec):
    event: str = Field(description="one of PLOVER's 16 event types, e.g. RETREAT")
    mode: str | list[str] | None = Field(None, description="modes of that type, e.g. release")
    context: str | list[str] | None = Field(None, description="contexts, e.g. military")


class CodesSpec(Spec):
    """An event's codes in the public event ontologies, checked against the shipped lists."""

    cameo: Annotated[str, BeforeValidator(_cameo_text)] | None = Field(
        None, description="a CAMEO 1.1b3 event code, in quotes: '0871'"
    )
    plover: PloverSpec | None = None


class GuardSpec(Spec):
    name: Name
    when: RuleText = Field(description="an expression that must be true for the event to fire")
    reason: Text = Field(description="the rule in words, shown when the guard refuses an event")
    sources: list[Name] = []


class EventSpec(Spec):
    title: Text = ""
    description: Text = ""
    from_: list[Name] | Literal["any"] = Field(alias="from")
    to: Name | list[Name] | None = Field(
        None, description="a phase, or one phase per region the event moves"
    )
    expires: Name | None = Field(
        None, description="a phase whose planned time this event marks the end of"
    )
    params: dict[Name, ParamSpec] = {}
    guards: list[GuardSpec] = []
    effects: dict[Name, RuleText] = {}
    sources: list[Name] = []
    codes: CodesSpec | None = Field(None, description="default codes of this event")


class InvariantSpec(Spec):
    name: Name
    holds: RuleText = Field(description="an expression true in every reachable state")
    description: Text = ""


class PropertySpec(Spec):
    """One property over histories; exactly one of its forms (see `rules.properties`)."""

    name: Name
    description: Text = ""
    never: RuleText | None = Field(None, description="never this ...")
    before: RuleText | None = Field(None, description="... before this has held")
    after: RuleText | None = Field(None, description="after this holds ...")
    always: RuleText | None = Field(None, description="... this always holds ...")
    until: RuleText | None = Field(None, description="... until this holds")
    never_decreases: Name | None = None
    never_increases: Name | None = None
    stays_reachable: RuleText | None = Field(None, description="a state where this holds")
    within: int = Field(4, ge=1, le=12, description="how many events the search may take")
    on: Name | None = Field(
        None, description="judged after each firing of this event, whose parameters it may read"
    )
    only_when: RuleText | None = Field(
        None, description="with `on`: this held in the state the event fired from"
    )


class ModelSpec(Spec):
    """A model file: the rules of one negotiation process."""

    model: Name
    title: Text
    description: Text = ""
    sources: dict[Name, SourceSpec] = {}
    parties: dict[Name, PartySpec] = {}
    variables: dict[Name, VariableSpec]
    derived: dict[Name, DerivedSpec] = Field(
        {}, description="named whole-number values computed from the variables"
    )
    phases: dict[Name, PhaseSpec] = Field(
        {}, description="the phases of a model with one region (or give `regions`)"
    )
    initial: Name | None = Field(None, description="with `phases`: the phase it starts in")
    regions: dict[Name, RegionSpec] = Field(
        {}, description="the regions of a statechart, each with its phases"
    )
    events: dict[Name, EventSpec]
    invariants: list[InvariantSpec] = []
    properties: list[PropertySpec] = []


Confidence = Literal["high", "medium", "low"]


class ClaimSpec(Spec):
    by: Text = Field(description="who says it, as the source attributes it")
    source: Name
    stance: Literal["asserted", "disputed", "denied"] = "asserted"
    says: Text = Field("", description="the claim, paraphrased; quote only short phrases")
    confidence: Confidence | None = Field(
        default=None, description="how far the claim can be trusted, as the analyst judges"
    )


class FigureValueSpec(Spec):
    source: Name
    by: Text = Field("", description="who gives the figure, as the source attributes it")
    value: int
    confidence: Confidence | None = None


class FigureSpec(Spec):
    """A figure whose value is uncertain or contested: the value used, its range, its sources."""

    best: int | None = Field(
        default=None,
        description="the value the replay uses (for a checkpoint, may be left out: the range)",
    )
    low: int | None = Field(default=None, description="the least it can be; leave out if open")
    high: int | None = Field(default=None, description="the most it can be; leave out if open")
    values: list[FigureValueSpec] = Field([], description="each source's value")
    derived: Text = Field("", description="how the figure was derived from others, if it was")
    scope: Text = Field("", description="what the figure counts, as its sources define it")
    linked: Name | None = Field(
        default=None,
        description="a link group of the scenario's `links`: figures that move together",
    )


class CheckpointSpec(Spec):
    """What a source reported at a point of the history; the replay checks it there."""

    source: Name
    by: Text = Field("", description="who says so, as the source attributes it")
    says: Text = Field("", description="what the source reports, paraphrased")
    confidence: Confidence | None = None
    values: dict[Name, Any] = Field(
        description="variable, derived value or region: a number, true/false, a phase, or a figure"
    )


class LinkSpec(Spec):
    """Figures that must move together when one is varied (`--sensitivity`)."""

    keep: Literal["sum"] = Field(description="what the linked figures keep: their sum")
    description: Text = ""


class EventEntrySpec(Spec):
    id: Name
    date: DateText | None = Field(
        None,
        description="EDTF: 2025-03-18, 2025-03-20~, 2025-03-19/2025-03-27; leave out if unknown",
    )
    event: Name | None = Field(
        default=None, description="the model's event; leave out for a checkpoint alone"
    )
    checkpoint: CheckpointSpec | None = Field(
        default=None, description="what a source reported here; the replay checks it"
    )
    params: dict[Name, Any] = {}
    actor: Name | None = None
    claims: list[ClaimSpec] = []
    derived: Text = Field("", description="how a figure was derived from others, if it was")
    note: Text = Field("", description="a teaching note")
    codes: CodesSpec | None = Field(None, description="codes of this entry (else the event's)")


class StartSpec(Spec):
    phase: Name | list[Name] | None = Field(
        default=None, description="the phase to start in, or one phase per region"
    )
    date: DateText | None = None
    ledger: dict[Name, Any] = {}


class ExpectSpec(Spec):
    phase: Name | list[Name] | None = Field(
        default=None, description="the phase to end in, or one phase per region"
    )
    ledger: dict[Name, Any] = {}
    holds: list[RuleText] = Field([], description="expressions that must be true at the end")


class EventOverrideSpec(Spec):
    from_: list[Name] | None = Field(None, alias="from")
    to: Name | list[Name] | None = None


class OverridesSpec(Spec):
    """Rule changes a counterfactual makes to its model, each listed in the output."""

    guards: dict[Text, RuleText] = Field(
        {}, description="'event.guard': a new expression for that guard"
    )
    events: dict[Name, EventOverrideSpec] = Field(
        {}, description="event: new `from` phases or a new `to` phase"
    )


class ScenarioSpec(Spec):
    """A scenario file: a dated, sourced sequence of events replayed through a model."""

    scenario: Name
    title: Text
    description: Text = ""
    model: Text | None = Field(
        None, description="a built-in model's name, or a path relative to this file"
    )
    extends: Text | None = Field(None, description="a base scenario, relative to this file")
    diverge_at: Name | None = Field(
        None, description="the first event of the base that this scenario does not keep"
    )
    rationale: Text = Field("", description="why this counterfactual is worth asking")
    overrides: OverridesSpec | None = None
    sources: dict[Name, SourceSpec] = {}
    links: dict[Name, LinkSpec] = Field(
        {}, description="groups of figures that move together under --sensitivity"
    )
    start: StartSpec = StartSpec()
    events: list[EventEntrySpec] = Field(max_length=100_000)
    expect: ExpectSpec | None = None


FIELD_NAMES = sorted(
    {
        field.alias or name
        for spec in Spec.__subclasses__()
        for name, field in spec.model_fields.items()
    }
)


def validate(document: Document, spec: type[S]) -> S:
    """Check a parsed file against a format; raise FileError listing every problem, located."""
    if document.data is None:
        raise FileError([Problem(document.locate(), "file is empty (it holds only comments)")])
    if not isinstance(document.data, dict):
        kind = type(document.data).__name__
        raise FileError([Problem(document.locate(), f"expected a mapping of fields, got {kind}")])
    try:
        return spec.model_validate(document.data)
    except ValidationError as error:
        # pydantic has every error already; only the first MAX_PROBLEMS become messages, and a
        # file with more says it was stopped (a file of 100,000 wrong fields gives 100 lines).
        errors = error.errors(include_url=False, include_context=False)[:MAX_PROBLEMS]
        problems = [_problem(document, item) for item in errors]
        if error.error_count() >= MAX_PROBLEMS:
            raise TooManyProblems(problems) from None
        raise FileError(problems) from None


def _problem(document: Document, item: Any) -> Problem:
    loc = [part for part in item["loc"] if isinstance(part, (str, int))]
    path = _path_in_data(document.data, loc)
    kind = item["type"]
    dotted = ".".join(str(part) for part in loc) or "file"
    if kind == "extra_forbidden":
        name = str(loc[-1])
        if name in FIELD_NAMES:
            message = f"'{name}' is not a field here"
        else:
            message = f"unknown field '{name}'" + suggest(name, FIELD_NAMES)
        return Problem(document.locate(*path, on_key=True), message)
    if kind == "missing":
        return Problem(document.locate(*path), f"missing required field '{dotted}'")
    got = item.get("input")
    shown = repr(got) if isinstance(got, (str, int, float, bool)) else type(got).__name__
    message = item["msg"]
    if kind == "string_pattern_mismatch":
        message = "a name must be lower-case letters, digits and '_', starting with a letter"
    return Problem(document.locate(*path), f"{dotted}: {message} (got {shown})")


def _path_in_data(data: Any, loc: list[str | int]) -> list[str | int]:
    # pydantic's loc may name aliases, model fields and "[key]" markers; keep the part that
    # exists in the data, so the location lands on the nearest real node.
    path: list[str | int] = []
    node = data
    for part in loc:
        key: str | int = "from" if part == "from_" else part
        in_mapping = isinstance(node, dict) and key in node
        in_list = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if in_mapping or in_list:
            node = node[key]
        else:
            if part == "[key]":
                continue
            break
        path.append(key)
    return path


SCHEMA_FOLDER = Path(__file__).parent.parent / "schemas"
FORMATS: dict[str, type[Spec]] = {"model": ModelSpec, "scenario": ScenarioSpec}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a file format ("model" or "scenario"), for editors and validators."""
    schema = FORMATS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_comment(kind: str, file: Path) -> str:
    """The first line of a file of this format: where editors find its schema."""
    import os

    target = SCHEMA_FOLDER / f"{kind}.schema.json"
    relative = os.path.relpath(target, file.resolve().parent)
    return f"# yaml-language-server: $schema={Path(relative).as_posix()}\n"


def format_table() -> dict[str, tuple[tuple[str, str, tuple[Any, ...], bool, Any], ...]]:
    """The formats as the fast check's TABLE (`negotiation.files.fastspec`) writes them out:
    per class, each field's attribute, key, kind, whether it is required and its default."""
    table: dict[str, tuple[tuple[str, str, tuple[Any, ...], bool, Any], ...]] = {}
    for spec in Spec.__subclasses__():
        fields = []
        for name, info in spec.model_fields.items():
            kind = _kind(info.annotation, list(info.metadata))
            default = info.get_default()
            if isinstance(default, Spec):
                assert default == type(default)(), "a default part must be the empty one"
                default = ("record", type(default).__name__)
            required = info.is_required()
            fields.append((name, info.alias or name, kind, required, None if required else default))
        table[spec.__name__] = tuple(fields)
    return table


def _kind(annotation: Any, metadata: list[Any]) -> tuple[Any, ...]:
    """One type as a tuple of `fastspec`'s kinds; an unknown type or constraint fails."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *more = typing.get_args(annotation)
        return _kind(base, [*metadata, *more])
    constraints: dict[str, Any] = {}
    pending = list(metadata)
    while pending:
        item = pending.pop(0)
        if isinstance(item, FieldInfo):
            pending[:0] = item.metadata
        elif isinstance(item, annotated_types.MaxLen):
            constraints["longest"] = item.max_length
        elif isinstance(item, annotated_types.Ge):
            constraints["least"] = item.ge
        elif isinstance(item, annotated_types.Le):
            constraints["most"] = item.le
        elif isinstance(item, BeforeValidator):
            constraints["conversion"] = item.func.__name__.lstrip("_")
        elif getattr(item, "pattern", None) is not None and len(vars(item)) == 1:
            constraints["pattern"] = item.pattern
        else:
            raise TypeError(f"no fast check for {item!r}")
    args = typing.get_args(annotation)
    if annotation is str:
        return (
            "str",
            constraints.pop("pattern", None),
            constraints.pop("longest", None),
            constraints.pop("conversion", None),
        )
    if origin in (typing.Union, types.UnionType):
        # pydantic applies a union's constraints to its members (but None)
        return (
            "union",
            tuple(_kind(arg, [] if arg is type(None) else metadata) for arg in args),
        )
    if annotation is int:
        kind: tuple[Any, ...] = (
            "int",
            constraints.pop("least", None),
            constraints.pop("most", None),
        )
    elif annotation is bool:
        kind = ("bool",)
    elif annotation is type(None):
        kind = ("none",)
    elif annotation is Any:
        kind = ("any",)
    elif origin is Literal:
        kind = ("literal", args)
    elif origin is list:
        kind = ("list", _kind(args[0], []), constraints.pop("longest", None))
    elif origin is dict:
        kind = ("dict", _kind(args[0], []), _kind(args[1], []))
    elif isinstance(annotation, type) and issubclass(annotation, Spec):
        kind = ("spec", annotation.__name__)
    else:
        raise TypeError(f"no fast check for {annotation!r}")
    if constraints:
        raise TypeError(f"no fast check for {annotation!r} with {constraints}")
    return kind
