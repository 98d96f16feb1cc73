"""The command group, its error handling, and what the commands share.

Exit codes: 0 success; 1 the scenario ran but something it asserted failed (an expectation, a
refused event, an invariant); 2 bad input or usage, with `file:line:col: message` on stderr and
no traceback (`--debug` shows one); 130 interrupted.
"""

from __future__ import annotations

import shutil
import sys
import traceback

import click

from negotiation.errors import FileError, NegotiationError, UsageError

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
            show_traceback(debug)
            for problem in error.problems:
                click.echo(str(problem), err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except UsageError as error:
            show_traceback(debug)
            where = f"Invalid value for '{error.option}': " if error.option else ""
            click.echo(f"Error: {where}{error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except NegotiationError as error:
            show_traceback(debug)
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except OSError as error:
            show_traceback(debug)
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


def use_color(output: str | None) -> bool:
    return output is None and sys.stdout.isatty()


def text_width(output: str | None) -> int:
    from negotiation.render.text import WIDTH

    if output is None and sys.stdout.isatty():
        return max(WIDTH, shutil.get_terminal_size().columns)
    return WIDTH


def emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from negotiation.files.output import write_atomic

    write_atomic(output, text)


def show_traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()
