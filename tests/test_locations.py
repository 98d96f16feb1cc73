"""An error inside an expression is located at its character in the file, however YAML wrote the
expression: escapes in double quotes, doubled quotes in single quotes, a line continuation."""

from __future__ import annotations

from pathlib import Path

import pytest

from negotiation import FileError, load_model

MODEL = """model: m
title: M
variables:
  held: {{type: int, min: 0, max: 10, initial: 3}}
phases: {{a: {{title: A}}, b: {{title: B}}}}
initial: a
events:
  go:
    from: [a]
    to: b
    guards:
      - {{name: g, when: {rule}, reason: r}}
"""


@pytest.mark.parametrize(
    ("rule", "line", "column"),
    [
        ('"held \\u003e= 1 and zz"', 12, 45),
        ('"held \\x3e= 1 and \\\n    zz"', 13, 5),
        ("'held >= 1 and ''x'' == zz'", 12, 49),
        ('"held \\t>= 1 and \\"x\\" == zz"', 12, 51),
        ("held >= 1 and zz", 12, 39),
    ],
    ids=["unicode-escape", "line-continuation", "doubled-single-quote", "tab-and-quote", "plain"],
)
def test_an_unknown_name_is_located_at_its_character(
    tmp_path: Path, rule: str, line: int, column: int
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MODEL.format(rule=rule), encoding="utf-8")
    with pytest.raises(FileError) as error:
        load_model(path)
    [problem] = error.value.problems
    assert problem.message == "unknown name 'zz'"
    assert (problem.location.line, problem.location.column) == (line, column)
    assert path.read_text().splitlines()[line - 1][column - 1 : column + 1] == "zz"
