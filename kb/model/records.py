"""The smaller record kinds: glossary concepts, disagreements between sources, and the
question the knowledge base answers."""

from __future__ import annotations

from pydantic import Field

from kb.model.common import Frozen, Pico, RecordId, Text


class ConceptSource(Frozen):
    study: RecordId
    quote: str | None = Field(None, description="the source's own words")
    paraphrase: str | None = Field(None, description="the source's point in other words")
    locator: str | None = None


class Concept(Frozen):
    id: RecordId
    term: Text
    abbreviation: str | None = Field(None, description="shown as a tooltip wherever it appears")
    definition: Text
    synonyms: list[str] = Field(default_factory=list)
    sources: list[ConceptSource] = Field(default_factory=list)
    see_also: list[RecordId] = Field(default_factory=list)


class FindingAt(Frozen):
    """A finding of a study, named by the study's id and the finding's id."""

    study: RecordId
    finding: RecordId


class Discrepancy(Frozen):
    """Two or more sources that report the same result differently, shown on each study page."""

    id: RecordId
    findings: list[FindingAt] = Field(min_length=2, description="the findings that disagree")
    description: Text = Field(description="what differs, in plain words")
    resolution: str | None = Field(
        None, description="which figures the knowledge base uses, and why"
    )


class ClinicalQuestion(Frozen):
    """The question the knowledge base answers: evidence/question.yaml, shown on the home page."""

    title: Text = Field(description="the site's name")
    question: Text
    scope: Pico = Field(default_factory=Pico)
    summary: str | None = None
    topics: list[Text] = Field(
        default_factory=list,
        description="the claims' topics in the order the home page gives them, most important "
        "to the question first; topics not listed follow in alphabetical order",
    )
