"""The four record kinds as frozen pydantic models; unknown fields are rejected.

Field names follow ClinicalTrials.gov API v2, FHIR R5 Evidence and CSL-JSON where they exist;
GRADE and OCEBM codes are written as those systems write them. Rules that span records live in
`kb.rules`, not here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# [0-9], not \d: the regular expressions that check records match any Unicode digit with \d, so
# an NCT number in Arabic-Indic digits would pass for a real one
ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DOI_PATTERN = r"^10\.[0-9]{4,9}/[^\s{}@\\]+$"  # no brace, @ or \: they could end a BibTeX value
PMID_PATTERN = r"^[1-9][0-9]{0,8}$"
PMCID_PATTERN = r"^PMC[0-9]{1,9}$"
NCT_PATTERN = r"^NCT[0-9]{8}$"
EUDRACT_PATTERN = r"^[0-9]{4}-[0-9]{6}-[0-9]{2}$"
URL_PATTERN = r"^https?://\S+$"
IDENTIFIER_PATTERNS = {
    "doi": DOI_PATTERN,
    "pmid": PMID_PATTERN,
    "pmcid": PMCID_PATTERN,
    "nct": NCT_PATTERN,
    "eudract": EUDRACT_PATTERN,
}
"""Each identifier's pattern, in the order records list identifiers."""
PARTIAL_DATE_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"


def _as_text(value: Any) -> Any:
    """Dates are stored as the text written: YAML reads 2018-07-01 as a date and a bare year
    such as 2025 as a number."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _valid_calendar_date(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a day of the calendar") from None
    return value


PartialDate = Annotated[
    str,
    # the pattern comes before the validators, or it is left out of the JSON Schema
    Field(pattern=PARTIAL_DATE_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD"),
    BeforeValidator(_valid_calendar_date),
    BeforeValidator(_as_text),
]
RecordId = Annotated[str, Field(pattern=ID_PATTERN, description="lower-case slug, a-z 0-9 -")]
Url = Annotated[str, Field(pattern=URL_PATTERN)]
Text = Annotated[str, Field(min_length=1)]

Design = Literal[
    "meta-analysis",
    "systematic-review",
    "rct",
    "prospective-cohort",
    "retrospective-cohort",
    "registry-analysis",
    "cross-sectional",
    "case-control",
    "case-series",
    "case-report",
    "trial-protocol",
    "conference-abstract",
    "narrative-review",
    "editorial",
    "expert-opinion",
    "mechanistic-theory",
]
Question = Literal[
    "prevalence",
    "diagnosis",
    "prognosis",
    "treatment-benefit",
    "treatment-harm-common",
    "treatment-harm-rare",
    "screening",
]
Certainty = Literal["high", "moderate", "low", "very-low"]
Relation = Literal["supports", "refutes", "qualifies"]
Measure = Literal[
    "median-os",
    "median-pfs",
    "hr",
    "or",
    "rr",
    "rate",
    "proportion",
    "mean",
    "median",
    "mean-difference",
    "count",
]
Verification = Literal["verified", "unverified"]
TrialStatus = Literal[
    "not-yet-recruiting",
    "recruiting",
    "enrolling-by-invitation",
    "active-not-recruiting",
    "suspended",
    "terminated",
    "completed",
    "withdrawn",
    "unknown",
]


class Frozen(BaseModel):
    # numbers must be finite: NaN and infinity compare false with everything, so no rule could
    # catch a contradiction in them, and no export could write them
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Identifier(Frozen):
    """An identifier and how a curator verified it: read on a named source page, or not. The
    registry's verification (kb resolve) is kept apart, in sources.lock.json."""

    value: str
    status: Verification
    source: Url | None = Field(None, description="page the identifier was read on")
    checked: PartialDate | None = Field(None, description="date it was read there")
    registry_title: Text | None = Field(
        None,
        description="the title the registry gives when the identifier names a larger work on "
        "purpose (a journal supplement, a registry entry); checks compare against it",
    )
    note: str | None = None


class DoiId(Identifier):
    value: Annotated[str, Field(pattern=DOI_PATTERN)]


class PmidId(Identifier):
    value: Annotated[str, Field(pattern=PMID_PATTERN)]


class PmcidId(Identifier):
    value: Annotated[str, Field(pattern=PMCID_PATTERN)]


class NctId(Identifier):
    value: Annotated[str, Field(pattern=NCT_PATTERN)]


class EudractId(Identifier):
    value: Annotated[str, Field(pattern=EUDRACT_PATTERN)]


class Identifiers(Frozen):
    doi: DoiId | None = None
    pmid: PmidId | None = None
    pmcid: PmcidId | None = None
    nct: NctId | None = None
    eudract: EudractId | None = None


class Pico(Frozen):
    """Population, intervention, comparator, outcome (FHIR EvidenceVariable roles)."""

    population: str | None = None
    intervention: str | None = None
    comparator: str | None = None
    outcome: str | None = None


class SampleSize(Frozen):
    enrolled: Annotated[int, Field(ge=0)] | None = None
    analysed: Annotated[int, Field(ge=0)] | None = None
    note: str | None = None


class Period(Frozen):
    start: PartialDate | None = None
    end: PartialDate | None = None


class RiskOfBias(Frozen):
    tool: str
    judgement: Literal[
        "low", "some-concerns", "moderate", "high", "serious", "critical", "not-assessed"
    ]
    rationale: str | None = None


class Interval(Frozen):
    lower: float
    upper: float
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95


class Group(Frozen):
    name: Text
    value: float | None = None
    ci: Interval | None = None
    n: Annotated[int, Field(ge=0)] | None = None


class Finding(Frozen):
    """One reported result, copied with its locator (FHIR Evidence.statistic)."""

    outcome: Text
    measure: Measure
    value: float | None = None
    unit: str | None = Field(None, description="months, %, ...")
    ci: Interval | None = None
    p: float | None = None
    p_comparator: Literal["=", "<", "<=", ">", ">="] = "="
    groups: list[Group] = Field(default_factory=list)
    comparison: str | None = Field(None, description="which group over which, for ratios")
    locator: Text
    quote: str | None = None
    note: str | None = None


class Link(Frozen):
    """How a study bears on a claim, with the words that show it."""

    claim: RecordId
    relation: Relation
    quote: str | None = None
    locator: str | None = None
    indirectness: str | None = Field(
        None, description="why the study's population or question differs from the claim's"
    )
    note: str | None = None

    @model_validator(mode="after")
    def _has_quote_or_locator(self) -> Link:
        if not self.quote and not self.locator:
            raise ValueError("a link needs a quote or a locator")
        return self


class LevelAdjustment(Frozen):
    direction: Literal["up", "down"]
    reason: Text


class Study(Frozen):
    id: RecordId
    cite: Text = Field(description="key of the entry in evidence/references.bib")
    identifiers: Identifiers = Field(default_factory=Identifiers)
    design: Design
    question: Question
    pico: Pico = Field(default_factory=Pico)
    sample_size: SampleSize | None = None
    setting: str | None = None
    period: Period | None = None
    risk_of_bias: RiskOfBias | None = None
    level_adjustment: LevelAdjustment | None = None
    findings: list[Finding] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    summary: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None


class CuratedCertainty(Frozen):
    rating: Certainty
    rationale: Text


class Claim(Frozen):
    id: RecordId
    statement: Text
    question: Question
    scope: Pico = Field(default_factory=Pico)
    topic: Text
    depends_on: list[RecordId] = Field(default_factory=list)
    certainty: CuratedCertainty | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None


class TrialDate(Frozen):
    date: PartialDate
    type: Literal["actual", "estimated"] | None = Field(
        None, description="as the registry marks it; leave out when the source does not say"
    )


class TrialDates(Frozen):
    start: TrialDate | None = None
    primary_completion: TrialDate | None = None
    completion: TrialDate | None = None
    results_expected: TrialDate | None = Field(
        None, description="when results were announced, e.g. in the protocol or a commentary"
    )


class Arm(Frozen):
    label: Text
    type: Literal[
        "experimental", "active-comparator", "placebo-comparator", "no-intervention", "other"
    ]
    description: str | None = None


class Enrollment(Frozen):
    count: Annotated[int, Field(ge=0)]
    type: Literal["actual", "estimated"]


class TrialStatusRecord(Frozen):
    overall: TrialStatus
    verified: PartialDate | None = Field(None, description="when this status was last checked")
    sources: list[Url] = Field(default_factory=list)
    note: str | None = None


class Publication(Frozen):
    study: RecordId
    type: Literal["protocol", "trial-in-progress", "interim-results", "results", "secondary"]


class TrialDesign(Frozen):
    allocation: Literal["randomized", "non-randomized", "na"]
    model: Literal["parallel", "single-group", "crossover", "factorial", "sequential"]
    masking: Literal["none", "single", "double", "triple", "quadruple"] = "none"


class Trial(Frozen):
    id: RecordId
    title: Text
    acronym: str | None = None
    cite: str | None = Field(None, description="key of the registry entry in references.bib")
    identifiers: Identifiers
    sponsor: str | None = None
    phase: Literal[
        "early-phase-1", "phase-1", "phase-1-2", "phase-2", "phase-2-3", "phase-3", "phase-4", "na"
    ]
    design: TrialDesign
    arms: list[Arm] = Field(default_factory=list)
    enrollment: Enrollment | None = None
    primary_outcome: str | None = None
    dates: TrialDates = Field(default_factory=TrialDates)
    status: TrialStatusRecord | None = Field(None, description="leave out when not seen")
    tests: list[RecordId] = Field(default_factory=list)
    publications: list[Publication] = Field(default_factory=list)
    summary: str | None = None
    note: str | None = None


class ConceptSource(Frozen):
    study: RecordId
    quote: str | None = None
    locator: str | None = None


class Concept(Frozen):
    id: RecordId
    term: Text
    abbreviation: str | None = Field(None, description="shown as a tooltip wherever it appears")
    definition: Text
    synonyms: list[str] = Field(default_factory=list)
    sources: list[ConceptSource] = Field(default_factory=list)
    see_also: list[RecordId] = Field(default_factory=list)


class ClinicalQuestion(Frozen):
    """The question the knowledge base answers: evidence/question.yaml, shown on the home page."""

    title: Text = Field(description="the site's name")
    question: Text
    scope: Pico = Field(default_factory=Pico)
    summary: str | None = None


Record = Study | Claim | Trial | Concept | ClinicalQuestion

KINDS: dict[str, type[Study] | type[Claim] | type[Trial] | type[Concept]] = {
    "study": Study,
    "claim": Claim,
    "trial": Trial,
    "concept": Concept,
}
QUESTION_FILE = "question.yaml"
"""The one record at the top of the evidence folder."""
FOLDERS: dict[str, str] = {
    "studies": "study",
    "claims": "claim",
    "trials": "trial",
    "concepts": "concept",
}
"""Each folder of the knowledge base and the kind of record it holds."""
FOLDER_OF_KIND: dict[str, str] = {kind: folder for folder, kind in FOLDERS.items()}
