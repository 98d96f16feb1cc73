"""Commands that check files and models, and describe formats: check, schema, models."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import click

from negotiation.cli.base import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    FORMAT,
    OUTPUT,
    cli,
    emit,
)


@cli.command()
@click.argument("kind", type=click.Choice(["model", "scenario"]))
@OUTPUT
def schema(kind: str, output: str | None) -> None:
    """Print the JSON Schema of the model or the scenario file format.

    Editors that read `# yaml-language-server: $schema=...` comments (VS Code's YAML extension,
    and others) use it to complete and check files as you type. The shipped files carry that
    comment.
    """
    from negotiation.files.schema import json_schema
    from negotiation.render.data import to_json

    emit(to_json(json_schema(kind)), output)


@cli.command()
@FORMAT
def models(output_format: str) -> None:
    """List the built-in models, by the name a scenario's `model:` uses."""
    from negotiation.rules.load import load_model
    from negotiation.rules.model import builtin_models

    loaded = [load_model(name) for name in builtin_models()]
    rows = [
        {
            "name": name,
            "title": model.title,
            "phases": len(model.phases),
            "events": len(model.events),
            "variables": len(model.variables),
        }
        for name, model in zip(builtin_models(), loaded, strict=True)
    ]
    if output_format == "json":
        from negotiation.render.data import to_json

        click.echo(to_json(rows), nl=False)
        return
    for row in rows:
        click.echo(
            f"{row['name']}  {row['title']}  "
            f"({row['phases']} phases, {row['events']} events, {row['variables']} variables)"
        )


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--properties",
    is_flag=True,
    help="Test the model's invariants and properties on every short history, then on "
    "histories hypothesis draws (one model: FILE is a built-in name or a path).",
)
@click.option(
    "--coverage",
    is_flag=True,
    help="Rule coverage: mutate each guard and effect of the model (one model: FILE is a "
    "built-in name or a path) and say which mutants its invariants and properties catch.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0, max=50),
    help="With --properties or --coverage: most events in a history searched exhaustively "
    "(the search also stops at 100,000 states).  [default: 10]",
)
@click.option(
    "--min-score",
    type=click.FloatRange(min=0, max=1),
    help="With --coverage: exit 1 when the share of mutants caught is below this (0 to 1).",
)
@click.option(
    "--examples",
    type=click.IntRange(min=1),
    help="With --properties: histories to draw at random after the exhaustive search.  "
    "[default: 1000]",
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    help="With --properties: most events in one history (at least one).  [default: 30]",
)
@click.option(
    "--seed",
    type=int,
    help="With --properties: the seed; the same seed, the same run. [default: 0]",
)
@click.option(
    "--counterexample",
    type=click.Path(dir_okay=False),
    help="With --properties: where to write a counterexample as a scenario  "
    "[default: MODEL-counterexample.yaml]",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing counterexample file, or write the file a link points to.",
)
@FORMAT
def check(
    files: tuple[str, ...],
    properties: bool,
    coverage: bool,
    depth: int | None,
    min_score: float | None,
    examples: int | None,
    steps: int | None,
    seed: int | None,
    counterexample: str | None,
    force: bool,
    output_format: str,
) -> None:
    """Validate model and scenario files, or test a model's rules with --properties.

    Without --properties, each FILE (a model, a scenario, or a built-in model's name) is checked
    without being run: every problem is reported as file:line:col: message, and models are
    linted for phases that can never be reached, events that can never fire and phases with no
    way out that are not final. Exits 0 when clean, 1 with lint findings, 2 if a file is invalid.

    With --properties, every history of up to --depth events from the model's start is checked
    first, breadth-first over the compiled model, with each parameter's bounds, default and the
    numbers its guards compare with (and their neighbours); then hypothesis draws up to
    --examples longer histories of up to --steps events, with any parameter values. Every
    variable's bounds and every invariant are checked after each step, the model's properties
    over each history. When a rule breaks it prints a shortest (or, at random, a shrunk,
    minimal) sequence of events that breaks it and writes it as a scenario you can replay with
    `negotiation run`. Exits 0 when every rule holds, 1 with a counterexample.

    With --coverage, each guard and effect of the model is changed in the standard ways (guard
    dropped, comparison negated or loosened by one, `and` and `or` swapped, effect dropped or
    its sign flipped), and an exhaustive search to --depth events says, for each mutant, which
    rule catches it (with a shortest counterexample), or that none does: a rule the model's
    invariants and properties do not pin down. Mutants no state searched tells from the model
    are counted apart, as equivalent. Exits 0, or 1 below --min-score.

    \b
    Examples:
      negotiation check scenarios/gaza-2025.yaml gaza_truce
      negotiation check --properties gaza_truce --examples 2000 --seed 1
      negotiation check --properties my-model.yaml --depth 6 --format json
      negotiation check --coverage gaza_truce --min-score 0.8
    """
    if properties and coverage:
        raise click.UsageError("--properties and --coverage are separate checks: give one")
    if coverage:
        if len(files) != 1:
            raise click.UsageError("--coverage takes one model")
        given = [
            name
            for name, value in (
                ("--examples", examples),
                ("--steps", steps),
                ("--seed", seed),
                ("--counterexample", counterexample),
            )
            if value is not None
        ]
        if given:
            raise click.UsageError(f"{', '.join(given)} goes with --properties, not --coverage")
        code = _check_coverage(files[0], depth, min_score, output_format)
    elif min_score is not None:
        raise click.UsageError("--min-score needs --coverage")
    elif properties:
        if len(files) != 1:
            raise click.UsageError("--properties takes one model")
        code = _check_properties(
            files[0],
            1000 if examples is None else examples,
            30 if steps is None else steps,
            0 if seed is None else seed,
            10 if depth is None else depth,
            counterexample,
            force,
            output_format,
        )
    else:
        if depth is not None:
            raise click.UsageError("--depth needs --properties or --coverage")
        given = [
            name
            for name, value in (
                ("--examples", examples),
                ("--steps", steps),
                ("--seed", seed),
                ("--counterexample", counterexample),
            )
            if value is not None
        ]
        if given or force:
            raise click.UsageError(f"{', '.join(given) or '--force'} needs --properties")
        code = _check_files(files, output_format)
    if code:
        click.get_current_context().exit(code)


def _check_files(files: tuple[str, ...], output_format: str) -> int:
    from negotiation.analyses.lint import check_file
    from negotiation.render.check import file_check_lines, file_checks_data
    from negotiation.render.data import to_json

    checks = [check_file(name) for name in files]
    if output_format == "json":
        click.echo(to_json(file_checks_data(checks)), nl=False)
    else:
        for line, problem in file_check_lines(checks):
            click.echo(line, err=problem)
    if any(check.problems for check in checks):
        return EXIT_BAD_INPUT
    return EXIT_FAILED if any(check.findings for check in checks) else 0


def _check_properties(
    name: str,
    examples: int,
    steps: int,
    seed: int,
    depth: int,
    counterexample: str | None,
    force: bool,
    output_format: str,
) -> int:
    import os

    from negotiation.analyses.bounded import MAX_STATES
    from negotiation.analyses.falsify import counterexample_scenario, falsify
    from negotiation.files.output import check_output, write_output
    from negotiation.render.check import report_data, report_text
    from negotiation.render.data import to_json
    from negotiation.rules.load import load_model
    from negotiation.rules.model import builtin_models

    model = load_model(name)
    target = counterexample or f"{model.name}-counterexample.yaml"
    check_output(target, inputs=[name], overwrite=force, force=force)
    with _progress(examples) as advance:
        report = falsify(
            model,
            examples,
            steps,
            seed,
            lambda count: advance(count, examples, "histories"),
            depth,
            searched=lambda level, states: advance(
                states, MAX_STATES, f"every history: {level} events"
            ),
        )
    written: str | None = None
    if report.failure is not None:
        written = target
        if name in builtin_models() and not os.path.exists(name):
            reference = name
        else:
            folder = os.path.dirname(os.path.abspath(written))
            reference = os.path.relpath(os.path.abspath(name), folder)
        text = counterexample_scenario(model, reference, report, name)
        write_output(written, text, inputs=[name], overwrite=force, force=force)
    if output_format == "json":
        click.echo(to_json(report_data(report, written)), nl=False)
    else:
        click.echo(report_text(report, written), nl=False)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return 0 if report.holds else EXIT_FAILED


def _check_coverage(
    name: str, depth: int | None, min_score: float | None, output_format: str
) -> int:
    from negotiation.analyses.coverage import DEPTH, coverage
    from negotiation.render.coverage import coverage_data, coverage_text
    from negotiation.render.data import to_json
    from negotiation.rules.load import load_model

    model = load_model(name)
    with _progress(1, "mutants") as advance:
        result = coverage(
            model,
            DEPTH if depth is None else depth,
            progress=advance,
        )
    if output_format == "json":
        click.echo(to_json(coverage_data(result)), nl=False)
    else:
        click.echo(coverage_text(result), nl=False)
    if result.broken:
        return EXIT_FAILED
    if min_score is not None and (result.score is None or result.score < min_score):
        return EXIT_FAILED
    return 0


@contextlib.contextmanager
def _progress(total: int, what: str = "histories") -> Iterator[Callable[..., None]]:
    """A progress line on a terminal's stderr; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda *counts: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(what, total=total)

        def advance(count: int, of: int | None = None, now: str | None = None) -> None:
            """`count` done of `of` (or the total); `now` names what is being counted."""
            progress.update(task, completed=min(count, of or total), total=of or total)
            if now is not None:
                progress.update(task, description=now)

        yield advance
