"""What the knowledge base, and the import so far, already holds: names taken, identifiers and
titles with their owners, so that the same publication is never added twice.

The rule is the check's (KB405, KB407, KB413): identifiers first (DOI, PMID, PMCID; for a trial's
registry entry its NCT or EudraCT number), then titles with the same first author and years at
most one apart, then titles alone where an author or a year is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.cite import latex_to_text
from kb.corpus import KnowledgeBase
from kb.identifiers import BIB_IDENTIFIERS, normalise_identifier, record_identifiers
from kb.imports.reference import REGISTRY_FIELDS, Reference, registry_numbers
from kb.problems import IMPORT_KNOWN, IMPORT_SAME_TITLE, IMPORT_SIMILAR, Problem
from kb.similarity import TitleBlocks
from kb.words import IDENTIFIER_LABELS

REGISTRY_IDENTIFIERS = ("nct", "eudract")
_KEY = re.compile(r"@\s*[A-Za-z]+\s*[{(]\s*([^\s,{}()]+)\s*,")


@dataclass(frozen=True)
class Owner:
    """Who holds an identifier or a title: "study 'x'", "entry 'Key' of references.bib" or
    "the reference at file:line", and the references.bib entry it is, if any."""

    label: str
    key: str | None = None


@dataclass(frozen=True)
class Duplicate:
    problem: Problem
    owner: Owner
    why: str
    """How it was recognised, in a few words: 'same DOI', 'same first author and title'."""


@dataclass
class Known:
    keys: set[str]
    """Citation keys taken, casefolded (BibTeX compares them so)."""
    ids: set[str]
    """Record ids taken, by every kind."""
    owners: dict[tuple[str, str], Owner] = field(default_factory=dict)
    """(identifier name, normalised value) -> its owner; NCT and EudraCT numbers of trials."""
    titles: TitleBlocks = field(default_factory=TitleBlocks)
    title_owners: dict[str, Owner] = field(default_factory=dict)

    def add_title(self, year: str | None, family: str | None, title: str, owner: Owner) -> None:
        self.titles.add(year, family, title, owner.label)
        self.title_owners[owner.label] = owner

    def add_reference(self, reference: Reference, owner: Owner) -> None:
        """What an added reference now holds, so a later one in the same run is its duplicate."""
        names = REGISTRY_IDENTIFIERS if reference.is_registry_entry else BIB_IDENTIFIERS
        values = {**reference.fields, **reference.registry}
        for name in names:
            if name in values:
                self.owners[(name, normalise_identifier(name, values[name]))] = owner
        if not reference.is_registry_entry:
            self.add_title(reference.year, reference.first_family, reference.title, owner)


def known_to(kb: KnowledgeBase, bib_text: str, ids: set[str]) -> Known:
    """What `kb` holds; `bib_text` is references.bib as read, whose keys count even where an
    entry could not be parsed."""
    keys = {key.casefold() for key in kb.bibliography.entries}
    keys |= {match.group(1).casefold() for match in _KEY.finditer(bib_text)}
    known = Known(keys, ids)
    # a stub not yet filled in fails its schema check, but cites its entry all the same
    cited = {
        loaded.raw_cite.casefold(): loaded.raw_id
        for loaded in kb.records
        if loaded.kind == "study" and loaded.raw_cite
    }
    trials = {
        loaded.raw_cite.casefold(): loaded.raw_id
        for loaded in kb.records
        if loaded.kind == "trial" and loaded.raw_cite
    }
    for loaded in kb.records:
        record = loaded.record
        key = getattr(record, "cite", None)
        entry = kb.bibliography.get(key) if key else None
        owner = Owner(f"{loaded.kind} '{loaded.raw_id}'", entry.key if entry else None)
        for name, value, _ in record_identifiers(kb, loaded):
            if (loaded.kind == "study") == (name in BIB_IDENTIFIERS):
                known.owners.setdefault((name, value), owner)
    for entry in kb.bibliography.entries.values():
        study = cited.get(entry.key.casefold())
        label = f"study '{study}'" if study else f"entry '{entry.key}' of references.bib"
        owner = Owner(label, entry.key)
        for name in BIB_IDENTIFIERS:
            if entry.fields.get(name):
                value = normalise_identifier(name, entry.fields[name])
                known.owners.setdefault((name, value), owner)
        if entry.type == "misc":  # a trial's registry entry, cited by its trial record
            trial = trials.get(entry.key.casefold())
            label = f"trial '{trial}'" if trial else f"entry '{entry.key}' of references.bib"
            texts = (entry.fields.get(name, "") for name in REGISTRY_FIELDS)
            for name, value in registry_numbers(*texts).items():
                known.owners.setdefault((name, value), Owner(label, entry.key))
        known.add_title(entry.year, entry.first_author_family, entry.title, owner)
    return known


def find_duplicate(reference: Reference, known: Known, allow_similar: bool) -> Duplicate | None:
    """The existing record or entry `reference` is a copy of, with the problem that says so."""
    title = latex_to_text(reference.title)
    short = title if len(title) <= 60 else title[:59].rstrip() + "…"
    names = REGISTRY_IDENTIFIERS if reference.is_registry_entry else BIB_IDENTIFIERS
    values = {**reference.fields, **reference.registry}
    for name in names:
        value = values.get(name)
        owner = known.owners.get((name, normalise_identifier(name, value))) if value else None
        if owner:
            line, col = reference.position(name)
            label = IDENTIFIER_LABELS[name] if name in REGISTRY_IDENTIFIERS else name.upper()
            problem = Problem(
                reference.path,
                line,
                col,
                IMPORT_KNOWN,
                f"'{short}' is already in the knowledge base: {label} '{value}' is on "
                f"{owner.label}",
                "nothing was added for it; --update adds the fields the entry lacks",
            )
            return Duplicate(problem, owner, f"same {label}")
    if reference.is_registry_entry:
        return None
    found = known.titles.similar(reference.year, reference.first_family, reference.title)
    if found is None or allow_similar:
        return None
    owner = known.title_owners[found.owner]
    if found.by_title_only:
        message = (
            f"'{short}' has the title of {owner.label} ({found.score:.0f}% alike); the first "
            "author or year of one of them is not known"
        )
        code, why = IMPORT_SAME_TITLE, "same title"
    else:
        message = (
            f"'{short}' looks like {owner.label}: same first author, years at most one apart, "
            f"titles {found.score:.0f}% alike"
        )
        code, why = IMPORT_SIMILAR, "same first author and title"
    hint = (
        "nothing was added for it; --update adds the fields the entry lacks; if they are "
        "different publications, run again with --allow-similar"
    )
    problem = Problem(reference.path, reference.line, reference.col, code, message, hint)
    return Duplicate(problem, owner, why)
