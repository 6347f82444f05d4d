"""A claim: one clinically meaningful statement, and the outcomes on which its evidence is
graded."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from kb.model.common import CuratedCertainty, Frozen, FullDate, Pico, Question, RecordId, Text


class BaselineRisk(Frozen):
    """The risk of the outcome's event without the intervention, from a named source, so that
    relative effects can be shown as events per 1,000 patients."""

    risk: Annotated[float, Field(gt=0, lt=1)] = Field(description="a proportion, e.g. 0.6")
    at: Text = Field(description="over which time, e.g. 'at 1 year'")
    study: RecordId = Field(description="the study it comes from")
    finding: RecordId | None = Field(None, description="the finding of that study")


class PublicationBias(Frozen):
    """A curator's judgement that publication bias is suspected, with the reason."""

    concern: Literal["serious-concern", "very-serious-concern"]
    reason: Text


class RatingUp(Frozen):
    """A reason GRADE gives to rate observational evidence up that kb cannot compute."""

    factor: Literal["dose-response", "plausible-confounding"]
    reason: Text


class Outcome(Frozen):
    """An outcome on which the claim is judged, as critical or important for decisions."""

    id: RecordId
    name: Text = Field(description="as a clinician names it, e.g. 'overall survival'")
    importance: Literal["critical", "important"]
    effect: Literal["increase", "decrease", "estimate"] = Field(
        description="what the claim says of it: the subject increases or decreases it, or "
        "'estimate' for a single rate or proportion without a comparison"
    )
    better: Literal["higher", "lower"] | None = Field(
        None, description="which way is better for patients: higher survival, lower morbidity"
    )
    baseline_risk: BaselineRisk | None = None
    pooling: Literal["dl", "reml"] = Field(
        "dl", description="how comparable findings are pooled: DerSimonian-Laird or REML"
    )
    hartung_knapp: bool = Field(
        False, description="pool with the Hartung-Knapp-Sidik-Jonkman interval (t, k - 1 df)"
    )
    publication_bias: PublicationBias | None = None
    rate_up: list[RatingUp] = Field(default_factory=list)
    certainty: CuratedCertainty | None = Field(
        None, description="only to rate lower than kb computes, with the reason"
    )


class Claim(Frozen):
    id: RecordId
    statement: Text
    subject: Text = Field(
        description="the intervention, exposure or factor in a few words, as GRADE statements "
        "name it: 'resection of the primary tumour and liver metastases'"
    )
    question: Question
    scope: Pico = Field(default_factory=Pico)
    topic: Text
    outcomes: list[Outcome] = Field(min_length=1)
    depends_on: list[RecordId] = Field(default_factory=list)
    reviewed: FullDate | None = Field(
        None,
        description="the day a curator last read the claim against all of its evidence",
    )
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
