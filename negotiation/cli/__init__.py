"""The `negotiation` command: a thin layer over the Python API.

Exit codes: 0 success; 1 the scenario ran but something it asserted failed (an expectation, a
refused event, an invariant); 2 bad input or usage, with `file:line:col: message` on stderr and
no traceback (`--debug` shows one); 130 interrupted.
"""

from __future__ import annotations

import sys

from negotiation.cli import check, replay
from negotiation.cli.base import EXIT_FAILED, cli

# Each module adds its commands to `cli` when it is imported.
COMMAND_MODULES = (replay, check)


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


__all__ = ["cli", "main"]
