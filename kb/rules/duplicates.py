"""KB405, KB407: one identifier on two records, and the same study entered twice."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator

from rapidfuzz import fuzz, utils

from kb.corpus import KnowledgeBase, LoadedRecord
from kb.load import Loc
from kb.model import Study, Trial
from kb.problems import LIKELY_DUPLICATE, SHARED_IDENTIFIER, Problem
from kb.rules import Context
from kb.rules.citations import normalise_identifier

TITLE_SIMILARITY = 92.0
"""rapidfuzz token-sort ratio (0-100) above which two titles are taken as the same paper."""


def check(kb: KnowledgeBase, context: Context) -> Iterator[Problem]:
    yield from _shared_identifiers(kb)
    yield from _shared_cite_keys(kb)
    yield from _similar_titles(kb)


def _identifiers(kb: KnowledgeBase, loaded: LoadedRecord) -> Iterator[tuple[str, str, Loc]]:
    """A record's identifiers from its YAML and, for studies, its BibTeX entry."""
    record = loaded.record
    if not isinstance(record, Study | Trial):
        return
    for name in ("doi", "pmid", "pmcid", "nct", "eudract"):
        identifier = getattr(record.identifiers, name)
        if identifier is not None:
            yield name, normalise_identifier(name, identifier.value), ("identifiers", name, "value")
    if isinstance(record, Study) and (entry := kb.bibliography.get(record.cite)):
        for name in ("doi", "pmid", "pmcid"):
            if name in entry.fields and getattr(record.identifiers, name) is None:
                yield name, normalise_identifier(name, entry.fields[name]), ("cite",)


def _shared_identifiers(kb: KnowledgeBase) -> Iterator[Problem]:
    owners: dict[tuple[str, str, str], LoadedRecord] = {}
    for loaded in kb.records:
        for name, value, loc in _identifiers(kb, loaded):
            first = owners.setdefault((loaded.kind, name, value), loaded)
            if first is not loaded and first.raw_id != loaded.raw_id:
                yield Problem.at(
                    loaded,
                    loc,
                    SHARED_IDENTIFIER,
                    f"{name.upper()} '{value}' is also on {loaded.kind} '{first.raw_id}'",
                    "one publication is one record: merge the two, or correct the identifier",
                )


def _shared_cite_keys(kb: KnowledgeBase) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for study, loaded in kb.studies.values():
        key = study.cite.casefold()
        first = owners.setdefault(key, study.id)
        if first != study.id:
            yield Problem.at(
                loaded,
                ("cite",),
                SHARED_IDENTIFIER,
                f"citation key '{study.cite}' is also cited by study '{first}'",
                "one publication is one record: merge the two studies",
            )


def fold_family(family: str) -> str:
    """A family name as blocks compare it: without particles, accents or case, so 'van der
    Berg', 'Berg' and 'M{\\"u}ller'/'Müller'/'Muller' each fall in one block."""
    words = family.split()
    while len(words) > 1 and words[0][:1].islower():
        words.pop(0)
    decomposed = unicodedata.normalize("NFKD", " ".join(words))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class TitleBlocks:
    """Titles grouped by (year, first author's family name); a title is compared only within its
    block, so the work grows with the size of the blocks, not with the square of the number of
    publications. Used by the check (KB407) and by `kb import`."""

    def __init__(self) -> None:
        self._blocks: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)

    def similar(self, year: str | None, family: str | None, title: str) -> tuple[str, float] | None:
        """The owner of the most alike title in the block, with its score, if over the bar."""
        if not family:
            return None
        processed = utils.default_process(title)
        best: tuple[str, float] | None = None
        for other, owner in self._blocks.get((year or "", fold_family(family)), []):
            score = fuzz.token_sort_ratio(processed, other)
            if score >= TITLE_SIMILARITY and (best is None or score > best[1]):
                best = (owner, score)
        return best

    def add(self, year: str | None, family: str | None, title: str, owner: str) -> None:
        if family:  # a missing year is a block of its own
            key = (year or "", fold_family(family))
            self._blocks[key].append((utils.default_process(title), owner))


def _similar_titles(kb: KnowledgeBase) -> Iterator[Problem]:
    blocks = TitleBlocks()
    for study, loaded in kb.studies.values():
        entry = kb.bibliography.get(study.cite)
        if entry is None:
            continue
        found = blocks.similar(entry.year, entry.first_author_family, entry.title)
        if found:
            yield Problem.at(
                loaded,
                ("cite",),
                LIKELY_DUPLICATE,
                f"study '{study.id}' looks like study '{found[0]}': same first "
                f"author and year, titles {found[1]:.0f}% alike",
                "if they are one publication, merge them",
            )
        blocks.add(entry.year, entry.first_author_family, entry.title, study.id)


def identifier_owners(kb: KnowledgeBase) -> dict[tuple[str, str], str]:
    """(identifier name, normalised value) -> who holds it: "study 'x'", or "entry 'Key' of
    references.bib" for an entry no study cites; for `kb import`."""
    owners: dict[tuple[str, str], str] = {}
    for loaded in kb.records:
        if loaded.kind == "study":
            for name, value, _ in _identifiers(kb, loaded):
                owners.setdefault((name, value), f"study '{loaded.raw_id}'")
    for entry in kb.bibliography.entries.values():
        for name in ("doi", "pmid", "pmcid"):
            if entry.fields.get(name):
                value = normalise_identifier(name, entry.fields[name])
                owners.setdefault((name, value), f"entry '{entry.key}' of references.bib")
    return owners
