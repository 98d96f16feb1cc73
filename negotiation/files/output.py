"""The one writer of output files: every file the program writes goes through `write_output`.

What it promises, for the path it is given:

- It writes a regular file or a new path, nothing else. A device (`/dev/null`), a FIFO, a socket
  or a folder is refused, so not even root replaces `/dev/null` with a file. A symbolic link is
  refused unless `force`; with it, the file the link points to is written and the link is kept.
- It never writes over an input of the command (compared by device and inode, so a hard link or
  a symbolic link to an input is caught too).
- Readers see the old file or the new one, never a mix: the text goes to a temporary file in the
  target's folder, is synced, and only then takes the target's name. A new file takes it with
  `os.link`, which fails if a file appeared there meanwhile, so of two writers racing to create
  a file exactly one succeeds and nothing is overwritten without `overwrite`.
- An existing file keeps its mode (and its owner and group, where the system allows it); a new
  one gets `0o666` less the umask, as `open()` would give it.
- The temporary file has a short name (`.ng-` and 8 random hex digits), so any target name the
  file system accepts works, and it is removed on every way out: an error, an exception, or a
  signal that raises one (the CLI makes SIGTERM raise, as Python makes SIGINT raise).

Every refusal and failure is an `OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable

from negotiation.errors import OutputError

# Enough for the name to be free in practice; a loop keeps it free in theory.
TEMPORARY_ATTEMPTS = 100
# File systems that have no hard links answer os.link with one of these.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}

PathName = str | os.PathLike[str]
_APPEARED = "was created by someone else meanwhile; left as it is"


def check_output(
    path: PathName,
    *,
    inputs: Iterable[PathName] = (),
    overwrite: bool = True,
    force: bool = False,
) -> str:
    """The file `write_output` would write for `path`, or an OutputError saying why none.

    Commands call it before long work, so that a target it would refuse is refused at once.
    """
    return _inspect(path, inputs, overwrite, force)[0]


def write_output(
    path: PathName,
    text: str,
    *,
    inputs: Iterable[PathName] = (),
    overwrite: bool = True,
    force: bool = False,
) -> str:
    """Write `text` (as UTF-8) to `path` atomically, and return the file written.

    `inputs` are the files the command read: none of them is written over. `overwrite` lets an
    existing regular file be replaced; `force` also writes through a symbolic link (to the
    file it points to) and over a read-only file, keeping its mode.
    """
    given = os.fspath(path)
    target, existing = _inspect(path, inputs, overwrite, force)
    folder = os.path.dirname(target) or "."
    data = text.encode("utf-8", errors="backslashreplace")
    temporary: str | None = None
    try:
        for _ in range(TEMPORARY_ATTEMPTS):
            # Named before it exists, so that a signal at any point after os.open leaves a
            # name for `finally` to remove; a name found taken is someone else's, not removed.
            temporary = os.path.join(folder, f".ng-{secrets.token_hex(4)}.tmp")
            try:
                handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                temporary = None
        else:
            raise OutputError(given, f"no free temporary name in {folder}")
        with os.fdopen(handle, "wb") as stream:
            if existing is not None:
                _keep_owner_and_mode(stream.fileno(), existing)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        _publish(temporary, target, existing, given)
        _sync_folder(folder)
    except OSError as error:
        raise OutputError(given, f"cannot be written ({_reason(error)})") from error
    finally:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return target


def _inspect(
    path: PathName, inputs: Iterable[PathName], overwrite: bool, force: bool
) -> tuple[str, os.stat_result | None]:
    """The file to write and, if it exists, its status; or an OutputError."""
    given = target = os.fspath(path)
    if not given or given.endswith(os.sep):
        raise OutputError(given, "is not a file name")
    found = _status(given, given)
    if found is not None and stat.S_ISLNK(found.st_mode):
        if not force:
            raise OutputError(given, "is a symbolic link; use --force to write what it points to")
        target = os.path.realpath(given)
        found = _status(target, given)
    if found is not None:
        kind = _kind(found.st_mode)
        if kind:
            raise OutputError(given, f"is {kind}, not a regular file")
        if _is_one_of(found, inputs):
            raise OutputError(given, "is an input of this command; write to another file")
        if not overwrite:
            raise OutputError(given, "exists; use --force to overwrite it")
        if not found.st_mode & 0o222 and not force:
            raise OutputError(given, "is read-only; use --force to replace it (it stays read-only)")
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise OutputError(given, f"no such folder: {folder}")
    return target, found


def _status(path: str, given: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError(given, f"cannot be written ({_reason(error)})") from error


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message ("" for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link that leads to no file"  # a loop of links
    return "not a regular file"


def _is_one_of(found: os.stat_result, paths: Iterable[PathName]) -> bool:
    for path in paths:
        try:
            other = os.stat(path)
        except (OSError, ValueError):
            continue  # not a file (a built-in model's name, say): nothing to protect
        if (other.st_dev, other.st_ino) == (found.st_dev, found.st_ino):
            return True
    return False


def _keep_owner_and_mode(handle: int, existing: os.stat_result) -> None:
    # Owner first: changing it clears the set-user-ID bits a mode may then restore. A user who
    # may not give the file away may still keep its group, which decides who reads a 0o640 file.
    for owner in (existing.st_uid, -1):
        try:
            os.fchown(handle, owner, existing.st_gid)
            break
        except PermissionError:
            continue
    os.fchmod(handle, stat.S_IMODE(existing.st_mode))


def _publish(temporary: str, target: str, existing: os.stat_result | None, given: str) -> None:
    """Give the temporary file the target's name, without ever replacing a file it has not seen."""
    if existing is None:
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise OutputError(given, _APPEARED) from None
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            # No hard links here (FAT, some network file systems): claim the name with O_EXCL,
            # then rename over the empty file claimed.
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                raise OutputError(given, _APPEARED) from None
            try:
                os.replace(temporary, target)
            except BaseException:
                os.unlink(target)  # the empty file claimed above, no one else's
                raise
            return
        os.unlink(temporary)
        return
    now = _status(target, given)
    if now is None or (now.st_dev, now.st_ino) != (existing.st_dev, existing.st_ino):
        raise OutputError(given, "was replaced by someone else meanwhile; left as it is")
    os.replace(temporary, target)


def _sync_folder(folder: str) -> None:
    """Make the new name durable: on Linux a rename is on disk once its folder is synced."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise  # some file systems cannot sync a folder; the file itself is synced
    finally:
        os.close(handle)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
