"""PubMed's MEDLINE export (.nbib, .txt): 'Send to > Citation manager' or 'Save > PubMed format'.

The format is a tag padded to four characters, '- ' and a value ('TI  - Title'); long values go on
in lines indented by six spaces, and a blank line ends a record. It is small enough to read here,
which keeps the line of every tag for messages (the PyPI parsers for it are unmaintained).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.imports.reference import (
    Reference,
    family_core,
    journal_case,
    latex,
    organisation,
    person,
    registry_numbers,
)
from kb.problems import IMPORT_SYNTAX, Problem

_DOI = re.compile(r"^(\S+)\s*\[doi\]$")
_YEAR = re.compile(r"^(\d{4})(?:\s+([A-Za-z]{3}))?")


@dataclass
class _Record:
    line: int
    tags: list[tuple[str, str, int]] = field(default_factory=list)
    """(tag, value, line) in file order; continuation lines already joined."""

    def first(self, *names: str) -> str | None:
        return next((value for tag, value, _ in self.tags if tag in names), None)

    def all(self, name: str) -> list[str]:
        return [value for tag, value, _ in self.tags if tag == name]

    def line_of(self, name: str) -> tuple[int, int]:
        return next(((line, 7) for tag, _, line in self.tags if tag == name), (self.line, 1))


def read_medline(text: str, path: str) -> tuple[list[Reference], list[Problem]]:
    records, problems = _records(text, path)
    references = []
    for record in records:
        if record.first("PMID") is None and record.first("TI", "BTI") is None:
            continue
        references.append(_reference(record, path))
    return references, problems


def _records(text: str, path: str) -> tuple[list[_Record], list[Problem]]:
    records: list[_Record] = []
    problems: list[Problem] = []
    current: _Record | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            current = None
            continue
        if line.startswith("      ") and current is not None and current.tags:
            tag, value, at = current.tags[-1]
            current.tags[-1] = (tag, f"{value} {line.strip()}", at)
        elif len(line) >= 5 and line[4] == "-" and re.fullmatch(r"[A-Z]{2,4} *", line[:4]):
            if current is None:
                current = _Record(number)
                records.append(current)
            current.tags.append((line[:4].strip(), line[5:].strip(), number))
        else:
            problems.append(
                Problem(
                    path,
                    number,
                    1,
                    IMPORT_SYNTAX,
                    "not a MEDLINE line: expected a tag such as 'TI  - ' or a continuation line "
                    "indented by six spaces",
                    "export again from PubMed in 'PubMed' format",
                )
            )
    return records, problems


def _names(record: _Record) -> tuple[list[str], str | None]:
    """Authors in their order, with collaborations ('CN') where they stand; and the family name
    of the first one."""
    names: list[str] = []
    first_family = None
    for tag, value, _ in record.tags:
        if tag == "FAU" or (tag == "AU" and not record.all("FAU")):
            family, _, given = value.partition(", ") if tag == "FAU" else _short(value)
            names.append(person(family, given))
            first_family = first_family or family_core(family) or None
        elif tag == "CN":
            names.append(organisation(value))
            first_family = first_family or value
    return names, first_family


def _short(value: str) -> tuple[str, str, str]:
    """'Müller J' (the short form) -> ('Müller', ' ', 'J')."""
    family, _, initials = value.rpartition(" ")
    return (family, " ", initials) if family else (value, "", "")


def _title(record: _Record) -> str:
    title = record.first("TI", "BTI") or ""
    title = title.strip().removesuffix(".")
    if title.startswith("[") and title.endswith("]"):  # NLM's mark of a translated title
        title = title[1:-1]
    return title


def _reference(record: _Record, path: str) -> Reference:
    names, first_family = _names(record)
    title = _title(record)
    date = _YEAR.match(record.first("DP") or "")
    fields = {
        "author": " and ".join(names),
        "title": latex(title),
        # NLM writes JT in sentence case ('Annals of surgery'); journals name themselves
        # in title case
        "journal": latex(journal_case(record.first("JT") or record.first("TA") or "")),
        "year": date.group(1) if date else "",
        "month": (date.group(2) or "") if date else "",
        "volume": latex(record.first("VI") or ""),
        "number": latex(record.first("IP") or ""),
        "pages": latex(record.first("PG") or ""),
        "pmid": record.first("PMID") or "",
        "pmcid": record.first("PMC") or "",
        "note": latex(" ".join(record.all("GN"))),
        "keywords": latex(", ".join(record.all("OT"))),
        "abstract": latex(record.first("AB") or ""),
    }
    ids = record.all("LID") + record.all("AID")
    dois = [match.group(1) for value in ids if (match := _DOI.match(value))]
    if dois:
        fields["doi"] = dois[0]
    positions = {
        "pmid": record.line_of("PMID"),
        "pmcid": record.line_of("PMC"),
        "doi": record.line_of("LID" if record.first("LID") else "AID"),
    }
    return Reference(
        path,
        record.line,
        1,
        "article",
        {k: v for k, v in fields.items() if v},
        title,
        first_family,
        fields["year"] or None,
        tuple(record.all("PT")),
        positions,
        # SI names the trial's registration, e.g. 'ClinicalTrials.gov/NCT01234567'
        registry=registry_numbers(*record.all("SI")),
    )
