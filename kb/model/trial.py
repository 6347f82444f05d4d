"""A registered trial: its registry entry, design, dates and status, the claims it tests and
its publications."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from kb.model.common import (
    Frozen,
    Identifiers,
    PartialDate,
    RecordId,
    Text,
    TrialStatus,
    Url,
)
from kb.model.docs import Doc


class TrialDate(Frozen):
    date: PartialDate
    type: Literal["actual", "estimated"] | None = Field(
        None, description="as the registry marks it; leave out when the source does not say"
    )

    field_docs: ClassVar[dict[str, Doc]] = {
        "date": (None, ["2018-07-01", "2025"]),
        "type": (None, ["actual", "estimated"]),
    }


class TrialDates(Frozen):
    start: TrialDate | None = None
    primary_completion: TrialDate | None = None
    completion: TrialDate | None = None
    results_expected: TrialDate | None = Field(
        None, description="when results were announced, e.g. in the protocol or a commentary"
    )

    field_docs: ClassVar[dict[str, Doc]] = {
        "start": ("when enrolment began", [{"date": "2018-07-01", "type": "actual"}]),
        "primary_completion": (
            "when the primary outcome was measured for the last patient",
            [{"date": "2023-06"}],
        ),
        "completion": ("when the last patient's last visit was", [{"date": "2025-06"}]),
        "results_expected": (None, [{"date": "2025"}]),
    }


class Arm(Frozen):
    label: Text
    type: Literal[
        "experimental", "active-comparator", "placebo-comparator", "no-intervention", "other"
    ]
    description: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "label": ("the arm as the registry names it", ["Simultaneous resection"]),
        "type": ("the registry's arm type", ["experimental", "active-comparator"]),
        "description": ("free text", ["resection after conversion chemotherapy"]),
    }


class Enrollment(Frozen):
    count: Annotated[int, Field(ge=0)]
    type: Literal["actual", "estimated"]

    field_docs: ClassVar[dict[str, Doc]] = {
        "count": ("participants", [300]),
        "type": ("whether the count is actual or the target", ["estimated", "actual"]),
    }


class TrialStatusRecord(Frozen):
    overall: TrialStatus
    verified: PartialDate | None = Field(None, description="when this status was last checked")
    sources: list[Url] = Field(default_factory=list)
    note: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "overall": ("the registry's overall status", ["recruiting", "completed", "unknown"]),
        "verified": (None, ["2024-05"]),
        "sources": (
            "pages the status was read on",
            [["https://clinicaltrials.gov/study/NCT03398291"]],
        ),
        "note": ("free text", ["registry mirrors disagree"]),
    }


class Publication(Frozen):
    study: RecordId
    type: Literal["protocol", "trial-in-progress", "interim-results", "results", "secondary"]

    field_docs: ClassVar[dict[str, Doc]] = {
        "study": (None, ["wei-2019-cspac-1-protocol"]),
        "type": ("what the publication is", ["protocol", "results"]),
    }


class TrialDesign(Frozen):
    allocation: Literal["randomized", "non-randomized", "na"]
    model: Literal["parallel", "single-group", "crossover", "factorial", "sequential"]
    masking: Literal["none", "single", "double", "triple", "quadruple"] = "none"

    field_docs: ClassVar[dict[str, Doc]] = {
        "allocation": ("how patients are allocated", ["randomized", "non-randomized", "na"]),
        "model": ("the intervention model", ["parallel", "single-group"]),
        "masking": ("who is blinded", ["none", "double"]),
    }


class Trial(Frozen):
    id: RecordId
    title: Text
    acronym: str | None = None
    cite: str | None = Field(None, description="key of the registry entry in references.bib")
    identifiers: Identifiers
    sponsor: str | None = None
    phase: Literal[
        "early-phase-1",
        "phase-1",
        "phase-1-2",
        "phase-2",
        "phase-2-3",
        "phase-3",
        "phase-4",
        "na",
        "not-recorded",
    ] = Field(
        description="as the registry gives it ('na' is the registry's 'not applicable'); "
        "'not-recorded' when the sources read do not give it"
    )
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

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["cspac-1"]),
        "title": (
            "the official title in the registry",
            ["Simultaneous Resection of Pancreatic Cancer"],
        ),
        "acronym": ("the trial's short name", ["CSPAC-1"]),
        "cite": (None, ["NCT03398291"]),
        "identifiers": (
            "the registry numbers, each with how it was verified",
            [{"nct": {"value": "NCT03398291", "status": "unverified"}}],
        ),
        "sponsor": ("who runs it", ["Fudan University"]),
        "phase": ("the trial phase, as the registry gives it", ["phase-3", "phase-2"]),
        "design": (
            "allocation, model and masking",
            [{"allocation": "randomized", "model": "parallel"}],
        ),
        "arms": ("the arms", [[{"label": "Resection", "type": "experimental"}]]),
        "enrollment": ("target or actual enrolment", [{"count": 300, "type": "estimated"}]),
        "primary_outcome": ("the registered primary outcome", ["overall survival"]),
        "dates": ("start and completion dates", [{"start": {"date": "2018-07"}}]),
        "status": (None, [{"overall": "recruiting", "verified": "2024-05"}]),
        "tests": ("ids of the claims it tests", [["simultaneous-resection-improves-os-vs-chemo"]]),
        "publications": (
            "its publications (study ids)",
            [[{"study": "wei-2019-cspac-1-protocol", "type": "protocol"}]],
        ),
        "summary": ("the trial in plain words", ["A randomised phase 3 trial of 300 people."]),
        "note": ("free text", ["the registry was not reachable; read on its mirrors"]),
    }
