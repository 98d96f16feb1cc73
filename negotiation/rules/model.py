"""A model: the rules of one negotiation process, loaded from YAML and checked whole.

`load_model` accepts a built-in model's name or a path. Every problem in the file (structure,
names, expressions, bounds) is collected and raised together as one FileError, each located.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from negotiation.errors import (
    MAX_PROBLEMS,
    ExpressionError,
    FileError,
    Location,
    Problem,
    TooManyProblems,
    suggest,
)
from negotiation.files.schema import ModelSpec, ParamSpec, SourceSpec, VariableSpec, validate
from negotiation.files.yamlfile import Document, read_document
from negotiation.rules.event_codes import Codes, codes_from
from negotiation.rules.expressions import (
    BOOL,
    INT,
    RESERVED,
    Expression,
    Scope,
    Type,
    compile_expression,
    enum,
)
from negotiation.rules.properties import Property, build_property, property_scope

Value = int | bool | str


@dataclass(frozen=True)
class Party:
    name: str
    title: str
    role: str
    description: str = ""


@dataclass(frozen=True)
class Variable:
    """A typed quantity tracked beside the phase; ints carry bounds."""

    name: str
    type: Type
    initial: Value
    description: str = ""
    min: int | None = None
    max: int | None = None

    def check(self, value: object) -> str | None:
        """Why `value` does not fit this variable, or None if it does."""
        return _check_value(self.name, self.type, self.min, self.max, value)


@dataclass(frozen=True)
class Param:
    """A typed parameter of an event, such as an exchange's counts."""

    name: str
    type: Type
    description: str = ""
    min: int | None = None
    max: int | None = None
    default: Value | None = None

    def check(self, value: object) -> str | None:
        return _check_value(self.name, self.type, self.min, self.max, value)

    def domain(self) -> tuple[Value, ...]:
        """Every value the parameter can take, for exploration (ints need both bounds)."""
        if self.type.kind == "bool":
            return (False, True)
        if self.type.kind == "str":
            return tuple(sorted(self.type.values or ()))
        if self.min is None or self.max is None:
            raise ValueError(f"parameter '{self.name}' has no finite domain")
        return tuple(range(self.min, self.max + 1))


@dataclass(frozen=True)
class Phase:
    name: str
    title: str
    description: str = ""
    teaching: str = ""
    final: bool = False


@dataclass(frozen=True)
class Guard:
    """A named rule on an event: an expression and the reason it exists."""

    name: str
    expression: Expression
    reason: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    name: str
    from_phases: tuple[str, ...]
    to: str | None
    params: Mapping[str, Param]
    guards: tuple[Guard, ...]
    effects: tuple[tuple[str, Expression], ...]
    title: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    codes: Codes | None = None


@dataclass(frozen=True)
class Invariant:
    name: str
    expression: Expression
    description: str = ""


@dataclass(frozen=True)
class Model:
    """The rules of one negotiation process. Immutable; a Machine runs it."""

    name: str
    title: str
    description: str
    parties: Mapping[str, Party]
    variables: Mapping[str, Variable]
    phases: Mapping[str, Phase]
    initial: str
    events: Mapping[str, Event]
    invariants: tuple[Invariant, ...]
    sources: Mapping[str, SourceSpec] = field(default_factory=dict)
    path: str = field(default="", compare=False)
    properties: tuple[Property, ...] = ()

    def initial_ledger(self) -> dict[str, Value]:
        return {name: variable.initial for name, variable in self.variables.items()}

    def scope(self, params: Mapping[str, Param] | None = None) -> Scope:
        """The names an expression in this model may use (with an event's params)."""
        return Scope(
            variables={name: v.type for name, v in self.variables.items()},
            params={name: p.type for name, p in (params or {}).items()},
            phases=frozenset(self.phases),
        )


MODELS_FOLDER = Path(__file__).parent.parent / "models"


def builtin_models() -> list[str]:
    """The names of the models that ship inside the package."""
    return sorted(path.stem for path in MODELS_FOLDER.glob("*.yaml"))


def model_path(name_or_path: str, relative_to: Path | None = None) -> Path | None:
    """Resolve a built-in model name or a path (relative to a scenario file, if given)."""
    if re.fullmatch(r"[a-z][a-z0-9_-]*", name_or_path) and name_or_path in builtin_models():
        return MODELS_FOLDER / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    return path if path.suffix in {".yaml", ".yml"} or path.exists() else None


def load_model(name_or_path: str | Path) -> Model:
    """Load and check a model by built-in name or path; raise FileError on any problem."""
    text = str(name_or_path)
    path = model_path(text)
    if path is None:
        message = f"no built-in model '{text}'" + suggest(text, builtin_models())
        raise FileError([Problem(Location(text), message)])
    shown = (
        f"<builtin>/{path.name}"
        if path.parent.name == "models" and text in builtin_models()
        else text
    )
    return build_model(read_document(path, shown))


def build_model(document: Document) -> Model:
    """Check a parsed model file and build the Model; every problem is reported at once."""
    data = document.data
    if isinstance(data, dict) and "scenario" in data and "phases" not in data:
        message = "this is a scenario file, not a model (replay it with `negotiation run`)"
        raise FileError([Problem(document.locate(), message)])
    spec = validate(document, ModelSpec)
    return _Builder(document, spec).build()


class _Builder:
    def __init__(self, document: Document, spec: ModelSpec) -> None:
        self.document = document
        self.spec = spec
        self.problems: list[Problem] = []

    def problem(self, message: str, *keys: str | int, on_key: bool = False) -> None:
        self.problems.append(Problem(self.document.locate(*keys, on_key=on_key), message))
        self.check_count()

    def check_count(self) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooManyProblems(self.problems)

    def build(self) -> Model:
        spec = self.spec
        checked = {name: self.variable(name, v) for name, v in spec.variables.items()}
        variables = {name: v for name, v in checked.items() if v is not None}
        phases = {
            name: Phase(name, p.title, p.description, p.teaching, p.final)
            for name, p in spec.phases.items()
        }
        for name in [*spec.variables, *spec.phases]:
            if name in RESERVED:
                section = "variables" if name in spec.variables else "phases"
                self.problem(
                    f"'{name}' is reserved by the rule language", section, name, on_key=True
                )
        if spec.initial not in phases:
            self.problem(self.unknown("phase", spec.initial, phases), "initial")
        partial = Model(
            spec.model,
            spec.title,
            spec.description,
            {},
            variables,
            phases,
            spec.initial,
            {},
            (),
            spec.sources,
            self.document.path,
        )
        events = {}
        for name, event_spec in spec.events.items():
            event = self.event(partial, name, event_spec)
            if event is not None:
                events[name] = event
        invariants = []
        for index, inv in enumerate(spec.invariants):
            expression = self.expression(
                inv.holds, partial.scope(), BOOL, "invariants", index, "holds"
            )
            if expression is not None:
                invariants.append(Invariant(inv.name, expression, inv.description))
        self.duplicates([inv.name for inv in spec.invariants], "invariant", "invariants")
        properties = []
        for index, prop_spec in enumerate(spec.properties):
            prop = build_property(
                prop_spec,
                property_scope({n: v.type for n, v in variables.items()}, events, phases),
                self.expression,
                self.problem,
                ("properties", index),
            )
            if prop is not None:
                properties.append(prop)
        self.duplicates([p.name for p in spec.properties], "property", "properties")
        if self.problems:
            raise FileError(self.problems)
        parties = {n: Party(n, p.title, p.role, p.description) for n, p in spec.parties.items()}
        return Model(
            spec.model,
            spec.title,
            spec.description,
            parties,
            variables,
            phases,
            spec.initial,
            events,
            tuple(invariants),
            spec.sources,
            self.document.path,
            tuple(properties),
        )

    def unknown(self, what: str, name: str, known: Mapping[str, Any]) -> str:
        return f"unknown {what} '{name}'" + suggest(name, list(known))

    def typed(self, spec: VariableSpec | ParamSpec, *where: str | int) -> Type | None:
        if spec.type == "int":
            if spec.values is not None:
                self.problem(
                    "'values' is for enums; an int takes 'min' and 'max'", *where, "values"
                )
            if spec.min is not None and spec.max is not None and spec.min > spec.max:
                self.problem(f"min ({spec.min}) is greater than max ({spec.max})", *where, "min")
            return INT
        if spec.min is not None or spec.max is not None:
            self.problem(f"'min' and 'max' are for ints, not {spec.type}", *where)
        if spec.type == "bool":
            return BOOL
        if not spec.values:
            self.problem("an enum needs a non-empty list of 'values'", *where)
            return None
        self.duplicates(spec.values, "value", *where, "values")
        return enum(frozenset(spec.values), where[-1] if isinstance(where[-1], str) else "")

    def variable(self, name: str, spec: VariableSpec) -> Variable | None:
        kind = self.typed(spec, "variables", name)
        if kind is None:
            return None
        error = _check_value(name, kind, spec.min, spec.max, spec.initial)
        if error:
            # reported here; the variable stays declared so its uses are not reported as unknown
            self.problem(f"initial value: {error}", "variables", name, "initial")
        return Variable(name, kind, spec.initial, spec.description, spec.min, spec.max)

    def event(self, model: Model, name: str, spec: Any) -> Event | None:
        where: tuple[str | int, ...] = ("events", name)
        before = len(self.problems)
        if name in RESERVED:
            self.problem(f"'{name}' is reserved by the rule language", *where, on_key=True)
        if spec.from_ == "any":  # every phase that has a way out: a final phase has none
            from_phases = tuple(n for n, p in model.phases.items() if not p.final)
        else:
            from_phases = tuple(spec.from_)
        if spec.from_ != "any":
            for index, phase in enumerate(spec.from_):
                if phase not in model.phases:
                    self.problem(self.unknown("phase", phase, model.phases), *where, "from", index)
            self.duplicates(spec.from_, "phase", *where, "from")
        if spec.to is not None and spec.to not in model.phases:
            self.problem(self.unknown("phase", spec.to, model.phases), *where, "to")
        params: dict[str, Param] = {}
        for pname, pspec in spec.params.items():
            if pname in model.variables or pname in RESERVED:
                self.problem(
                    f"parameter '{pname}' shadows a variable or reserved name",
                    *where,
                    "params",
                    pname,
                    on_key=True,
                )
                continue
            kind = self.typed(pspec, *where, "params", pname)
            if kind is None:
                continue
            if pspec.default is not None:
                error = _check_value(pname, kind, pspec.min, pspec.max, pspec.default)
                if error:
                    self.problem(f"default: {error}", *where, "params", pname, "default")
            params[pname] = Param(
                pname, kind, pspec.description, pspec.min, pspec.max, pspec.default
            )
        scope = model.scope(params)
        guards = []
        for index, gspec in enumerate(spec.guards):
            expression = self.expression(gspec.when, scope, BOOL, *where, "guards", index, "when")
            if expression is not None:
                guards.append(Guard(gspec.name, expression, gspec.reason, tuple(gspec.sources)))
        self.duplicates([g.name for g in spec.guards], "guard", *where, "guards")
        effects = []
        for variable, text in spec.effects.items():
            if variable not in model.variables:
                self.problem(
                    self.unknown("variable", variable, model.variables),
                    *where,
                    "effects",
                    variable,
                    on_key=True,
                )
                continue
            expected = model.variables[variable].type
            expression = self.expression(text, scope, expected, *where, "effects", variable)
            if expression is not None:
                effects.append((variable, expression))
        for index, source in enumerate(spec.sources):
            if source not in model.sources:
                self.problem(
                    self.unknown("source", source, model.sources), *where, "sources", index
                )
        codes = None
        if spec.codes is not None:
            codes, problems = codes_from(spec.codes)
            for message, keys in problems:
                self.problem(message, *where, "codes", *keys)
        if len(self.problems) > before:
            return None
        return Event(
            name,
            from_phases,
            spec.to,
            params,
            tuple(guards),
            tuple(effects),
            spec.title,
            spec.description,
            tuple(spec.sources),
            codes,
        )

    def expression(
        self, text: str, scope: Scope, expected: Type, *where: str | int
    ) -> Expression | None:
        try:
            return compile_expression(text, scope, expected)
        except ExpressionError as error:
            location = self.document.locate_within(*where, offset=error.offset)
            self.problems.append(Problem(location, error.message))
            self.check_count()
            return None

    def duplicates(self, names: list[str], what: str, *where: str | int) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                self.problem(f"duplicate {what} '{name}'", *where, index)
            seen.add(name)


def _check_value(
    name: str, kind: Type, low: int | None, high: int | None, value: object
) -> str | None:
    if not kind.accepts(value):
        return f"'{name}' must be {kind} (got {value!r})"
    if kind.kind == "int":
        assert isinstance(value, int)
        if low is not None and value < low:
            return f"'{name}' must be at least {low} (got {value})"
        if high is not None and value > high:
            return f"'{name}' must be at most {high} (got {value})"
    return None
