"""The smaller record kinds: glossary concepts, disagreements between sources, and the
question the knowledge base answers."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kb.model.common import Frozen, Pico, RecordId, Text
from kb.model.docs import Doc


class ConceptSource(Frozen):
    study: RecordId
    quote: str | None = Field(None, description="the source's own words")
    paraphrase: str | None = Field(None, description="the source's point in other words")
    locator: str | None = None

    field_docs: ClassVar[dict[str, Doc]] = {
        "study": (None, ["shi-yu-2018-time-to-think"]),
        "quote": (None, ["no more than three metastatic lesions"]),
        "paraphrase": (None, ["liver-only disease with few metastases"]),
        "locator": ("where in the source", ["Introduction"]),
    }


class Concept(Frozen):
    id: RecordId
    term: Text
    abbreviation: str | None = Field(None, description="shown as a tooltip wherever it appears")
    definition: Text
    synonyms: list[str] = Field(default_factory=list)
    sources: list[ConceptSource] = Field(default_factory=list)
    see_also: list[RecordId] = Field(default_factory=list)

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["oligometastasis"]),
        "term": ("the term as readers meet it", ["oligometastasis"]),
        "abbreviation": (None, ["HR"]),
        "definition": (
            "a definition a clinician can read in one breath",
            ["A state between local and widespread cancer."],
        ),
        "synonyms": ("other names for it", [["oligometastatic disease"]]),
        "sources": (
            "where the definition comes from",
            [[{"study": "hellman-weichselbaum-1995-oligometastases", "locator": "p. 8"}]],
        ),
        "see_also": ("related concepts", [["r0-resection"]]),
    }


class FindingAt(Frozen):
    """A finding of a study, named by the study's id and the finding's id."""

    study: RecordId
    finding: RecordId

    field_docs: ClassVar[dict[str, Doc]] = {
        "study": (None, ["tachezy-synchronous-resection"]),
        "finding": (None, ["os-resected-vs-explored"]),
    }


class Discrepancy(Frozen):
    """Two or more sources that report the same result differently, shown on each study page."""

    id: RecordId
    findings: list[FindingAt] = Field(min_length=2, description="the findings that disagree")
    description: Text = Field(description="what differs, in plain words")
    resolution: str | None = Field(
        None, description="which figures the knowledge base uses, and why"
    )

    field_docs: ClassVar[dict[str, Doc]] = {
        "id": (None, ["tachezy-median-survival"]),
        "findings": (
            None,
            [[{"study": "study-a", "finding": "median-os"}, {"study": "study-b", "finding": "os"}]],
        ),
        "description": (None, ["The review gives 14 months, the study itself 16."]),
        "resolution": (None, ["The study's own figure is used."]),
    }


class ClinicalQuestion(Frozen):
    """The question the knowledge base answers: evidence/question.yaml, shown on the home page."""

    title: Text = Field(description="the site's name")
    question: Text
    scope: Pico = Field(default_factory=Pico)
    summary: str | None = None
    topics: list[Text] = Field(
        default_factory=list,
        description="the claims' topics in the order the home page gives them, most important "
        "to the question first; topics not listed follow in the order of their first claim's id",
    )

    field_docs: ClassVar[dict[str, Doc]] = {
        "title": (None, ["Surgery for pancreatic cancer with liver metastases"]),
        "question": ("the question, as a clinician asks it", ["Who may benefit from resection?"]),
        "scope": ("population, intervention, comparator and outcome", [{"population": "adults"}]),
        "summary": ("the answer in a few sentences, for the home page", ["Evidence is limited."]),
        "topics": (None, [["Surgery for liver metastases", "Markers"]]),
    }
