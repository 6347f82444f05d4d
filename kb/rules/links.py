"""KB304-KB307: the claim-evidence graph: claims without evidence, studies linked to nothing,
claims depending on each other in a cycle, contested claims."""

from __future__ import annotations

from collections.abc import Iterator

from kb.evidence import Evidence
from kb.graph import dependency_cycles, node
from kb.problems import (
    CLAIM_WITHOUT_EVIDENCE,
    CONTESTED_CLAIM,
    DEPENDENCY_CYCLE,
    UNLINKED_STUDY,
    Context,
    Problem,
)
from kb.words import counted, plural


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    for claim_id, claim in sorted(kb.claims.items()):
        linked = evidence.linked(claim_id)
        if not linked:
            yield Problem.at(
                claim,
                ("id",),
                CLAIM_WITHOUT_EVIDENCE,
                f"claim '{claim_id}' has no evidence",
                "link a study to it, or remove the claim",
            )
        elif {"supports", "refutes"} <= {link.relation for _, link in linked}:
            supports = sum(link.relation == "supports" for _, link in linked)
            refutes = sum(link.relation == "refutes" for _, link in linked)
            yield Problem.at(
                claim,
                ("id",),
                CONTESTED_CLAIM,
                f"claim '{claim_id}' is contested: {counted(supports, 'study', 'studies')} "
                f"{plural(supports, 'supports', 'support')} it, "
                f"{refutes} {plural(refutes, 'refutes', 'refute')} it",
            )
    for study_id, study in sorted(kb.studies.items()):
        if evidence.graph.degree(node("study", study_id)) == 0:
            yield Problem.at(
                study,
                ("id",),
                UNLINKED_STUDY,
                f"study '{study_id}' is linked to no claim, trial or concept",
                "add a link to the claim it informs",
            )
    for ids in dependency_cycles(evidence.graph):
        first = kb.claims[ids[0]]
        index = next(i for i, target in enumerate(first.record.depends_on) if target in ids)
        yield Problem.at(
            first,
            ("depends_on", index),
            DEPENDENCY_CYCLE,
            f"claims depend on each other in a cycle: {' -> '.join(ids)} -> {ids[0]}"
            if len(ids) > 1
            else f"claim '{ids[0]}' depends on itself",
            "a claim can rest on another only if that one does not rest on it",
        )
