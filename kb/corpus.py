"""Load an evidence folder: every record file, its schema check, and references.bib."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from kb.cache import CheckCache, content_key
from kb.cite import Bibliography, load_bibliography
from kb.load import MAX_FILE_BYTES, SourceMap, load_yaml_file
from kb.model import (
    FOLDERS,
    KINDS,
    QUESTION_FILE,
    Claim,
    ClinicalQuestion,
    Concept,
    Discrepancy,
    Record,
    Study,
    Trial,
)
from kb.problems import FILE_TOO_LARGE, MODELINE, STRAY_FILE, UNREADABLE_FILE, Problem
from kb.sources.lock import LOCK_NAME, Lockfile, read_lockfile
from kb.validate import validate_record

SCHEMA_FOLDER = "schemas"
BIB_NAME = "references.bib"

R = TypeVar("R", bound=Record | None, covariant=True)
K = TypeVar("K", Study, Claim, Trial, Concept, Discrepancy)


def modeline(kind: str) -> str:
    """The first line every record of `kind` carries, so editors validate it as it is typed.
    Records sit two folders below the repository (evidence/studies/); the question one."""
    up = "../" if kind == "question" else "../../"
    return f"# yaml-language-server: $schema={up}{SCHEMA_FOLDER}/{kind}.schema.json"


@dataclass(frozen=True)
class Loaded(Generic[R]):
    """One record file as read: the record (None when it failed its schema check), where it is
    (relative to the knowledge base's folder, with '/') and where each value was written."""

    kind: str
    path: str
    raw_id: str | None
    """The id as written, even when the record failed its schema check; the file name when no
    id could be read."""
    record: R
    source: SourceMap
    raw_cite: str | None = None
    """The citation key as written, even when the record failed its schema check."""


LoadedRecord = Loaded[Record | None]
"""Any record file, valid or not."""


@dataclass
class KnowledgeBase:
    root: Path
    records: list[LoadedRecord]
    bibliography: Bibliography
    problems: list[Problem] = field(default_factory=list)
    """Problems found while loading: file, YAML and schema."""
    question: ClinicalQuestion | None = None
    lock: Lockfile = field(default_factory=Lockfile)
    """sources.lock.json: what the registries said about the identifiers; empty when absent."""
    lock_path: str = LOCK_NAME
    has_lock: bool = False
    """Whether the knowledge base has a lockfile that could be read (it may hold no entry)."""
    question_file: Loaded[Any] | None = None
    """question.yaml as read, with where each value is written; None when there is none."""

    def of_kind(self, kind: type[K]) -> dict[str, Loaded[K]]:
        """Valid records of one kind by id; with duplicate ids, the first file wins."""
        out: dict[str, Loaded[K]] = {}
        for loaded in self.records:
            if isinstance(loaded.record, kind) and loaded.record.id not in out:
                out[loaded.record.id] = cast(Loaded[K], loaded)
        return out

    @cached_property
    def studies(self) -> dict[str, Loaded[Study]]:
        return self.of_kind(Study)

    @cached_property
    def claims(self) -> dict[str, Loaded[Claim]]:
        return self.of_kind(Claim)

    @cached_property
    def trials(self) -> dict[str, Loaded[Trial]]:
        return self.of_kind(Trial)

    @cached_property
    def concepts(self) -> dict[str, Loaded[Concept]]:
        return self.of_kind(Concept)

    @cached_property
    def discrepancies(self) -> dict[str, Loaded[Discrepancy]]:
        return self.of_kind(Discrepancy)

    def study(self, study_id: str) -> Study:
        return self.studies[study_id].record

    def claim(self, claim_id: str) -> Claim:
        return self.claims[claim_id].record

    def trial(self, trial_id: str) -> Trial:
        return self.trials[trial_id].record

    @cached_property
    def citing(self) -> dict[str, list[Study | Trial]]:
        """Studies, then trials, by id, grouped by the key (as written in references.bib) of the
        entry they cite."""
        out: dict[str, list[Study | Trial]] = {}
        records: list[Study | Trial] = [s.record for _, s in sorted(self.studies.items())]
        records += [t.record for _, t in sorted(self.trials.items())]
        for record in records:
            entry = self.bibliography.get(record.cite) if record.cite else None
            if entry is not None:
                out.setdefault(entry.key, []).append(record)
        return out

    def known_ids(self, kind: str) -> set[str]:
        """Ids of every record of `kind`, including records that failed their schema check,
        so one broken record does not cascade into 'unknown record' problems elsewhere."""
        return {r.raw_id for r in self.records if r.kind == kind and r.raw_id}


def relative_path(file: Path, root: Path) -> str:
    """How problems and exports name a file of the knowledge base: relative to its folder, with
    '/', whatever the working directory."""
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.as_posix()


def load_kb(root: Path, cache: CheckCache | None = None) -> KnowledgeBase:
    """Load every record and references.bib; with a cache, unchanged files are not parsed."""
    root = root.absolute()
    problems: list[Problem] = []
    records: list[LoadedRecord] = []
    for file, kind in _record_files(root, problems):
        loaded, found = _load_record_cached(file, kind, root, cache)
        problems.extend(found)
        if loaded is not None:
            records.append(loaded)
    bibliography = _load_bibliography_cached(root / BIB_NAME, root, cache)
    problems.extend(bibliography.problems)
    question, question_file = None, None
    if (root / QUESTION_FILE).exists() or (root / QUESTION_FILE).is_symlink():
        question_file, found = _load_record_cached(root / QUESTION_FILE, "question", root, cache)
        problems.extend(found)
        record = question_file.record if question_file else None
        question = record if isinstance(record, ClinicalQuestion) else None
    lock_path = relative_path(root / LOCK_NAME, root)
    lock, found = read_lockfile(root / LOCK_NAME, lock_path)
    problems.extend(found)
    usable = (root / LOCK_NAME).is_file() and not found
    return KnowledgeBase(
        root, records, bibliography, problems, question, lock, lock_path, usable, question_file
    )


def input_files(root: Path) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """Every file a check reads, with its kind ('bib' for references.bib), in a fixed order,
    and the problems of files that are not records."""
    root = root.absolute()
    problems: list[Problem] = []
    files = list(_record_files(root, problems))
    files += [
        (root / name, kind)
        for name, kind in ((BIB_NAME, "bib"), (QUESTION_FILE, "question"), (LOCK_NAME, "lock"))
    ]
    return files, problems


def file_key(file: Path, kind: str, root: Path) -> str | None:
    """The cache key of one input file: its kind, how it is shown and resolved, its bytes. Only
    regular files are cached; a symbolic link, a device or a pipe always takes the guarded path
    of the loader, which is never made to read what it must not."""
    try:
        status = file.lstat()
    except OSError:
        return "missing:" + relative_path(file, root)
    if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES * 16:
        return None
    try:
        raw = file.read_bytes()
    except OSError:
        return None
    return content_key(kind, relative_path(file, root), str(file.resolve()), raw)


def _load_record_cached(
    file: Path, kind: str, root: Path, cache: CheckCache | None
) -> tuple[LoadedRecord | None, list[Problem]]:
    key = file_key(file, kind, root) if cache is not None else None
    if cache is None or key is None:
        return load_record(file, kind, root)
    store = cache.store("records")
    cache.used.add(key)
    hit = store.load().get(key)
    if hit is not None:
        return _thaw(hit)
    result = load_record(file, kind, root)
    store.put(key, _freeze(*result))
    return result


# Cached load results are kept as plain data (dicts, lists, tuples), which unpickle several
# times faster than pydantic models; the model is rebuilt by pydantic's compiled validator.
_Frozen = tuple[
    str | None,
    str,
    str | None,
    dict[str, Any] | None,
    dict[Any, Any],
    dict[Any, Any],
    list[Problem],
]


def _freeze(loaded: LoadedRecord | None, problems: list[Problem]) -> _Frozen | tuple[None, ...]:
    if loaded is None:
        return (None, "", None, None, {}, {}, problems)
    dump = loaded.record.model_dump(mode="python") if loaded.record is not None else None
    return (
        loaded.kind,
        loaded.path,
        loaded.raw_id,
        dump,
        loaded.source.values,
        loaded.source.keys,
        problems,
    )


def _thaw(frozen: Any) -> tuple[LoadedRecord | None, list[Problem]]:
    kind, path, raw_id, dump, values, keys, problems = frozen
    if kind is None:
        return None, problems
    model = ClinicalQuestion if kind == "question" else KINDS[kind]
    record = model.model_validate(dump) if dump is not None else None
    return LoadedRecord(kind, path, raw_id, record, SourceMap(values, keys)), problems


def _load_bibliography_cached(file: Path, root: Path, cache: CheckCache | None) -> Bibliography:
    key = file_key(file, "bib", root) if cache is not None else None
    if cache is None or key is None:
        return load_bibliography(file, relative_path(file, root), root)
    store = cache.store("bibliography")
    hit = store.load().get(key)
    if isinstance(hit, Bibliography):
        return hit
    bibliography = load_bibliography(file, relative_path(file, root), root)
    store.entries = {}  # one bibliography per knowledge base: keep only the current one
    store.put(key, bibliography)
    return bibliography


def load_record(file: Path, kind: str, root: Path) -> tuple[LoadedRecord | None, list[Problem]]:
    path = relative_path(file, root)
    doc = load_yaml_file(file, path, root)
    problems = list(doc.problems)
    expected = modeline(kind)
    # the first line of a file that could not be read was never seen
    unread = any(p.code in {UNREADABLE_FILE, FILE_TOO_LARGE} for p in problems)
    if doc.first_line.strip() != expected and not unread:
        problems.append(
            Problem.in_file(
                path,
                MODELINE,
                "first line is not the schema modeline",
                f"make the first line '{expected}'",
            )
        )
    # the file name stands for an id that cannot be read, so that records referring to this
    # one are not also told that it does not exist
    stem = file.name.removesuffix(".yaml")
    if not isinstance(doc.data, dict):
        return LoadedRecord(kind, path, stem, None, doc.source), problems
    data: dict[str, Any] = doc.data
    raw_id = data["id"] if isinstance(data.get("id"), str) else stem
    model = ClinicalQuestion if kind == "question" else KINDS[kind]
    record, schema_problems = validate_record(model, data, doc.source, path)
    problems.extend(schema_problems)
    raw_cite = data.get("cite") if isinstance(data.get("cite"), str) else None
    return LoadedRecord(kind, path, raw_id, record, doc.source, raw_cite), problems


def _record_files(root: Path, problems: list[Problem]) -> Iterator[tuple[Path, str]]:
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
                    Problem(
                        relative_path(Path(dirpath) / name, root),
                        1,
                        1,
                        STRAY_FILE,
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
                        Problem(
                            relative_path(file, root),
                            1,
                            1,
                            STRAY_FILE,
                            "record files end in '.yaml'",
                            f"rename to '{name[:-4]}.yaml'",
                        )
                    )
                elif not name.startswith("."):
                    problems.append(
                        Problem(
                            relative_path(file, root),
                            1,
                            1,
                            STRAY_FILE,
                            f"'{name}' is not a record and is ignored",
                            "records are .yaml files",
                        )
                    )
    for file in sorted(root.glob("*.yaml")):
        if file.name == QUESTION_FILE:
            continue
        problems.append(
            Problem(
                relative_path(file, root),
                1,
                1,
                STRAY_FILE,
                "record outside the record folders is ignored",
                f"move it into one of: {', '.join(sorted(FOLDERS))}",
            )
        )
