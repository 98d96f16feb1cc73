"""A scenario: a dated, sourced sequence of events to replay through a model, with its
sources, claims, figures, starting state and expectations (read by `negotiation.scenarios.load`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from negotiation.errors import Location, UsageError, suggest
from negotiation.rules.event_codes import Codes
from negotiation.rules.expressions import Expression
from negotiation.rules.model import Model, Value
from negotiation.scenarios.dates import Date
from negotiation.scenarios.figures import Figure

if TYPE_CHECKING:
    from negotiation.files.schema import OverridesSpec, StartSpec

Stance = Literal["asserted", "disputed", "denied"]


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    date: str | None = None
    url: str | None = None
    reliability: str | None = None
    credibility: int | None = None

    @property
    def grade(self) -> str:
        """The Admiralty grade, as analysts write it (B2), or '' if not graded."""
        return f"{self.reliability or ''}{self.credibility or ''}"


@dataclass(frozen=True)
class Claim:
    """Who says what an event records, from which source, and whether it is contested."""

    by: str
    source: str
    stance: Stance = "asserted"
    says: str = ""
    confidence: str | None = None  # high, medium or low, as the analyst judges


@dataclass(frozen=True)
class Reported:
    """One value a checkpoint reports: a variable's, a derived value's or a region's phase;
    exactly (`value`) or as a figure (a range, each source's value)."""

    name: str
    value: Value | None
    figure: Figure | None = None

    def admits(self, got: Value) -> bool:
        if self.figure is not None:
            return isinstance(got, int) and self.figure.admits(got)
        return got == self.value and type(got) is type(self.value)

    def text(self) -> str:
        if self.figure is not None:
            return self.figure.text()
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return f"{self.value:,}" if isinstance(self.value, int) else str(self.value)


@dataclass(frozen=True)
class Checkpoint:
    """What a source reported at one point of the history: the replay checks it there."""

    source: str
    by: str
    says: str
    values: tuple[Reported, ...]
    confidence: str | None = None


@dataclass(frozen=True)
class ScenarioEvent:
    """One dated entry of a scenario: the model event it fires (if any), with its evidence, and
    what a source reported there (a checkpoint)."""

    id: str
    date: Date | None
    event: str | None
    params: Mapping[str, Value]
    actor: str | None = None
    claims: tuple[Claim, ...] = ()
    derived: str = ""
    note: str = ""
    location: Location | None = field(default=None, compare=False)
    figures: Mapping[str, Figure] = field(default_factory=dict)
    codes: Codes | None = None
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True)
class Expectation:
    """What a replay must end in; a scenario whose expectation fails exits 1."""

    phases: tuple[str, ...]  # each must be its region's phase at the end
    ledger: Mapping[str, Value]
    holds: tuple[Expression, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    model: Model
    sources: Mapping[str, Source]
    start_phases: Mapping[str, str]
    start_date: Date | None
    start_ledger: Mapping[str, Value]
    events: tuple[ScenarioEvent, ...]
    expect: Expectation | None
    path: str = field(default="", compare=False)
    model_reference: str = field(default="", compare=False)
    extends: str | None = None
    diverge_at: str | None = None
    rationale: str = ""
    overrides: tuple[str, ...] = ()
    inherited: int = 0
    # What the file says that the fields above keep only resolved, for writing it back: its
    # `overrides:` as written, and a counterfactual's own `start:` (its base gives the rest).
    rule_overrides: OverridesSpec | None = None
    own_start: StartSpec | None = None
    links: Mapping[str, str] = field(default_factory=dict)  # link group -> what it keeps
    link_descriptions: Mapping[str, str] = field(default_factory=dict)  # link group -> its words

    @property
    def start_phase(self) -> str:
        """The starting phases as one text (the phase itself with one region)."""
        return ", ".join(self.start_phases.values())

    @property
    def own_events(self) -> tuple[ScenarioEvent, ...]:
        """The events this file adds (all of them, unless it extends a base)."""
        return self.events[self.inherited :]

    def figure_sources(self) -> list[str]:
        """The sources that give a value for some figure of this scenario, sorted."""
        return sorted({v.source for e in self.events for f in e.figures.values() for v in f.values})

    def check_trusted_source(self, source: str) -> None:
        """Raise UsageError unless trusting `source` can change a figure of this scenario."""
        if source not in self.sources:
            hint = suggest(source, list(self.sources)) or (
                "; its sources are " + ", ".join(self.sources) if self.sources else ""
            )
            raise UsageError(f"the scenario has no source '{source}'{hint}", "--trusted-source")
        giving = self.figure_sources()
        if source not in giving:
            which = ", ".join(giving) if giving else "none"
            raise UsageError(
                f"'{source}' gives no figure in this scenario, so trusting it changes nothing "
                f"(sources that give figures: {which})",
                "--trusted-source",
            )
