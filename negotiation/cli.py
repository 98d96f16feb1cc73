"""The `negotiation` command: a thin layer over the Python API.

Exit codes: 0 success; 1 the scenario ran but something it asserted failed (an expectation, a
refused event, an invariant); 2 bad input or usage, with `file:line:col: message` on stderr and
no traceback (`--debug` shows one); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator

import click

from negotiation.errors import FileError, NegotiationError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json (one object, stable key order) for programs.",
)
OUTPUT = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (atomically) instead of standard output.",
)


class _Group(click.Group):
    """Turns the package's errors into one-line messages and exit codes, for every command."""

    def invoke(self, ctx: click.Context) -> object:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except FileError as error:
            _debug(debug)
            for problem in error.problems:
                click.echo(str(problem), err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except NegotiationError as error:
            _debug(debug)
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except OSError as error:
            _debug(debug)
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"Error: {where}{error.strerror or error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show a traceback for errors in input files.")
@click.version_option(package_name="negotiation")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Replay, compare and test negotiation processes modelled as guarded state machines.

    A model (YAML) gives the phases, variables, events and the rules (guards) that allow or
    refuse each event. A scenario (YAML) is a dated, sourced sequence of events replayed through
    a model. Start with:

      negotiation run scenarios/gaza-2025.yaml
    """
    context.obj = {"debug": debug}


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@FORMAT
@OUTPUT
@click.option(
    "--on-refused",
    type=click.Choice(["stop", "skip"]),
    default="stop",
    show_default=True,
    help="stop: a refused event ends the replay. skip: record it and go on (a refusal in a "
    "counterfactual is a finding).",
)
@click.option(
    "--source",
    "trust",
    metavar="SOURCE",
    help="Where sources disagree on a figure, use the value this source (an id from the "
    "scenario's sources) gives.",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="Replay once per extreme of every uncertain or contested figure and report which "
    "conclusions change.",
)
def run(
    scenario: str,
    output_format: str,
    output: str | None,
    on_refused: str,
    trust: str | None,
    sensitivity: bool,
) -> None:
    """Replay SCENARIO and print its timeline and end state.

    Each step shows the date, the event, the phase before and after, what changed, the guards
    that allowed it and the claims behind it, with their sources. A refused event names the guard
    that refused it and why. Exits 1 if an event is refused, an invariant or property breaks or
    the scenario's `expect:` is not met.

    \b
    Examples:
      negotiation run scenarios/gaza-2025.yaml
      negotiation run scenarios/gaza-2025.yaml --format json -o trace.json
      negotiation run scenarios/gaza-2025.yaml --sensitivity
    """
    from negotiation.expressions import suggest
    from negotiation.replay import replay
    from negotiation.scenario import load_scenario

    loaded = load_scenario(scenario)
    if trust is not None:
        giving = sorted(
            {v.source for e in loaded.events for f in e.figures.values() for v in f.values}
        )
        if trust not in loaded.sources:
            hint = suggest(trust, list(loaded.sources)) or (
                "; its sources are " + ", ".join(loaded.sources) if loaded.sources else ""
            )
            raise click.BadParameter(
                f"the scenario has no source '{trust}'{hint}", param_hint="--source"
            )
        if trust not in giving:
            which = ", ".join(giving) if giving else "none"
            raise click.BadParameter(
                f"'{trust}' gives no figure in this scenario, so trusting it changes nothing "
                f"(sources that give figures: {which})",
                param_hint="--source",
            )
    if sensitivity:
        if trust is not None or on_refused != "stop":
            raise click.UsageError(
                "--sensitivity replays every figure's values itself, recording refusals and "
                "going on; it takes neither --source nor --on-refused"
            )
        from negotiation.sensitivity import sensitivity as vary

        result = vary(loaded)
        if output_format == "json":
            from negotiation.render.data import to_json

            text = to_json(result.to_data())
        else:
            from negotiation.render.text import render_sensitivity

            text = render_sensitivity(result, width=_width(output))
        _emit(text, output)
        if not result.baseline.ok:
            click.get_current_context().exit(EXIT_FAILED)
        return
    trace = replay(loaded, on_refused="skip" if on_refused == "skip" else "stop", source=trust)
    if output_format == "json":
        from negotiation.render.data import to_json

        text = to_json(trace.to_data())
    else:
        from negotiation.render.text import render_trace

        text = render_trace(trace, color=_color(output), width=_width(output))
    _emit(text, output)
    if not trace.ok:
        click.get_current_context().exit(EXIT_FAILED)


@cli.command()
@click.argument("first", metavar="A", type=click.Path(dir_okay=False))
@click.argument("second", metavar="B", type=click.Path(dir_okay=False))
@FORMAT
@OUTPUT
def compare(first: str, second: str, output_format: str, output: str | None) -> None:
    """Compare two scenarios: where their histories part, and how they end.

    Both are replayed (a refused event is recorded and the replay goes on). Shows the first step
    where the histories differ, the phases of each side by side with the days spent in each, and
    the variables whose end values differ.

    \b
    Example:
      negotiation compare scenarios/gaza-2025.yaml scenarios/what-if-doha-talks-succeed.yaml
    """
    from negotiation.compare import compare as diverge
    from negotiation.replay import replay
    from negotiation.scenario import load_scenario

    scenarios = [load_scenario(path) for path in (first, second)]
    if scenarios[0].model.name != scenarios[1].model.name:
        raise click.UsageError(
            f"A uses the model {scenarios[0].model.name} and B {scenarios[1].model.name}: "
            "only histories of one model can be compared"
        )
    traces = [replay(scenario, on_refused="skip") for scenario in scenarios]
    result = diverge(*traces)
    if output_format == "json":
        from negotiation.render.data import to_json

        text = to_json(result.to_data())
    else:
        from negotiation.render.compare import render_divergence

        text = render_divergence(result, width=_width(output))
    _emit(text, output)


@cli.command()
@click.argument("base", type=click.Path(dir_okay=False))
@click.option(
    "--at",
    "at",
    required=True,
    metavar="EVENT",
    help="The id of the first event of BASE the counterfactual replaces.",
)
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="The file to write."
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def new(base: str, at: str, output: str, force: bool) -> None:
    """Start a counterfactual of BASE that diverges at the event EVENT.

    Writes a scenario that extends BASE, keeps its events before EVENT and continues with a copy
    of EVENT for you to change, with a comment explaining each field. It loads as written. An
    existing file is never overwritten without --force.

    \b
    Example:
      negotiation new scenarios/gaza-2025.yaml --at strikes_resume -o what-if.yaml
    """
    import os
    from pathlib import Path

    from negotiation.output import write_atomic
    from negotiation.scenario import load_scenario
    from negotiation.skeleton import counterfactual_skeleton

    if os.path.exists(output) and not force:
        raise click.UsageError(f"{output} exists; use --force to overwrite it")
    loaded = load_scenario(base)
    folder = os.path.dirname(os.path.abspath(output))
    reference = Path(os.path.relpath(os.path.abspath(base), folder)).as_posix()
    write_atomic(output, counterfactual_skeleton(loaded, reference, at, Path(output)))
    click.echo(f"wrote {output}: a counterfactual of {loaded.name} diverging at '{at}'")


@cli.command()
@click.argument("kind", type=click.Choice(["model", "scenario"]))
@OUTPUT
def schema(kind: str, output: str | None) -> None:
    """Print the JSON Schema of the model or the scenario file format.

    Editors that read `# yaml-language-server: $schema=...` comments (VS Code's YAML extension,
    and others) use it to complete and check files as you type. The shipped files carry that
    comment.
    """
    from negotiation.render.data import to_json
    from negotiation.schema import json_schema

    _emit(to_json(json_schema(kind)), output)


@cli.command()
@FORMAT
def models(output_format: str) -> None:
    """List the built-in models, by the name a scenario's `model:` uses."""
    from negotiation.model import builtin_models, load_model

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
    help="Test the model's invariants and properties with hypothesis (one model: FILE is a "
    "built-in name or a path).",
)
@click.option(
    "--examples",
    type=click.IntRange(min=1),
    help="With --properties: histories to try.  [default: 1000]",
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
@click.option("--force", is_flag=True, help="Overwrite an existing counterexample file.")
@FORMAT
def check(
    files: tuple[str, ...],
    properties: bool,
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

    With --properties, hypothesis tries up to --examples histories of up to --steps events on the
    model, checking every variable's bounds and every invariant after each step and the model's
    properties over each history. When a rule breaks it prints the shrunk, minimal sequence of
    events that breaks it and writes it as a scenario you can replay with `negotiation run`.
    Exits 0 when every rule holds, 1 with a counterexample.

    \b
    Examples:
      negotiation check scenarios/gaza-2025.yaml gaza_truce
      negotiation check --properties gaza_truce --examples 2000 --seed 1
    """
    if properties:
        if len(files) != 1:
            raise click.UsageError("--properties takes one model")
        code = _check_properties(
            files[0],
            1000 if examples is None else examples,
            30 if steps is None else steps,
            0 if seed is None else seed,
            counterexample,
            force,
            output_format,
        )
    else:
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
    from negotiation.lint import check_file
    from negotiation.render.check import file_checks_data, file_checks_text
    from negotiation.render.data import to_json

    checks = [check_file(name) for name in files]
    if output_format == "json":
        click.echo(to_json(file_checks_data(checks)), nl=False)
    else:
        text = file_checks_text(checks)
        for line in text.splitlines():
            problem = ": ok (" not in line and ": warning: " not in line
            click.echo(line, err=problem)
    if any(check.problems for check in checks):
        return EXIT_BAD_INPUT
    return EXIT_FAILED if any(check.findings for check in checks) else 0


def _check_properties(
    name: str,
    examples: int,
    steps: int,
    seed: int,
    counterexample: str | None,
    force: bool,
    output_format: str,
) -> int:
    import os

    from negotiation.checking import check_properties, counterexample_scenario
    from negotiation.model import builtin_models, load_model
    from negotiation.output import write_atomic
    from negotiation.render.check import report_text
    from negotiation.render.data import to_json

    model = load_model(name)
    target = counterexample or f"{model.name}-counterexample.yaml"
    if os.path.exists(target) and not force:
        raise click.UsageError(
            f"{target} exists; give another --counterexample file, or --force to overwrite it"
        )
    with _progress(examples) as advance:
        report = check_properties(model, examples, steps, seed, advance)
    written: str | None = None
    if report.failure is not None:
        written = target
        if name in builtin_models() and not os.path.exists(name):
            reference = name
        else:
            folder = os.path.dirname(os.path.abspath(written))
            reference = os.path.relpath(os.path.abspath(name), folder)
        write_atomic(written, counterexample_scenario(model, reference, report, name))
    if output_format == "json":
        data = report.to_data()
        data["scenario_file"] = written
        click.echo(to_json(data), nl=False)
    else:
        click.echo(report_text(report, written), nl=False)
    return 0 if report.holds else EXIT_FAILED


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress line on a terminal's stderr; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda count: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("histories", total=total)
        yield lambda count: progress.update(task, completed=min(count, total))


def _color(output: str | None) -> bool:
    return output is None and sys.stdout.isatty()


def _width(output: str | None) -> int:
    from negotiation.render.text import WIDTH

    if output is None and sys.stdout.isatty():
        return max(WIDTH, shutil.get_terminal_size().columns)
    return WIDTH


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from negotiation.output import write_atomic

    write_atomic(output, text)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code. `--debug` may stand anywhere on the line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args = ["--debug", *(arg for arg in args if arg != "--debug")]
    try:
        cli.main(args=args, prog_name="negotiation")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_FAILED
    return 0


def _debug(debug: bool) -> None:
    if debug:
        traceback.print_exc()


__all__ = ["cli", "main"]
