"""Mutants of a model: the model with one guard or one effect changed, for rule coverage.

Each mutant changes one rule by one standard operator, on the rule's checked syntax tree, and
is checked and compiled again by the rule language (`compile_expression`), so a mutant is a
model like any other:

- `drop-guard`: the guard removed;
- `negate-comparison`: one comparison negated (`==` and `!=`, `<` and `>=`, `>` and `<=`,
  `in` and `not in`);
- `loosen-comparison`: one ordering comparison loosened by one (`a < b` made `a <= b`, `a > b`
  made `a >= b`, `a <= b` made `a <= b + 1`, `a >= b` made `a >= b - 1`);
- `swap-and-or`: one `and` made `or`, or one `or` made `and`;
- `drop-effect`: the effect removed (the variable keeps its value);
- `flip-sign`: in an effect, one `+` made `-` or `-` made `+`.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from negotiation.errors import ExpressionError
from negotiation.rules.expressions import BOOL, Expression, compile_expression
from negotiation.rules.model import Event, Model
from negotiation.semantics.outcomes import Rule

OPERATORS = (
    "drop-guard",
    "negate-comparison",
    "loosen-comparison",
    "swap-and-or",
    "drop-effect",
    "flip-sign",
)
NEGATED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
LOOSENED: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.LtE, ast.Gt: ast.GtE}
WIDENED: dict[type[ast.cmpop], type[ast.operator]] = {ast.LtE: ast.Add, ast.GtE: ast.Sub}


@dataclass(frozen=True)
class Mutant:
    """One rule of one event changed by one operator."""

    number: int  # from 1, in the model's order of events, rules and operators
    event: str
    rule: Rule  # guard NAME or effect VARIABLE, as the model names it
    operator: str
    original: str  # the rule's expression
    mutated: str | None  # the changed expression; None when the rule is dropped
    changed: Event = field(compare=False, repr=False)  # the event with the rule changed

    def describe(self) -> str:
        """The change in words: `dropping guard x`, `in guard x: a < b made a <= b`."""
        what = f"{self.rule.kind} `{self.rule.name}` of {self.event}"
        if self.mutated is None:
            return f"dropping {what}"
        return f"in {what}: `{self.original}` made `{self.mutated}`"

    def model(self, model: Model) -> Model:
        """`model` with this mutant's change."""
        return replace(model, events={**model.events, self.event: self.changed})


def mutants(model: Model) -> list[Mutant]:
    """Every standard mutant of the model's guards and effects, numbered in the model's order.
    A change the rule language refuses (none of these operators changes a type) is left out."""
    found: list[Mutant] = []
    for event in model.events.values():
        scope = model.scope(event.params)
        for index, guard in enumerate(event.guards):
            rule = Rule("guard", guard.name)
            text = guard.expression.text.strip()
            dropped = replace(event, guards=event.guards[:index] + event.guards[index + 1 :])
            found.append(Mutant(0, event.name, rule, "drop-guard", text, None, dropped))
            for operator, tree in _guard_changes(guard.expression):
                try:
                    expression = compile_expression(
                        ast.unparse(tree), scope, BOOL, f"{model.name}.{event.name}.mutant"
                    )
                except ExpressionError:
                    continue
                changed = replace(guard, expression=expression, exempt=None)
                guards = (*event.guards[:index], changed, *event.guards[index + 1 :])
                mutated = replace(event, guards=guards)
                found.append(Mutant(0, event.name, rule, operator, text, expression.text, mutated))
        for index, (variable, effect) in enumerate(event.effects):
            rule = Rule("effect", variable)
            text = effect.text.strip()
            effects = event.effects[:index] + event.effects[index + 1 :]
            found.append(
                Mutant(
                    0, event.name, rule, "drop-effect", text, None, replace(event, effects=effects)
                )
            )
            for tree in _sign_changes(effect):
                try:
                    expression = compile_expression(
                        ast.unparse(tree),
                        scope,
                        model.variables[variable].type,
                        f"{model.name}.{event.name}.mutant",
                    )
                except ExpressionError:
                    continue
                effects = (
                    *event.effects[:index],
                    (variable, expression),
                    *event.effects[index + 1 :],
                )
                found.append(
                    Mutant(
                        0,
                        event.name,
                        rule,
                        "flip-sign",
                        text,
                        expression.text,
                        replace(event, effects=effects),
                    )
                )
    return [replace(m, number=n) for n, m in enumerate(found, start=1)]


def _variants(
    expression: Expression, change: Callable[[ast.AST], Iterator[Callable[[ast.AST], None]]]
) -> Iterator[ast.expr]:
    """Each copy of the expression's tree with one of the changes `change` offers for a node
    applied (the nodes visited in `ast.walk`'s order, on a fresh copy each time)."""
    count = len(list(ast.walk(expression.tree.body)))
    for position in range(count):
        node = list(ast.walk(expression.tree.body))[position]
        for number, _ in enumerate(change(node)):
            tree = copy.deepcopy(expression.tree.body)
            target = list(ast.walk(tree))[position]
            apply = list(change(target))[number]
            apply(target)
            yield tree


def _guard_changes(expression: Expression) -> Iterator[tuple[str, ast.expr]]:
    def negate(node: ast.AST) -> Any:
        if isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                if type(op) in NEGATED:
                    yield _set_op(index, NEGATED[type(op)]())

    def loosen(node: ast.AST) -> Any:
        if isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                if type(op) in LOOSENED:
                    yield _set_op(index, LOOSENED[type(op)]())
                elif type(op) in WIDENED:
                    yield _widen(index, WIDENED[type(op)]())

    def logic(node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            yield _swap_logic

    for operator, change in (
        ("negate-comparison", negate),
        ("loosen-comparison", loosen),
        ("swap-and-or", logic),
    ):
        for tree in _variants(expression, change):
            yield operator, tree


def _widen(index: int, op: ast.operator) -> Callable[[ast.AST], None]:
    """`a <= b` made `a <= b + 1` (or `a >= b` made `a >= b - 1`): the bound moved by one."""

    def apply(target: ast.AST) -> None:
        assert isinstance(target, ast.Compare)
        bound = target.comparators[index]
        target.comparators[index] = ast.BinOp(bound, type(op)(), ast.Constant(1))

    return apply


def _set_op(index: int, op: ast.cmpop) -> Callable[[ast.AST], None]:
    def apply(target: ast.AST) -> None:
        assert isinstance(target, ast.Compare)
        target.ops[index] = type(op)()

    return apply


def _swap_logic(target: ast.AST) -> None:
    assert isinstance(target, ast.BoolOp)
    target.op = ast.Or() if isinstance(target.op, ast.And) else ast.And()


def _sign_changes(effect: Expression) -> Iterator[ast.expr]:
    def arithmetic(node: ast.AST) -> Any:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            yield _flip

    yield from _variants(effect, arithmetic)


def _flip(target: ast.AST) -> None:
    assert isinstance(target, ast.BinOp)
    target.op = ast.Sub() if isinstance(target.op, ast.Add) else ast.Add()
