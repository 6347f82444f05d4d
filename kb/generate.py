"""Write generated pages into the docs folder without ever touching a hand-written file.

kb records what it wrote in a manifest (path and SHA-256 of each file). A later run rewrites only
files whose text changed, removes files it wrote before and no longer produces, and refuses to
overwrite or remove anything it did not write itself, or that was edited since it wrote it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kb.errors import KbError
from kb.files import digest, move_into_place, stage, write_atomic

MANIFEST = ".kb-generated.json"
STAGING = ".kb-staging-"
"""The prefix of the folder in the docs folder where a run's new files wait until every file has
been checked (a dot: MkDocs leaves it out of the site)."""


class GenerationError(KbError):
    """A generated file would overwrite a hand-written one, or one edited by hand."""


@dataclass
class GenerationReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Stale files left in place because they were edited by hand since kb wrote them."""


def _load_manifest(docs: Path) -> dict[str, set[str]]:
    """Path -> the digests of what kb wrote there. A path can have two: the run that wrote the
    manifest may have been stopped between writing the old and the new text."""
    try:
        data = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files", {}) if isinstance(data, dict) else {}
    if not isinstance(files, dict):
        return {}
    known: dict[str, set[str]] = {}
    for name, value in files.items():
        digests = value if isinstance(value, list) else [value]
        known[str(name)] = {str(d) for d in digests}
    return known


def _write_manifest(docs: Path, files: dict[str, set[str]], kept: list[str]) -> None:
    entries = {n: sorted(d)[0] if len(d) == 1 else sorted(d) for n, d in sorted(files.items())}
    manifest: dict[str, object] = {"files": entries}
    manifest.update({"kept": sorted(kept)} if kept else {})
    text = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    target = docs / MANIFEST
    if not target.is_file() or target.read_bytes() != text:  # an unchanged build touches nothing
        write_atomic(target, text)


def _target(docs: Path, name: str, inside: dict[Path, bool] | None = None) -> Path | None:
    """Where `name` lives under `docs`, or None when it would be outside: a path with '..', an
    absolute one, or one through a symbolic link that leads out of the docs folder. `inside`
    remembers, folder by folder, whether a folder lies inside, so that thousands of pages in
    one folder resolve it once."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    target = docs / path
    if target.is_symlink():  # the file itself may lead out, whatever its folder
        return target if target.resolve().is_relative_to(docs.resolve()) else None
    known = {} if inside is None else inside
    folder = target.parent
    if folder not in known:
        known[folder] = folder.resolve().is_relative_to(docs.resolve())
    return target if known[folder] else None


def sync_generated(
    docs: Path, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]]
) -> GenerationReport:
    """Make the generated files under `docs` exactly `files`: relative path -> bytes, or the
    (path, bytes) pairs as they are made, so that a caller need not hold every file at once.

    Each file is checked as it comes and, when its bytes differ from those on disk, written to a
    staging folder inside `docs`; only once every file has been checked are they moved into
    place, so a refusal changes nothing. Before moving them, the manifest records the digests
    about to be written as well as the old ones, so a run that is stopped half-way leaves files
    that the next run still recognises as its own. A staging folder left by a run that was
    killed is removed by the next."""
    previous = _load_manifest(docs)
    report = GenerationReport()
    for left in docs.glob(f"{STAGING}*"):  # a killed run's: kb alone writes these names
        shutil.rmtree(left, ignore_errors=True)
    digests: dict[str, str] = {}
    staged: list[tuple[str, Path, Path]] = []  # name, target, the new bytes' staged file
    staging: Path | None = None
    inside: dict[Path, bool] = {}
    try:
        for name, data in files.items() if isinstance(files, Mapping) else files:
            if name in digests:
                raise GenerationError(f"two generated files at {name!r}")
            target, current = _checked_target(docs, name, previous, inside)
            digests[name] = digest(data)
            if current == data:
                report.unchanged.append(name)
                continue
            if staging is None:
                docs.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=docs))
            staged.append((name, target, stage(target, data, staging)))
        stale = sorted(set(previous) - set(digests))
        if staged or stale:
            intent = {name: set(found) for name, found in previous.items()}
            for name, _, _ in staged:
                intent.setdefault(name, set()).add(digests[name])
            _write_manifest(docs, intent, [])
        for name, target, file in staged:
            move_into_place(file, target)
            report.written.append(name)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    for name in stale:
        old = _target(docs, name)
        if old is None or old.is_symlink() or not old.is_file():
            continue  # not a file kb wrote: kb writes no links and nothing outside the folder
        if digest(old.read_bytes()) not in previous[name]:
            report.kept.append(name)
            continue
        old.unlink()
        report.removed.append(name)
        _remove_empty_parents(old.parent, docs)
    _write_manifest(docs, {name: {found} for name, found in digests.items()}, report.kept)
    for names in (report.written, report.unchanged):
        names.sort()
    return report


def _checked_target(
    docs: Path, name: str, previous: dict[str, set[str]], inside: dict[Path, bool]
) -> tuple[Path, bytes | None]:
    """Where `name` is written, and the bytes there (None when there is no file);
    GenerationError when it is outside the docs folder, or a file there was not written by kb
    or was edited since."""
    target = _target(docs, name, inside)
    if target is None:
        raise GenerationError(f"refusing to write outside the docs folder: {name!r}")
    if not target.is_file():
        return target, None
    current = target.read_bytes()
    if name not in previous:
        raise GenerationError(
            f"{target} exists and was not written by kb; move it, or rename the record "
            "that generates it"
        )
    if digest(current) not in previous[name]:
        raise GenerationError(
            f"{target} was edited by hand since kb generated it; move the "
            "edits into the records or a hand-written page, then delete it"
        )
    return target, current


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    while (
        folder != stop and folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir())
    ):
        folder.rmdir()
        folder = folder.parent
