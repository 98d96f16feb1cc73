"""Benchmark: `simulate` on the Gaza model (100,000 runs of 365 days, numpy, one process)
against a plain Python loop per run (the kernel's scalar code, Python's random), both from
the same run; the loop is timed on fewer runs and scaled.

    .venv/bin/python tests/benchmarks/bench_simulate.py [RUNS] [LOOP_RUNS]
"""

from __future__ import annotations

import random
import sys
import time

from negotiation import load_model
from negotiation.analyses.rates import default_rates_path, load_rates
from negotiation.analyses.simulate import simulate
from negotiation.kernel.kernel import Kernel


def python_loop(kernel: Kernel, rates, runs: int, horizon: int, seed: int) -> float:
    """Each run on its own: each day, pick an option by the rates of its phases, fire it."""
    rng = random.Random(seed)
    layout = kernel.layout
    by_phase: dict[str, list] = {}
    for rate in rates.rates:
        by_phase.setdefault(rate.phase, []).append(rate)
    start = time.perf_counter()
    for _ in range(runs):
        state = kernel.initial
        for _day in range(horizon):
            phases = kernel.unpack(state).phases.values() if layout else ()
            options = [r for p in phases for r in by_phase.get(p, ())]
            u = rng.random()
            total = sum(r.per_day for r in options)
            scale = max(1.0, total)
            for rate in options:
                u -= rate.per_day / scale
                if u < 0:
                    params = {}
                    for name, draw in rate.params:
                        if draw.kind == "fixed":
                            params[name] = draw.values[0]
                        elif draw.kind == "uniform":
                            params[name] = rng.randint(*draw.values)
                        else:
                            params[name] = rng.choices(draw.values, draw.weights)[0]
                    result = kernel.step(state, rate.event, kernel.params_for(rate.event, params))
                    if result >= 0:
                        state = result
                    break
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    loop_runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    horizon = 365
    model = load_model("gaza_truce")
    kernel = Kernel.from_model(model)
    rates = load_rates(default_rates_path(model), model)
    simulate(kernel, rates, 2048, 5, 0)  # warm up
    start = time.perf_counter()
    simulate(kernel, rates, runs, horizon, 1)
    arrays = time.perf_counter() - start
    loop = python_loop(kernel, rates, loop_runs, horizon, 1) * runs / loop_runs
    print(
        f"simulate (numpy, one process): {runs:,} runs x {horizon} days in {arrays:.2f} s "
        f"({runs / arrays:,.0f} runs/s)"
    )
    print(
        f"plain Python loop per run:     {loop_runs:,} runs timed, {runs:,} would take "
        f"{loop:.1f} s ({runs / loop:,.0f} runs/s)"
    )
    print(f"speed-up: {loop / arrays:.0f}x")


if __name__ == "__main__":
    main()
