"""Risk-of-bias tools: their fixed domains, the judgements each allows, and each tool's published
rule for the overall judgement of a study; and what that judgement means for GRADE.

- RoB 2 (Sterne et al., BMJ 2019;366:l4898): five domains; low, some concerns or high; overall
  the least favourable domain (Cochrane Handbook, chapter 8). Reviewers may judge a study with
  some concerns in several domains as high; a curated `overall` records that, with its reason.
- ROBINS-I (Sterne et al., BMJ 2016;355:i4919): seven domains; low, moderate, serious, critical
  or no information; overall critical if any domain is critical, else serious if any is
  serious, else no information if a domain lacks information, else moderate if any is
  moderate, else low.
- QUIPS (Hayden et al., Ann Intern Med 2013;158:280-6): six domains; low, moderate or high.
  QUIPS prescribes no overall rule; kb uses a rule common in published reviews: low when every
  domain is low or one is moderate, high when any domain is high or three or more are moderate,
  moderate otherwise.
- QUADAS-2 (Whiting et al., Ann Intern Med 2011;155:529-36): four domains; low, high or
  unclear; overall low only when every domain is low; otherwise kb says high when any domain is
  high and unclear when none is high.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.model import RiskOfBias


@dataclass(frozen=True)
class Tool:
    name: str
    """As the tool's authors write it."""
    domains: dict[str, str]
    """Domain id -> the domain as the tool names it."""
    judgements: tuple[str, ...]
    """From the most to the least favourable."""
    designs: str
    """What the tool is for."""


TOOLS: dict[str, Tool] = {
    "rob-2": Tool(
        "RoB 2",
        {
            "randomisation": "Bias arising from the randomisation process",
            "deviations": "Bias due to deviations from intended interventions",
            "missing-data": "Bias due to missing outcome data",
            "measurement": "Bias in measurement of the outcome",
            "reporting": "Bias in selection of the reported result",
        },
        ("low", "some-concerns", "high"),
        "randomised trials",
    ),
    "robins-i": Tool(
        "ROBINS-I",
        {
            "confounding": "Bias due to confounding",
            "selection": "Bias in selection of participants into the study",
            "classification": "Bias in classification of interventions",
            "deviations": "Bias due to deviations from intended interventions",
            "missing-data": "Bias due to missing data",
            "measurement": "Bias in measurement of outcomes",
            "reporting": "Bias in selection of the reported result",
        },
        ("low", "moderate", "serious", "critical", "no-information"),
        "non-randomised studies of interventions",
    ),
    "quips": Tool(
        "QUIPS",
        {
            "participation": "Study participation",
            "attrition": "Study attrition",
            "factor-measurement": "Prognostic factor measurement",
            "outcome-measurement": "Outcome measurement",
            "confounding": "Study confounding",
            "analysis": "Statistical analysis and reporting",
        },
        ("low", "moderate", "high"),
        "studies of prognostic factors",
    ),
    "quadas-2": Tool(
        "QUADAS-2",
        {
            "patient-selection": "Patient selection",
            "index-test": "Index test",
            "reference-standard": "Reference standard",
            "flow-and-timing": "Flow and timing",
        },
        ("low", "unclear", "high"),
        "studies of diagnostic accuracy",
    ),
}

FITS = {
    "rob-2": {"rct"},
    "robins-i": {
        "prospective-cohort",
        "retrospective-cohort",
        "registry-analysis",
        "case-control",
        "cross-sectional",
        "case-series",
    },
    "quips": {
        "prospective-cohort",
        "retrospective-cohort",
        "registry-analysis",
        "case-control",
        "cross-sectional",
        "rct",
    },
    "quadas-2": {"cross-sectional", "prospective-cohort", "retrospective-cohort", "case-control"},
}
"""Designs each tool is made for."""

_SEVERITY = {
    "low": 0,
    "some-concerns": 1,
    "moderate": 1,
    "unclear": 1,
    "no-information": 1,
    "serious": 2,
    "high": 2,
    "critical": 3,
}
"""How each judgement weighs for GRADE: no concern, some, serious, very serious."""

CONCERNS = {
    0: "no-concern",
    1: "some-concerns",
    2: "serious",
    3: "very-serious",
}


def overall(risk: RiskOfBias) -> str | None:
    """The study's overall judgement by its tool's rule (a curated overall may only be worse);
    None when not assessed, or when a domain of the tool is missing or judged in words the tool
    does not use."""
    if risk.tool == "not-assessed":
        return None
    tool = TOOLS[risk.tool]
    judged = {d.domain: d.judgement for d in risk.domains if d.domain in tool.domains}
    if set(judged) != set(tool.domains) or not set(judged.values()) <= set(tool.judgements):
        return None
    values: list[str] = list(judged.values())
    rule = _RULES[risk.tool](values)
    curated = risk.overall.judgement if risk.overall else None
    if curated is not None and _SEVERITY.get(curated, 0) > _SEVERITY[rule]:
        return curated
    return rule


def _robins_i(values: list[str]) -> str:
    for judgement in ("critical", "serious", "no-information", "moderate"):
        if judgement in values:
            return judgement
    return "low"


def _quips(values: list[str]) -> str:
    moderate = values.count("moderate")
    if "high" in values or moderate >= 3:
        return "high"
    return "low" if moderate <= 1 else "moderate"


def _quadas_2(values: list[str]) -> str:
    if "high" in values:
        return "high"
    return "unclear" if "unclear" in values else "low"


def _rob_2(values: list[str]) -> str:
    return max(values, key=TOOLS["rob-2"].judgements.index)


_RULES = {"rob-2": _rob_2, "robins-i": _robins_i, "quips": _quips, "quadas-2": _quadas_2}


def severity(judgement: str | None) -> int | None:
    """0 (low) to 3 (critical); None when the study was not assessed."""
    return None if judgement is None else _SEVERITY[judgement]


def judgement_words(judgement: str) -> str:
    """'some concerns', 'no information', 'serious'."""
    return judgement.replace("-", " ")
