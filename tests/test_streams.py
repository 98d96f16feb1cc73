"""Standard streams and signals, in real processes: what a shell, a pipe or a terminal does to
the program and what it must answer (an exit code, one line or nothing, never a traceback)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).parent.parent
GAZA = str(ROOT / "scenarios" / "gaza-2025.yaml")
PROGRAM = [sys.executable, "-m", "negotiation"]
WATCHDOG = 120  # seconds; a bound on a hung process, never a measurement


def environment(**changes: str) -> dict[str, str]:
    settled = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NO_COLOR", "FORCE_COLOR", "TERM", "PYTHONIOENCODING"}
    }
    settled.update(changes)
    return settled


def _default_signals() -> None:
    # a test run in the background may ignore SIGINT; the program rightly keeps it ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(*args: str, stdout=subprocess.PIPE, env: dict[str, str] | None = None):
    return subprocess.run(
        [*PROGRAM, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env or environment(),
        timeout=WATCHDOG,
        check=False,
    )


def in_shell(redirection: str, *args: str):
    """Run the program from bash with `redirection` applied (`>&-` closes standard output)."""
    return subprocess.run(
        ["bash", "-c", f'"$@" {redirection}', "bash", *PROGRAM, *args],
        capture_output=True,
        env=environment(),
        timeout=WATCHDOG,
        check=False,
    )


def in_terminal(*args: str, env: dict[str, str]) -> tuple[int, bytes]:
    """Run the program with a pseudo-terminal for its standard streams: code and all it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*PROGRAM, *args], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    shown = b""
    try:
        while select.select([leader], [], [], WATCHDOG)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the program has gone and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return process.wait(timeout=WATCHDOG), shown


# Standard output


def test_closed_standard_output_exits_2_saying_so():
    result = in_shell(">&-", "run", GAZA)
    assert result.returncode == 2
    assert result.stderr == b"Error: standard output: is closed\n"


def test_closed_standard_output_is_no_matter_when_the_output_goes_to_a_file(tmp_path):
    written = tmp_path / "trace.json"
    result = in_shell(">&-", "run", GAZA, "--format", "json", "-o", str(written))
    assert result.returncode == 0, result.stderr
    assert written.read_text(encoding="utf-8").startswith("{")


def test_a_full_disk_on_standard_output_exits_2_saying_so():
    with open("/dev/full", "wb") as full:
        result = run("run", GAZA, stdout=full)
    assert result.returncode == 2
    assert result.stderr == b"Error: standard output: cannot be written (No space left on device)\n"


@pytest.mark.parametrize("args", [["run", GAZA], ["--help"]], ids=["run", "help"])
def test_a_reader_that_went_away_ends_the_program_quietly_with_141(args):
    reading, writing = os.pipe()
    os.close(reading)  # before the program writes: it must meet a broken pipe
    try:
        result = run(*args, stdout=writing)
    finally:
        os.close(writing)
    assert result.returncode == 141
    assert result.stderr == b""


# Standard error


def test_closed_standard_error_does_not_stop_a_run():
    result = in_shell("2>&-", "run", GAZA, "--format", "json")
    assert result.returncode == 0
    assert b'"phase": "resumed_strikes, no_deal, mediated_talks"' in result.stdout


def test_closed_standard_error_keeps_the_exit_code_of_an_error():
    result = in_shell("2>&-", "run", "no-such-file.yaml")
    assert result.returncode == 2
    assert result.stdout == b""


def test_closed_standard_error_is_not_reused_for_an_output_file(tmp_path):
    written = tmp_path / "trace.json"
    result = in_shell("2>&-", "run", GAZA, "--format", "json", "-o", str(written))
    assert result.returncode == 0
    assert written.read_text(encoding="utf-8").startswith("{")


# Encodings


@pytest.mark.parametrize(
    "settings",
    [
        {"PYTHONIOENCODING": "latin-1"},
        {"PYTHONIOENCODING": "ascii"},
        {"LANG": "C", "LC_ALL": "C"},
    ],
    ids=["latin-1", "ascii", "C locale"],
)
def test_any_encoding_prints_the_timeline_and_the_errors_without_failing(settings):
    result = run("run", GAZA, env=environment(**settings))
    assert result.returncode == 0, result.stderr
    assert b"End state:\n" in result.stdout
    assert b"  talks     mediated_talks (Mediated talks)\n" in result.stdout
    missing = run("run", "nö-such→file.yaml", env=environment(**settings))
    assert missing.returncode == 2
    assert b"such" in missing.stderr
    assert b"Traceback" not in missing.stderr


# Colour


@pytest.mark.parametrize(
    ("settings", "coloured"),
    [
        ({"TERM": "xterm"}, True),
        ({"TERM": "dumb"}, False),
        ({"TERM": "xterm", "NO_COLOR": "1"}, False),
    ],
    ids=["xterm", "dumb", "NO_COLOR"],
)
def test_colour_on_a_terminal_unless_turned_off(settings, coloured):
    code, shown = in_terminal("run", GAZA, env=environment(**settings))
    assert code == 0
    assert b"Expectations met." in shown
    assert (b"\x1b" in shown) is coloured


@pytest.mark.parametrize(
    ("settings", "coloured"),
    [({}, False), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
    ids=["pipe", "FORCE_COLOR", "NO_COLOR wins"],
)
def test_colour_into_a_pipe_only_when_forced(settings, coloured):
    result = run("run", GAZA, env=environment(**settings))
    assert result.returncode == 0
    assert (b"\x1b" in result.stdout) is coloured


# Signals


@pytest.mark.parametrize(
    ("number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_a_signal_during_a_long_check_exits_with_its_code_and_no_traceback(tmp_path, number, code):
    # Standard error is a terminal, so the check shows its progress line: once it shows, the
    # program is in the long work, and the signal is sent then, not after some guessed delay.
    leader, follower = pty.openpty()
    with open(tmp_path / "stdout", "wb") as stdout:
        process = subprocess.Popen(
            [*PROGRAM, "check", "--properties", "gaza_truce", "--examples", "100000"],
            cwd=tmp_path,
            stdout=stdout,
            stderr=follower,
            env=environment(TERM="xterm"),
            preexec_fn=_default_signals,
        )
    os.close(follower)
    shown = bytearray()
    started = threading.Event()

    def drain() -> None:
        while select.select([leader], [], [], WATCHDOG)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown.extend(chunk)
            if b"histories" in shown:
                started.set()
        started.set()  # the program ended (or hung): let the test see why

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        assert started.wait(WATCHDOG)
        assert process.poll() is None, bytes(shown)
        process.send_signal(number)
        assert process.wait(timeout=WATCHDOG) == code
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(timeout=WATCHDOG)
        os.close(leader)
    assert b"Traceback" not in shown
    assert b"Traceback" not in (tmp_path / "stdout").read_bytes()
