"""Guarded transitions a second on the Gaza model: the kernel's scalar code and its numpy batch
form, against a bare `transitions` Machine firing the same events and the project's Machine,
all from the same run.

The workload is a seeded random walk from the model's start (mostly events enabled where they
are drawn, with small parameters, back to the start every 50 steps): every attempt counts,
applied, refused or broken, as each judges the event's phases and guards. The Machine and the
scalar kernel walk it step by step; the bare transitions Machine fires the same events with no
guard and no ledger. The batch form fires the walk's most common (event, parameters) pairs,
each over an array of the states the walk reached, repeated to `--rows` rows.

    python tests/benchmarks/bench_kernel.py --steps 20000 --rows 1000000
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from transitions import Machine as TransitionsMachine

from negotiation import Machine, load_model
from negotiation.kernel.kernel import Kernel
from negotiation.rules.model import Event, Model


def draw_params(event: Event, rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, param in event.params.items():
        if param.type.kind == "bool":
            params[name] = rng.random() < 0.5
        elif param.type.kind == "enum":
            params[name] = rng.choice(sorted(param.type.values or ()))
        else:
            assert param.min is not None and param.max is not None
            params[name] = rng.randint(param.min, min(param.max, param.min + 5))
    return params


def workload(model: Model, steps: int, seed: int) -> list[tuple[str, dict[str, Any]] | None]:
    """The walk: (event, params) per attempt, None where it goes back to the start."""
    rng = random.Random(seed)
    machine = Machine(model)
    start = machine.state
    walk: list[tuple[str, dict[str, Any]] | None] = []
    names = list(model.events)
    for index in range(steps):
        if index % 50 == 0:
            machine.load(start)
            walk.append(None)
        enabled = machine.enabled()
        name = rng.choice(enabled) if enabled and rng.random() < 0.8 else rng.choice(names)
        params = draw_params(model.events[name], rng)
        machine.attempt(name, params)
        walk.append((name, params))
    return walk


def timed(function: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="attempts in the walk")
    parser.add_argument("--rows", type=int, default=1_000_000, help="states in each batch")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    model = load_model("gaza_truce")
    began = time.perf_counter()
    kernel = Kernel.from_model(model)
    generated = time.perf_counter() - began
    walk = workload(model, args.steps, args.seed)
    attempts = [step for step in walk if step is not None]
    count = len(attempts)

    # the project's Machine
    machine = Machine(model)
    start_state = machine.state

    def run_machine() -> None:
        for step in walk:
            if step is None:
                machine.load(start_state)
            else:
                machine.attempt(*step)

    # the scalar kernel, on the same walk (its functions and full parameters looked up first)
    full = [None if s is None else (kernel.scalar[s[0]], kernel.params_for(*s)) for s in walk]
    start = kernel.initial
    statuses: Counter[str] = Counter()

    def run_scalar() -> None:
        x = start
        for step in full:
            if step is None:
                x = start
                continue
            result = step[0](x, step[1])
            if result >= 0:
                x = result

    x = start
    for step in full:
        if step is None:
            x = start
            continue
        result = step[0](x, step[1])
        statuses["applied" if result >= 0 else kernel.rules[-1 - result][0]] += 1
        x = result if result >= 0 else x

    # a bare transitions Machine over the deal's phases, every event a transition from every
    # phase to its phase there (or staying), no guard, no ledger
    class Holder:
        state: str
        trigger: Callable[[str], bool]

    deal = model.regions["deal"]
    holder = Holder()
    bare = TransitionsMachine(
        model=holder, states=list(deal.phases), initial=deal.initial, auto_transitions=False
    )
    for event in model.events.values():
        target = next((p for p in event.to if model.phases[p].region == "deal"), None)
        bare.add_transition(event.name, "*", target or "=")
    names = [step[0] for step in attempts]

    def run_bare() -> None:
        trigger = holder.trigger
        for name in names:
            trigger(name)

    # a hand-written dict-lookup machine: (deal phase, event) -> next deal phase, no guard,
    # no ledger; the least a table-driven machine can cost per event
    table = {
        (phase, event.name): next((p for p in event.to if model.phases[p].region == "deal"), phase)
        for phase in deal.phases
        for event in model.events.values()
    }

    def run_dict() -> None:
        phase = deal.initial
        lookup = table.get
        for name in names:
            phase = lookup((phase, name), phase)

    dict_seconds = timed(run_dict)
    scalar_seconds = timed(run_scalar)
    machine_seconds = timed(run_machine, 1)
    bare_seconds = timed(run_bare, 1)

    # the batch form: the walk's most common (event, params) over every state it reached
    reached: set[int] = set()
    x = start
    for step in full:
        if step is None:
            x = start
        else:
            result = step[0](x, step[1])
            x = result if result >= 0 else x
        reached.add(x)
    base = kernel.layout.to_array(sorted(reached))
    array = np.resize(base, (args.rows, kernel.layout.words))
    columns = kernel.layout.word_columns(array)
    pairs = Counter((name, tuple(sorted(params.items()))) for name, params in attempts)
    chosen = [(name, dict(params)) for (name, params), _ in pairs.most_common(20)]
    column_seconds = []
    array_seconds = []
    applied_rows = 0
    for name, params in chosen:
        column_seconds.append(timed(lambda n=name, p=params: kernel.step_columns(columns, n, p)))
        array_seconds.append(timed(lambda n=name, p=params: kernel.step_batch(array, n, p), 1))
        applied_rows += int((kernel.step_columns(columns, name, params)[1] == 0).sum())
    rows = args.rows * len(chosen)

    def rate(n: int, seconds: float) -> str:
        return f"{n / seconds:,.0f}"

    share = ", ".join(f"{statuses[k] / count:.0%} {k}" for k in ("applied", "refused", "broken"))
    print(
        f"| measurement | transitions a second |  (Gaza model: {kernel.layout.bits} bits in "
        f"{kernel.layout.words} words; walk of {count:,} attempts: {share}; "
        f"batch of {args.rows:,} rows x {len(chosen)} events, "
        f"{applied_rows / rows:.0%} applied; generated in {generated * 1000:.0f} ms)"
    )
    print("| --- | ---: |")
    print(f"| kernel, scalar Python | {rate(count, scalar_seconds)} |")
    print(f"| kernel, numpy batch (word columns) | {rate(rows, sum(column_seconds))} |")
    print(f"| kernel, numpy batch (2-D array in and out) | {rate(rows, sum(array_seconds))} |")
    print(f"| project's Machine.attempt (baseline) | {rate(count, machine_seconds)} |")
    print(f"| bare transitions Machine, no guard (baseline) | {rate(count, bare_seconds)} |")
    print(
        f"| hand-written dict-lookup machine, no guard (baseline) | {rate(count, dict_seconds)} |"
    )


if __name__ == "__main__":
    main()
