"""The exceptions of the package: one root, a few named kinds that carry their data.

Only the CLI turns these into exit codes and one-line messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


MAX_MESSAGE = 300


def suggest(name: str, candidates: list[str]) -> str:
    """A "did you mean" suffix for a misspelled name, or an empty string."""
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


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


def shown(text: str) -> str:
    """`text` safe to put before a reader: every control character (C0, C1, ESC and so terminal
    escape sequences, DEL) and every invisible format character (the bidirectional overrides
    among them) is written as its escape, `\\x1b`, `\\u202e`; nothing else changes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class NegotiationError(Exception):
    """The root of every error this package raises on purpose."""


class OutputError(NegotiationError):
    """Output cannot go where it was asked to: a file refused or failing (a device, a link, an
    input of the command, a file that exists) or a standard stream that cannot be written.

    `path` names the file (or "standard output"); `reason` says what is wrong with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{printable(path)}: {reason}")


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


class UsageError(NegotiationError):
    """A request the data cannot answer as asked (an option naming a source a scenario lacks,
    two histories of different models to compare); `option` names the option, if one."""

    def __init__(self, message: str, option: str | None = None) -> None:
        self.option = option
        super().__init__(message)
