"""Falsify a model's rules (`check --properties`): search for a history that breaks a bound, an
invariant or a property, first exhaustively, then at random.

First, every history of up to `depth` events from the model's start is checked, breadth-first
over the compiled kernel (`bounded.exhaust`, with the explorer's parameter domains: bounds,
defaults, the numbers guards compare with and their neighbours); a rule broken there comes with
a shortest history that breaks it. When nothing breaks there, hypothesis samples longer
histories, with any parameter values: it draws histories (each step an event that may fire
from the current phase, with valid parameters), replays them through the machine and checks,
after every step, the variables' bounds and the invariants, and at the end the model's
properties. When one breaks, hypothesis shrinks the history to a minimal one; the refused
events are dropped (they change nothing), and the rest is what `Report.counterexample` holds,
ready to be written as a scenario.

The same seed gives the same run wherever it is called from: hypothesis's habit of mixing in
numbers it finds in the modules loaded (which differ between the CLI and a Python session) is
switched off while it runs.

Importing this module imports hypothesis (about a quarter of a second); the CLI imports it only
for `check --properties`.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, configuration, given, seed, settings
from hypothesis import strategies as st

from negotiation.analyses.bounded import (
    DEPTH,
    MAX_STATES,
    Exhausted,
    Reachability,
    exhaust,
    reachability,
)
from negotiation.kernel.kernel import Kernel
from negotiation.rules.model import Event, Model, Param, Value
from negotiation.rules.properties import START
from negotiation.semantics.history import Reach, judge_history
from negotiation.semantics.machine import Machine
from negotiation.semantics.outcomes import Applied, Broken, State
from negotiation.semantics.search import Fired, shortest_breaking_history


def param_values(param: Param) -> st.SearchStrategy[Value]:
    """Valid values of one parameter: within its bounds, or one of its enum values."""
    if param.type.kind == "bool":
        return st.booleans()
    if param.type.kind == "enum":
        return st.sampled_from(sorted(param.type.values or ()))
    return st.integers(min_value=param.min, max_value=param.max)


def params(event: Event) -> st.SearchStrategy[dict[str, Value]]:
    """A full, valid set of parameters for `event` (guards may still refuse them)."""
    return st.fixed_dictionaries({name: param_values(p) for name, p in event.params.items()})


@dataclass(frozen=True)
class Report:
    """The outcome of a property check, with the seed and budget that produced it."""

    model: str
    seed: int
    examples: int
    steps: int
    rules: tuple[str, ...]
    examples_run: int
    events_fired: int = 0
    interrupted: bool = False
    failure: Broken | None = None
    counterexample: tuple[Fired, ...] = field(default=())
    exhausted: Exhausted | None = None  # the exhaustive stage, when it ran
    undecided: tuple[str, ...] = ()  # `stays_reachable` properties a search could not decide

    @property
    def holds(self) -> bool:
        """Every rule held, on histories in which events were applied (not vacuously)."""
        return self.failure is None and self.events_fired > 0

    @property
    def sampled(self) -> bool:
        """Whether hypothesis sampled histories (not when the exhaustive stage decided)."""
        return self.examples_run > 0


def rules_checked(model: Model) -> tuple[str, ...]:
    """The names of what is checked: bounds, invariants and properties."""
    return (
        "the bounds of every variable",
        *(f"invariant {inv.name}" for inv in model.invariants),
        *(f"property {prop.name}: {prop.statement()}" for prop in model.properties),
    )


def run_history(
    model: Model,
    history: list[Fired],
    machine: Machine | None = None,
    reach: Reach | Reachability | None = None,
) -> tuple[list[Fired], Broken | None]:
    """Replay `history`, skipping refused events; the events applied, and the first broken rule.

    `machine`, if given, is reused (put back in the model's initial state first); `reach`
    judges `stays_reachable` properties (by default the kernel's search, `bounded.Reach`).
    """
    if machine is None:
        machine = Machine(model)
    else:
        machine.reset(model.initial, model.initial_ledger())
    states: list[State] = [machine.state]
    events = [START]
    params: list[dict[str, Value]] = [{}]
    applied: list[Fired] = []
    for name, values in history:
        outcome = machine.attempt(name, values)
        if isinstance(outcome, Broken):
            applied.append((name, values))
            return applied, outcome
        if isinstance(outcome, Applied):
            applied.append((name, values))
            states.append(outcome.after)
            events.append(name)
            params.append(dict(outcome.params))
    if reach is None and any(p.kind == "stays_reachable" for p in model.properties):
        reach = reachability(model)
    broken = judge_history(model, states, events, reach, params=params)
    return applied, broken


def falsify(
    model: Model,
    examples: int = 1000,
    steps: int = 30,
    seed_value: int = 0,
    progress: Callable[[int], None] | None = None,
    depth: int = DEPTH,
    max_states: int = MAX_STATES,
    searched: Callable[[int, int], None] | None = None,
) -> Report:
    """Check `model` exhaustively up to `depth` events (or `max_states` states), then with
    hypothesis; a Report with a shortest or minimal counterexample if a rule breaks.
    `searched(events, states)` follows the exhaustive stage, `progress(histories)` the
    random one."""
    kernel = Kernel.from_model(model)
    reach = reachability(model, kernel)
    exhausted = exhaust(model, depth, max_states, progress=searched, kernel=kernel, reach=reach)
    report = Report(
        model=model.name,
        seed=seed_value,
        examples=examples,
        steps=steps,
        rules=rules_checked(model),
        examples_run=0,
        events_fired=exhausted.transitions,
        interrupted=exhausted.stopped == "interrupted",
        exhausted=exhausted,
    )
    if exhausted.rule is not None:
        applied, failure = run_history(model, list(exhausted.path), reach=reach)
        if failure is None:  # the kernel and the machine disagree: a defect of ours
            raise AssertionError(
                f"the exhaustive search found {exhausted.rule} broken by a history the "
                "machine replays without breaking a rule"
            )
        return replace(report, failure=failure, counterexample=tuple(applied))
    if report.interrupted or (exhausted.complete and exhausted.exhaustive_domains):
        # interrupted; or every history there is was checked: nothing to sample
        return replace(report, undecided=reach.undecided(model))
    report = _sample(model, report, reach, progress)
    return replace(report, undecided=reach.undecided(model) if report.failure is None else ())


def _sample(
    model: Model, report: Report, reach: Reach, progress: Callable[[int], None] | None
) -> Report:
    """Run hypothesis on `model` (the report's budget and seed); the report, completed."""
    examples, steps = report.examples, report.steps
    found: dict[str, Any] = {}
    count = 0
    fired = 0
    drawing, replaying = Machine(model), Machine(model)
    initial = drawing.state

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @seed(report.seed)
    @given(st.data())
    def history_keeps_the_rules(data: st.DataObject) -> None:
        nonlocal count, fired
        searching = "failure" not in found  # once one fails, the calls are hypothesis shrinking
        machine = drawing
        machine.load(initial)
        history: list[Fired] = []
        for _ in range(data.draw(st.integers(min_value=1, max_value=steps))):
            phases = machine.phases
            names = [n for n, e in model.events.items() if e.allows(phases)]
            if not names:
                break
            name = data.draw(st.sampled_from(names))
            values = data.draw(params(model.events[name]))
            history.append((name, values))
            machine.attempt(name, values)
        if searching:  # a history drawn whole (hypothesis may give up on one half-drawn)
            count += 1
            if progress is not None:
                progress(count)
        applied, failure = run_history(model, history, replaying, reach)
        if searching:
            fired += len(applied)
        if failure is not None:
            found["applied"], found["failure"] = applied, failure
            raise AssertionError(str(failure))

    interrupted = False
    try:
        with _storage_out_of_the_way(), _no_local_constants():
            history_keeps_the_rules()
    except AssertionError:
        pass  # the failure is in `found`
    except KeyboardInterrupt:
        interrupted = True  # report what was tried so far
    failure = found.get("failure")
    shorter = None
    if failure is not None and not interrupted:
        try:
            shorter = shortest_breaking_history(model, failure.rule, len(found["applied"]) - 1)
        except KeyboardInterrupt:
            interrupted = True  # the counterexample found stands, not shortened
        if shorter is not None:
            found["applied"] = shorter
            failure = run_history(model, shorter, reach=reach)[1] or failure
    return replace(
        report,
        examples_run=count,
        events_fired=report.events_fired + fired,
        interrupted=interrupted,
        failure=failure,
        counterexample=tuple(found.get("applied", ())) if failure else (),
    )


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    """Hypothesis (6.131 on) now and then draws a number it found in a module loaded from the
    working folder, so the same seed runs differently from the CLI and from a Python session
    that has other modules loaded. While a check runs, it finds none. (A private hook of
    hypothesis's: without it, nothing is changed.)"""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - an older or newer hypothesis
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()

    def no_constants() -> Any:
        return empty

    providers._get_local_constants = no_constants
    if cache is not None:
        cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        if cache is not None:
            cache.cache.clear()


@contextlib.contextmanager
def _storage_out_of_the_way() -> Iterator[None]:
    """Hypothesis keeps a `.hypothesis` folder in the working folder (a cache of constants even
    with no example database); a rule test of ours leaves nothing in the user's folder."""
    with tempfile.TemporaryDirectory(prefix="negotiation-hypothesis-") as home:
        configuration.set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(None)


def counterexample_scenario(
    model: Model, model_reference: str, report: Report, given_as: str = ""
) -> str:
    """The report's counterexample as a runnable, clearly labelled scenario file.

    `model_reference` is the model as the scenario names it (relative to where it is written);
    `given_as`, the model as the command named it.
    """
    from negotiation.scenarios.scenario import Scenario, ScenarioEvent
    from negotiation.scenarios.writer import dump_scenario

    assert report.failure is not None
    events = tuple(
        ScenarioEvent(f"step_{index}", None, name, dict(values))
        for index, (name, values) in enumerate(report.counterexample, start=1)
    )
    scenario = Scenario(
        name=f"{model.name}_counterexample",
        title=f"Counterexample to {report.failure.rule} (generated, hypothetical)",
        description=(
            f"Generated by negotiation check --properties (seed {report.seed}): a minimal "
            f"sequence of events that breaks {report.failure.rule}. Not a record of events."
        ),
        model=model,
        sources={},
        start_phases=model.initial,
        start_date=None,
        start_ledger=model.initial_ledger(),
        events=events,
        expect=None,
        model_reference=model_reference,
    )
    header = (
        f"Counterexample found by: negotiation check --properties {given_as or model_reference} "
        f"--seed {report.seed} --examples {report.examples} --steps {report.steps}\n"
        f"It breaks {report.failure.rule}: {report.failure.message}\n"
        f"Replay it with: negotiation run FILE (it exits 1 where the rule breaks)"
    )
    return dump_scenario(scenario, header)
