"""The rule language: a small, typed, safe subset of Python expression syntax.

Guards, effects and invariants are written in it. An expression is parsed with `ast`, held to the
limits below, every node is looked up in one table, ALLOWED (after the checker), and typed against
the declared variables and parameters; only then is it compiled, once, into a plain Python
function. A node type that is not in ALLOWED is refused, with the reason from REFUSED where there is
one, so the compiled function cannot reach attributes, imports, builtins or unbounded computation.

The language: names (variables, the event's parameters, and `phase`), int/bool/str literals,
`+ - * //` and unary `-`/`+` on ints, comparisons (`== != < <= > >=`, chained, and `in` / `not in`
a literal list, last in a chain), `and` / `or` / `not` on bools, `a if test else b`, and the
functions `min`, `max`, `abs`. The checker and the compiled function agree: an expression that
passes the check evaluates, on any ledger of its declared types, to a value of the type the check
gave it, or raises ZeroDivisionError (`//` by zero), the one exception callers catch.
"""

from __future__ import annotations

import ast
import linecache
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from negotiation.errors import ExpressionError, suggest

# The limits, each checked before anything is compiled.
MAX_LENGTH = 1000  # characters in an expression
MAX_NODES = 400  # parts (syntax-tree nodes) in an expression
MAX_DEPTH = 100  # sub-expressions nested in one another
MAX_INT = 10**12  # the largest whole-number literal, by value, so 0x, 0o and 0b forms count too
MAX_STR = 200  # characters in a text literal

FUNCTIONS: Mapping[str, Callable[..., int]] = {"min": min, "max": max, "abs": abs}
ARITY: Mapping[str, tuple[int, int | None]] = {"min": (2, None), "max": (2, None), "abs": (1, 1)}
RESERVED = frozenset({"phase", "True", "False", *FUNCTIONS})

# The operators, by syntax-tree node type, with the symbol messages show.
Symbols = Mapping[type[ast.AST], str]
ARITHMETIC: Symbols = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//"}
SIGNS: Symbols = {ast.USub: "-", ast.UAdd: "+"}
LOGIC: Symbols = {ast.And: "and", ast.Or: "or"}
ORDERING: Symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
EQUALITY: Symbols = {ast.Eq: "==", ast.NotEq: "!="}
MEMBERSHIP: Symbols = {ast.In: "in", ast.NotIn: "not in"}
LITERAL_LISTS = (ast.Tuple, ast.List, ast.Set)  # only on the right of `in`

# Left out on purpose, with the reason a rule author is shown; anything else absent from ALLOWED
# or from the operator tables is refused too, as "not part of the rule language".
REFUSED: Symbols = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]') is not allowed",
    ast.Slice: "slices are not allowed",
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
    ast.Tuple: "a list of values is allowed only after 'in'",
    ast.List: "a list of values is allowed only after 'in'",
    ast.Set: "a list of values is allowed only after 'in'",
    ast.Pow: "'**' is not allowed: it can compute without bound",
    ast.Div: "'/' is not allowed: the language has whole numbers only; use '//'",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.LShift: "'<<' is not allowed: it can compute without bound",
    ast.RShift: "'>>' is not allowed",
    ast.BitAnd: "'&' is not allowed; use 'and'",
    ast.BitOr: "'|' is not allowed; use 'or'",
    ast.BitXor: "'^' is not allowed",
    ast.Invert: "'~' is not allowed",
    ast.Is: "'is' is not allowed; use '=='",
    ast.IsNot: "'is not' is not allowed; use '!='",
}

Kind = Literal["int", "bool", "enum"]


@dataclass(frozen=True)
class Type:
    """A value type: int, bool, or enum (text restricted to a set of values)."""

    kind: Kind
    values: frozenset[str] | None = None
    name: str = ""

    def __str__(self) -> str:
        if self.kind == "enum" and self.values is not None:
            return "one of " + ", ".join(repr(v) for v in sorted(self.values))
        names = {"int": "a whole number", "bool": "true or false", "enum": "one of a set of names"}
        return names[self.kind]

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
    return Type("enum", frozenset(values), name)


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
    """A checked, compiled expression. Call it with (ledger, params, phase).

    `tree` is the checked syntax tree of `text.strip()`, kept so that nothing parses a rule twice
    (the kernel is generated from it); read it, never change it. `filename` is the pseudo-filename
    the function was compiled under, registered in `linecache`, so a traceback shows the rule.
    """

    text: str
    type: Type
    variables: tuple[str, ...]
    params: tuple[str, ...]
    uses_phase: bool
    function: Evaluator = field(compare=False, repr=False)
    tree: ast.Expression = field(compare=False, repr=False)
    filename: str = field(compare=False, repr=False)

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


def compile_expression(
    text: str, scope: Scope, expected: Type | None = None, name: str | None = None
) -> Expression:
    """Check `text` against `scope` and compile it; raise ExpressionError with an offset.

    `name` names the rule in tracebacks (`<rule gaza_truce.exchange.guard.no_more_than_held>`);
    without it, the text does. The offset of an error counts characters of `text.strip()`.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text (got {type(text).__name__})")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    source = text.strip()
    tree = _parse(source)
    _check_size(tree, source)
    checker = _Checker(scope, source)
    result = checker.check(tree.body)
    if expected is not None and not _assignable(result, expected):
        raise ExpressionError(f"expected {expected}, but this expression gives {result}", 0)
    filename = _register(name or source, source)
    return Expression(
        text=text,
        type=result,
        variables=tuple(sorted(checker.variables)),
        params=tuple(sorted(checker.params)),
        uses_phase=checker.uses_phase,
        function=_compile(source, scope, filename),
        tree=tree,
        filename=filename,
    )


def _parse(source: str) -> ast.Expression:
    first = source.split(None, 1)[0] if source else ""
    if first in {"import", "from"}:
        raise ExpressionError("imports are not allowed: a rule is an expression, not code")
    if first in {"lambda", "def", "class"}:
        raise ExpressionError(f"'{first}' is not allowed: a rule is an expression, not code")
    if not source:
        raise ExpressionError("expression is empty")
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as error:
        # the parser counts columns in characters, from 1
        offset = _offset(source, error.lineno or 1, max((error.offset or 1) - 1, 0))
        detail = "" if error.msg == "invalid syntax" else f": {error.msg}"
        raise ExpressionError(f"invalid syntax{detail}", offset) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply") from None
    except ValueError as error:
        raise ExpressionError(f"invalid expression: {error}") from None


def _check_size(tree: ast.Expression, source: str) -> None:
    """Hold the tree to MAX_NODES and MAX_DEPTH, without recursion, before anything walks it."""
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(f"expression has more than {MAX_NODES} parts; split the rule")
    pending: list[tuple[ast.expr, int]] = [(tree.body, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            where = _node_offset(source, node)
            message = f"expression is nested more than {MAX_DEPTH} deep; split the rule"
            raise ExpressionError(message, where)
        children = ast.iter_child_nodes(node)
        pending.extend((child, depth + 1) for child in children if isinstance(child, ast.expr))


def _offset(source: str, line: int, column: int) -> int:
    """The offset in `source` of a 1-based line and a 0-based character column."""
    lines = source.split("\n")
    return sum(len(text) + 1 for text in lines[: line - 1]) + column


def _node_offset(source: str, node: ast.AST) -> int:
    line = getattr(node, "lineno", 1)
    lines = source.split("\n")
    text = lines[line - 1] if line <= len(lines) else ""
    # the syntax tree counts columns in UTF-8 bytes
    column = len(text.encode()[: getattr(node, "col_offset", 0)].decode("utf-8", "ignore"))
    return _offset(source, line, column)


class _Checker:
    """Types one expression against a scope; each method handles one row of ALLOWED."""

    def __init__(self, scope: Scope, source: str) -> None:
        self.scope = scope
        self.source = source
        self.variables: set[str] = set()
        self.params: set[str] = set()
        self.uses_phase = False

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, _node_offset(self.source, node))

    def refuse(self, node: ast.AST, what: ast.AST) -> ExpressionError:
        name = type(what).__name__
        return self.fail(node, REFUSED.get(type(what), f"{name} is not part of the rule language"))

    def check(self, node: ast.expr) -> Type:
        handler = ALLOWED.get(type(node))
        if handler is None:
            raise self.refuse(node, node)
        return handler(self, node)

    def literal(self, node: ast.Constant) -> Type:
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
            return Type("enum", frozenset({value}))
        if isinstance(value, float):
            raise self.fail(node, "decimal numbers are not allowed: the language has whole numbers")
        raise self.fail(node, f"{type(value).__name__} literals are not allowed")

    def name(self, node: ast.Name) -> Type:
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

    def arithmetic(self, node: ast.BinOp) -> Type:
        symbol = ARITHMETIC.get(type(node.op))
        if symbol is None:
            raise self.refuse(node, node.op)
        for side in (node.left, node.right):
            self.expect(side, INT, f"'{symbol}' needs whole numbers")
        return INT

    def unary(self, node: ast.UnaryOp) -> Type:
        if isinstance(node.op, ast.Not):
            self.expect(node.operand, BOOL, "'not' needs true or false")
            return BOOL
        symbol = SIGNS.get(type(node.op))
        if symbol is None:
            raise self.refuse(node, node.op)
        self.expect(node.operand, INT, f"unary '{symbol}' needs a whole number")
        return INT

    def logic(self, node: ast.BoolOp) -> Type:
        word = LOGIC[type(node.op)]
        for value in node.values:
            self.expect(value, BOOL, f"'{word}' needs true or false on each side")
        return BOOL

    def compare(self, node: ast.Compare) -> Type:
        left, left_type = node.left, self.check(node.left)
        for index, (op, right) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if type(op) in MEMBERSHIP:
                self.membership(left, left_type, right)
                if index + 1 < len(node.ops):  # Python would compare the list itself next
                    ends = f"'{MEMBERSHIP[type(op)]} (...)' must end a chain of comparisons"
                    raise self.fail(right, ends + "; join them with 'and'")
                return BOOL
            if type(op) not in ORDERING and type(op) not in EQUALITY:
                raise self.refuse(node, op)
            right_type = self.check(right)
            if type(op) in EQUALITY:
                self.comparable(left, left_type, right, right_type)
            else:
                self.ordered(ORDERING[type(op)], left, left_type, right, right_type)
            left, left_type = right, right_type
        return BOOL

    def choice(self, node: ast.IfExp) -> Type:
        self.expect(node.test, BOOL, "the condition after 'if' must be true or false")
        body, orelse = self.check(node.body), self.check(node.orelse)
        if body.kind != orelse.kind:
            raise self.fail(node.orelse, f"both branches must have one type: {body} vs {orelse}")
        if body.kind == "enum":
            if body.values is None or orelse.values is None:
                return Type("enum")
            return Type("enum", body.values | orelse.values, body.name or orelse.name)
        return body

    def call(self, node: ast.Call) -> Type:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        arity = ARITY.get(name)
        if arity is None:
            shown = f"'{name}'" if name else "this"
            listed = ", ".join(list(FUNCTIONS)[:-1]) + " and " + list(FUNCTIONS)[-1]
            raise self.fail(node, f"only {listed} can be called; {shown} is not one of them")
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments")
        for arg in node.args:
            self.expect(arg, INT, f"{name}() needs whole numbers")
        fewest, most = arity
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            wanted = "one argument" if most == 1 else f"at least {fewest} arguments"
            raise self.fail(node, f"{name}() takes {wanted}")
        return INT

    def expect(self, node: ast.expr, wanted: Type, what: str) -> Type:
        found = self.check(node)
        if found.kind != wanted.kind:
            raise self.fail(node, f"{what}, but this is {found}")
        return found

    def ordered(self, symbol: str, left: ast.expr, lt: Type, right: ast.expr, rt: Type) -> None:
        for side, found in ((left, lt), (right, rt)):
            if found.kind != "int":
                raise self.fail(side, f"'{symbol}' needs whole numbers, but this is {found}")

    def comparable(self, left: ast.expr, lt: Type, right: ast.expr, rt: Type) -> None:
        if lt.kind != rt.kind:
            raise self.fail(right, f"cannot compare {lt} with {rt}")
        if lt.kind != "enum":
            return
        for literal_side, literal, other in ((left, lt, rt), (right, rt, lt)):
            if literal.values is None or other.values is None:
                continue
            if isinstance(literal_side, ast.Constant) and not literal.values <= other.values:
                value = next(iter(literal.values))
                what = f"value of {other.name or 'this name'}"
                raise self.fail(literal_side, _unknown(what, value, sorted(other.values)))

    def membership(self, left: ast.expr, left_type: Type, right: ast.expr) -> None:
        if not isinstance(right, LITERAL_LISTS):
            raise self.fail(right, "'in' needs a literal list on its right, as x in ('a', 'b')")
        for item in right.elts:
            if not isinstance(item, ast.Constant):
                raise self.fail(item, "the list after 'in' may hold only literals")
            self.comparable(left, left_type, item, self.check(item))


# The whole language: a syntax-tree node whose type is not a key here is refused.
ALLOWED: Mapping[type[ast.AST], Callable[[_Checker, Any], Type]] = {
    ast.Constant: _Checker.literal,  # int (at most MAX_INT), bool, str (at most MAX_STR)
    ast.Name: _Checker.name,  # a variable, a parameter, `phase`
    ast.BinOp: _Checker.arithmetic,  # ARITHMETIC on whole numbers
    ast.UnaryOp: _Checker.unary,  # SIGNS on whole numbers, `not` on true/false
    ast.BoolOp: _Checker.logic,  # LOGIC on true/false
    ast.Compare: _Checker.compare,  # ORDERING, EQUALITY (chained); MEMBERSHIP of LITERAL_LISTS
    ast.IfExp: _Checker.choice,  # `a if test else b`, both branches of one type
    ast.Call: _Checker.call,  # FUNCTIONS, with ARITY arguments, positional
}


def _unknown(what: str, name: str, candidates: list[str]) -> str:
    return f"unknown {what} '{name}'" + suggest(name, candidates)


def _assignable(found: Type, expected: Type) -> bool:
    if found.kind != expected.kind:
        return False
    if found.kind == "enum" and expected.values is not None:
        return found.values is not None and found.values <= expected.values
    return True


def _register(name: str, source: str) -> str:
    """Register `source` in linecache under a pseudo-filename for `name`, and return the filename.

    As attrs does for its generated methods: a traceback or pdb through the compiled rule then
    shows the rule. A name already registered with other source gets a number, so each rule keeps
    its own lines.
    """
    shown = " ".join(name.split())
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    lines = [line + "\n" for line in source.split("\n")]
    filename, number = f"<rule {shown}>", 1
    while (cached := linecache.cache.get(filename)) is not None and cached[2:3] != (lines,):
        number += 1
        filename = f"<rule {shown} #{number}>"
    # mtime None: linecache.checkcache keeps the entry rather than look for a file
    linecache.cache[filename] = (len(source), None, lines, filename)
    return filename


class _Rewrite(ast.NodeTransformer):
    """Turns names into reads from the ledger (v), the params (p) or the phase (s)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def visit_Call(self, node: ast.Call) -> ast.expr:
        # the function's name is left alone: the checker allowed only FUNCTIONS there
        node.args = [self.visit(arg) for arg in node.args]
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.scope.params:
            source = "p"
        elif node.id in self.scope.variables:
            source = "v"
        else:
            return ast.copy_location(ast.Name("s", ast.Load()), node)  # `phase`
        read = ast.Subscript(ast.Name(source, ast.Load()), ast.Constant(node.id), ast.Load())
        return ast.copy_location(read, node)


def _compile(source: str, scope: Scope, filename: str) -> Evaluator:
    # a fresh parse of the checked source to rewrite (parsing is a few times quicker than
    # copying the checked tree, which the expression keeps)
    tree = ast.parse(source, mode="eval")
    body = _Rewrite(scope).visit(tree.body)
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg("v"), ast.arg("p"), ast.arg("s")],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    lambda_tree = ast.Expression(ast.copy_location(ast.Lambda(arguments, body), tree.body))
    ast.fix_missing_locations(lambda_tree)
    code = compile(lambda_tree, filename, "eval")
    namespace: dict[str, Any] = {"__builtins__": {}, **FUNCTIONS}
    function: Evaluator = eval(code, namespace)  # the tree passed the whitelist above
    return function
