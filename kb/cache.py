"""A content-hash cache for `kb check`, so that a re-check of an unchanged knowledge base is quick.

What is cached is derived only from file contents and kb's own code: each record file's load
result (keyed by the file's path and bytes), the parsed references.bib (keyed by its bytes), and
the problems of a whole run (keyed by every input plus the check date). A cache that is missing,
stale, corrupted or written by another kb version is ignored and rebuilt, never trusted: the
results of a run are the same with and without it (tested). Writes are atomic (temporary file and
rename), so two runs sharing the folder at once each see a whole file, old or new.

The cache holds pickles. It lives in a git-ignored folder of the working copy and is read only
by kb; do not point it at a folder that others can write to.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kb
from kb.files import write_atomic

DEFAULT_FOLDER = Path(".kb-cache")
_MAGIC = b"kb-cache\n"


def _fingerprint() -> str:
    """A hash of all of kb's own source files: any change to kb's code invalidates what the cache
    holds (hashing the whole package is cheap, and never misses a module a result depends on)."""
    digest = hashlib.sha256()
    package = Path(kb.__file__).parent
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def content_key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@dataclass
class _Store:
    """One pickled dict on disk, loaded lazily, written back only if it changed."""

    file: Path
    entries: dict[str, Any] | None = None
    changed: bool = False

    def load(self) -> dict[str, Any]:
        if self.entries is None:
            self.entries = _read(self.file)
        return self.entries

    def put(self, key: str, value: Any) -> None:
        self.load()[key] = value
        self.changed = True

    def save(self, keep: set[str] | None = None) -> None:
        if not self.changed or self.entries is None:
            return
        if keep is not None:  # drop entries of files that no longer exist
            self.entries = {k: v for k, v in self.entries.items() if k in keep}
        _write(self.file, self.entries)
        self.changed = False
        for stale in self.file.parent.glob(f"{self.file.name.split('-')[0]}-*.pickle"):
            if stale != self.file:  # written by another version of kb's code
                stale.unlink(missing_ok=True)


@dataclass
class CheckCache:
    folder: Path = DEFAULT_FOLDER
    used: set[str] = field(default_factory=set)
    """Record keys this run looked up; the others belong to files that are gone."""
    _stores: dict[str, _Store] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.version = _fingerprint()

    def store(self, name: str) -> _Store:
        if name not in self._stores:
            self._stores[name] = _Store(self.folder / f"{name}-{self.version}.pickle")
        return self._stores[name]

    def save(self) -> None:
        for name, store in self._stores.items():
            store.save(self.used if name == "records" else None)


def _read(file: Path) -> dict[str, Any]:
    try:
        data = file.read_bytes()
    except OSError:
        return {}
    if not data.startswith(_MAGIC):
        return {}
    try:
        entries = pickle.loads(data[len(_MAGIC) :])
    except Exception:  # a damaged cache is rebuilt, whatever the damage
        return {}
    return entries if isinstance(entries, dict) else {}


def _write(file: Path, entries: dict[str, Any]) -> None:
    data = _MAGIC + pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):  # a cache that cannot be written only slows the next run
        write_atomic(file, data)
