"""Text from a file can never drive the reader's terminal: control and format characters in
titles, notes and claims reach the output escaped (issue 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from negotiation.cli import cli
from negotiation.errors import shown

ROOT = Path(__file__).parent.parent
HOSTILE_TITLE = "Title \x1b]0;owned\x07 and \x1b]52;c;Y2xpcA==\x07"
HOSTILE_NOTE = "note \x1b[31mred\x1b[0m \x9b1m"
HOSTILE_CLAIM = "claim \u202eesrever\u202c and \x7f"


def hostile_scenario(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "scenarios" / "gaza-2025.yaml", tmp_path / "gaza-2025.yaml")
    text = (ROOT / "scenarios" / "what-if-talks-collapse.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "title: What if the Doha talks had collapsed and Israel had seized territory? "
        "(counterfactual)",
        f"title: {json.dumps(HOSTILE_TITLE)}",
    )
    text = text.replace(
        "    note: Hypothetical.\n\n", f"    note: {json.dumps(HOSTILE_NOTE)}\n\n", 1
    )
    text = text.replace(
        "says: Netanyahu threatened to seize parts of Gaza if Hamas did not release hostages.",
        f"says: {json.dumps(HOSTILE_CLAIM)}",
    )
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shown_escapes_control_and_format_characters_only() -> None:
    assert shown("plain text, «quoted», 58 held") == "plain text, «quoted», 58 held"
    assert shown("a\x1b]0;x\x07b") == "a\\x1b]0;x\\x07b"
    assert shown("\u202e\x7f\x9b") == "\\u202e\\x7f\\x9b"


def test_run_prints_file_text_with_escapes_escaped(tmp_path: Path) -> None:
    path = hostile_scenario(tmp_path)
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for raw in ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u202c"):
        assert raw not in out, repr(raw)
    assert "Title \\x1b]0;owned\\x07 and \\x1b]52;c;Y2xpcA==\\x07" in out
    assert "\\x1b[31mred\\x1b[0m" in out
    assert "\\u202eesrever\\u202c" in out


def test_compare_prints_file_text_with_escapes_escaped(tmp_path: Path) -> None:
    path = hostile_scenario(tmp_path)
    result = CliRunner().invoke(cli, ["compare", str(tmp_path / "gaza-2025.yaml"), str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;owned\\x07" in result.stdout


def test_json_keeps_the_text_as_written(tmp_path: Path) -> None:
    path = hostile_scenario(tmp_path)
    result = CliRunner().invoke(cli, ["run", str(path), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["title"] == HOSTILE_TITLE  # JSON escapes it itself; a program gets the data
    for raw in ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u202c"):
        assert raw not in result.stdout, repr(raw)
