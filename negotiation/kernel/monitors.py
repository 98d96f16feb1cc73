"""A model's properties over histories, compiled to judge a step on packed states.

`Monitors(layout)` generates one Python function from the properties' checked syntax trees (as
`codegen` does for events) that judges one step of a history: the state before (a packed int, or
-1 for a history's first state), the state after, the event that led to it, and the monitor
bits that remember what the history has seen so far. The vocabulary and its meaning are those of
`negotiation.semantics.history.judge_property`, judged a step at a time:

- `never P before Q`: a bit says Q has held; until it does, P holding breaks the property;
- `after P always Q until R`: a bit says P has held (and R not since); while it is set, Q
  not holding breaks the property;
- `on E`, `never P` / `always Q`: only in a state E led to, with E's parameters (`p`);
- `never_decreases` / `never_increases`: the variable's value before and after the step;
- `stays_reachable` asks a search from the state, not a step: it is listed in `unchecked`.

A condition that divides by zero breaks its property where it is judged. States are valid ones
(a derived value never divides by zero on a state the kernel produced).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from negotiation.kernel.codegen import (
    RuleTable,
    ScalarWriter,
    has_division,
    needed_before,
    python_source,
    reads,
)
from negotiation.kernel.layout import Layout
from negotiation.rules.expressions import Expression
from negotiation.rules.properties import Property
from negotiation.semantics.outcomes import Rule

Judge = Callable[[int, int, int, str, Mapping[str, Any]], int]


@dataclass(frozen=True)
class Verdict:
    """What one step did to the monitors: the bits after it and the properties it broke."""

    bits: int
    broken: tuple[tuple[Rule, str], ...]


class Monitors:
    """The judged properties of a model, compiled; see the module."""

    def __init__(self, layout: Layout, properties: tuple[Property, ...] | None = None) -> None:
        model = layout.model
        self.layout = layout
        chosen = model.properties if properties is None else properties
        self.judged: list[tuple[int, Property]] = []  # (monitor bit or -1, property)
        self.unchecked: list[str] = []
        bit = 0
        for prop in chosen:
            if prop.kind == "stays_reachable":
                self.unchecked.append(prop.name)
                continue
            needs_bit = prop.kind == "always_after" or (prop.kind == "never" and prop.before)
            self.judged.append((bit if needs_bit else -1, prop))
            bit += 1 if needs_bit else 0
        self.bits = bit
        self._writer = ScalarWriter(layout, RuleTable())
        self.source = self._write()
        self._writer.lines = self.source.split("\n")
        self._judge: Judge | None = None

    def __bool__(self) -> bool:
        return bool(self.judged)

    @property
    def judge(self) -> Judge:
        """`judge(bits, before, after, event, params)`: the bits after the step, with a bit
        above them (from `self.bits` up) for each judged property the step broke and, above
        those, one for each that a condition dividing by zero broke. Compiled on first use."""
        if self._judge is None:
            filename = f"<monitors {self.layout.model.name}>"
            self._judge = self._writer.compile(filename)["monitor"]
        return self._judge

    def step(
        self,
        bits: int,
        before: int,
        after: int,
        event: str,
        params: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Judge one step (`before` -1 for a history's first state), with messages."""
        result = self.judge(bits, before, after, event, params or {})
        count = len(self.judged)
        broken_mask = result >> self.bits & ((1 << count) - 1)
        zero_mask = result >> (self.bits + count)
        broken: list[tuple[Rule, str]] = []
        for index, (_, prop) in enumerate(self.judged):
            if zero_mask >> index & 1:
                broken.append((Rule("property", prop.name), "a condition divides by zero"))
            elif broken_mask >> index & 1:
                broken.append((Rule("property", prop.name), self._message(prop, before, after)))
        return Verdict(result & ((1 << self.bits) - 1), tuple(broken))

    def _message(self, prop: Property, before: int, after: int) -> str:
        if prop.kind == "only_when":
            assert prop.condition is not None
            return f"{prop.on} fired where `{prop.condition.text}` did not hold"
        if prop.on is not None:
            assert prop.condition is not None
            verb = "held" if prop.kind == "never" else "was false"
            return f"`{prop.condition.text}` {verb} after {prop.on}"
        if prop.kind == "never":
            assert prop.condition is not None
            tail = f" before `{prop.before.text}`" if prop.before else ""
            return f"`{prop.condition.text}` held{tail}"
        if prop.kind == "always_after":
            assert prop.condition is not None and prop.after is not None
            return f"`{prop.condition.text}` was false after `{prop.after.text}`"
        assert prop.variable is not None
        if prop.variable in self.layout.model.derived:
            from negotiation.semantics.judge import evaluate_in

            model, expression = self.layout.model, self.layout.model.derived[prop.variable]
            old, new = (
                evaluate_in(model, expression.expression, state.phases, state.ledger)
                for state in (self.layout.unpack(before), self.layout.unpack(after))
            )
            return f"{prop.variable} went from {old} to {new}"
        field = self.layout.field(prop.variable)
        offset = self.layout.offset(field)
        old = field.value((before >> offset) & field.mask)
        new = field.value((after >> offset) & field.mask)
        return f"{prop.variable} went from {old} to {new}"

    def _write(self) -> str:
        """`monitor`, which hands a step to the function of its event: each judges only the
        properties that can speak of that event (those `on` it, and those on no event), so a
        model of many `on` properties pays for a few of them a step."""
        model = self.layout.model
        numbered = [(index, bit, prop) for index, (bit, prop) in enumerate(self.judged)]
        parts, table = [], []
        for number, event in enumerate(model.events):
            chosen = [(i, bit, prop) for i, bit, prop in numbered if prop.on in (None, event)]
            parts.append(self._write_function(f"monitor_{number}", chosen))
            table.append(f"    {event!r}: monitor_{number},")
        others = [(i, bit, prop) for i, bit, prop in numbered if prop.on is None]
        parts.append(self._write_function("monitor_other", others))  # the start, and the rest
        parts.append("MONITORS = {\n" + "\n".join(table) + "\n}\n")
        parts.append(
            "def monitor(b, x, y, ev, p):\n"
            "    return MONITORS.get(ev, monitor_other)(b, x, y, ev, p)\n"
        )
        return "\n".join(parts)

    def _write_function(self, function: str, chosen: list[tuple[int, int, Property]]) -> str:
        """One function judging the properties `chosen` (each with its index among all the
        judged properties, which numbers its flags, and its monitor bit)."""
        layout, model, writer = self.layout, self.layout.model, self._writer
        count = len(self.judged)
        lines = [f"def {function}(b, x, y, ev, p):", "    broken = zero = 0"]
        names: set[str] = set()
        earlier: set[str] = set()  # read in the state before the step (`only_when`)
        for _, _, prop in chosen:
            for expression in (prop.condition, prop.before, prop.after, prop.until):
                found = reads(expression) if expression is not None else set()
                if prop.kind == "only_when":
                    earlier |= found
                else:
                    names |= found
            if (
                prop.variable is not None and prop.variable in model.derived
            ):  # a derived value's steps: read before and after
                names.add(prop.variable)
                earlier.add(prop.variable)
        params = {n for _, _, prop in chosen if prop.on for n in model.events[prop.on].params}
        # As `evaluate_in`: a derived value that divides by zero leaves every condition
        # undefined, so all are computed when one of them can divide.
        if any(has_division(d.expression) for d in model.derived.values()):
            names |= set(model.derived)
        fields, derived = needed_before(model, names)
        order = [f.name for f in layout.fields]
        for name in sorted(fields, key=order.index):
            lines.append(f"    v_{name} = {writer.read(layout.field(name), 'y')}")
        earlier_fields, earlier_derived = needed_before(model, earlier)
        if earlier_fields:
            lines.append("    if x >= 0:")
            for name in sorted(earlier_fields, key=order.index):
                lines.append(f"        w_{name} = {writer.read(layout.field(name), 'x')}")

        def earlier_name(name: str) -> ast.expr:
            if name == "event":
                return ast.Name("ev", ast.Load())
            if name in params:
                return ast.Name(f"p_{name}", ast.Load())
            if name in model.derived:
                return ast.Name(f"dw_{name}", ast.Load())
            return ast.Name(f"w_{name}", ast.Load())

        self._earlier = earlier_name
        self._earlier_derived = [
            f"dw_{name} = {python_source(model.derived[name].expression, earlier_name)}"
            for name in earlier_derived
        ]

        def name_of(name: str) -> ast.expr:
            if name == "event":
                return ast.Name("ev", ast.Load())
            if name in params:
                return ast.Name(f"p_{name}", ast.Load())
            if name in model.derived:
                return ast.Name(f"d_{name}", ast.Load())
            return ast.Name(f"v_{name}", ast.Load())

        lines.append("    undefined = False")
        if derived:
            lines.append("    try:")
            for name in derived:
                source = python_source(model.derived[name].expression, name_of)
                lines.append(f"        d_{name} = {source}")
            lines += ["    except ZeroDivisionError:", "        undefined = True"]
        for index, bit, prop in chosen:
            lines += [f"    # property {prop.name}", "    try:"]
            body = self._property(index, bit, prop, name_of)
            lines += ["        " + line for line in body]
            lines += ["    except ZeroDivisionError:", f"        zero |= {1 << index}"]
        lines.append(f"    return b | (broken << {self.bits}) | (zero << {self.bits + count})")
        lines.append("")
        return "\n".join(lines)

    def _property(
        self, index: int, bit: int, prop: Property, name_of: Callable[[str], ast.expr]
    ) -> list[str]:
        def text(expression: Expression | None) -> str:
            assert expression is not None
            return f"({python_source(expression, name_of)})"

        check = "if undefined:\n    raise ZeroDivisionError"

        flag = 1 << index
        if prop.kind == "only_when":
            assert prop.on is not None and prop.condition is not None
            earlier = f"({python_source(prop.condition, self._earlier)})"
            given = sorted(self.layout.model.events[prop.on].params)
            return [
                f"if ev == {prop.on!r} and x >= 0:",
                *(f"    p_{n} = p[{n!r}]" for n in given),
                *(f"    {line}" for line in self._earlier_derived),
                f"    if not {earlier}:",
                f"        broken |= {flag}",
            ]
        if prop.on is not None:
            reads_params = sorted(set(self.layout.model.events[prop.on].params))
            test = text(prop.condition) if prop.kind == "never" else f"not {text(prop.condition)}"
            return [
                f"if ev == {prop.on!r}:",
                *(f"    p_{n} = p[{n!r}]" for n in reads_params),
                "    if undefined:",
                "        raise ZeroDivisionError",
                f"    if {test}:",
                f"        broken |= {flag}",
            ]
        if prop.kind == "never":
            if prop.before is None:
                return [*check.split("\n"), f"if {text(prop.condition)}:", f"    broken |= {flag}"]
            mask = 1 << bit
            return [
                f"if not b & {mask}:",
                "    if undefined:",
                "        raise ZeroDivisionError",
                f"    if {text(prop.before)}:",
                f"        b |= {mask}",
                f"    elif {text(prop.condition)}:",
                f"        broken |= {flag}",
            ]
        if prop.kind == "always_after":
            mask = 1 << bit
            lines = [*check.split("\n"), f"active = b & {mask} or {text(prop.after)}"]
            if prop.until is not None:
                lines += [
                    f"if active and {text(prop.until)}:",
                    "    active = False",
                    f"elif active and not {text(prop.condition)}:",
                    f"    broken |= {flag}",
                ]
            else:
                lines += [f"if active and not {text(prop.condition)}:", f"    broken |= {flag}"]
            lines.append(f"b = b | {mask} if active else b & ~{mask}")
            return lines
        assert prop.variable is not None
        if prop.variable in self.layout.model.derived:
            old, new = f"dw_{prop.variable}", f"d_{prop.variable}"
            worse = f"{new} < {old}" if prop.kind == "never_decreases" else f"{new} > {old}"
            return [
                "if undefined:",  # (from the start: a value undefined there breaks it there)
                "    raise ZeroDivisionError",
                "if x >= 0:",
                *(f"    {line}" for line in self._earlier_derived),
                f"    if {worse}:",
                f"        broken |= {flag}",
            ]
        field = self.layout.field(prop.variable)
        offset = self.layout.offset(field)
        old = f"((x >> {offset}) & {field.mask})"
        new = f"((y >> {offset}) & {field.mask})"
        worse = f"{new} < {old}" if prop.kind == "never_decreases" else f"{new} > {old}"
        return [f"if x >= 0 and {worse}:", f"    broken |= {flag}"]
