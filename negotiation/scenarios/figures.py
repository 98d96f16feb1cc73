"""Figures: values that sources give differently, or that only a range can state.

A parameter of a scenario entry may be written as a figure: the value the replay uses (`best`),
its range (`low`, `high`), each source's value, and how it was derived. Replays can then trust one
source (`--source`) or try each extreme (`--sensitivity`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from negotiation.errors import suggest
from negotiation.files.schema import FigureSpec


@dataclass(frozen=True)
class FigureValue:
    source: str
    by: str
    value: int


@dataclass(frozen=True)
class Figure:
    """A parameter whose value is uncertain or contested: the value used, its range, sources."""

    best: int
    low: int | None = None
    high: int | None = None
    values: tuple[FigureValue, ...] = ()
    derived: str = ""

    def extremes(self) -> tuple[int, ...]:
        """The distinct values a sensitivity replay tries: low and high where given."""
        found = {self.best}
        found.update(v for v in (self.low, self.high) if v is not None)
        found.update(v.value for v in self.values)
        return tuple(sorted(found))

    def from_source(self, source: str) -> int | None:
        return next((v.value for v in self.values if v.source == source), None)


def build_figures(
    given: Mapping[str, Any], sources: Container[str], report: Callable[..., None]
) -> dict[str, Figure]:
    """The parameters of `given` written as figures, checked; `report(message, *keys)` locates
    each problem under the parameter's key."""
    figures = {}
    for name, value in given.items():
        if not isinstance(value, dict):
            continue
        try:
            spec = FigureSpec.model_validate(value)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            field_path = ".".join(str(part) for part in first["loc"])
            shown = f"{field_path}: " if field_path else ""
            report(f"figure '{name}': {shown}{first['msg']}", name)
            continue
        low = spec.low if spec.low is not None else spec.best
        high = spec.high if spec.high is not None else spec.best
        if not low <= spec.best <= high:
            report(
                f"figure '{name}': best ({spec.best}) must lie between low ({low}) "
                f"and high ({high})",
                name,
                "best",
            )
        for number, item in enumerate(spec.values):
            if item.source not in sources:
                known = list(sources) if isinstance(sources, Mapping) else []
                message = f"unknown source '{item.source}'" + suggest(item.source, known)
                report(message, name, "values", number, "source")
        values = tuple(FigureValue(v.source, v.by, v.value) for v in spec.values)
        derived = " ".join(spec.derived.split())
        figures[name] = Figure(spec.best, spec.low, spec.high, values, derived)
    return figures
