"""Dates as analysts write them: exact, approximate, uncertain, ranges (EDTF).

The common forms are read directly, each in constant time: a day, month or year, qualified or
not (`2025-03-18`, `2025-03-20~`, `2025-03?`, `2025%`), unspecified digits (`2025-03-2X`), a range
of those (`2025-03-19/2025-03-27`, `2023-10-07/..`) and a set or list of them (`{2025-03-01,
2025-03-05}`, `[2025-03..2025-04]`). Anything else goes to the `edtf` package, imported only when
needed, which takes milliseconds for a date and far longer than linear time for a set; so a
date's text is at most MAX_DATE_CHARS long, which bounds a set to about twenty members. Every
date becomes an earliest and a latest possible day; ordering checks use those bounds.
"""

from __future__ import annotations

import calendar
import datetime
import re
import time
from dataclasses import dataclass

from negotiation.errors import NegotiationError

MAX_DATE_CHARS = 100


class DateError(NegotiationError):
    """A date that is not valid EDTF, or names an impossible day."""


@dataclass(frozen=True, order=True)
class Date:
    """A possibly uncertain date: its EDTF text and the earliest and latest day it allows."""

    earliest: datetime.date | None
    latest: datetime.date | None
    text: str

    def __str__(self) -> str:
        return self.text


def parse_date(text: str) -> Date:
    """Read an EDTF date; raise DateError naming what is wrong."""
    text = text.strip()
    if len(text) > MAX_DATE_CHARS:
        raise DateError(f"a date is at most {MAX_DATE_CHARS} characters (got {len(text):,})")
    if text[:1] in ("{", "[") and text[-1:] in ("}", "]"):
        return _set(text)
    # A single date or a range, an open end (`../2023-10-06`, `2023-10-07/..`) included.
    parts = text.split("/")
    if len(parts) <= 2:
        bounds = [_open_or_simple(part, "..", text) for part in parts]
        known = [b for b in bounds if b is not None]
        if len(known) == len(parts) and parts.count("..") < len(parts):
            return _bounded(text, known[0][0], known[-1][1])
    return _parse_edtf(text)


Bounds = tuple[datetime.date | None, datetime.date | None]
_SIMPLE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%]?)")


def _open_or_simple(part: str, open_end: str, text: str) -> Bounds | None:
    return (None, None) if part == open_end else _simple(part, text)


def _simple(part: str, text: str) -> Bounds | None:
    """The earliest and latest day of a year, month or day, qualified or not (the qualifier
    says how sure the analyst is, not which days are possible), or of unspecified digits;
    None for any other form."""
    if _plain_day(part):
        day = _iso_day(part, text)
        return day, day
    unspecified = _unspecified(part, text)
    if unspecified is not None:
        return unspecified
    match = _SIMPLE.fullmatch(part)
    if match is None or not 1 <= int(match[1]) <= 9999 or not 1 <= int(match[2] or 1) <= 12:
        return None  # a season (2025-21), year 0 and the like: the edtf package's to read
    year, month = int(match[1]), match[2]
    if match[3]:
        day = _iso_day(f"{match[1]}-{match[2]}-{match[3]}", text)
        return day, day
    if month:
        last = calendar.monthrange(year, int(month))[1]
        return datetime.date(year, int(month), 1), datetime.date(year, int(month), last)
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _bounded(text: str, earliest: datetime.date | None, latest: datetime.date | None) -> Date:
    if earliest is not None and latest is not None and earliest > latest:
        raise DateError(f"'{text}' ends before it begins")
    return Date(earliest, latest, text)


def _set(text: str) -> Date:
    """An EDTF set (`{a,b}`, all of them) or list (`[a,b]`, one of them): its members are
    simple dates or ranges `a..b`, and the date spans them all."""
    members = text[1:-1].split(",")  # at most about 20: the text is at most MAX_DATE_CHARS
    earliest: list[datetime.date | None] = []
    latest: list[datetime.date | None] = []
    for member in members:
        ends = member.strip().split("..")
        if len(ends) > 2:
            raise _not_edtf(text)
        bounds = [_open_or_simple(end, "", text) for end in ends]
        known = [b for b in bounds if b is not None]
        if len(known) < len(ends) or not any(ends):
            raise _not_edtf(text)
        earliest.append(known[0][0])
        latest.append(known[-1][1])
    low = None if None in earliest else min(d for d in earliest if d is not None)
    high = None if None in latest else max(d for d in latest if d is not None)
    return _bounded(text, low, high)


_UNSPECIFIED = re.compile(r"(\d{4})-([\dX]{2})(?:-([\dX]{2}))?")


def _unspecified(part: str, text: str) -> Bounds | None:
    """EDTF's unspecified digits in the month or day (`2025-03-2X`, `2025-0X`), which the edtf
    package does not read: the earliest and latest real days the pattern allows."""
    match = _UNSPECIFIED.fullmatch(part)
    if match is None or "X" not in part:
        return None
    year = int(match[1])
    if not 1 <= year <= 9999:
        raise DateError(f"'{text}' is not a real date: year {year} is out of range")
    month_pattern, day_pattern = match[2], match[3] or "XX"

    def fits(number: int, pattern: str) -> bool:
        return all(p in ("X", d) for p, d in zip(pattern, f"{number:02d}", strict=True))

    days = [
        datetime.date(year, month, day)
        for month in range(1, 13)
        if fits(month, month_pattern)
        for day in range(1, calendar.monthrange(year, month)[1] + 1)
        if fits(day, day_pattern)
    ]
    if not days:
        raise DateError(f"'{text}' allows no real day")
    return days[0], days[-1]


def _plain_day(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()


def _iso_day(part: str, text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(part)
    except ValueError as error:
        raise DateError(f"'{text}' is not a real date: {error}") from None


def _parse_edtf(text: str) -> Date:
    import edtf  # about 80 ms to import: only for dates that are not plain days

    try:
        parsed = edtf.parse_edtf(text)
        earliest = _day(parsed.lower_strict())
        latest = _day(parsed.upper_strict())
    except Exception:  # edtf raises several kinds, some not its own, for bad input
        raise _not_edtf(text) from None
    return _bounded(text, earliest, latest)


def _not_edtf(text: str) -> DateError:
    return DateError(
        f"'{text}' is not a date in EDTF: write 2025-03-18, 2025-03-20~ (approximate), "
        "2025-03? (uncertain) or 2025-03-19/2025-03-27 (a range)"
    )


def _day(struct: object) -> datetime.date | None:
    if isinstance(struct, time.struct_time):
        year, month, day = struct.tm_year, struct.tm_mon, struct.tm_mday
    elif isinstance(struct, tuple) and len(struct) >= 3:
        year, month, day = int(struct[0]), int(struct[1]), int(struct[2])
    else:
        return None  # an open end: edtf gives an infinite float
    if not 1 <= year <= 9999:
        return None
    return datetime.date(year, month, day)
