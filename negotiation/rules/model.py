"""A model: the rules of one negotiation process (parties, variables, phases, events with
their guards and effects, invariants and properties), immutable once built. Read and checked by
`negotiation.rules.load`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from negotiation.rules.event_codes import Codes
from negotiation.rules.expressions import INT, Expression, Scope, Type, enum
from negotiation.rules.properties import Property

if TYPE_CHECKING:
    from negotiation.files.schema import SourceSpec

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


ONE_REGION = "phase"  # the region of a model that lists its phases directly


@dataclass(frozen=True)
class Phase:
    name: str
    title: str
    description: str = ""
    teaching: str = ""
    final: bool = False
    region: str = ONE_REGION
    planned_days: int | None = None


@dataclass(frozen=True)
class Region:
    """One dimension of the process that changes on its own: its phases, in order."""

    name: str
    title: str
    initial: str
    phases: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Derived:
    """A named whole-number value computed from the variables (a total sources report)."""

    name: str
    expression: Expression
    description: str = ""


@dataclass(frozen=True)
class Guard:
    """A named rule on an event: an expression and the reason it exists.

    `exempt` is the guard's own condition for not applying, read from its form: a guard
    `how != 'rescued' or bodies == 0` has nothing to say about a firing whose parameters make
    `how != 'rescued'` true, and is shown as not applying rather than as passed.
    """

    name: str
    expression: Expression
    reason: str
    sources: tuple[str, ...] = ()
    exempt: Expression | None = None


@dataclass(frozen=True)
class Event:
    """A named trigger: the phases it fires from and moves to, its parameters and rules.

    `from_phases` are the phases the file lists (every phase that is not final, for `from:
    any`); `requires` is what they mean, region by region: the event may fire when each region
    it names is in one of its phases. `to` holds the phases it moves to, at most one a region.
    """

    name: str
    from_phases: tuple[str, ...]
    to: tuple[str, ...]
    params: Mapping[str, Param]
    guards: tuple[Guard, ...]
    effects: tuple[tuple[str, Expression], ...]
    title: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    codes: Codes | None = None
    requires: Mapping[str, frozenset[str]] = field(default_factory=dict)
    expires: str | None = None

    def allows(self, phases: Mapping[str, str]) -> bool:
        """Whether the event may fire with the regions in `phases` (its guards aside)."""
        return all(phases.get(region) in allowed for region, allowed in self.requires.items())


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
    regions: Mapping[str, Region]
    events: Mapping[str, Event]
    invariants: tuple[Invariant, ...]
    sources: Mapping[str, SourceSpec] = field(default_factory=dict)
    path: str = field(default="", compare=False)
    properties: tuple[Property, ...] = ()
    derived: Mapping[str, Derived] = field(default_factory=dict)

    @property
    def one_region(self) -> bool:
        """A plain state machine: its one region is `phase`, as rules read it."""
        return list(self.regions) == [ONE_REGION]

    @property
    def initial(self) -> dict[str, str]:
        """The phase each region starts in."""
        return {name: region.initial for name, region in self.regions.items()}

    def initial_ledger(self) -> dict[str, Value]:
        return {name: variable.initial for name, variable in self.variables.items()}

    def configuration(self, phases: str | Sequence[str] | Mapping[str, str]) -> dict[str, str]:
        """One phase per region: the phases given (each names its region), the initial phase
        for every region not given. Raises KeyError naming an unknown phase."""
        given = (
            list(phases.values())
            if isinstance(phases, Mapping)
            else [phases]
            if isinstance(phases, str)
            else list(phases)
        )
        configuration = self.initial
        for phase in given:
            configuration[self.phases[phase].region] = phase
        return configuration

    def region_types(self) -> dict[str, Type]:
        """The regions as rules read them: each an enum of its phases (one region: `phase`)."""
        if self.one_region:
            return {}
        return {name: enum(frozenset(r.phases), name) for name, r in self.regions.items()}

    def scope(self, params: Mapping[str, Param] | None = None) -> Scope:
        """The names an expression in this model may use (with an event's params)."""
        return Scope(
            variables={
                **{name: v.type for name, v in self.variables.items()},
                **{name: INT for name in self.derived},
                **self.region_types(),
            },
            params={name: p.type for name, p in (params or {}).items()},
            phases=frozenset(self.phases) if self.one_region else frozenset(),
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
