"""KB301-KB303, KB308, KB309, KB320 and reserved ids (KB205): record ids, file names,
references between records and the topics question.yaml orders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from kb.corpus import KnowledgeBase, LoadedRecord
from kb.evidence import Evidence
from kb.model import FOLDER_OF_KIND, Study
from kb.model.pointers import pointers
from kb.problems import (
    DUPLICATE_ID,
    FILE_NAME_DIFFERS,
    INVALID_VALUE,
    REPEATED_LINK,
    UNKNOWN_RECORD,
    UNKNOWN_TOPIC,
    WRONG_KIND,
    Context,
    Loc,
    Problem,
    did_you_mean,
)

RESERVED_IDS = {"index": "its page would replace the list of all {kind}"}
"""Ids whose page would take the place of a page of the site."""


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    yield from _reserved_ids(kb)
    yield from _duplicate_ids(kb, context)
    yield from _file_names(kb)
    yield from _references(kb)
    yield from _topics(kb)


def _topics(kb: KnowledgeBase) -> Iterator[Problem]:
    """Each topic question.yaml lists must be a claim's topic: the home page orders by them."""
    if kb.question is None or kb.question_file is None:
        return
    used = {loaded.record.topic for loaded in kb.claims.values()}
    for i, topic in enumerate(kb.question.topics):
        if topic not in used:
            yield Problem.at(
                kb.question_file,
                ("topics", i),
                UNKNOWN_TOPIC,
                f"topic '{topic}' is the topic of no claim",
                did_you_mean(topic, used) or "remove it, or give a claim this topic",
            )


def _reserved_ids(kb: KnowledgeBase) -> Iterator[Problem]:
    for loaded in kb.records:
        reason = RESERVED_IDS.get(loaded.raw_id or "")
        if reason is not None:
            yield Problem.at(
                loaded,
                ("id",),
                INVALID_VALUE,
                f"id '{loaded.raw_id}' is reserved: "
                + reason.format(kind=FOLDER_OF_KIND.get(loaded.kind, "records")),
                "choose another id, and rename the file to match",
            )


def _duplicate_ids(kb: KnowledgeBase, context: Context) -> Iterator[Problem]:
    first: dict[str, LoadedRecord] = {}
    for loaded in context.oldest_first(kb.records):
        if not loaded.raw_id:
            continue
        earlier = first.setdefault(loaded.raw_id, loaded)
        if earlier is not loaded:
            yield Problem.at(
                loaded,
                ("id",),
                DUPLICATE_ID,
                f"id '{loaded.raw_id}' is already used by {earlier.path}",
                "ids are unique across studies, claims, trials and concepts",
            )


def _file_names(kb: KnowledgeBase) -> Iterator[Problem]:
    for loaded in kb.records:
        stem = PurePosixPath(loaded.path).stem
        if loaded.raw_id and loaded.raw_id != stem:
            yield Problem.at(
                loaded,
                ("id",),
                FILE_NAME_DIFFERS,
                f"id '{loaded.raw_id}' differs from the file name '{stem}'",
                f"rename the file to '{loaded.raw_id}.yaml' or change the id",
            )


def _references(kb: KnowledgeBase) -> Iterator[Problem]:
    ids = {
        kind: kb.known_ids(kind) for kind in ("study", "claim", "trial", "concept", "discrepancy")
    }
    for loaded in kb.records:
        for loc, target, kind in _outgoing(loaded):
            if target in ids[kind]:
                continue
            other = next((k for k, known in ids.items() if target in known), None)
            if other is not None:
                yield Problem.at(
                    loaded,
                    loc,
                    WRONG_KIND,
                    f"'{target}' is a {other}, not a {kind}",
                    f"'{loc[0]}' takes {kind} ids",
                )
                continue
            yield Problem.at(
                loaded,
                loc,
                UNKNOWN_RECORD,
                f"unknown {kind} '{target}'",
                did_you_mean(target, ids[kind]) or f"create the {kind} or fix the id",
            )
        yield from _repeated_links(loaded)


def _outgoing(loaded: LoadedRecord) -> Iterator[tuple[Loc, str, str]]:
    """Every reference a record makes: where it is written, the target id and its kind."""
    if loaded.record is not None:
        yield from pointers(loaded.record, loaded.kind)


def _repeated_links(loaded: LoadedRecord) -> Iterator[Problem]:
    if not isinstance(loaded.record, Study):
        return
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(loaded.record.links):
        earlier = seen.setdefault((link.claim, link.relation), i)
        if earlier != i:
            yield Problem.at(
                loaded,
                ("links", i, "claim"),
                REPEATED_LINK,
                f"claim '{link.claim}' is linked twice as '{link.relation}' "
                f"(first as links[{earlier}])",
                "merge the two links, putting both quotes in one",
            )
