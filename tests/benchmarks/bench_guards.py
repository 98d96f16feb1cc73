"""Cost of evaluating one compiled guard, against a hand-written Python function doing the same.

The guard is `no_more_than_held` of the Gaza model's `exchange` event:
`hostages - min(bodies, hostages_held_dead) <= hostages_held_alive`. The baseline is the same
test written by hand as a function over the same ledger and parameter dictionaries: the least a
compiled rule can cost.
Also times a whole `Machine.fire` of an event, refused by its guard (so the state is unchanged and
the same step can be repeated), against a bare `transitions` trigger.

    python tests/benchmarks/bench_guards.py --number 200000
"""

from __future__ import annotations

import argparse
import contextlib
import timeit

from transitions import Machine as TransitionsMachine

from negotiation import Machine, RefusedEvent, load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200_000, help="evaluations per timing")
    args = parser.parse_args()
    number = args.number

    model = load_model("gaza_truce")
    guard = next(g for g in model.events["exchange"].guards if g.name == "no_more_than_held")
    ledger = {**model.initial_ledger(), "hostages_held_alive": 58}
    params = {"hostages": 33, "bodies": 0, "prisoners": 1800}
    function = guard.expression.function

    def by_hand(v: dict[str, int], p: dict[str, int], s: str) -> bool:
        return p["hostages"] - min(p["bodies"], v["hostages_held_dead"]) <= v["hostages_held_alive"]

    def best(statement: object, count: int) -> float:
        return min(timeit.repeat(statement, number=count, repeat=5)) / count * 1e9  # type: ignore[arg-type]

    compiled = best(lambda: function(ledger, params, "phase_one"), number)
    baseline = best(lambda: by_hand(ledger, params, "phase_one"), number)

    machine = Machine(model, "war", {})

    def refused() -> None:
        with contextlib.suppress(RefusedEvent):
            machine.fire("ceasefire_begins")

    class Holder:
        pass

    bare = TransitionsMachine(
        model=Holder(), states=["a", "b"], initial="a", auto_transitions=False
    )
    bare.add_transition("go", "a", "a")
    holder = bare.models[0]
    fire_count = max(number // 20, 1000)
    refusal = best(refused, fire_count)
    trigger = best(lambda: holder.trigger("go"), fire_count)

    print(f"| measurement | ns per call |  ({number:,} guard calls, {fire_count:,} events)")
    print("| --- | ---: |")
    print(f"| compiled guard `{guard.expression.text}` | {compiled:.0f} |")
    print(f"| the same test written by hand (baseline) | {baseline:.0f} |")
    print(f"| Machine.fire refused by a guard, with its explanation | {refusal:.0f} |")
    print(f"| bare transitions trigger, no guard (baseline) | {trigger:.0f} |")


if __name__ == "__main__":
    main()
