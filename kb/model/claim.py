"""A claim: one clinically meaningful statement, and the outcomes on which its evidence is
graded."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, WrapValidator

from kb.model.common import (
    CuratedCertainty,
    Frozen,
    FullDate,
    Pico,
    Question,
    RecordId,
    Text,
    keep_written,
)
from kb.model.docs import Doc


class BaselineRisk(Frozen):
    """The risk of the outcome's event without the intervention, from a named source, so that
    relative effects can be shown as events per 1,000 patients."""

    risk: Annotated[float, Field(gt=0, lt=1), WrapValidator(keep_written)] = Field(
        description="a proportion, e.g. 0.6"
    )
    at: Text = Field(description="over which time, e.g. 'at 1 year'")
    study: RecordId = Field(description="the study it comes from")
    finding: RecordId | None = Field(None, description="the finding of that study")

    field_docs: ClassVar[dict[str, Doc]] = {
        "risk": (None, [0.6]),
        "at": (None, ["at 1 year"]),
        "study": (None, ["oweira-2017-seer"]),
        "finding": (None, ["one-year-survival"]),
    }


class PublicationBias(Frozen):
    """A curator's judgement that publication bias is suspected, with the reason."""

    concern: Literal["serious-concern", "very-serious-concern"]
    reason: Text

    field_docs: ClassVar[dict[str, Doc]] = {
        "concern": ("how serious", ["serious-concern"]),
        "reason": ("why, in the source's terms", ["dose-response: survival rose with each cycle"]),
    }


class RatingUp(Frozen):
    """A reason GRADE gives to rate observational evidence up that kb cannot compute."""

    factor: Literal["dose-response", "plausible-confounding"]
    reason: Text

    field_docs: ClassVar[dict[str, Doc]] = {
        "factor": ("GRADE's reason to rate up", ["dose-response", "plausible-confounding"]),
        "reason": ("why, in the source's terms", ["dose-response: survival rose with each cycle"]),
    }


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

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["overall-survival"]),
        "name": (None, ["overall survival"]),
        "importance": ("GRADE's importance for decisions", ["critical", "important"]),
        "effect": (None, ["increase", "decrease", "estimate"]),
        "better": (None, ["higher", "lower"]),
        "baseline_risk": (
            "the risk without the intervention, for absolute effects",
            [{"risk": 0.6, "at": "at 1 year", "study": "oweira-2017-seer"}],
        ),
        "pooling": (None, ["dl", "reml"]),
        "hartung_knapp": (None, [False, True]),
        "publication_bias": (
            "a curated suspicion of publication bias, with its reason",
            [{"concern": "serious-concern", "reason": "only small positive series"}],
        ),
        "rate_up": (
            "GRADE reasons to rate up that kb cannot compute",
            [[{"factor": "dose-response", "reason": "survival rose with each cycle"}]],
        ),
        "certainty": (None, [{"rating": "low", "rationale": "one small series"}]),
    }


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

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["resection-improves-survival"]),
        "statement": ("the claim as a clinician would say it", ["Resection prolongs survival."]),
        "subject": (None, ["resection of the primary tumour and liver metastases"]),
        "question": ("the OCEBM 2011 question type", ["treatment-benefit", "prognosis"]),
        "scope": (
            "population, intervention, comparator and outcome the claim is about",
            [{"population": "adults with liver metastases", "outcome": "overall survival"}],
        ),
        "topic": ("the heading it is listed under", ["Surgery for liver metastases"]),
        "outcomes": (
            "the outcomes it is judged on; studies map their findings to these ids",
            [
                [
                    {
                        "id": "overall-survival",
                        "name": "overall survival",
                        "importance": "critical",
                        "effect": "increase",
                        "better": "higher",
                    }
                ]
            ],
        ),
        "depends_on": ("claims this one rests on", [["liver-mets-worse-prognosis"]]),
        "reviewed": (None, ["2026-11-30"]),
        "tags": ("topics for the site's tag index, as slugs", [["synchronous-resection"]]),
        "note": ("free text", ["reworded after the 2024 guideline"]),
    }
