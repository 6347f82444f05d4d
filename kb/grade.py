"""Grading: an Oxford CEBM 2011 level per study, a GRADE-style certainty per claim with reasons.

Everything here is computed from the records; curated ratings are compared with it (KB501-503).
The method is explained for readers in site_src/methods.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kb.model import Certainty, Claim, Design, Link, Question, Study
from kb.words import counted, design_name

_NOT_GRADED: frozenset[Design] = frozenset({"trial-protocol", "conference-abstract"})
_REASONING: dict[Design, int] = {
    "narrative-review": 5,
    "editorial": 5,
    "expert-opinion": 5,
    "mechanistic-theory": 5,
}
_TREATMENT: dict[Design, int] = {
    "meta-analysis": 1,
    "systematic-review": 1,
    "rct": 2,
    "prospective-cohort": 3,
    "retrospective-cohort": 3,
    "registry-analysis": 3,
    "cross-sectional": 4,
    "case-control": 4,
    "case-series": 4,
    "case-report": 4,
}
OCEBM_LEVELS: dict[Question, dict[Design, int]] = {
    "treatment-benefit": _TREATMENT,
    "treatment-harm-common": _TREATMENT,
    "treatment-harm-rare": _TREATMENT,
    "screening": _TREATMENT,
    "prognosis": {
        "meta-analysis": 1,
        "systematic-review": 1,
        "prospective-cohort": 2,
        "retrospective-cohort": 3,
        "registry-analysis": 3,
        "rct": 3,
        "cross-sectional": 4,
        "case-control": 4,
        "case-series": 4,
        "case-report": 4,
    },
    "diagnosis": {
        "meta-analysis": 1,
        "systematic-review": 1,
        "cross-sectional": 2,
        "prospective-cohort": 2,
        "rct": 2,
        "retrospective-cohort": 3,
        "registry-analysis": 3,
        "case-control": 4,
        "case-series": 4,
        "case-report": 4,
    },
    "prevalence": {
        "registry-analysis": 1,
        "meta-analysis": 2,
        "systematic-review": 2,
        "cross-sectional": 3,
        "prospective-cohort": 3,
        "retrospective-cohort": 3,
        "rct": 3,
        "case-control": 4,
        "case-series": 4,
        "case-report": 4,
    },
}
"""Level by question and design, after the OCEBM 2011 Levels of Evidence table; designs that
reason rather than observe are level 5 for every question."""

CERTAINTIES: tuple[Certainty, ...] = ("very-low", "low", "moderate", "high")
CONCERNS = ("no-concern", "serious-concern", "very-serious-concern")
OPTIMAL_INFORMATION_SIZE = 400
"""GRADE's rule of thumb for the number of patients below which an estimate is imprecise."""
DOMAINS = ("risk-of-bias", "inconsistency", "imprecision", "indirectness")


@dataclass(frozen=True)
class StudyLevel:
    level: int | None
    """1 (strongest) to 5; None when the study reports no results to grade."""
    base: int | None
    reason: str


@dataclass(frozen=True)
class Domain:
    name: str
    concern: str
    reason: str


@dataclass(frozen=True)
class ClaimCertainty:
    start: Certainty | None
    """Where the body of evidence starts, from its best design; None without graded evidence."""
    computed: Certainty | None
    domains: tuple[Domain, ...]
    counted: tuple[str, ...]
    """Studies that support or refute the claim and report results."""
    curated: Certainty | None
    rationale: str | None
    excluded: tuple[tuple[str, str], ...] = ()
    """(study id, reason) for studies that would count but are left out, e.g. retracted."""
    computed_with_excluded: Certainty | None = None
    """What the computed certainty would be if the excluded studies counted."""

    @property
    def final(self) -> Certainty | None:
        """What the site shows: the curated rating where one is given, else the computed one."""
        return self.curated or self.computed


def study_level(study: Study) -> StudyLevel:
    if study.design in _NOT_GRADED:
        return StudyLevel(
            None,
            None,
            f"a {design_name(study.design)} reports no results of its own, so it is not graded",
        )
    base = _REASONING.get(study.design) or OCEBM_LEVELS[study.question].get(study.design, 4)
    reason = (
        f"{design_name(study.design)} answering a {study.question.replace('-', ' ')} "
        f"question: OCEBM level {base}"
    )
    adjustment = study.level_adjustment
    if adjustment is None:
        return StudyLevel(base, base, reason)
    level = base + (1 if adjustment.direction == "down" else -1)
    return StudyLevel(
        level, base, f"{reason}, moved {adjustment.direction} to {level}: {adjustment.reason}"
    )


def _start(level: int) -> Certainty:
    return "high" if level <= 2 else "low" if level == 3 else "very-low"


def claim_certainty(
    claim: Claim,
    evidence: Sequence[tuple[Study, Link]],
    excluded: Mapping[str, str] | None = None,
) -> ClaimCertainty:
    """The certainty of a claim from its body of evidence, the studies linked to it. Studies in
    `excluded` (study id -> reason, e.g. a retraction) are left out of it; the result names them
    and says what the certainty would be with them."""
    excluded = excluded or {}
    body: list[tuple[Study, StudyLevel, Link]] = []
    for study, link in evidence:
        level = study_level(study)
        if link.relation != "qualifies" and level.level is not None and 1 <= level.level <= 5:
            body.append((study, level, link))
    curated = claim.certainty.rating if claim.certainty else None
    rationale = claim.certainty.rationale if claim.certainty else None
    counted = [item for item in body if item[0].id not in excluded]
    left_out = tuple(sorted({(s.id, excluded[s.id]) for s, _, _ in body if s.id in excluded}))
    start, computed, domains = _rate(counted)
    with_them = _rate(body)[1] if left_out else computed
    ids = tuple(sorted(study.id for study, _, _ in counted))
    return ClaimCertainty(start, computed, domains, ids, curated, rationale, left_out, with_them)


def _rate(
    body: list[tuple[Study, StudyLevel, Link]],
) -> tuple[Certainty | None, Certainty | None, tuple[Domain, ...]]:
    """Starting rating, computed rating and the four domains of a body of evidence."""
    if not body:
        return None, None, ()
    start = _start(min(level.level or 5 for _, level, _ in body))
    domains = (_risk_of_bias(body), _inconsistency(body), _imprecision(body), _indirectness(body))
    steps = sum(CONCERNS.index(domain.concern) for domain in domains)
    return start, CERTAINTIES[max(0, CERTAINTIES.index(start) - steps)], domains


def _risk_of_bias(body: list[tuple[Study, StudyLevel, Link]]) -> Domain:
    judgements = [
        s.risk_of_bias.judgement if s.risk_of_bias else "not-assessed" for s, _, _ in body
    ]
    critical = judgements.count("critical")
    high = sum(j in {"high", "serious"} for j in judgements)
    unassessed = judgements.count("not-assessed")
    parts = [
        f"{count} {label}"
        for count, label in (
            (critical, "at critical risk"),
            (high, "at high or serious risk"),
            (unassessed, "not assessed"),
        )
        if count
    ]
    summary = f"of {counted(len(body), 'study', 'studies')}: " + (
        ", ".join(parts) or "none at high risk"
    )
    if critical:
        return Domain("risk-of-bias", "very-serious-concern", summary)
    if 2 * (high + unassessed) > len(body):
        return Domain("risk-of-bias", "serious-concern", summary)
    return Domain("risk-of-bias", "no-concern", summary)


def _inconsistency(body: list[tuple[Study, StudyLevel, Link]]) -> Domain:
    refutes = sum(link.relation == "refutes" for _, _, link in body)
    supports = len(body) - refutes
    if supports and refutes:
        return Domain(
            "inconsistency",
            "serious-concern",
            f"{counted(supports, 'study', 'studies')} support the claim and {refutes} refute it",
        )
    if len(body) == 1:
        return Domain("inconsistency", "no-concern", "a single study: consistency cannot be judged")
    return Domain("inconsistency", "no-concern", f"all {len(body)} studies point the same way")


def _imprecision(body: list[tuple[Study, StudyLevel, Link]]) -> Domain:
    sizes = [_size(study) for study, _, _ in body]
    known = [size for size in sizes if size is not None]
    crossing = sorted(
        {
            study.id
            for study, _, link in body
            for finding in study.findings
            if link.relation == "supports"
            and finding.measure in {"hr", "or", "rr"}
            and finding.ci
            and finding.ci.lower <= 1 <= finding.ci.upper
        }
    )
    if not known:
        return Domain("imprecision", "serious-concern", "no study reports its sample size")
    total = sum(known)
    unknown = len(sizes) - len(known)
    tail = f" ({unknown} without a reported size)" if unknown else ""
    if total < OPTIMAL_INFORMATION_SIZE // 4:
        return Domain(
            "imprecision",
            "very-serious-concern",
            f"{total:,} patients in all{tail}, far below the "
            f"{OPTIMAL_INFORMATION_SIZE} of GRADE's rule of thumb",
        )
    if total < OPTIMAL_INFORMATION_SIZE:
        return Domain(
            "imprecision",
            "serious-concern",
            f"{total:,} patients in all{tail}, below the "
            f"{OPTIMAL_INFORMATION_SIZE} of GRADE's rule of thumb",
        )
    if crossing:
        return Domain(
            "imprecision",
            "serious-concern",
            f"the confidence interval of a ratio includes 1 in {', '.join(crossing)}",
        )
    return Domain("imprecision", "no-concern", f"{total:,} patients in all{tail}")


def _indirectness(body: list[tuple[Study, StudyLevel, Link]]) -> Domain:
    indirect = [(study.id, link.indirectness) for study, _, link in body if link.indirectness]
    if not indirect:
        return Domain(
            "indirectness",
            "no-concern",
            "no study's population or question is marked as differing from the claim",
        )
    listed = "; ".join(f"{study_id}: {reason}" for study_id, reason in indirect)
    concern = "serious-concern" if 2 * len(indirect) >= len(body) else "no-concern"
    return Domain(
        "indirectness",
        concern,
        f"{len(indirect)} of {counted(len(body), 'study', 'studies')} indirect ({listed})",
    )


def _size(study: Study) -> int | None:
    size = study.sample_size
    if size is None:
        return None
    return size.analysed if size.analysed is not None else size.enrolled
