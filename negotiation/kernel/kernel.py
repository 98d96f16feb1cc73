"""The kernel: a model's events compiled, judged on packed states one at a time or in batches.

`Kernel.from_model(model)` generates the code (see `codegen`); `attempt` judges and fires one
event on one packed state with the scalar code, `step_batch` one event on an array of packed
states with the numpy code, and `enabled` says which events may fire, as `Machine.enabled` does.
The results are the Machine's: the same next state, the same refusing guard, the same broken
rule, as a status (APPLIED, REFUSED, BROKEN) and an index into `Kernel.rules`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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
from negotiation.rules.model import Event, Model, Value
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
        self.scalar: dict[str, Scalar] = {}
        self._enabled: list[tuple[str, Scalar, dict[str, Value]]] = []
        self._batch: dict[str, Callable[..., Any]] = {}
        self.fallback: tuple[str, ...] = ()
        self._compile(list(model.events.values()), f"<kernel {model.name}")

    def _compile(self, events: list[Event], name: str) -> None:
        """Generate and compile the scalar and batch code of `events` (all the model's, or one
        changed), in place of what this kernel had for them; `name` begins the pseudo-filenames
        the code is registered under (`<kernel gaza_truce scalar>`)."""
        writer = ScalarWriter(self.layout, self.table)
        batch_writer = NumpyWriter(self.layout, self.table)
        for event in events:
            index = self.event_names.index(event.name)
            writer.event(event, f"step_{index}")
            open_params = frozenset(n for n, p in event.params.items() if p.default is None)
            writer.event(event, f"enabled_{index}", True, open_params)
            batch_writer.event(event, f"batch_{index}")
        functions = writer.compile(f"{name} scalar>")
        batches = batch_writer.compile(f"{name} numpy>")
        enabled = {name: (judge, params) for name, judge, params in self._enabled}
        fallback = set(self.fallback)
        for event in events:
            name, index = event.name, self.event_names.index(event.name)
            self.scalar[name] = functions[f"step_{index}"]
            defaults = {n: p.default for n, p in event.params.items() if p.default is not None}
            enabled[name] = (functions[f"enabled_{index}"], defaults)
            fallback.discard(name)
            self._batch.pop(name, None)
            if name in batch_writer.fallback:
                fallback.add(name)
            else:
                self._batch[name] = batches[f"batch_{index}"]
        self._enabled = [(name, *enabled[name]) for name in self.event_names]
        self.fallback = tuple(name for name in self.event_names if name in fallback)
        self.scalar_source = writer.source
        self.batch_source = batch_writer.source
        self._statuses = np.array(
            [APPLIED] + [STATUS_CODES[s] for s, _ in self.table.entries], np.int8
        )

    def with_event(self, event: Event) -> Kernel:
        """The kernel of this model with `event` in place of the event of its name (a mutant,
        say), generating only that event's code."""
        changed = copy.copy(self)
        changed.model = replace(self.model, events={**self.model.events, event.name: event})
        changed.table = RuleTable(list(self.table.entries), dict(self.table.index))
        changed.scalar, changed._batch = dict(self.scalar), dict(self._batch)
        changed._enabled = list(self._enabled)
        changed._compile([event], f"<kernel {self.model.name} with {event.name} changed")
        return changed

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
