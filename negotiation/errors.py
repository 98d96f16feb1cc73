"""The exceptions of the package: one root, a few named kinds that carry their data.

Only the CLI turns these into exit codes and one-line messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def shifted(self, columns: int) -> Location:
        """The location `columns` further along the same line (for a place inside a value)."""
        return Location(self.file, self.line, self.column + columns)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at one place."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class NegotiationError(Exception):
    """The root of every error this package raises on purpose."""


class FileError(NegotiationError):
    """A model or scenario file is unreadable or invalid; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=_problem_order))
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(problem: Problem) -> tuple[str, int, int]:
    return (problem.location.file, problem.location.line, problem.location.column)


class ExpressionError(NegotiationError):
    """An expression in a file is malformed, ill-typed or uses a forbidden construct.

    `offset` is the 0-based column inside the expression text; the loader turns it into
    a location in the file.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        self.message = message
        self.offset = offset
        super().__init__(message)


class EventError(NegotiationError):
    """An event was asked for that the model does not have, or with invalid parameters."""


@dataclass(frozen=True)
class GuardOutcome:
    """How one guard judged one attempt to fire an event."""

    guard: str
    passed: bool
    reason: str
    expression: str
    values: Mapping[str, Any]


class RefusedEvent(NegotiationError):
    """A guard (or the event's allowed phases) refused an event; the state is unchanged."""

    def __init__(
        self,
        event: str,
        phase: str,
        guard: str,
        reason: str,
        values: Mapping[str, Any],
        outcomes: Sequence[GuardOutcome] = (),
    ) -> None:
        self.event = event
        self.phase = phase
        self.guard = guard
        self.reason = reason
        self.values = dict(values)
        self.outcomes = tuple(outcomes)
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        detail = f" ({shown})" if shown else ""
        super().__init__(
            f"event '{event}' refused in phase '{phase}' by guard '{guard}': {reason}{detail}"
        )


class InvariantViolation(NegotiationError):
    """A step would break an invariant or a variable's bounds: the model's rules are wrong.

    The machine keeps the state it had before the step.
    """

    def __init__(self, event: str, invariant: str, message: str) -> None:
        self.event = event
        self.invariant = invariant
        super().__init__(f"event '{event}' would break {invariant}: {message}")
