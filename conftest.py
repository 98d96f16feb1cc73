"""Runs the examples in docs/ and the README, so the docs cannot drift from the program.

Sybil collects the Markdown files. Two kinds of fenced block are checked:

- ```python blocks are executed, in order, sharing one namespace per file (a block of `>>>`
  prompts is a doctest);
- ```console blocks hold shell sessions: each `$ command` (with its `> ` continuation lines)
  is run by bash at the root of a copy of the repository (its tracked files, as a fresh clone
  has them), and what it prints (stdout and stderr, interleaved) must match the lines that
  follow, with `...` matching anything, as in doctest.

Blocks in other languages (```sh for the README's install commands, ```yaml) are shown, not run:
the install commands are run verbatim by .ci/run.

Every document's examples are marked slow (each runs a real process), so that `-m "not slow"`
gives a quick run of the library's own tests; the README's `python -m pytest -q` runs them with
the rest.
"""

from __future__ import annotations

import doctest
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser

ROOT = Path(__file__).parent
_CHECKER = doctest.OutputChecker()

# Marked whole: a document's examples share one namespace and one scratch folder, so a later
# example may need an earlier one.
SLOW_DOCUMENTS = {
    "docs/how-to/test-your-rules.md": "runs hypothesis with the budgets it shows: about 20 s",
    "docs/performance.md": "runs the benchmarks",
}


def _tracked_files() -> list[str]:
    """The repository's files as a fresh clone has them (git's index), else its main folders."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        listed = ""
    files = [name for name in listed.split("\0") if name]
    if files:
        return files
    folders = ("scenarios", "docs", "negotiation", "tests")
    return [
        str(path.relative_to(ROOT))
        for folder in folders
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and "node_modules" not in path.parts
    ]


def _setup(namespace: dict[str, Any]) -> None:
    # The commands run at the root of a copy of the repository, as a reader pastes them at the
    # root of a fresh clone, so no example can write into the checkout.
    scratch = Path(tempfile.mkdtemp(prefix="negotiation-docs-"))
    for name in _tracked_files():
        source = ROOT / name
        if source.is_file():
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    namespace["scratch"] = scratch
    namespace["_previous_cwd"] = os.getcwd()
    os.chdir(scratch)


def _teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["_previous_cwd"])
    shutil.rmtree(namespace["scratch"], ignore_errors=True)


def _sessions(source: str) -> list[tuple[str, str]]:
    sessions: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        elif sessions and line.startswith("> ") and not sessions[-1][1]:
            # a continuation line, as the shell's secondary prompt shows it
            command, output = sessions[-1]
            sessions[-1] = (command + "\n" + line[2:], output)
        elif sessions:
            sessions[-1][1].append(line)
    return [(command, "\n".join(lines)) for command, lines in sessions]


def evaluate_console(example: Example) -> str | None:
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment.pop("FORCE_COLOR", None)
    environment["NO_COLOR"] = "1"
    environment["COLUMNS"] = "80"
    for command, expected in _sessions(example.parsed):
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=example.namespace["scratch"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # interleaved, as a terminal shows them
            text=True,
            timeout=120,
            check=False,
        )
        got = "\n".join(line.rstrip() for line in result.stdout.splitlines())
        want = "\n".join(line.rstrip() for line in expected.splitlines()).strip("\n")
        if not _CHECKER.check_output(want + "\n", got.strip("\n") + "\n", doctest.ELLIPSIS):
            return f"$ {command}\n--- expected ---\n{want}\n--- got ---\n{got}\n"
    return None


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(),
        CodeBlockParser(language="console", evaluator=evaluate_console),
    ],
    patterns=["*.md"],
    setup=_setup,
    teardown=_teardown,
).pytest()


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--regenerate-golden",
        action="store_true",
        help="rewrite the golden files in tests/golden/ from the current output (review the diff)",
    )


EXTERNAL_PROGRAMS = ("chromium", "mermaid", "tmux", "svg", "terminal", "real_process")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The quick run (`-m "not slow"`) is the library's own tests. Slow, and run by the README's
    # test command and .ci/run: every example of the docs (each a real process), the tests that
    # drive other programs (a real process, Chromium, node's Mermaid parser, tmux, Graphviz),
    # and the large property runs marked in their files.
    slow = {ROOT / document for document in SLOW_DOCUMENTS}
    for item in items:
        external = any(word in item.name for word in EXTERNAL_PROGRAMS)
        if (
            item.path in slow
            or item.path.suffix == ".md"
            or item.get_closest_marker("subprocess")
            or external
        ):
            item.add_marker(pytest.mark.slow)
