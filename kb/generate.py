"""Write generated pages into the docs folder without ever touching a hand-written file.

kb records what it wrote in a manifest (path and SHA-256 of each file). A later run rewrites only
files whose text changed, removes files it wrote before and no longer produces, and refuses to
overwrite or remove anything it did not write itself, or that was edited since it wrote it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MANIFEST = ".kb-generated.json"


class GenerationError(Exception):
    """A generated file would overwrite a hand-written one."""


@dataclass
class GenerationReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Stale files left in place because they were edited by hand since kb wrote them."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and a rename, so no reader ever sees half a
    file and an interrupted write leaves the old file whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create_atomic(target: Path, data: bytes) -> None:
    """Create a new file whole or not at all, never replacing one: FileExistsError if `target`
    exists. The text goes to a temporary file first and is then hard-linked into place, which,
    unlike a rename, fails when the name is taken."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.link(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _load_manifest(docs: Path) -> dict[str, str]:
    try:
        data = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise GenerationError(f"refusing to write outside the docs folder: {name!r}")
    return path


def sync_generated(docs: Path, files: dict[str, bytes]) -> GenerationReport:
    """Make the generated files under `docs` exactly `files` (relative path -> bytes)."""
    previous = _load_manifest(docs)
    report = GenerationReport()
    for name in sorted(files):
        target = docs / _safe_relative(name)
        data = files[name]
        current = target.read_bytes() if target.is_file() else None
        if current is not None and name not in previous:
            raise GenerationError(
                f"{target} exists and was not written by kb; move it, or rename the record "
                "that generates it"
            )
        if current is not None and digest(current) != previous.get(name):
            raise GenerationError(f"{target} was edited by hand since kb generated it; move the "
                                  "edits into the records or a hand-written page, then delete it")
        if current == data:
            report.unchanged.append(name)
            continue
        write_atomic(target, data)
        report.written.append(name)
    for name in sorted(set(previous) - set(files)):
        target = docs / _safe_relative(name)
        if not target.is_file():
            continue
        if digest(target.read_bytes()) != previous[name]:
            report.kept.append(name)
            continue
        target.unlink()
        report.removed.append(name)
        _remove_empty_parents(target.parent, docs)
    manifest: dict[str, object] = {"files": {name: digest(files[name]) for name in sorted(files)}}
    manifest.update({"kept": sorted(report.kept)} if report.kept else {})
    text = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    target = docs / MANIFEST
    if not target.is_file() or target.read_bytes() != text:  # an unchanged build touches nothing
        write_atomic(target, text)
    return report


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
