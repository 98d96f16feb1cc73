"""Dates as analysts write them: exact, approximate, uncertain, ranges (EDTF).

A plain ISO date (`2025-03-18`) is read directly; anything else (`2025-03-20~`, `2025-03?`,
`2025-03-19/2025-03-27`, `2023-10-07/..`) by the `edtf` package, imported only when needed.
Every date becomes an earliest and a latest possible day; ordering checks use those bounds.
"""

from __future__ import annotations

import calendar
import datetime
import re
import time
from dataclasses import dataclass

from negotiation.errors import NegotiationError


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
    # The two commonest forms, a day and a range of days, are read without the edtf package.
    # An open end (`../2023-10-06`, `2023-10-07/..`) is read here too.
    parts = text.split("/")
    if len(parts) <= 2 and all(_plain_day(part) for part in parts):
        days = [_iso_day(part, text) for part in parts]
        if days[0] > days[-1]:
            raise DateError(f"'{text}' ends before it begins")
        return Date(days[0], days[-1], text)
    if len(parts) == 2 and parts.count("..") == 1 and any(_plain_day(p) for p in parts):
        earliest = None if parts[0] == ".." else _iso_day(parts[0], text)
        latest = None if parts[1] == ".." else _iso_day(parts[1], text)
        return Date(earliest, latest, text)
    unspecified = _unspecified(text)
    if unspecified is not None:
        return unspecified
    return _parse_edtf(text)


_UNSPECIFIED = re.compile(r"(\d{4})-([\dX]{2})(?:-([\dX]{2}))?")


def _unspecified(text: str) -> Date | None:
    """EDTF's unspecified digits in the month or day (`2025-03-2X`, `2025-0X`), which the edtf
    package does not read: the earliest and latest real days the pattern allows."""
    match = _UNSPECIFIED.fullmatch(text)
    if match is None or "X" not in text:
        return None
    year = int(match[1])
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
    return Date(days[0], days[-1], text)


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
        raise DateError(
            f"'{text}' is not a date in EDTF: write 2025-03-18, 2025-03-20~ (approximate), "
            "2025-03? (uncertain) or 2025-03-19/2025-03-27 (a range)"
        ) from None
    if earliest is not None and latest is not None and earliest > latest:
        raise DateError(f"'{text}' ends before it begins")
    return Date(earliest, latest, text)


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
