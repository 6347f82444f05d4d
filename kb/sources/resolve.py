"""`kb resolve`: ask the registries about every identifier and merge the answers into the lockfile.

A registry's answer (a record, or "no such record") replaces the entry; its `retrieved` date
moves only when the answer changed, so an unchanged registry leaves the file unchanged. A
request that got no answer keeps the previous entry and records the error with its date. The
lockfile is written whole, atomically, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kb.corpus import load_kb
from kb.locking import write_lock
from kb.sources.crossref import BASE_URL as CROSSREF_URL
from kb.sources.crossref import Crossref
from kb.sources.ctgov import BASE_URL as CLINICALTRIALS_URL
from kb.sources.ctgov import ClinicalTrials
from kb.sources.eutils import BASE_URL as EUTILS_URL
from kb.sources.eutils import Eutils, Outcome
from kb.sources.http import HttpClient, NotFound, Politeness, RegistryError
from kb.sources.lock import (
    KINDS,
    LOCK_NAME,
    REGISTRY_OF,
    Attempt,
    LockEntry,
    Lockfile,
    lock_key,
    write_lockfile,
)
from kb.verification import identifier_uses

GROUPS = {"doi": ("doi",), "pmid": ("pmid", "pmcid"), "nct": ("nct",)}
"""What `--only` selects: NCBI answers for both PMIDs and PMCIDs."""


@dataclass(frozen=True)
class Endpoints:
    crossref: str = CROSSREF_URL
    eutils: str = EUTILS_URL
    clinicaltrials: str = CLINICALTRIALS_URL


@dataclass
class Registries:
    """One client per registry, each with its own rate limit."""

    crossref: Crossref
    eutils: Eutils
    clinicaltrials: ClinicalTrials

    @classmethod
    def connect(
        cls,
        politeness: Politeness,
        endpoints: Endpoints = Endpoints(),
        sleep: Callable[[float], None] | None = None,
    ) -> Registries:
        def client(url: str) -> HttpClient:
            return (
                HttpClient(url, politeness, sleep=sleep) if sleep else HttpClient(url, politeness)
            )

        return cls(
            Crossref(client(endpoints.crossref)),
            Eutils(client(endpoints.eutils)),
            ClinicalTrials(client(endpoints.clinicaltrials)),
        )


@dataclass
class ResolveReport:
    found: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(lock key, why) for requests that got no answer."""
    removed: list[str] = field(default_factory=list)
    """Entries of identifiers the knowledge base no longer has."""

    @property
    def asked(self) -> int:
        return len(self.found) + len(self.not_found) + len(self.failed)


def resolve(
    identifiers: Iterable[tuple[str, str]],
    registries: Registries,
    previous: Lockfile,
    today: dt.date,
    only: Iterable[str] = tuple(GROUPS),
) -> tuple[Lockfile, ResolveReport]:
    """The new lockfile and what happened. `identifiers` are (kind, value) pairs; `only`
    limits the run to some groups (doi, pmid, nct); other entries are kept as they are."""
    kinds = {kind for group in only for kind in GROUPS[group]}
    wanted: dict[str, tuple[str, str]] = {}
    for kind, value in identifiers:
        if kind in kinds:
            wanted.setdefault(lock_key(kind, value), (kind, value))
    outcomes = _ask(registries, sorted(wanted.values()))
    report = ResolveReport()
    entries = {
        key: entry
        for key, entry in previous.entries.items()
        if key.partition(":")[0] not in kinds or key in wanted
    }
    report.removed = sorted(set(previous.entries) - set(entries))
    day = today.isoformat()
    for key, (kind, _) in sorted(wanted.items()):
        outcome = outcomes[key]
        before = previous.entries.get(key)
        if isinstance(outcome, LockEntry):
            report.found.append(key)
            entries[key] = _answered(outcome, before, day)
        elif isinstance(outcome, NotFound):
            report.not_found.append(key)
            entries[key] = _answered(
                LockEntry(registry=REGISTRY_OF[kind], found=False), before, day
            )
        else:
            report.failed.append((key, str(outcome)))
            attempt = Attempt(date=day, message=str(outcome))
            entries[key] = (
                before.model_copy(update={"error": attempt})
                if before
                else LockEntry(registry=REGISTRY_OF[kind], error=attempt)
            )
    return Lockfile(entries=dict(sorted(entries.items()))), report


def _answered(answer: LockEntry, before: LockEntry | None, day: str) -> LockEntry:
    if before is not None and before.found is not None and before.same_answer(answer):
        return answer.model_copy(update={"retrieved": before.retrieved})
    return answer.model_copy(update={"retrieved": day})


def _ask(registries: Registries, wanted: list[tuple[str, str]]) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    by_kind: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for kind, value in wanted:
        by_kind[kind].append(value)
    batched = {"pmid": registries.eutils.fetch_pubmed, "pmcid": registries.eutils.fetch_pmc}
    for kind, fetch_many in batched.items():
        for value, outcome in fetch_many(by_kind[kind]).items():
            outcomes[lock_key(kind, value)] = outcome
    single: dict[str, Callable[[str], LockEntry]] = {
        "doi": registries.crossref.fetch,
        "nct": registries.clinicaltrials.fetch,
    }
    for kind, fetch in single.items():
        for value in by_kind[kind]:
            try:
                outcomes[lock_key(kind, value)] = fetch(value)
            except RegistryError as error:
                outcomes[lock_key(kind, value)] = error
    return outcomes


def resolve_kb(
    root: Path,
    registries: Registries,
    today: dt.date,
    only: Iterable[str] = tuple(GROUPS),
) -> tuple[ResolveReport, Path, bool]:
    """Resolve the identifiers of the knowledge base at `root` into its lockfile: the report,
    the lockfile's path and whether it was written (False: unchanged)."""
    with write_lock(root, "resolve"):
        kb = load_kb(root)
        identifiers = [(use.name, use.value) for use in identifier_uses(kb)]
        lock, report = resolve(identifiers, registries, kb.lock, today, only)
        path = kb.root / LOCK_NAME
        return report, path, write_lockfile(path, lock)
