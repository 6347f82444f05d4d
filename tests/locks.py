"""Lockfiles for the minimal knowledge base, made from the registries' documented answers in
tests/fixtures/registries/ by the same code `kb resolve` uses, so that checks are tested on
what a real run would write."""

from __future__ import annotations

import json
from typing import Any

from registry_server import fixture

from kb.sources.crossref import work_entry
from kb.sources.ctgov import study_entry
from kb.sources.eutils import pmc_entry, pubmed_entry
from kb.sources.lock import LockEntry, Lockfile, render_lockfile

RETRIEVED = "2024-05-01"
DOI = "doi:10.1000/jt.2020.1"
PMID = "pmid:31818843"
PMCID = "pmcid:PMC6924808"
NCT = "nct:NCT01234567"


def crossref(name: str = "crossref-work.json", **changes: Any) -> LockEntry:
    message = json.loads(fixture(name))["message"]
    message.update(changes)
    return _dated(work_entry(message))


def pubmed(**changes: Any) -> LockEntry:
    record = json.loads(fixture("pubmed-esummary.json"))["result"]["31818843"]
    record.update(changes)
    return _dated(pubmed_entry(record))


def pmc(**changes: Any) -> LockEntry:
    record = json.loads(fixture("pmc-esummary.json"))["result"]["6924808"]
    record.update(changes)
    return _dated(pmc_entry(record))


def clinicaltrials(name: str = "ctgov-study.json") -> LockEntry:
    return _dated(study_entry(json.loads(fixture(name)), "NCT01234567"))


def not_found(registry: str) -> LockEntry:
    return LockEntry.model_validate({"registry": registry, "found": False, "retrieved": RETRIEVED})


def failed(registry: str, message: str = "HTTP 503 after 4 attempts") -> LockEntry:
    return LockEntry.model_validate(
        {"registry": registry, "error": {"date": RETRIEVED, "message": message}}
    )


def resolved(**replace: LockEntry | None) -> str:
    """The lockfile text of the minimal knowledge base, every identifier matching; keyword
    arguments (doi, pmid, pmcid, nct) replace an entry, or drop it when None."""
    entries = {DOI: crossref(), PMID: pubmed(), PMCID: pmc(), NCT: clinicaltrials()}
    keys = {"doi": DOI, "pmid": PMID, "pmcid": PMCID, "nct": NCT}
    for name, entry in replace.items():
        if entry is None:
            del entries[keys[name]]
        else:
            entries[keys[name]] = entry
    return render_lockfile(Lockfile(entries=entries)).decode()


def _dated(entry: LockEntry) -> LockEntry:
    return entry.model_copy(update={"retrieved": RETRIEVED})
