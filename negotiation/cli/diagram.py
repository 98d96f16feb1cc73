"""The command that draws a model: diagram."""

from __future__ import annotations

import click

from negotiation.cli.base import OUTPUT, cli, emit
from negotiation.errors import NegotiationError, UsageError

DEFAULT_MODEL = "gaza_truce"
DOT_SECONDS = 60  # a model's diagram takes dot well under a second; this only stops a hang


@cli.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["mermaid", "dot", "svg"]),
    default="mermaid",
    show_default=True,
    help="mermaid (a stateDiagram-v2), dot (Graphviz), or svg (drawn by Graphviz's dot, which "
    "must be installed).",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    help="Replay this scenario and mark its path: the step numbers on the transitions it took, "
    "the phases it went through.",
)
@click.option(
    "--at",
    "at",
    metavar="STEP",
    help="With --scenario: mark the phases each region is in after this step (a step number "
    "as `run` shows it, 0 for the start, or an entry's id), and the path only up to it.",
)
@OUTPUT
def diagram(
    model: str | None,
    output_format: str,
    scenario: str | None,
    at: str | None,
    output: str | None,
) -> None:
    """Draw a model as a state diagram: Mermaid, Graphviz DOT or SVG.

    MODEL is a built-in model's name or a model file (default: gaza_truce).

    Regions are drawn as clusters, phases by their titles, the initial phase of each region
    with an arrow from a start point, final phases marked; each transition is labelled with
    its event and, in brackets, its guards. Events that change only the ledger (no `to`) are
    not drawn. With --scenario the diagram is of the scenario's model (MODEL, if given, must be
    that model) and the replay's path is marked; the replay stops at a refused event, as `run`
    does.

    \b
    Examples:
      negotiation diagram
      negotiation diagram yemen_truce --format dot -o yemen.dot
      negotiation diagram --scenario scenarios/gaza-2025.yaml --at 5 --format svg -o at-5.svg
    """
    from negotiation.render.diagram import replay_path, step_number, to_dot, to_mermaid

    if at is not None and scenario is None:
        raise click.UsageError("--at marks a step of a replay: give --scenario too")
    if output is not None:
        _refuse_inputs(output, [path for path in (model, scenario) if path])
    path = None
    if scenario is not None:
        from negotiation.scenarios.load import load_scenario
        from negotiation.scenarios.replay import replay

        loaded = load_scenario(scenario)
        drawn = loaded.model
        if model is not None:
            from negotiation.rules.load import load_model

            named = load_model(model)
            if named.name != drawn.name:
                raise UsageError(
                    f"the scenario replays the model '{drawn.name}', not '{named.name}'",
                    "--scenario",
                )
        if output is not None and drawn.path:
            _refuse_inputs(output, [drawn.path])
        trace = replay(loaded)
        path = replay_path(trace, None if at is None else step_number(trace, at))
    else:
        from negotiation.rules.load import load_model

        drawn = load_model(model or DEFAULT_MODEL)
    if output_format == "mermaid":
        text = to_mermaid(drawn, path)
    else:
        text = to_dot(drawn, path)
        if output_format == "svg":
            text = _svg(text)
    emit(text, output)


def _refuse_inputs(output: str, inputs: list[str]) -> None:
    """Refuse an output that is one of the files read, before the work: `emit` protects only
    the command's arguments, and a scenario is an option. (Links and read-only files are left
    to `emit`, which knows whether --force was given.)"""
    from negotiation.files.output import check_output

    check_output(output, inputs=inputs, force=True)


def _svg(dot_text: str) -> str:
    """The DOT text drawn as SVG by Graphviz's `dot`."""
    import shutil  # (here, not at the top: every command would pay for them at start-up)
    import subprocess

    program = shutil.which("dot")
    if program is None:
        raise UsageError(
            "svg is drawn by Graphviz's dot, which is not installed (apt-get install graphviz, "
            "brew install graphviz); --format dot writes the source instead",
            "--format",
        )
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=DOT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NegotiationError(f"dot did not finish in {DOT_SECONDS} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NegotiationError(f"dot failed: {reason[0] if reason else done.returncode}")
    return done.stdout.decode("utf-8")
