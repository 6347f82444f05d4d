"""Load an evidence folder: every record file, its schema check, and references.bib."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from kb.cache import CheckCache, problem_data, problem_from
from kb.cite import BibEntry, Bibliography, bibliography_from
from kb.files import read_bounded
from kb.inputs import Inputs, read_inputs, relative_path
from kb.load import MAX_FILE_BYTES, Locs, SourceMap, YamlDocument, parse_yaml
from kb.model import (
    KINDS,
    Claim,
    ClinicalQuestion,
    Concept,
    Discrepancy,
    Record,
    Study,
    Trial,
    WrittenNumber,
)
from kb.problems import FILE_TOO_LARGE, MODELINE, UNREADABLE_FILE, Loc, Problem
from kb.sources.lock import LOCK_NAME, Lockfile, parse_lockfile
from kb.validate import validate_record

SCHEMA_FOLDER = "schemas"

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


def load_kb(
    root: Path, cache: CheckCache | None = None, inputs: Inputs | None = None
) -> KnowledgeBase:
    """Load every record and references.bib from the bytes in `inputs` (read now when not
    given); with a cache, unchanged files are not parsed."""
    inputs = inputs or read_inputs(root)
    root = inputs.root
    if cache is not None:
        cache.used = set()  # the files of this run; the cache keeps no others
    problems: list[Problem] = list(inputs.listing)
    records: list[LoadedRecord] = []
    locs: Locs = {}
    results: dict[int, tuple[LoadedRecord | None, list[Problem]]] = {}
    for place in _in_store_order(inputs, cache):
        file, kind = inputs.records[place]
        results[place] = _load_record_cached(inputs, file, kind, cache, locs)
    for place in range(len(inputs.records)):
        loaded, found = results.pop(place)
        problems.extend(found)
        if loaded is not None:
            records.append(loaded)
    bibliography = _load_bibliography_cached(inputs, cache)
    problems.extend(bibliography.problems)
    question, question_file = None, None
    if inputs.content[inputs.question] is not None:
        question_file, found = _load_record_cached(inputs, inputs.question, "question", cache, locs)
        problems.extend(found)
        record = question_file.record if question_file else None
        question = record if isinstance(record, ClinicalQuestion) else None
    lock_path = relative_path(inputs.lock, root)
    lock, found = parse_lockfile(inputs.content[inputs.lock], lock_path)
    problems.extend(found)
    usable = isinstance(inputs.content[inputs.lock], bytes) and not found
    return KnowledgeBase(
        root, records, bibliography, problems, question, lock, lock_path, usable, question_file
    )


def _in_store_order(inputs: Inputs, cache: CheckCache | None) -> list[int]:
    """The records' places in `inputs.records`, those of one part of the records store
    together: each part is read when its first record is loaded and let go entry by entry as
    they are, so loading a part's records one after the other holds one part at a time."""
    places = list(range(len(inputs.records)))
    if cache is None:
        return places
    return sorted(places, key=lambda n: cache.records.part(inputs.key(*inputs.records[n]) or ""))


def _load_record_cached(
    inputs: Inputs, file: Path, kind: str, cache: CheckCache | None, locs: Locs
) -> tuple[LoadedRecord | None, list[Problem]]:
    content = inputs.content[file]
    key = inputs.key(file, kind) if cache is not None else None
    if cache is None or key is None or content is None:
        return parse_record(content or b"", file, kind, inputs.root, locs)
    cache.used.add(key)
    result = cache.loaded.get(key)
    if result is None:
        result = _thaw(cache.records.take(key), locs)
    if result is None:
        result = parse_record(content, file, kind, inputs.root, locs)
        cache.records.put(key, partial(_freeze, *result))
    cache.loaded[key] = result
    return result[0], list(result[1])


# Cached load results are plain JSON data; an entry that does not have exactly the shape written
# here is a miss, and the file is parsed again.
def _freeze(loaded: LoadedRecord | None, problems: list[Problem]) -> list[Any]:
    found = [problem_data(p) for p in problems]
    if loaded is None:
        return [None, "", None, None, None, [], [], found, []]
    dump = loaded.record.model_dump(mode="python") if loaded.record is not None else None
    written: list[list[Any]] = []
    dump = _plain_data(dump, [], written)
    return [
        loaded.kind,
        loaded.path,
        loaded.raw_id,
        loaded.raw_cite,
        dump,
        [[list(loc), *position] for loc, position in loaded.source.values.items()],
        [[list(loc), *position] for loc, position in loaded.source.keys.items()],
        found,
        written,
    ]


def _plain_data(value: Any, at: list[Any], written: list[list[Any]]) -> Any:
    """`value` as JSON data; each number kept as written (kb.model.WrittenNumber) is listed in
    `written` as [its place, its text], to be given back its text when thawed."""
    if isinstance(value, dict):
        return {k: _plain_data(v, [*at, k], written) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v, [*at, i], written) for i, v in enumerate(value)]
    if isinstance(value, WrittenNumber):
        written.append([at, value.text])
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _with_written(dump: Any, written: Any) -> Any:
    """The dumped record with its numbers as written again; ValueError or TypeError (a miss)
    when a place or a text does not fit the data."""
    for at, text in written:
        parent = dump
        for part in at[:-1]:
            parent = parent[part]
        value = parent[at[-1]]
        if type(value) is not float or not isinstance(text, str):
            raise ValueError("not a written number")
        if float(text.replace("_", "")) != value:
            raise ValueError("the text is not the number")
        parent[at[-1]] = WrittenNumber(value, text)
    return dump


def _thaw(frozen: Any, locs: Locs) -> tuple[LoadedRecord | None, list[Problem]] | None:
    try:
        kind, path, raw_id, raw_cite, dump, values, keys, found, written = frozen
        problems = [problem_from(item) for item in found]
        if kind is None:
            return None, problems
        model = ClinicalQuestion if kind == "question" else KINDS[kind]
        dump = _with_written(dump, written) if dump is not None else None
        record = model.model_validate(dump) if dump is not None else None
        if not isinstance(path, str) or not all(
            isinstance(v, str | None) for v in (raw_id, raw_cite)
        ):
            return None
        source = SourceMap(_positions(values, locs), _positions(keys, locs))
    except (TypeError, ValueError, KeyError, IndexError):  # ValidationError is a ValueError
        return None
    return LoadedRecord(kind, path, raw_id, record, source, raw_cite), problems


def _positions(rows: list[Any], locs: Locs) -> dict[Loc, tuple[int, int]]:
    """Positions from their rows, each place the load's one tuple for it (kb.load.Locs);
    TypeError or ValueError for rows of another shape (a location part that is a list or a
    mapping cannot be a key; a position must be two integers). The check is as cheap as it can
    be: a warm check after one change thaws every record."""
    out: dict[Loc, tuple[int, int]] = {}
    for loc, line, col in rows:
        here = tuple(loc)
        out[locs.setdefault(here, here)] = (line, col)
    if not all(type(line) is int and type(col) is int for line, col in out.values()):
        raise ValueError("not a position")
    return out


def _are_ints(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _load_bibliography_cached(inputs: Inputs, cache: CheckCache | None) -> Bibliography:
    file = inputs.bib
    path = relative_path(file, inputs.root)
    key = inputs.key(file, "bib") if cache is not None else None
    if cache is None or key is None:
        return bibliography_from(inputs.content[file], path)
    store = cache.store("bibliography")
    hit = _thaw_bibliography(store.load().get(key), path)
    if hit is not None:
        return hit
    bibliography = bibliography_from(inputs.content[file], path)
    store.entries = {}  # one bibliography per knowledge base: keep only the current one
    store.put(key, _freeze_bibliography(bibliography))
    return bibliography


def _freeze_bibliography(bibliography: Bibliography) -> list[Any]:
    entries = [
        [e.key, e.type, e.fields, e.authors, e.line, e.col, e.field_positions]
        for e in bibliography.entries.values()
    ]
    return [entries, [problem_data(p) for p in bibliography.problems]]


def _thaw_bibliography(frozen: Any, path: str) -> Bibliography | None:
    try:
        rows, found = frozen
        entries = {}
        for key, kind, fields, authors, line, col, positions in rows:
            texts = [key, kind, *fields, *fields.values(), *authors]
            if not all(isinstance(t, str) for t in texts) or not _are_ints(line, col):
                return None
            spots = {str(n): (p[0], p[1]) for n, p in positions.items() if _are_ints(*p)}
            if len(spots) != len(positions):
                return None
            entries[key] = BibEntry(key, kind, fields, authors, line, col, spots)
        return Bibliography(path, entries, [problem_from(item) for item in found])
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def load_record(file: Path, kind: str, root: Path) -> tuple[LoadedRecord | None, list[Problem]]:
    """Read and parse one record file."""
    path = relative_path(file, root)
    return parse_record(read_bounded(file, path, MAX_FILE_BYTES, root), file, kind, root)


def parse_record(
    content: bytes | Problem, file: Path, kind: str, root: Path, locs: Locs | None = None
) -> tuple[LoadedRecord | None, list[Problem]]:
    """One record from the bytes read from `file` (or the problem that stopped them being
    read): its YAML, its modeline and its schema."""
    path = relative_path(file, root)
    if isinstance(content, Problem):
        doc = YamlDocument(path, None, SourceMap(), [content])
    else:
        doc = parse_yaml(content, path, locs)
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
