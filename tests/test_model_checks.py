"""Checks a model must pass when it is loaded, each reported where the file says it."""

from __future__ import annotations

from pathlib import Path

import pytest

from negotiation import FileError, load_model

MODELS = Path(__file__).parent / "models"


def test_no_event_may_leave_a_final_phase() -> None:
    with pytest.raises(FileError) as error:
        load_model(MODELS / "final_phase_with_a_way_out.yaml")
    [problem] = error.value.problems
    assert (problem.location.line, problem.location.column) == (12, 19)
    assert problem.message == "'done' is final: no event may leave it (this one leads to 'open')"


def test_an_event_that_stays_in_a_final_phase_is_allowed(tmp_path: Path) -> None:
    text = (MODELS / "final_phase_with_a_way_out.yaml").read_text(encoding="utf-8")
    path = tmp_path / "stays.yaml"
    path.write_text(text.replace("reopen: {from: [done], to: open}", "note: {from: [done]}"))
    assert "note" in load_model(path).events
