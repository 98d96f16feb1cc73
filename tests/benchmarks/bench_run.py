"""Wall time of `negotiation run` on the documented scenario, start-up included.

Measured against two baselines in the same run, on the same machine: a bare Python start-up,
and Python importing the libraries the CLI stands on (click, transitions, ruamel.yaml, pydantic,
rich). Each command runs `--runs` times after one warm-up; the table gives the median and the
fastest run. Not part of the test suite: timings are measured, never asserted.

    python tests/benchmarks/bench_run.py --runs 20
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCENARIO = "scenarios/gaza-2025.yaml"


def commands() -> list[tuple[str, list[str]]]:
    python = sys.executable
    console = shutil.which("negotiation") or str(Path(python).parent / "negotiation")
    return [
        ("python start-up (baseline)", [python, "-c", "pass"]),
        (
            "python importing click, transitions, ruamel.yaml, pydantic, rich (baseline)",
            [python, "-c", "import click, transitions, ruamel.yaml, pydantic, rich"],
        ),
        (f"negotiation run {SCENARIO}", [console, "run", SCENARIO]),
        (
            f"negotiation run {SCENARIO} --format json",
            [console, "run", SCENARIO, "--format", "json"],
        ),
    ]


def measure(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per command")
    args = parser.parse_args()
    print(f"| command | median (ms) | fastest (ms) |  ({args.runs} runs each)")
    print("| --- | ---: | ---: |")
    for label, command in commands():
        times = measure(command, args.runs)
        median = statistics.median(times) * 1000
        fastest = min(times) * 1000
        print(f"| {label} | {median:.0f} | {fastest:.0f} |")


if __name__ == "__main__":
    main()
