"""Commands that replay scenarios: run, compare, new."""

from __future__ import annotations

import click

from negotiation.cli.base import (
    EXIT_FAILED,
    OUTPUT,
    PAGE_FORMAT,
    cli,
    emit,
    text_width,
    use_color,
)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@PAGE_FORMAT
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
    "--trusted-source",
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
@click.option(
    "--until",
    metavar="DATE|STEP",
    help="Stop the replay there: after the step with this id or number, or before the first "
    "step dated after DATE. Expectations are not checked; a cut is not a failure.",
)
def run(
    scenario: str,
    output_format: str,
    output: str | None,
    on_refused: str,
    trusted_source: str | None,
    sensitivity: bool,
    until: str | None,
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
      negotiation run scenarios/gaza-2025.yaml --until 2025-03-18
    """
    from negotiation.scenarios.load import load_scenario
    from negotiation.scenarios.replay import replay

    loaded = load_scenario(scenario)
    if trusted_source is not None:
        loaded.check_trusted_source(trusted_source)
    if sensitivity:
        if trusted_source is not None or on_refused != "stop" or until is not None:
            raise click.UsageError(
                "--sensitivity replays every figure's values itself, recording refusals and "
                "going on to the end; it takes neither --trusted-source, --on-refused nor --until"
            )
        from negotiation.analyses.sensitivity import sensitivity as vary

        result = vary(loaded)
        if output_format == "markdown":
            raise click.UsageError("--sensitivity prints text or json, not markdown")
        if output_format == "json":
            from negotiation.render.data import sensitivity_data, to_json

            text = to_json(sensitivity_data(result))
        else:
            from negotiation.render.text import render_sensitivity

            text = render_sensitivity(result, width=text_width(output))
        emit(text, output)
        if not result.baseline.ok:
            click.get_current_context().exit(EXIT_FAILED)
        return
    trace = replay(
        loaded,
        on_refused="skip" if on_refused == "skip" else "stop",
        trusted_source=trusted_source,
        until=until,
    )
    if output_format == "json":
        from negotiation.render.data import to_json, trace_data

        text = to_json(trace_data(trace))
    elif output_format == "markdown":
        from negotiation.render.markdown import trace_markdown

        text = trace_markdown(trace, width=text_width(output))
    else:
        from negotiation.render.text import render_trace

        text = render_trace(trace, color=use_color(output), width=text_width(output))
    emit(text, output)
    if not trace.ok:
        click.get_current_context().exit(EXIT_FAILED)


@cli.command()
@click.argument("first", metavar="A", type=click.Path(dir_okay=False))
@click.argument("second", metavar="B", type=click.Path(dir_okay=False))
@PAGE_FORMAT
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
    from negotiation.analyses.compare import compare as diverge
    from negotiation.scenarios.load import load_scenario
    from negotiation.scenarios.replay import replay

    scenarios = [load_scenario(path) for path in (first, second)]
    traces = [replay(scenario, on_refused="skip") for scenario in scenarios]
    result = diverge(*traces)
    if output_format == "json":
        from negotiation.render.data import divergence_data, to_json

        text = to_json(divergence_data(result))
    elif output_format == "markdown":
        from negotiation.render.markdown import divergence_markdown

        text = divergence_markdown(result, width=text_width(output))
    else:
        from negotiation.render.compare import render_divergence

        text = render_divergence(result, width=text_width(output))
    emit(text, output)


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
@click.option(
    "--force", is_flag=True, help="Overwrite FILE if it exists, or write the file it links to."
)
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

    from negotiation.files.output import check_output, write_output
    from negotiation.scenarios.load import load_scenario
    from negotiation.scenarios.writer import counterfactual_skeleton

    check_output(output, inputs=[base], overwrite=force, force=force)
    loaded = load_scenario(base)
    folder = os.path.dirname(os.path.abspath(output))
    reference = Path(os.path.relpath(os.path.abspath(base), folder)).as_posix()
    text = counterfactual_skeleton(loaded, reference, at, Path(output))
    write_output(output, text, inputs=[base], overwrite=force, force=force)
    click.echo(f"wrote {output}: a counterfactual of {loaded.name} diverging at '{at}'")
