"""KB405, KB407: one identifier on two records, and the same study entered twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rapidfuzz import fuzz, utils

from kb.corpus import KnowledgeBase, LoadedRecord
from kb.load import Loc
from kb.model import Study, Trial
from kb.problems import Problem
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
                line, col = loaded.source.value(loc)
                yield Problem(
                    loaded.path,
                    line,
                    col,
                    "KB405",
                    f"{name.upper()} '{value}' is also on {loaded.kind} '{first.raw_id}'",
                    "one publication is one record: merge the two, or correct the identifier",
                )


def _shared_cite_keys(kb: KnowledgeBase) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for study, loaded in kb.studies.values():
        key = study.cite.casefold()
        first = owners.setdefault(key, study.id)
        if first != study.id:
            line, col = loaded.source.value(("cite",))
            yield Problem(
                loaded.path,
                line,
                col,
                "KB405",
                f"citation key '{study.cite}' is also cited by study '{first}'",
                "one publication is one record: merge the two studies",
            )


def _similar_titles(kb: KnowledgeBase) -> Iterator[Problem]:
    """Compare titles only within blocks of the same year and first author, so the work
    grows with the size of the blocks, not with the square of the number of studies."""
    blocks: dict[tuple[str, str], list[tuple[str, Study, LoadedRecord]]] = defaultdict(list)
    for study, loaded in kb.studies.values():
        entry = kb.bibliography.get(study.cite)
        if entry is None or not entry.year or not entry.first_author_family:
            continue
        title = utils.default_process(entry.title)
        blocks[(entry.year, entry.first_author_family.casefold())].append((title, study, loaded))
    for block in blocks.values():
        for i, (title, study, loaded) in enumerate(block):
            for other_title, other, _ in block[:i]:
                score = fuzz.token_sort_ratio(title, other_title)
                if score >= TITLE_SIMILARITY:
                    line, col = loaded.source.value(("cite",))
                    yield Problem(
                        loaded.path,
                        line,
                        col,
                        "KB407",
                        f"study '{study.id}' looks like study '{other.id}': same first "
                        f"author and year, titles {score:.0f}% alike",
                        "if they are one publication, merge them",
                    )
