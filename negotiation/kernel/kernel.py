"""The kernel: a model's events compiled, judged on packed states one at a time or in batches.

`Kernel.from_model(model)` generates the code (see `codegen`); `attempt` judges and fires one
event on one packed state with the scalar code, `step_batch` one event on an array of packed
states with the numpy code, and `enabled` says which events may fire, as `Machine.enabled` does.
The results are the Machine's: the same next state, the same refusing guard, the same broken
rule, as a status (APPLIED, REFUSED, BROKEN) and an index into `Kernel.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from negotiation.errors import EventError, suggest
from negotiation.kernel.codegen import (
    APPLIED,
    BROKEN,
    REFUSED,
    STATUS_CODES,
    NumpyWriter,
    RuleTable,
    ScalarWriter,
    Status,
)
from negotiation.kernel.layout import Layout, Words
from negotiation.rules.model import Model, Value
from negotiation.semantics.judge import validate_params
from negotiation.semantics.outcomes import Rule, State

__all__ = ["APPLIED", "BROKEN", "REFUSED", "Kernel", "Step"]

Scalar = Callable[[int, Mapping[str, Any]], int]


@dataclass(frozen=True)
class Step:
    """The outcome of one step in the kernel: applied (with the next packed state), refused
    or broken (the state unchanged), with the rule that refused or broke."""

    status: Status | str
    state: int
    rule: Rule | None = None


class Kernel:
    """A model compiled for bulk work on packed states."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.layout = Layout.of(model)
        self.table = RuleTable()
        self.event_names = list(model.events)
        writer = ScalarWriter(self.layout, self.table)
        self._open: dict[str, dict[str, Value]] = {}
        for index, event in enumerate(model.events.values()):
            writer.event(event, f"step_{index}")
            open_params = frozenset(n for n, p in event.params.items() if p.default is None)
            self._open[event.name] = {
                n: p.default for n, p in event.params.items() if p.default is not None
            }
            writer.event(event, f"enabled_{index}", True, open_params)
        functions = writer.compile()
        self.scalar_source = writer.source
        self.scalar: dict[str, Scalar] = {
            name: functions[f"step_{i}"] for i, name in enumerate(self.event_names)
        }
        self._enabled: list[tuple[str, Scalar, dict[str, Value]]] = [
            (name, functions[f"enabled_{i}"], self._open[name])
            for i, name in enumerate(self.event_names)
        ]
        batch_writer = NumpyWriter(self.layout, self.table)
        for index, event in enumerate(model.events.values()):
            batch_writer.event(event, f"batch_{index}")
        batches = batch_writer.compile()
        self.batch_source = batch_writer.source
        self.fallback = tuple(batch_writer.fallback)
        self._batch: dict[str, Callable[..., Any]] = {
            name: batches[f"batch_{i}"]
            for i, name in enumerate(self.event_names)
            if name not in self.fallback
        }
        self._statuses = np.array(
            [APPLIED] + [STATUS_CODES[s] for s, _ in self.table.entries], np.int8
        )

    @staticmethod
    def from_model(model: Model) -> Kernel:
        return Kernel(model)

    @property
    def rules(self) -> list[tuple[Status, Rule]]:
        """What each rule index stands for: refused or broken, and the rule."""
        return self.table.entries

    def pack(self, state: State) -> int:
        return self.layout.pack(state)

    def unpack(self, packed: int) -> State:
        return self.layout.unpack(packed)

    @property
    def initial(self) -> int:
        """The model's start, packed."""
        return self.pack(State.of(self.model.initial, self.model.initial_ledger()))

    def params_for(self, event: str, params: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """The event's full parameters, checked by the one semantics (EventError if wrong)."""
        definition = self.model.events.get(event)
        if definition is None:
            raise EventError(f"unknown event '{event}'" + suggest(event, self.event_names))
        values, problems = validate_params(definition, dict(params or {}))
        if problems:
            raise EventError(f"event '{event}': {problems[0].message}")
        return values

    def attempt(
        self, state: int | State, event: str, params: Mapping[str, Any] | None = None
    ) -> Step:
        """Judge `event` on a packed state (a valid one) with the scalar code."""
        packed = self.pack(state) if isinstance(state, State) else state
        result = self.scalar[event](packed, self.params_for(event, params))
        if result >= 0:
            return Step("applied", result)
        status, rule = self.table.entries[-1 - result]
        return Step(status, packed, rule)

    def step(self, packed: int, event: str, params: Mapping[str, Value]) -> int:
        """The scalar code itself: the next packed state, or -1 - the rule index; `params` must
        be full and checked (as `params_for` gives them)."""
        return self.scalar[event](packed, params)

    def enabled(self, state: int | State) -> list[str]:
        """The events that may fire now with their default parameters, in model order (as
        `Machine.enabled`: an open parameter's guards are not judged)."""
        packed = self.pack(state) if isinstance(state, State) else state
        return [name for name, judge, params in self._enabled if judge(packed, params) == 0]

    def status_code(self, rule_index: int) -> int:
        return STATUS_CODES[self.table.entries[rule_index][0]]

    def step_batch(
        self, packed: Words, event: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Words, npt.NDArray[np.int8], npt.NDArray[np.int64]]:
        """Judge and fire `event` with `params` on every state of an array (as
        `Layout.to_array` gives it; valid states): the next states (a row unchanged where the
        event did not apply), each row's status (APPLIED, REFUSED, BROKEN) and its rule index
        in `rules` (-1 where applied)."""
        words, status, rule = self.step_columns(self.layout.word_columns(packed), event, params)
        return self.layout.join_columns(words), status, rule

    def step_columns(
        self, words: list[Words], event: str, params: Mapping[str, Any] | None = None
    ) -> tuple[list[Words], npt.NDArray[np.int8], npt.NDArray[np.int64]]:
        """`step_batch` on the states' word columns (`Layout.word_columns`), for callers that
        keep states as columns (a layout of several words) and so save a copy each way."""
        values = self.params_for(event, params)
        batch = self._batch.get(event)
        if batch is not None:
            result: tuple[list[Words], npt.NDArray[np.int8], npt.NDArray[np.int64]]
            result = batch(words, values)
            return result
        return self._scalar_rows(words, event, values)

    def _scalar_rows(
        self, words: list[Words], event: str, params: Mapping[str, Value]
    ) -> tuple[list[Words], npt.NDArray[np.int8], npt.NDArray[np.int64]]:
        """The batch form of an event whose rules might leave int64: the scalar code, by row."""
        array = self.layout.join_columns(words)
        function = self.scalar[event]
        following, rules = [], []
        for packed in self.layout.from_array(array):
            result = function(packed, params)
            following.append(result if result >= 0 else packed)
            rules.append(-1 if result >= 0 else -1 - result)
        rule = np.array(rules, dtype=np.int64)
        status = self._statuses[rule + 1]
        return self.layout.word_columns(self.layout.to_array(following)), status, rule
