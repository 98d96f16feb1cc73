"""The `walkthrough` command: step through a scenario for teaching, in the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from negotiation.cli.base import OUTPUT, cli, emit, text_width, use_color

if TYPE_CHECKING:
    from negotiation.teaching.walkthrough import Walkthrough

# Keys that act at once on a terminal when nothing has been typed; `j` opens a line for its
# target (`j 5`, `j 2022-10-02`, `j truce_lapses`).
SINGLE_KEYS = "nbpxrq123456789"


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="text: the session (or, with --no-input or -o, the whole walkthrough as a handout). "
    "markdown: the whole walkthrough as a lesson page.",
)
@OUTPUT
@click.option(
    "--no-input",
    is_flag=True,
    help="Ask nothing: print the whole walkthrough, every decision point answered and every "
    "counterfactual stepped through, for a handout.",
)
@click.option(
    "--until",
    metavar="DATE|STEP",
    help="Stop the history there: after the step with this id or number, or before the first "
    "step dated after DATE. A decision point just after it is still offered.",
)
def walkthrough(
    scenario: str, output_format: str, output: str | None, no_input: bool, until: str | None
) -> None:
    """Step through SCENARIO for teaching, one step at a time.

    Each step shows its date and event, who says so (the source, with its title), the phases
    before and after, the rule that allowed it and why (or refused it), what changed in the
    ledger and the teaching notes. Where a counterfactual of SCENARIO (a scenario file in the
    same folder that extends it) diverges, the student may predict what happens next, see the
    answer, branch into the counterfactual and return. Debrief questions come at the end.

    \b
    Keys: n (or Enter) next · b back · j jump to a step number, id or date ·
          p predict · 1-9 choose · x branch · r return · q quit

    \b
    Examples:
      negotiation walkthrough scenarios/yemen-2022.yaml
      negotiation walkthrough scenarios/yemen-2022.yaml --until 2022-10-01
      negotiation walkthrough scenarios/yemen-2022.yaml --no-input -o handout.txt
      negotiation walkthrough scenarios/yemen-2022.yaml --format markdown -o lesson.md
    """
    from negotiation.teaching.walkthrough import walkthrough as build

    walk = build(scenario, until)
    if output_format == "markdown":
        from negotiation.render.walkthrough import render_lesson

        emit(render_lesson(walk), output)
        return
    if no_input or output is not None:
        from negotiation.render.walkthrough import render_handout

        emit(render_handout(walk, width=text_width(output)), output)
        return
    _session(walk)


def _session(walk: Walkthrough) -> None:
    from negotiation.render.walkthrough import render_keys, render_screen
    from negotiation.teaching.walkthrough import Goodbye, Session

    session = Session(walk)
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    read = _key_reader() if terminal else _line_reader()
    import shutil  # (here: at the top, every command would pay for it at start-up)

    width = shutil.get_terminal_size().columns if terminal else text_width(None)
    color = use_color(None)
    screens = session.begin()
    while True:
        for screen in screens:
            click.echo(render_screen(screen, color=color, width=width), nl=False, color=color)
        if session.done or any(isinstance(screen, Goodbye) for screen in screens):
            return
        click.echo(render_keys(session.commands()))
        command = read("> ")
        if command is None:  # end of input: as if the student had quit
            command = "q"
        click.echo()
        screens = session.handle(command)


def _line_reader() -> Callable[[str], str | None]:
    """Commands a line at a time from standard input that is not a terminal (a script, a
    test), each echoed after its prompt so that a transcript reads as the session did."""

    def read(prompt: str) -> str | None:
        line = sys.stdin.readline()
        if not line:
            return None
        click.echo(f"{prompt}{line.rstrip()}")
        return line.rstrip("\r\n")

    return read


def _key_reader() -> Callable[[str], str | None]:
    """Commands from the terminal through prompt_toolkit: a single key acts at once when
    nothing has been typed; `j` and anything longer is a line ended by Enter."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    bindings = KeyBindings()
    prompt_session: PromptSession[str] = PromptSession(key_bindings=bindings)
    empty = Condition(lambda: not prompt_session.default_buffer.text)

    def at_once(key: str) -> Callable[[KeyPressEvent], None]:
        def handler(event: KeyPressEvent) -> None:
            event.app.exit(result=key)

        return handler

    for key in SINGLE_KEYS:
        bindings.add(key, filter=empty)(at_once(key))

    def read(prompt: str) -> str | None:
        try:
            return prompt_session.prompt(prompt)
        except EOFError:  # Ctrl-D
            return None

    return read
