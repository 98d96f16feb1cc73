"""The whole-frontier search (`analyses.frontier`) against `explore.Search`, state by state:
the same states, counts, verdicts and phases reached, with paths as short."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from negotiation.analyses.explore import explore
from negotiation.kernel.kernel import Kernel
from negotiation.rules.load import load_model

ROOT = Path(__file__).parent.parent
MODELS = [
    ROOT / "docs" / "examples" / "truce-model.yaml",
    ROOT / "docs" / "examples" / "ceasefire-model.yaml",
    ROOT / "docs" / "examples" / "broken-ceasefire-model.yaml",
    ROOT / "tests" / "models" / "two_regions.yaml",
    ROOT / "tests" / "models" / "broken_release.yaml",
    ROOT / "tests" / "models" / "tranche_287.yaml",
    ROOT / "tests" / "models" / "squaring.yaml",
    ROOT / "tests" / "models" / "divides.yaml",
]


def _replays(kernel: Kernel, path, phase: str | None = None) -> int:
    state = kernel.initial
    for name, values in path:
        state = kernel.step(state, name, kernel.params_for(name, values))
        assert state >= 0, f"{name} does not apply on the way"
    if phase is not None:
        assert phase in kernel.unpack(state).phases.values()
    return state


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
@pytest.mark.parametrize("bounds", [(8, 200_000), (30, 40), (3, 200_000)], ids=str)
def test_the_two_searches_agree(path: Path, bounds: tuple[int, int]) -> None:
    model = load_model(str(path))
    model = replace(model, properties=())  # nothing over histories: the frontier's ground
    depth, states = bounds
    fast = explore(model, max_depth=depth, max_states=states)
    slow = explore(model, max_depth=depth, max_states=states, whole_frontiers=False)
    same = ("states", "depth", "complete", "stopped")
    assert [getattr(fast, n) for n in same] == [getattr(slow, n) for n in same]
    kernel = Kernel.from_model(model)
    if fast.stopped == "max-states":
        # one stops in the middle of a level, the other after it, keeping the first states in
        # order: the counts of what was tried differ, what was kept is real
        for phase, found in fast.reachable.items():
            _replays(kernel, found, phase)
        return
    assert (fast.transitions, fast.attempts) == (slow.transitions, slow.attempts)
    assert fast.unreached_phases == slow.unreached_phases
    assert fast.unfired_events == slow.unfired_events
    assert fast.dead_end_count == slow.dead_end_count
    assert {p: len(v) for p, v in fast.reachable.items()} == {
        p: len(v) for p, v in slow.reachable.items()
    }
    assert {v.rule: len(v.path) for v in fast.violations} == {
        v.rule: len(v.path) for v in slow.violations
    }
    for phase, found in fast.reachable.items():
        _replays(kernel, found, phase)
    for violation in fast.violations:  # every step but the last applies; the last breaks it
        state = _replays(kernel, violation.path[:-1])
        name, values = violation.path[-1]
        result = kernel.step(state, name, kernel.params_for(name, values))
        assert result < 0 and kernel.table.entries[-1 - result] == ("broken", violation.rule)
    for dead in fast.dead_ends:
        assert kernel.unpack(_replays(kernel, dead.path)) == dead.state


def test_a_target_stops_both_at_the_same_depth() -> None:
    model = load_model(str(ROOT / "docs" / "examples" / "truce-model.yaml"))
    fast = explore(model, target="lapsed")
    slow = explore(model, target="lapsed", whole_frontiers=False)
    assert fast.stopped == slow.stopped == "target"
    assert fast.depth == slow.depth
    assert len(fast.reachable["lapsed"]) == len(slow.reachable["lapsed"]) == fast.depth


@pytest.mark.parametrize("path", MODELS[:3], ids=lambda p: p.stem)
def test_levels_judged_in_small_chunks_give_the_same_answers(path: Path, monkeypatch) -> None:
    from negotiation.analyses import frontier

    model = replace(load_model(str(path)), properties=())
    whole = explore(model)
    monkeypatch.setattr(frontier, "CHUNK", 2)
    monkeypatch.setattr(frontier, "COMPACT", 3)
    chunked = explore(model)
    same = ("states", "transitions", "attempts", "depth", "complete", "dead_end_count")
    assert [getattr(whole, n) for n in same] == [getattr(chunked, n) for n in same]
    assert whole.reachable == chunked.reachable  # paths are read back the same way
    assert {v.rule: len(v.path) for v in whole.violations} == {
        v.rule: len(v.path) for v in chunked.violations
    }
