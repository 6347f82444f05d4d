"""A claim's summary of findings (one row per outcome: studies, patients, effect, certainty and
what it means) and its GRADE evidence profile (each domain by outcome), with lettered notes
that give the reason for every concern."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb import markup
from kb.bodies import Item
from kb.certainty import OutcomeCertainty
from kb.domains import DOMAINS_DOWN
from kb.render.common import Site, certainty_badge
from kb.statements import outcome_statement, per_thousand
from kb.summarize import evidence_size
from kb.words import (
    DASH,
    DOMAIN_WORDS,
    MEASURE_WORDS,
    RATING_WORDS,
    finding_text,
    interval,
    number,
)


@dataclass
class Notes:
    """Lettered notes shared by the two tables: each reason is written once."""

    texts: list[str] = field(default_factory=list)

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return chr(ord("a") + self.texts.index(text))

    def render(self) -> str:
        return "\n".join(
            f"- **{chr(ord('a') + i)}** {markup.text(text)}" for i, text in enumerate(self.texts)
        )


def summary_of_findings(site: Site, claim_id: str, notes: Notes) -> str:
    claim = site.kb.claim(claim_id)
    certainty = site.certainty(claim_id)
    rows = []
    for rated in sorted(certainty.outcomes, key=_order):
        body = site.evidence.body(claim_id, rated.outcome.id)
        concerns = [
            notes.mark(f"{DOMAIN_WORDS[d.name].capitalize()}: {d.reason}.")
            for d in rated.domains
            if d.steps
        ]
        marks = f" <sup>{', '.join(concerns)}</sup>" if concerns else ""
        rows.append(
            (
                f"**{markup.text(rated.outcome.name)}**<br>{rated.outcome.importance}",
                markup.text(evidence_size(rated)) if rated.final else "none",
                _effect(site, claim_id, rated),
                (certainty_badge(rated.final) + marks) if rated.final else "Not rated",
                markup.text(outcome_statement(claim, body, rated)),
            )
        )
    return markup.table(
        ["Outcome", "Studies and patients", "Effect", "Certainty", "What it means"], rows
    )


def evidence_profile(site: Site, claim_id: str, notes: Notes) -> str:
    certainty = site.certainty(claim_id)
    rows = []
    for rated in sorted(certainty.outcomes, key=_order):
        if rated.start is None:
            continue
        cells = []
        for name in DOMAINS_DOWN:
            domain = next(d for d in rated.domains if d.name == name)
            mark = notes.mark(f"{DOMAIN_WORDS[name].capitalize()}: {domain.reason}.")
            cells.append(f"{RATING_WORDS[domain.rating]} <sup>{mark}</sup>")
        ups = [d for d in rated.domains if d.name not in DOMAINS_DOWN and d.steps]
        up = "; ".join(f"{DOMAIN_WORDS[d.name]} <sup>{notes.mark(d.reason)}</sup>" for d in ups)
        start_mark = notes.mark(f"Starting certainty: {rated.start_reason}.")
        rows.append(
            (
                markup.text(rated.outcome.name),
                f"{certainty_badge(rated.start)} <sup>{start_mark}</sup>",
                *cells,
                up or "none",
                certainty_badge(rated.final),
            )
        )
    if not rows:
        return "No outcome of this claim has evidence that GRADE rates."
    headers = ["Outcome", "Starts", *(DOMAIN_WORDS[d].capitalize() for d in DOMAINS_DOWN)]
    return markup.table([*headers, "Rated up", "Certainty"], rows)


def _order(rated: OutcomeCertainty) -> int:
    """Critical outcomes first, each group in the order the claim lists them (a stable sort)."""
    return {"critical": 0, "important": 1}[rated.outcome.importance]


def _effect(site: Site, claim_id: str, rated: OutcomeCertainty) -> str:
    """The pooled estimate, or each study's finding; and events per 1,000 where the claim
    records a baseline risk."""
    body = site.evidence.body(claim_id, rated.outcome.id)
    lines = []
    pooled = rated.pooled
    if pooled is not None:
        pi = (
            f"; prediction interval {number(round(pooled.prediction_lower, 3))}{DASH}"
            f"{number(round(pooled.prediction_upper, 3))}"
            if pooled.prediction_lower is not None and pooled.prediction_upper is not None
            else ""
        )
        lines.append(
            f"**Pooled {MEASURE_WORDS[pooled.measure]} {number(round(pooled.estimate, 3))}** "
            f"({interval(round(pooled.ci_lower, 3), round(pooled.ci_upper, 3), 0.95)}; "
            f"{pooled.k} studies, {markup.text(pooled.method)}, I² {pooled.i2:.0%}{pi})"
        )
    studies = []
    for item in body.items:
        if item.finding is None:
            continue
        turned = _turned(item) if item.inverted else ""
        relation = "" if item.relation == "supports" else f" ({item.relation} the claim)"
        studies.append(
            f"{markup.text(item.label)}{relation}: "
            f"{markup.text(finding_text(item.finding) + turned)}"
        )
    if studies:
        # each study's own result is searched on the study's page, not once more for each claim
        lines.append(f"<span data-search-exclude>{'<br>'.join(studies)}</span>")
    absolute = _absolute(site, claim_id, rated)
    if absolute:
        lines.append(absolute)
    return "<br>".join(lines) or "no result"


def _turned(item: Item) -> str:
    """What kb compares after turning a finding round: 'HR 0.49 (95% CI 0.32-0.75), resection
    vs no resection', rounded to two decimals as it is computed, not printed, by the source."""
    estimate, finding = item.estimate(), item.finding
    if estimate is None or finding is None:
        return " (turned round to the claim's comparison)"
    measure = MEASURE_WORDS[finding.measure]
    shown = (
        f"{measure} {number(round(estimate.value, 2))} "
        f"({interval(round(estimate.lower, 2), round(estimate.upper, 2), estimate.level)})"
    )
    comparison = finding.comparison
    if comparison and comparison.reference:
        shown += f", {comparison.reference} vs {comparison.group}"
    return f"; turned round by kb to the claim's comparison: {shown}"


def _absolute(site: Site, claim_id: str, rated: OutcomeCertainty) -> str:
    baseline = rated.outcome.baseline_risk
    estimate = rated.estimate
    body = site.evidence.body(claim_id, rated.outcome.id)
    measures = {i.finding.measure for i in body.items if i.finding and i.estimate()}
    measure = rated.pooled.measure if rated.pooled else next(iter(measures), None)
    if baseline is None or estimate is None or measure not in {"hr", "rr", "or"}:
        return ""
    without, with_it, low, high = per_thousand(measure, estimate, baseline.risk)
    source = site.evidence.label(baseline.study)
    return markup.text(
        f"{without} per 1,000 without, {with_it} per 1,000 with ({low} to {high}), "
        f"{baseline.at}; baseline risk from {source}"
    )
