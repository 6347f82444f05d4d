"""A content-hash cache, so that a re-check or a rebuild of an unchanged knowledge base is quick.

What is cached is derived only from file contents and kb's own code. For `kb check`: each record
file's load result (keyed by the file's path and the bytes that were parsed), the parsed
references.bib (keyed by its bytes), and the problems of a whole run (keyed by every input plus
the check date). For the build, kb.history keeps each commit's analysed claims (keyed by the
commit). A cache that is missing, stale, corrupted or written by another kb version is ignored and
rebuilt, never trusted: the results of a run are the same with and without it (tested). Writes are
atomic (temporary file and rename), so two runs sharing the folder at once each see a whole file;
the last to write wins, and what the other added is computed again next time. The records store,
the largest by far, is kept in parts, so that one edited record rewrites one part.

The cache holds data only: JSON with a format number, each entry checked against the shape kb
writes before it is used, never pickle, so no file put into the folder can run code. A store is
read only when it is a regular file (not a link, nor a pipe that would block) of at most
`MAX_STORE_BYTES`. A folder that git tracks is refused (and not used at all): a cache committed to
a repository would answer a fresh clone's check, in CI too, with whatever results its author chose.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kb
from kb.files import display_path, read_regular, tracked_by_git, write_atomic
from kb.problems import Problem, code_named

DEFAULT_FOLDER = Path(".kb-cache")
FORMAT = 1
"""The layout of the cache's JSON files; a file of another format is ignored."""
MAX_STORE_BYTES = 1 << 30
"""The records store is about 10 KiB per record (100 MiB at 10,000 studies, in `PARTS` files);
a larger file is not read."""
PARTS = 64
"""The records store's files: one edited record rewrites one of them (1.6 MiB at 10,000
studies, not 100 MiB)."""


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
        # a file name git or the file system gives undecodable keeps its bytes (surrogateescape)
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def problem_data(problem: Problem) -> list[Any]:
    """A problem as JSON data."""
    return [
        problem.path,
        problem.line,
        problem.col,
        str(problem.code),
        problem.message,
        problem.hint,
    ]


def problem_from(data: Any) -> Problem:
    """The problem `problem_data` wrote; ValueError (or TypeError, KeyError for an unknown
    code) when `data` is anything else."""
    path, line, col, code, message, hint = data
    texts_ok = isinstance(path, str) and isinstance(message, str) and isinstance(hint, str | None)
    numbers_ok = all(isinstance(n, int) and not isinstance(n, bool) for n in (line, col))
    if not (texts_ok and numbers_ok and isinstance(code, str)):
        raise ValueError("not a problem")
    return Problem(path, line, col, code_named(code), message, hint)


@dataclass
class Store:
    """One JSON object on disk, loaded lazily, written back only if it changed."""

    file: Path
    version: str
    enabled: bool = True
    entries: dict[str, Any] | None = None
    changed: bool = False

    def load(self) -> dict[str, Any]:
        if self.entries is None:
            self.entries = _read(self.file, self.version) if self.enabled else {}
        return self.entries

    def put(self, key: str, value: Any) -> None:
        self.load()[key] = value
        self.changed = True

    def replace(self, entries: dict[str, Any]) -> None:
        """Hold exactly `entries` from now on (written back only if that changes anything)."""
        if self.load() != entries:
            self.entries, self.changed = entries, True

    def save(self, keep: set[str] | None = None) -> None:
        if not self.enabled or not self.changed or self.entries is None:
            return
        if keep is not None:  # drop entries that are no longer needed
            self.entries = {k: v for k, v in self.entries.items() if k in keep}
        _write(self.file, {"format": FORMAT, "kb": self.version, "entries": self.entries})
        self.changed = False
        name = self.file.name.split("-")[0]
        stale = [*self.file.parent.glob(f"{name}-*.json"), *self.file.parent.glob("*.pickle")]
        for file in stale:
            if file != self.file:  # written by another version of kb (pickles: older ones)
                file.unlink(missing_ok=True)


@dataclass
class CacheFolder:
    """The cache folder: one JSON store per name ('records', 'history'), each for this version
    of kb's code."""

    folder: Path = DEFAULT_FOLDER
    refused: str | None = None
    """Why the folder is not used (it is tracked by git), for the command to tell; None when it
    is used."""
    _stores: dict[str, Store] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.version = _fingerprint()
        if self.refused is None and tracked_by_git(self.folder):
            self.refused = (
                f"the cache folder {display_path(self.folder)} is tracked by git, so its "
                "contents could come from anyone: it is not used; remove it from the "
                "repository (git rm -r --cached) and keep it git-ignored"
            )

    def release(self) -> None:
        """Forget the stores read so far (after saving them), for the memory they hold."""
        self.save()
        self._stores.clear()

    def save(self) -> None:
        for store in self._stores.values():
            store.save()

    def store(self, name: str) -> Store:
        """The store `name` (one word, no '-'), loaded when first used."""
        if name not in self._stores:
            file = self.folder / f"{name}-{self.version}.json"
            self._stores[name] = Store(file, self.version, enabled=self.refused is None)
        return self._stores[name]


@dataclass
class PartedStore:
    """The records store: one JSON object in `PARTS` files, a key's part chosen by a hash of
    the key. An entry is taken out of memory when it is read (its record is built from it and
    the entry is not needed again), and what is put is made only when the store is saved: at
    10,000 studies the store's hundred MB of JSON held as objects was about 0.7 GB. Saving
    rewrites only the parts that gained an entry or hold one not kept, each read again from
    disk for the entries taken from it; as with the other stores, when two runs save one part
    at once, the last wins."""

    folder: Path
    name: str
    version: str
    enabled: bool = True
    _unread: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Each part read so far: the entries not yet taken."""
    _held: dict[int, set[str]] = field(default_factory=dict)
    """Each part read so far: every key its file held."""
    _added: dict[int, dict[str, Callable[[], Any]]] = field(default_factory=dict)
    """Each part's entries put since the last save, to be made when it is saved."""

    def part(self, key: str) -> int:
        return zlib.crc32(key.encode("utf-8", "surrogateescape")) % PARTS

    def file(self, part: int) -> Path:
        return self.folder / f"{self.name}-{self.version}-{part:02x}.json"

    def take(self, key: str) -> Any:
        """The entry under `key` (None when there is none), let go from memory."""
        part = self.part(key)
        if part not in self._unread:
            entries = _read(self.file(part), self.version) if self.enabled else {}
            self._unread[part], self._held[part] = entries, set(entries)
        return self._unread[part].pop(key, None)

    def put(self, key: str, value: Callable[[], Any]) -> None:
        """Keep under `key` what `value` gives when the store is saved (made then, not held
        until then: the records it is made from are held anyway)."""
        if self.enabled:
            self._added.setdefault(self.part(key), {})[key] = value

    def save(self, keep: set[str]) -> None:
        """Write each part that changed, holding the keys in `keep` only; a part that would be
        empty is removed (a part this run did not read holds only keys it does not keep)."""
        if not self.enabled:
            return
        for part in range(PARTS):
            added = self._added.pop(part, {})
            held = self._held.get(part)
            file = self.file(part)
            if not added and (not file.exists() if held is None else held <= keep):
                continue  # nothing there, or nothing there to drop
            on_disk = _read(file, self.version)
            texts = {
                key: json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                for key, value in on_disk.items()
                if key in keep and key not in added
            }
            for key, value in added.items():
                if key not in keep:
                    continue  # not a file of the last load: made for nothing
                text = json.dumps(value(), ensure_ascii=False, separators=(",", ":"))
                if _encodes(text):  # a lone surrogate: see `_write`
                    texts[key] = text
            body = ",".join(f"{json.dumps(key)}:{texts[key]}" for key in sorted(texts))
            head = json.dumps({"format": FORMAT, "kb": self.version})[:-1]
            with contextlib.suppress(OSError):
                if texts:
                    write_atomic(file, f'{head},"entries":{{{body}}}}}'.encode())
                else:
                    file.unlink(missing_ok=True)
            self._held[part] = set(texts)
        for file in self.folder.glob(f"{self.name}-*.json"):
            if not file.name.startswith(f"{self.name}-{self.version}-"):
                file.unlink(missing_ok=True)  # another version's, or the store as one file
        for file in self.folder.glob("*.pickle"):
            file.unlink(missing_ok=True)  # written by older versions of kb


@dataclass
class CheckCache(CacheFolder):
    used: set[str] = field(default_factory=set)
    """Record keys this run looked up; the others belong to files that are gone."""
    _records: PartedStore | None = None
    loaded: dict[str, Any] = field(default_factory=dict)
    """Record key -> what loading that file gave, as built from the cache or parsed: what
    `kb.corpus` returns again while this cache is kept in memory (as `make serve` keeps it)."""

    @property
    def records(self) -> PartedStore:
        if self._records is None:
            enabled = self.refused is None
            self._records = PartedStore(self.folder, "records", self.version, enabled)
        return self._records

    def save(self) -> None:
        super().save()
        if self._records is not None:
            self._records.save(self.used)
        self.loaded = {key: value for key, value in self.loaded.items() if key in self.used}

    def release(self) -> None:
        super().release()
        self._records, self.loaded = None, {}


def _read(file: Path, version: str) -> dict[str, Any]:
    """The entries of a cache file, or none when it is missing, damaged or not kb's own shape;
    each entry is checked again where it is used."""
    raw = read_regular(file, MAX_STORE_BYTES)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # a damaged cache is rebuilt
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("kb") != version:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _write(file: Path, data: dict[str, Any]) -> None:
    # a cache that cannot be written only slows the next run: a full disk, a read-only folder,
    # or text that is not Unicode (a lone surrogate, which an "\ud800" escape in YAML can give)
    with contextlib.suppress(OSError, UnicodeEncodeError):
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        write_atomic(file, text)
