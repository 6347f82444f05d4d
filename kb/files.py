"""Reading and writing files safely.

Reading: only a regular file inside the knowledge base, never more than a limit, and UTF-8 with
the place of the first byte that is not. Everything that stops a file being read becomes a
problem (at the first line, or at the byte that is not UTF-8): nothing raises and nothing blocks
(a named pipe would make a plain read wait forever).

Writing: every file kb writes goes through a temporary file in the same folder, renamed or
linked into place, so no reader ever sees half a file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import BinaryIO

from kb.interrupts import signals_deferred
from kb.problems import FILE_TOO_LARGE, UNREADABLE_FILE, Code, Problem


def display_path(file: Path) -> str:
    """A path as a user at the command line would type it: relative to the working directory
    when inside it, with '/'."""
    try:
        return file.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return file.as_posix()


def display_prefix(folder: Path) -> str:
    """What goes before a path relative to `folder` to show it from the working directory:
    'evidence/' for the evidence folder, '' for the working directory itself."""
    shown = display_path(folder)
    return "" if shown in {".", ""} else shown.rstrip("/") + "/"


def read_bounded(
    file: Path,
    display_path: str,
    limit: int,
    root: Path | None = None,
    hint: str = "split it, or move long text out of the record",
) -> bytes | Problem:
    """The bytes of `file`, or the problem that stops it being read. Only a regular file inside
    `root` (after following symbolic links) is opened, so a link out of the knowledge base, a
    link loop, a folder or a FIFO (which would block forever) is reported instead; and no more
    than `limit` bytes are ever read, even from a file whose size the system misreports."""

    def failed(message: str, fix: str | None = None, code: Code = UNREADABLE_FILE) -> Problem:
        return Problem.in_file(display_path, code, message, fix)

    try:
        resolved = file.resolve(strict=True)
    except RuntimeError:  # Python before 3.13 raises this for a loop of links
        return failed("cannot read file: symbolic link loop")
    except OSError as error:
        return failed(f"cannot read file: {error.strerror or error}")
    if root is not None and not resolved.is_relative_to(root.resolve()):
        return failed(
            "the file lies outside the knowledge base (through a symbolic link)",
            "copy the file into the folder instead",
        )
    too_big = f"over the limit of {limit:,} bytes"
    try:
        status = os.stat(resolved)
        if not stat.S_ISREG(status.st_mode):
            return failed("not a regular file", "records are plain text files")
        if status.st_size > limit:
            return failed(f"file is {status.st_size:,} bytes, {too_big}", hint, FILE_TOO_LARGE)
        with open(resolved, "rb") as stream:
            raw = _read_at_most(stream, limit + 1)
    except OSError as error:
        return failed(f"cannot read file: {error.strerror or error}")
    if len(raw) > limit:
        return failed(f"file is {too_big}", hint, FILE_TOO_LARGE)
    return raw


def read_regular(file: Path, limit: int) -> bytes | None:
    """The bytes of `file` when it is a regular file, not a link, of at most `limit` bytes;
    None for anything else, for `read_bounded` to say what. The quick way to read the many
    files of a knowledge base whose folder is known to lie inside it: no path is resolved,
    and a file swapped for a link or a pipe meanwhile is not followed, nor waited on."""
    try:
        handle = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as stream:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        raw = _read_at_most(stream, limit + 1)
    return raw if len(raw) <= limit else None


def _read_at_most(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes, in chunks, so memory follows the file's real length rather than the
    limit (one `read(size)` sets aside the whole limit at once)."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def decode_utf8(raw: bytes, display_path: str) -> str | Problem:
    """UTF-8 text without a leading byte order mark, or a problem at the first invalid byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, col = _byte_position(raw, error.start)
        return Problem(
            display_path,
            line,
            col,
            UNREADABLE_FILE,
            f"byte 0x{raw[error.start]:02x} is not valid UTF-8",
            "save the file as UTF-8",
        )


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def tracked_by_git(folder: Path) -> bool:
    """Whether git tracks `folder` or anything in it (False outside a repository or without
    git)."""
    folder = folder.absolute()
    where = folder.parent
    while not where.is_dir() and where != where.parent:
        where = where.parent
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--", str(folder)],
            cwd=where,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and bool(result.stdout)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def usual_mode(directory: bool = False) -> int:
    """The mode `open` or `mkdir` would give a new file or folder under the umask (0644 and
    0755 under the usual 022). Temporary files and folders are created 0600 and 0700; those kb
    moves into place get this mode, or the site and the records would be unreadable to others
    (the web server, the Pages artifact, a colleague)."""
    return (0o777 if directory else 0o666) & ~umask()


def _temporary_beside(target: Path, data: bytes, folder: Path | None = None) -> Path:
    """`data` in a new temporary file in `target`'s folder (or in `folder`, on the same file
    system), ready to be moved into place, with the mode of the file it replaces, else the usual
    mode of a new file."""
    folder = folder or target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = usual_mode()
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
    except OSError as error:  # a full disk: name the file meant, not the temporary one
        Path(temporary).unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(target)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def write_atomic(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and a rename, so no reader ever sees half a
    file and an interrupted write leaves the old file whole. Signals wait until the write is
    done or undone, so Ctrl-C cannot leave the temporary file behind."""
    with signals_deferred():
        temporary = _temporary_beside(target, data)
        try:
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def stage(target: Path, data: bytes, folder: Path) -> Path:
    """`data` in a new file in `folder`, with the mode `target` has (or a new file's), to be
    moved into place later by `move_into_place`; signals wait until the file is whole or gone."""
    with signals_deferred():
        return _temporary_beside(target, data, folder)


def move_into_place(staged: Path, target: Path) -> None:
    """Move a file made by `stage` to `target`, replacing it in one step; on another file
    system (a folder mounted inside), copied there through a file beside it instead."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staged, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        write_atomic(target, staged.read_bytes())
        staged.unlink()


def create_atomic(target: Path, data: bytes) -> None:
    """Create a new file whole or not at all, never replacing one: FileExistsError if `target`
    exists. The text goes to a temporary file first and is then hard-linked into place, which,
    unlike a rename, fails when the name is taken."""
    with signals_deferred():
        temporary = _temporary_beside(target, data)
        try:
            os.link(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
