"""The words the site, the command line and the exports share: one place for each label.

Plain text only; pages escape it (kb.markup) where they print it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from kb.model import Finding, WrittenNumber

DASH = "\u2013"
"""The en dash of ranges: 7.6\u201314.5 months."""
CERTAINTY_WORDS = {"high": "high", "moderate": "moderate", "low": "low", "very-low": "very low"}
"""GRADE's certainty ratings as words in a sentence."""
CERTAINTY_SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very-low": "⊕◯◯◯"}
DOMAIN_WORDS = {
    "risk-of-bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication-bias": "publication bias",
    "large-effect": "large effect",
    "dose-response": "dose-response gradient",
    "plausible-confounding": "plausible confounding",
}
"""GRADE's domains: five that rate down, three that rate up."""
RATING_WORDS = {
    "no-concern": "no concern",
    "serious-concern": "serious concern",
    "very-serious-concern": "very serious concern",
    "none": "not rated up",
    "up-one": "rated up one level",
    "up-two": "rated up two levels",
}
MEASURE_WORDS = {
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
    "difference": "difference",
}
DESIGN_NAMES: dict[str, tuple[str, str]] = {
    "meta-analysis": ("meta-analysis", "meta-analyses"),
    "systematic-review": ("systematic review", "systematic reviews"),
    "rct": ("randomised trial", "randomised trials"),
    "prospective-cohort": ("prospective cohort study", "prospective cohort studies"),
    "retrospective-cohort": ("retrospective cohort study", "retrospective cohort studies"),
    "registry-analysis": ("registry analysis", "registry analyses"),
    "cross-sectional": ("cross-sectional study", "cross-sectional studies"),
    "case-control": ("case-control study", "case-control studies"),
    "case-series": ("case series", "case series"),
    "case-report": ("case report", "case reports"),
    "trial-protocol": ("trial protocol", "trial protocols"),
    "conference-abstract": ("conference abstract", "conference abstracts"),
    "narrative-review": ("narrative review", "narrative reviews"),
    "editorial": ("editorial", "editorials"),
    "expert-opinion": ("expert opinion", "expert opinions"),
    "mechanistic-theory": ("mechanistic theory", "mechanistic theories"),
}
"""Each design as a reader names it, singular and plural, in the order lists show them."""

IDENTIFIER_LABELS = {
    "doi": "DOI",
    "pmid": "PMID",
    "pmcid": "PMCID",
    "nct": "ClinicalTrials.gov",
    "eudract": "EudraCT",
}
"""Each identifier as readers know it, in the order records and pages list them."""
IDENTIFIER_URLS: dict[str, Callable[[str], str]] = {
    "doi": lambda v: f"https://doi.org/{v}",
    "pmid": lambda v: f"https://pubmed.ncbi.nlm.nih.gov/{v}/",
    "pmcid": lambda v: f"https://pmc.ncbi.nlm.nih.gov/articles/{v}/",
    "nct": lambda v: f"https://clinicaltrials.gov/study/{v}",
    "eudract": lambda v: f"https://www.clinicaltrialsregister.eu/ctr-search/search?query={v}",
}
"""The page each identifier names."""


def tag_label(tag: str) -> str:
    """A tag as the site shows it, one vocabulary for the tags a record gives and those kb adds:
    a design or question code as kb names it ('systematic-review' -> 'systematic review', 'rct'
    -> 'randomised trial'), and a slug's hyphens between words as spaces ('liver-metastases' ->
    'liver metastases'; 'ca19-9' and 'phase-2' stay as they are)."""
    if tag in DESIGN_NAMES:
        return design_name(tag)
    return re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", tag)


def design_name(design: str, count: int = 1) -> str:
    singular, plural = DESIGN_NAMES.get(design, (design, design))
    return singular if count == 1 else plural


def certainty_label(rating: str | None) -> str:
    """'High', 'Very low'; 'Not rated' when there is no rating."""
    return CERTAINTY_WORDS[rating].capitalize() if rating else "Not rated"


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """The word for `count` things: 'study', 'studies'."""
    return singular if count == 1 else (plural or singular + "s")


def counted(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 study', '3 studies', '0 claims'."""
    return f"{count:,} {plural(count, singular, plural_form)}"


def count_phrase(count: int, singular: str, plural_form: str | None = None) -> str:
    """Like `counted`, but 'no studies' for none, as a sentence says it."""
    return f"{'no' if count == 0 else f'{count:,}'} {plural(count, singular, plural_form)}"


def join_words(words: Sequence[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def quoted_ids(kind: str, ids: Sequence[str], plural_kind: str | None = None) -> str:
    """ "study 'a'" or "studies 'a', 'b'", as problem messages name records."""
    names = ", ".join(f"'{record_id}'" for record_id in ids)
    return f"{plural(len(ids), kind, plural_kind)} {names}"


def number(value: float) -> str:
    """A number as the record writes it, with its precision ('0.220', '29.0'); a number kb
    computed, as short as it is: no float noise, no exponent."""
    if isinstance(value, WrittenNumber) and (written := _plain(value.text)) is not None:
        return written
    out = format(Decimal(repr(float(value))), "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


_DECIMAL = re.compile(r"([-+]?)([0-9]*)(?:\.([0-9]*))?")


def _plain(text: str) -> str | None:
    """YAML's way of writing a decimal ('+.5', '1_000.0') as people write it ('0.5',
    '1000.0'); None for what is no plain decimal (an exponent, a base-60 number)."""
    match = _DECIMAL.fullmatch(text.replace("_", "").strip())
    if match is None or not (match.group(2) or match.group(3)):
        return None
    sign = "-" if match.group(1) == "-" else ""
    whole, fraction = match.group(2) or "0", match.group(3)
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def interval(lower: float, upper: float, level: float) -> str:
    return f"{number(level * 100)}% CI {number(lower)}\u2013{number(upper)}"


def finding_text(finding: Finding, groups: bool = True) -> str:
    """A result as a reader says it: 'HR 2.044 (95% CI 1.342 to 3.114), no resection vs
    resection' or 'median OS 14 months (resected) vs 8 months (explored), p < 0.001'. Plain
    text; without `groups`, the group values are left out."""
    unit = finding.unit or ""

    def amount(value: float | None, low: float | None = None, high: float | None = None) -> str:
        suffix = unit if unit == "%" else (f" {unit}" if unit else "")
        shown = (
            number(value) if value is not None else f"{number(low or 0)}{DASH}{number(high or 0)}"
        )
        return f"{shown}{suffix}"

    parts = []
    measure = MEASURE_WORDS[finding.measure]
    shown_groups = [g for g in finding.groups if g.value is not None or g.range is not None]
    group_values = {g.value for g in shown_groups}
    if finding.value is not None and not (groups and group_values == {finding.value}):
        part = f"{measure} {amount(finding.value)}"
        if finding.ci:
            part += f" ({interval(finding.ci.lower, finding.ci.upper, finding.ci.level)})"
        if finding.comparison:
            reference = finding.comparison.reference or "the reference (not stated)"
            part += f", {finding.comparison.group} vs {reference}"
        parts.append(part)
    elif finding.value is None and finding.range is not None:
        parts.append(f"{measure} {amount(None, finding.range.low, finding.range.high)}")
    elif finding.value is None and finding.comparison and not shown_groups:
        reference = finding.comparison.reference or "the reference (not stated)"
        parts.append(f"{measure}, {finding.comparison.group} vs {reference}")
    if groups and shown_groups:
        values = []
        for group in shown_groups:
            low, high = (group.range.low, group.range.high) if group.range else (None, None)
            shown = amount(group.value, low, high)
            if group.ci:
                shown += f" ({interval(group.ci.lower, group.ci.upper, group.ci.level)})"
            values.append(f"{shown} ({group.name})")
        parts.append(f"{measure} {' vs '.join(values)}")
    if finding.p is not None:
        parts.append(f"p {finding.p_comparator} {number(finding.p)}")
    if not parts or parts == [measure]:
        return f"{finding.outcome[0].lower()}{finding.outcome[1:]}, reported without figures"
    return ", ".join(parts)
