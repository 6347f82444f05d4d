"""Where grading starts: an Oxford CEBM 2011 level per study, and the GRADE starting
certainty of each design for each kind of question.

- OCEBM 2011 levels by question and design; designs that reason rather than observe are level
  5; a systematic review or meta-analysis of level-2 studies is level 1, a review of weaker
  designs takes the best level of the designs it includes.
- GRADE's starting certainty (site_src/methods.md gives the sources): for interventions,
  randomised trials start high and observational studies low (Balshem et al. 2011), case series
  and case reports very low (Cochrane Handbook 5.1, table 12.2.a); for prognosis and the
  frequency of a condition, observational cohorts start high (Iorio et al. 2015; Foroutan et al.
  2020); for diagnostic accuracy, cross-sectional and cohort accuracy studies start high
  (Schünemann et al. 2008) and two-gate (case-control) designs low. A review starts where the
  designs it includes start.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.model import Certainty, Design, Question, Study
from kb.words import design_name, join_words

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
REVIEWS: frozenset[Design] = frozenset({"systematic-review", "meta-analysis"})
REASONING: frozenset[Design] = frozenset(_REASONING)

_OBSERVATIONAL_INTERVENTION: dict[str, Certainty] = {
    "rct": "high",
    "prospective-cohort": "low",
    "retrospective-cohort": "low",
    "registry-analysis": "low",
    "cross-sectional": "low",
    "case-control": "low",
    "case-series": "very-low",
    "case-report": "very-low",
}
_FREQUENCY: dict[str, Certainty] = {
    "rct": "high",
    "prospective-cohort": "high",
    "retrospective-cohort": "high",
    "registry-analysis": "high",
    "cross-sectional": "high",
    "case-control": "low",
    "case-series": "very-low",
    "case-report": "very-low",
}
STARTING_CERTAINTY: dict[str, dict[str, Certainty]] = {
    "treatment-benefit": _OBSERVATIONAL_INTERVENTION,
    "treatment-harm-common": _OBSERVATIONAL_INTERVENTION,
    "treatment-harm-rare": _OBSERVATIONAL_INTERVENTION,
    "screening": _OBSERVATIONAL_INTERVENTION,
    "prognosis": {**_FREQUENCY, "cross-sectional": "low"},
    "prevalence": _FREQUENCY,
    "diagnosis": _FREQUENCY,
}
"""GRADE's starting certainty by the claim's question and a study's design; designs missing
here (reasoning, protocols, abstracts without results) are not evidence GRADE rates."""
_APPROACH = {
    "treatment-benefit": "an intervention",
    "treatment-harm-common": "an intervention",
    "treatment-harm-rare": "an intervention",
    "screening": "an intervention",
    "prognosis": "prognosis",
    "prevalence": "how often a condition occurs",
    "diagnosis": "diagnostic accuracy",
}


@dataclass(frozen=True)
class StudyLevel:
    level: int | None
    """1 (strongest) to 5; None when the study reports no results to grade."""
    base: int | None
    reason: str


def evidence_designs(study: Study) -> tuple[Design, ...]:
    """The designs a study's results come from: its own, or those a review includes."""
    if study.design in REVIEWS:
        return tuple(study.includes.designs) if study.includes else ()
    return (study.design,)


def review_level(question: Question, best: int) -> int:
    """OCEBM 2011's level for a systematic review whose best included design is at `best`.

    Level 1 is a systematic review of level-2 studies (randomised trials, inception cohorts,
    cross-sectional accuracy studies); a review of weaker designs takes their level, as the 2011
    table has no level of its own for it. For prevalence, a systematic review of surveys is
    level 2, below a local census or random survey."""
    if question == "prevalence":
        return max(2, best)
    return 1 if best == 2 else best


def study_level(study: Study) -> StudyLevel:
    if study.design in _NOT_GRADED:
        return StudyLevel(
            None,
            None,
            f"a {design_name(study.design)} reports no results of its own, so it is not graded",
        )
    question = study.question.replace("-", " ")
    if study.design in REVIEWS:
        designs = evidence_designs(study)
        levels = [OCEBM_LEVELS[study.question].get(d, 4) for d in designs]
        if not levels:
            return StudyLevel(
                None, None, f"a {design_name(study.design)} that does not say what it includes"
            )
        best = min(levels)
        base = review_level(study.question, best)
        shown = join_words([design_name(d, 2) for d in sorted(set(designs))])
        why = (
            "a review of level-2 studies"
            if base < best
            else "the level of the best design it includes"
        )
        reason = (
            f"{design_name(study.design)} of {shown} answering a {question} question: OCEBM "
            f"level {base}, {why}"
        )
    else:
        base = _REASONING.get(study.design) or OCEBM_LEVELS[study.question].get(study.design, 4)
        reason = f"{design_name(study.design)} answering a {question} question: OCEBM level {base}"
    adjustment = study.level_adjustment
    if adjustment is None:
        return StudyLevel(base, base, reason)
    level = base + (1 if adjustment.direction == "down" else -1)
    return StudyLevel(
        level, base, f"{reason}, moved {adjustment.direction} to {level}: {adjustment.reason}"
    )


def starting_certainty(question: Question, study: Study) -> tuple[Certainty | None, str]:
    """Where GRADE starts for this study's results on a claim's question, and why; None for a
    study whose design GRADE does not rate (reasoning, a protocol)."""
    table = STARTING_CERTAINTY[question]
    designs = evidence_designs(study)
    starts = [table[d] for d in designs if d in table]
    if not starts:
        return None, f"a {design_name(study.design)} is not rated by GRADE"
    start = max(starts, key=CERTAINTIES.index)
    best = design_name(next(d for d in designs if table.get(d) == start), 2)
    rated = f"{best} start {start.replace('-', ' ')} on questions of {_APPROACH[question]}"
    if study.design in REVIEWS:
        return start, f"a {design_name(study.design)} starts where its {rated}"
    return start, rated
