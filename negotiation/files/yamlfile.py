"""Reading untrusted YAML: plain data with line and column, nothing that can execute or explode.

ruamel.yaml's parser (its libyaml-based C parser when available) turns the text into a stream of
events; we compose the data from that stream ourselves, iteratively, which lets us keep the
position of every key and value and refuse, with their location, what a model or scenario never
needs and an attacker would use: aliases (the "billion laughs" bomb), tags (`!!python/object`),
duplicate keys, several documents, and deep nesting. The resolver is YAML 1.2, so `no` stays a
string. Scalars are converted by ruamel's safe constructor: nothing else is ever constructed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    DocumentStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from negotiation.errors import FileError, Location, Problem, printable

MAX_BYTES = 1_000_000  # a scenario of 15,000 events; the Gaza one is 12 kB
MAX_DEPTH = 40
# An integer's digits, whatever its base: Python refuses to print a decimal integer of more than
# 4,300 digits, and a hexadecimal, octal or binary one is converted without that check.
MAX_INT_DIGITS = 1000
_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAGS = {_CORE + "map", _CORE + "seq"}

Key = str | int
Mark = tuple[int, int]  # 0-based line and column


@dataclass(frozen=True)
class Document:
    """A parsed file: plain data, and where each key and value of it stands in the file."""

    path: str
    data: Any
    marks: dict[tuple[Key, ...], tuple[Mark, Mark]] = field(default_factory=dict, repr=False)
    text: str = field(default="", repr=False)
    lines: tuple[str, ...] = field(default=(), repr=False)

    def locate(self, *keys: Key, on_key: bool = False) -> Location:
        """The location of the value reached by following `keys` from the root.

        A path that leaves the data locates its nearest existing parent. With `on_key`, the
        last mapping key locates the key itself rather than its value.
        """
        path = tuple(keys)
        while path not in self.marks and path:
            path, on_key = path[:-1], False
        key_mark, value_mark = self.marks.get(path, ((0, 0), (0, 0)))
        line, column = key_mark if on_key else value_mark
        return Location(self.path, line + 1, column + 1)

    def locate_within(self, *keys: Key, offset: int) -> Location:
        """The location of character `offset` of the text value at `keys`.

        YAML may fold a value over several lines, quote it or start it on the line after a block
        indicator; counting the non-blank characters of the value up to `offset`, and the same
        number in the file from where the value's content starts, lands on the same character.
        """
        start = self.locate(*keys)
        value = self.data
        for key in keys:
            value = value[key]
        wanted = sum(1 for c in str(value).strip()[:offset] if not c.isspace())
        lines = self.lines
        line, column = start.line - 1, start.column - 1
        quote = ""  # the value's quote, if it is quoted: its mark is just after the quote
        if line < len(lines) and 0 < column <= len(lines[line]):
            before = lines[line][column - 1]
            quote = before if before in ("'", '"') else ""
        if quote and column < len(lines[line]) and lines[line][column] == quote:
            quote = ""  # an empty quoted value, or the mark is on the quote itself
        seen = 0
        while line < len(lines):
            text = lines[line]
            while column < len(text):
                width, produced = _scalar_char(text, column, quote)
                if width == 0:  # an escaped line break: the value goes on on the next line
                    break
                if not produced.isspace():
                    if seen == wanted:
                        return Location(self.path, line + 1, column + 1)
                    seen += 1
                column += width
            line, column = line + 1, 0
        return start


_ESCAPES = {"x": 2, "u": 4, "U": 8}
_SPACES = {"t": "\t", "n": "\n", " ": " ", "\t": "\t", "_": "\u00a0", "N": "\x85", "L": "\u2028"}


def _scalar_char(text: str, column: int, quote: str) -> tuple[int, str]:
    """How many characters of the file, at `column`, make one character of a scalar's value
    (an escape in a double-quoted scalar, `''` in a single-quoted one), and that character.
    (0, "") for a backslash that ends the line: a double-quoted value's line continuation."""
    char = text[column]
    if quote == '"' and char == "\\":
        if column + 1 >= len(text):
            return 0, ""
        kind = text[column + 1]
        digits = _ESCAPES.get(kind, 0)
        if digits:
            try:
                return 2 + digits, chr(int(text[column + 2 : column + 2 + digits], 16))
            except ValueError:
                return 2, kind
        return 2, _SPACES.get(kind, "\\" if kind == "\\" else kind)
    if quote == "'" and char == "'" and text[column + 1 : column + 2] == "'":
        return 2, "'"
    return 1, char


def read_document(path: str | Path, display: str | None = None) -> Document:
    """Read and parse a YAML file; raise FileError with one located problem if it can't be."""
    shown = display or str(path)
    return parse_document(_read_bytes(path, shown), shown)


def _read_bytes(path: str | Path, shown: str) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES, or FileError.

    The file is opened first and checked through the open descriptor, so it cannot be swapped
    between the check and the read; opened non-blocking, so a FIFO cannot hang the open. A
    device (`/dev/zero`), a pipe or a socket is refused, and a huge (even sparse) file is refused
    by its size before a byte is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise _one(shown, "no such file") from None
    except IsADirectoryError:
        raise _one(shown, "is a directory, not a file") from None
    except ValueError:  # a NUL character in the name
        raise _one(shown, "cannot be read: a file name cannot hold a NUL character") from None
    except OSError as error:
        raise _one(shown, f"cannot be read: {error.strerror}") from None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise _one(shown, "is a directory, not a file")
        if not stat.S_ISREG(status.st_mode):
            raise _one(shown, "is not a regular file (a device, a pipe or a socket)")
        if status.st_size > MAX_BYTES:
            raise _too_large(shown, status.st_size)
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            return stream.read(MAX_BYTES + 1)  # a file growing as we read is cut, then refused
    except OSError as error:
        raise _one(shown, f"cannot be read: {error.strerror}") from None
    finally:
        os.close(descriptor)


def parse_document(raw: bytes, path: str) -> Document:
    """Parse YAML bytes into plain data with positions, or raise FileError."""
    if len(raw) > MAX_BYTES:
        raise _too_large(path, len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8")
        line, column = _position(before, len(before))
        message = f"not UTF-8 text (byte {raw[error.start]:#04x})"
        raise FileError([Problem(Location(path, line, column), message)]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise _one(path, "file is empty")
    try:
        return _Composer(path).compose(text)
    except ReaderError as error:
        # The reader stops at the first character YAML forbids; find it in the text ourselves,
        # since the C and pure-Python readers count its position differently (bytes, characters).
        code = error.character if isinstance(error.character, int) else ord(error.character)
        index = text.find(chr(code))
        line, column = _position(text, index) if index >= 0 else (1, 1)
        message = f"control character U+{code:04X} is not allowed in YAML text"
        raise FileError([Problem(Location(path, line, column), message)]) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "invalid YAML"
        if error.context_mark is not None and "end of stream" in str(error.problem):
            # an unclosed quote or bracket: say where it opened, not where the file ends
            mark = error.context_mark
            what = str(error.context).removeprefix("while scanning ").removeprefix("while parsing ")
            message = f"{what} is never closed"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise FileError([Problem(Location(path, line, column), _clean(message))]) from None
    except YAMLError as error:
        raise _one(path, _clean(str(error))) from None


class _Frame:
    __slots__ = ("container", "key", "key_mark", "path")

    def __init__(self, container: Any, path: tuple[Key, ...]) -> None:
        self.container = container
        self.path = path
        self.key: Any = _Frame
        self.key_mark: Mark = (0, 0)


class _Composer:
    def __init__(self, path: str) -> None:
        self.path = path
        self.yaml = YAML(typ="safe", pure=False)
        self.marks: dict[tuple[Key, ...], tuple[Mark, Mark]] = {}
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.plain: dict[str, Any] = {}

    def fail(self, mark: Mark, message: str) -> FileError:
        return FileError([Problem(Location(self.path, mark[0] + 1, mark[1] + 1), message)])

    def compose(self, text: str) -> Document:
        documents = 0
        lines = tuple(text.splitlines())  # once: a block scalar's start is looked up in them
        for event in self.yaml.parse(text):
            mark = (event.start_mark.line, event.start_mark.column) if event.start_mark else (0, 0)
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail(mark, "a file holds one YAML document; found a second")
            elif isinstance(event, AliasEvent):
                raise self.fail(mark, "YAML aliases (*name) are not allowed in these files")
            elif isinstance(event, ScalarEvent):
                self.add(self.scalar(event, mark), self.content_start(event, mark, lines))
            elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                self.check_tag(event, _COLLECTION_TAGS, mark)
                if len(self.stack) >= MAX_DEPTH:
                    raise self.fail(mark, f"nesting is deeper than {MAX_DEPTH} levels")
                container: Any = {} if isinstance(event, MappingStartEvent) else []
                path = self.add(container, mark)
                self.stack.append(_Frame(container, path))
            elif isinstance(event, CollectionEndEvent):
                self.stack.pop()
        return Document(self.path, self.root, self.marks, text, lines)

    def content_start(self, event: ScalarEvent, mark: Mark, lines: Sequence[str]) -> Mark:
        # Where the characters of the value begin: after a quote, or on the line after a block
        # scalar's indicator, at its indentation.
        if event.style in ('"', "'"):
            return (mark[0], mark[1] + 1)
        if event.style in ("|", ">"):
            line = mark[0] + 1
            while line < len(lines) and not lines[line].strip():
                line += 1
            if line < len(lines):
                return (line, len(lines[line]) - len(lines[line].lstrip()))
        return mark

    def check_tag(self, event: NodeEvent, allowed: set[str], mark: Mark) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in allowed:
            raise self.fail(mark, f"YAML tags such as '{tag}' are not allowed")

    def scalar(self, event: ScalarEvent, mark: Mark) -> Any:
        if event.tag is None and event.implicit[0]:
            # A plain scalar: resolving it is most of the cost of reading a file, and files
            # repeat their values (event names, dates), so each distinct one is resolved once.
            # Scalars are immutable (str, int, bool, None, date), so sharing them is safe.
            found = self.plain.get(event.value, _Frame)
            if found is not _Frame:
                return found
            value = self.construct(event, mark)
            self.plain[event.value] = value
            return value
        return self.construct(event, mark)

    def construct(self, event: ScalarEvent, mark: Mark) -> Any:
        self.check_tag(event, _SCALAR_TAGS, mark)
        if event.tag in _SCALAR_TAGS:
            tag = event.tag
        elif event.implicit[0]:
            tag = self.yaml.resolver.resolve(ScalarNode, event.value, event.implicit)
        else:
            tag = _CORE + "str"
        if tag == _CORE + "str":
            return event.value
        if tag == _CORE + "int" and _int_digits(event.value) > MAX_INT_DIGITS:
            message = f"an integer of more than {MAX_INT_DIGITS:,} digits"
            raise self.fail(mark, f"invalid value '{printable(event.value, 40)}': {message}")
        try:
            return self.yaml.constructor.construct_object(ScalarNode(tag, event.value))
        except Exception as error:  # ruamel's constructors raise KeyError, IndexError, ... too
            kind = str(tag).rsplit(":", 1)[-1]
            if kind == "merge":
                raise self.fail(mark, "merge keys (<<) are not allowed in these files") from None
            detail = _clean(str(error)) if isinstance(error, (ValueError, YAMLError)) else ""
            detail = detail or f"not a valid {kind}"
            raise self.fail(mark, f"invalid value {event.value!r}: {detail}") from None

    def add(self, value: Any, mark: Mark) -> tuple[Key, ...]:
        if not self.stack:
            self.root = value
            self.marks[()] = (mark, mark)
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            path = (*frame.path, len(frame.container))
            frame.container.append(value)
            self.marks[path] = (mark, mark)
            return path
        if frame.key is _Frame:
            if isinstance(value, (dict, list)) or value is None:
                raise self.fail(mark, "a mapping key must be a plain name")
            if value in frame.container:
                first = self.marks[(*frame.path, value)][0][0] + 1
                raise self.fail(mark, f"duplicate key '{value}' (first given on line {first})")
            frame.key, frame.key_mark = value, mark
            return frame.path
        path = (*frame.path, frame.key)
        frame.container[frame.key] = value
        self.marks[path] = (frame.key_mark, mark)
        frame.key = _Frame
        return path


def _position(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    column = index - (before.rfind("\n") + 1) + 1
    return line, column


def _clean(message: str) -> str:
    return " ".join(str(message).split())


def _too_large(path: str, size: int) -> FileError:
    return _one(path, f"file is too large ({size:,} bytes; the limit is {MAX_BYTES:,})")


def _int_digits(text: str) -> int:
    """How many digits an integer's text holds, whatever its base (`0x`, `0o`, `0b`)."""
    body = text.lstrip("+-")
    if body[:2].lower() in ("0x", "0o", "0b"):
        body = body[2:]
    return sum(1 for c in body if c != "_")


def _one(path: str, message: str) -> FileError:
    return FileError([Problem(Location(path), message)])
