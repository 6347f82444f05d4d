"""What every page needs: the shared context, page paths, labels and number formatting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import networkx as nx

from kb import markup
from kb.corpus import KnowledgeBase
from kb.grade import ClaimCertainty, StudyLevel, claim_certainty, study_level
from kb.model import Finding, Identifier, Identifiers, Link, Study
from kb.verification import Verification, verify_kb

FOLDERS = {"study": "studies", "claim": "claims", "trial": "trials", "concept": "concepts"}
SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very-low": "⊕◯◯◯"}
WORDS = {"high": "High", "moderate": "Moderate", "low": "Low", "very-low": "Very low"}
CONCERN_WORDS = {
    "no-concern": "no concern",
    "serious-concern": "serious concern",
    "very-serious-concern": "very serious concern",
}
MEASURES = {
    "median-os": "median OS",
    "median-pfs": "median PFS",
    "hr": "HR",
    "or": "OR",
    "rr": "RR",
    "rate": "rate",
    "proportion": "proportion",
    "mean": "mean",
    "median": "median",
    "mean-difference": "mean difference",
    "count": "count",
}
IDENTIFIER_URLS: dict[str, Callable[[str], str]] = {
    "doi": lambda v: f"https://doi.org/{v}",
    "pmid": lambda v: f"https://pubmed.ncbi.nlm.nih.gov/{v}/",
    "pmcid": lambda v: f"https://pmc.ncbi.nlm.nih.gov/articles/{v}/",
    "nct": lambda v: f"https://clinicaltrials.gov/study/{v}",
    "eudract": lambda v: f"https://www.clinicaltrialsregister.eu/ctr-search/search?query={v}",
}
IDENTIFIER_NAMES = {
    "doi": "DOI",
    "pmid": "PMID",
    "pmcid": "PMCID",
    "nct": "ClinicalTrials.gov",
    "eudract": "EudraCT",
}


@dataclass
class Site:
    """Everything the page renderers share; grades are computed once per record."""

    kb: KnowledgeBase
    graph: nx.MultiDiGraph
    today: dt.date
    evidence_date: dt.date
    directory_urls: bool = True
    verification: Verification = field(init=False)
    """Both verifications of every identifier, and the retracted studies left out."""
    _certainty: dict[str, ClaimCertainty] = field(default_factory=dict)
    _level: dict[str, StudyLevel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.verification = verify_kb(self.kb)

    def certainty(self, claim_id: str) -> ClaimCertainty:
        """The claim's certainty, computed without retracted studies."""
        if claim_id not in self._certainty:
            claim = self.kb.claims[claim_id][0]
            self._certainty[claim_id] = claim_certainty(
                self.kb, self.graph, claim, self.verification.excluded
            )
        return self._certainty[claim_id]

    def level(self, study_id: str) -> StudyLevel:
        if study_id not in self._level:
            self._level[study_id] = study_level(self.kb.studies[study_id][0])
        return self._level[study_id]

    def url_from(self, page: str) -> Callable[[str, str], str]:
        """For raw HTML (SVG) on `page`: the URL of a record's page."""
        return lambda kind, record_id: markup.page_url(
            record_page(kind, record_id), page, self.directory_urls
        )


def record_page(kind: str, record_id: str) -> str:
    return f"{FOLDERS[kind]}/{record_id}.md"


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
        return site.kb.trials[record_id][0].acronym or record_id
    if kind == "concept" and record_id in site.kb.concepts:
        return site.kb.concepts[record_id][0].term
    return record_id


def study_label(site: Site, study_id: str) -> str:
    """'Oweira et al. 2017'; without a verified author, the start of the title."""
    study = site.kb.studies[study_id][0]
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
        part = f"{MEASURES[finding.measure]} {number(finding.value)}{suffix}"
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
            parts.append(f"{MEASURES[finding.measure]} {' vs '.join(values)}{suffix}")
    if finding.p is not None:
        parts.append(f"p {finding.p_comparator} {number(finding.p)}")
    return ", ".join(parts) if parts else MEASURES[finding.measure]


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
        for name in IDENTIFIER_URLS
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
    if rating is None:
        return "Not rated"
    return f"{SYMBOLS[rating]} {WORDS[rating]}"
