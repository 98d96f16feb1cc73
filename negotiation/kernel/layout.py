"""The packed state: one phase per region and the ledger as bit fields of one integer.

Every field holds a small unsigned code: a phase's index in its region, a bounded int as its
offset from the variable's minimum (`ceil(log2(max - min + 1))` bits), a bool as one bit, an
enum as the index of its value in the sorted values. The phases take the top bits, so sorting
packed states groups them by phase.

A state that fits in 64 bits is one word: a Python int below 2**64 in the scalar form, one
`uint64` per state in the array form. A state that does not (the Gaza model's counts, bounded
up to 10**6, need about 190 bits) is several words: the scalar form is still one Python int
(arbitrary precision, word 0 in the highest bits) and the array form is a 2-D `uint64` array,
one row a state, word 0 first, so sorting rows lexicographically still groups by phase. A field
never straddles two words, so a field is always read from one word by a shift and a mask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from negotiation.rules.model import Model, Value
from negotiation.semantics.outcomes import State

WORD = 64
FieldKind = Literal["phase", "int", "bool", "enum"]
Words = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Field:
    """One bit field: a region's phase or a variable, where it sits and how it is coded."""

    name: str  # the region or variable
    kind: FieldKind
    word: int  # which 64-bit word, 0 the most significant
    shift: int  # the lowest bit within its word
    bits: int
    low: int = 0  # an int's minimum (its code is value - low)
    high: int = 0  # an int's maximum
    values: tuple[str, ...] = ()  # an enum's values (sorted) or a region's phases (in order)

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1

    def code(self, value: Value) -> int:
        """The field's code for a value."""
        if self.kind == "int":
            assert isinstance(value, int)
            return value - self.low
        if self.kind == "bool":
            return 1 if value else 0
        return self.values.index(str(value))

    def value(self, code: int) -> Value:
        """The value a code stands for."""
        if self.kind == "int":
            return code + self.low
        if self.kind == "bool":
            return bool(code)
        return self.values[code]


@dataclass(frozen=True)
class Layout:
    """Where each region's phase and each variable sit in a packed state."""

    model: Model
    regions: tuple[Field, ...]
    variables: tuple[Field, ...]
    words: int

    @staticmethod
    def of(model: Model) -> Layout:
        """The layout of a model's states: the phases first (from the top bit down), then the
        variables in the model's order, each in the first word with room left."""
        free = [WORD]  # bits still free at the bottom of each word

        def place(bits: int) -> tuple[int, int]:
            for index, room in enumerate(free):
                if index == len(free) - 1 and bits <= room:
                    free[index] -= bits
                    return index, free[index]
            free.append(WORD - bits)
            return len(free) - 1, free[-1]

        regions = []
        for region in model.regions.values():
            bits = (len(region.phases) - 1).bit_length()
            word, shift = place(bits)
            regions.append(Field(region.name, "phase", word, shift, bits, values=region.phases))
        variables = []
        for variable in model.variables.values():
            kind = variable.type.kind
            if kind == "int":
                assert variable.min is not None and variable.max is not None
                low, high = variable.min, variable.max
                bits = (high - low).bit_length()
                if bits > WORD - 1:
                    raise ValueError(f"variable '{variable.name}' spans more than 2**63 values")
                word, shift = place(bits)
                variables.append(Field(variable.name, "int", word, shift, bits, low, high))
            elif kind == "bool":
                word, shift = place(1)
                variables.append(Field(variable.name, "bool", word, shift, 1, 0, 1))
            else:
                values = tuple(sorted(variable.type.values or ()))
                bits = (len(values) - 1).bit_length()
                word, shift = place(bits)
                variables.append(Field(variable.name, "enum", word, shift, bits, values=values))
        return Layout(model, tuple(regions), tuple(variables), len(free))

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.regions + self.variables

    @property
    def bits(self) -> int:
        """The bits a state uses."""
        return sum(field.bits for field in self.fields)

    def offset(self, field: Field) -> int:
        """The field's lowest bit in the scalar form (one Python int)."""
        return (self.words - 1 - field.word) * WORD + field.shift

    def field(self, name: str) -> Field:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)

    # the scalar form: one Python int

    def pack(self, state: State) -> int:
        """A state as one int (below 2**64 when the layout is one word)."""
        packed = 0
        for field in self.regions:
            packed |= field.code(state.phases[field.name]) << self.offset(field)
        for field in self.variables:
            packed |= field.code(state.ledger[field.name]) << self.offset(field)
        return packed

    def unpack(self, packed: int) -> State:
        """The state a packed int stands for."""
        phases = {f.name: f.values[(packed >> self.offset(f)) & f.mask] for f in self.regions}
        ledger = {f.name: f.value((packed >> self.offset(f)) & f.mask) for f in self.variables}
        return State.of(phases, ledger)

    # the array form: one uint64 per state, or one row of `words` uint64s

    def to_array(self, packed: Iterable[int]) -> Words:
        """Packed ints as an array: shape (n,) for one word, (n, words) for more."""
        values = list(packed)
        if self.words == 1:
            return np.array(values, dtype=np.uint64)
        rows = [
            [(value >> ((self.words - 1 - w) * WORD)) & (2**WORD - 1) for w in range(self.words)]
            for value in values
        ]
        return np.array(rows, dtype=np.uint64).reshape(len(values), self.words)

    def from_array(self, array: Words) -> list[int]:
        """An array of packed states as Python ints."""
        if self.words == 1:
            return [int(value) for value in array]
        result = []
        for row in array:
            value = 0
            for word in row:
                value = (value << WORD) | int(word)
            result.append(value)
        return result

    def word_columns(self, array: Words) -> list[Words]:
        """Each word of an array of states, as its own contiguous column."""
        if self.words == 1:
            return [np.ascontiguousarray(array, dtype=np.uint64)]
        return [np.ascontiguousarray(array[:, w]) for w in range(self.words)]

    def join_columns(self, columns: Sequence[Words]) -> Words:
        """Word columns back as an array of states (the inverse of `word_columns`)."""
        if self.words == 1:
            return columns[0]
        return np.stack(columns, axis=1)

    def unpack_columns(self, array: Words) -> dict[str, npt.NDArray[Any]]:
        """Each field of an array of states as a column: ints as int64 values, bools as bool,
        enums and phases as the index of their value."""
        words = self.word_columns(array)
        columns: dict[str, npt.NDArray[Any]] = {}
        for field in self.fields:
            codes = (words[field.word] >> np.uint64(field.shift)) & np.uint64(field.mask)
            if field.kind == "int":
                columns[field.name] = codes.astype(np.int64) + field.low
            elif field.kind == "bool":
                columns[field.name] = codes.astype(bool)
            else:
                columns[field.name] = codes.astype(np.int64)
        return columns

    def pack_columns(self, columns: Mapping[str, npt.ArrayLike]) -> Words:
        """Columns as `unpack_columns` gives them, packed into an array of states."""
        lengths = {np.shape(np.asarray(column))[0] for column in columns.values()}
        (size,) = lengths
        words = [np.zeros(size, dtype=np.uint64) for _ in range(self.words)]
        for field in self.fields:
            column = np.asarray(columns[field.name])
            codes = (column.astype(np.int64) - field.low).astype(np.uint64)
            words[field.word] |= codes << np.uint64(field.shift)
        return self.join_columns(words)
