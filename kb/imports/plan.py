"""`kb import`: read exports, skip what the knowledge base already has, plan what to add, add it.

Planning writes nothing: it reads every file (reporting every problem, never stopping at the
first), normalises each reference, sets aside likely duplicates of existing studies and of each
other, names the rest, renders their BibTeX entries and study stubs, and checks that the longer
references.bib reads back with every new entry intact. kb.imports.transaction applies the plan,
all of it or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.cite import MAX_BIB_BYTES, latex_to_text, parse_bibliography
from kb.corpus import KnowledgeBase, load_kb
from kb.files import display_path, read_bounded
from kb.identifiers import identifier_owners, normalise_identifier
from kb.imports.bibtex import entries_read_back, read_bibtex, render_entry
from kb.imports.csl import read_csl
from kb.imports.keys import citation_key, study_id
from kb.imports.medline import read_medline
from kb.imports.reference import Reference, normalise
from kb.imports.ris import read_ris
from kb.inputs import BIB_NAME, read_inputs
from kb.problems import (
    FILE_TOO_LARGE,
    IMPORT_KNOWN,
    IMPORT_NO_TITLE,
    IMPORT_NOT_WRITTEN,
    IMPORT_OVER_LIMIT,
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
    """The text of an export, read within the limit of references.bib itself."""
    path = display_path(file)
    data = read_bounded(file, path, MAX_BIB_BYTES, hint="split the export into smaller files")
    if isinstance(data, Problem):
        code = IMPORT_OVER_LIMIT if data.code == FILE_TOO_LARGE else IMPORT_UNREADABLE
        message = data.message.replace("cannot read file:", "cannot read the file:")
        return None, [replace(data, code=code, message=message, hint=data.hint or "check the path")]
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
    inputs = read_inputs(evidence)
    kb = load_kb(evidence, None, inputs)
    content = inputs.content[inputs.bib]  # the very bytes the knowledge base was read from
    plan = ImportPlan(inputs.bib, content if isinstance(content, bytes) else b"")
    try:
        if isinstance(content, Problem):
            raise ValueError(content.message)
        bib_text = plan.bib_before.decode("utf-8")
    except ValueError as error:  # UnicodeDecodeError is a ValueError
        detail = "it is not UTF-8" if isinstance(error, UnicodeDecodeError) else str(error)
        plan.problems.append(
            Problem.in_file(
                display_path(inputs.bib),
                IMPORT_NOT_WRITTEN,
                f"references.bib cannot be read ({detail}): nothing can be appended to it",
                "run 'kb check' and fix the KB101 or KB106 problem first",
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
        _append(plan, bib_text, entries, kb.bibliography.problems)
    plan.problems = sort_problems(plan.problems)
    return plan


def _plan_one(
    plan: ImportPlan, reference: Reference, seen: _Seen, evidence: Path, allow_similar: bool
) -> str | None:
    plan.problems += normalise(reference)
    if reference.refused:
        return None
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
            f"'{short}' looks like {found[0]}: same first author and year, titles "
            f"{found[1]:.0f}% alike",
            "nothing was added for it; if they are different publications, run "
            "again with --allow-similar",
        )
    return None


def _append(plan: ImportPlan, bib_text: str, entries: list[str], known: list[Problem]) -> None:
    """Set the text to append, once the whole new file is checked: within kb's size limit, each
    new entry read back as written, and no problem the file does not have now (such as a key
    used twice). `known` are the problems of references.bib as it is."""
    separator = (
        ""
        if not bib_text or bib_text.endswith("\n\n")
        else ("\n" if bib_text.endswith("\n") else "\n\n")
    )
    appended = separator + "\n".join(entries)
    size = len((bib_text + appended).encode("utf-8"))
    keys = [added.key for added in plan.added]
    whole = parse_bibliography(bib_text + appended, BIB_NAME)
    together = {key: entry.fields for key in keys if (entry := whole.get(key)) and entry.key == key}
    alone = entries_read_back("\n".join(entries), keys)
    lost = [key for key in keys if key not in together or together[key] != alone.get(key)]
    new = sorted(
        {(p.code, p.message) for p in whole.problems} - {(p.code, p.message) for p in known}
    )
    refusal = None
    if size > MAX_BIB_BYTES:
        refusal = (
            IMPORT_OVER_LIMIT,
            f"references.bib would be {size:,} bytes, over kb's limit of {MAX_BIB_BYTES:,}: "
            "nothing was added",
            "import fewer references at once, or leave abstracts and long notes out",
        )
    elif lost:
        refusal = (
            IMPORT_NOT_WRITTEN,
            f"references.bib does not read to its end, so entry '{lost[0]}' would be lost: "
            "nothing was added",
            "run 'kb check' and fix the KB408 problems it reports first",
        )
    elif new:
        refusal = (
            IMPORT_NOT_WRITTEN,
            f"references.bib would read with a new problem ({new[0][1]}): nothing was added",
            "run 'kb check' and fix the problems it reports first",
        )
    if refusal is not None:
        plan.problems.append(Problem.in_file(display_path(plan.bib), *refusal))
        plan.stubs, plan.added = [], []
        return
    plan.appended = appended
