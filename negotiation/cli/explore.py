"""The command that searches every possible history: explore."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import click

from negotiation.cli.base import EXIT_INTERRUPTED, FORMAT, OUTPUT, cli, emit, text_width
from negotiation.errors import UsageError

if TYPE_CHECKING:
    from negotiation.rules.model import Value
    from negotiation.semantics.outcomes import State

DEFAULT_MODEL = "gaza_truce"


@cli.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--from",
    "from_scenario",
    type=click.Path(dir_okay=False),
    help="Start from this scenario's state after --after (MODEL, if given, must be its model).",
)
@click.option(
    "--after",
    metavar="EVENT_ID",
    help="With --from: the entry (its id or step number) whose state to start from.",
)
@click.option(
    "--target",
    metavar="PHASE",
    help="Stop at the first (shortest) path to this phase; only the events that can "
    "matter for reaching it are tried.",
)
@click.option(
    "--write-path",
    nargs=2,
    metavar="PHASE FILE",
    help="Write the shortest path to PHASE as a runnable scenario file.",
)
@click.option(
    "--domain",
    "domain_options",
    multiple=True,
    metavar="EVENT.PARAM=V1,V2",
    help="The values to try for an event's parameter (repeatable).",
)
@click.option(
    "--max-depth",
    type=click.IntRange(min=0),
    default=8,
    show_default=True,
    help="Most events in a history.",
)
@click.option(
    "--max-states",
    type=click.IntRange(min=1),
    default=200_000,
    show_default=True,
    help="Most distinct states kept.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop after this many seconds (results marked incomplete).",
)
@FORMAT
@OUTPUT
def explore(
    model: str | None,
    from_scenario: str | None,
    after: str | None,
    target: str | None,
    write_path: tuple[str, str] | None,
    domain_options: tuple[str, ...],
    max_depth: int,
    max_states: int,
    time_limit: float | None,
    output_format: str,
    output: str | None,
) -> None:
    """Search every history from a model's start or a scenario's state, breadth-first.

    Reports the phases reachable (each with a shortest path), the rules a reachable step
    breaks (bounds, invariants, properties; each with a shortest counterexample), dead ends,
    the phases and events never reached, and counts. Each event's parameters are tried at a
    few values (bounds, defaults, the numbers its guards compare with and their neighbours),
    or as --domain sets them. The search is deterministic. Exits 1 when a rule is broken, 130
    when interrupted (with the results so far).

    \b
    Examples:
      negotiation explore tests/models/two_regions.yaml
      negotiation explore --from scenarios/gaza-2025.yaml --after hostages_still_held \\
          --target phase_two --write-path phase_two path.yaml
    """
    from negotiation.analyses.explore import explore as run_explore
    from negotiation.analyses.explore import parse_domain, path_scenario
    from negotiation.render.explore import exploration_data, exploration_text

    if (from_scenario is None) != (after is None):
        raise click.UsageError("--from and --after go together")
    history: list[tuple[State, str, Mapping[str, Value]]] = []
    start = None
    label = "the model's start"
    if from_scenario is not None and after is not None:
        from negotiation.scenarios.load import load_scenario
        from negotiation.scenarios.replay import replay, until_index
        from negotiation.semantics.outcomes import Applied

        scenario = load_scenario(from_scenario)
        loaded = scenario.model
        if model is not None:
            from negotiation.rules.load import load_model

            named = load_model(model)
            if named.name != loaded.name:
                raise UsageError(
                    f"the scenario replays the model '{loaded.name}', not '{named.name}'", "MODEL"
                )
        try:
            until_index(scenario, after)
        except UsageError as error:
            raise UsageError(str(error), "--after") from None
        trace = replay(scenario, until=after)
        if trace.stopped_at is not None:
            raise UsageError(
                f"the replay stops at '{trace.stopped_at}' before reaching '{after}'", "--after"
            )
        start = trace.final
        first = trace.steps[0].before if trace.steps else start
        history = [(first, "start", {})] + [
            (step.outcome.after, step.outcome.event, step.outcome.params)
            for step in trace.steps
            if isinstance(step.outcome, Applied)
        ]
        label = f"{from_scenario} after {after}"
        reference_from = scenario.model_reference or loaded.name
        base = os.path.dirname(os.path.abspath(from_scenario))
    else:
        from negotiation.rules.load import load_model

        loaded = load_model(model or DEFAULT_MODEL)
        reference_from = model or DEFAULT_MODEL
        base = os.getcwd()
    overrides = [parse_domain(loaded, text) for text in domain_options]
    if write_path is not None:
        if write_path[0] not in loaded.phases:
            from negotiation.errors import suggest

            raise UsageError(
                f"unknown phase '{write_path[0]}'" + suggest(write_path[0], list(loaded.phases)),
                "--write-path",
            )
        from negotiation.files.output import check_output

        check_output(write_path[1], inputs=[p for p in (model, from_scenario) if p])
    with _progress() as advance:
        result = run_explore(
            loaded,
            start,
            history,
            overrides,
            max_depth,
            max_states,
            time_limit,
            target,
            advance,
            start_label=label,
        )
    written = None
    if write_path is not None:
        phase, target_file = write_path
        if phase not in result.reachable:
            raise UsageError(
                f"phase '{phase}' was not reached"
                + ("" if result.complete else " (the search was incomplete)"),
                "--write-path",
            )
        import shlex

        text = path_scenario(
            result,
            phase,
            _reference(reference_from, base, target_file),
            "negotiation explore " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else []),
        )
        from negotiation.files.output import write_output

        write_output(target_file, text, inputs=[p for p in (model, from_scenario) if p])
        written = target_file
    if output_format == "json":
        from negotiation.render.data import to_json

        emit(to_json(exploration_data(result, written)), output)
    else:
        emit(exploration_text(result, written, text_width(output)), output)
    if result.stopped == "interrupted":
        click.get_current_context().exit(EXIT_INTERRUPTED)
    if result.violations:
        click.get_current_context().exit(1)


def _reference(reference: str, base: str, written: str) -> str:
    """The model as a scenario written to `written` names it: a built-in name as it is, a path
    (relative to `base`) made relative to the written file's folder."""
    from negotiation.rules.model import builtin_models

    if reference in builtin_models() and not os.path.exists(os.path.join(base, reference)):
        return reference
    folder = os.path.dirname(os.path.abspath(written))
    return os.path.relpath(os.path.join(base, reference), folder)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int, int, int], None]]:
    """A progress line on a terminal's stderr; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda depth, states, frontier: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("exploring", total=None)
        yield lambda depth, states, frontier: progress.update(
            task, description=f"depth {depth}: {states:,} states, {frontier:,} to expand"
        )
