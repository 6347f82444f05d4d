"""A study: one publication or registered study, its findings, its risk of bias and the links
that tie its findings to claims."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from kb.model.common import (
    Design,
    Frozen,
    Identifiers,
    Interval,
    Measure,
    Number,
    PartialDate,
    Pico,
    Question,
    Range,
    RecordId,
    Relation,
    Text,
)
from kb.model.docs import Doc

BiasTool = Literal["rob-2", "robins-i", "quips", "quadas-2", "not-assessed"]
Judgement = Literal[
    "low",
    "some-concerns",
    "moderate",
    "serious",
    "high",
    "critical",
    "unclear",
    "no-information",
]


class SampleSize(Frozen):
    enrolled: Annotated[int, Field(ge=0)] | None = Field(None, description="patients enrolled")
    analysed: Annotated[int, Field(ge=0)] | None = Field(None, description="patients analysed")
    note: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "enrolled": (None, [120]),
        "analysed": (None, [112]),
        "note": ("free text", ["8 lost to follow-up"]),
    }


class Period(Frozen):
    start: PartialDate | None = None
    end: PartialDate | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "start": ("first patient included: YYYY, YYYY-MM or YYYY-MM-DD", ["2010-01"]),
        "end": ("last patient included: YYYY, YYYY-MM or YYYY-MM-DD", ["2015-12"]),
    }


class BiasJudgement(Frozen):
    """One domain of a risk-of-bias tool, judged from what the source says."""

    domain: RecordId = Field(description="the tool's domain, e.g. confounding (ROBINS-I)")
    judgement: Judgement = Field(description="one of the tool's judgements for a domain")
    reason: Text = Field(description="what in the source leads to the judgement")
    locator: str | None = Field(None, description="where the source says it")

    field_docs: ClassVar[dict[str, Doc]] = {
        "domain": (None, ["confounding", "randomisation"]),
        "judgement": (None, ["serious", "some-concerns"]),
        "reason": (None, ["no adjustment for performance status"]),
        "locator": (None, ["Methods, statistical analysis"]),
    }


class OverallBias(Frozen):
    """A curator's overall judgement where the tool leaves one to the reviewer (RoB 2: some
    concerns in several domains may make a study high risk); never better than the rule's."""

    judgement: Judgement
    reason: Text

    field_docs: ClassVar[dict[str, Doc]] = {
        "judgement": ("the overall judgement, worse than the tool's rule gives", ["high"]),
        "reason": ("why", ["some concerns in four of five domains"]),
    }


class RiskOfBias(Frozen):
    """Risk of bias with the tool that fits the study: RoB 2 for randomised trials, ROBINS-I
    for non-randomised studies of interventions, QUIPS for prognostic-factor studies,
    QUADAS-2 for diagnostic accuracy; or not assessed, with the reason."""

    tool: BiasTool
    domains: list[BiasJudgement] = Field(
        default_factory=list, description="every domain of the tool, each judged once"
    )
    overall: OverallBias | None = None
    rationale: str | None = Field(None, description="for 'not-assessed': why not")

    field_docs: ClassVar[dict[str, Doc]] = {
        "tool": (
            "rob-2 (randomised trials), robins-i (other studies of an intervention), quips "
            "(prognostic factors), quadas-2 (diagnostic accuracy) or not-assessed",
            ["robins-i", "rob-2", "not-assessed"],
        ),
        "domains": (None, [[{"domain": "confounding", "judgement": "serious", "reason": "..."}]]),
        "overall": (
            "a curated overall judgement, only ever worse than the tool's rule",
            [{"judgement": "high", "reason": "some concerns in several domains"}],
        ),
        "rationale": (None, ["an editorial: no tool fits it"]),
    }


class Group(Frozen):
    name: Text
    value: Number | None = None
    ci: Interval | None = None
    range: Range | None = Field(None, description="lowest and highest of several values")
    n: Annotated[int, Field(ge=0)] | None = Field(None, description="patients in the group")

    field_docs: ClassVar[dict[str, Doc]] = {
        "name": ("the group as the source names it", ["resected"]),
        "value": ("the group's value, as printed", [14.2]),
        "ci": ("the value's confidence interval", [{"lower": 11.1, "upper": 17.3}]),
        "range": (None, [{"low": 7.6, "high": 14.5}]),
        "n": (None, [85]),
    }


class Comparison(Frozen):
    """Which group a ratio is taken in: group over reference (HR 2.044 = the hazard in 'group'
    over the hazard in 'reference')."""

    group: Text = Field(description="the numerator: the group the ratio describes")
    reference: str | None = Field(
        None, description="the denominator, the reference group; leave out if the source is silent"
    )

    field_docs: ClassVar[dict[str, Doc]] = {
        "group": (None, ["resection"]),
        "reference": (None, ["chemotherapy alone"]),
    }


class Finding(Frozen):
    """One reported result, copied with its locator (FHIR Evidence.statistic)."""

    id: RecordId = Field(description="unique within the study; links name findings by it")
    outcome: Text = Field(description="what was measured, in the source's words")
    measure: Measure
    value: Number | None = None
    unit: str | None = Field(None, description="months, %, ...")
    ci: Interval | None = None
    range: Range | None = Field(None, description="lowest and highest of several values")
    p: Number | None = None
    p_comparator: Literal["=", "<", "<=", ">", ">="] = "="
    n: Annotated[int, Field(ge=0)] | None = Field(
        None, description="patients this result is computed on, when the source gives it"
    )
    groups: list[Group] = Field(default_factory=list)
    comparison: Comparison | None = Field(None, description="for ratios: group over reference")
    better: Literal["higher", "lower"] | None = Field(
        None, description="which way the measure is better for patients: lower for an HR of death"
    )
    locator: Text = Field(description="where in the source: abstract, Table 2, page 4")
    quote: str | None = Field(None, description="the source's own words, holding the numbers")
    paraphrase: str | None = Field(
        None, description="the result in other words than the source's, shown as a paraphrase"
    )
    note: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["os-hr", "median-os"]),
        "outcome": (None, ["overall survival"]),
        "measure": (
            "what the number is: median-os, median-pfs, hr, or, rr, rate, proportion, mean, "
            "median, mean-difference, count, difference",
            ["hr", "median-os", "rate"],
        ),
        "value": ("the number as printed (the point estimate)", [0.72, 14.2]),
        "unit": (None, ["months", "%"]),
        "ci": ("its confidence interval", [{"lower": 0.58, "upper": 0.89}]),
        "range": (None, [{"low": 7.6, "high": 14.5}]),
        "p": ("the p-value, as printed", [0.003]),
        "p_comparator": ("how the p-value is printed: p = 0.003, p < 0.001", ["=", "<"]),
        "n": (None, [120]),
        "groups": (
            "the groups' own values or sizes",
            [[{"name": "resected", "value": 14.2, "n": 85}, {"name": "not resected", "n": 112}]],
        ),
        "comparison": (None, [{"group": "resection", "reference": "chemotherapy alone"}]),
        "better": (None, ["lower", "higher"]),
        "locator": (None, ["Table 2", "Abstract, results"]),
        "quote": (None, ["HR 0.72 (95% CI 0.58-0.89; P = .003)"]),
        "paraphrase": (None, ["median OS 14.2 vs 8.1 months, as the source notes give it"]),
        "note": (
            "anything a reader should know: why there is no quote, how a number was read",
            ["the full text could not be had; figures from the abstract"],
        ),
    }


class FindingRef(Frozen):
    """A finding of the linking study, and the claim's outcome it informs."""

    finding: RecordId = Field(description="id of a finding of this study")
    outcome: RecordId = Field(description="id of an outcome of the claim")
    inverted: bool = Field(
        False,
        description="true when the finding's ratio is the claim's comparator over its "
        "intervention, so kb turns it round before comparing or pooling",
    )

    field_docs: ClassVar[dict[str, Doc]] = {
        "finding": (None, ["os-hr"]),
        "outcome": (None, ["overall-survival"]),
        "inverted": (None, [False, True]),
    }


class Link(Frozen):
    """How a study bears on a claim: the findings it rests on, or the text only (an argument,
    a theory), with the words that show it."""

    claim: RecordId
    relation: Relation
    findings: list[FindingRef] = Field(default_factory=list)
    rests_on: Literal["text"] | None = Field(
        None, description="'text' when the link rests on an argument or theory, not on results"
    )
    quote: str | None = Field(None, description="the source's own words")
    paraphrase: str | None = Field(None, description="the source's point in other words")
    locator: str | None = None
    indirectness: str | None = Field(
        None, description="why the study's population or question differs from the claim's"
    )
    note: str | None = None

    @model_validator(mode="after")
    def _has_words_or_locator(self) -> Link:
        if not (self.quote or self.paraphrase or self.locator):
            raise ValueError("a link needs a quote, a paraphrase or a locator")
        return self

    field_docs: ClassVar[dict[str, Doc]] = {
        "claim": ("id of the claim", ["resection-improves-survival"]),
        "relation": ("how the study bears on the claim", ["supports", "refutes", "qualifies"]),
        "findings": (
            "the findings the link rests on, each mapped to an outcome of the claim",
            [[{"finding": "os-hr", "outcome": "overall-survival"}]],
        ),
        "rests_on": (None, ["text"]),
        "quote": (None, ["resection was associated with longer survival"]),
        "paraphrase": (None, ["the authors favour resection in selected patients"]),
        "locator": ("where in the source: page, table, section", ["Discussion, page 6"]),
        "indirectness": (None, ["only patients under 70"]),
        "note": ("free text", ["the abstract and the full text agree"]),
    }


class LevelAdjustment(Frozen):
    direction: Literal["up", "down"]
    reason: Text

    field_docs: ClassVar[dict[str, Doc]] = {
        "direction": ("up or down one Oxford level", ["down"]),
        "reason": ("why", ["imprecise: 14 patients"]),
    }


class Includes(Frozen):
    """What a systematic review or meta-analysis includes: its level and starting certainty
    follow these designs, and its patients are not counted again with these studies."""

    designs: list[Design] = Field(min_length=1, description="designs of the included studies")
    studies: list[RecordId] = Field(
        default_factory=list, description="included studies that are in this knowledge base"
    )
    count: Annotated[int, Field(ge=1)] | None = Field(None, description="studies included")
    participants: Annotated[int, Field(ge=0)] | None = Field(None, description="patients in all")

    field_docs: ClassVar[dict[str, Doc]] = {
        "designs": (None, [["retrospective-cohort"]]),
        "studies": (None, [["tachezy-synchronous-resection"]]),
        "count": (None, [12]),
        "participants": (None, [1450]),
    }


class Overlap(Frozen):
    """Another study whose patients may be the same: counted once in grading."""

    study: RecordId
    reason: Text

    field_docs: ClassVar[dict[str, Doc]] = {
        "study": ("id of the other study", ["oweira-2017-seer"]),
        "reason": ("why their patients may be the same", ["both use SEER 2004-2013"]),
    }


class Study(Frozen):
    id: RecordId
    cite: Text = Field(description="key of the entry in evidence/references.bib")
    label: str | None = Field(
        None,
        description="how readers name the study, 'Crippa et al. 2016', when references.bib "
        "has no verified author to name it by; pages mark it as unverified",
        examples=["Crippa et al. 2016"],
    )
    identifiers: Identifiers = Field(default_factory=Identifiers)
    design: Design
    question: Question
    pico: Pico = Field(default_factory=Pico)
    sample_size: SampleSize | None = None
    setting: str | None = None
    period: Period | None = None
    database: str | None = Field(
        None, description="the registry or database the patients come from, e.g. SEER"
    )
    overlaps: list[Overlap] = Field(default_factory=list)
    includes: Includes | None = Field(None, description="for reviews: what they include")
    risk_of_bias: RiskOfBias | None = None
    level_adjustment: LevelAdjustment | None = None
    findings: list[Finding] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    summary: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["muller-2024-widgetosis"]),
        "cite": (None, ["Muller2024Widgetosis"]),
        "identifiers": (
            "DOI, PMID, PMCID, NCT or EudraCT number, each with how it was verified",
            [{"doi": {"value": "10.5555/jwm.2024.0012", "status": "unverified"}}],
        ),
        "design": (
            "the study's design, from a fixed list; it sets the Oxford level",
            ["rct", "retrospective-cohort", "case-series"],
        ),
        "question": (
            "the OCEBM 2011 question the study answers",
            ["treatment-benefit", "prognosis", "diagnosis"],
        ),
        "pico": (
            "population, intervention, comparator and outcome, as the study states them",
            [{"population": "adults", "intervention": "resection", "outcome": "survival"}],
        ),
        "sample_size": ("patients enrolled and analysed", [{"enrolled": 120, "analysed": 112}]),
        "setting": ("where the study ran", ["12 centres in Germany"]),
        "period": ("when patients were included", [{"start": "2010-01", "end": "2015-12"}]),
        "database": (None, ["SEER"]),
        "overlaps": (
            "other studies whose patients may be the same",
            [[{"study": "oweira-2017-seer", "reason": "both use SEER 2004-2013"}]],
        ),
        "includes": (None, [{"designs": ["retrospective-cohort"], "count": 12}]),
        "risk_of_bias": (
            "risk of bias with the tool that fits the design, every domain judged",
            [{"tool": "not-assessed", "rationale": "an editorial"}],
        ),
        "level_adjustment": (
            "a curated move of the Oxford level, with its reason",
            [{"direction": "down", "reason": "imprecise: 14 patients"}],
        ),
        "findings": (
            "the results the source reports, each with its locator and the source's words",
            [
                [
                    {
                        "id": "response",
                        "outcome": "response to chemotherapy",
                        "measure": "rate",
                        "value": 44,
                        "unit": "%",
                        "locator": "Abstract",
                        "quote": "56 (44%) responded",
                    }
                ]
            ],
        ),
        "links": (
            "the claims the study bears on, how, and the findings each link rests on",
            [
                [
                    {
                        "claim": "claim-id",
                        "relation": "supports",
                        "rests_on": "text",
                        "locator": "p. 3",
                    }
                ]
            ],
        ),
        "summary": (
            "what the study did and found, in plain words",
            ["A randomised trial in 120 people."],
        ),
        "tags": ("topics for the site's tag index, as slugs", [["liver-metastases"]]),
        "note": ("free text", ["published online in 2022, in print in 2023"]),
    }
