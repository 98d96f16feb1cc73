"""The kernel (negotiation.kernel) against the Machine: the same refusals with the same first
refusing rule, the same broken rule, the same next state and the same enabled events, over random
reachable states and random event sequences with valid parameters, in its scalar and batch forms.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import Machine, load_model
from negotiation.kernel.codegen import APPLIED, BROKEN, REFUSED
from negotiation.kernel.kernel import Kernel
from negotiation.kernel.layout import Layout
from negotiation.rules.model import Event, Model, Param
from negotiation.semantics.outcomes import Applied, Broken, Refused, Rule, State

ROOT = Path(__file__).parent.parent
MODELS = {
    "gaza_truce": "gaza_truce",
    "yemen_truce": "yemen_truce",
    "ceasefire-model": str(ROOT / "docs" / "examples" / "ceasefire-model.yaml"),
    "two_regions": str(ROOT / "tests" / "models" / "two_regions.yaml"),
    "broken_release": str(ROOT / "tests" / "models" / "broken_release.yaml"),
    "squaring": str(ROOT / "tests" / "models" / "squaring.yaml"),
}
LOADED: dict[str, tuple[Model, Kernel]] = {}


def compiled(name: str) -> tuple[Model, Kernel]:
    if name not in LOADED:
        model = load_model(MODELS[name])
        LOADED[name] = (model, Kernel.from_model(model))
    return LOADED[name]


def param_values(param: Param) -> st.SearchStrategy[Any]:
    if param.type.kind == "bool":
        return st.booleans()
    if param.type.kind == "enum":
        return st.sampled_from(sorted(param.type.values or ()))
    low, high = param.min, param.max
    assert low is not None and high is not None
    return st.one_of(
        st.integers(low, min(high, low + 3)),
        st.integers(max(low, high - 2), high),
        st.integers(low, min(high, low + 60)),
        st.integers(low, high),
    )


def event_params(event: Event) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({n: param_values(p) for n, p in event.params.items()})


@st.composite
def walks(draw: Any, name: str, max_steps: int) -> list[tuple[str, dict[str, Any]]]:
    """A random sequence of events with valid parameters, mostly events enabled where drawn."""
    model, _ = compiled(name)
    machine = Machine(model)
    steps = []
    for _ in range(draw(st.integers(0, max_steps))):
        enabled = machine.enabled()
        if enabled and draw(st.integers(0, 9)) < 8:
            event = draw(st.sampled_from(enabled))
        else:
            event = draw(st.sampled_from(list(model.events)))
        params = draw(event_params(model.events[event]))
        machine.attempt(event, params)
        steps.append((event, params))
    return steps


def check_step(kernel: Kernel, machine: Machine, packed: int, event: str, params: Any) -> int:
    """Attempt `event` on the machine and in the scalar kernel; they must agree. The next state."""
    expected = machine.attempt(event, params)
    step = kernel.attempt(packed, event, params)
    if isinstance(expected, Applied):
        assert step.status == "applied", (event, params, step)
        assert kernel.unpack(step.state) == expected.after
        assert kernel.pack(expected.after) == step.state
        return step.state
    if isinstance(expected, Refused):
        assert (step.status, step.rule) == ("refused", expected.rule), (event, params)
    else:
        assert isinstance(expected, Broken)
        assert (step.status, step.rule) == ("broken", expected.rule), (event, params)
    assert step.state == packed
    return packed


def run_scalar(name: str, steps: list[tuple[str, dict[str, Any]]]) -> list[int]:
    """Fire `steps` through the Machine and the scalar kernel side by side; the states seen."""
    model, kernel = compiled(name)
    machine = Machine(model)
    packed = kernel.initial
    assert kernel.unpack(packed) == machine.state
    seen = [packed]
    for event, params in steps:
        assert kernel.enabled(packed) == machine.enabled()
        packed = check_step(kernel, machine, packed, event, params)
        assert kernel.pack(machine.state) == packed
        if packed != seen[-1]:
            seen.append(packed)
    return seen


def run_batch(name: str, steps: list[tuple[str, dict[str, Any]]], seen: list[int]) -> None:
    """Each step's event, in the batch form, over every state the walk reached: each row as
    the Machine has it."""
    model, kernel = compiled(name)
    machine = Machine(model)
    states = sorted(set(seen))
    array = kernel.layout.to_array(states)
    for event, params in steps:
        following, status, rule = kernel.step_batch(array, event, params)
        after = kernel.layout.from_array(following)
        for row, packed in enumerate(states):
            machine.load(kernel.unpack(packed))
            expected = machine.attempt(event, params)
            got = (int(status[row]), int(rule[row]))
            if isinstance(expected, Applied):
                assert got == (APPLIED, -1), (event, params, row)
                assert kernel.unpack(after[row]) == expected.after
            else:
                wanted = "refused" if isinstance(expected, Refused) else "broken"
                code = REFUSED if wanted == "refused" else BROKEN
                assert got[0] == code, (event, params, kernel.unpack(packed), expected)
                assert kernel.rules[got[1]] == (wanted, expected.rule), (event, params)
                assert after[row] == packed


QUICK = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
LARGE = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", list(MODELS))
def test_kernel_equals_machine(name: str) -> None:
    @QUICK
    @given(walks(name, 25))
    def check(steps: list[tuple[str, dict[str, Any]]]) -> None:
        seen = run_scalar(name, steps)
        run_batch(name, steps[:12], seen)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_kernel_equals_machine_at_length(name: str) -> None:
    @LARGE
    @given(walks(name, 60))
    def check(steps: list[tuple[str, dict[str, Any]]]) -> None:
        seen = run_scalar(name, steps)
        run_batch(name, steps, seen)

    check()


@pytest.mark.parametrize("name", list(MODELS))
def test_pack_unpack_round_trip(name: str) -> None:
    model, kernel = compiled(name)
    layout = kernel.layout
    machine = Machine(model)
    states = [machine.state]
    for event in model.events.values():
        params = {
            n: p.default
            if p.default is not None
            else p.domain()[0]
            if p.type.kind != "int"
            else p.min
            for n, p in event.params.items()
        }
        if isinstance(machine.attempt(event.name, params), Applied):
            states.append(machine.state)
    for state in states:
        assert layout.unpack(layout.pack(state)) == state
    packed = [layout.pack(state) for state in states]
    array = layout.to_array(packed)
    assert layout.from_array(array) == packed
    assert layout.from_array(layout.pack_columns(layout.unpack_columns(array))) == packed
    assert layout.bits <= 64 * layout.words


def test_the_phases_take_the_top_bits() -> None:
    _, kernel = compiled("gaza_truce")
    layout = kernel.layout
    assert layout.words == 4  # 201 bits: counts bounded up to 10**6 do not fit one word
    lowest_phase = min(layout.offset(f) for f in layout.regions)
    assert all(layout.offset(f) < lowest_phase for f in layout.variables)


def test_a_division_by_zero_breaks_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "split.yaml"
    path.write_text(
        "model: split\ntitle: Shares\n"
        "variables:\n"
        "  pool: {type: int, min: 0, max: 100, initial: 12}\n"
        "  parties: {type: int, min: 0, max: 10, initial: 3}\n"
        "  share: {type: int, min: 0, max: 100, initial: 0}\n"
        "phases:\n  open: {title: Open}\ninitial: open\n"
        "events:\n"
        "  split:\n    from: [open]\n"
        "    guards:\n"
        "      - {name: small, when: 'parties == 0 or pool // parties <= 50', reason: r}\n"
        "    effects: {share: 'pool // parties if parties > 1 else pool // (parties - 1)'}\n"
        "  leave:\n    from: [open]\n    effects: {parties: parties - 1}\n",
        encoding="utf-8",
    )
    model = load_model(path)
    kernel = Kernel.from_model(model)
    rows = [
        State.of("open", {"pool": 12, "parties": parties, "share": 0}) for parties in (3, 1, 0, 2)
    ]
    array = kernel.layout.to_array([kernel.pack(state) for state in rows])
    following, status, rule = kernel.step_batch(array, "split", {})
    # parties 3 and 2 share the pool; 1 divides by zero in the effect's `else` branch (taken),
    # only in its row; 0 does not divide in the guard (`or` stops first) nor in the effect's
    # `if` branch (not taken), and breaks the share's bounds (12 // -1)
    assert list(status) == [APPLIED, BROKEN, BROKEN, APPLIED]
    assert [kernel.rules[int(r)] if r >= 0 else None for r in rule] == [
        None,
        ("broken", Rule("effect", "share")),
        ("broken", Rule("bounds", "share")),
        None,
    ]
    shares = [kernel.unpack(p).ledger["share"] for p in kernel.layout.from_array(following)]
    assert shares == [4, 0, 0, 6]
    machine = Machine(model)
    for row, state in enumerate(rows):
        machine.load(state)
        outcome = machine.attempt("split")
        step = kernel.attempt(kernel.pack(state), "split")
        if isinstance(outcome, Applied):
            assert step.status == "applied"
            assert kernel.unpack(step.state) == outcome.after
        else:
            assert isinstance(outcome, Broken)
            assert (step.status, step.rule) == ("broken", outcome.rule)
            assert kernel.rules[int(rule[row])] == ("broken", outcome.rule)


def test_a_generated_function_s_traceback_names_its_pseudo_file() -> None:
    _, kernel = compiled("two_regions")
    with pytest.raises(KeyError) as raised:
        kernel.step(kernel.initial | (1 << 62), "release", {})  # no parameters: a KeyError
    frames = traceback.extract_tb(raised.value.__traceback__)
    assert frames[-1].filename == "<kernel two_regions scalar>"
    assert "p_count = p['count']" in (frames[-1].line or "") or frames[-1].line


def test_numpy_is_not_needed_to_read_the_layout() -> None:
    assert np.uint64 is np.uint64  # the layout's array form uses uint64 words
    assert Layout.of(compiled("squaring")[0]).words == 1
