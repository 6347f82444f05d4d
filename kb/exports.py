"""Whole-knowledge-base and per-study exports: JSON, CSL-JSON, BibTeX, RIS and GraphML.

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
import datetime as dt
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from pybtex.database import BibliographyData, Person
from pybtex.database.output.bibtex import Writer as BibtexWriter

from kb.cite import IDENTIFIER_FIELDS, BibEntry, latex_to_text
from kb.corpus import KnowledgeBase, LoadedRecord
from kb.grade import claim_certainty, study_level
from kb.graph import evidence_for
from kb.model import Claim, Concept, Study, Trial
from kb.vancouver import format_fields, is_others, pybtex_entry
from kb.verification import verify_kb

SCHEMA_VERSION = 1
Listed = Study | Claim | Trial | Concept
IDENTIFIER_NAMES = ("doi", "pmid", "pmcid", "nct", "eudract")
_LABELS = {"doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "nct": "ClinicalTrials.gov",
           "eudract": "EudraCT"}  # fmt: skip
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
        text = f"{_LABELS[self.name]} {self.value}"
        return text if self.verified else f"{text} (unverified)"


def resolve_identifiers(record: Study | Trial, entry: BibEntry | None) -> list[ResolvedIdentifier]:
    """The record's identifiers with their status, then any DOI/PMID/PMCID only the entry has."""
    found: list[ResolvedIdentifier] = []
    for name in IDENTIFIER_NAMES:
        ours = getattr(record.identifiers, name)
        theirs = (entry.fields.get(name) or "").strip() if entry else ""
        if ours is not None:
            found.append(ResolvedIdentifier(name, ours.value, ours.status == "verified", "record"))
        elif entry is not None and name in IDENTIFIER_FIELDS and theirs:
            verified = not entry.declared_unverified(name)
            found.append(ResolvedIdentifier(name, theirs, verified, "references.bib"))
    return found


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False) + "\n"


def _relative(kb: KnowledgeBase, loaded: LoadedRecord) -> str:
    path = Path(loaded.path)
    try:
        return (path if path.is_absolute() else Path.cwd() / path).relative_to(kb.root).as_posix()
    except ValueError:
        return path.as_posix()


def _reference(kb: KnowledgeBase, key: str | None) -> dict[str, str] | None:
    entry = kb.bibliography.get(key) if key else None
    if entry is None:
        return None
    return {"key": entry.key, "vancouver": format_fields(entry.key, entry.type, entry.fields)}


def _item(kb: KnowledgeBase, record: Listed, loaded: LoadedRecord) -> dict[str, Any]:
    dump = record.model_dump(mode="json")
    return {"id": record.id, "file": _relative(kb, loaded), "record": dump}


def _study_item(
    kb: KnowledgeBase,
    study: Study,
    loaded: LoadedRecord,
    states: dict[tuple[str, str, str, str], str],
) -> dict[str, Any]:
    level = study_level(study)
    identifiers = resolve_identifiers(study, kb.bibliography.get(study.cite))
    return {
        **_item(kb, study, loaded),
        "level": {"level": level.level, "base": level.base, "reason": level.reason},
        "reference": _reference(kb, study.cite),
        "identifiers": [
            {
                "name": found.name,
                "value": found.value,
                "status": "verified" if found.verified else "unverified",
                "from": found.origin,
                "registry": states.get(("study", study.id, found.name, found.value)),
            }
            for found in identifiers
        ],
    }


def evidence_json(kb: KnowledgeBase, graph: nx.MultiDiGraph, today: dt.date) -> str:
    """Every valid record as JSON with its computed grade; `as_of` is the date given.

    Studies carry their OCEBM level and their identifiers with the curator's status (from the
    record, or from references.bib) and the registry's (`registry`: not-resolved, matches,
    differs, other-work or not-found; null where no registry is asked, as for EudraCT); claims
    carry the GRADE-style certainty with each domain's concern and reason, the studies counted
    and those left out (retracted) with the reason. Records that failed their schema check are
    left out.
    """
    verification = verify_kb(kb)
    states: dict[tuple[str, str, str, str], str] = {
        (u.kind, u.record_id, u.name, u.value): c.state for u, c in verification.checks
    }
    studies = [_study_item(kb, s, loaded, states) for _, (s, loaded) in sorted(kb.studies.items())]
    claims = []
    for claim_id, (claim, loaded) in sorted(kb.claims.items()):
        certainty = claim_certainty(kb, graph, claim, verification.excluded)
        claims.append(
            {
                **_item(kb, claim, loaded),
                "certainty": {
                    "start": certainty.start,
                    "computed": certainty.computed,
                    "curated": certainty.curated,
                    "final": certainty.final,
                    "rationale": certainty.rationale,
                    "domains": [
                        {"name": d.name, "concern": d.concern, "reason": d.reason}
                        for d in certainty.domains
                    ],
                    "counted": list(certainty.counted),
                    "excluded": [
                        {"study": study_id, "reason": reason}
                        for study_id, reason in certainty.excluded
                    ],
                    "computed_with_excluded": certainty.computed_with_excluded,
                },
                "evidence": [
                    {"study": study_id, "relation": link.relation}
                    for study_id, link in evidence_for(graph, claim_id)
                ],
            }
        )
    trials = [
        {**_item(kb, trial, loaded), "reference": _reference(kb, trial.cite)}
        for _, (trial, loaded) in sorted(kb.trials.items())
    ]
    concepts = [_item(kb, concept, loaded) for _, (concept, loaded) in sorted(kb.concepts.items())]
    return _dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "as_of": today.isoformat(),
            "studies": studies,
            "claims": claims,
            "trials": trials,
            "concepts": concepts,
        }
    )


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
    return _dumps([csl_item(kb, study) for _, (study, _) in sorted(kb.studies.items())])


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
    for name in IDENTIFIER_NAMES:
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


def bibtex(kb: KnowledgeBase) -> str:
    """Every entry cited by a study or trial, by key, written with pybtex's BibTeX writer."""
    return _bibliography(kb, kb.citing)


def _study(kb: KnowledgeBase, study_id: str) -> Study:
    if study_id not in kb.studies:
        raise KeyError(f"no study '{study_id}'")
    return kb.studies[study_id][0]


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


def ris(kb: KnowledgeBase) -> str:
    """RIS records for every study, in study id order.

    Lines are 'TAG  - value' and end in CR LF, as the RIS specification (Research Information
    Systems) requires; readers such as Zotero accept LF too, and CR LF is just as deterministic.
    The text is UTF-8 rather than the specification's Windows ANSI, as Zotero and most
    publishers write it. Tags: DO is a verified DOI, AN 'PMID:<n>' a verified PMID, C2 a
    verified PMCID (EndNote's PMCID field for journal articles); unverified identifiers and
    the study id go into N1 notes. The empty 'ER  - ' line ends each record, with no blank line
    between records.
    """
    return "".join(ris_record(kb, study) for _, (study, _) in sorted(kb.studies.items()))


def study_ris(kb: KnowledgeBase, study_id: str) -> str:
    return ris_record(kb, _study(kb, study_id))


# GraphML


def _label(data: dict[str, Any]) -> str:
    record = data.get("record")
    for name in ("statement", "acronym", "title", "term"):
        if getattr(record, name, None):
            return str(getattr(record, name))
    return str(data["id"])


def graphml(graph: nx.MultiDiGraph) -> str:
    """The claim-evidence graph as GraphML: nodes keep kind, id and label (claim statement,
    trial acronym, concept term, study id); edges keep kind, and relation or publication type
    where they have one. Nodes and edges are written in sorted order."""
    plain = nx.MultiDiGraph()
    for name in sorted(graph.nodes):
        data = graph.nodes[name]
        plain.add_node(name, kind=data["kind"], id=data["id"], label=_label(data))
    edges = []
    for source, target, data in graph.edges(data=True):
        attributes = {"kind": data["kind"]}
        if "link" in data:
            attributes["relation"] = data["link"].relation
        if "type" in data:
            attributes["type"] = data["type"]
        edges.append((source, target, data.get("index", 0), attributes))
    for source, target, _, attributes in sorted(
        edges, key=lambda e: (e[0], e[1], e[3]["kind"], e[2])
    ):
        plain.add_edge(source, target, **attributes)
    buffer = io.BytesIO()
    nx.write_graphml(plain, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue().decode("utf-8").replace("\r\n", "\n")
