"""The `negotiation` command: a thin layer over the Python API.

Exit codes: 0 success; 1 the scenario ran but something it asserted failed (an expectation, a
refused event, an invariant); 2 bad input or usage, with `file:line:col: message` on stderr and
no traceback (`--debug` shows one); 130 interrupted.
"""

from __future__ import annotations

import shutil
import sys
import traceback

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
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except OSError as error:
            _debug(debug)
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"error: {where}{error.strerror or error}", err=True)
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
    help="stop: a refused event ends the replay. skip: record it and go on.",
)
def run(scenario: str, output_format: str, output: str | None, on_refused: str) -> None:
    """Replay SCENARIO and print its timeline and end state.

    Each step shows the date, the event, the phase before and after, what changed, the guards
    that allowed it and the claims behind it, with their sources. A refused event names the guard
    that refused it and why. Exits 1 if an event is refused, an invariant breaks or the
    scenario's `expect:` is not met.

    \b
    Examples:
      negotiation run scenarios/gaza-2025.yaml
      negotiation run scenarios/gaza-2025.yaml --format json -o trace.json
    """
    from negotiation.replay import replay
    from negotiation.scenario import load_scenario

    trace = replay(load_scenario(scenario), on_refused="skip" if on_refused == "skip" else "stop")
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
    """Run the CLI and return its exit code."""
    try:
        cli.main(args=argv, prog_name="negotiation")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_FAILED
    return 0


def _debug(debug: bool) -> None:
    if debug:
        traceback.print_exc()


__all__ = ["cli", "main"]
