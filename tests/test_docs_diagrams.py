"""The diagrams in the docs are the model's, as `negotiation diagram` draws it today.

Every ```mermaid block in docs/ and the README must follow a marker line naming the command that
generates it, such as

    <!-- generated: negotiation diagram gaza_truce --format mermaid -->

and must be exactly what `negotiation.render.diagram.to_mermaid` gives for that model. When a
model changes, a stale page fails here; regenerate the blocks with

    python -m pytest tests/test_docs_diagrams.py --regenerate-golden

and review the diff, as for the golden files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from negotiation.render.diagram import to_mermaid
from negotiation.rules.load import load_model

ROOT = Path(__file__).parent.parent
PAGES = sorted([*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"])
MARKER = re.compile(r"^<!-- generated: negotiation diagram (\S+) --format mermaid -->$")
FENCE = "```mermaid"
REGENERATE = "python -m pytest tests/test_docs_diagrams.py --regenerate-golden"


@dataclass(frozen=True)
class Block:
    """One ```mermaid block of a page: where it is, the model its marker names, its text."""

    page: Path
    line: int  # 1-based line of the opening fence
    model: str | None  # None when the block has no marker
    text: str  # the lines between the fences, each ending in a newline

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks = []
    for index, line in enumerate(lines):
        if line.rstrip("\n") != FENCE:
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].rstrip("\n") == "```")
        previous = lines[index - 1].rstrip("\n") if index else ""
        marker = MARKER.match(previous)
        blocks.append(
            Block(
                page,
                index + 1,
                marker.group(1) if marker else None,
                "".join(lines[index + 1 : end]),
            )
        )
    return blocks


BLOCKS = [block for page in PAGES if page.is_file() for block in _blocks(page)]


def _regenerate(block: Block, expected: str) -> None:
    lines = block.page.read_text(encoding="utf-8").splitlines(keepends=True)
    end = next(i for i in range(block.line, len(lines)) if lines[i].rstrip("\n") == "```")
    lines[block.line : end] = [expected]
    block.page.write_text("".join(lines), encoding="utf-8")


def test_the_docs_hold_generated_diagrams() -> None:
    assert any(block.model == "gaza_truce" for block in BLOCKS), (
        "why-a-statechart.md lost its diagram"
    )


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_docs_diagram_is_what_the_model_draws_today(
    block: Block, pytestconfig: pytest.Config
) -> None:
    assert block.model is not None, (
        f"{block.id}: a ```mermaid block needs the line before it to name its command, "
        "'<!-- generated: negotiation diagram MODEL --format mermaid -->'"
    )
    expected = to_mermaid(load_model(block.model))
    if block.text != expected and pytestconfig.getoption("--regenerate-golden"):
        _regenerate(block, expected)
        return
    assert block.text == expected, (
        f"{block.id}: the diagram of {block.model} is out of date; regenerate it with "
        f"'{REGENERATE}' (or paste 'negotiation diagram {block.model} --format mermaid')"
    )
