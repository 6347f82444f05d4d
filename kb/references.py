"""The bibliography as CSL-JSON, BibTeX and RIS, for the whole knowledge base and per study.

Every export is a pure function of the knowledge base that returns text: sorted, without
timestamps, with LF line ends (RIS excepted: its specification asks for CR LF). The caller
encodes it as UTF-8.

Identifiers. A DOI, PMID or PMCID goes into a field that says "this is the identifier"
(CSL `DOI`, RIS `DO`, BibTeX `doi`) only when it is verified: the record's identifier status
decides, and an identifier that only references.bib gives counts as verified unless the
entry's note lists it after UNVERIFIED (the file's own convention, see its header). Unverified
identifiers are written into the note as 'PMID 30275214 (unverified)'.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pybtex.database import BibliographyData, Person
from pybtex.database.output.bibtex import Writer as BibtexWriter

from kb.cite import IDENTIFIER_FIELDS, BibEntry, latex_to_text
from kb.corpus import KnowledgeBase
from kb.model import Study, Trial
from kb.vancouver import is_others, pybtex_entry
from kb.words import IDENTIFIER_LABELS

_TYPES: dict[str, tuple[str, str]] = {  # BibTeX type: (CSL type, RIS type)
    "article": ("article-journal", "JOUR"), "book": ("book", "BOOK"),
    "booklet": ("pamphlet", "PAMP"), "inbook": ("chapter", "CHAP"),
    "incollection": ("chapter", "CHAP"), "inproceedings": ("paper-conference", "CPAPER"),
    "conference": ("paper-conference", "CPAPER"), "manual": ("report", "RPRT"),
    "mastersthesis": ("thesis", "THES"), "phdthesis": ("thesis", "THES"),
    "proceedings": ("book", "CONF"), "techreport": ("report", "RPRT"),
    "unpublished": ("manuscript", "UNPB"), "misc": ("document", "GEN"),
}  # fmt: skip


@dataclass(frozen=True)
class ResolvedIdentifier:
    name: str
    value: str
    verified: bool
    origin: str
    """'record' (the YAML identifiers) or 'references.bib'."""

    def note(self) -> str:
        """'ClinicalTrials.gov NCT04617457', 'PMID 30275214 (unverified)'."""
        text = f"{IDENTIFIER_LABELS[self.name]} {self.value}"
        return text if self.verified else f"{text} (unverified)"


def resolve_identifiers(record: Study | Trial, entry: BibEntry | None) -> list[ResolvedIdentifier]:
    """The record's identifiers with their status, then any DOI/PMID/PMCID only the entry has."""
    found: list[ResolvedIdentifier] = []
    for name in IDENTIFIER_LABELS:
        ours = getattr(record.identifiers, name)
        theirs = (entry.fields.get(name) or "").strip() if entry else ""
        if ours is not None:
            found.append(ResolvedIdentifier(name, ours.value, ours.status == "verified", "record"))
        elif entry is not None and name in IDENTIFIER_FIELDS and theirs:
            verified = not entry.declared_unverified(name)
            found.append(ResolvedIdentifier(name, theirs, verified, "references.bib"))
    return found


def _studies(kb: KnowledgeBase) -> list[Study]:
    """Every study, in id order."""
    return [kb.study(study_id) for study_id in sorted(kb.studies)]


# CSL-JSON


def _csl_name(person: Person) -> dict[str, str]:
    family = latex_to_text(" ".join(person.last_names))
    given = latex_to_text(" ".join(person.first_names + person.middle_names))
    particle = latex_to_text(" ".join(person.prelast_names))
    suffix = latex_to_text(" ".join(person.lineage_names))
    if not given and not particle and not suffix:
        return {"literal": family}
    name = {"family": family, "given": given, "non-dropping-particle": particle, "suffix": suffix}
    return {key: value for key, value in name.items() if value}


def _issued(fields: dict[str, str]) -> dict[str, Any] | None:
    year = latex_to_text(fields.get("year", "")).strip()
    if not year:
        return None
    if not year.isdigit():
        return {"literal": year}
    parts = [int(year)]
    month = fields.get("month", "").strip().lower()[:3]
    months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    if month.isdigit() and 1 <= int(month) <= 12:
        parts.append(int(month))
    elif month in months:
        parts.append(months.index(month) + 1)
    return {"date-parts": [parts]}


def _text(fields: dict[str, str], name: str) -> str:
    return " ".join(latex_to_text(fields.get(name, "")).split())


def _pages(fields: dict[str, str]) -> str:
    return re.sub(r"\s*[-\u2010-\u2015]+\s*", "-", _text(fields, "pages"))


def csl_item(kb: KnowledgeBase, study: Study) -> dict[str, Any]:
    entry = kb.bibliography.get(study.cite)
    item: dict[str, Any] = {"id": study.id, "type": "article"}
    notes: list[str] = []
    if entry is not None:
        fields = entry.fields
        persons = pybtex_entry(entry.type, fields).persons
        item.update(
            {
                "citation-key": entry.key,
                "type": _TYPES.get(entry.type, ("article", ""))[0],
                "title": _text(fields, "title"),
                "container-title": _text(fields, "journal") or _text(fields, "booktitle"),
                "volume": _text(fields, "volume"),
                "issue": _text(fields, "number"),
                "page": _pages(fields),
                "publisher": _text(fields, "publisher") or _text(fields, "institution"),
                "publisher-place": _text(fields, "address"),
                "edition": _text(fields, "edition"),
                "URL": fields.get("url", "").strip(),
                "issued": _issued(fields),
            }
        )
        for role in ("author", "editor"):
            names = [_csl_name(p) for p in persons.get(role, []) if not is_others(p)]
            item[role] = names or None
        notes.append(_text(fields, "howpublished"))
    for found in resolve_identifiers(study, entry):
        if found.verified and found.name in IDENTIFIER_FIELDS:
            item[found.name.upper()] = found.value
        else:
            notes.append(found.note())
    item["note"] = "; ".join(note for note in notes if note)
    return {key: value for key, value in item.items() if value}


def csl_json(kb: KnowledgeBase) -> str:
    """A CSL-JSON array with one item per study, in study id order."""
    data = [csl_item(kb, study) for study in _studies(kb)]
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False) + "\n"


# BibTeX


class _LatexWriter(BibtexWriter):  # type: ignore[misc]
    """pybtex's BibTeX writer, minus its encoding step: pybtex encodes values as if they were
    Unicode text, but values parsed from a .bib file are LaTeX already, so `suppl\\_5` would be
    written `suppl\\\\_5` and `5-10\\%` would become a line break and a comment."""

    def _encode(self, text: str) -> str:
        return text


def _latex(text: str) -> str:
    """Unicode text as LaTeX that keeps non-ASCII letters as they are: 'a_b' -> 'a\\_b'."""
    return str(codecs.encode(text, "ulatex+utf8"))


def _bib_fields(entry: BibEntry, records: Iterable[Study | Trial]) -> dict[str, str]:
    """The entry's fields, in their order, with only verified identifiers in identifier
    fields: the records' values win, unverified ones move to the note."""
    resolved: dict[str, list[ResolvedIdentifier]] = {}
    for record in records:
        for found in resolve_identifiers(record, entry):
            resolved.setdefault(found.name, []).append(found)
    decided: dict[str, str | None] = {}
    extra: list[str] = []
    for name in IDENTIFIER_LABELS:
        if name not in resolved:
            continue
        first = resolved[name][0]
        if not all(found.verified for found in resolved[name]):
            extra.append(_latex(ResolvedIdentifier(name, first.value, False, "").note()))
            decided[name] = None
        elif name in IDENTIFIER_FIELDS:
            decided[name] = first.value
    fields = {name: decided.get(name, value) for name, value in entry.fields.items()}
    fields.update({name: value for name, value in decided.items() if name not in fields})
    if extra:
        fields["note"] = "; ".join(part for part in (fields.get("note"), *extra) if part)
    return {name: value for name, value in fields.items() if value is not None}


def _bibliography(kb: KnowledgeBase, keys: Iterable[str]) -> str:
    citing = kb.citing
    data = BibliographyData()
    for key in sorted(keys, key=lambda k: (k.casefold(), k)):
        entry = kb.bibliography.entries[key]
        data.add_entry(key, pybtex_entry(entry.type, _bib_fields(entry, citing.get(key, []))))
    return str(_LatexWriter(encoding="UTF-8").to_string(data))


def bibtex(kb: KnowledgeBase, written: Mapping[str, str] | None = None) -> str:
    """Every entry cited by a study or trial, by key, written with pybtex's BibTeX writer.
    `written` gives, by study id, the study's own BibTeX (`study_bibtex`) where it is at hand:
    the writer puts a blank line between entries and nothing else, so the whole file is those
    entries joined, and an entry a study's download already holds is not written again."""
    known = written or {}
    by_key = {
        entry.key: known[study_id]
        for study_id, study in kb.studies.items()
        if study_id in known and (entry := kb.bibliography.get(study.record.cite)) is not None
    }
    keys = sorted(kb.citing, key=lambda k: (k.casefold(), k))
    return "\n".join(by_key.get(key) or _bibliography(kb, [key]) for key in keys)


def _study(kb: KnowledgeBase, study_id: str) -> Study:
    if study_id not in kb.studies:
        raise KeyError(f"no study '{study_id}'")
    return kb.study(study_id)


def study_bibtex(kb: KnowledgeBase, study_id: str) -> str:
    """The BibTeX entry of one study; KeyError if the study or its entry is missing."""
    study = _study(kb, study_id)
    entry = kb.bibliography.get(study.cite)
    if entry is None:
        raise KeyError(f"no entry '{study.cite}' in references.bib")
    return _bibliography(kb, [entry.key])


# RIS


def _ris_name(person: Person) -> str:
    name = _csl_name(person)
    if "literal" in name:
        return name["literal"]
    family = " ".join(filter(None, (name.get("non-dropping-particle"), name["family"])))
    return ", ".join(filter(None, (family, name.get("given"), name.get("suffix"))))


def ris_record(kb: KnowledgeBase, study: Study) -> str:
    entry = kb.bibliography.get(study.cite)
    lines: list[tuple[str, str]] = []
    fields = entry.fields if entry else {}
    lines.append(("TY", _TYPES.get(entry.type, ("", "GEN"))[1] if entry else "GEN"))
    if entry is not None:
        persons = pybtex_entry(entry.type, fields).persons
        lines += [("AU", _ris_name(p)) for p in persons.get("author", []) if not is_others(p)]
        lines += [("A2", _ris_name(p)) for p in persons.get("editor", []) if not is_others(p)]
    pages = _pages(fields).split("-", 1) if _pages(fields) else []
    lines += [
        ("TI", _text(fields, "title")),
        ("T2", _text(fields, "journal") or _text(fields, "booktitle")),
        ("PY", _text(fields, "year")),
        ("VL", _text(fields, "volume")),
        ("IS", _text(fields, "number")),
        ("SP", pages[0] if pages else ""),
        ("EP", pages[1] if len(pages) > 1 else ""),
        ("PB", _text(fields, "publisher")),
        ("CY", _text(fields, "address")),
        ("UR", fields.get("url", "").strip()),
    ]
    notes = [f"Study {study.id} in the evidence knowledge base", _text(fields, "howpublished")]
    for found in resolve_identifiers(study, entry):
        if found.verified and found.name == "doi":
            lines.append(("DO", found.value))
        elif found.verified and found.name == "pmid":
            lines.append(("AN", f"PMID:{found.value}"))
        elif found.verified and found.name == "pmcid":
            lines.append(("C2", found.value))
        else:
            notes.append(found.note())
    lines += [("N1", note) for note in notes]
    lines.append(("ER", ""))
    return "".join(
        f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in lines if value or tag == "ER"
    )


def ris(kb: KnowledgeBase, written: Mapping[str, str] | None = None) -> str:
    """RIS records for every study, in study id order; `written` gives, by study id, a study's
    own record (`study_ris`) where it is at hand.

    Lines are 'TAG  - value' and end in CR LF, as the RIS specification (Research Information
    Systems) requires; readers such as Zotero accept LF too, and CR LF is just as deterministic.
    The text is UTF-8 rather than the specification's Windows ANSI, as Zotero and most
    publishers write it. Tags: DO is a verified DOI, AN 'PMID:<n>' a verified PMID, C2 a
    verified PMCID (EndNote's PMCID field for journal articles); unverified identifiers and
    the study id go into N1 notes. The empty 'ER  - ' line ends each record, with no blank line
    between records.
    """
    known = written or {}
    return "".join(
        known.get(study_id) or ris_record(kb, kb.study(study_id)) for study_id in sorted(kb.studies)
    )


def study_ris(kb: KnowledgeBase, study_id: str) -> str:
    return ris_record(kb, _study(kb, study_id))
