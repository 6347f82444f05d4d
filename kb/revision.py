"""The evidence folder as it was at a git revision, unpacked into a temporary folder."""

from __future__ import annotations

import contextlib
import io
import posixpath
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kb.errors import KbError
from kb.sitecode import CONFIG_NAME, docs_dir


class RevisionError(KbError):
    """Not a git repository, or not a revision in it; the message says which."""


def _git(cwd: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RevisionError(f"git could not be run: {error}") from None
    if result.returncode != 0:
        raise RevisionError(result.stderr.decode("utf-8", "replace").strip())
    return result.stdout


def commit_of(folder: Path, revision: str) -> str:
    """The full commit id `revision` names, as seen from `folder`."""
    try:
        return (
            _git(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
            .decode()
            .strip()
        )
    except RevisionError:
        raise RevisionError(
            f"'{revision}' is not a commit of the repository holding {folder}; "
            "fetch it first (e.g. git fetch origin main)"
        ) from None


@contextlib.contextmanager
def evidence_at(evidence: Path, revision: str) -> Iterator[Path]:
    """Yield a folder holding `evidence` as committed at `revision`; empty if it did not exist
    then. Beside it, as beside the evidence folder itself, the site configuration of that
    revision (mkdocs.yml and its docs folder), so that their KB115 problems are compared too.
    The folder is removed afterwards."""
    folder = evidence.resolve()
    top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    commit = commit_of(folder, revision)
    relative = folder.relative_to(top).as_posix()
    with tempfile.TemporaryDirectory(prefix="kb-diff-") as temporary:
        target = Path(temporary) / "project" / "evidence"
        target.mkdir(parents=True)
        _extract(top, commit, relative, target)
        parent = posixpath.dirname(relative) if relative != "." else ""
        config = posixpath.join(parent, CONFIG_NAME)
        if parent != relative and _exists(top, commit, config):
            data = _git(top, "show", f"{commit}:{config}")
            (target.parent / CONFIG_NAME).write_bytes(data)
            docs = docs_dir(data)
            if docs is not None:
                _extract(top, commit, posixpath.join(parent, docs), target.parent / docs)
        yield target


def _exists(top: Path, commit: str, path: str) -> bool:
    return bool(_git(top, "ls-tree", "--name-only", commit, "--", path).strip())


def _extract(top: Path, commit: str, path: str, target: Path) -> None:
    """The tree at `path` of `commit` into the folder `target`, when it exists."""
    if not _exists(top, commit, path):
        return
    target.mkdir(parents=True, exist_ok=True)
    tree = f"{commit}^{{tree}}" if path in (".", "") else f"{commit}:{path}"
    archive = _git(top, "archive", "--format=tar", tree)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def changed_files(evidence: Path, revision: str) -> frozenset[str]:
    """Files of `evidence` (relative to it, with '/') that differ from `revision`: changed,
    added or renamed since, committed or not, and new files git does not ignore."""
    folder = evidence.resolve()
    commit = commit_of(folder, revision)
    changed = _git(folder, "diff", "--name-only", "--relative", "-z", commit, "--", ".")
    untracked = _git(folder, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    names = (changed + untracked).decode("utf-8", "surrogateescape").split("\0")
    return frozenset(name for name in names if name)
