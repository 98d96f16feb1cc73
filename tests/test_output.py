"""The one output writer: what it refuses, what it keeps, and that it leaves nothing behind.

Through the API (`write_output`), through the CLI with click's CliRunner, and in real processes
for what only a process shows (a signal while a file is being written).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from negotiation.cli import cli
from negotiation.errors import OutputError
from negotiation.files import output
from negotiation.files.output import check_output, write_output

ROOT = Path(__file__).parent.parent
GAZA = ROOT / "scenarios" / "gaza-2025.yaml"
TEMPORARY = re.compile(r"\.ng-[0-9a-f]{8}\.tmp")


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".ng-"))


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


# What it refuses


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_device_is_refused_and_never_replaced_even_by_root(force):
    before = os.stat("/dev/null")
    with pytest.raises(OutputError, match=r"^/dev/null: is a device, not a regular file$"):
        write_output("/dev/null", "text", force=force)
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_run_into_dev_null_exits_2_with_one_line_naming_it():
    result = invoke("run", GAZA, "-o", "/dev/null", "--force")
    assert result.exit_code == 2
    assert result.stderr == "Error: /dev/null: is a device, not a regular file\n"
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="is a FIFO"):
        write_output(fifo, "text")  # opening it would block: the test would hang
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_a_folder_is_refused(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_output(folder, "text", force=True)
    with pytest.raises(OutputError, match="is not a file name"):
        write_output(f"{tmp_path}/new/", "text")
    assert invoke("run", GAZA, "-o", folder).exit_code == 2
    assert list(folder.iterdir()) == []


def test_a_symbolic_link_is_refused_without_force(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    with pytest.raises(OutputError, match="is a symbolic link; use --force"):
        write_output(link, "new")
    result = invoke("run", GAZA, "-o", link)
    assert result.exit_code == 2
    assert "link.txt: is a symbolic link" in result.stderr
    assert target.read_text(encoding="utf-8") == "old"


def test_with_force_a_link_is_kept_and_the_file_it_points_to_written(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    result = invoke("run", GAZA, "--format", "json", "-o", link, "--force")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert os.readlink(link) == "target.txt"
    assert '"phase": "resumed_strikes, no_deal, mediated_talks"' in target.read_text(
        encoding="utf-8"
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_to_a_device_is_refused_even_with_force(tmp_path):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="is a device"):
        write_output(link, "text", force=True)
    assert link.is_symlink()


def test_an_input_of_the_command_is_never_written_over(tmp_path):
    scenario = tmp_path / "gaza.yaml"
    scenario.write_text(GAZA.read_text(encoding="utf-8"), encoding="utf-8")
    original = scenario.read_bytes()
    result = invoke("run", scenario, "-o", scenario, "--force")
    assert result.exit_code == 2
    assert result.stderr.endswith("gaza.yaml: is an input of this command; write to another file\n")
    assert scenario.read_bytes() == original


@pytest.mark.parametrize("kind", ["hard link", "symbolic link"])
def test_another_name_for_an_input_is_caught(tmp_path, kind):
    scenario = tmp_path / "gaza.yaml"
    scenario.write_text(GAZA.read_text(encoding="utf-8"), encoding="utf-8")
    other = tmp_path / "other.yaml"
    if kind == "hard link":
        os.link(scenario, other)
    else:
        other.symlink_to(scenario)
    result = invoke("compare", GAZA, scenario, "-o", other, "--force")
    assert result.exit_code == 2
    assert "is an input of this command" in result.stderr
    assert scenario.read_text(encoding="utf-8") == GAZA.read_text(encoding="utf-8")


def test_new_never_writes_over_its_base(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(GAZA.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("new", base, "--at", "strikes_resume", "-o", base, "--force")
    assert result.exit_code == 2
    assert "is an input of this command" in result.stderr


def test_a_read_only_file_is_refused_without_force_and_stays_read_only_with_it(tmp_path):
    target = tmp_path / "frozen.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o444)
    with pytest.raises(OutputError, match="is read-only; use --force"):
        write_output(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    write_output(target, "new", force=True)
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_an_existing_file_is_refused_without_overwrite(tmp_path):
    target = tmp_path / "mine.txt"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"mine.txt: exists; use --force to overwrite it$"):
        check_output(target, overwrite=False)
    with pytest.raises(OutputError, match="exists"):
        write_output(target, "theirs", overwrite=False)
    assert target.read_text(encoding="utf-8") == "mine"


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(OutputError, match="no such folder"):
        write_output(tmp_path / "absent" / "out.txt", "text")


# What it keeps


def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask_022):
    target = tmp_path / "new.txt"
    write_output(target, "text")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_an_existing_file_keeps_its_mode(tmp_path, umask_022):
    target = tmp_path / "kept.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    assert invoke("run", GAZA, "--format", "json", "-o", target).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text(encoding="utf-8").startswith("{")


def test_a_250_character_file_name_works(tmp_path):
    target = tmp_path / ("t" * 245 + ".json")
    assert len(target.name) == 250
    assert invoke("run", GAZA, "--format", "json", "-o", target).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("{")
    assert leftovers(tmp_path) == []


def test_the_text_is_written_as_utf_8(tmp_path):
    target = tmp_path / "text.txt"
    write_output(target, "1–16 → ✓\n")
    assert target.read_bytes() == "1–16 → ✓\n".encode()


# Races, failures and signals


def _race(target: Path) -> dict[str, str]:
    """Two threads write `target` at once, neither with overwrite: what became of each."""
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def write(name: str) -> None:
        start.wait()
        try:
            write_output(target, name, overwrite=False)
            outcomes[name] = "written"
        except OutputError:
            outcomes[name] = "refused"

    writers = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    return outcomes


def test_of_two_writers_creating_one_file_exactly_one_succeeds(tmp_path):
    for round_ in range(20):
        target = tmp_path / f"race-{round_}.txt"
        outcomes = _race(target)
        assert sorted(outcomes.values()) == ["refused", "written"]
        winner = next(name for name, outcome in outcomes.items() if outcome == "written")
        assert target.read_text(encoding="utf-8") == winner
    assert leftovers(tmp_path) == []


def test_a_file_that_appears_while_writing_is_left_as_it_is(tmp_path, monkeypatch):
    target = tmp_path / "new.txt"
    fsync = os.fsync

    def someone_else_creates_it(handle: int) -> None:
        fsync(handle)
        if not target.exists():
            target.write_text("theirs", encoding="utf-8")

    monkeypatch.setattr(output.os, "fsync", someone_else_creates_it)
    with pytest.raises(OutputError, match="was created by someone else meanwhile"):
        write_output(target, "mine", overwrite=True)
    assert target.read_text(encoding="utf-8") == "theirs"
    assert leftovers(tmp_path) == []


def test_the_temporary_file_is_short_named_in_the_targets_folder(tmp_path, monkeypatch):
    seen: list[str] = []
    fsync = os.fsync

    def look(handle: int) -> None:
        fsync(handle)
        seen.extend(leftovers(tmp_path))

    monkeypatch.setattr(output.os, "fsync", look)
    write_output(tmp_path / ("x" * 250), "text")
    assert len(seen) == 1
    assert TEMPORARY.fullmatch(seen[0])
    assert leftovers(tmp_path) == []


def test_an_interruption_while_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    def interrupted(handle: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_output(tmp_path / "out.txt", "text")
    assert list(tmp_path.iterdir()) == []


# A writer that stops in the middle of writing (after syncing the temporary file) until a
# signal arrives; it touches `ready` first, so the test sends the signal at that point and no
# other. The sleep only bounds the test if the signal is lost.
SLOW_WRITER = """
import os, sys, time
ready, target = sys.argv[1], sys.argv[2]
fsync = os.fsync
def slow(handle):
    fsync(handle)
    open(ready, "w").close()
    time.sleep(60)
os.fsync = slow
from negotiation.cli import main
raise SystemExit(main(["schema", "model", "-o", target]))
"""


def _default_signals() -> None:
    # a test run in the background may ignore SIGINT; the program rightly keeps it ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("number", "code", "said"),
    [(signal.SIGTERM, 143, "terminated\n"), (signal.SIGINT, 130, "interrupted\n")],
    ids=["TERM", "INT"],
)
def test_a_signal_while_writing_exits_cleanly_and_leaves_no_temporary_file(
    tmp_path, number, code, said
):
    folder = tmp_path / "out"
    folder.mkdir()
    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(ready), str(folder / "schema.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )
    deadline = time.monotonic() + 120  # a watchdog, not a measurement
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ready.exists(), process.communicate(timeout=60)
    process.send_signal(number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert stderr == said  # and so no traceback
    assert list(folder.iterdir()) == []
