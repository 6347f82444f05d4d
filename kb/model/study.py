"""A study: one publication or registered study, its findings, its risk of bias and the links
that tie its findings to claims."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from kb.model.common import (
    Design,
    Frozen,
    Identifiers,
    Interval,
    Measure,
    PartialDate,
    Pico,
    Question,
    Range,
    RecordId,
    Relation,
    Text,
)

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


class Period(Frozen):
    start: PartialDate | None = None
    end: PartialDate | None = None


class BiasJudgement(Frozen):
    """One domain of a risk-of-bias tool, judged from what the source says."""

    domain: RecordId = Field(description="the tool's domain, e.g. confounding (ROBINS-I)")
    judgement: Judgement = Field(description="one of the tool's judgements for a domain")
    reason: Text = Field(description="what in the source leads to the judgement")
    locator: str | None = Field(None, description="where the source says it")


class OverallBias(Frozen):
    """A curator's overall judgement where the tool leaves one to the reviewer (RoB 2: some
    concerns in several domains may make a study high risk); never better than the rule's."""

    judgement: Judgement
    reason: Text


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


class Group(Frozen):
    name: Text
    value: float | None = None
    ci: Interval | None = None
    range: Range | None = Field(None, description="lowest and highest of several values")
    n: Annotated[int, Field(ge=0)] | None = Field(None, description="patients in the group")


class Comparison(Frozen):
    """Which group a ratio is taken in: group over reference (HR 2.044 = the hazard in 'group'
    over the hazard in 'reference')."""

    group: Text = Field(description="the numerator: the group the ratio describes")
    reference: str | None = Field(
        None, description="the denominator, the reference group; leave out if the source is silent"
    )


class Finding(Frozen):
    """One reported result, copied with its locator (FHIR Evidence.statistic)."""

    id: RecordId = Field(description="unique within the study; links name findings by it")
    outcome: Text = Field(description="what was measured, in the source's words")
    measure: Measure
    value: float | None = None
    unit: str | None = Field(None, description="months, %, ...")
    ci: Interval | None = None
    range: Range | None = Field(None, description="lowest and highest of several values")
    p: float | None = None
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


class FindingRef(Frozen):
    """A finding of the linking study, and the claim's outcome it informs."""

    finding: RecordId = Field(description="id of a finding of this study")
    outcome: RecordId = Field(description="id of an outcome of the claim")
    inverted: bool = Field(
        False,
        description="true when the finding's ratio is the claim's comparator over its "
        "intervention, so kb turns it round before comparing or pooling",
    )


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


class LevelAdjustment(Frozen):
    direction: Literal["up", "down"]
    reason: Text


class Includes(Frozen):
    """What a systematic review or meta-analysis includes: its level and starting certainty
    follow these designs, and its patients are not counted again with these studies."""

    designs: list[Design] = Field(min_length=1, description="designs of the included studies")
    studies: list[RecordId] = Field(
        default_factory=list, description="included studies that are in this knowledge base"
    )
    count: Annotated[int, Field(ge=1)] | None = Field(None, description="studies included")
    participants: Annotated[int, Field(ge=0)] | None = Field(None, description="patients in all")


class Overlap(Frozen):
    """Another study whose patients may be the same: counted once in grading."""

    study: RecordId
    reason: Text


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
