"""The command group, its error handling, what the commands share, and the process around them:
standard streams that fail cleanly and signals that unwind.

Exit codes: 0 success; 1 the scenario ran but something it asserted failed (an expectation, a
refused event, an invariant); 2 bad input or usage, with `file:line:col: message` on stderr and
no traceback (`--debug` shows one), or an output that cannot be written; 130 interrupted (SIGINT);
141 standard output's reader went away (a closed pipe); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import io
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from negotiation.errors import FileError, NegotiationError, OutputError, UsageError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head -1`
EXIT_TERMINATED = 143  # 128 + SIGTERM

FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json (one object, stable key order) for programs.",
)
PAGE_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json (one object, stable key order) for programs, markdown for a "
    "handout or a lesson page (the timeline as the terminal shows it, the sources as links).",
)
_FORCE = "negotiation.output.force"
Command = TypeVar("Command", bound=Callable[..., Any])


def _remember_force(context: click.Context, parameter: click.Parameter, value: bool) -> bool:
    context.meta[_FORCE] = value
    return value


def OUTPUT(command: Command) -> Command:
    """The options of a command that prints its result or writes it to a file: -o and --force.

    `--force` is not passed to the command: `emit` reads it, as it is only about the writing.
    """
    command = click.option(
        "--force",
        is_flag=True,
        expose_value=False,
        callback=_remember_force,
        help="With -o: write the file a symbolic link points to, or over a read-only file.",
    )(command)
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False),
        help="Write to this file instead of standard output: atomically, and never to a "
        "device, a link or an input of the command.",
    )(command)


class _Group(click.Group):
    """Turns the package's errors into one-line messages and exit codes, for every command."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # Ctrl-C while click reads the group's own options: click would say "Aborted!", exit 1.
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise SystemExit(EXIT_INTERRUPTED) from None

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
        except Terminated:
            click.echo("terminated", err=True)
            raise
        except BrokenPipeError:
            ctx.exit(EXIT_BROKEN_PIPE)  # quietly: the reader has all it wanted
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
    """Colour on standard output when it is a terminal, never in a file.

    NO_COLOR (any value but empty) turns it off, even with FORCE_COLOR; FORCE_COLOR turns it on
    even into a pipe; TERM=dumb turns it off on a terminal.
    """
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout is not None and sys.stdout.isatty()


def text_width(output: str | None) -> int:
    """The width text output is wrapped to: the terminal's, or 80 into a file or pipe."""
    from negotiation.render.text import MIN_WIDTH, WIDTH

    if output is None and sys.stdout is not None and sys.stdout.isatty():
        import shutil  # (not on the path into a file or a pipe: it costs 3 ms of start-up)

        return max(MIN_WIDTH, shutil.get_terminal_size().columns)  # the terminal's, as it is
    return WIDTH  # 80 columns into a file or a pipe


def emit(text: str, output: str | None) -> None:
    """Print `text`, or write it to the file `output` through the one output writer.

    The writer refuses to write over the command's inputs (its path arguments) and honours
    the `--force` that OUTPUT adds.
    """
    if output is None:
        click.echo(text, nl=False, color=use_color(None))
        return
    from negotiation.files.output import write_output

    context = click.get_current_context()
    force = bool(context.meta.get(_FORCE, False))
    write_output(output, text, inputs=command_inputs(context), force=force)


def command_inputs(context: click.Context) -> list[str]:
    """The files the running command reads: the values of its path arguments."""
    found: list[str] = []
    for parameter in context.command.params:
        if isinstance(parameter, click.Argument) and isinstance(parameter.type, click.Path):
            value = context.params.get(parameter.name or "")
            values = value if isinstance(value, tuple) else (value,)
            found.extend(os.fspath(item) for item in values if item)
    return found


def show_traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()


class Terminated(BaseException):
    """SIGTERM, raised where the program is, as KeyboardInterrupt is for SIGINT, so that
    `finally` blocks run (the output writer removes its temporary file) before the program
    exits with EXIT_TERMINATED.

    Neither an Exception nor a SystemExit, so that nothing takes it for a failure to handle:
    hypothesis replays a SystemExit raised in a test as a flaky failure.
    """


# What each signal raises in the main thread.
UNWINDING: dict[signal.Signals, type[BaseException]] = {
    signal.SIGINT: KeyboardInterrupt,
    signal.SIGTERM: Terminated,
}
# How long after a signal lost in a finaliser it is sent again: long enough for the code that
# lost it to have returned, short enough to go unnoticed.
SEND_AGAIN_AFTER = 0.01


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """For the block: SIGINT raises KeyboardInterrupt and SIGTERM raises Terminated, once each.

    A second signal of a kind is ignored, so that it cannot cut the clean-up short. A signal
    the parent ignores (`nohup`, a background job) stays ignored. A signal that lands in code
    where Python drops exceptions (a finaliser, a gc callback such as hypothesis installs) is
    sent again a moment later, so that it is raised in the program's own code, never lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only it receives signals
        return
    raised: set[signal.Signals] = set()

    def unwind(number: int, frame: FrameType | None) -> None:
        received = signal.Signals(number)
        if received not in raised:
            raised.add(received)
            raise UNWINDING[received]

    def send_again(unraisable: Any) -> None:
        for number, kind in UNWINDING.items():
            if type(unraisable.exc_value) is kind and number in raised:
                raised.discard(number)
                # from a thread, once this hook has returned: raised here, it would be lost too
                timer = threading.Timer(SEND_AGAIN_AFTER, _thread.interrupt_main, (number,))
                timer.daemon = True
                timer.start()
                return
        hook(unraisable)

    previous = {number: signal.getsignal(number) for number in UNWINDING}
    hook = sys.unraisablehook
    for number, old in previous.items():
        if old is not signal.SIG_IGN:
            signal.signal(number, unwind)
    sys.unraisablehook = send_again
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for number, old in previous.items():
            signal.signal(number, signal.SIG_DFL if old is None else old)


class StandardStream(io.RawIOBase):
    """A standard stream's descriptor, failing in the two ways the CLI tells apart.

    The first failure raises: BrokenPipeError when the reader went away, an OutputError naming
    the stream otherwise (a full disk, a stream closed before the program started). Later
    writes are dropped, so nothing fails again while the error is reported or at exit.
    Standard error never raises: there is nowhere left to report it.
    """

    def __init__(self, descriptor: int, label: str, closed: bool) -> None:
        super().__init__()
        self.descriptor = descriptor
        self.label = label
        self.failure: OSError | None = OSError(errno.EBADF, "closed") if closed else None
        self.reported = descriptor == 2

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.descriptor

    def isatty(self) -> bool:
        return self.failure is None and os.isatty(self.descriptor)

    def write(self, data: ReadableBuffer) -> int:
        if self.failure is None:
            try:
                return os.write(self.descriptor, data)
            except OSError as error:
                self.failure = error
        if self.reported:
            return memoryview(data).nbytes
        self.reported = True
        if isinstance(self.failure, BrokenPipeError):
            raise self.failure
        if self.failure.errno == errno.EBADF:
            raise OutputError(self.label, "is closed")
        raise OutputError(self.label, f"cannot be written ({self.failure.strerror})")

    @property
    def reader_went_away(self) -> bool:
        return isinstance(self.failure, BrokenPipeError)


@contextlib.contextmanager
def standard_streams() -> Iterator[StandardStream | None]:
    """For the block, standard output and error as the CLI needs them; yields standard output.

    Text a stream's encoding cannot hold is written with backslash escapes (PYTHONIOENCODING=
    ascii, LANG=C), never failing. A stream closed before the program started keeps its number
    held by /dev/null, so that no file the program opens takes it, and writing to it fails as
    `StandardStream` says. Streams that are not the process's own (a test's captured ones) are
    left alone.
    """
    saved = sys.stdout, sys.stderr
    closed = [not _is_open(descriptor) for descriptor in (0, 1, 2)]
    for descriptor, is_closed in enumerate(closed):
        if is_closed:
            held = os.open(os.devnull, os.O_RDWR)
            if held != descriptor:
                os.dup2(held, descriptor)
                os.close(held)
    output: StandardStream | None = None
    try:
        if sys.stdout is sys.__stdout__:
            output = StandardStream(1, "standard output", closed[1])
            sys.stdout = _text(output, sys.stdout)
        if sys.stderr is sys.__stderr__:
            sys.stderr = _text(StandardStream(2, "standard error", closed[2]), sys.stderr)
        yield output
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def _is_open(descriptor: int) -> bool:
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


def _text(raw: StandardStream, like: Any) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=getattr(like, "encoding", None) or "utf-8",
        errors="backslashreplace",
        line_buffering=raw.descriptor == 2 or raw.isatty(),  # as Python's own streams are
    )


def exit_code(code: int, output: StandardStream | None) -> int:
    """The exit code once standard output is flushed: EXIT_BROKEN_PIPE if its reader went away,
    EXIT_BAD_INPUT if what was left in it could not be written."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except NegotiationError as error:
        click.echo(f"Error: {error}", err=True)
        code = EXIT_BAD_INPUT
    if output is not None and output.reader_went_away:
        return EXIT_BROKEN_PIPE
    return code
