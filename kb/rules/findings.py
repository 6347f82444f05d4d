"""KB310-KB316, KB319: links rest on named findings mapped to the claim's outcomes.

Every supports/refutes/qualifies link names the findings it rests on, each mapped to one outcome
of the claim, or says it rests on the text only. Finding ids are unique within their study and
outcome ids within their claim; a ratio states which groups it compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kb.corpus import Loaded
from kb.evidence import Evidence
from kb.model import Claim, Discrepancy, Study
from kb.pooling import RATIOS
from kb.problems import (
    DUPLICATE_FINDING_ID,
    DUPLICATE_OUTCOME_ID,
    FINDING_ON_TWO_OUTCOMES,
    LINK_WITHOUT_BASIS,
    OUTCOME_WITHOUT_EVIDENCE,
    RATIO_WITHOUT_COMPARISON,
    UNKNOWN_FINDING,
    UNKNOWN_OUTCOME,
    Context,
    Problem,
    did_you_mean,
)


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    # a record that failed its schema check lost the values in error: its links are not told
    # that findings are missing, which is the same problem again
    pruned = {p.path for p in kb.problems if p.code.startswith("KB2")}
    for study in kb.studies.values():
        yield from _findings(study)
        yield from _links(study, kb.claims, study.path in pruned)
    for claim in kb.claims.values():
        yield from _outcomes(claim, evidence)
    for discrepancy in kb.discrepancies.values():
        yield from _discrepancy(discrepancy, evidence, pruned)


def _repeats(ids: Iterable[str]) -> dict[int, int]:
    """Index of each id used before -> the index of its first use."""
    first: dict[str, int] = {}
    return {i: first[id_] for i, id_ in enumerate(ids) if first.setdefault(id_, i) != i}


def _findings(study: Loaded[Study]) -> Iterator[Problem]:
    repeats = _repeats(f.id for f in study.record.findings)
    for index, finding in enumerate(study.record.findings):
        if (first := repeats.get(index)) is not None:
            yield Problem.at(
                study,
                ("findings", index, "id"),
                DUPLICATE_FINDING_ID,
                f"finding id '{finding.id}' is already used by findings[{first}]",
                "give each finding of a study its own id",
            )
        if finding.measure in RATIOS and finding.value is not None and finding.comparison is None:
            yield Problem.at(
                study,
                ("findings", index, "measure"),
                RATIO_WITHOUT_COMPARISON,
                f"finding '{finding.id}' is a ratio ({finding.measure.upper()}) without the "
                "groups it compares",
                "add 'comparison: {group: ..., reference: ...}': the ratio is group over "
                "reference; leave 'reference' out if the source does not name it",
            )


def _links(
    study: Loaded[Study], claims: dict[str, Loaded[Claim]], pruned: bool
) -> Iterator[Problem]:
    ids = [f.id for f in study.record.findings]
    for index, link in enumerate(study.record.links):
        where = ("links", index)
        if not link.findings and link.rests_on is None:
            yield Problem.at(
                study,
                (*where, "claim"),
                LINK_WITHOUT_BASIS,
                f"the link to claim '{link.claim}' names no finding and does not say it rests "
                "on the text",
                "add 'findings: [{finding: <finding id>, outcome: <outcome id>}]', or "
                "'rests_on: text' for an argument or a theory",
            )
        elif link.findings and link.rests_on is not None:
            yield Problem.at(
                study,
                (*where, "rests_on"),
                LINK_WITHOUT_BASIS,
                f"the link to claim '{link.claim}' names findings and says it rests on the text",
                "keep one: the findings it rests on, or 'rests_on: text'",
            )
        claim = claims.get(link.claim)
        outcomes = [o.id for o in claim.record.outcomes] if claim else None
        mapped: dict[str, str] = {}
        for j, ref in enumerate(link.findings):
            at = (*where, "findings", j)
            if ref.finding not in ids and not pruned:
                yield Problem.at(
                    study,
                    (*at, "finding"),
                    UNKNOWN_FINDING,
                    f"study '{study.record.id}' has no finding '{ref.finding}'",
                    did_you_mean(ref.finding, ids) or "name one of the study's finding ids",
                )
            if outcomes is not None and ref.outcome not in outcomes:
                yield Problem.at(
                    study,
                    (*at, "outcome"),
                    UNKNOWN_OUTCOME,
                    f"claim '{link.claim}' has no outcome '{ref.outcome}'",
                    did_you_mean(ref.outcome, outcomes) or f"its outcomes: {', '.join(outcomes)}",
                )
            earlier = mapped.setdefault(ref.finding, ref.outcome)
            if earlier != ref.outcome:
                yield Problem.at(
                    study,
                    (*at, "outcome"),
                    FINDING_ON_TWO_OUTCOMES,
                    f"finding '{ref.finding}' is mapped to outcome '{earlier}' and to "
                    f"'{ref.outcome}' of claim '{link.claim}'",
                    "a finding informs one outcome of a claim; keep the one it measures",
                )


def _outcomes(claim: Loaded[Claim], evidence: Evidence) -> Iterator[Problem]:
    linked = evidence.linked(claim.record.id)
    ids = {o.id for o in claim.record.outcomes}
    # a link with no basis, or naming an outcome the claim lacks, is told already
    broken = any(
        (not link.findings and link.rests_on is None)
        or any(ref.outcome not in ids for ref in link.findings)
        for _, link in linked
    )
    informed = {ref.outcome for _, link in linked for ref in link.findings}
    repeats = _repeats(o.id for o in claim.record.outcomes)
    for index, outcome in enumerate(claim.record.outcomes):
        if (first := repeats.get(index)) is not None:
            yield Problem.at(
                claim,
                ("outcomes", index, "id"),
                DUPLICATE_OUTCOME_ID,
                f"outcome id '{outcome.id}' is already used by outcomes[{first}]",
                "give each outcome of a claim its own id",
            )
            continue
        # only where other outcomes have findings: a claim resting on text alone says so itself
        if informed and not broken and outcome.id not in informed:
            yield Problem.at(
                claim,
                ("outcomes", index, "id"),
                OUTCOME_WITHOUT_EVIDENCE,
                f"no finding informs outcome '{outcome.id}' of claim '{claim.record.id}'",
                "link the finding that measures it, or keep it to show the gap",
            )


def _discrepancy(
    record: Loaded[Discrepancy], evidence: Evidence, pruned: set[str]
) -> Iterator[Problem]:
    studies = evidence.kb.studies
    for index, named in enumerate(record.record.findings):
        study = studies.get(named.study)
        if study is None or study.path in pruned:
            continue  # an unknown study is KB301's, a study's failed schema check KB2xx's
        ids = [f.id for f in study.record.findings]
        if named.finding not in ids:
            yield Problem.at(
                record,
                ("findings", index, "finding"),
                UNKNOWN_FINDING,
                f"study '{named.study}' has no finding '{named.finding}'",
                did_you_mean(named.finding, ids) or "name one of the study's finding ids",
            )
