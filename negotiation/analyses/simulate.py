"""Monte Carlo outcomes under an analyst's rates: every run advances a day at a time, as arrays.

The rule for a day. Each run is in one phase per region. Every rate whose phase is one of the
run's phases is an *option* (an event in that phase, with that phase's parameter distributions);
the run attempts at most one option that day, option `j` with its `per_day` chance, none with
what is left. Where the options of a run's phases add up to more than 1 (two regions' phases
whose chances together exceed one a day), they are scaled to add up to 1. The chosen event is
fired through the kernel's batch form: applied, the run moves; refused or broken, the run stays
where it was (each is counted).

Random numbers. Runs are cut into blocks of BLOCK runs; block `b` draws from its own generator,
`SeedSequence(seed).spawn(n_blocks)[b]`, a fixed number of uniforms per run per day whatever
happens (one to choose the option, one for each parameter that some option draws), for a whole
block even where the last block is short. So a run's numbers depend only on (seed, its block,
its place in the block): never on how blocks are grouped into chunks or spread over workers, and
results are identical for any chunking and any worker count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from negotiation.analyses.rates import Rates
from negotiation.kernel.codegen import APPLIED as APPLIED_CODE
from negotiation.kernel.codegen import BROKEN as BROKEN_CODE
from negotiation.kernel.codegen import REFUSED as REFUSED_CODE
from negotiation.kernel.kernel import Kernel
from negotiation.rules.model import Model

BLOCK = 1024  # runs a generator serves
CHUNK_BLOCKS = 128  # blocks advanced together as one array (any value gives the same results)
WINDOW = 8  # days of uniforms drawn at once per block (any value gives the same results)
Z95 = 1.959963984540054
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Plan:
    """The rates laid out for arrays: the options, and per combination of phases (the phase
    bits of word 0) the cumulative chance of each option."""

    options: tuple[Any, ...]  # Rate
    cumulative: npt.NDArray[np.float64]  # (combinations, options)
    total: npt.NDArray[np.float64]  # (combinations,)
    shift: int  # the lowest phase bit in word 0
    slots: int  # uniforms a run draws a day


def make_plan(kernel: Kernel, rates: Rates) -> Plan:
    layout = kernel.layout
    regions = layout.regions
    if any(field.word != 0 for field in regions):
        raise ValueError("the phases do not fit in the first word")
    shift = min(field.shift for field in regions)
    bits = sum(field.bits for field in regions)
    combos = 1 << bits
    options = rates.rates
    chance = np.zeros((combos, len(options)), dtype=np.float64)
    region_of = {phase.name: phase.region for phase in kernel.model.phases.values()}
    for code in range(combos):
        phases = set()
        for field in regions:
            index = (code << shift >> field.shift) & field.mask
            if index < len(field.values):
                phases.add(field.values[index])
        for j, rate in enumerate(options):
            if rate.phase in phases and region_of.get(rate.phase) is not None:
                chance[code, j] = rate.per_day
    total = chance.sum(axis=1)
    over = total > 1
    chance[over] /= total[over, None]
    total = np.minimum(total, 1.0)
    slots = 1 + max((rate.random_params for rate in options), default=0)
    return Plan(options, np.cumsum(chance, axis=1), total, shift, slots)


@dataclass
class Chunk:
    """What a chunk of runs ends with: its final states, the day each run first reached each
    phase (-1: never), and per event how often it was applied, refused, broken."""

    words: list[npt.NDArray[np.uint64]]
    first: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int64]  # (events, 3)


_KERNELS: dict[str, Kernel] = {}


def kernel_for(source: str) -> Kernel:
    """The kernel of a model by name or path, compiled once per process."""
    if source not in _KERNELS:
        from negotiation.rules.load import load_model

        _KERNELS[source] = Kernel.from_model(load_model(source))
    return _KERNELS[source]


def run_chunk(
    kernel: Kernel | str,
    rates: Rates,
    start: int,
    horizon: int,
    seed: int,
    n_blocks: int,
    blocks: Sequence[int],
    runs: int,
) -> Chunk:
    """Advance the runs of `blocks` (consecutive) for `horizon` days from the packed `start`."""
    if isinstance(kernel, str):
        kernel = kernel_for(kernel)
    layout = kernel.layout
    plan = make_plan(kernel, rates)
    sizes = [min(BLOCK, runs - b * BLOCK) for b in blocks]
    n = sum(sizes)
    seeds = np.random.SeedSequence(seed).spawn(n_blocks)
    generators = [np.random.Generator(np.random.PCG64(seeds[b])) for b in blocks]
    start_words = layout.word_columns(layout.to_array([start]))
    words = [np.full(n, column[0], dtype=np.uint64) for column in start_words]
    phase_index = _phase_index(kernel)
    first = np.full((n, phase_index.size_total), -1, dtype=np.int32)
    for column in phase_index.columns(words[0], plan.shift):
        first[np.arange(n), column] = 0
    counts = np.zeros((len(kernel.event_names), 3), dtype=np.int64)
    event_number = {name: i for i, name in enumerate(kernel.event_names)}
    shift = np.uint64(plan.shift)
    # the draws of WINDOW days, day first, so that a day's draws for every run are one view
    buffer = np.empty((WINDOW, len(blocks), BLOCK, plan.slots), dtype=np.float64)
    drawn = np.empty((WINDOW, BLOCK, plan.slots), dtype=np.float64)
    # (the blocks are consecutive, so only the last can be short: the runs are the first n)
    # each run's phases (as `make_plan` numbers them) and its chance of an event a day, kept
    # up to date as events apply
    combo = (words[0] >> shift).astype(np.intp)
    chance = plan.total[combo]
    for day in range(1, horizon + 1):
        offset = (day - 1) % WINDOW
        if offset == 0:
            for i, generator in enumerate(generators):
                generator.random(out=drawn)  # each block's stream, in the same order
                buffer[:, i] = drawn
        uniforms = buffer[offset].reshape(-1, plan.slots)[:n]  # a view
        u = uniforms[:, 0]
        active = np.flatnonzero(u < chance)
        if active.size == 0 or not plan.options:
            continue
        choice = _choices(plan.cumulative, combo[active], u[active])
        order = np.argsort(choice, kind="stable")
        chosen = choice[order]
        bounds = np.flatnonzero(np.diff(chosen)) + 1
        for group in np.split(order, bounds):
            j = int(choice[group[0]])
            rows = active[group]
            rate = plan.options[j]
            status = _fire(kernel, words, rows, rate, uniforms)
            e = event_number[rate.event]
            applied = rows[status == APPLIED_CODE]
            counts[e, 0] += applied.size
            counts[e, 1] += int(np.count_nonzero(status == REFUSED_CODE))
            counts[e, 2] += int(np.count_nonzero(status == BROKEN_CODE))
            if applied.size:
                now = (words[0][applied] >> shift).astype(np.intp)
                moved = applied[now != combo[applied]]  # the runs whose phases changed
                combo[applied] = now
                chance[applied] = plan.total[now]
                for column in phase_index.columns(words[0][moved], plan.shift):
                    seen = first[moved, column]
                    first[moved, column] = np.where(seen < 0, day, seen)
    return Chunk(words, first, counts)


def _choices(
    cumulative: npt.NDArray[np.float64],
    combos: npt.NDArray[np.intp],
    u: npt.NDArray[np.float64],
) -> npt.NDArray[np.intp]:
    """For each run, the number of its phases' options whose cumulative chance is at most its
    draw `u` (the option it takes): a binary search in its row of `cumulative`, a group of
    runs in the same phases at a time (exactly `(cumulative[combos] <= u).sum(axis=1)`, without
    the runs-by-options matrix)."""
    choice = np.empty(u.size, dtype=np.intp)
    order = np.argsort(combos, kind="stable")
    ordered = combos[order]
    starts = np.flatnonzero(np.diff(ordered)) + 1
    for group in np.split(order, starts):
        if group.size:
            row = cumulative[combos[group[0]]]
            choice[group] = np.searchsorted(row, u[group], side="right")
    return choice


def _fire(
    kernel: Kernel,
    words: list[npt.NDArray[np.uint64]],
    rows: npt.NDArray[np.intp],
    rate: Any,
    uniforms: npt.NDArray[np.float64],
) -> npt.NDArray[np.int8]:
    """Fire `rate`'s event on `rows` (drawing its parameters), writing the next states back.

    The array form takes parameters as arrays, one value per run: ints and bools as they are,
    an enum as its values' codes (each one's index among the values, sorted)."""
    params: dict[str, Any] = {}
    enums: list[tuple[str, tuple[Any, ...], npt.NDArray[np.intp]]] = []
    slot = 1
    definition = kernel.model.events[rate.event]
    for name, draw in rate.params:
        if draw.kind == "fixed":
            params[name] = draw.values[0]
            continue
        u = uniforms[rows, slot]
        slot += 1
        if draw.kind == "uniform":
            low, high = draw.values
            params[name] = np.minimum(low + (u * (high - low + 1)).astype(np.int64), high)
            continue
        picks = np.searchsorted(np.cumsum(draw.weights), u, side="right")
        picks = np.minimum(picks, len(draw.values) - 1)
        kind = definition.params[name].type.kind
        if kind == "int":
            params[name] = np.array(draw.values, dtype=np.int64)[picks]
        elif kind == "bool":
            params[name] = np.array(draw.values, dtype=bool)[picks]
        else:
            enums.append((name, draw.values, picks))
    batch = kernel._batch.get(rate.event)  # the array form (it takes arrays of parameters)
    if batch is None:
        return _fire_by_rows(kernel, words, rows, rate.event, params, enums)
    for name, values, picks in enums:  # as arrays of codes: each value's index, sorted
        space = sorted(definition.params[name].type.values or ())
        params[name] = np.array([space.index(v) for v in values], dtype=np.int64)[picks]
    return _fire_rows(batch, words, rows, params)


def _fire_rows(
    batch: Callable[..., Any],
    words: list[npt.NDArray[np.uint64]],
    rows: npt.NDArray[np.intp],
    params: dict[str, Any],
) -> npt.NDArray[np.int8]:
    following, status, _ = batch([w[rows] for w in words], params)
    for w, column in zip(words, following, strict=True):
        w[rows] = column
    return np.asarray(status, dtype=np.int8)


def _fire_by_rows(
    kernel: Kernel,
    words: list[npt.NDArray[np.uint64]],
    rows: npt.NDArray[np.intp],
    event: str,
    params: dict[str, Any],
    enums: list[tuple[str, tuple[Any, ...], npt.NDArray[np.intp]]],
) -> npt.NDArray[np.int8]:
    """An event the array form leaves to the scalar code: one call per distinct parameter
    combination, through the checked public form."""
    columns = {
        n: np.broadcast_to(np.asarray(v, dtype=object), rows.shape) for n, v in params.items()
    }
    for name, values, picks in enums:
        columns[name] = np.array(values, dtype=object)[picks]
    combos: dict[tuple[Any, ...], list[int]] = {}
    for i in range(rows.size):
        combos.setdefault(tuple(_plain(c[i]) for c in columns.values()), []).append(i)
    status = np.empty(rows.size, dtype=np.int8)
    for values, where in combos.items():
        picked = np.array(where, dtype=np.intp)
        chosen = dict(zip(columns, values, strict=True))
        sub = [w[rows[picked]] for w in words]
        following, part, _ = kernel.step_columns(sub, event, chosen)
        for w, column in zip(words, following, strict=True):
            w[rows[picked]] = column
        status[picked] = part
    return status


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class PhaseIndex:
    """Each region's phases numbered one after another (region by region, in model order)."""

    fields: tuple[Any, ...]
    offsets: tuple[int, ...]
    size_total: int

    def columns(self, word0: npt.NDArray[np.uint64], _: int) -> Iterable[npt.NDArray[np.intp]]:
        for field, offset in zip(self.fields, self.offsets, strict=True):
            codes = (word0 >> np.uint64(field.shift)) & np.uint64(field.mask)
            yield codes.astype(np.intp) + offset


def _phase_index(kernel: Kernel) -> PhaseIndex:
    offsets, total = [], 0
    for field in kernel.layout.regions:
        offsets.append(total)
        total += len(field.values)
    return PhaseIndex(kernel.layout.regions, tuple(offsets), total)


@dataclass(frozen=True)
class Simulation:
    """A simulation's results: everything a renderer shows."""

    model: str
    runs: int
    horizon: int
    seed: int
    block: int
    numpy: str
    start: dict[str, Any] | None
    rates: str
    at_horizon: dict[str, dict[str, int]]  # region -> phase -> runs there at the horizon
    reached: dict[str, dict[str, dict[str, Any]]]  # region -> phase -> runs, p, interval, days
    ledger: dict[str, dict[str, Any]]
    events: dict[str, dict[str, int]]


def simulate(
    kernel: Kernel,
    rates: Rates,
    runs: int,
    horizon: int,
    seed: int,
    start: int | None = None,
    workers: int = 1,
    model_source: str | None = None,
    chunk_blocks: int = CHUNK_BLOCKS,
    progress: Progress | None = None,
    executor: Executor | None = None,
    start_info: dict[str, Any] | None = None,
) -> Simulation:
    """Run `runs` histories of `horizon` days from `start` (packed; the model's start if None).

    With `workers` > 1, chunks go to that many local processes; with an `executor` (a Dask
    cluster's, say), to it, cut into about `workers` chunks. Either way each compiles the model
    from `model_source` (its name or path) itself, and the results are merged in block order:
    the same bytes as in one process.
    """
    if runs < 1 or horizon < 0:
        raise ValueError("runs must be at least 1 and the horizon at least 0 days")
    packed = kernel.initial if start is None else start
    n_blocks = math.ceil(runs / BLOCK)
    step = max(1, chunk_blocks)
    if workers > 1 or executor is not None:
        step = max(1, min(step, math.ceil(n_blocks / max(workers, 1))))
    chunks = [list(range(b, min(b + step, n_blocks))) for b in range(0, n_blocks, step)]
    results: list[Chunk | None] = [None] * len(chunks)
    if executor is not None or (workers > 1 and len(chunks) > 1):
        if model_source is None:
            raise ValueError("workers need the model's name or path (model_source)")
        own = executor is None
        pool = executor if executor is not None else ProcessPoolExecutor(max_workers=workers)
        try:
            futures = {
                pool.submit(
                    run_chunk, model_source, rates, packed, horizon, seed, n_blocks, c, runs
                ): i
                for i, c in enumerate(chunks)
            }
            from concurrent.futures import as_completed

            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                if progress is not None:
                    progress(_chunk_runs(chunks[index], runs))
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
    else:
        for index, chunk in enumerate(chunks):
            results[index] = run_chunk(kernel, rates, packed, horizon, seed, n_blocks, chunk, runs)
            if progress is not None:
                progress(_chunk_runs(chunk, runs))
    done = [r for r in results if r is not None]
    return summarize(kernel, rates, runs, horizon, seed, done, start_info)


def _chunk_runs(blocks: Sequence[int], runs: int) -> int:
    return sum(min(BLOCK, runs - b * BLOCK) for b in blocks)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, center - half), min(1.0, center + half))


def _round(value: float) -> float:
    return round(float(value), 6)


def summarize(
    kernel: Kernel,
    rates: Rates,
    runs: int,
    horizon: int,
    seed: int,
    chunks: Sequence[Chunk],
    start_info: dict[str, Any] | None = None,
) -> Simulation:
    layout = kernel.layout
    words = [np.concatenate([c.words[w] for c in chunks]) for w in range(layout.words)]
    first = np.concatenate([c.first for c in chunks])
    counts = np.sum([c.counts for c in chunks], axis=0)
    index = _phase_index(kernel)
    columns = layout.unpack_columns(layout.join_columns(words))
    at_horizon: dict[str, dict[str, int]] = {}
    reached: dict[str, dict[str, dict[str, Any]]] = {}
    for field, offset in zip(index.fields, index.offsets, strict=True):
        codes = columns[field.name]
        at_horizon[field.name] = {
            phase: int(np.count_nonzero(codes == i)) for i, phase in enumerate(field.values)
        }
        reached[field.name] = {}
        for i, phase in enumerate(field.values):
            days = first[:, offset + i]
            days = days[days >= 0]
            k = int(days.size)
            low, high = wilson(k, runs)
            quantiles = (
                {f"p{q}": int(np.percentile(days, q, method="inverted_cdf")) for q in (10, 50, 90)}
                if k
                else None
            )
            reached[field.name][phase] = {
                "runs": k,
                "probability": _round(k / runs),
                "low": _round(low),
                "high": _round(high),
                "days": quantiles,
            }
    ledger: dict[str, dict[str, Any]] = {}
    for field in layout.variables:
        column = columns[field.name]
        if field.kind == "int":
            p10, p50, p90 = (
                int(np.percentile(column, q, method="inverted_cdf")) for q in (10, 50, 90)
            )
            ledger[field.name] = {
                "min": int(column.min()),
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "max": int(column.max()),
                "mean": _round(column.mean()),
            }
        elif field.kind == "bool":
            ledger[field.name] = {"true": _round(np.count_nonzero(column) / runs)}
    events = {
        name: {"applied": int(a), "refused": int(r), "broken": int(b)}
        for name, (a, r, b) in zip(kernel.event_names, counts.tolist(), strict=True)
        if a or r or b
    }
    return Simulation(
        model=kernel.model.name,
        runs=runs,
        horizon=horizon,
        seed=seed,
        block=BLOCK,
        numpy=np.__version__,
        start=start_info,
        rates=rates.path,
        at_horizon=at_horizon,
        reached=reached,
        ledger=ledger,
        events=events,
    )


def model_of(model: Model) -> str:
    """The name or path a process loads `model` from again."""
    prefix = "<builtin>/"
    if model.path.startswith(prefix):
        return model.path[len(prefix) :].removesuffix(".yaml")
    return model.path
