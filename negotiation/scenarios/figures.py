"""Figures: values that sources give differently, or that only a range can state.

A parameter of a scenario entry may be written as a figure: the value the replay uses (`best`),
its range (`low`, `high`), each source's value, and how it was derived. Replays can then trust one
source (`--source`) or try each extreme (`--sensitivity`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import Any

from negotiation.errors import suggest
from negotiation.files import fastspec


@dataclass(frozen=True)
class FigureValue:
    source: str
    by: str
    value: int
    confidence: str | None = None


@dataclass(frozen=True)
class Figure:
    """A reported number that is uncertain or contested: the value used, its range (either end
    may be open: "over 2,000" is `low: 2001`), each source's value, and what it counts."""

    best: int | None
    low: int | None = None
    high: int | None = None
    values: tuple[FigureValue, ...] = ()
    derived: str = ""
    scope: str = ""
    linked: str | None = None

    def admits(self, value: int) -> bool:
        """Whether `value` agrees with the figure: within its range, or its best value."""
        if self.low is None and self.high is None:
            return value == self.best or any(v.value == value for v in self.values)
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def text(self) -> str:
        """The figure as a reader would say it: 58, 1–16, over 2,000, at most 20."""
        if self.low is not None and self.high is not None:
            return f"{self.low:,}–{self.high:,}" if self.low != self.high else f"{self.low:,}"
        if self.low is not None:
            return f"at least {self.low:,}"
        if self.high is not None:
            return f"at most {self.high:,}"
        return f"{self.best:,}" if self.best is not None else "?"

    def extremes(self) -> tuple[int, ...]:
        """The distinct values a sensitivity replay tries: low and high where given."""
        found = set() if self.best is None else {self.best}
        found.update(v for v in (self.low, self.high) if v is not None)
        found.update(v.value for v in self.values)
        return tuple(sorted(found))

    def from_source(self, source: str) -> int | None:
        return next((v.value for v in self.values if v.source == source), None)


def build_figures(
    given: Mapping[str, Any],
    sources: Container[str],
    report: Callable[..., None],
    need_best: bool = True,
    links: Container[str] = (),
) -> dict[str, Figure]:
    """The values of `given` written as figures, checked; `report(message, *keys)` locates
    each problem under the value's key. A parameter's figure needs `best` (the value the replay
    uses); a checkpoint's may give only a range."""
    figures = {}
    for name, value in given.items():
        if not isinstance(value, dict):
            continue
        spec = fastspec.figure(value)
        if isinstance(spec, str):
            report(f"figure '{name}': {spec}", name)
            continue
        if spec.best is None and (need_best or (spec.low is None and spec.high is None)):
            report(f"figure '{name}': give 'best', the value the replay uses", name)
            continue
        if spec.low is not None and spec.high is not None and spec.low > spec.high:
            report(f"figure '{name}': low ({spec.low}) is above high ({spec.high})", name, "low")
        if spec.best is not None:
            low = spec.low if spec.low is not None else spec.best
            high = spec.high if spec.high is not None else spec.best
            if not low <= spec.best <= high:
                report(
                    f"figure '{name}': best ({spec.best}) must lie between low ({low}) "
                    f"and high ({high})",
                    name,
                    "best",
                )
        if spec.linked is not None and spec.linked not in links:
            known = list(links) if isinstance(links, Mapping) else []
            message = f"unknown link '{spec.linked}'" + suggest(spec.linked, known)
            report(message, name, "linked")
        for number, item in enumerate(spec.values):
            if item.source not in sources:
                known = list(sources) if isinstance(sources, Mapping) else []
                message = f"unknown source '{item.source}'" + suggest(item.source, known)
                report(message, name, "values", number, "source")
        values = tuple(FigureValue(v.source, v.by, v.value, v.confidence) for v in spec.values)
        derived = " ".join(spec.derived.split())
        scope = " ".join(spec.scope.split())
        figures[name] = Figure(spec.best, spec.low, spec.high, values, derived, scope, spec.linked)
    return figures
