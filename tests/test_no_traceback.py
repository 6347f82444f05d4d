"""No traceback reaches a user: every command that writes, run as a real process against a
read-only file system and against a full one, ends with one line (`Error: ...`, exit 2) or with
its problems (exit 1), and leaves the knowledge base as it was.

As root the file systems are real: a tmpfs remounted read-only, and a tiny tmpfs filled to the
last byte (ENOSPC). Otherwise the folder is made read-only with its permissions, and a full disk
is played by the kernel's file size limit (RLIMIT_FSIZE: EFBIG on the first write past it)."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import minimal_kb, write_tree
from helpers import snapshot
from registry_server import RegistryServer
from test_resolve import EMAIL, answer_everything

TESTS = Path(__file__).resolve().parent
NBIB = TESTS / "fixtures" / "imports" / "pubmed-widgetosis-set.nbib"
ENGINE = TESTS / "fixtures" / "fake-engine"
IS_ROOT = os.geteuid() == 0

COMMANDS = {
    "import": ["import", str(NBIB), "--evidence", "evidence"],
    "new": ["new", "claim", "a-new-claim", "--evidence", "evidence"],
    "generate": ["generate", "--evidence", "evidence", "--docs", "docs", "--today", "2024-06-01"],
    "build": ["build", "--evidence", "evidence", "--docs", "docs", "--today", "2024-06-01"],
    "resolve": ["resolve", "evidence", "--today", "2024-06-01", "--retries", "0"],
    "schema": ["schema", "--out", "schemas"],
    "check": ["check", "evidence", "--today", "2024-06-01"],
}


def populate(root: Path) -> None:
    write_tree(root / "evidence", minimal_kb())
    (root / "mkdocs.yml").write_text("site_name: x\n")


@contextlib.contextmanager
def mounted(where: Path, size: str) -> Iterator[bool]:
    """A tmpfs of `size` at `where` when this runs as root: True; else False, nothing mounted."""
    where.mkdir()
    if not IS_ROOT:
        yield False
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def run(
    root: Path, command: str, server: RegistryServer, limit: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    args = list(COMMANDS[command])
    if command == "resolve":
        for name in ("--crossref-url", "--eutils-url", "--clinicaltrials-url"):
            args += [name, server.url]
    env = {
        **os.environ,
        "KB_CONTACT_EMAIL": EMAIL,
        "PYTHONPATH": str(ENGINE),
        "KB_FAKE_ENGINE": "build",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )


def assert_told_in_one_line(result: subprocess.CompletedProcess[str], command: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    if command == "check":  # reads only; a cache it cannot write only slows the next run
        assert result.returncode == 0, output
        return
    assert result.returncode in (1, 2), output
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), output
    else:  # kb import: its problems, each on one line
        assert "error[KB807] could not write: " in result.stdout, output


@pytest.fixture(scope="module")
def server() -> Iterator[RegistryServer]:
    with RegistryServer() as running:
        answer_everything(running)
        yield running


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "fs"
    with mounted(root, "4m") as is_mount:
        populate(root)
        if is_mount:
            subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        else:
            for path in [root, *root.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
        yield root
        if not is_mount:
            for path in [root, *root.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_read_only_file_system(read_only: Path, server: RegistryServer, command: str) -> None:
    before = snapshot(read_only)
    result = run(read_only, command, server)
    assert_told_in_one_line(result, command)
    if result.returncode == 2:
        assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
    assert snapshot(read_only) == before


def _fill(root: Path) -> None:
    """Write zeros until the file system has no byte left."""
    with (root / "filler").open("wb", buffering=0) as stream, contextlib.suppress(OSError):
        while True:
            stream.write(b"\0" * 4096)


def _file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write then fails with EFBIG


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_file_system(tmp_path: Path, server: RegistryServer, command: str) -> None:
    root = tmp_path / "fs"
    with mounted(root, "512k") as is_mount:
        populate(root)
        (root / "docs").mkdir()
        (root / "schemas").mkdir()
        if is_mount:
            _fill(root)
        before = snapshot(root)
        result = run(root, command, server, None if is_mount else _file_size_limit)
        assert_told_in_one_line(result, command)
        if result.returncode == 2:
            assert any(
                why in result.stderr for why in ("No space left on device", "File too large")
            ), result.stderr
        after = snapshot(root)
        after.pop(".kb.lock", None)  # the lock's file: created, empty, by the first writer
        before.pop(".kb.lock", None)
        assert after == before
        shutil.rmtree(root / "evidence")  # (the mount is removed on leaving)
