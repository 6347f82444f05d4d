"""Two verifications of every identifier, side by side, computed offline.

- The curator's: the identifier was read on a named source page on a date (`status`, `source`,
  `checked` in the record; an identifier that only references.bib gives counts as read unless
  the entry's note lists it after UNVERIFIED).
- The registry's: `kb resolve` found it in Crossref, PubMed, PubMed Central or
  ClinicalTrials.gov on a date (sources.lock.json), and the registry's title, year, journal and
  first author agree with references.bib (for trials: the title with the trial record).

The registry also tells what happened to a work since: retractions and corrections. A retracted
study is left out of the evidence (`excluded`), with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from kb.cite import IDENTIFIER_FIELDS, BibEntry, latex_to_text
from kb.corpus import KnowledgeBase, Loaded
from kb.model import Study, Trial
from kb.similarity import journal_similarity, same_family, title_similarity
from kb.sources.lock import KINDS, PATTERNS, REGISTRY_NAMES, REGISTRY_OF, LockEntry, Update
from kb.words import IDENTIFIER_LABELS

SAME_TITLE = 90
"""Title similarity (rapidfuzz, 0-100) from which two titles name the same work."""
OTHER_WORK = 60
"""Below this the identifier names another work."""
SAME_JOURNAL = 85
NEW_VERSIONS = frozenset({"new_version", "new_edition"})
"""Updates a work's own record may announce without being a notice."""
State = Literal["not-resolved", "not-found", "matches", "differs", "other-work"]


@dataclass(frozen=True)
class IdentifierUse:
    """An identifier as one record gives it (in its YAML, or in its references.bib entry)."""

    kind: Literal["study", "trial"]
    record_id: str
    name: str
    value: str
    path: str
    line: int
    col: int
    origin: Literal["record", "references.bib"]
    curator_verified: bool
    source: str | None = None
    checked: str | None = None
    registry_title: str | None = None
    larger_work: str | None = None

    @property
    def label(self) -> str:
        return f"{IDENTIFIER_LABELS[self.name]} '{self.value}'"


@dataclass(frozen=True)
class Difference:
    field: str
    ours: str
    theirs: str


@dataclass(frozen=True)
class RegistryCheck:
    state: State
    registry: str
    """The registry's name as readers know it: Crossref, PubMed, ..."""
    entry: LockEntry | None
    compared_with: str = ""
    """'references.bib entry 'key'', 'the trial record' or 'its registry_title'."""
    differences: tuple[Difference, ...] = ()
    title_score: int | None = None

    @property
    def retrieved(self) -> str | None:
        return self.entry.retrieved if self.entry else None


@dataclass(frozen=True)
class Notice:
    use: IdentifierUse
    registry: str
    update: Update

    def describe(self) -> str:
        """'a retraction (notice 10.1000/x, 2022-03-01, from Retraction Watch)'."""
        kind = self.update.type.replace("_", " ")
        details = [
            f"notice {self.update.doi}" if self.update.doi else "",
            self.update.date or "",
            SOURCE_WORDS.get(self.update.source, ""),
        ]
        detail = ", ".join(part for part in details if part)
        article = "an" if kind[0] in "aeiou" else "a"
        return f"{article} {kind}" + (f" ({detail})" if detail else "")


SOURCE_WORDS = {
    "retraction-watch": "from Retraction Watch",
    "publisher": "from the publisher",
    "pubmed": "publication type 'Retracted Publication'",
}


@dataclass
class Verification:
    checks: list[tuple[IdentifierUse, RegistryCheck]]
    retracted: dict[str, list[Notice]] = field(default_factory=dict)
    corrected: dict[str, list[Notice]] = field(default_factory=dict)
    _by_record: dict[tuple[str, str], list[tuple[IdentifierUse, RegistryCheck]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for pair in self.checks:
            self._by_record.setdefault((pair[0].kind, pair[0].record_id), []).append(pair)

    def of_record(self, kind: str, record_id: str) -> list[tuple[IdentifierUse, RegistryCheck]]:
        return self._by_record.get((kind, record_id), [])

    @property
    def excluded(self) -> dict[str, str]:
        """Study id -> why it is left out of the evidence."""
        return {
            study_id: "retracted: "
            + "; ".join(f"{n.registry} records {n.describe()}" for n in notices)
            for study_id, notices in sorted(self.retracted.items())
        }


def identifier_uses(kb: KnowledgeBase) -> list[IdentifierUse]:
    """Every well-formed DOI, PMID, PMCID and NCT number of the studies and trials, with where
    it is written; one that references.bib adds or gives differently is listed too."""
    uses: list[IdentifierUse] = []
    records: list[Loaded[Study] | Loaded[Trial]] = [*kb.studies.values(), *kb.trials.values()]
    for loaded in sorted(records, key=lambda loaded: loaded.path):
        record = loaded.record
        kind: Literal["study", "trial"] = "study" if isinstance(record, Study) else "trial"
        given: set[str] = set()
        for name in KINDS:
            identifier = getattr(record.identifiers, name)
            if identifier is None or not re.fullmatch(PATTERNS[name], identifier.value):
                continue
            given.add(_folded(name, identifier.value))
            line, col = loaded.source.value(("identifiers", name, "value"))
            uses.append(
                IdentifierUse(
                    kind,
                    record.id,
                    name,
                    identifier.value,
                    loaded.path,
                    line,
                    col,
                    "record",
                    identifier.status == "verified",
                    identifier.source,
                    identifier.checked,
                    identifier.registry_title,
                    identifier.larger_work,
                )
            )
        entry = kb.bibliography.get(record.cite) if record.cite else None
        uses += _bib_uses(kb, kind, record.id, entry, given)
    return uses


def _bib_uses(
    kb: KnowledgeBase,
    kind: Literal["study", "trial"],
    record_id: str,
    entry: BibEntry | None,
    given: set[str],
) -> list[IdentifierUse]:
    if entry is None:
        return []
    uses = []
    for name in IDENTIFIER_FIELDS:
        value = (entry.fields.get(name) or "").strip()
        if not value or not re.fullmatch(PATTERNS[name], value) or _folded(name, value) in given:
            continue
        line, col = entry.position(name)
        uses.append(
            IdentifierUse(
                kind,
                record_id,
                name,
                value,
                kb.bibliography.path,
                line,
                col,
                "references.bib",
                not entry.declared_unverified(name),
            )
        )
    return uses


def _folded(name: str, value: str) -> str:
    return f"{name}:{value.strip().casefold()}"


def verify_kb(kb: KnowledgeBase) -> Verification:
    verification = Verification([(use, check_use(kb, use)) for use in identifier_uses(kb)])
    for use, check in verification.checks:
        if (
            use.kind != "study"
            or check.entry is None
            or check.state in {"not-resolved", "not-found", "other-work"}
        ):
            continue
        retraction = check.entry.retraction
        if retraction is not None:
            verification.retracted.setdefault(use.record_id, []).append(
                Notice(use, check.registry, retraction)
            )
        for update in check.entry.corrections:
            verification.corrected.setdefault(use.record_id, []).append(
                Notice(use, check.registry, update)
            )
    return verification


def check_use(kb: KnowledgeBase, use: IdentifierUse) -> RegistryCheck:
    registry = REGISTRY_NAMES[REGISTRY_OF[use.name]]
    entry = kb.lock.get(use.name, use.value)
    if entry is None or entry.found is None:
        return RegistryCheck("not-resolved", registry, entry)
    if not entry.found:
        return RegistryCheck("not-found", registry, entry)
    if any(notice.type not in NEW_VERSIONS for notice in entry.notice_of):
        return RegistryCheck("other-work", registry, entry)
    ours = _ours(kb, use)
    if ours is None or entry.csl is None:
        return RegistryCheck("matches", registry, entry)
    compared_with, title, year, journal, author = ours
    theirs_titles = [t for t in _registry_titles(use, entry) if t]
    score = (
        max((title_similarity(title, t) for t in theirs_titles), default=None) if title else None
    )
    differences: list[Difference] = []
    if title and score is not None and score < SAME_TITLE:
        differences.append(Difference("title", title, theirs_titles[0]))
    years = entry.csl.years
    if year and years and int(year) not in years:
        differences.append(Difference("year", year, ", ".join(map(str, sorted(years)))))
    journals = [j for j in (entry.csl.container_title, entry.csl.container_title_short) if j]
    if (
        journal
        and journals
        and max(journal_similarity(journal, j) for j in journals) < SAME_JOURNAL
    ):
        differences.append(Difference("journal", journal, journals[0]))
    first = next((name.family for name in entry.csl.author if name.family), None)
    if author and first and not same_family(author, first):
        differences.append(Difference("first author", author, first))
    wrong = (score is not None and score < OTHER_WORK) or (score is None and len(differences) > 1)
    state: State = "other-work" if wrong else "differs" if differences else "matches"
    return RegistryCheck(state, registry, entry, compared_with, tuple(differences), score)


def _registry_titles(use: IdentifierUse, entry: LockEntry) -> list[str | None]:
    """A publication's title; a trial registration's brief and official titles."""
    if use.kind == "trial":
        return [entry.trial.brief_title, entry.trial.official_title] if entry.trial else []
    return [entry.csl.title] if entry.csl else []


def _ours(
    kb: KnowledgeBase,
    use: IdentifierUse,
) -> tuple[str, str | None, str | None, str | None, str | None] | None:
    """(what is compared, title, year, journal, first author) on kb's side, or None."""
    if use.kind == "trial":
        trial = kb.trial(use.record_id)
        return ("the trial record", use.registry_title or trial.title, None, None, None)
    if use.name == "nct":
        return None  # a study's NCT number names the trial, not the publication
    study = kb.study(use.record_id)
    entry = kb.bibliography.get(study.cite)
    if entry is None:
        return None
    journal = latex_to_text(entry.fields.get("journal") or entry.fields.get("booktitle") or "")
    year = entry.year if entry.year and entry.year.strip().isdigit() else None
    if use.registry_title:
        return ("its registry_title", use.registry_title, year, journal or None, None)
    return (
        f"references.bib entry '{entry.key}'",
        entry.title or None,
        year,
        journal or None,
        entry.first_author_family,
    )
