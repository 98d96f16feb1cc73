"""Renderer output against golden files, so any change to what users read shows as a diff.

After a deliberate change: `python -m pytest tests/test_golden.py --regenerate-golden`, then
review `git diff tests/golden/`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from negotiation.cli import cli

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"

CASES = {
    # a model with one region, in the first format: its replay must read as it always did
    "run-example-ceasefire.txt": ["run", "docs/examples/ceasefire-scenario.yaml"],
    "run-gaza-2025.txt": ["run", "scenarios/gaza-2025.yaml"],
    "run-gaza-2025.json": ["run", "scenarios/gaza-2025.yaml", "--format", "json"],
    "run-what-if-doha-talks-succeed.txt": ["run", "scenarios/what-if-doha-talks-succeed.yaml"],
    "sensitivity-gaza-2025.txt": ["run", "scenarios/gaza-2025.yaml", "--sensitivity"],
    "compare-gaza-2025-talks-collapse.txt": [
        "compare",
        "scenarios/gaza-2025.yaml",
        "scenarios/what-if-talks-collapse.yaml",
    ],
    "compare-gaza-2025-talks-collapse.json": [
        "compare",
        "scenarios/gaza-2025.yaml",
        "scenarios/what-if-talks-collapse.yaml",
        "--format",
        "json",
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_its_golden_file(name, request, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, CASES[name], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / name
    if request.config.getoption("--regenerate-golden"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")
