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


MAX_MESSAGE = 300
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at one place."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {printable(self.message)}"


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` on one line: control characters escaped, and cut short if it is very long.

    Messages quote names and values from the file, which may hold line breaks or run to
    megabytes; a message is one line of a terminal.
    """
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + f"… ({len(shown):,} characters in all)"
    return shown


class NegotiationError(Exception):
    """The root of every error this package raises on purpose."""


class FileError(NegotiationError):
    """A model or scenario file is unreadable or invalid; carries every problem found.

    At most MAX_PROBLEMS are kept: past that many, a file is not worth reading problem by
    problem, and a huge one could take minutes to report in full.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        ordered = sorted(problems, key=_problem_order)
        if len(ordered) > MAX_PROBLEMS:
            more = len(ordered) - MAX_PROBLEMS
            last = ordered[MAX_PROBLEMS - 1].location
            ordered = ordered[:MAX_PROBLEMS]
            ordered.append(Problem(last, f"... and {more:,} more problems not shown"))
        self.problems = tuple(ordered)
        super().__init__("\n".join(str(p) for p in self.problems))


class TooManyProblems(FileError):
    """Raised by a checker as soon as it has MAX_PROBLEMS problems: it stops looking."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        ordered = sorted(problems, key=_problem_order)[: MAX_PROBLEMS - 1]
        last = ordered[-1].location
        stopped = Problem(last, f"stopped after {MAX_PROBLEMS} problems; there may be more")
        super().__init__([*ordered, stopped])


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
