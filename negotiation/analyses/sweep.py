"""Sweeps: `simulate` over a grid or a sample of rate assumptions, and which rate moves the odds
of each phase most.

A sweep file names the rates to vary (each an event's chance per day in a phase, which the
rates file must already give) and the values each takes:

    model: gaza_truce          # optional; checked against the model when given
    samples: 20                # optional: a random sample of 20 points (drawn with --seed)
                               #   instead of the whole grid
    vary:
      - phase: phase_one
        event: phase_two_begins
        values: [0.003, 0.006, 0.012]   # these values
      - phase: no_deal
        event: deal_announced
        low: 0.005                      # or a range: the grid takes `steps` evenly spaced
        high: 0.02                      #   values from low to high (2 if not given); a
        steps: 4                        #   sample draws uniformly between them

Every point runs the same simulation, with the same seed (so points differ only by their
rates, not by luck), and a phase's *swing* for a rate is how much its chance of being reached
within the horizon changes as that rate goes from its lowest to its highest value, the other
rates held: the slope of a least-squares plane through the points, times the rate's range. On a
full grid that is the rate's main effect. The grid has at most MAX_POINTS points; every problem
in the file is reported at its place (`file:line:col: message`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from negotiation.analyses.rates import Rates
from negotiation.analyses.simulate import BLOCK, Progress, Simulation, simulate
from negotiation.errors import FileError, Problem, printable, suggest
from negotiation.files.yamlfile import Document, Key, read_document
from negotiation.kernel.kernel import Kernel
from negotiation.rules.model import Model

MAX_POINTS = 1000  # simulations in one sweep
MAX_VARIED = 12  # rates varied in one sweep
ENTRY_FIELDS = ("phase", "event", "values", "low", "high", "steps")
FIELDS = ("model", "samples", "vary")
SAMPLE_KEY = 0x5EED  # the sample's generator: SeedSequence([seed, SAMPLE_KEY]), apart from runs'


@dataclass(frozen=True)
class Varied:
    """One rate varied: listed `values`, or the range `low`..`high` (`steps` values in a grid)."""

    phase: str
    event: str
    values: tuple[float, ...] = ()
    low: float = 0.0
    high: float = 0.0
    steps: int = 2

    def grid(self) -> tuple[float, ...]:
        if self.values:
            return self.values
        if self.steps == 1:
            return (self.low,)
        return tuple(
            _clean(self.low + (self.high - self.low) * i / (self.steps - 1))
            for i in range(self.steps)
        )

    def describe(self) -> dict[str, Any]:
        if self.values:
            return {"phase": self.phase, "event": self.event, "values": list(self.values)}
        return {
            "phase": self.phase,
            "event": self.event,
            "low": self.low,
            "high": self.high,
            "steps": self.steps,
        }


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file."""

    path: str
    varied: tuple[Varied, ...]
    samples: int | None = None

    def points(self, seed: int) -> list[tuple[float, ...]]:
        """The rates of every point, in the order they run (the grid's last rate fastest)."""
        if self.samples is None:
            return [tuple(p) for p in _product([v.grid() for v in self.varied])]
        generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, SAMPLE_KEY])))
        uniforms = generator.random((self.samples, len(self.varied)))
        points = []
        for row in uniforms:
            point = []
            for v, u in zip(self.varied, row.tolist(), strict=True):
                if v.values:
                    point.append(v.values[min(int(u * len(v.values)), len(v.values) - 1)])
                else:
                    point.append(round(v.low + (v.high - v.low) * u, 6))
            points.append(tuple(point))
        return points


def _product(lists: list[tuple[float, ...]]) -> list[list[float]]:
    result: list[list[float]] = [[]]
    for values in lists:
        result = [[*point, value] for point in result for value in values]
    return result


def _clean(value: float) -> float:
    """A computed grid value without float noise (0.015, not 0.015000000000000001)."""
    return round(value, 12)


def load_sweep(path: str | Path, model: Model, rates: Rates) -> Sweep:
    """Read and check a sweep file against `model` and the `rates` it varies."""
    return check_sweep(read_document(path), model, rates)


def check_sweep(document: Document, model: Model, rates: Rates) -> Sweep:
    problems: list[Problem] = []

    def problem(message: str, *keys: Key, on_key: bool = False) -> None:
        problems.append(Problem(document.locate(*keys, on_key=on_key), message))

    data = document.data
    if data is None:
        raise FileError([Problem(document.locate(), "file is empty (it holds only comments)")])
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise FileError([Problem(document.locate(), f"expected a mapping of fields, got {kind}")])
    for key in data:
        if key not in FIELDS:
            problem(f"unknown field '{key}'" + suggest(str(key), list(FIELDS)), key, on_key=True)
    named = data.get("model")
    if named is not None and named != model.name:
        problem(f"this sweep is for model '{named}', not '{model.name}'", "model")
    samples = data.get("samples")
    if samples is not None and (
        isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_POINTS
    ):
        problem(f"'samples' must be a whole number from 1 to {MAX_POINTS:,}", "samples")
        samples = None
    entries = data.get("vary")
    if not isinstance(entries, list) or not entries:
        problem("'vary' must be a list of the rates to vary (phase, event, values)", "vary")
        raise FileError(problems)
    if len(entries) > MAX_VARIED:
        problem(f"{len(entries)} rates varied; at most {MAX_VARIED}", "vary", on_key=True)
        raise FileError(problems)
    given = {(r.phase, r.event): r.per_day for r in rates.rates}
    varied: list[Varied] = []
    where: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        one = _entry(entry, index, model, rates, given, problem)
        if one is None:
            continue
        key = (one.phase, one.event)
        if key in where:
            problem(
                f"'{one.event}' in phase '{one.phase}' is varied twice (also entry "
                f"{where[key] + 1})",
                "vary",
                index,
                "event",
            )
            continue
        where[key] = index
        varied.append(one)
    if problems:
        raise FileError(problems)
    # the chances of a phase must still add up to at most 1 at the highest values
    for phase in dict.fromkeys(v.phase for v in varied):
        mine = [v for v in varied if v.phase == phase]
        fixed = sum(p for (ph, ev), p in given.items() if ph == phase and (ph, ev) not in where)
        top = fixed + sum(max(v.values) if v.values else v.high for v in mine)
        if top > 1 + 1e-9:
            last = where[(mine[-1].phase, mine[-1].event)]
            top_key = "values" if mine[-1].values else "high"
            problem(
                f"at the highest values varied, the chances in phase '{phase}' add up to "
                f"{top:g} a day; at most one event happens a day, so they must add up to at most 1",
                "vary",
                last,
                top_key,
            )
    count = samples if samples is not None else math.prod(len(v.grid()) for v in varied)
    if samples is None and count > MAX_POINTS:
        sizes = " × ".join(str(len(v.grid())) for v in varied)
        problem(
            f"the grid has {count:,} points ({sizes}); at most {MAX_POINTS:,}: vary fewer "
            "values, or give 'samples'",
            "vary",
            on_key=True,
        )
    if problems:
        raise FileError(problems)
    return Sweep(document.path, tuple(varied), samples)


def _entry(
    entry: Any,
    index: int,
    model: Model,
    rates: Rates,
    given: dict[tuple[str, str], float],
    problem: Callable[..., None],
) -> Varied | None:
    """One `vary` entry, checked, or None (with its problems said)."""
    at: tuple[Key, ...] = ("vary", index)
    if not isinstance(entry, dict):
        problem("each entry of 'vary' is a mapping: phase, event, and values or low/high", *at)
        return None
    bad = False
    for key in entry:
        if key not in ENTRY_FIELDS:
            problem(
                f"unknown field '{key}'" + suggest(str(key), list(ENTRY_FIELDS)),
                *at,
                key,
                on_key=True,
            )
            bad = True
    phase, event = entry.get("phase"), entry.get("event")
    if not isinstance(phase, str) or phase not in model.phases:
        shown = printable(str(phase))
        problem(f"unknown phase '{shown}'" + suggest(str(phase), list(model.phases)), *at, "phase")
        return None
    if not isinstance(event, str) or event not in model.events:
        shown = printable(str(event))
        problem(f"unknown event '{shown}'" + suggest(str(event), list(model.events)), *at, "event")
        return None
    if (phase, event) not in given:
        problem(
            f"the rates file ({printable(rates.path)}) gives no chance for '{event}' in phase "
            f"'{phase}': add it there to vary it",
            *at,
            "event",
        )
        return None
    has_values = "values" in entry
    has_range = "low" in entry or "high" in entry
    if has_values == has_range:
        problem("give either 'values' or 'low' and 'high'", *at, on_key=False)
        return None
    if has_values:
        values = entry["values"]
        if not isinstance(values, list) or not values or len(values) > MAX_POINTS:
            problem(f"'values' must be a list of 1 to {MAX_POINTS:,} chances", *at, "values")
            return None
        for i, value in enumerate(values):
            if not _chance(value):
                problem(f"a chance per day is from 0 to 1 (got {value!r})", *at, "values", i)
                bad = True
        if len(set(values)) != len(values):
            problem("'values' lists a value twice", *at, "values")
            bad = True
        if "steps" in entry:
            problem("'steps' goes with 'low' and 'high', not with 'values'", *at, "steps")
            bad = True
        return None if bad else Varied(phase, event, values=tuple(float(v) for v in values))
    for name in ("low", "high"):
        if name not in entry:
            problem(f"'{name}' is missing: a range needs both 'low' and 'high'", *at)
            return None
        if not _chance(entry[name]):
            problem(f"'{name}' must be a chance per day, from 0 to 1", *at, name)
            bad = True
    steps = entry.get("steps", 2)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_POINTS:
        problem(f"'steps' must be a whole number from 1 to {MAX_POINTS:,}", *at, "steps")
        bad = True
    if bad:
        return None
    low, high = float(entry["low"]), float(entry["high"])
    if low > high:
        problem(f"'low' must be at most 'high' (got {low:g} > {high:g})", *at, "low")
        return None
    return Varied(phase, event, low=low, high=high, steps=steps)


def _chance(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not math.isnan(value)
        and 0 <= value <= 1
    )


def with_rates(rates: Rates, varied: tuple[Varied, ...], point: tuple[float, ...]) -> Rates:
    """`rates` with the varied ones at `point`'s values."""
    chosen = {(v.phase, v.event): value for v, value in zip(varied, point, strict=True)}
    return Rates(
        rates.path,
        tuple(
            dataclasses.replace(r, per_day=chosen[(r.phase, r.event)])
            if (r.phase, r.event) in chosen
            else r
            for r in rates.rates
        ),
    )


@dataclass(frozen=True)
class SweepResult:
    """What a sweep found: each point's chances of reaching each phase, and per phase how much
    each varied rate moves it (`swings`, in the order of `varied`) and which most."""

    model: str
    sweep: str
    rates: str
    mode: str  # "grid" or "sample"
    runs: int
    horizon: int
    seed: int
    block: int
    numpy: str
    start: dict[str, Any] | None
    varied: list[dict[str, Any]]
    points: list[dict[str, Any]]  # {"rates": [...], "reached": {region: {phase: p}}}
    phases: dict[str, dict[str, dict[str, Any]]]


def run_sweep(
    kernel: Kernel,
    rates: Rates,
    sweep: Sweep,
    runs: int,
    horizon: int,
    seed: int,
    start: int | None = None,
    workers: int = 1,
    model_source: str | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    start_info: dict[str, Any] | None = None,
) -> SweepResult:
    """Simulate every point of `sweep` with the same seed, and find which rate moves what."""
    points = sweep.points(seed)
    own = executor is None and workers > 1
    pool = ProcessPoolExecutor(max_workers=workers) if own else executor
    results: list[Simulation] = []
    try:
        for point in points:
            results.append(
                simulate(
                    kernel,
                    with_rates(rates, sweep.varied, point),
                    runs=runs,
                    horizon=horizon,
                    seed=seed,
                    start=start,
                    workers=workers,
                    model_source=model_source,
                    progress=progress,
                    executor=pool,
                    start_info=start_info,
                )
            )
    finally:
        if own and pool is not None:
            pool.shutdown(cancel_futures=True)
    return summarize_sweep(kernel, rates, sweep, points, results, start_info)


def summarize_sweep(
    kernel: Kernel,
    rates: Rates,
    sweep: Sweep,
    points: list[tuple[float, ...]],
    results: list[Simulation],
    start_info: dict[str, Any] | None,
) -> SweepResult:
    first = results[0]
    x = np.array(points, dtype=np.float64).reshape(len(points), len(sweep.varied))
    design = np.hstack([np.ones((len(points), 1)), x])
    spans = x.max(axis=0) - x.min(axis=0)
    phases: dict[str, dict[str, dict[str, Any]]] = {}
    for region, reached in first.reached.items():
        phases[region] = {}
        for phase in reached:
            chances = np.array([r.reached[region][phase]["probability"] for r in results])
            halves = [
                (r.reached[region][phase]["high"] - r.reached[region][phase]["low"]) / 2
                for r in results
            ]
            if len(points) > 1 and np.ptp(chances) > 0:
                coefficients = np.linalg.lstsq(design, chances, rcond=None)[0]
                swings = [_round(c * s) for c, s in zip(coefficients[1:], spans, strict=True)]
            else:
                swings = [0.0] * len(sweep.varied)
            largest = max(range(len(swings)), key=lambda i: abs(swings[i]))
            phases[region][phase] = {
                "lowest": _round(chances.min()),
                "highest": _round(chances.max()),
                "swings": swings,
                "most": largest if abs(swings[largest]) > 0 else None,
                "noise": _round(sum(halves) / len(halves)),
            }
    return SweepResult(
        model=kernel.model.name,
        sweep=sweep.path,
        rates=rates.path,
        mode="grid" if sweep.samples is None else "sample",
        runs=first.runs,
        horizon=first.horizon,
        seed=first.seed,
        block=BLOCK,
        numpy=np.__version__,
        start=start_info,
        varied=[v.describe() for v in sweep.varied],
        points=[
            {
                "rates": list(point),
                "reached": {
                    region: {phase: r["probability"] for phase, r in reached.items()}
                    for region, reached in result.reached.items()
                },
            }
            for point, result in zip(points, results, strict=True)
        ],
        phases=phases,
    )


def _round(value: float) -> float:
    rounded = round(float(value), 6)
    return 0.0 if rounded == 0 else rounded  # never -0.0
