"""Every file a check reads, each read exactly once, before anything is parsed.

The bytes read here are the bytes that are parsed and the bytes that cache keys are made from, so
a file saved while a check runs can never have one version's result stored under another
version's key. Reading goes through `read_bounded`: only regular files inside the knowledge base,
never more than a limit.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.cache import content_key
from kb.cite import MAX_BIB_BYTES
from kb.files import read_bounded, read_regular
from kb.load import MAX_FILE_BYTES
from kb.model import FOLDERS, QUESTION_FILE
from kb.problems import STRAY_FILE, Problem
from kb.sources.lock import LOCK_NAME, MAX_LOCK_BYTES

BIB_NAME = "references.bib"

_OPTIONAL = frozenset({"bib", "question", "lock"})
"""Files a knowledge base may lack (a missing references.bib is reported by its loader)."""
_LIMITS = {"bib": MAX_BIB_BYTES, "lock": MAX_LOCK_BYTES}
_HINTS = {
    "bib": "keep only the entries the records cite",
    "lock": "run 'kb resolve' to write it again",
}

Content = bytes | Problem | None
"""A file's bytes; the problem that stopped it being read; None when there is no such file."""


@dataclass
class Inputs:
    root: Path
    records: list[tuple[Path, str]]
    """Every record file with its kind, in a fixed order."""
    listing: list[Problem]
    """Problems of files in the folders that are not records (stray files, linked folders)."""
    content: dict[Path, Content] = field(default_factory=dict)
    plain: set[Path] = field(default_factory=set)
    """Files that are regular files, not symbolic links: only these are cached."""
    _keys: dict[tuple[Path, str], str | None] = field(default_factory=dict)

    @property
    def bib(self) -> Path:
        return self.root / BIB_NAME

    @property
    def question(self) -> Path:
        return self.root / QUESTION_FILE

    @property
    def lock(self) -> Path:
        return self.root / LOCK_NAME

    def files(self) -> list[tuple[Path, str]]:
        specials = [(self.bib, "bib"), (self.question, "question"), (self.lock, "lock")]
        return [*self.records, *specials]

    def key(self, file: Path, kind: str) -> str | None:
        """The cache key of one file: its kind, path and bytes; None for a file that is not
        cached (a link, or one that could not be read: those always take the guarded path)."""
        if (file, kind) not in self._keys:
            self._keys[file, kind] = self._key(file, kind)
        return self._keys[file, kind]

    def _key(self, file: Path, kind: str) -> str | None:
        data = self.content[file]
        path = relative_path(file, self.root)
        if data is None:
            return content_key("missing", kind, path)
        if isinstance(data, Problem) or file not in self.plain:
            return None
        return content_key(kind, path, data)

    def run_key(self, *parts: str) -> str | None:
        """A key for everything a check reads: `parts`, the listing and every file's key."""
        keys = [self.key(file, kind) for file, kind in self.files()]
        if None in keys:
            return None
        listing = json.dumps([p.to_dict() for p in self.listing], sort_keys=True)
        return content_key(*parts, listing, *(key or "" for key in keys))


def relative_path(file: Path, root: Path) -> str:
    """How problems and exports name a file of the knowledge base: relative to its folder, with
    '/', whatever the working directory."""
    name, prefix = str(file), str(root).rstrip(os.sep) + os.sep
    if os.sep == "/" and name.startswith(prefix):  # what relative_to gives, without its cost
        return name[len(prefix) :]
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.as_posix()


def read_inputs(root: Path) -> Inputs:
    """List the knowledge base at `root` and read every file of it once."""
    root = root.absolute()
    listing: list[Problem] = []
    inputs = Inputs(root, list(record_files(root, listing)), listing)
    inside = _Folders(root)
    for file, kind in inputs.files():
        try:
            status = file.lstat()
        except OSError as error:
            status = None
            if isinstance(error, FileNotFoundError) and kind in _OPTIONAL:
                inputs.content[file] = None
                continue
        limit = _LIMITS.get(kind, MAX_FILE_BYTES)
        content: bytes | Problem | None = None
        if status is not None and stat.S_ISREG(status.st_mode):
            inputs.plain.add(file)
            if inside(file.parent):
                content = read_regular(file, limit)
        if content is None:  # anything unusual: the guarded reader says what
            hint = _HINTS.get(kind, "split it, or move long text out of the record")
            content = read_bounded(file, relative_path(file, root), limit, root, hint)
        inputs.content[file] = content
    return inputs


class _Folders:
    """Whether a folder lies inside the knowledge base once links are followed; each folder is
    resolved once, not each of its thousands of files."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.known: dict[Path, bool] = {}

    def __call__(self, folder: Path) -> bool:
        if folder not in self.known:
            self.known[folder] = folder.resolve().is_relative_to(self.root)
        return self.known[folder]


def record_files(root: Path, problems: list[Problem]) -> Iterator[tuple[Path, str]]:
    """Every record file, in a fixed order, so results never depend on the file system."""
    for folder, kind in sorted(FOLDERS.items()):
        directory = root / folder
        if not directory.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames.sort()
            for name in [n for n in dirnames if (Path(dirpath) / n).is_symlink()]:
                # os.walk does not follow these; say so rather than skip their records silently
                problems.append(
                    _stray(
                        Path(dirpath) / name,
                        root,
                        f"'{name}' is a symbolic link to a folder, which is not followed",
                        "move the records into the folder itself",
                    )
                )
            for name in sorted(filenames):
                file = Path(dirpath) / name
                if name.endswith(".yaml"):
                    yield file, kind
                elif name.endswith(".yml"):
                    problems.append(
                        _stray(
                            file,
                            root,
                            "record files end in '.yaml'",
                            f"rename to '{name[:-4]}.yaml'",
                        )
                    )
                elif not name.startswith("."):
                    problems.append(
                        _stray(
                            file,
                            root,
                            f"'{name}' is not a record and is ignored",
                            "records are .yaml files",
                        )
                    )
    for file in sorted(root.glob("*.yaml")):
        if file.name != QUESTION_FILE:
            problems.append(
                _stray(
                    file,
                    root,
                    "record outside the record folders is ignored",
                    f"move it into one of: {', '.join(sorted(FOLDERS))}",
                )
            )


def _stray(file: Path, root: Path, message: str, hint: str) -> Problem:
    return Problem.in_file(relative_path(file, root), STRAY_FILE, message, hint)
