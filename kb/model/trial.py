"""A registered trial: its registry entry, design, dates and status, the claims it tests and
its publications."""

from __future__ import annotations

from typing import Annotated, Literal

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
