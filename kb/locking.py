"""One lock for every command that writes a knowledge base or its site.

`kb import`, `kb new`, `kb resolve`, `kb generate` and `kb build` each hold it while they run, so
two of them never write the same files at once (two imports appending to references.bib, two
builds swapping site/). A second command does not wait: it stops at once with one line naming
the command that holds the lock, its process id and since when.

The lock is `flock` on the file `.kb.lock` beside the evidence folder (in the repository, where
site/ and site_src/ are too; git-ignored). The kernel releases it when the process ends, however
it ends, so a killed command never leaves a stale lock; the file itself stays, holding the last
holder's name, and is harmless.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from kb.errors import KbError
from kb.files import display_path

LOCK_NAME = ".kb.lock"


class LockTaken(KbError):
    """Another command holds the write lock."""


def lock_path(evidence: Path) -> Path:
    """The lock file of the knowledge base in the folder `evidence`."""
    return evidence.absolute().parent / LOCK_NAME


@contextlib.contextmanager
def write_lock(evidence: Path, command: str) -> Iterator[None]:
    """Hold the write lock of the knowledge base in `evidence` for the block; LockTaken at once
    when another command holds it. `command` names the holder ('import', 'build', ...)."""
    path = lock_path(evidence)
    # O_NOFOLLOW: a link planted in place of the lock file is refused, never written through
    handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockTaken(
                f"{display_path(evidence)} is being written by {_holder(handle)}; "
                f"wait for it to finish, then run this again (lock: {display_path(path)})"
            ) from None
        since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        with contextlib.suppress(OSError):  # on a full disk the lock still holds, unnamed
            os.ftruncate(handle, 0)
            os.pwrite(handle, f"kb {command} (pid {os.getpid()}) since {since}\n".encode(), 0)
        yield
    finally:
        os.close(handle)  # releases the lock


def _holder(handle: int) -> str:
    """Who holds the lock, as its holder wrote it (printable characters only: the file is
    read as it is found)."""
    try:
        text = os.pread(handle, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    shown = "".join(c for c in text if c.isprintable())
    return shown or "another kb command"
