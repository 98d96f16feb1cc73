"""Loading a model file: `load_model` accepts a built-in model's name or a path. Every problem
in the file (structure, names, expressions, bounds) is collected and raised together as one
FileError, each located; `_Builder` reads as the row of small checks a model must pass.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from negotiation.errors import (
    MAX_PROBLEMS,
    ExpressionError,
    FileError,
    Location,
    Problem,
    TooManyProblems,
    suggest,
)
from negotiation.files.fastspec import validate_model
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
from negotiation.rules.model import (
    ONE_REGION,
    Derived,
    Event,
    Guard,
    Invariant,
    Model,
    Param,
    Party,
    Phase,
    Region,
    Variable,
    builtin_models,
    check_value,
    model_path,
)
from negotiation.rules.properties import build_property, property_scope

if TYPE_CHECKING:
    from negotiation.files.schema import EventSpec, ModelSpec, ParamSpec, PhaseSpec, VariableSpec

# The bounds of an int variable or parameter that declares none (or only one). An effect that
# multiplies a variable then breaks its bounds, a `Broken` outcome, instead of growing an
# integer without limit (`n: n * n + 2` doubles its digits at each step).
DEFAULT_INT_BOUND = 10**9


def int_bounds(spec: VariableSpec | ParamSpec) -> tuple[int | None, int | None]:
    """An int's declared bounds, each missing one DEFAULT_INT_BOUND (never past the other)."""
    if spec.type != "int":
        return spec.min, spec.max
    low = spec.min if spec.min is not None else -DEFAULT_INT_BOUND
    high = spec.max if spec.max is not None else DEFAULT_INT_BOUND
    if spec.min is None and high < low:
        low = high
    if spec.max is None and high < low:
        high = low
    return low, high


def load_model(name_or_path: str | Path) -> Model:
    """Load and check a model by built-in name or path; raise FileError on any problem."""
    text = str(name_or_path)
    try:
        path = model_path(text)
    except (OSError, ValueError) as error:  # a NUL in the name, a name too long
        reason = getattr(error, "strerror", None) or str(error)
        raise FileError([Problem(Location(text), f"cannot be read: {reason}")]) from None
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
    if isinstance(data, dict) and "scenario" in data and not {"phases", "regions"} & set(data):
        message = "this is a scenario file, not a model (replay it with `negotiation run`)"
        raise FileError([Problem(document.locate(), message)])
    spec = validate_model(document)
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
        phases, regions = self.regions()
        for name in [*spec.variables, *spec.derived]:
            if name in RESERVED:
                section = "variables" if name in spec.variables else "derived"
                self.problem(
                    f"'{name}' is reserved by the rule language", section, name, on_key=True
                )
        self.check_names_unique(variables, phases, regions)
        partial = Model(
            spec.model,
            spec.title,
            spec.description,
            {},
            variables,
            phases,
            regions,
            {},
            (),
            spec.sources,
            self.document.path,
        )
        derived = self.derived(partial)
        partial = replace(partial, derived=derived)
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
                property_scope(partial.scope(), events),
                self.expression,
                self.problem,
                ("properties", index),
                events,
            )
            if prop is not None:
                properties.append(prop)
        self.duplicates([p.name for p in spec.properties], "property", "properties")
        if self.problems:
            raise FileError(self.problems)
        parties = {n: Party(n, p.title, p.role, p.description) for n, p in spec.parties.items()}
        return replace(
            partial,
            parties=parties,
            events=events,
            invariants=tuple(invariants),
            properties=tuple(properties),
        )

    def regions(self) -> tuple[dict[str, Phase], dict[str, Region]]:
        """The phases and their regions: `regions:`, or `phases:` and `initial:` for one."""
        spec = self.spec
        if bool(spec.regions) == bool(spec.phases):
            self.problem("give either `phases` and `initial` (one region) or `regions`")
            return {}, {}
        if not spec.regions:
            if spec.initial is None:
                self.problem("missing required field 'initial': the phase the model starts in")
            elif spec.initial not in spec.phases:
                self.problem(self.unknown("phase", spec.initial, spec.phases), "initial")
            phases = {name: self.phase(name, p, ONE_REGION) for name, p in spec.phases.items()}
            self.reserved(spec.phases, "phases")
            initial = spec.initial if spec.initial in phases else next(iter(phases), "")
            region = Region(ONE_REGION, "Phase", initial, tuple(phases))
            return phases, {ONE_REGION: region}
        if spec.initial is not None:
            self.problem("'initial' goes inside each region with `regions`", "initial")
        phases, regions = {}, {}
        self.reserved(spec.regions, "regions")
        for name, rspec in spec.regions.items():
            if rspec.initial not in rspec.phases:
                message = self.unknown("phase", rspec.initial, rspec.phases)
                self.problem(message, "regions", name, "initial")
            self.reserved(rspec.phases, "regions", name, "phases")
            for phase_name, pspec in rspec.phases.items():
                if phase_name in phases:
                    other = phases[phase_name].region
                    self.problem(
                        f"phase '{phase_name}' is also in region '{other}': phase names are "
                        "unique across regions",
                        "regions",
                        name,
                        "phases",
                        phase_name,
                        on_key=True,
                    )
                    continue
                phases[phase_name] = self.phase(phase_name, pspec, name)
            regions[name] = Region(
                name, rspec.title, rspec.initial, tuple(rspec.phases), rspec.description
            )
        return phases, regions

    @staticmethod
    def phase(name: str, spec: PhaseSpec, region: str) -> Phase:
        return Phase(
            name,
            spec.title,
            spec.description,
            spec.teaching,
            spec.final,
            region,
            spec.planned_days,
        )

    def reserved(self, names: Mapping[str, Any], *where: str) -> None:
        for name in names:
            if name in RESERVED:
                self.problem(
                    f"'{name}' is reserved by the rule language", *where, name, on_key=True
                )

    def check_names_unique(
        self,
        variables: Mapping[str, Any],
        phases: Mapping[str, Phase],
        regions: Mapping[str, Region],
    ) -> None:
        """A name means one thing: a region, a variable or a derived value, never two."""
        if list(regions) == [ONE_REGION]:
            return
        for name in regions:
            if name in variables or name in self.spec.derived or name in phases:
                self.problem(
                    f"region '{name}' has the name of a variable, derived value or phase",
                    "regions",
                    name,
                    on_key=True,
                )

    def derived(self, model: Model) -> dict[str, Derived]:
        """Named whole-number values over the variables."""
        scope = Scope(variables={name: v.type for name, v in model.variables.items()})
        found = {}
        for name, dspec in self.spec.derived.items():
            if name in model.variables:
                self.problem(
                    f"derived value '{name}' has a variable's name", "derived", name, on_key=True
                )
                continue
            expression = self.expression(dspec.value, scope, INT, "derived", name, "value")
            if expression is not None:
                found[name] = Derived(name, expression, dspec.description)
        return found

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
        low, high = int_bounds(spec)
        error = check_value(name, kind, low, high, spec.initial)
        if error:
            # reported here; the variable stays declared so its uses are not reported as unknown
            self.problem(f"initial value: {error}", "variables", name, "initial")
        return Variable(name, kind, spec.initial, spec.description, low, high)

    def event(self, model: Model, name: str, spec: EventSpec) -> Event | None:
        """One event, checked: a row of small checks, each reporting what it finds."""
        where: tuple[str | int, ...] = ("events", name)
        before = len(self.problems)
        if name in RESERVED:
            self.problem(f"'{name}' is reserved by the rule language", *where, on_key=True)
        from_phases = self.from_phases(model, spec, where)
        to = self.to_phases(model, spec, where)
        requires = self.requires(model, spec, from_phases, to)
        self.check_no_way_out_of_final(model, spec, to, where)
        expires = self.expires(model, spec, where)
        if expires is not None:
            region = model.phases[expires].region
            allowed = requires.get(region, frozenset(model.regions[region].phases))
            requires[region] = allowed & {expires}
        params = self.params(model, spec, where)
        scope = model.scope(params)
        guards = self.guards(spec, scope, where)
        effects = self.effects(model, spec, scope, where)
        self.check_sources(model, spec.sources, where)
        codes = self.codes(spec, where)
        if len(self.problems) > before:
            return None
        return Event(
            name,
            from_phases,
            to,
            params,
            guards,
            effects,
            spec.title,
            spec.description,
            tuple(spec.sources),
            codes,
            requires,
            expires,
        )

    def from_phases(
        self, model: Model, spec: EventSpec, where: tuple[str | int, ...]
    ) -> tuple[str, ...]:
        """The phases an event fires from; `any` means every phase that is not final."""
        if spec.from_ == "any":
            return tuple(n for n, p in model.phases.items() if not p.final)
        for index, phase in enumerate(spec.from_):
            if phase not in model.phases:
                self.problem(self.unknown("phase", phase, model.phases), *where, "from", index)
        self.duplicates(list(spec.from_), "phase", *where, "from")
        return tuple(phase for phase in spec.from_ if phase in model.phases)

    def to_phases(
        self, model: Model, spec: EventSpec, where: tuple[str | int, ...]
    ) -> tuple[str, ...]:
        """The phases an event moves to: declared phases, at most one in each region."""
        given = [] if spec.to is None else [spec.to] if isinstance(spec.to, str) else spec.to
        found: dict[str, str] = {}
        for index, phase in enumerate(given):
            keys = (*where, "to") if isinstance(spec.to, str) else (*where, "to", index)
            if phase not in model.phases:
                self.problem(self.unknown("phase", phase, model.phases), *keys)
                continue
            region = model.phases[phase].region
            if region in found:
                self.problem(
                    f"'{phase}' and '{found[region]}' are both in region '{region}': an event "
                    "moves a region to one phase",
                    *keys,
                )
                continue
            found[region] = phase
        return tuple(found.values())

    @staticmethod
    def requires(
        model: Model, spec: EventSpec, from_phases: tuple[str, ...], to: tuple[str, ...]
    ) -> dict[str, frozenset[str]]:
        """What `from` means region by region; a region the event moves but `from` does not
        name must not be in a final phase."""
        requires: dict[str, set[str]] = {}
        if spec.from_ == "any":
            for name, region in model.regions.items():
                requires[name] = {p for p in region.phases if not model.phases[p].final}
        else:
            for phase in from_phases:
                requires.setdefault(model.phases[phase].region, set()).add(phase)
        for phase in to:
            region = model.regions[model.phases[phase].region]
            if region.name not in requires and any(model.phases[p].final for p in region.phases):
                requires[region.name] = {p for p in region.phases if not model.phases[p].final}
        return {name: frozenset(phases) for name, phases in requires.items()}

    def check_no_way_out_of_final(
        self, model: Model, spec: EventSpec, to: tuple[str, ...], where: tuple[str | int, ...]
    ) -> None:
        """No event leaves a final phase: a final phase is where a process ends."""
        if spec.from_ == "any":  # `any` leaves final phases out
            return
        moved = {model.phases[phase].region: phase for phase in to}
        for index, phase in enumerate(spec.from_):
            declared = model.phases.get(phase)
            if declared is None or not declared.final:
                continue
            target = moved.get(declared.region)
            if target is not None and target != phase:
                self.problem(
                    f"'{phase}' is final: no event may leave it (this one leads to '{target}')",
                    *where,
                    "from",
                    index,
                )

    def expires(self, model: Model, spec: EventSpec, where: tuple[str | int, ...]) -> str | None:
        """The phase whose planned time the event marks the end of: it must plan one."""
        if spec.expires is None:
            return None
        phase = model.phases.get(spec.expires)
        if phase is None:
            self.problem(self.unknown("phase", spec.expires, model.phases), *where, "expires")
            return None
        if phase.planned_days is None:
            self.problem(
                f"phase '{spec.expires}' has no planned_days for this event to mark the end of",
                *where,
                "expires",
            )
            return None
        listed = [] if spec.from_ == "any" else spec.from_
        same_region = [
            p for p in listed if p in model.phases and model.phases[p].region == phase.region
        ]
        if same_region and spec.expires not in same_region:
            self.problem(
                f"the event marks the end of '{spec.expires}' but fires only from "
                + ", ".join(same_region),
                *where,
                "expires",
            )
            return None
        return spec.expires

    def params(
        self, model: Model, spec: EventSpec, where: tuple[str | int, ...]
    ) -> dict[str, Param]:
        """The event's parameters, typed; none may shadow a variable or a reserved name."""
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
            low, high = int_bounds(pspec)
            if pspec.default is not None:
                error = check_value(pname, kind, low, high, pspec.default)
                if error:
                    self.problem(f"default: {error}", *where, "params", pname, "default")
            params[pname] = Param(pname, kind, pspec.description, low, high, pspec.default)
        return params

    def guards(
        self, spec: EventSpec, scope: Scope, where: tuple[str | int, ...]
    ) -> tuple[Guard, ...]:
        """The event's guards, each compiled as a boolean rule; names are unique."""
        guards = []
        for index, gspec in enumerate(spec.guards):
            expression = self.expression(gspec.when, scope, BOOL, *where, "guards", index, "when")
            if expression is not None:
                exempt = _exemption(expression, scope)
                guards.append(
                    Guard(gspec.name, expression, gspec.reason, tuple(gspec.sources), exempt)
                )
        self.duplicates([g.name for g in spec.guards], "guard", *where, "guards")
        return tuple(guards)

    def effects(
        self, model: Model, spec: EventSpec, scope: Scope, where: tuple[str | int, ...]
    ) -> tuple[tuple[str, Expression], ...]:
        """The event's effects, each of its variable's type."""
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
        return tuple(effects)

    def check_sources(self, model: Model, sources: list[str], where: tuple[str | int, ...]) -> None:
        """Every source an event cites is in the model's bibliography."""
        for index, source in enumerate(sources):
            if source not in model.sources:
                self.problem(
                    self.unknown("source", source, model.sources), *where, "sources", index
                )

    def codes(self, spec: EventSpec, where: tuple[str | int, ...]) -> Codes | None:
        if spec.codes is None:
            return None
        codes, problems = codes_from(spec.codes)
        for message, keys in problems:
            self.problem(message, *where, "codes", *keys)
        return codes

    def expression(
        self, text: str, scope: Scope, expected: Type, *where: str | int
    ) -> Expression | None:
        try:
            name = ".".join(str(part) for part in (self.spec.model, *where))
            return compile_expression(text, scope, expected, name)
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


def _exemption(expression: Expression, scope: Scope) -> Expression | None:
    """For a guard `A or B` where A is a test of the event's parameters (`how != 'rescued'`,
    `not flag`): A, the condition under which the guard does not apply to a firing."""
    body = expression.tree.body
    if not (isinstance(body, ast.BoolOp) and isinstance(body.op, ast.Or)):
        return None
    first = body.values[0]

    def names(nodes: list[ast.expr]) -> set[str]:
        return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}

    conditional = isinstance(first, ast.Compare) or (
        isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.Not)
    )
    condition = names([first])
    if not conditional or not condition or not condition <= set(scope.params):
        return None  # `qatar or egypt` asks something of the firing itself: no exemption
    return compile_expression(ast.unparse(first), scope, BOOL)
