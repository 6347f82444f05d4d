"""Load an evidence folder: every record file, its schema check, and references.bib."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from kb.cite import Bibliography, load_bibliography
from kb.load import SourceMap, load_yaml_file
from kb.model import (
    FOLDERS,
    KINDS,
    QUESTION_FILE,
    Claim,
    ClinicalQuestion,
    Concept,
    Record,
    Study,
    Trial,
)
from kb.problems import Problem
from kb.validate import validate_record

SCHEMA_FOLDER = "schemas"
BIB_NAME = "references.bib"

R = TypeVar("R", Study, Claim, Trial, Concept)


def modeline(kind: str) -> str:
    """The first line every record of `kind` carries, so editors validate it as it is typed.
    Records sit two folders below the repository (evidence/studies/); the question one."""
    up = "../" if kind == "question" else "../../"
    return f"# yaml-language-server: $schema={up}{SCHEMA_FOLDER}/{kind}.schema.json"


@dataclass
class LoadedRecord:
    kind: str
    path: str
    raw_id: str | None
    """The id as written, even when the record failed its schema check; the file name when no
    id could be read."""
    record: Record | None
    source: SourceMap


@dataclass
class KnowledgeBase:
    root: Path
    records: list[LoadedRecord]
    bibliography: Bibliography
    problems: list[Problem] = field(default_factory=list)
    """Problems found while loading: file, YAML and schema."""
    question: ClinicalQuestion | None = None

    def of_kind(self, kind: type[R]) -> dict[str, tuple[R, LoadedRecord]]:
        """Valid records of one kind by id; with duplicate ids, the first file wins."""
        out: dict[str, tuple[R, LoadedRecord]] = {}
        for loaded in self.records:
            if isinstance(loaded.record, kind) and loaded.record.id not in out:
                out[loaded.record.id] = (loaded.record, loaded)
        return out

    @cached_property
    def studies(self) -> dict[str, tuple[Study, LoadedRecord]]:
        return self.of_kind(Study)

    @cached_property
    def claims(self) -> dict[str, tuple[Claim, LoadedRecord]]:
        return self.of_kind(Claim)

    @cached_property
    def trials(self) -> dict[str, tuple[Trial, LoadedRecord]]:
        return self.of_kind(Trial)

    @cached_property
    def concepts(self) -> dict[str, tuple[Concept, LoadedRecord]]:
        return self.of_kind(Concept)

    def known_ids(self, kind: str) -> set[str]:
        """Ids of every record of `kind`, including records that failed their schema check,
        so one broken record does not cascade into 'unknown record' problems elsewhere."""
        return {r.raw_id for r in self.records if r.kind == kind and r.raw_id}


def display_path(file: Path) -> str:
    """Paths in problems are relative to the working directory when inside it, with '/'."""
    try:
        return file.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return file.as_posix()


def load_kb(root: Path) -> KnowledgeBase:
    root = root.absolute()
    problems: list[Problem] = []
    records: list[LoadedRecord] = []
    for file, kind in _record_files(root, problems):
        loaded, found = load_record(file, kind, root)
        problems.extend(found)
        if loaded is not None:
            records.append(loaded)
    bibliography = load_bibliography(root / BIB_NAME, display_path(root / BIB_NAME), root)
    problems.extend(bibliography.problems)
    question = None
    if (root / QUESTION_FILE).exists() or (root / QUESTION_FILE).is_symlink():
        question, found = load_question(root / QUESTION_FILE, root)
        problems.extend(found)
    return KnowledgeBase(root, records, bibliography, problems, question)


def load_question(file: Path, root: Path) -> tuple[ClinicalQuestion | None, list[Problem]]:
    """evidence/question.yaml: the clinical question, checked like a record."""
    loaded, problems = load_record(file, "question", root)
    record = loaded.record if loaded else None
    return (record if isinstance(record, ClinicalQuestion) else None), problems


def load_record(file: Path, kind: str, root: Path) -> tuple[LoadedRecord | None, list[Problem]]:
    path = display_path(file)
    doc = load_yaml_file(file, path, root)
    problems = list(doc.problems)
    expected = modeline(kind)
    unread = any(p.code in {"KB101", "KB106"} for p in problems)  # first line never seen
    if doc.first_line.strip() != expected and not unread:
        problems.append(
            Problem(
                path,
                1,
                1,
                "KB109",
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
    return LoadedRecord(kind, path, raw_id, record, doc.source), problems


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
                        display_path(Path(dirpath) / name),
                        1,
                        1,
                        "KB113",
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
                            display_path(file),
                            1,
                            1,
                            "KB113",
                            "record files end in '.yaml'",
                            f"rename to '{name[:-4]}.yaml'",
                        )
                    )
                elif not name.startswith("."):
                    problems.append(
                        Problem(
                            display_path(file),
                            1,
                            1,
                            "KB113",
                            f"'{name}' is not a record and is ignored",
                            "records are .yaml files",
                        )
                    )
    for file in sorted(root.glob("*.yaml")):
        if file.name == QUESTION_FILE:
            continue
        problems.append(
            Problem(
                display_path(file),
                1,
                1,
                "KB113",
                "record outside the record folders is ignored",
                f"move it into one of: {', '.join(sorted(FOLDERS))}",
            )
        )
