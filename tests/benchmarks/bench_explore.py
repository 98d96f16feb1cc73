"""Exploration: distinct states a second and stored bytes a state, the project's explorer against
a plain Python breadth-first search over the same model and parameter domains (the project's
Machine judging each step, states as (phases, ledger) tuples in a set), all from the same run.

Two models. The Gaza model as shipped: 201 bits a state (four words), 59 properties judged
along every history, so `explore` runs its scalar search with monitor bits (`Search`). And the
Gaza model bounded to one 64-bit word (hostage counts at most 3, every other count at most 1)
with its properties set aside, the bare state space, where `explore` runs a whole level at a
time in numpy (`frontier.Frontier`); on that one the scalar search and the plain search are
timed too. Each search stops at its number of states (the spaces are far larger). Each runs in
a process of its own, so bytes a state is the growth of that process's peak memory over the
states kept: the visited set, the frontier and anything each state points to.

    python tests/benchmarks/bench_explore.py --states 5000000 --search-states 300000 \
        --baseline-states 20000
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

from negotiation import Machine, load_model
from negotiation.analyses.explore import _param_sets, domains, explore
from negotiation.rules.model import Model
from negotiation.semantics.outcomes import Applied, State

CAPS = {
    "hostages_seized": 3,
    "hostages_held_alive": 3,
    "hostages_held_dead": 3,
    "hostages_returned": 3,
}  # every other count at most 1


def bounded_gaza() -> Model:
    """The Gaza model with its counts bounded so a state fits one word, properties set aside."""
    model = load_model("gaza_truce")
    variables = {
        name: replace(v, max=min(v.max, CAPS.get(name, 1)))
        if v.type.kind == "int" and v.max is not None
        else v
        for name, v in model.variables.items()
    }
    return replace(model, variables=variables, properties=())


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


SEARCHES = {
    "shipped": "negotiation explore, Gaza model as shipped (properties judged, scalar search)",
    "frontier": "negotiation explore, Gaza bounded to one word (whole frontiers, numpy)",
    "search": "the same bounded model, one state at a time (scalar search)",
    "plain": "plain Python BFS over the Machine, the bounded model (baseline)",
}


def one(kind: str, limit: int) -> dict[str, float]:
    """Run one search in this process; its states, seconds and bytes a state."""
    model = load_model("gaza_truce") if kind == "shipped" else bounded_gaza()
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    began = time.perf_counter()
    if kind == "plain":
        states = plain_bfs(model, limit)
    else:
        fast = kind == "frontier"
        states = explore(model, max_states=limit, max_depth=1000, whole_frontiers=fast).states
    seconds = time.perf_counter() - began
    grown = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before, 0)
    return {"states": states, "seconds": seconds, "bytes": grown / max(states, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=5_000_000, help="the frontier's bound")
    parser.add_argument("--search-states", type=int, default=300_000, help="the scalar's")
    parser.add_argument("--baseline-states", type=int, default=20_000, help="the plain BFS's")
    parser.add_argument("--one", choices=sorted(SEARCHES), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.limit)))
        return
    limits = {
        "shipped": args.search_states,
        "frontier": args.states,
        "search": args.search_states,
        "plain": args.baseline_states,
    }
    print(
        "| search | distinct states | seconds | states a second | bytes a state |  "
        f"(bounds: {args.states:,}, {args.search_states:,} and {args.baseline_states:,} states)"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, title in SEARCHES.items():
        command = [sys.executable, __file__, "--one", kind, "--limit", str(limits[kind])]
        found = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
        states, seconds = int(found["states"]), found["seconds"]
        print(
            f"| {title} | {states:,} | {seconds:.2f} | {states / seconds:,.0f} | "
            f"{found['bytes']:,.0f} |"
        )


if __name__ == "__main__":
    main()
