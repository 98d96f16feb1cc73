"""A model: the rules of one negotiation process (parties, variables, phases, events with
their guards and effects, invariants and properties), immutable once built. Read and checked by
`negotiation.rules.load`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from negotiation.files.schema import SourceSpec
from negotiation.rules.event_codes import Codes
from negotiation.rules.expressions import Expression, Scope, Type
from negotiation.rules.properties import Property

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
        return check_value(self.name, self.type, self.min, self.max, value)


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
        return check_value(self.name, self.type, self.min, self.max, value)

    def domain(self) -> tuple[Value, ...]:
        """Every value the parameter can take, for exploration (ints need both bounds)."""
        if self.type.kind == "bool":
            return (False, True)
        if self.type.kind == "enum":
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


def check_value(
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
