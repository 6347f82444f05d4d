"""What every page needs: the shared context, page paths, labels and number formatting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import networkx as nx

from kb import markup
from kb.corpus import KnowledgeBase
from kb.evidence import Evidence
from kb.grade import ClaimCertainty, StudyLevel
from kb.model import FOLDER_OF_KIND, Finding, Identifier, Identifiers, Link, Study
from kb.verification import Verification
from kb.words import CERTAINTY_SYMBOLS, IDENTIFIER_LABELS, MEASURE_WORDS, certainty_label


@dataclass
class Site:
    """Everything the page renderers share: the one analysis of the evidence, the dates shown
    on the pages and the URL style."""

    evidence: Evidence
    today: dt.date
    evidence_date: dt.date
    directory_urls: bool = True

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
    study = site.kb.study(study_id)
    entry = site.kb.bibliography.get(study.cite)
    if entry is None:
        return study_id
    family = entry.first_author_family
    if family:
        others = (
            " et al."
            if len(entry.authors) > 2
            else (f" and {entry.authors[1]}" if len(entry.authors) == 2 else "")
        )
        return f"{family}{others} {entry.year}" if entry.year else f"{family}{others}"
    title = entry.title or study_id
    short = title if len(title) <= 60 else title[:57].rsplit(" ", 1)[0] + "…"
    return f"{short} {entry.year}" if entry.year else short


def number(value: float) -> str:
    """Numbers as written in the source: no float noise, no exponent."""
    out = format(Decimal(repr(float(value))), "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


def interval(lower: float, upper: float, level: float) -> str:
    return f"{number(level * 100)}% CI {number(lower)}\u2013{number(upper)}"


def finding_text(finding: Finding) -> str:
    """'HR 2.044 (95% CI 1.342 to 3.114)' or 'median OS 14 vs 8 months, p < 0.001' (plain)."""
    unit = finding.unit or ""
    suffix = unit if unit == "%" else (f" {unit}" if unit else "")
    parts = []
    if finding.value is not None:
        part = f"{MEASURE_WORDS[finding.measure]} {number(finding.value)}{suffix}"
        if finding.ci:
            part += f" ({interval(finding.ci.lower, finding.ci.upper, finding.ci.level)})"
        parts.append(part)
    if finding.groups:
        values = []
        for group in finding.groups:
            if group.value is None:
                continue
            shown = number(group.value)
            if group.ci:
                shown += f" ({interval(group.ci.lower, group.ci.upper, group.ci.level)})"
            values.append(shown)
        if values:
            parts.append(f"{MEASURE_WORDS[finding.measure]} {' vs '.join(values)}{suffix}")
    if finding.p is not None:
        parts.append(f"p {finding.p_comparator} {number(finding.p)}")
    return ", ".join(parts) if parts else MEASURE_WORDS[finding.measure]


def key_result(study: Study) -> str:
    """A study's main result as a short phrase for evidence tables: its first comparison (a
    ratio, or values for groups), else its first finding."""
    if not study.findings:
        return ""
    comparative = [f for f in study.findings if f.groups or f.measure in {"hr", "or", "rr"}]
    finding = (comparative or study.findings)[0]
    return f"{finding.outcome}: {finding_text(finding)}"


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
