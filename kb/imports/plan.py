"""`kb import`: read exports, skip what the knowledge base already has, plan what to add, add it.

Planning writes nothing: it reads every file (reporting every problem, never stopping at the
first), normalises each reference, sets aside likely duplicates of existing studies and of each
other, names the rest, renders their BibTeX entries and study stubs, and checks that the longer
references.bib reads back with every new entry intact. Applying the plan only creates new files
and appends to references.bib; each write is atomic, and a failure removes what the run created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.cite import latex_to_text
from kb.corpus import BIB_NAME, KnowledgeBase, load_kb
from kb.files import create_atomic, digest, display_path, write_atomic
from kb.identifiers import identifier_owners, normalise_identifier
from kb.imports.bibtex import entries_read_back, read_bibtex, render_entry
from kb.imports.csl import read_csl
from kb.imports.keys import citation_key, study_id
from kb.imports.medline import read_medline
from kb.imports.reference import Reference, normalise
from kb.imports.ris import read_ris
from kb.problems import (
    IMPORT_KNOWN,
    IMPORT_NO_TITLE,
    IMPORT_NOT_WRITTEN,
    IMPORT_SIMILAR,
    IMPORT_UNREADABLE,
    Problem,
    sort_problems,
)
from kb.similarity import TitleBlocks
from kb.templates import StudyStub, record_path, render_record, used_ids

READERS = {"bibtex": read_bibtex, "ris": read_ris, "medline": read_medline, "csl-json": read_csl}
SUFFIXES = {
    ".bib": "bibtex",
    ".ris": "ris",
    ".nbib": "medline",
    ".medline": "medline",
    ".txt": "medline",
    ".json": "csl-json",
}
DESIGN_HINTS = (
    ("Meta-Analysis", "meta-analysis"),
    ("Systematic Review", "systematic-review"),
    ("Randomized Controlled Trial", "rct"),
    ("Clinical Trial Protocol", "trial-protocol"),
    ("Case Reports", "case-report"),
    ("Editorial", "editorial"),
    ("Review", "narrative-review"),
)
"""PubMed publication types that name a design, strongest first."""
_KEY = re.compile(r"@\s*[A-Za-z]+\s*[{(]\s*([^\s,{}()]+)\s*,")


@dataclass(frozen=True)
class Added:
    key: str
    study_id: str
    stub: Path
    source: str
    """'file:line' of the reference in the export."""


@dataclass
class ImportPlan:
    bib: Path
    bib_before: bytes
    appended: str = ""
    stubs: list[tuple[Path, str]] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Seen:
    """What the knowledge base, and this run so far, already holds."""

    keys: set[str]
    ids: set[str]
    owners: dict[tuple[str, str], str]
    titles: TitleBlocks


def detect_format(text: str, suffix: str) -> str | None:
    """'bibtex', 'ris', 'medline' or 'csl-json', from the first line, else from the suffix."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("TY  - "):
        return "ris"
    if re.match(r"^PMID- ?\d", first):
        return "medline"
    if first[:1] and first[:1] in "[{":
        return "csl-json"
    if first.startswith(("@", "%")):
        return "bibtex"
    return SUFFIXES.get(suffix.lower())


def _read(file: Path) -> tuple[str | None, list[Problem]]:
    path = display_path(file)
    try:
        data = file.read_bytes()
    except OSError as error:
        return None, [
            Problem.in_file(
                path,
                IMPORT_UNREADABLE,
                f"cannot read the file: {error.strerror}",
                "check the path",
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - data.rfind(b"\n", 0, error.start)
        return None, [
            Problem(
                path,
                line,
                col,
                IMPORT_UNREADABLE,
                "the file is not UTF-8 text",
                "export it again choosing UTF-8 (Unicode) as the character set",
            )
        ]


def _seen(kb: KnowledgeBase, bib_text: str, evidence: Path) -> _Seen:
    cited = {study.record.cite.casefold(): study_id for study_id, study in kb.studies.items()}
    titles = TitleBlocks()
    for entry in kb.bibliography.entries.values():
        owner = (
            f"study '{cited[entry.key.casefold()]}'"
            if entry.key.casefold() in cited
            else f"entry '{entry.key}' of references.bib"
        )
        titles.add(entry.year, entry.first_author_family, entry.title, owner)
    keys = {key.casefold() for key in kb.bibliography.entries}
    keys |= {match.group(1).casefold() for match in _KEY.finditer(bib_text)}
    return _Seen(keys, used_ids(evidence), identifier_owners(kb), titles)


def plan_import(evidence: Path, files: list[Path], allow_similar: bool = False) -> ImportPlan:
    kb = load_kb(evidence)
    bib = evidence / BIB_NAME
    before = bib.read_bytes() if bib.is_file() else b""
    plan = ImportPlan(bib, before)
    try:
        bib_text = before.decode("utf-8")
    except UnicodeDecodeError:
        plan.problems.append(
            Problem(
                display_path(bib),
                1,
                1,
                IMPORT_NOT_WRITTEN,
                "references.bib is not UTF-8: nothing can be appended to it",
                "run 'kb check' and fix the KB101 problem first",
            )
        )
        return plan
    seen = _seen(kb, bib_text, evidence)
    entries: list[str] = []
    for file in files:
        text, problems = _read(file)
        plan.problems += problems
        if text is None:
            continue
        kind = detect_format(text, file.suffix)
        if kind is None:
            plan.problems.append(
                Problem(
                    display_path(file),
                    1,
                    1,
                    IMPORT_UNREADABLE,
                    "cannot tell the format of this file",
                    "expected BibTeX (.bib), RIS (.ris), PubMed MEDLINE (.nbib) "
                    "or CSL-JSON (.json)",
                )
            )
            continue
        references, problems = READERS[kind](text, display_path(file))
        plan.problems += problems
        for reference in references:
            entry = _plan_one(plan, reference, seen, evidence, allow_similar)
            entries += [entry] if entry else []
    if entries:
        _append(plan, bib_text, entries)
    plan.problems = sort_problems(plan.problems)
    return plan


def _plan_one(
    plan: ImportPlan, reference: Reference, seen: _Seen, evidence: Path, allow_similar: bool
) -> str | None:
    plan.problems += normalise(reference)
    where = f"{reference.path}:{reference.line}"
    title = reference.title
    if not title.strip():
        plan.problems.append(
            Problem(
                reference.path,
                reference.line,
                reference.col,
                IMPORT_NO_TITLE,
                "reference without a title is skipped",
                "add the title in the reference manager and export again",
            )
        )
        return None
    if duplicate := _duplicate(reference, seen, allow_similar):
        plan.problems.append(duplicate)
        return None
    key = citation_key(reference.first_family, reference.year, title, seen.keys)
    record_id = study_id(reference.first_family, reference.year, title, seen.ids)
    seen.keys.add(key.casefold())
    seen.ids.add(record_id)
    for name in ("doi", "pmid", "pmcid"):
        if name in reference.fields:
            seen.owners[(name, normalise_identifier(name, reference.fields[name]))] = (
                f"the reference at {where}"
            )
    seen.titles.add(reference.year, reference.first_family, title, f"the reference at {where}")
    stub = StudyStub(
        record_id,
        key,
        {n: v for n, v in reference.fields.items() if n in ("doi", "pmid", "pmcid")},
        reference.export_types,
        design_hint(reference.export_types),
    )
    target = record_path(evidence, "study", record_id)
    plan.stubs.append((target, render_record("study", record_id, {"cite": key}, stub)))
    plan.added.append(Added(key, record_id, target, where))
    return render_entry(key, reference)


def design_hint(export_types: tuple[str, ...]) -> str | None:
    return next((design for name, design in DESIGN_HINTS if name in export_types), None)


def _duplicate(reference: Reference, seen: _Seen, allow_similar: bool) -> Problem | None:
    title = latex_to_text(reference.title)
    short = title if len(title) <= 60 else title[:59].rstrip() + "…"
    for name in ("doi", "pmid", "pmcid"):
        value = reference.fields.get(name)
        owner = seen.owners.get((name, normalise_identifier(name, value))) if value else None
        if owner:
            line, col = reference.position(name)
            return Problem(
                reference.path,
                line,
                col,
                IMPORT_KNOWN,
                f"'{short}' is already in the knowledge base: {name.upper()} "
                f"'{value}' is on {owner}",
                "nothing was added for it; extend the existing record instead",
            )
    found = seen.titles.similar(reference.year, reference.first_family, reference.title)
    if found and not allow_similar:
        return Problem(
            reference.path,
            reference.line,
            reference.col,
            IMPORT_SIMILAR,
            f"'{short}' looks like {found.owner}: same first author and year, titles "
            f"{found.score:.0f}% alike",
            "nothing was added for it; if they are different publications, run "
            "again with --allow-similar",
        )
    return None


def _append(plan: ImportPlan, bib_text: str, entries: list[str]) -> None:
    """Set the text to append, once the whole new file reads back with each entry as written."""
    separator = (
        ""
        if not bib_text or bib_text.endswith("\n\n")
        else ("\n" if bib_text.endswith("\n") else "\n\n")
    )
    appended = separator + "\n".join(entries)
    keys = [added.key for added in plan.added]
    alone = entries_read_back("\n".join(entries), keys)
    together = entries_read_back(bib_text + appended, keys)
    lost = [key for key in keys if key not in together or together[key] != alone.get(key)]
    if lost:
        plan.problems.append(
            Problem(
                display_path(plan.bib),
                1,
                1,
                IMPORT_NOT_WRITTEN,
                f"references.bib does not read to its end, so entry '{lost[0]}' would be lost: "
                "nothing was added",
                "run 'kb check' and fix the KB408 problems it reports first",
            )
        )
        plan.stubs, plan.added = [], []
        return
    plan.appended = appended


def apply_import(plan: ImportPlan) -> list[Problem]:
    """Create the stubs, then append to references.bib in one atomic replace. On failure, the
    stubs this run created are removed and references.bib is as it was."""
    if not plan.added:
        return []
    created: list[Path] = []
    bib = display_path(plan.bib)
    try:
        current = plan.bib.read_bytes() if plan.bib.is_file() else b""
        if digest(current) != digest(plan.bib_before):
            return [
                Problem.in_file(
                    bib,
                    IMPORT_NOT_WRITTEN,
                    "references.bib changed while importing: nothing was added",
                    "run the import again",
                )
            ]
        for target, text in plan.stubs:
            create_atomic(target, text.encode("utf-8"))
            created.append(target)
        write_atomic(plan.bib, plan.bib_before + plan.appended.encode("utf-8"))
    except OSError as error:
        _remove(created)
        name = display_path(Path(error.filename)) if error.filename else bib
        return [
            Problem.in_file(
                name,
                IMPORT_NOT_WRITTEN,
                f"could not write: {error.strerror or error}; nothing was added",
                "check the file and folder permissions, then run the import again",
            )
        ]
    except BaseException:
        _remove(created)
        raise
    return []


def _remove(created: list[Path]) -> None:
    for path in created:
        path.unlink(missing_ok=True)
