"""GRADE certainty per claim and outcome, computed from the findings the claim's links name.

The body of evidence of an outcome (kb.bodies) starts where its best design starts for the
claim's question (kb.grade); five domains may rate it down a level (serious concern) or two
(very serious): risk of bias, inconsistency, indirectness, imprecision and publication bias;
observational evidence not rated down for anything may be rated up for a large effect, a
dose-response gradient or plausible confounding. Every step carries a reason written from the
records. A curator may only rate lower, with a reason. A claim's certainty is the lowest of its
critical outcomes (of its important ones when no critical outcome has evidence).
site_src/methods.md explains each rule and its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb import domains
from kb.bodies import Body, Participants
from kb.domains import Domain
from kb.grade import CERTAINTIES
from kb.model import Certainty, Outcome
from kb.pooling import Estimate, Pooled, is_poolable, pool
from kb.words import join_words


@dataclass(frozen=True)
class OutcomeCertainty:
    outcome: Outcome
    start: Certainty | None
    start_reason: str
    domains: tuple[Domain, ...]
    computed: Certainty | None
    curated: Certainty | None
    rationale: str | None
    studies: tuple[str, ...]
    participants: Participants | None
    pooled: Pooled | None
    estimate: Estimate | None
    """The estimate judged for imprecision: the pooled one, else a single study's."""
    contested: bool

    @property
    def final(self) -> Certainty | None:
        """What the site shows: a curated rating where it is lower, else the computed one."""
        return self.curated or self.computed


@dataclass(frozen=True)
class ClaimCertainty:
    outcomes: tuple[OutcomeCertainty, ...]
    final: Certainty | None
    basis: str
    """Which outcomes decide the claim's certainty, as a sentence."""
    excluded: tuple[tuple[str, str], ...] = ()
    """(study id, reason) of studies left out, e.g. retracted."""
    computed_with_excluded: Certainty | None = None
    """What the claim's certainty would be if the excluded studies counted."""

    @property
    def counted(self) -> tuple[str, ...]:
        return tuple(sorted({s for o in self.outcomes for s in o.studies}))

    @property
    def contested(self) -> bool:
        return any(o.contested for o in self.outcomes)

    def of(self, outcome_id: str) -> OutcomeCertainty:
        return next(o for o in self.outcomes if o.outcome.id == outcome_id)


def pooled_estimate(body: Body) -> Pooled | None:
    """The random-effects pool of the outcome's findings of one ratio or difference measure,
    when two or more give an interval (the commonest such measure, HR first on a tie)."""
    by_measure: dict[str, list[Estimate]] = {}
    for item in body.items:
        estimate = item.estimate()
        if item.finding and estimate and is_poolable(item.finding.measure, estimate):
            by_measure.setdefault(item.finding.measure, []).append(estimate)
    candidates = sorted(
        ((len(e), m == "hr", m) for m, e in by_measure.items() if len(e) >= 2), reverse=True
    )
    if not candidates:
        return None
    measure = candidates[0][2]
    method = body.outcome.pooling
    return pool(measure, by_measure[measure], method, body.outcome.hartung_knapp)


def rate_outcome(body: Body, participants: Participants) -> OutcomeCertainty:
    outcome = body.outcome
    curated = outcome.certainty.rating if outcome.certainty else None
    rationale = outcome.certainty.rationale if outcome.certainty else None
    if not body.items:
        why = "no study with results reports on this outcome"
        return OutcomeCertainty(
            outcome, None, why, (), None, curated, rationale, (), None, None, None, False
        )
    starts = [(item.start, item.start_reason) for item in body.items if item.start]
    start, start_reason = max(starts, key=lambda pair: CERTAINTIES.index(pair[0]))
    pooled = pooled_estimate(body)
    estimate = _estimate(body, pooled)
    down = (
        domains.risk_of_bias(body, participants),
        domains.inconsistency(body, pooled),
        domains.indirectness(body, participants),
        domains.imprecision(body, participants, estimate),
        domains.publication_bias(outcome),
    )
    rated_down = any(d.steps for d in down)
    up = domains.rate_up(body, estimate, rated_down)
    steps = sum(d.steps for d in (*down, *up))
    computed = CERTAINTIES[max(0, min(3, CERTAINTIES.index(start) + steps))]
    relations = {item.relation for item in (*body.items, *body.text)}
    return OutcomeCertainty(
        outcome,
        start,
        start_reason,
        (*down, *up),
        computed,
        curated,
        rationale,
        tuple(body.studies()),
        participants,
        pooled,
        estimate,
        {"supports", "refutes"} <= relations,
    )


def claim_certainty(
    outcomes: tuple[OutcomeCertainty, ...],
    excluded: tuple[tuple[str, str], ...] = (),
    with_excluded: tuple[OutcomeCertainty, ...] | None = None,
) -> ClaimCertainty:
    final, basis = _overall(outcomes)
    again = _overall(with_excluded)[0] if with_excluded is not None else final
    return ClaimCertainty(outcomes, final, basis, excluded, again)


def _overall(outcomes: tuple[OutcomeCertainty, ...]) -> tuple[Certainty | None, str]:
    for importance in ("critical", "important"):
        rated = [o for o in outcomes if o.outcome.importance == importance and o.final]
        if rated:
            lowest = min(rated, key=lambda o: CERTAINTIES.index(o.final or "very-low"))
            names = join_words([o.outcome.name for o in rated])
            return lowest.final, (
                f"It is the lowest certainty of the {importance} outcomes with evidence: {names}."
            )
    return None, "No outcome of the claim has evidence that GRADE rates, so it is not rated."


def _estimate(body: Body, pooled: Pooled | None) -> Estimate | None:
    if pooled is not None:
        return Estimate(pooled.estimate, pooled.ci_lower, pooled.ci_upper)
    estimates = [e for item in body.items if (e := item.estimate()) is not None]
    return estimates[0] if len(estimates) == 1 else None
