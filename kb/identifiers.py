"""Identifiers as records and references.bib give them: compared in one normal form, and who
holds each (for KB405 and `kb import`)."""

from __future__ import annotations

from collections.abc import Iterator

from kb.corpus import KnowledgeBase, LoadedRecord
from kb.model import Study, Trial
from kb.problems import Loc

BIB_IDENTIFIERS = ("doi", "pmid", "pmcid")
"""The identifiers a references.bib entry can carry."""


def normalise_identifier(name: str, value: str) -> str:
    """DOIs are case-insensitive; the other identifiers compare as written."""
    value = value.strip()
    return value.casefold() if name == "doi" else value


def record_identifiers(kb: KnowledgeBase, loaded: LoadedRecord) -> Iterator[tuple[str, str, Loc]]:
    """A record's identifiers, normalised, with where each is written: from its YAML and, for a
    study, those only its BibTeX entry gives (placed at its 'cite')."""
    record = loaded.record
    if not isinstance(record, Study | Trial):
        return
    for name in ("doi", "pmid", "pmcid", "nct", "eudract"):
        identifier = getattr(record.identifiers, name)
        if identifier is not None:
            yield name, normalise_identifier(name, identifier.value), ("identifiers", name, "value")
    if isinstance(record, Study) and (entry := kb.bibliography.get(record.cite)):
        for name in BIB_IDENTIFIERS:
            if name in entry.fields and getattr(record.identifiers, name) is None:
                yield name, normalise_identifier(name, entry.fields[name]), ("cite",)


def identifier_owners(kb: KnowledgeBase) -> dict[tuple[str, str], str]:
    """(identifier name, normalised value) -> who holds it: "study 'x'", or "entry 'Key' of
    references.bib" for an entry no study cites."""
    owners: dict[tuple[str, str], str] = {}
    for loaded in kb.records:
        if loaded.kind == "study":
            for name, value, _ in record_identifiers(kb, loaded):
                owners.setdefault((name, value), f"study '{loaded.raw_id}'")
    for entry in kb.bibliography.entries.values():
        for name in BIB_IDENTIFIERS:
            if entry.fields.get(name):
                value = normalise_identifier(name, entry.fields[name])
                owners.setdefault((name, value), f"entry '{entry.key}' of references.bib")
    return owners
