"""What every page needs: the shared context, page paths, labels and number formatting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from kb import labels, markup
from kb.certainty import ClaimCertainty
from kb.changes import Change
from kb.corpus import KnowledgeBase
from kb.evidence import Evidence
from kb.grade import StudyLevel
from kb.model import FOLDER_OF_KIND, Identifier, Identifiers, Link
from kb.verification import Verification
from kb.words import CERTAINTY_SYMBOLS, IDENTIFIER_LABELS, certainty_label


@dataclass
class Site:
    """Everything the page renderers share: the one analysis of the evidence, the dates shown
    on the pages and the URL style."""

    evidence: Evidence
    today: dt.date
    evidence_date: dt.date
    directory_urls: bool = True
    history: dict[str, list[Change]] = field(default_factory=dict)
    """Claim id -> its substantive changes over the evidence's git history (kb.history)."""
    site_url: str | None = None
    """The published site's address, for links that leave the site (feeds); None if unknown."""

    @property
    def kb(self) -> KnowledgeBase:
        return self.evidence.kb

    @property
    def graph(self) -> nx.MultiDiGraph:
        return self.evidence.graph

    @property
    def verification(self) -> Verification:
        return self.evidence.verification

    def certainty(self, claim_id: str) -> ClaimCertainty:
        """The claim's certainty, computed without retracted studies."""
        return self.evidence.certainty(claim_id)

    def level(self, study_id: str) -> StudyLevel:
        return self.evidence.level(study_id)

    def url_from(self, page: str) -> Callable[[str, str], str]:
        """For raw HTML (SVG) on `page`: the URL of a record's page."""
        return lambda kind, record_id: markup.page_url(
            record_page(kind, record_id), page, self.directory_urls
        )


def record_page(kind: str, record_id: str) -> str:
    return f"{FOLDER_OF_KIND[kind]}/{record_id}.md"


def record_link(
    site: Site,
    kind: str,
    record_id: str,
    source: str,
    label: str | None = None,
) -> str:
    if label is None:
        label = (
            study_label(site, record_id)
            if kind == "study"
            else _record_label(site, kind, record_id)
        )
    return markup.page_link(label, record_page(kind, record_id), source)


def _record_label(site: Site, kind: str, record_id: str) -> str:
    if kind == "trial" and record_id in site.kb.trials:
        return site.kb.trial(record_id).acronym or record_id
    if kind == "concept" and record_id in site.kb.concepts:
        return site.kb.concepts[record_id].record.term
    return record_id


def study_label(site: Site, study_id: str) -> str:
    """'Oweira et al. 2017'; without a verified author, the start of the title."""
    return labels.study_label(site.kb, study_id)


def source_words(quote: str | None, paraphrase: str | None) -> str:
    """': “the source's words”', or ': the point in other words (paraphrase)'; a quote is
    shown in quotation marks, a paraphrase never is."""
    words = f"\u201c{markup.text(quote)}\u201d" if quote else ""
    if paraphrase:
        words += ("; " if words else "") + f"{markup.text(paraphrase)} *(paraphrase)*"
    return f": {words}" if words else ""


def identifier_items(identifiers: Identifiers) -> list[tuple[str, Identifier]]:
    return [
        (name, getattr(identifiers, name))
        for name in IDENTIFIER_LABELS
        if getattr(identifiers, name) is not None
    ]


def link_details(link: Link) -> str:
    """A link's indirectness and note as nested list items (empty when it has neither)."""
    details = ""
    if link.indirectness:
        details += f"\n    - *Indirect*: {markup.text(link.indirectness)}"
    if link.note:
        details += f"\n    - *Note*: {markup.text(link.note)}"
    return details


def certainty_badge(rating: str | None) -> str:
    """'⊕⊕◯◯ Low': the symbols are hidden from screen readers, which would read them out one by
    one; the word beside them says the same."""
    if rating is None:
        return "Not rated"
    symbols = f'<span class="kb-certainty" aria-hidden="true">{CERTAINTY_SYMBOLS[rating]}</span>'
    return f"{symbols} {certainty_label(rating)}"
