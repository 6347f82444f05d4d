"""`kb import`: read exports, skip what the knowledge base already has, plan what to add, add it.

Planning writes nothing: it reads every file (reporting every problem, never stopping at the
first), normalises each reference, sets aside copies of what the knowledge base holds (or, with
`--update`, plans the fields they add to its entry), names the rest, renders their BibTeX entries
and stubs (a trial's for a registry entry, a study's otherwise), and checks that the new
references.bib reads back with every entry intact and within kb's limits. kb.imports.transaction
applies the plan, all of it or nothing: new stubs, and references.bib replaced whole (appended to,
and edited only where `--update` adds to an entry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.cite import MAX_BIB_BYTES, BibEntry, Bibliography, parse_bibliography
from kb.corpus import load_kb
from kb.files import display_path, read_bounded
from kb.imports.bibtex import entries_read_back, read_bibtex, render_entry
from kb.imports.csl import read_csl
from kb.imports.keys import citation_key, kept_key, study_id, trial_id
from kb.imports.known import Known, Owner, find_duplicate, known_to
from kb.imports.medline import read_medline
from kb.imports.reference import Reference, normalise
from kb.imports.ris import read_ris
from kb.imports.update import EntryUpdate, UpdateError, edit_entries, plan_update
from kb.inputs import BIB_NAME, read_inputs
from kb.problems import (
    FILE_TOO_LARGE,
    IMPORT_KEPT,
    IMPORT_NO_TITLE,
    IMPORT_NOT_WRITTEN,
    IMPORT_OVER_LIMIT,
    IMPORT_UNREADABLE,
    Problem,
    sort_problems,
)
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


@dataclass(frozen=True)
class ImportOptions:
    allow_similar: bool = False
    """Import references whose title only looks like an existing one's."""
    update: bool = False
    """Add to an existing entry the fields the export has and the entry lacks."""
    force: bool = False
    """With `update`, replace the entry's values that the export gives differently."""
    keep_keys: bool = False
    """Name new entries by the exporter's keys rather than FamilyYearFirstTitleWord."""


DEFAULT_OPTIONS = ImportOptions()


@dataclass(frozen=True)
class Added:
    key: str
    record_id: str
    stub: Path
    source: str
    """'file:line' of the reference in the export."""
    kind: str = "study"
    """'trial' for a trial's registry entry, else 'study'."""


@dataclass
class ImportPlan:
    bib: Path
    bib_before: bytes
    appended: str = ""
    stubs: list[tuple[Path, str]] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    updated: list[EntryUpdate] = field(default_factory=list)
    edited: str | None = None
    """references.bib with the updates written into their entries, before the new entries."""
    bibliography: Bibliography | None = None

    @property
    def bib_after(self) -> bytes:
        """references.bib as the import leaves it."""
        before = self.bib_before if self.edited is None else self.edited.encode("utf-8")
        return before + self.appended.encode("utf-8")

    @property
    def changes(self) -> bool:
        return bool(self.added or any(u.added or u.replaced for u in self.updated))


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


def plan_import(
    evidence: Path, files: list[Path], options: ImportOptions = DEFAULT_OPTIONS
) -> ImportPlan:
    inputs = read_inputs(evidence)
    kb = load_kb(evidence, None, inputs)
    content = inputs.content[inputs.bib]  # the very bytes the knowledge base was read from
    plan = ImportPlan(
        inputs.bib, content if isinstance(content, bytes) else b"", bibliography=kb.bibliography
    )
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
    known = known_to(kb, bib_text, used_ids(evidence))
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
            entry = _plan_one(plan, reference, known, evidence, options)
            entries += [entry] if entry else []
    bib_text = _edit(plan, bib_text)
    if entries or plan.edited is not None:
        _append(plan, bib_text, entries, kb.bibliography.problems)
    plan.problems = sort_problems(plan.problems)
    return plan


def _edit(plan: ImportPlan, bib_text: str) -> str:
    """references.bib with the planned updates in it; none at all if one cannot be made."""
    if not any(u.added or u.replaced for u in plan.updated):
        return bib_text
    try:
        plan.edited = edit_entries(bib_text, plan.updated)
    except UpdateError as error:
        plan.problems.append(
            Problem.in_file(
                display_path(plan.bib),
                IMPORT_NOT_WRITTEN,
                f"cannot add to the entries of references.bib: {error}; no entry was updated",
                "add the fields by hand, or run 'kb check' and fix what it reports first",
            )
        )
        plan.updated = []
        return bib_text
    return plan.edited


def _plan_one(
    plan: ImportPlan, reference: Reference, known: Known, evidence: Path, options: ImportOptions
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
    if duplicate := find_duplicate(reference, known, options.allow_similar):
        entry = plan_bib_entry(plan, duplicate.owner)
        if not (options.update and entry):
            plan.problems.append(duplicate.problem)
            return None
        update = plan_update(entry, reference, options.force, duplicate.why)
        plan.updated.append(update)
        if update.kept:
            plan.problems.append(_kept(reference, update))
        return None
    family, year = reference.first_family, reference.year
    if options.keep_keys and reference.source_key:
        key = kept_key(reference.source_key, known.keys)
    else:
        key = citation_key(family, year, title, known.keys)
    known.keys.add(key.casefold())
    known.add_reference(reference, Owner(f"the reference at {where}"))
    if reference.is_registry_entry:
        kind = "trial"
        record_id = trial_id(title, reference.registry, known.ids)
        text = render_record(
            "trial", record_id, {"title": title, "cite": key, **reference.registry}
        )
    else:
        kind = "study"
        record_id = study_id(family, year, title, known.ids)
        stub = StudyStub(
            record_id,
            key,
            {n: v for n, v in {**reference.fields, **reference.registry}.items() if n in _IDS},
            reference.export_types,
            design_hint(reference.export_types),
        )
        text = render_record("study", record_id, {"cite": key}, stub)
    known.ids.add(record_id)
    target = record_path(evidence, kind, record_id)
    plan.stubs.append((target, text))
    plan.added.append(Added(key, record_id, target, where, kind))
    return render_entry(key, reference)


_IDS = ("doi", "pmid", "pmcid", "nct", "eudract")


def plan_bib_entry(plan: ImportPlan, owner: Owner) -> BibEntry | None:
    """The references.bib entry an owner is, when it is one (not a reference of this run)."""
    return plan.bibliography.get(owner.key) if owner.key and plan.bibliography else None


def _kept(reference: Reference, update: EntryUpdate) -> Problem:
    names = ", ".join(f"'{name}'" for name in update.kept)
    return Problem(
        reference.path,
        reference.line,
        reference.col,
        IMPORT_KEPT,
        f"entry '{update.key}' keeps its {names}: the export gives "
        f"{'it' if len(update.kept) == 1 else 'them'} differently",
        "check both against the source; --update --force replaces the entry's values",
    )


def design_hint(export_types: tuple[str, ...]) -> str | None:
    return next((design for name, design in DESIGN_HINTS if name in export_types), None)


def _append(plan: ImportPlan, bib_text: str, entries: list[str], known: list[Problem]) -> None:
    """Set the text to append, once the whole new file (with the entries `--update` edited) is
    checked: within kb's size limit, each new entry read back as written, and no problem the file
    does not have now (such as a key used twice). `known` are the problems of references.bib as
    it is. If any check fails, nothing is added or updated."""
    separator = (
        ""
        if not bib_text or bib_text.endswith("\n\n")
        else ("\n" if bib_text.endswith("\n") else "\n\n")
    )
    appended = separator + "\n".join(entries) if entries else ""
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
        plan.stubs, plan.added, plan.updated, plan.edited = [], [], [], None
        return
    plan.appended = appended
