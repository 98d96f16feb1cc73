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
import re
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

    def read(self, field: Field, state: str = "x") -> str:
        """The field's value read from the packed state named `state`."""
        offset = self.layout.offset(field)
        code = f"(({state} >> {offset}) & {field.mask})" if field.bits else "0"
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

    def compile(self, filename: str = "") -> dict[str, Callable[..., int]]:
        source = "\n".join(self.lines)
        filename = filename or f"<kernel {self.model.name} scalar>"
        register(filename, source)
        namespace: dict[str, Any] = {
            "__builtins__": {"ZeroDivisionError": ZeroDivisionError},
            **FUNCTIONS,
            **self.constants,
        }
        exec(compile(source, filename, "exec"), namespace)  # generated from checked trees
        return {k: v for k, v in namespace.items() if callable(v) and k not in FUNCTIONS}

    @property
    def source(self) -> str:
        return "\n".join(self.lines)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Overflow(Exception):
    """An intermediate value of a rule might not fit in int64: the event's batch form falls
    back to the scalar code, row by row."""


@dataclass(frozen=True)
class Val:
    """A generated numpy value: its source, type and, for ints, the interval it lies in; for
    enums, the values its codes index (None with `const` set: a text literal)."""

    src: str
    kind: str  # int, bool, enum
    lo: int = 0
    hi: int = 0
    space: tuple[str, ...] | None = None
    const: str | None = None


class NumpyWriter:
    """Writes the numpy form of a model's events: one function per event, `f(W, p)`, taking
    the word columns of a batch of states (uint64 arrays) and the parameters and returning the
    next word columns, the status of each row and its rule index (-1 where applied).

    The translation: `and`/`or` → `&`/`|`, `not` → `~` (on bool arrays and numpy bools only),
    chains → pairwise `&`, `in` → OR of `==`, `a if t else b` → `np.where`, min/max/abs →
    `np.minimum`/`np.maximum`/`np.abs`. `np.where` evaluates both branches, so every `//`
    divides by a divisor with its zeros replaced by 1, and a row where a division the Python
    code would have reached (under the same short-circuits) divides by zero is marked broken.
    Effects are computed from the old columns into temporaries; no mask is updated in place.
    Range analysis over the bounds gives each int an interval: checks of bounds that always hold
    are left out, and an event with an intermediate that might leave int64 is not generated
    (its batch form runs the scalar code row by row).
    """

    def __init__(self, layout: Layout, rules: RuleTable) -> None:
        self.layout = layout
        self.model = layout.model
        self.rules = rules
        self.constants: dict[str, Any] = {}
        self.lines: list[str] = []
        self.fallback: list[str] = []  # events whose batch form runs the scalar code
        self.count = 0
        self.shared: dict[tuple[str, str, Any], str] = {}
        self.seen: dict[str, str] = {}  # source -> temporary, within one event
        strings: set[str] = set()
        for f in layout.fields:
            strings |= set(f.values)
        for event in self.model.events.values():
            for param in event.params.values():
                strings |= set(param.type.values or ())
        self.strings = tuple(sorted(strings))

    # small helpers

    def constant(self, value: Any, prefix: str = "K") -> str:
        """A name in the generated module's namespace for `value` (numpy scalars shared)."""
        key = (prefix, type(value).__name__, value) if prefix in {"U", "I"} else None
        if key is not None and key in self.shared:
            return self.shared[key]
        name = f"{prefix}{len(self.constants)}"
        self.constants[name] = value
        if key is not None:
            self.shared[key] = name
        return name

    def temp(self, source: str, out: list[str], indent: str = "    ") -> str:
        """A temporary holding `source`'s value (the same one for the same source: every
        temporary is assigned once, so equal sources have equal values)."""
        if source in self.seen:
            return self.seen[source]
        if source.isidentifier() or source in {"np.True_", "np.False_"}:
            return source
        self.count += 1
        name = f"t{self.count}"
        out.append(f"{indent}{name} = {source}")
        self.seen[source] = name
        return name

    def uint(self, value: int) -> str:
        import numpy as np

        return self.constant(np.uint64(value), "U")

    def int64(self, value: int) -> str:
        import numpy as np

        if not INT64_MIN <= value <= INT64_MAX:
            raise Overflow(str(value))
        return self.constant(np.int64(value), "I")

    def boolean(self, value: bool) -> str:
        return "np.True_" if value else "np.False_"

    def checked(self, lo: int, hi: int) -> tuple[int, int]:
        if lo < INT64_MIN or hi > INT64_MAX:
            raise Overflow(f"[{lo}, {hi}]")
        return lo, hi

    def code(self, field: Field, out: list[str]) -> str:
        """A field's codes (uint64) in the batch."""
        if field.bits == 0:
            return self.uint(0)
        shifted = (
            f"W[{field.word}] >> {self.uint(field.shift)}" if field.shift else f"W[{field.word}]"
        )
        return self.temp(f"({shifted}) & {self.uint(field.mask)}", out)

    def field_val(self, field: Field, out: list[str]) -> Val:
        code = self.code(field, out)
        if field.kind == "int":
            source = f"{code}.astype(np.int64)"
            if field.low:
                source += f" + {self.int64(field.low)}"
            return Val(self.temp(source, out), "int", field.low, field.high)
        if field.kind == "bool":
            return Val(self.temp(f"{code}.astype(np.bool_)", out), "bool")
        return Val(self.temp(f"{code}.astype(np.int64)", out), "enum", space=field.values)

    # enums

    def to_space(self, val: Val, space: tuple[str, ...], out: list[str]) -> str:
        """An enum value as codes of `space`."""
        import numpy as np

        if val.const is not None:
            return self.int64(space.index(val.const))
        if val.space == space:
            return val.src
        assert val.space is not None
        lookup = np.array([space.index(v) if v in space else -1 for v in val.space], np.int64)
        return self.temp(f"{self.constant(lookup, 'L')}[{val.src}]", out)

    def to_global(self, val: Val, out: list[str]) -> str:
        return self.to_space(val, self.strings, out)

    # expressions

    def expr(
        self,
        node: ast.expr,
        env: Mapping[str, Val],
        reached: str | None,
        out: list[str],
        zeros: list[str],
    ) -> Val:
        """Translate `node`; append to `zeros` a mask of the rows where a division it reaches
        (when `reached`, None: every row) divides by zero."""
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return Val(self.boolean(value), "bool")
            if isinstance(value, int):
                return Val(self.int64(value), "int", value, value)
            return Val(repr(value), "enum", const=str(value))
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            a = self.expr(node.left, env, reached, out, zeros)
            b = self.expr(node.right, env, reached, out, zeros)
            if isinstance(node.op, ast.FloorDiv):
                return self.divide(a, b, reached, out, zeros)
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(node.op)]
            if symbol == "+":
                lo, hi = a.lo + b.lo, a.hi + b.hi
            elif symbol == "-":
                lo, hi = a.lo - b.hi, a.hi - b.lo
            else:
                products = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
                lo, hi = min(products), max(products)
            lo, hi = self.checked(lo, hi)
            return Val(self.temp(f"{a.src} {symbol} {b.src}", out), "int", lo, hi)
        if isinstance(node, ast.UnaryOp):
            a = self.expr(node.operand, env, reached, out, zeros)
            if isinstance(node.op, ast.Not):
                return Val(self.negate(a.src, out), "bool")
            if isinstance(node.op, ast.UAdd):
                return a
            lo, hi = self.checked(-a.hi, -a.lo)
            return Val(self.temp(f"-{a.src}", out), "int", lo, hi)
        if isinstance(node, ast.BoolOp):
            conjunction = isinstance(node.op, ast.And)
            parts: list[str] = []
            gate = reached
            for index, operand in enumerate(node.values):
                part = self.expr(operand, env, gate, out, zeros)
                parts.append(part.src)
                if index + 1 < len(node.values) and self.divides(node.values[index + 1 :]):
                    passed = part.src if conjunction else self.negate(part.src, out)
                    gate = self.conjoin([gate, passed], out) if gate else passed
            if conjunction:
                return Val(self.conjoin(parts, out), "bool")
            return Val(self.disjoin(parts, out), "bool")
        if isinstance(node, ast.Compare):
            return self.compare(node, env, reached, out, zeros)
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test, env, reached, out, zeros)
            yes_gate = no_gate = reached
            if self.divides([node.body, node.orelse]):
                no = self.negate(test.src, out)
                yes_gate = self.conjoin([reached, test.src], out) if reached else test.src
                no_gate = self.conjoin([reached, no], out) if reached else no
            body = self.expr(node.body, env, yes_gate, out, zeros)
            orelse = self.expr(node.orelse, env, no_gate, out, zeros)
            if body.kind == "enum":
                if body.space is not None and body.space == orelse.space:
                    space: tuple[str, ...] = body.space
                    left, right = body.src, orelse.src
                else:
                    space = self.strings
                    left, right = self.to_global(body, out), self.to_global(orelse, out)
                return Val(
                    self.temp(f"np.where({test.src}, {left}, {right})", out), "enum", space=space
                )
            source = f"np.where({test.src}, {body.src}, {orelse.src})"
            if body.kind == "bool":
                return Val(self.temp(source, out), "bool")
            return Val(
                self.temp(source, out), "int", min(body.lo, orelse.lo), max(body.hi, orelse.hi)
            )
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args = [self.expr(arg, env, reached, out, zeros) for arg in node.args]
            if node.func.id == "abs":
                (a,) = args
                lo = 0 if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
                lo, hi = self.checked(lo, max(abs(a.lo), abs(a.hi)))
                return Val(self.temp(f"np.abs({a.src})", out), "int", lo, hi)
            function = "np.minimum" if node.func.id == "min" else "np.maximum"
            pick = min if node.func.id == "min" else max
            result = args[0]
            for arg in args[1:]:
                source = f"{function}({result.src}, {arg.src})"
                result = Val(
                    self.temp(source, out), "int", pick(result.lo, arg.lo), pick(result.hi, arg.hi)
                )
            return result
        raise TypeError(f"not part of the rule language: {type(node).__name__}")

    def divides(self, nodes: Iterable[ast.expr]) -> bool:
        return any(
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv)
            for node in nodes
            for n in ast.walk(node)
        )

    def divide(self, a: Val, b: Val, reached: str | None, out: list[str], zeros: list[str]) -> Val:
        divisor = b.src
        if b.lo <= 0 <= b.hi:
            zero = self.temp(f"{b.src} == {self.int64(0)}", out)
            zeros.append(self.conjoin([reached, zero], out) if reached else zero)
            divisor = self.temp(f"np.where({zero}, {self.int64(1)}, {b.src})", out)
        divisors = {d for d in (b.lo, b.hi, -1, 1) if b.lo <= d <= b.hi and d != 0} or {1}
        candidates = [x // d for x in (a.lo, a.hi) for d in divisors] + [a.lo, a.hi]
        lo, hi = self.checked(min(candidates), max(candidates))
        return Val(self.temp(f"{a.src} // {divisor}", out), "int", lo, hi)

    def compare(
        self,
        node: ast.Compare,
        env: Mapping[str, Val],
        reached: str | None,
        out: list[str],
        zeros: list[str],
    ) -> Val:
        left = self.expr(node.left, env, reached, out, zeros)
        results: list[str] = []
        gate = reached
        for index, (op, right_node) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(right_node, ast.Tuple | ast.List | ast.Set)
                tests = []
                for item in right_node.elts:
                    item_val = self.expr(item, env, gate, out, zeros)
                    tests.append(self.equal(left, item_val, out))
                any_equal = self.disjoin(tests, out)
                if isinstance(op, ast.NotIn):
                    any_equal = self.negate(any_equal, out)
                results.append(any_equal)
                break
            right = self.expr(right_node, env, gate, out, zeros)
            if isinstance(op, ast.Eq):
                result = self.equal(left, right, out)
            elif isinstance(op, ast.NotEq):
                result = self.negate(self.equal(left, right, out), out)
            else:
                symbol = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}[type(op)]
                result = self.ordered(symbol, left, right, out)
            results.append(result)
            if index + 1 < len(node.ops) and self.divides(node.comparators[index + 1 :]):
                gate = self.conjoin([gate, result], out) if gate else result
            left = right
        return Val(self.conjoin(results, out), "bool")

    def ordered(self, symbol: str, a: Val, b: Val, out: list[str]) -> str:
        """`a symbol b`, folded to a constant where the intervals decide it."""
        always = {"<": a.hi < b.lo, "<=": a.hi <= b.lo, ">": a.lo > b.hi, ">=": a.lo >= b.hi}[
            symbol
        ]
        never = {"<": a.lo >= b.hi, "<=": a.lo > b.hi, ">": a.hi <= b.lo, ">=": a.hi < b.lo}[symbol]
        if always:
            return "np.True_"
        if never:
            return "np.False_"
        return self.temp(f"{a.src} {symbol} {b.src}", out)

    def conjoin(self, parts: list[str], out: list[str]) -> str:
        if "np.False_" in parts:
            return "np.False_"
        kept = [part for part in parts if part != "np.True_"]
        return self.temp(" & ".join(kept), out) if kept else "np.True_"

    def disjoin(self, parts: list[str], out: list[str]) -> str:
        if "np.True_" in parts:
            return "np.True_"
        kept = [part for part in parts if part != "np.False_"]
        return self.temp(" | ".join(kept), out) if kept else "np.False_"

    def negate(self, source: str, out: list[str]) -> str:
        if source in {"np.True_", "np.False_"}:
            return "np.False_" if source == "np.True_" else "np.True_"
        return self.temp(f"~{source}", out)

    def equal(self, a: Val, b: Val, out: list[str]) -> str:
        if a.kind == "int" and (a.hi < b.lo or b.hi < a.lo):
            return "np.False_"
        if a.kind != "enum":
            return self.temp(f"{a.src} == {b.src}", out)
        if a.const is not None and b.const is not None:
            return self.boolean(a.const == b.const)
        if a.const is not None:
            a, b = b, a
        if b.const is not None:
            assert a.space is not None
            if b.const not in a.space:
                return "np.False_"
            return self.temp(f"{a.src} == {self.int64(a.space.index(b.const))}", out)
        if a.space == b.space:
            return self.temp(f"{a.src} == {b.src}", out)
        return self.temp(f"{self.to_global(a, out)} == {self.to_global(b, out)}", out)

    # events

    def event(self, event: Event, name: str) -> None:
        """Write `def name(W, p)` for `event`, or record that it falls back to the scalar code."""
        lines: list[str] = []
        try:
            self.event_lines(event, name, lines)
        except Overflow:
            self.fallback.append(event.name)
            return
        self.lines.extend(_without_dead_temporaries(lines))

    def event_lines(self, event: Event, name: str, out: list[str]) -> None:
        import numpy as np

        model, layout = self.model, self.layout
        self.seen = {}
        p = plan(model, event)
        out.append(f"def {name}(W, p):")
        out.append(f"    # event '{event.name}'")
        out.append("    n = W[0].shape[0]")
        # the conditions that stop a row, highest precedence first: (mask of the rows, rule)
        stops: list[tuple[str, int]] = []
        phase_ok: list[str] = []
        for region, allowed in event.requires.items():
            field = layout.field(region)
            if set(field.values) <= allowed:
                continue
            table = np.zeros(1 << field.bits, dtype=np.bool_)
            for phase in allowed:
                table[field.values.index(phase)] = True
            code = self.code(field, out)
            phase_ok.append(self.temp(f"{self.constant(table, 'P')}[{code}]", out))
        if phase_ok:
            allowed_rows = self.conjoin(phase_ok, out)
            stops.append((self.negate(allowed_rows, out), self.rules.number("refused", PHASE_RULE)))
        env: dict[str, Val] = {}
        for pname, param in event.params.items():
            read = f"p[{pname!r}]"
            if param.type.kind == "int":
                assert param.min is not None and param.max is not None
                self.checked(param.min, param.max)
                env[pname] = Val(self.temp(f"np.int64({read})", out), "int", param.min, param.max)
            elif param.type.kind == "bool":
                env[pname] = Val(self.temp(f"np.bool_({read})", out), "bool")
            else:
                space = tuple(sorted(param.type.values or ()))
                index = self.constant({v: i for i, v in enumerate(space)}, "E")
                # a value, or an array of codes (each value's index in `space`) from callers
                # that pass a parameter per state (simulate)
                code = f"np.int64(_codes({index}, {read}))"
                env[pname] = Val(self.temp(code, out), "enum", space=space)
        guards = [event.guards[i] for i in p.guards]
        after: set[str] = set()
        for i in p.invariants:
            after |= reads(model.invariants[i].expression)
        for d in p.derived_after:
            after |= reads(model.derived[d].expression)
        names: set[str] = set(after)
        for read_rule in [g.expression for g in guards] + [e for _, e in event.effects]:
            names |= reads(read_rule) - set(event.params)
        fields, derived = needed_before(model, names - set(p.moved))
        before: dict[str, Val] = {}
        order = [f.name for f in layout.fields]
        for fname in sorted(fields, key=order.index):
            before[fname] = self.field_val(layout.field(fname), out)
        for dname in derived:
            scope = {**before}
            before[dname] = self.expr(
                model.derived[dname].expression.tree.body, scope, None, out, []
            )
        env_before = {**before, **env}  # parameters shadow variables
        guard_stops: list[tuple[str, int]] = []
        for guard in guards:
            zeros: list[str] = []
            value = self.expr(guard.expression.tree.body, env_before, None, out, zeros)
            if zeros:
                stops.append(
                    (
                        self.any_of(zeros, out),
                        self.rules.number("broken", Rule("guard", guard.name)),
                    )
                )
            refusing = self.negate(value.src, out)
            guard_stops.append((refusing, self.rules.number("refused", Rule("guard", guard.name))))
        stops.extend(guard_stops)
        new: dict[str, Val] = {}
        for variable, expression in event.effects:
            zeros = []
            new[variable] = self.expr(expression.tree.body, env_before, None, out, zeros)
            if zeros:
                stops.append(
                    (self.any_of(zeros, out), self.rules.number("broken", Rule("effect", variable)))
                )
        for variable in p.written:
            f = layout.field(variable)
            value = new[variable]
            if f.kind != "int" or (f.low <= value.lo and value.hi <= f.high):
                continue  # folded: the value is always within the bounds
            outside = self.temp(
                f"({value.src} < {self.int64(f.low)}) | ({value.src} > {self.int64(f.high)})", out
            )
            stops.append((outside, self.rules.number("broken", Rule("bounds", variable))))
        after_env: dict[str, Val] = {**before}
        for variable in p.written:
            f = layout.field(variable)
            value = new[variable]
            if f.kind == "int":  # within the bounds wherever the row is applied
                value = Val(value.src, "int", max(value.lo, f.low), min(value.hi, f.high))
            after_env[variable] = value
        for region, phase in p.moved.items():
            f = layout.field(region)
            after_env[region] = Val(self.int64(f.values.index(phase)), "enum", space=f.values)
        for dname in p.derived_after:
            zeros = []
            after_env[dname] = self.expr(
                model.derived[dname].expression.tree.body, after_env, None, out, zeros
            )
            if zeros:
                stops.append(
                    (self.any_of(zeros, out), self.rules.number("broken", Rule("derived", dname)))
                )
        for i in p.invariants:
            invariant = model.invariants[i]
            zeros = []
            value = self.expr(invariant.expression.tree.body, after_env, None, out, zeros)
            bad = self.disjoin([self.negate(value.src, out), *zeros], out)
            stops.append((bad, self.rules.number("broken", Rule("invariant", invariant.name))))
        out.append("    rule = np.full(n, -1, dtype=np.int64)")
        for mask, number in reversed(stops):
            if mask != "np.False_":
                out.append(f"    rule = np.where({mask}, {self.int64(number)}, rule)")
        out.append("    applied = rule < 0")
        out.append("    status = STATUS[rule + 1]")
        touched: dict[int, list[str]] = {}
        keep: dict[int, int] = {}
        for region, phase in p.moved.items():
            f = layout.field(region)
            keep[f.word] = keep.get(f.word, 2**64 - 1) & ~(f.mask << f.shift)
            touched.setdefault(f.word, []).append(self.uint(f.values.index(phase) << f.shift))
        for variable in p.written:
            f = layout.field(variable)
            value = new[variable]
            if f.kind == "int":
                code = f"({value.src} - {self.int64(f.low)})" if f.low else value.src
            elif f.kind == "bool":
                code = value.src
            else:
                code = self.to_space(value, f.values, out)
            keep[f.word] = keep.get(f.word, 2**64 - 1) & ~(f.mask << f.shift)
            bits = self.temp(f"np.asarray({code}).astype(np.uint64)", out)
            touched.setdefault(f.word, []).append(
                f"({bits} << {self.uint(f.shift)})" if f.shift else bits
            )
        out.append("    V = list(W)")
        for word, parts in sorted(touched.items()):
            joined = " | ".join([f"(W[{word}] & {self.uint(keep[word])})", *parts])
            out.append(f"    V[{word}] = np.where(applied, {joined}, W[{word}])")
        out.append("    return V, status, rule")
        out.append("")

    def any_of(self, masks: list[str], out: list[str]) -> str:
        return self.disjoin(masks, out)

    def compile(self, filename: str = "") -> dict[str, Callable[..., Any]]:
        import numpy as np

        statuses = np.array([APPLIED] + [STATUS_CODES[s] for s, _ in self.rules.entries], np.int8)
        source = "\n".join(self.lines)
        filename = filename or f"<kernel {self.model.name} numpy>"
        register(filename, source)
        namespace: dict[str, Any] = {
            "np": np,
            "STATUS": statuses,
            "_codes": _codes,
            **self.constants,
        }
        exec(compile(source, filename, "exec"), namespace)  # generated from checked trees
        return {k: v for k, v in namespace.items() if k.startswith("batch_")}

    @property
    def source(self) -> str:
        return "\n".join(self.lines)


def _codes(table: Mapping[str, int], value: Any) -> Any:
    """An enum parameter's code: its value's, or the array of codes given in its place."""
    return table[value] if isinstance(value, str) else value


def _without_dead_temporaries(lines: list[str]) -> list[str]:
    """Drop the assignments of temporaries nothing reads (reads folded away)."""
    used: set[str] = set()
    kept: list[str] = []
    for line in reversed(lines):
        target, _, value = line.strip().partition(" = ")
        if re.fullmatch(r"t\d+", target) and target not in used:
            continue
        used.update(re.findall(r"\b[A-Za-z_]\w*\b", value if value else line))
        kept.append(line)
    return kept[::-1]
