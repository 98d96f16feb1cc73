"""The package's front door: its docstring's examples run, and it exports what it says."""

from __future__ import annotations

import doctest
from pathlib import Path

import negotiation

ROOT = Path(__file__).parent.parent


def test_the_package_docstring_examples_run(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # the example replays scenarios/gaza-2025.yaml
    result = doctest.testmod(negotiation, verbose=False, report=False)
    assert result.attempted >= 5, "the examples were not found"
    assert result.failed == 0


def test_every_exported_name_exists() -> None:
    assert negotiation.__all__ == sorted(negotiation.__all__)
    assert all(hasattr(negotiation, name) for name in negotiation.__all__)
