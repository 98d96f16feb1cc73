"""--format markdown for run and compare: a page a class can read, with text from files inert."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from negotiation.cli import cli
from negotiation.render.markdown import code, md

MODELS = Path(__file__).parent / "models"


def test_run_as_markdown_has_a_title_the_timeline_and_the_sources_as_links() -> None:
    result = CliRunner().invoke(
        cli, ["run", str(MODELS / "two-regions-scenario.yaml"), "--format", "markdown"]
    )
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith("# Two regions\n")
    assert "## Timeline\n\n```text\n" in page
    source = "- `wire`: Example Wire, A made-up report for the tests, 2025-03-01."
    assert f"## Sources\n\n{source}" in page
    assert all(len(line.encode()) <= 80 for line in page.split("## Sources")[0].splitlines())


def test_compare_as_markdown() -> None:
    path = str(MODELS / "two-regions-scenario.yaml")
    result = CliRunner().invoke(cli, ["compare", path, path, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "## Where the histories part" in result.stdout
    assert "The histories do not diverge" in result.stdout


def test_text_from_a_file_is_inert_in_markdown() -> None:
    assert md("# not a heading, *not bold*, <b>not html</b>\n[x](javascript:y)") == (
        "\\# not a heading, \\*not bold\\*, \\<b\\>not html\\</b\\> \\[x\\](javascript:y)"
    )
    assert md("line one\nline two\x1b[31m") == "line one line two\\\\x1b\\[31m"
    assert code("a `b` c") == "``a `b` c``"
