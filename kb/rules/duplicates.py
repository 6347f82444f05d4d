"""KB405, KB407: one identifier on two records, and the same study entered twice."""

from __future__ import annotations

from collections.abc import Iterator

from kb.corpus import KnowledgeBase, LoadedRecord
from kb.evidence import Evidence
from kb.identifiers import record_identifiers
from kb.problems import LIKELY_DUPLICATE, SHARED_IDENTIFIER, Context, Problem
from kb.similarity import TitleBlocks
from kb.words import IDENTIFIER_LABELS


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    yield from _shared_identifiers(kb)
    yield from _shared_cite_keys(kb)
    yield from _similar_titles(kb)


def _shared_identifiers(kb: KnowledgeBase) -> Iterator[Problem]:
    owners: dict[tuple[str, str, str], LoadedRecord] = {}
    for loaded in kb.records:
        for name, value, loc in record_identifiers(kb, loaded):
            first = owners.setdefault((loaded.kind, name, value), loaded)
            if first is not loaded and first.raw_id != loaded.raw_id:
                yield Problem.at(
                    loaded,
                    loc,
                    SHARED_IDENTIFIER,
                    f"{IDENTIFIER_LABELS[name]} '{value}' is also on "
                    f"{loaded.kind} '{first.raw_id}'",
                    "one publication is one record: merge the two, or correct the identifier",
                )


def _shared_cite_keys(kb: KnowledgeBase) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for loaded in kb.studies.values():
        study = loaded.record
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


def _similar_titles(kb: KnowledgeBase) -> Iterator[Problem]:
    blocks = TitleBlocks()
    for loaded in kb.studies.values():
        study = loaded.record
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
