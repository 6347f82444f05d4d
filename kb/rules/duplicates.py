"""KB405, KB407, KB413: one publication entered as two records, told once per pair of records,
on the record that brought the second copy in.

Two studies citing one references.bib entry share its key and every identifier the entry holds,
and have the same title: that is one cause, told once (KB405 on the citation key), not once per
identifier and again as a likely duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator

from kb.corpus import KnowledgeBase, LoadedRecord
from kb.evidence import Evidence
from kb.identifiers import record_identifiers
from kb.model import Study
from kb.problems import LIKELY_DUPLICATE, SAME_TITLE, SHARED_IDENTIFIER, Context, Loc, Problem
from kb.similarity import TitleBlocks
from kb.words import IDENTIFIER_LABELS, join_words

_CITE = "cite"


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    told: set[frozenset[str]] = set()
    yield from _shared(kb, context, told)
    yield from _similar_titles(kb, context, told)


def _held(kb: KnowledgeBase, loaded: LoadedRecord) -> list[tuple[str, str, Loc]]:
    """What identifies the record's publication: its citation key (studies), then its
    identifiers, each with where it is written."""
    held: list[tuple[str, str, Loc]] = []
    if isinstance(loaded.record, Study):
        held.append((_CITE, loaded.record.cite.casefold(), ("cite",)))
    return held + list(record_identifiers(kb, loaded))


def _shared(kb: KnowledgeBase, context: Context, told: set[frozenset[str]]) -> Iterator[Problem]:
    owners: dict[tuple[str, str, str], LoadedRecord] = {}
    for loaded in context.oldest_first(r for r in kb.records if r.record is not None):
        shared: dict[str, tuple[LoadedRecord, list[tuple[str, str, Loc]]]] = {}
        for name, value, loc in _held(kb, loaded):
            first = owners.setdefault((loaded.kind, name, value), loaded)
            if first is not loaded and first.raw_id != loaded.raw_id:
                shared.setdefault(first.path, (first, []))[1].append((name, value, loc))
        for first, items in shared.values():
            told.add(frozenset((first.path, loaded.path)))
            yield _shared_problem(loaded, first, items)


def _shared_problem(
    loaded: LoadedRecord, first: LoadedRecord, items: list[tuple[str, str, Loc]]
) -> Problem:
    record = loaded.record
    if items[0][0] == _CITE and isinstance(record, Study):
        return Problem.at(
            loaded,
            ("cite",),
            SHARED_IDENTIFIER,
            f"citation key '{record.cite}' is also cited by study '{first.raw_id}'",
            "one publication is one record: merge the two studies, or cite this one's own entry",
        )
    named = join_words([f"{IDENTIFIER_LABELS[name]} '{value}'" for name, value, _ in items])
    return Problem.at(
        loaded,
        items[0][2],
        SHARED_IDENTIFIER,
        f"{named} {'is' if len(items) == 1 else 'are'} also on {loaded.kind} '{first.raw_id}'",
        "one publication is one record: merge the two, or correct the identifier",
    )


def _similar_titles(
    kb: KnowledgeBase, context: Context, told: set[frozenset[str]]
) -> Iterator[Problem]:
    blocks = TitleBlocks()
    paths = {loaded.record.id: loaded.path for loaded in kb.studies.values()}
    for loaded in context.oldest_first(kb.studies.values()):
        study = loaded.record
        entry = kb.bibliography.get(study.cite)
        if entry is None:
            continue
        found = blocks.similar(entry.year, entry.first_author_family, entry.title)
        blocks.add(entry.year, entry.first_author_family, entry.title, study.id)
        if found is None or frozenset((paths[found.owner], loaded.path)) in told:
            continue
        if found.by_title_only:
            yield Problem.at(
                loaded,
                ("cite",),
                SAME_TITLE,
                f"study '{study.id}' has the title of study '{found.owner}' (titles "
                f"{found.score:.0f}% alike); the first author or year of one is not recorded",
                "if they are one publication, merge them; else record both first authors and years",
            )
        else:
            yield Problem.at(
                loaded,
                ("cite",),
                LIKELY_DUPLICATE,
                f"study '{study.id}' looks like study '{found.owner}': same first author, "
                f"years at most one apart, titles {found.score:.0f}% alike",
                "if they are one publication, merge them",
            )
