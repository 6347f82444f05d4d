"""BibTeX in and out: exports read with pybtex (through kb.cite, which keeps positions), and new
entries written in the house style of references.bib and read back before they are kept.

Values of a BibTeX export are LaTeX already ('M{\\"u}ller', '{CRP}'), so they are kept as written;
only field names, the entry type, month macros, page ranges and identifiers are normalised.
"""

from __future__ import annotations

import dataclasses
import re

from pybtex.database import Person

from kb.cite import BibEntry, latex_to_text, parse_bibliography
from kb.imports.reference import (
    FIELD_ORDER,
    MONTHS,
    Reference,
    family_core,
    identifiers_from_note,
    registry_numbers,
    usable_key,
)
from kb.problems import IMPORT_OVER_LIMIT, IMPORT_SYNTAX, MACROS_TOO_LARGE, Problem

_ALIASES = {
    "journaltitle": "journal",
    "location": "address",
    "issue": "number",
    "annote": "note",
    "annotation": "note",
}
_TYPES = {
    "article",
    "book",
    "booklet",
    "inbook",
    "incollection",
    "inproceedings",
    "conference",
    "manual",
    "mastersthesis",
    "phdthesis",
    "misc",
    "proceedings",
    "techreport",
    "unpublished",
}
_SKIPPED = "the entry around it is skipped; correct the export, or paste the entry by hand"


def read_bibtex(text: str, path: str) -> tuple[list[Reference], list[Problem]]:
    bibliography = parse_bibliography(text, path)
    problems = [
        dataclasses.replace(
            p,
            code=IMPORT_OVER_LIMIT if p.code == MACROS_TOO_LARGE else IMPORT_SYNTAX,
            hint=_SKIPPED,
        )
        for p in bibliography.problems
    ]
    entries = sorted(bibliography.entries.values(), key=lambda e: (e.line, e.col))
    bad_lines = sorted(p.line for p in problems)
    references = []
    for index, entry in enumerate(entries):
        end = entries[index + 1].line if index + 1 < len(entries) else float("inf")
        if any(entry.line <= line < end for line in bad_lines):
            continue  # pybtex keeps what it read before the error: never half an entry
        references.append(_reference(entry, path))
    return references, problems


def _first_family(entry: BibEntry) -> str | None:
    names = entry.fields.get("author") or entry.fields.get("editor")
    if not names:
        return None
    first = Person(names.split(" and ")[0])
    family = latex_to_text(" ".join(first.last_names))
    if not first.first_names and len(first.last_names) == 1 and first.last_names[0][:1] == "{":
        return family or None  # an organisation, whole
    return family_core(family) or None


def _reference(entry: BibEntry, path: str) -> Reference:
    fields: dict[str, str] = {}
    for name, value in entry.fields.items():
        fields.setdefault(_ALIASES.get(name, name), value.strip())
    date = re.match(r"^(\d{4})(?:-(\d{2}))?", fields.get("date", ""))
    if date:
        fields.setdefault("year", date.group(1))
        fields.setdefault("month", date.group(2) or "")
    if fields.get("eprinttype", "").lower() == "pubmed" and fields.get("eprint"):
        fields.setdefault("pmid", fields["eprint"])
    notes = " ".join(latex_to_text(fields.get(n, "")) for n in ("note", "annote", "extra"))
    for name, value in identifiers_from_note(notes).items():
        fields.setdefault(name, value)
    year = latex_to_text(fields.get("year", "")).strip() or None
    registry = registry_numbers(fields.get("eprint", ""), fields.get("eid", ""))
    return Reference(
        path,
        entry.line,
        entry.col,
        entry.type if entry.type in _TYPES else "misc",
        {name: value for name, value in fields.items() if name in FIELD_ORDER},
        latex_to_text(fields.get("title", "")),
        _first_family(entry),
        year,
        positions=dict(entry.field_positions),
        source_key=usable_key(entry.key),
        registry=registry,
    )


def render_entry(key: str, reference: Reference) -> str:
    """The entry as references.bib writes them: two-space indent, aligned '=', one field a line."""
    names = [name for name in FIELD_ORDER if reference.fields.get(name)]
    width = max((len(name) for name in names), default=0)
    lines = [
        f"  {name.ljust(width)} = {written_value(name, reference.fields[name])}" for name in names
    ]
    body = ",\n".join(lines)
    return f"@{reference.entry_type}{{{key},\n{body}\n}}\n"


def written_value(name: str, value: str) -> str:
    """A value as references.bib writes it: braced, or a month's macro as it is."""
    return value if name == "month" and value in MONTHS else "{" + value + "}"


def entries_read_back(text: str, keys: list[str]) -> dict[str, dict[str, str]]:
    """Fields of `keys` as pybtex reads them from `text` (the whole new references.bib); a key
    missing from the answer was swallowed by a mistake earlier in the file."""
    bibliography = parse_bibliography(text, "references.bib")
    found = {}
    for key in keys:
        entry = bibliography.get(key)
        if entry is not None and entry.key == key:
            found[key] = entry.fields
    return found
