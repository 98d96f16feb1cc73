"""The rule language: a small, typed, safe subset of Python expression syntax.

Guards, effects and invariants are written in it. An expression is parsed with `ast`, every node
is checked against a whitelist and typed against the declared variables and parameters, and only
then compiled, once, into a plain Python function. Because nothing outside the whitelist survives
the check, the compiled function cannot reach attributes, imports, builtins or unbounded
computation: there is no `**`, no string arithmetic, no loops, and literals are capped.

The language: names (variables, the event's parameters, and `phase`), int/bool/str literals,
`+ - * //` and unary minus on ints, comparisons (`== != < <= > >=`, and `in` / `not in` a literal
tuple), `and` / `or` / `not` on bools, `a if test else b`, and the functions `min`, `max`, `abs`.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from negotiation.errors import ExpressionError

MAX_LENGTH = 1000
MAX_NODES = 400
MAX_INT = 10**12
MAX_STR = 200
FUNCTIONS: Mapping[str, Callable[..., int]] = {"min": min, "max": max, "abs": abs}
RESERVED = frozenset({"phase", "True", "False", *FUNCTIONS})

Kind = Literal["int", "bool", "str"]


@dataclass(frozen=True)
class Type:
    """A value type: int, bool, or str restricted to a set of values (an enum)."""

    kind: Kind
    values: frozenset[str] | None = None
    name: str = ""

    def __str__(self) -> str:
        if self.kind == "str" and self.values is not None:
            return "one of " + ", ".join(repr(v) for v in sorted(self.values))
        return {"int": "a whole number", "bool": "true or false", "str": "a string"}[self.kind]

    def accepts(self, value: object) -> bool:
        """Whether a Python value belongs to this type."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, str) and (self.values is None or value in self.values)


INT = Type("int")
BOOL = Type("bool")


def enum(values: frozenset[str] | set[str] | tuple[str, ...], name: str = "") -> Type:
    """The type of a variable or parameter that takes one of a few named values."""
    return Type("str", frozenset(values), name)


@dataclass(frozen=True)
class Scope:
    """The names an expression may use and their types."""

    variables: Mapping[str, Type]
    params: Mapping[str, Type] = field(default_factory=dict)
    phases: frozenset[str] = frozenset()

    def lookup(self, name: str) -> Type | None:
        if name in self.params:
            return self.params[name]
        if name in self.variables:
            return self.variables[name]
        if name == "phase" and self.phases:
            return enum(self.phases, "phase")
        return None

    def names(self) -> list[str]:
        return [*self.params, *self.variables, *(["phase"] if self.phases else [])]


Evaluator = Callable[[Mapping[str, Any], Mapping[str, Any], str], Any]


@dataclass(frozen=True)
class Expression:
    """A checked, compiled expression. Call it with (ledger, params, phase)."""

    text: str
    type: Type
    variables: tuple[str, ...]
    params: tuple[str, ...]
    uses_phase: bool
    function: Evaluator = field(compare=False, repr=False)

    def __call__(self, ledger: Mapping[str, Any], params: Mapping[str, Any], phase: str) -> Any:
        return self.function(ledger, params, phase)

    def values(
        self, ledger: Mapping[str, Any], params: Mapping[str, Any], phase: str
    ) -> dict[str, Any]:
        """The values of the names this expression reads, for explaining its result."""
        shown: dict[str, Any] = {}
        if self.uses_phase:
            shown["phase"] = phase
        shown.update({name: params[name] for name in self.params if name in params})
        shown.update({name: ledger[name] for name in self.variables if name in ledger})
        return shown


def compile_expression(text: str, scope: Scope, expected: Type | None = None) -> Expression:
    """Check `text` against `scope` and compile it; raise ExpressionError with an offset."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text (got {type(text).__name__})")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    tree = _parse(text)
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(f"expression has more than {MAX_NODES} parts; split the rule")
    checker = _Checker(scope, text)
    result = checker.check(tree.body)
    if expected is not None and not _assignable(result, expected):
        raise ExpressionError(f"expected {expected}, but this expression gives {result}", 0)
    function = _compile(tree, scope)
    return Expression(
        text=text,
        type=result,
        variables=tuple(sorted(checker.variables)),
        params=tuple(sorted(checker.params)),
        uses_phase=checker.uses_phase,
        function=function,
    )


def _parse(text: str) -> ast.Expression:
    stripped = text.strip()
    first = stripped.split(None, 1)[0] if stripped else ""
    if first in {"import", "from"}:
        raise ExpressionError("imports are not allowed: a rule is an expression, not code")
    if first in {"lambda", "def", "class"}:
        raise ExpressionError(f"'{first}' is not allowed: a rule is an expression, not code")
    if not stripped:
        raise ExpressionError("expression is empty")
    try:
        return ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        offset = max((error.offset or 1) - 1, 0)
        detail = "" if error.msg == "invalid syntax" else f": {error.msg}"
        raise ExpressionError(f"invalid syntax{detail}", offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression is nested too deeply") from None


_FORBIDDEN: Mapping[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]') is not allowed",
    ast.Lambda: "'lambda' is not allowed: a rule is an expression, not code",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "assignment (':=') is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Slice: "slices are not allowed",
}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//"}
_BINARY_REFUSED = {
    ast.Pow: "'**' is not allowed: it can compute without bound",
    ast.Div: "'/' is not allowed: the language has whole numbers only; use '//'",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.LShift: "'<<' is not allowed: it can compute without bound",
    ast.RShift: "'>>' is not allowed",
    ast.BitAnd: "'&' is not allowed; use 'and'",
    ast.BitOr: "'|' is not allowed; use 'or'",
    ast.BitXor: "'^' is not allowed",
}
_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


class _Checker:
    def __init__(self, scope: Scope, text: str) -> None:
        self.scope = scope
        self.text = text
        self.variables: set[str] = set()
        self.params: set[str] = set()
        self.uses_phase = False

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        offset = getattr(node, "col_offset", 0)
        line = getattr(node, "lineno", 1)
        source_line = self.text.strip().splitlines()[line - 1] if self.text.strip() else ""
        column = len(source_line.encode()[:offset].decode("utf-8", "ignore"))
        return ExpressionError(message, column)

    def check(self, node: ast.expr) -> Type:
        for kind, message in _FORBIDDEN.items():
            if isinstance(node, kind):
                raise self.fail(node, message)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__} is not part of the rule language")
        result: Type = method(node)
        return result

    def _Constant(self, node: ast.Constant) -> Type:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise self.fail(node, f"number is too large (the limit is {MAX_INT:,})")
            return INT
        if isinstance(value, str):
            if len(value) > MAX_STR:
                raise self.fail(node, f"string is longer than {MAX_STR} characters")
            return Type("str", frozenset({value}))
        if isinstance(value, float):
            raise self.fail(node, "decimal numbers are not allowed: the language has whole numbers")
        raise self.fail(node, f"{type(value).__name__} literals are not allowed")

    def _Name(self, node: ast.Name) -> Type:
        found = self.scope.lookup(node.id)
        if found is None:
            if node.id in FUNCTIONS:
                raise self.fail(node, f"'{node.id}' is a function: call it, as {node.id}(a, b)")
            raise self.fail(node, _unknown("name", node.id, [*self.scope.names(), "True", "False"]))
        if node.id in self.scope.params:
            self.params.add(node.id)
        elif node.id in self.scope.variables:
            self.variables.add(node.id)
        else:
            self.uses_phase = True
        return found

    def _BinOp(self, node: ast.BinOp) -> Type:
        if type(node.op) in _BINARY_REFUSED:
            raise self.fail(node, _BINARY_REFUSED[type(node.op)])
        symbol = _BINARY[type(node.op)]
        for side in (node.left, node.right):
            found = self.check(side)
            if found.kind != "int":
                raise self.fail(side, f"'{symbol}' needs whole numbers, but this is {found}")
        return INT

    def _UnaryOp(self, node: ast.UnaryOp) -> Type:
        operand = self.check(node.operand)
        if isinstance(node.op, ast.Not):
            if operand.kind != "bool":
                raise self.fail(node.operand, f"'not' needs true or false, but this is {operand}")
            return BOOL
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if operand.kind != "int":
                raise self.fail(node.operand, f"unary minus needs a whole number, not {operand}")
            return INT
        raise self.fail(node, "'~' is not allowed")

    def _BoolOp(self, node: ast.BoolOp) -> Type:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for value in node.values:
            found = self.check(value)
            if found.kind != "bool":
                raise self.fail(value, f"'{word}' needs true or false on each side, not {found}")
        return BOOL

    def _Compare(self, node: ast.Compare) -> Type:
        left = node.left
        left_type = self.check(left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.Is, ast.IsNot)):
                raise self.fail(node, "'is' is not allowed; use '=='")
            if isinstance(op, (ast.In, ast.NotIn)):
                self._membership(left, left_type, right)
                left, left_type = right, left_type
                continue
            right_type = self.check(right)
            if isinstance(op, _ORDER):
                for side, found in ((left, left_type), (right, right_type)):
                    if found.kind != "int":
                        raise self.fail(side, f"ordering needs whole numbers, but this is {found}")
            else:
                self._comparable(left, left_type, right, right_type)
            left, left_type = right, right_type
        return BOOL

    def _comparable(self, left: ast.expr, lt: Type, right: ast.expr, rt: Type) -> None:
        if lt.kind != rt.kind:
            raise self.fail(right, f"cannot compare {lt} with {rt}")
        if lt.kind != "str":
            return
        for literal_side, literal, other in ((left, lt, rt), (right, rt, lt)):
            if literal.values is None or other.values is None:
                continue
            if isinstance(literal_side, ast.Constant) and not literal.values <= other.values:
                value = next(iter(literal.values))
                what = f"value of {other.name or 'this name'}"
                raise self.fail(literal_side, _unknown(what, value, sorted(other.values)))

    def _membership(self, left: ast.expr, left_type: Type, right: ast.expr) -> None:
        if not isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            raise self.fail(right, "'in' needs a literal list on its right, as x in ('a', 'b')")
        for item in right.elts:
            if not isinstance(item, ast.Constant):
                raise self.fail(item, "the list after 'in' may hold only literals")
            self._comparable(left, left_type, item, self.check(item))

    def _IfExp(self, node: ast.IfExp) -> Type:
        test = self.check(node.test)
        if test.kind != "bool":
            raise self.fail(
                node.test, f"the condition after 'if' must be true or false, not {test}"
            )
        body, orelse = self.check(node.body), self.check(node.orelse)
        if body.kind != orelse.kind:
            raise self.fail(node.orelse, f"both branches must have one type: {body} vs {orelse}")
        if body.kind == "str":
            if body.values is None or orelse.values is None:
                return Type("str")
            return Type("str", body.values | orelse.values, body.name or orelse.name)
        return body

    def _Call(self, node: ast.Call) -> Type:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = f"'{name}'" if name else "this"
            raise self.fail(
                node, f"only min, max and abs can be called; {shown} is not one of them"
            )
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments")
        count = len(node.args)
        if (name == "abs" and count != 1) or (name != "abs" and count < 2):
            wanted = "one argument" if name == "abs" else "two or more arguments"
            raise self.fail(node, f"{name}() takes {wanted}")
        for arg in node.args:
            found = self.check(arg)
            if found.kind != "int":
                raise self.fail(arg, f"{name}() needs whole numbers, but this is {found}")
        return INT

    def _Tuple(self, node: ast.Tuple) -> Type:
        raise self.fail(node, "a list of values is allowed only after 'in'")

    _List = _Tuple
    _Set = _Tuple


def _unknown(what: str, name: str, candidates: list[str]) -> str:
    return f"unknown {what} '{name}'" + suggest(name, candidates)


def suggest(name: str, candidates: list[str]) -> str:
    """A "did you mean" suffix for a misspelled name, or an empty string."""
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _assignable(found: Type, expected: Type) -> bool:
    if found.kind != expected.kind:
        return False
    if found.kind == "str" and expected.values is not None:
        return found.values is not None and found.values <= expected.values
    return True


class _Rewrite(ast.NodeTransformer):
    """Turns names into reads from the ledger (v), the params (p) or the phase (s)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.scope.params:
            source = "p"
        elif node.id in self.scope.variables:
            source = "v"
        elif node.id == "phase":
            return ast.copy_location(ast.Name("s", ast.Load()), node)
        else:
            return node  # a whitelisted function
        read = ast.Subscript(ast.Name(source, ast.Load()), ast.Constant(node.id), ast.Load())
        return ast.copy_location(read, node)


def _compile(tree: ast.Expression, scope: Scope) -> Evaluator:
    body = _Rewrite(scope).visit(tree.body)
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg("v"), ast.arg("p"), ast.arg("s")],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    lambda_tree = ast.Expression(ast.Lambda(arguments, body))
    ast.fix_missing_locations(lambda_tree)
    code = compile(lambda_tree, "<rule>", "eval")
    namespace: dict[str, Any] = {"__builtins__": {}, **FUNCTIONS}
    function: Evaluator = eval(code, namespace)  # the tree passed the whitelist above
    return function
