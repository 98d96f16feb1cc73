"""The `simulate` command: Monte Carlo outcomes under an analyst's rates."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import click

from negotiation.cli.base import FORMAT, OUTPUT, cli, emit
from negotiation.errors import UsageError

DEFAULT_MODEL = "gaza_truce"


@cli.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--from",
    "scenario",
    type=click.Path(dir_okay=False),
    help="Start from this scenario's state (with --after).",
)
@click.option(
    "--after",
    metavar="EVENT_ID",
    help="With --from: start from the state after this entry (an id, a step number or "
    "a date, as --until takes).",
)
@click.option(
    "--rates",
    type=click.Path(dir_okay=False),
    help="A rates file (default: the model's own, shipped with it).",
)
@click.option(
    "--runs",
    type=click.IntRange(1, 10_000_000),
    default=10_000,
    show_default=True,
    help="How many histories to run.",
)
@click.option(
    "--horizon",
    type=click.IntRange(0, 36_500),
    default=365,
    show_default=True,
    metavar="DAYS",
    help="How many days each history runs.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="The seed: the same seed gives the same results for any --workers.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Processes to run blocks of runs on.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Send the blocks of runs to the Dask distributed cluster whose scheduler is at "
    "ADDRESS (tcp://host:8786); needs the cluster extra. The results are the same bytes as "
    "a local run's with the same seed.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(0.1, 600),
    default=10,
    show_default=True,
    metavar="SECONDS",
    help="With --scheduler: how long to try to reach the scheduler before giving up.",
)
@click.option(
    "--sweep",
    "sweep_file",
    type=click.Path(dir_okay=False),
    help="A sweep file: run the simulation for a grid (or a sample) of the rates it varies, "
    "with the same seed, and report which rate moves the odds of each phase most.",
)
@FORMAT
@OUTPUT
def simulate(
    model: str | None,
    scenario: str | None,
    after: str | None,
    rates: str | None,
    runs: int,
    horizon: int,
    seed: int,
    workers: int,
    scheduler: str | None,
    connect_timeout: float,
    sweep_file: str | None,
    output_format: str,
    output: str | None,
) -> None:
    """Run many histories of a model under stated rates, a day at a time, and report the odds.

    MODEL is a built-in model's name or a model file (default: gaza_truce, or the scenario's
    model with --from). Each day every run attempts at most one event, chosen by the rates of
    the phases it is in (the rates file's comments say where each rate comes from: they are
    assumptions, not facts); a refused or broken event leaves the run where it was.

    \b
    Examples:
      negotiation simulate --runs 2000 --horizon 180 --seed 7
      negotiation simulate --from scenarios/gaza-2025.yaml --after 3 --runs 2000 --seed 1
      negotiation simulate --sweep sweep.yaml --runs 2000 --horizon 180
      negotiation simulate --scheduler tcp://10.0.0.5:8786 --runs 1000000
    """
    from negotiation.analyses.rates import default_rates_path, load_rates
    from negotiation.analyses.simulate import model_of
    from negotiation.analyses.simulate import simulate as run
    from negotiation.kernel.kernel import Kernel
    from negotiation.render.simulate import simulation_json, simulation_text
    from negotiation.rules.load import load_model

    if (scenario is None) != (after is None):
        raise click.UsageError("--from and --after go together: a scenario and an entry of it")
    start_state = None
    start_info: dict[str, Any] | None = None
    if scenario is not None and after is not None:
        from negotiation.scenarios.load import load_scenario
        from negotiation.scenarios.replay import replay

        loaded = load_scenario(scenario)
        loaded_model = loaded.model
        if model is not None and load_model(model).name != loaded_model.name:
            raise UsageError(
                f"the scenario is of model '{loaded_model.name}', not '{model}'", "MODEL"
            )
        trace = replay(loaded, on_refused="skip", until=after)
        start_state = trace.final
        start_info = {"scenario": scenario, "after": after}
        the_model = loaded_model
    else:
        the_model = load_model(model or DEFAULT_MODEL)
    if rates is None:
        default = default_rates_path(the_model)
        if default is None:
            raise UsageError(f"model '{the_model.name}' has no default rates: give --rates FILE")
        rates_file = load_rates(default, the_model, f"negotiation/models/rates/{default.name}")
    else:
        rates_file = load_rates(rates, the_model)
    kernel = Kernel.from_model(the_model)
    packed = kernel.pack(start_state) if start_state is not None else None
    sweep = None
    if sweep_file is not None:
        from negotiation.analyses.sweep import load_sweep

        sweep = load_sweep(sweep_file, the_model, rates_file)
    source = model_of(the_model)
    if scheduler is not None and source == the_model.path:
        source = os.path.abspath(source)  # a file: the workers read it at the same path
    with contextlib.ExitStack() as stack:
        executor = None
        if scheduler is not None:
            from negotiation.analyses.cluster import cluster

            connected = stack.enter_context(cluster(scheduler, connect_timeout))
            executor = connected.executor
            workers = max(workers, connected.threads)
        if sweep is not None:
            from negotiation.analyses.sweep import run_sweep
            from negotiation.render.sweep import sweep_json, sweep_text

            points = len(sweep.points(seed))
            with _progress(runs * points) as advance:
                found = run_sweep(
                    kernel,
                    rates_file,
                    sweep,
                    runs=runs,
                    horizon=horizon,
                    seed=seed,
                    start=packed,
                    workers=workers,
                    model_source=source,
                    executor=executor,
                    progress=advance,
                    start_info=start_info,
                )
            emit(sweep_json(found) if output_format == "json" else sweep_text(found), output)
            return
        with _progress(runs) as advance:
            result = run(
                kernel,
                rates_file,
                runs=runs,
                horizon=horizon,
                seed=seed,
                start=packed,
                workers=workers,
                model_source=source,
                progress=advance,
                executor=executor,
                start_info=start_info,
            )
    emit(simulation_json(result) if output_format == "json" else simulation_text(result), output)


class _progress:
    """A rich progress bar on standard error when it is a terminal; nothing otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("simulating", total=self.total)
        return lambda runs: self.bar.advance(task, runs)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
