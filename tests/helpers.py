"""Shared by the tests of the commands that write: fingerprints of every file under a folder,
and git run in a test repository."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under `root` (hidden ones too)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def changes(before: dict[str, str], after: dict[str, str]) -> tuple[set[str], set[str], set[str]]:
    """(added, removed, modified) paths between two snapshots."""
    added = set(after) - set(before)
    removed = set(before) - set(after)
    modified = {name for name in set(before) & set(after) if before[name] != after[name]}
    return added, removed, modified


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin", "HOME": str(root)},
        check=True,
    )
    return result.stdout
