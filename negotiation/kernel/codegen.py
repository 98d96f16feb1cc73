"""Generate a model's kernel from its parsed rules: scalar Python per event and numpy per event.

Both forms are generated from each rule's checked syntax tree (`Expression.tree`), never from its
text, and reproduce the one semantics of `negotiation.semantics.judge` exactly, on states that
are valid (states the Machine or the kernel produced: within bounds, every invariant holding):

- the event's phases (`requires`), then every guard in order; a guard that divides by zero
  breaks the step even when an earlier guard refused it; else the first guard that refused;
- the effects, all reading the state as it was; the first that divides by zero breaks;
- the written variables' bounds in the model's order, then the derived values and invariants.

Because the state before was valid, a derived value or invariant that reads nothing the event
writes (nor a region it moves) still holds after it, and is not judged again; nor are the bounds
of variables it does not write.

Each generated source is registered in `linecache` under a pseudo-filename (`<kernel
gaza_truce scalar>`), as the rule language does for its rules, so a traceback shows the code.
"""

from __future__ import annotations

import ast
import copy
import linecache
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from negotiation.kernel.layout import Field, Layout
from negotiation.rules.expressions import FUNCTIONS, Expression
from negotiation.rules.model import ONE_REGION, Event, Model
from negotiation.semantics.outcomes import PHASES_RULE, Rule

Status = Literal["refused", "broken"]
APPLIED, REFUSED, BROKEN = 0, 1, 2
STATUS_CODES: Mapping[Status, int] = {"refused": REFUSED, "broken": BROKEN}


@dataclass
class RuleTable:
    """Every way a step can fail, numbered: (refused or broken, the rule)."""

    entries: list[tuple[Status, Rule]] = field(default_factory=list)
    index: dict[tuple[Status, Rule], int] = field(default_factory=dict)

    def number(self, status: Status, rule: Rule) -> int:
        key = (status, rule)
        if key not in self.index:
            self.index[key] = len(self.entries)
            self.entries.append(key)
        return self.index[key]


PHASE_RULE = Rule("phase", PHASES_RULE)


def register(filename: str, source: str) -> None:
    """Register generated source in linecache, so tracebacks and pdb show it."""
    lines = [line + "\n" for line in source.split("\n")]
    linecache.cache[filename] = (len(source), None, lines, filename)


def reads(expression: Expression) -> set[str]:
    """The state names an expression reads: variables, derived values, regions, `phase`."""
    found = set(expression.variables)
    if expression.uses_phase:
        found.add(ONE_REGION)
    return found


def has_division(expression: Expression) -> bool:
    return any(
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv)
        for node in ast.walk(expression.tree)
    )


class _Rename(ast.NodeTransformer):
    def __init__(self, names: Callable[[str], ast.expr]) -> None:
        self.names = names

    def visit_Call(self, node: ast.Call) -> ast.expr:
        node.args = [self.visit(arg) for arg in node.args]
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return ast.copy_location(self.names(node.id), node)


def python_source(expression: Expression, names: Callable[[str], ast.expr]) -> str:
    """The expression as Python source, each name replaced as `names` says."""
    body = _Rename(names).visit(copy.deepcopy(expression.tree.body))
    return ast.unparse(ast.fix_missing_locations(body))


@dataclass(frozen=True)
class EventPlan:
    """What one event reads and writes, worked out once for both forms."""

    event: Event
    guards: tuple[int, ...]  # indexes of the guards judged
    written: tuple[str, ...]  # variables its effects write, in the model's order
    moved: dict[str, str]  # region -> the phase it moves to
    derived_after: tuple[str, ...]  # derived values that read what it writes
    invariants: tuple[int, ...]  # invariants judged again after it


def plan(model: Model, event: Event, skip_params: frozenset[str] = frozenset()) -> EventPlan:
    guards = tuple(
        i
        for i, guard in enumerate(event.guards)
        if not (skip_params and skip_params.intersection(guard.expression.params))
    )
    targets = {name for name, _ in event.effects}
    written = tuple(name for name in model.variables if name in targets)
    moved = {model.phases[phase].region: phase for phase in event.to}
    changed = set(written) | set(moved)
    derived_after = tuple(
        name for name, d in model.derived.items() if reads(d.expression) & changed
    )
    changed |= set(derived_after)
    invariants = tuple(
        i for i, inv in enumerate(model.invariants) if reads(inv.expression) & changed
    )
    return EventPlan(event, guards, written, moved, derived_after, invariants)


def needed_before(model: Model, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The fields and derived values (in the model's order) needed to know `names`."""
    wanted = set(names)
    derived = [name for name in model.derived if name in wanted]
    for name in derived:
        wanted |= reads(model.derived[name].expression)
    return [name for name in wanted if name not in model.derived], derived


class ScalarWriter:
    """Writes the scalar Python of a model's events: one function per event, `f(x, p)`, taking
    the packed state and the parameters and returning the next packed state, or -1 - n for
    the n-th entry of the rule table (refused or broken, with the rule)."""

    def __init__(self, layout: Layout, rules: RuleTable) -> None:
        self.layout = layout
        self.model = layout.model
        self.rules = rules
        self.constants: dict[str, Any] = {}
        self.lines: list[str] = []

    def constant(self, name: str, value: Any) -> str:
        self.constants[name] = value
        return name

    def fail(self, status: Status, rule: Rule) -> str:
        return f"return {-1 - self.rules.number(status, rule)}"

    def read(self, field: Field) -> str:
        offset = self.layout.offset(field)
        code = f"((x >> {offset}) & {field.mask})" if field.bits else "0"
        if field.kind == "int":
            return f"{code} + {field.low}" if field.low else code
        if field.kind == "bool":
            return f"{code} == 1"
        table = self.constant(f"V_{field.name}", field.values)
        return f"{table}[{code}]"

    def write(self, field: Field, value: str) -> str:
        offset = self.layout.offset(field)
        if field.kind == "int":
            code = f"({value} - {field.low})" if field.low else value
        elif field.kind == "bool":
            code = f"(1 if {value} else 0)"
        else:
            table = self.constant(f"I_{field.name}", {v: i for i, v in enumerate(field.values)})
            code = f"{table}[{value}]"
        return f"({code} << {offset})" if offset else code

    def event(
        self,
        event: Event,
        name: str,
        judge_only: bool = False,
        skip_params: frozenset[str] = frozenset(),
    ) -> None:
        """Write `def name(x, p)`; `judge_only` (asking whether the event is enabled): only the
        phases and the guards that read none of `skip_params`, returning 0 when allowed."""
        model, layout, emit = self.model, self.layout, self.lines.append
        p = plan(model, event, skip_params)
        emit(f"def {name}(x, p):")
        emit(f"    # event '{event.name}'")
        for region, allowed in event.requires.items():
            field = layout.field(region)
            if set(field.values) <= allowed:
                continue
            codes = sorted(field.values.index(phase) for phase in allowed)
            code = f"((x >> {layout.offset(field)}) & {field.mask})"
            if len(codes) == 1:
                emit(f"    if {code} != {codes[0]}:")
            else:
                allowed_codes = self.constant(
                    f"A_{name}_{field.word}_{field.shift}", frozenset(codes)
                )
                emit(f"    if {code} not in {allowed_codes}:")
            emit(f"        {self.fail('refused', PHASE_RULE)}")
        guards = [event.guards[i] for i in p.guards]
        effects = [] if judge_only else list(event.effects)
        after: set[str] = set()
        if not judge_only:
            for i in p.invariants:
                after |= reads(model.invariants[i].expression)
            for d in p.derived_after:
                after |= reads(model.derived[d].expression)
        before_names: set[str] = set(after)
        for read in [g.expression for g in guards] + [e for _, e in effects]:
            before_names |= reads(read) - set(event.params)
        fields, derived = needed_before(model, before_names - set(p.moved))
        params = sorted(
            {n for g in guards for n in g.expression.params}
            | {n for _, e in effects for n in e.params}
        )
        for param in params:
            emit(f"    p_{param} = p[{param!r}]")
        for fname in sorted(fields, key=lambda n: [f.name for f in layout.fields].index(n)):
            emit(f"    v_{fname} = {self.read(layout.field(fname))}")

        def before(n: str) -> ast.expr:
            if n in event.params:
                return ast.Name(f"p_{n}", ast.Load())
            if n in model.derived:
                return ast.Name(f"d_{n}", ast.Load())
            return ast.Name(f"v_{n}", ast.Load())

        for dname in derived:
            emit(f"    d_{dname} = {python_source(model.derived[dname].expression, before)}")
        divides = [has_division(g.expression) for g in guards]
        for i, guard in enumerate(guards):
            source = python_source(guard.expression, before)
            later_divides = any(divides[i + 1 :])
            rule = Rule("guard", guard.name)
            if divides[i]:
                emit("    try:")
                emit(f"        g{i} = {source}")
                emit("    except ZeroDivisionError:")
                emit(f"        {self.fail('broken', rule)}")
            elif later_divides:
                emit(f"    g{i} = {source}")
            else:
                emit(f"    if not ({source}):")
                emit(f"        {self.fail('refused', rule)}")
        for i, guard in enumerate(guards):
            if divides[i] or any(divides[i + 1 :]):
                emit(f"    if not g{i}:")
                emit(f"        {self.fail('refused', Rule('guard', guard.name))}")
        if judge_only:
            emit("    return 0")
            emit("")
            return
        for variable, expression in effects:
            source = python_source(expression, before)
            if has_division(expression):
                emit("    try:")
                emit(f"        n_{variable} = {source}")
                emit("    except ZeroDivisionError:")
                emit(f"        {self.fail('broken', Rule('effect', variable))}")
            else:
                emit(f"    n_{variable} = {source}")
        for variable in p.written:
            f = layout.field(variable)
            if f.kind == "int":
                emit(f"    if not ({f.low} <= n_{variable} <= {f.high}):")
                emit(f"        {self.fail('broken', Rule('bounds', variable))}")

        def after_name(n: str) -> ast.expr:
            if n in p.written:
                return ast.Name(f"n_{n}", ast.Load())
            if n in p.moved:
                return ast.Constant(p.moved[n])
            if n in p.derived_after:
                return ast.Name(f"e_{n}", ast.Load())
            return before(n)

        for dname in p.derived_after:
            expression = model.derived[dname].expression
            source = python_source(expression, after_name)
            if has_division(expression):
                emit("    try:")
                emit(f"        e_{dname} = {source}")
                emit("    except ZeroDivisionError:")
                emit(f"        {self.fail('broken', Rule('derived', dname))}")
            else:
                emit(f"    e_{dname} = {source}")
        for i in p.invariants:
            invariant = model.invariants[i]
            source = python_source(invariant.expression, after_name)
            rule = Rule("invariant", invariant.name)
            if has_division(invariant.expression):
                emit("    try:")
                emit(f"        ok = {source}")
                emit("    except ZeroDivisionError:")
                emit(f"        {self.fail('broken', rule)}")
                emit("    if not ok:")
            else:
                emit(f"    if not ({source}):")
            emit(f"        {self.fail('broken', rule)}")
        keep = (1 << (layout.words * 64)) - 1
        parts = []
        for region, phase in p.moved.items():
            f = layout.field(region)
            keep &= ~(f.mask << layout.offset(f))
            parts.append(str(f.values.index(phase) << layout.offset(f)))
        for variable in p.written:
            f = layout.field(variable)
            keep &= ~(f.mask << layout.offset(f))
            parts.append(self.write(f, f"n_{variable}"))
        if parts:
            emit(f"    return (x & {keep:#x}) | " + " | ".join(parts))
        else:
            emit("    return x")
        emit("")

    def compile(self) -> dict[str, Callable[[int, Mapping[str, Any]], int]]:
        source = "\n".join(self.lines)
        filename = f"<kernel {self.model.name} scalar>"
        register(filename, source)
        namespace: dict[str, Any] = {"__builtins__": {}, **FUNCTIONS, **self.constants}
        exec(compile(source, filename, "exec"), namespace)  # generated from checked trees
        return {k: v for k, v in namespace.items() if callable(v) and k not in FUNCTIONS}

    @property
    def source(self) -> str:
        return "\n".join(self.lines)
