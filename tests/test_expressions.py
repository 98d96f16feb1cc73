"""The rule language: what the checker accepts evaluates as the checker said, and nothing else does.

Random well-typed expressions are compiled and compared with a small tree-walking evaluator
written here over the same syntax tree; whatever the checker accepts evaluates to the type it
gave, or raises ZeroDivisionError, the one exception callers catch. The features left out on
purpose are pinned, each refused with a located error. The expression strategies are here rather
than in negotiation.testing: they generate rule text, not model behaviour.
"""

from __future__ import annotations

import ast
import functools
import operator
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiation.errors import ExpressionError
from negotiation.rules.expressions import (
    BOOL,
    INT,
    MAX_DEPTH,
    MAX_INT,
    MAX_LENGTH,
    MAX_NODES,
    MAX_STR,
    Expression,
    Scope,
    compile_expression,
    enum,
)

ENUMS = {
    "colour": ("red", "green", "blue"),
    "side": ("left", "right"),
    "phase": ("one", "two", "three"),
}
SCOPE = Scope(
    variables={"a": INT, "b": INT, "c": INT, "f": BOOL, "g": BOOL, "colour": enum(ENUMS["colour"])},
    params={"n": INT, "q": BOOL, "side": enum(ENUMS["side"], "side")},
    phases=frozenset(ENUMS["phase"]),
)
NAMES = {"int": ("a", "b", "c", "n"), "bool": ("f", "g", "q")}
KINDS = ("int", "bool", *ENUMS)
DIVIDES_BY_ZERO = "divides by zero"


# --- a reference evaluator: the language's meaning of each node, types enforced as it goes -------

BINARY: dict[type[ast.AST], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
}
ORDER: dict[type[ast.AST], Callable[[int, int], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
EQUAL: dict[type[ast.AST], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda item, items: item in items,
    ast.NotIn: lambda item, items: item not in items,
}


class IllTyped(Exception):
    """The reference evaluator met values of the wrong type: the checker let something through."""


def typed(kind: type, value: Any) -> Any:
    if type(value) is not kind:
        raise IllTyped(f"expected {kind.__name__}, got {value!r}")
    return value


def reference(node: ast.AST, names: dict[str, Any]) -> Any:
    def walk(node: ast.AST, kind: type | None = None) -> Any:
        value = reference(node, names)
        return value if kind is None else typed(kind, value)

    match node:
        case ast.Expression(body=body):
            return walk(body)
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            return names[name]
        case ast.BinOp(left=left, op=op, right=right):
            return BINARY[type(op)](walk(left, int), walk(right, int))
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not walk(operand, bool)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -walk(operand, int)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return +walk(operand, int)
        case ast.BoolOp(op=ast.And(), values=values):
            return all(walk(value, bool) for value in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(walk(value, bool) for value in values)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return walk(body) if walk(test, bool) else walk(orelse)
        case ast.Call(func=ast.Name(id=function), args=args):
            values = [walk(arg, int) for arg in args]
            return {"min": min, "max": max, "abs": abs}[function](*values)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            before = walk(left)
            for op, comparator in zip(ops, comparators, strict=True):
                if isinstance(op, (ast.In, ast.NotIn)):
                    after: Any = [walk(item, type(before)) for item in comparator.elts]
                else:
                    after = walk(comparator, int if type(op) in ORDER else type(before))
                test = ORDER.get(type(op)) or EQUAL[type(op)]
                if not test(typed(int, before) if type(op) in ORDER else before, after):
                    return False
                before = after
            return True
    raise AssertionError(f"the reference evaluator has no case for {ast.dump(node)}")


def outcome(evaluate: Callable[[], Any]) -> Any:
    try:
        return evaluate()
    except ZeroDivisionError:
        return DIVIDES_BY_ZERO


# --- strategies: expression text of a kind, and ledgers ------------------------------------------


# Strategies are built once and reused: building one per draw costs more than drawing from it.
pick = functools.cache(lambda *options: st.sampled_from(options))
between = functools.cache(st.integers)
numbers = st.one_of(st.integers(-2, 2), st.integers(-MAX_INT, MAX_INT))


def int_literal(value: int, base: str) -> str:
    digits = {"dec": str, "hex": hex, "oct": oct, "bin": bin, "under": "{:_}".format}[base]
    return f"(-{digits(-value)})" if value < 0 else digits(value)


@functools.cache
@st.composite
def int_literals(draw: Any, nonnegative: bool = False) -> str:
    value = abs(draw(numbers)) if nonnegative else draw(numbers)
    bases = ("dec", "hex", "oct", "under", "bin") if abs(value) < 256 else ("dec", "hex", "oct")
    return int_literal(value, draw(pick(*bases)))


@functools.cache
@st.composite
def leaves(draw: Any, kind: str, full: bool) -> str:
    if kind == "int":
        return str(draw(st.one_of(pick(*NAMES["int"]), int_literals())))
    if kind == "bool":
        return str(draw(pick(*NAMES["bool"], "True", "False")))
    if full:
        return kind
    return str(draw(pick(kind, *(repr(value) for value in ENUMS[kind]))))


@functools.cache
@st.composite
def literal_lists(draw: Any, kind: str, sloppy: bool) -> str:
    if sloppy and draw(between(0, 3)) == 0:
        kind = draw(pick(*KINDS))
    if kind == "int":
        item = int_literals(nonnegative=not sloppy)
    elif kind == "bool":
        item = pick("True", "False")
    else:
        item = pick(*(repr(value) for value in ENUMS[kind]))
    listed = [draw(item) for _ in range(draw(between(0, 3)))]
    brackets = draw(pick("()", "[]", "{}") if listed else pick("()", "[]"))
    inside = ", ".join(listed) + ("," if len(listed) == 1 and brackets == "()" else "")
    return brackets[0] + inside + brackets[1]


@functools.cache
@st.composite
def expressions(
    draw: Any, kind: str, depth: int = 3, sloppy: bool = False, full: bool = False
) -> str:
    """Text of an expression of `kind`; `sloppy` mixes in other kinds and any comparison chain.

    The checker refuses to compare an enum literal with an expression that cannot take its value
    (`'red' == 'blue'`, `('red' if f else 'blue') == 'green'`): a `full` enum expression can take
    every value of its enum, and literals are compared only with those.
    """

    def sub(wanted: str, full: bool = False) -> str:
        if sloppy and draw(between(0, 14)) == 0:
            wanted = draw(pick(*KINDS))
        return str(draw(expressions(wanted, depth - 1, sloppy, full)))

    if depth == 0 or draw(between(0, 3)) == 0:
        return str(draw(leaves(kind, full and not sloppy)))
    form = draw(pick(0, 0, 1, 2, 3)) if kind in ("int", "bool") else 3
    if form == 3:
        body_full = full and draw(st.booleans())
        body, test = sub(kind, body_full), sub("bool")
        return f"({body} if {test} else {sub(kind, full and not body_full)})"
    if kind == "bool":
        if form == 0:
            return str(draw(chains(draw(pick(*ROOTS)), depth, sloppy)))
        if form == 1:
            word = draw(pick(" and ", " or "))
            return f"({word.join(sub('bool') for _ in range(draw(between(2, 3))))})"
        return f"(not {sub('bool')})"
    if form == 0:
        return f"({sub('int')} {draw(pick('+', '-', '*', '//', '//'))} {sub('int')})"
    if form == 1:
        return f"({draw(pick('-', '+'))}{sub('int')})"
    function = draw(pick("min", "max", "abs"))
    count = 1 if function == "abs" else draw(between(2, 3))
    if sloppy:
        count = draw(between(0, 3))
    return f"{function}({', '.join(sub('int') for _ in range(count))})"


ORDER_OPS = ("<", "<=", ">", ">=")
MEMBERSHIP_OPS = ("in", "not in")


@functools.cache
@st.composite
def chains(draw: Any, kind: str, depth: int, sloppy: bool) -> str:
    """A comparison chain of `kind`, maybe ending in `in` a literal list (anywhere, if sloppy)."""
    every = (*ORDER_OPS, "==", "!=", *MEMBERSHIP_OPS)
    allowed = (*(ORDER_OPS if kind == "int" else ()), "==", "!=")
    ops = [draw(pick(*allowed)) for _ in range(draw(between(0, 2)))]
    if sloppy and draw(between(0, 3)) == 0:
        ops = [draw(pick(*every)) for _ in range(draw(between(1, 3)))]
    if not ops or sloppy or draw(st.booleans()):
        # last, where the checker allows it; anywhere, if sloppy
        where = draw(between(0, len(ops))) if sloppy else len(ops)
        ops.insert(where, draw(pick(*MEMBERSHIP_OPS)))
    operands: list[str] = []
    for index, op in enumerate(["", *ops]):
        if op in MEMBERSHIP_OPS:
            operands.append(f"{op} {draw(literal_lists(kind, sloppy))}")
            continue
        # odd operands, and the one before `in`, can take every value: literals sit between them
        full = index % 2 == 1 or (index < len(ops) and ops[index] in MEMBERSHIP_OPS)
        operand = draw(expressions(kind, depth - 1, sloppy, full))
        operands.append(f"{op} {operand}" if op else operand)
    return f"({' '.join(operands)})"


def states(numbers: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[Any, Any, str]]:
    """(ledger, params, phase) over SCOPE, the whole numbers drawn from `numbers`."""
    return st.tuples(
        st.fixed_dictionaries(
            {
                "a": numbers,
                "b": numbers,
                "c": numbers,
                "f": st.booleans(),
                "g": st.booleans(),
                "colour": st.sampled_from(ENUMS["colour"]),
            }
        ),
        st.fixed_dictionaries(
            {"n": numbers, "q": st.booleans(), "side": st.sampled_from(ENUMS["side"])}
        ),
        st.sampled_from(ENUMS["phase"]),
    )


ROOTS = ("int", "int", "int", "bool", "bool", "bool", *ENUMS)  # enums have the fewest forms
well_typed = st.sampled_from(ROOTS).flatmap(lambda kind: expressions(kind))
extremes = st.sampled_from([-MAX_INT, -1, 0, 1, MAX_INT])


def judged(rule: Expression, ledger: Any, params: Any, phase: str) -> tuple[Any, Any]:
    """The compiled rule's outcome and the reference evaluator's, with their types."""
    got = outcome(lambda: rule(ledger, params, phase))
    wanted = outcome(lambda: reference(rule.tree, {**ledger, **params, "phase": phase}))
    return (type(got), got), (type(wanted), wanted)


# --- (a) the compiled rule agrees with the reference evaluator -----------------------------------


@pytest.mark.parametrize(
    "examples", [100, pytest.param(1000, marks=pytest.mark.slow, id="1000-slow")]
)
def test_compiled_rule_agrees_with_a_reference_evaluator(examples: int) -> None:
    @settings(max_examples=examples, deadline=None)
    @given(text=well_typed, cases=st.lists(states(numbers), min_size=1, max_size=4))
    def agrees(text: str, cases: list[Any]) -> None:
        rule = compile_expression(text, SCOPE)
        for ledger, params, phase in cases:
            got, wanted = judged(rule, ledger, params, phase)
            assert got == wanted, text

    agrees()


# --- (b) an accepted expression evaluates to its type, or divides by zero ------------------------


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(text=well_typed, cases=st.lists(states(extremes), min_size=1, max_size=4))
def test_well_typed_expression_evaluates_to_its_type_or_divides_by_zero(
    text: str, cases: list[Any]
) -> None:
    rule = compile_expression(text, SCOPE)
    for ledger, params, phase in cases:
        (_, got), _ = judged(rule, ledger, params, phase)
        assert got == DIVIDES_BY_ZERO or rule.type.accepts(got), (text, got)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    text=st.sampled_from(ROOTS).flatmap(lambda kind: expressions(kind, sloppy=True)),
    cases=st.lists(states(numbers), min_size=1, max_size=8),
)
def test_whatever_the_checker_accepts_evaluates_to_its_type(text: str, cases: list[Any]) -> None:
    try:
        rule = compile_expression(text, SCOPE)
    except ExpressionError:
        return
    for ledger, params, phase in cases:
        got, wanted = judged(rule, ledger, params, phase)
        assert got == wanted, text
        assert got[1] == DIVIDES_BY_ZERO or rule.type.accepts(got[1]), (text, got)


# --- (c) what is left out, and what the checker refuses so that it agrees with the evaluator -----


def refused(text: str, at: str, message: str, name: str) -> Any:
    """A case: `text` is refused with `message`, located where `at` first occurs in it."""
    return pytest.param(text, text.index(at), message, id=name)


LEFT_OUT = [
    refused("a + b.real", "b.real", "attribute access", "attribute"),
    refused("a + b[0]", "b[0]", "indexing", "subscript"),
    refused("a + open(1)", "open", "only min, max and abs can be called", "call-outside-whitelist"),
    refused("a + a.bit_length()", "a.bit", "only min, max and abs", "method-call"),
    refused("f or (lambda: f)", "lambda", "'lambda' is not allowed", "lambda"),
    refused("lambda: 1", "lambda", "'lambda' is not allowed", "lambda-first"),
    refused("f or [g for g in (f,)]", "[g", "comprehensions", "list-comprehension"),
    refused("f or any(g for g in (f,))", "any", "only min, max and abs", "generator-in-call"),
    refused("f or {g for g in (f,)}", "{g", "comprehensions", "set-comprehension"),
    refused("b + a ** 2", "a **", "'**' is not allowed", "power"),
    refused("b + a / 2", "a /", "'/' is not allowed", "true-division"),
    refused("b + a % 2", "a %", "'%' is not allowed", "modulo"),
    refused("b + (a << 2)", "a <<", "'<<' is not allowed", "shift"),
    refused("b + (a & 2)", "a &", "'&' is not allowed", "bitwise-and"),
    refused("b + ~a", "~a", "'~' is not allowed", "invert"),
    refused("colour == f'{a}'", "f'", "f-strings", "f-string"),
    refused("f or (g := True)", "g :=", "assignment (':=')", "walrus"),
    refused("min(*(a, b))", "*(", "'*' unpacking", "starred"),
    refused("f or {1: 2}", "{1", "dictionaries", "dict"),
    refused("f or (f, g)", "(f, g)", "only after 'in'", "tuple-outside-in"),
    refused("a is b", "a is", "'is' is not allowed", "is"),
    refused("f or (await g)", "await", "'await'", "await"),
    refused("f or (yield g)", "yield", "'yield'", "yield"),
    refused("a + 1.5", "1.5", "decimal numbers", "float"),
    refused("a + 1j", "1j", "complex literals", "complex"),
    refused("f or None", "None", "NoneType literals", "none"),
    refused("colour == b'red'", "b'", "bytes literals", "bytes"),
    refused("f or ...", "...", "ellipsis literals", "ellipsis"),
    refused("min(a, b, key=a)", "min", "no keyword arguments", "keyword-argument"),
    refused("import os", "import", "imports are not allowed", "import"),
    refused("__import__('os')", "__import__", "only min, max and abs", "dunder-import"),
    refused("a in (-1, 2)", "-1", "may hold only literals", "expression-in-literal-list"),
    refused("a in b", "b", "needs a literal list", "in-a-name"),
]

AGREEMENT = [
    refused("a in (3,) < 5", "(3,)", "'in (...)' must end a chain", "in-then-ordering"),
    refused("a not in (3,) == 3", "(3,)", "'not in (...)' must end a chain", "not-in-then-equal"),
    refused("a in (1, 2) in (1, 2)", "(1, 2)", "must end a chain", "in-then-in"),
    refused("colour in ('red',) != 'red'", "('red',)", "must end a chain", "enum-in-then-equal"),
    refused("a + -f", "f", "unary '-' needs a whole number", "minus-bool"),
    refused("not a", "a", "'not' needs true or false", "not-int"),
    refused("a == f", "f", "cannot compare a whole number with true or false", "int-equals-bool"),
    refused("f < g", "f", "'<' needs whole numbers", "ordering-bools"),
    refused("a < b < f", "f", "'<' needs whole numbers", "chain-ends-in-bool"),
    refused("a in (True,)", "True", "cannot compare", "int-in-bools"),
    refused("a if f else g", "g", "both branches must have one type", "mixed-conditional"),
    refused("a if a else b", "a else", "condition after 'if'", "int-condition"),
    refused("colour if f else 1", "1", "both branches", "enum-or-int"),
    refused("min(a)", "min", "at least 2 arguments", "min-of-one"),
    refused("max()", "max", "at least 2 arguments", "max-of-none"),
    refused("abs(a, b)", "abs", "one argument", "abs-of-two"),
    refused("min(a, f)", "f", "min() needs whole numbers", "min-of-bool"),
    refused("a + min", "min", "'min' is a function", "function-as-value"),
    refused("colour == 'purple'", "'purple'", "unknown value of this name 'purple'", "enum-value"),
    refused("side in ('left', 'rihgt')", "'rihgt'", "did you mean 'right'?", "enum-in-list"),
    refused("a + zz", "zz", "unknown name 'zz'", "unknown-name"),
    refused(f"a + {MAX_INT + 1}", "1", "number is too large", "decimal-literal"),
    refused(f"a + {hex(MAX_INT + 1)}", "0x", "number is too large", "hex-literal"),
    refused(f"a + {oct(MAX_INT + 1)}", "0o", "number is too large", "octal-literal"),
    refused(f"a + {bin(MAX_INT + 1)}", "0b", "number is too large", "binary-literal"),
    refused(f"a + {MAX_INT + 1:_}", "1", "number is too large", "underscored-literal"),
    refused(f"a + -{hex(MAX_INT + 1)}", "0x", "number is too large", "negative-hex-literal"),
    refused("colour == '" + "x" * (MAX_STR + 1) + "'", "'x", "string is longer", "long-string"),
    refused("a + " * (MAX_LENGTH // 4) + "a", "a", f"longer than {MAX_LENGTH}", "too-long"),
    refused("+".join(["a"] * 101), "a", f"more than {MAX_NODES} parts", "too-many-parts"),
    refused("-" * MAX_DEPTH + "a", "a", f"nested more than {MAX_DEPTH} deep", "too-deep"),
    refused("(a +\n  zz)", "zz", "unknown name 'zz'", "second-line"),
    refused("   ", "   ", "expression is empty", "empty"),
]


@pytest.mark.parametrize(("text", "offset", "message"), LEFT_OUT)
def test_feature_left_out_is_refused_where_it_is_written(
    text: str, offset: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, SCOPE)
    assert (caught.value.offset, message in caught.value.message) == (offset, True), caught.value


@pytest.mark.parametrize(("text", "offset", "message"), AGREEMENT)
def test_what_would_not_evaluate_as_checked_is_refused_where_it_is_written(
    text: str, offset: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, SCOPE)
    assert (caught.value.offset, message in caught.value.message) == (offset, True), caught.value


@pytest.mark.parametrize(
    "literal",
    [str(MAX_INT), hex(MAX_INT), oct(MAX_INT), bin(MAX_INT), f"{MAX_INT:_}"],
    ids=["decimal", "hex", "octal", "binary", "underscored"],
)
def test_largest_literal_is_allowed_in_any_base(literal: str) -> None:
    assert compile_expression(f"-{literal}", SCOPE)({}, {}, "one") == -MAX_INT


def test_membership_may_end_a_chain_of_comparisons() -> None:
    rule = compile_expression("0 < a in (1, 2)", SCOPE, BOOL)
    assert [rule({"a": a}, {}, "one") for a in (0, 1, 3)] == [False, True, False]


def test_a_variable_named_like_a_function_does_not_hide_the_function() -> None:
    rule = compile_expression("min(min, 1)", Scope(variables={"min": INT}), INT)
    assert rule({"min": 5}, {}, "one") == 1


# --- (d) a compiled rule shows its name and its source in a traceback ----------------------------


def test_rule_that_raises_shows_its_name_and_source_line_in_a_traceback() -> None:
    rule = compile_expression("a // n > 0", SCOPE, BOOL, name="demo.exchange.guard.per_head")
    with pytest.raises(ZeroDivisionError) as caught:
        rule({"a": 1}, {"n": 0}, "one")
    shown = "".join(traceback.format_exception(caught.value))
    assert 'File "<rule demo.exchange.guard.per_head>", line 1' in shown
    assert "\n    a // n > 0\n" in shown


def test_rule_without_a_name_is_named_by_its_text() -> None:
    assert compile_expression("  a //  n ", SCOPE).filename == "<rule a // n>"


def test_two_rules_given_one_name_keep_their_own_source() -> None:
    first = compile_expression("a // n", SCOPE, name="demo.twice")
    second = compile_expression("b // n", SCOPE, name="demo.twice")
    again = compile_expression("a // n", SCOPE, name="demo.twice")
    assert (first.filename, second.filename, again.filename) == (
        "<rule demo.twice>",
        "<rule demo.twice #2>",
        "<rule demo.twice>",
    )


def test_compiled_rule_keeps_its_checked_tree_unchanged() -> None:
    text = "min(a, n) if phase == 'one' else abs(b)"
    rule = compile_expression(text, SCOPE, INT)
    assert ast.dump(rule.tree) == ast.dump(ast.parse(text, mode="eval"))
