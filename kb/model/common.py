"""What every record kind shares: identifier patterns, dates, controlled vocabularies, the
frozen base model, identifiers and intervals."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from kb.model.docs import Doc, document_fields

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


class WrittenNumber(float):
    """A number of a record with the text it was written as ('0.220', '29.0'): it computes as
    the float it is, and pages and exports print it as written, with the source's precision."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, value: float, text: str) -> WrittenNumber:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __reduce__(self) -> tuple[type[WrittenNumber], tuple[float, str]]:
        return WrittenNumber, (float(self), self.text)


def keep_written(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate as a float, but keep the number as written when the loader gave one."""
    checked = handler(value)
    return value if isinstance(value, WrittenNumber) else checked


Number = Annotated[float, WrapValidator(keep_written)]
"""A float of a record, printed as written (kb.load gives WrittenNumber for YAML floats)."""


PartialDate = Annotated[
    str,
    # the pattern comes before the validators, or it is left out of the JSON Schema
    Field(pattern=PARTIAL_DATE_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD"),
    BeforeValidator(_valid_calendar_date),
    BeforeValidator(_as_text),
]
FullDate = Annotated[
    str,
    Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD"),
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
    "difference",
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
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        json_schema_extra=document_fields,
    )


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
    larger_work: Text | None = Field(
        None,
        description="what the identifier names when that is more than the record's own work, "
        "e.g. 'the supplement section v253-v324 that holds abstract 1406'; shown beside the "
        "identifier wherever it is printed",
    )
    note: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "status": (
            "'verified' once read on the page named in 'source'",
            ["unverified", "verified"],
        ),
        "source": (None, ["https://pubmed.ncbi.nlm.nih.gov/27856064/"]),
        "checked": (None, ["2024-05-02"]),
        "registry_title": (None, ["Annals of Oncology 30 (Supplement 5)"]),
        "larger_work": (None, ["the supplement section that holds the abstract"]),
        "note": ("free text", ["PMID from the publisher's page; PubMed not reachable"]),
    }


class DoiId(Identifier):
    value: Annotated[str, Field(pattern=DOI_PATTERN)]

    field_docs: ClassVar[dict[str, Doc]] = {
        "value": ("the DOI, without https://doi.org/", ["10.1016/j.ejso.2016.10.023"]),
    }


class PmidId(Identifier):
    value: Annotated[str, Field(pattern=PMID_PATTERN)]

    field_docs: ClassVar[dict[str, Doc]] = {
        "value": ("the PubMed id, digits in quotes", ["27856064"]),
    }


class PmcidId(Identifier):
    value: Annotated[str, Field(pattern=PMCID_PATTERN)]

    field_docs: ClassVar[dict[str, Doc]] = {
        "value": ("the PubMed Central id", ["PMC8600696"]),
    }


class NctId(Identifier):
    value: Annotated[str, Field(pattern=NCT_PATTERN)]

    field_docs: ClassVar[dict[str, Doc]] = {
        "value": ("the ClinicalTrials.gov number", ["NCT03398291"]),
    }


class EudractId(Identifier):
    value: Annotated[str, Field(pattern=EUDRACT_PATTERN)]

    field_docs: ClassVar[dict[str, Doc]] = {
        "value": ("the EudraCT number", ["2019-002734-37"]),
    }


class Identifiers(Frozen):
    doi: DoiId | None = None
    pmid: PmidId | None = None
    pmcid: PmcidId | None = None
    nct: NctId | None = None
    eudract: EudractId | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "doi": (
            "Digital Object Identifier",
            [{"value": "10.5555/jwm.2024.0012", "status": "unverified"}],
        ),
        "pmid": ("PubMed id", [{"value": "900000001", "status": "unverified"}]),
        "pmcid": ("PubMed Central id", [{"value": "PMC999000001", "status": "unverified"}]),
        "nct": ("ClinicalTrials.gov number", [{"value": "NCT01234567", "status": "unverified"}]),
        "eudract": ("EudraCT number", [{"value": "2019-002734-37", "status": "unverified"}]),
    }


class Pico(Frozen):
    """Population, intervention, comparator, outcome (FHIR EvidenceVariable roles)."""

    population: str | None = Field(None, description="who the study or claim is about")
    intervention: str | None = Field(None, description="the intervention, exposure or factor")
    comparator: str | None = Field(None, description="what it is compared with")
    outcome: str | None = Field(None, description="what is measured")

    field_docs: ClassVar[dict[str, Doc]] = {
        "population": (None, ["adults with pancreatic cancer and liver metastases"]),
        "intervention": (None, ["resection of the primary tumour and the liver metastases"]),
        "comparator": (None, ["chemotherapy alone"]),
        "outcome": (None, ["overall survival"]),
    }


class Interval(Frozen):
    """A confidence interval as printed: its bounds and its level (0.95 for 95%)."""

    lower: Number
    upper: Number
    level: Annotated[float, Field(gt=0, lt=1), WrapValidator(keep_written)] = 0.95

    field_docs: ClassVar[dict[str, Doc]] = {
        "lower": ("lower bound, as printed", [0.58]),
        "upper": ("upper bound, as printed", [0.89]),
        "level": (
            "confidence level as a fraction; 0.95 unless the source says otherwise",
            [0.95, 0.9],
        ),
    }


class Range(Frozen):
    """The lowest and highest of several values a source gives together, such as the medians
    of the studies a review includes ('7.6-14.5 months'): not a confidence interval."""

    low: Number
    high: Number

    field_docs: ClassVar[dict[str, Doc]] = {
        "low": ("the lowest of the values, as printed", [7.6]),
        "high": ("the highest of the values, as printed", [14.5]),
    }


class CuratedCertainty(Frozen):
    """A curator's certainty rating; it may only be lower than the computed one, with a reason."""

    rating: Certainty
    rationale: Text = Field(description="why the rating is lower than the computed one")

    field_docs: ClassVar[dict[str, Doc]] = {
        "rating": ("GRADE certainty: high, moderate, low, very-low", ["low"]),
        "rationale": (None, ["one small retrospective series; the computed rating overstates it"]),
    }
