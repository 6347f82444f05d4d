"""RIS (.ris), as Zotero, EndNote, Mendeley and publishers export it, read with rispy.

rispy parses fields but keeps no line numbers and silently merges a record that lacks its 'ER  -'
into the next one. So the text is first cut into records here, each 'TY  - ' to its 'ER  - ',
with every structural mistake reported at its line; rispy then reads one record at a time.
"""

from __future__ import annotations

import re
from typing import Any

import rispy

from kb.imports.reference import (
    Reference,
    family_core,
    identifiers_from_note,
    latex,
    organisation,
    person,
    registry_numbers,
    usable_key,
)
from kb.problems import IMPORT_SYNTAX, Problem

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
_TYPES = {
    "JOUR": "article",
    "JFULL": "article",
    "EJOUR": "article",
    "ABST": "article",
    "MGZN": "article",
    "NEWS": "article",
    "INPR": "article",
    "CONF": "inproceedings",
    "CPAPER": "inproceedings",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "incollection",
    "ECHAP": "incollection",
    "THES": "phdthesis",
    "RPRT": "techreport",
}
_CONTAINER = (
    "secondary_title",
    "journal_name",
    "alternate_title3",
    "alternate_title1",
    "alternate_title2",
)
_HINT = "each record runs from 'TY  - ' to 'ER  - '; export the file again"


def read_ris(text: str, path: str) -> tuple[list[Reference], list[Problem]]:
    chunks, problems = _chunks(text, path)
    references = []
    for line, lines in chunks:
        parsed = rispy.loads("\n".join(lines), skip_unknown_tags=True)
        if parsed:
            references.append(_reference(parsed[0], path, line, lines))
    return references, problems


def _chunks(text: str, path: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """(first line, lines) of every complete record, and problems with the structure."""
    chunks: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    start: int | None = None
    lines: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        tag = _TAG.match(raw)
        name = tag.group(1) if tag else None
        if name == "TY":
            if start is not None:
                problems.append(
                    Problem(
                        path,
                        start,
                        1,
                        IMPORT_SYNTAX,
                        f"record has no 'ER  - ' before the next 'TY  - ' at line "
                        f"{number}; it is skipped",
                        _HINT,
                    )
                )
            start, lines = number, [raw]
        elif start is None:
            if raw.strip():
                problems.append(
                    Problem(
                        path,
                        number,
                        1,
                        IMPORT_SYNTAX,
                        "text outside a record: expected 'TY  - ' to start one",
                        _HINT,
                    )
                )
        elif name == "ER":
            chunks.append((start, [*lines, raw]))
            start = None
        else:
            lines.append(raw)
    if start is not None:
        problems.append(
            Problem(
                path,
                start,
                1,
                IMPORT_SYNTAX,
                "record has no 'ER  - ' before the end of the file; it is skipped",
                _HINT,
            )
        )
    return chunks, problems


def _text(data: dict[str, Any], *names: str) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if value and str(value).strip():
            return " ".join(str(value).split())
    return ""


def _names(data: dict[str, Any]) -> tuple[list[str], str | None]:
    raw = [*data.get("authors", []), *data.get("first_authors", [])]
    names, first_family = [], None
    for value in raw:
        family, comma, given = (part.strip() for part in str(value).partition(","))
        names.append(person(family, given) if comma else organisation(family))
        first_family = first_family or (family_core(family) if comma else family) or None
    return names, first_family


def _date(data: dict[str, Any]) -> tuple[str, str]:
    """Year and month from PY ('2024', '2024/03/01/') or DA ('2024/03//')."""
    for name in ("year", "publication_year", "date"):
        match = re.match(r"^(\d{4})(?:[/-](\d{1,2}))?", _text(data, name))
        if match:
            return match.group(1), match.group(2) or ""
    return "", ""


def _reference(data: dict[str, Any], path: str, line: int, lines: list[str]) -> Reference:
    entry_type = _TYPES.get(_text(data, "type_of_reference").upper(), "misc")
    names, first_family = _names(data)
    title = _text(data, "title", "primary_title", "short_title").removesuffix(".")
    year, month = _date(data)
    container = latex(_text(data, *_CONTAINER))
    first, last = _text(data, "start_page"), _text(data, "end_page")
    fields = {
        "author": " and ".join(names),
        "title": latex(title),
        "journal" if entry_type == "article" else "booktitle": container,
        "publisher": latex(_text(data, "publisher")),
        "address": latex(_text(data, "place_published")),
        "year": year,
        "month": month,
        "volume": latex(_text(data, "volume")),
        "number": latex(_text(data, "number")),
        "pages": latex(f"{first}-{last}" if first and last else first),
        "doi": _text(data, "doi"),
        "url": _text(data, "urls"),
    }
    notes = " ".join(filter(None, [_text(data, "notes"), _text(data, "note")]))
    fields["note"] = latex(notes)
    fields["keywords"] = latex(", ".join(str(k) for k in data.get("keywords", [])))
    fields["abstract"] = latex(_text(data, "abstract", "notes_abstract"))
    for name, value in identifiers_from_note(notes).items():
        fields[name] = fields.get(name) or value
    positions = {"doi": _position(lines, line, "DO")}
    return Reference(
        path,
        line,
        1,
        entry_type,
        {k: v for k, v in fields.items() if v},
        title,
        first_family,
        year or None,
        (),
        positions,
        usable_key(_text(data, "id")),
        registry_numbers(_text(data, "accession_number"), _text(data, "number")),
    )


def _position(lines: list[str], first: int, tag: str) -> tuple[int, int]:
    for offset, raw in enumerate(lines):
        if raw.startswith(f"{tag}  - "):
            return first + offset, 7
    return first, 1
