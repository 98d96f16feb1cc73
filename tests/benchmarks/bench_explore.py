"""Exploration on the Gaza model: distinct states a second and stored bytes a state, the
project's explorer (`negotiation.analyses.explore`, the kernel's scalar code, states as packed
ints) against a plain Python breadth-first search over the same model and parameter domains
(the project's Machine judging each step, states as (phases, ledger) tuples in a set), both
from the same run. Both stop at a number of states (the Gaza model's counts make its whole
space far larger); bytes a state is the growth of the process's peak memory over the states
kept, so it counts the visited set, the frontier and what each state points to.

    python tests/benchmarks/bench_explore.py --states 1000000 --baseline-states 20000
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from collections.abc import Callable
from typing import Any

from negotiation import Machine, load_model
from negotiation.analyses.explore import _param_sets, domains, explore
from negotiation.semantics.outcomes import Applied, State


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def measured(function: Callable[[], int]) -> tuple[int, float, float]:
    """(states, seconds, bytes a state) of one search, memory from the peak's growth."""
    gc.collect()
    before = peak_bytes()
    began = time.perf_counter()
    states = function()
    seconds = time.perf_counter() - began
    grown = max(peak_bytes() - before, 0)
    return states, seconds, grown / max(states, 1)


def plain_bfs(model: Any, limit: int) -> int:
    """Breadth-first over Machine states, the same events and parameter sets as explore."""
    chosen, _ = domains(model)
    steps = [(name, values) for name in model.events for values in _param_sets(chosen[name])]
    machine = Machine(model)
    start: State = machine.state
    seen = {start}
    frontier = [start]
    while frontier and len(seen) < limit:
        following = []
        for state in frontier:
            for name, params in steps:
                machine.load(state)
                outcome = machine.attempt(name, params)
                if isinstance(outcome, Applied):
                    after = machine.state
                    if after not in seen:
                        seen.add(after)
                        following.append(after)
                        if len(seen) >= limit:
                            return len(seen)
        frontier = following
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=1_000_000, help="explore's bound")
    parser.add_argument("--baseline-states", type=int, default=20_000, help="the plain BFS's")
    args = parser.parse_args()
    model = load_model("gaza_truce")
    # the baseline first: its smaller peak would hide under the explorer's
    base_states, base_seconds, base_bytes = measured(lambda: plain_bfs(model, args.baseline_states))

    def project() -> int:
        return explore(model, max_states=args.states, max_depth=1000).states

    states, seconds, per_state = measured(project)
    print(
        f"| search | distinct states | seconds | states a second | bytes a state |  "
        f"(Gaza model, bounded at {args.states:,} and {args.baseline_states:,} states)"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| negotiation explore (kernel, packed ints) | {states:,} | {seconds:.2f} | "
        f"{states / seconds:,.0f} | {per_state:,.0f} |"
    )
    print(
        f"| plain Python BFS over the Machine (baseline) | {base_states:,} | "
        f"{base_seconds:.2f} | {base_states / base_seconds:,.0f} | {base_bytes:,.0f} |"
    )


if __name__ == "__main__":
    main()
