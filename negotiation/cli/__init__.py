"""The `negotiation` command: a thin layer over the Python API.

Exit codes: 0 success; 1 the scenario ran but something it asserted failed (an expectation, a
refused event, an invariant); 2 bad input or usage, with `file:line:col: message` on stderr and
no traceback (`--debug` shows one), or an output that cannot be written; 130 interrupted
(SIGINT); 141 standard output's reader went away (a closed pipe); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import sys

import click

from negotiation.cli import check, replay
from negotiation.cli import diagram as diagram  # adds the `diagram` command
from negotiation.cli import explore as explore  # adds the `explore` command
from negotiation.cli import report as report  # adds the `report` command
from negotiation.cli import simulate as simulate  # adds the `simulate` command
from negotiation.cli import walkthrough as walkthrough  # adds the `walkthrough` command
from negotiation.cli.base import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    Terminated,
    cli,
    exit_code,
    signals_unwind,
    standard_streams,
)
from negotiation.errors import OutputError

# Each module adds its commands to `cli` when it is imported.
COMMAND_MODULES = (replay, check)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code. `--debug` may stand anywhere on the line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args = ["--debug", *(arg for arg in args if arg != "--debug")]
    with signals_unwind(), standard_streams() as output:
        try:
            cli.main(args=args, prog_name="negotiation")
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else EXIT_FAILED
        except Terminated:  # SIGTERM (a command has said "terminated")
            code = EXIT_TERMINATED
        except KeyboardInterrupt:  # outside a command, which reports its own
            code = EXIT_INTERRUPTED
        except OutputError as error:  # standard output failing outside a command (--help)
            click.echo(f"Error: {error}", err=True)
            code = EXIT_BAD_INPUT
        return exit_code(code, output)


__all__ = ["cli", "main"]
