"""CSL-JSON (.json), the citation format of Zotero, Mendeley, pandoc and citeproc.

An array of items (or one item) whose fields follow the CSL 1.0.2 variables. The position of each
item is found by decoding the array one item at a time, so messages name its line.
"""

from __future__ import annotations

import json
from typing import Any

from kb.imports.reference import (
    Reference,
    clean_identifier,
    family_core,
    identifiers_from_note,
    latex,
    organisation,
    person,
    registry_numbers,
    usable_key,
)
from kb.problems import IMPORT_SYNTAX, Problem

_TYPES = {
    "article-journal": "article",
    "article": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "review": "article",
    "paper-conference": "inproceedings",
    "book": "book",
    "chapter": "incollection",
    "thesis": "phdthesis",
    "report": "techreport",
}
_HINT = "export again from Zotero as 'CSL JSON'"


def read_csl(text: str, path: str) -> tuple[list[Reference], list[Problem]]:
    try:
        items = _items(text)
    except json.JSONDecodeError as error:
        return [], [
            Problem(
                path,
                error.lineno,
                error.colno,
                IMPORT_SYNTAX,
                f"JSON syntax error: {error.msg.lower()}",
                _HINT,
            )
        ]
    except (RecursionError, ValueError) as error:  # the limits of Python's own reader
        why = "nested too deeply" if isinstance(error, RecursionError) else "a number too long"
        return [], [Problem.in_file(path, IMPORT_SYNTAX, f"JSON kb cannot read: {why}", _HINT)]
    references, problems = [], []
    for offset, item in items:
        line = text.count("\n", 0, offset) + 1
        col = offset - text.rfind("\n", 0, offset)
        if isinstance(item, dict):
            references.append(_reference(item, path, line, col))
        else:
            problems.append(
                Problem(
                    path, line, col, IMPORT_SYNTAX, "a CSL-JSON item is an object ('{...}')", _HINT
                )
            )
    return references, problems


def _items(text: str) -> list[tuple[int, Any]]:
    """(offset, item) of every top-level item; the whole text must be valid JSON."""
    data = json.loads(text)
    if not isinstance(data, list):
        return [(len(text) - len(text.lstrip()), data)]
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    found = []
    for _ in data:
        while text[position] in " \t\r\n,":
            position += 1
        item, end = decoder.raw_decode(text, position)
        found.append((position, item))
        position = end
    return found


def _text(item: dict[str, Any], *names: str) -> str:
    for name in names:
        value = item.get(name)
        if isinstance(value, str | int) and str(value).strip():
            return " ".join(str(value).split())
    return ""


def _names(people: Any) -> tuple[list[str], str | None]:
    names: list[str] = []
    first_family = None
    for entry in people if isinstance(people, list) else []:
        if not isinstance(entry, dict):
            continue
        family = _text(entry, "family")
        if family:
            particle = " ".join(
                filter(
                    None, (_text(entry, "dropping-particle"), _text(entry, "non-dropping-particle"))
                )
            )
            names.append(person(family, _text(entry, "given"), particle, _text(entry, "suffix")))
            first_family = first_family or family_core(family)
        elif literal := _text(entry, "literal"):
            names.append(organisation(literal))
            first_family = first_family or literal
    return names, first_family


def _date(item: dict[str, Any]) -> tuple[str, str]:
    issued = item.get("issued")
    if not isinstance(issued, dict):
        return "", ""
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        year = str(parts[0][0])
        month = str(parts[0][1]) if len(parts[0]) > 1 else ""
        return (year, month) if year.isdigit() else ("", "")
    raw = str(issued.get("raw") or issued.get("literal") or "")
    return (raw[:4], "") if raw[:4].isdigit() else ("", "")


def _reference(item: dict[str, Any], path: str, line: int, col: int) -> Reference:
    entry_type = _TYPES.get(_text(item, "type"), "misc")
    authors, first_family = _names(item.get("author"))
    editors, first_editor = _names(item.get("editor"))
    title = _text(item, "title").removesuffix(".")
    year, month = _date(item)
    container = latex(_text(item, "container-title", "event-title"))
    fields = {
        "author": " and ".join(authors),
        "editor": " and ".join(editors),
        "title": latex(title),
        "journal" if entry_type == "article" else "booktitle": container,
        "publisher": latex(_text(item, "publisher")),
        "address": latex(_text(item, "publisher-place")),
        "year": year,
        "month": month,
        "volume": latex(_text(item, "volume")),
        "number": latex(_text(item, "issue", "number")),
        "pages": latex(_text(item, "page")),
        "doi": _text(item, "DOI"),
        "pmid": _text(item, "PMID"),
        "pmcid": clean_identifier("pmcid", _text(item, "PMCID")) if item.get("PMCID") else "",
        "url": _text(item, "URL"),
        "note": latex(_text(item, "note")),
        "keywords": latex(_text(item, "keyword")),
        "abstract": latex(_text(item, "abstract")),
    }
    for name, value in identifiers_from_note(str(item.get("note") or "")).items():
        fields[name] = fields.get(name) or value
    return Reference(
        path,
        line,
        col,
        entry_type,
        {k: v for k, v in fields.items() if v},
        title,
        first_family or first_editor,
        year or None,
        source_key=usable_key(_text(item, "id", "citation-key")),
        registry=registry_numbers(_text(item, "number"), _text(item, "archive_location")),
    )
