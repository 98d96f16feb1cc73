"""The `report` command: one self-contained HTML page of a replay."""

from __future__ import annotations

import click

from negotiation.cli.base import OUTPUT, cli, emit


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--compare",
    "other",
    metavar="OTHER",
    type=click.Path(dir_okay=False),
    help="A second scenario (a counterfactual, say), shown side by side from where the two "
    "histories part.",
)
@OUTPUT
def report(scenario: str, other: str | None, output: str | None) -> None:
    """Write SCENARIO's replay as one self-contained HTML page (-o FILE is required).

    The page shows the timeline coloured by each region's phase, the model's diagram with the
    path marked (when Graphviz is installed), each int variable over time as a chart, refusals,
    broken rules and checkpoints, and the sources with their grades and addresses. It has no
    script and loads nothing from the network. Refused events are recorded and the replay goes
    on, as with `compare`.

    \b
    Examples:
      negotiation report scenarios/gaza-2025.yaml -o gaza.html
      negotiation report scenarios/gaza-2025.yaml \\
        --compare scenarios/what-if-doha-talks-succeed.yaml -o what-if.html
    """
    if output is None:
        raise click.UsageError("report writes a page: give the file with -o FILE")
    from negotiation.files.output import check_output
    from negotiation.render.report import render_report
    from negotiation.scenarios.load import load_scenario
    from negotiation.scenarios.replay import replay

    if other is not None:
        # `emit` guards the arguments; --compare's file is an input too. force=True: here only
        # the input is checked, and `emit` judges links and read-only files with the user's --force.
        check_output(output, inputs=[other], force=True)
    trace = replay(load_scenario(scenario), on_refused="skip")
    second = replay(load_scenario(other), on_refused="skip") if other is not None else None
    emit(render_report(trace, second), output)
