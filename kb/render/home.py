"""The home page: the question, then the answer topic by topic (a bottom line in GRADE's words
from the summaries of findings, and each claim with its certainty and its effect on the
critical outcomes), what is still unknown, and the evidence date.

Topics come in the order question.yaml gives them (the others after, alphabetically); within
a topic, claims about an intervention come first, then prognosis, diagnosis and frequency, and
claims with evidence before claims without.
"""

from __future__ import annotations

from kb import markup
from kb.bodies import Item
from kb.certainty import OutcomeCertainty
from kb.grade import REVIEWS
from kb.model import Claim
from kb.render.common import Site, certainty_badge, record_link
from kb.render.forests import RATIO_NAMES
from kb.statements import outcome_statement
from kb.summarize import evidence_size, trial_name, trial_status_phrase
from kb.trials import is_overdue
from kb.words import counted, finding_text, interval, number

PAGE = "index.md"
QUESTION_ORDER = (
    "treatment-benefit",
    "treatment-harm-common",
    "treatment-harm-rare",
    "screening",
    "prognosis",
    "diagnosis",
    "prevalence",
)
INTERVENTION = frozenset(QUESTION_ORDER[:4])
EFFECTS_SHOWN = 2
"""Findings listed for an outcome whose findings are not pooled; the claim page has them all."""
BOTTOM_LINE_CLAIMS = 3
"""A topic's bottom line speaks of its first claims; the table below it lists them all."""


def topics(site: Site) -> list[tuple[str, list[Claim]]]:
    """(topic, its claims in order of clinical importance), in the question's order; topics the
    question does not list follow in the order of their first claim's id (KB320 warns of them),
    so that how a topic is worded never moves it."""
    grouped: dict[str, list[Claim]] = {}
    for _, loaded in sorted(site.kb.claims.items()):
        grouped.setdefault(loaded.record.topic, []).append(loaded.record)
    listed = site.kb.question.topics if site.kb.question else []
    order = [t for t in listed if t in grouped]
    order += [t for t in grouped if t not in order]

    def importance(claim: Claim) -> tuple[int, int, str]:
        rated = site.certainty(claim.id).final is not None
        return (QUESTION_ORDER.index(claim.question), 0 if rated else 1, claim.id)

    return [(topic, sorted(grouped[topic], key=importance)) for topic in order]


def critical(site: Site, claim: Claim) -> list[OutcomeCertainty]:
    """The outcomes that decide the claim: its critical ones (its important ones if it has no
    critical outcome)."""
    outcomes = site.certainty(claim.id).outcomes
    chosen = [o for o in outcomes if o.outcome.importance == "critical"]
    return chosen or list(outcomes)


def bottom_line(site: Site, claims: list[Claim]) -> str:
    """The topic's first claims, one GRADE statement each (of the claim's first critical
    outcome with evidence), led by its certainty and ending with the size of the evidence and
    a link to the claim."""
    items = []
    for claim in claims[:BOTTOM_LINE_CLAIMS]:
        outcomes = critical(site, claim)
        rated = next((o for o in outcomes if o.final), outcomes[0])
        body = site.evidence.body(claim.id, rated.outcome.id)
        sentence = outcome_statement(claim, body, rated)
        if rated.final:
            sentence = f"{sentence[:-1]} ({evidence_size(rated)})."
        link = record_link(site, "claim", claim.id, PAGE, "the claim")
        items.append(
            f"- {certainty_badge(site.certainty(claim.id).final)}: {markup.text(sentence)} "
            f"See {link}."
        )
    more = len(claims) - BOTTOM_LINE_CLAIMS
    if more > 0:
        items.append(f"- {counted(more, 'more claim')} in the table below.")
    return "\n".join(items)


def effect(site: Site, claim: Claim, rated: OutcomeCertainty) -> str:
    """The outcome's effect in a few words: the pooled estimate, the one finding, or how many
    findings there are."""
    body = site.evidence.body(claim.id, rated.outcome.id)
    pooled = rated.pooled
    if pooled is not None:
        words = RATIO_NAMES.get(pooled.measure, pooled.measure)
        return (
            f"pooled {words.lower()} {number(round(pooled.estimate, 2))} "
            f"({interval(round(pooled.ci_lower, 2), round(pooled.ci_upper, 2), 0.95)}), "
            f"{counted(pooled.k, 'study', 'studies')}"
        )
    items = [item for item in body.items if item.finding is not None]
    if not items:
        return "no study with results"
    shown = [f"{item.label}: {_finding_words(item)}" for item in items[:EFFECTS_SHOWN]]
    more = len(items) - EFFECTS_SHOWN
    if more > 0:
        shown.append(f"{counted(more, 'more finding')} on the claim's page")
    return "; ".join(shown)


def _finding_words(item: Item) -> str:
    """The finding as printed, or as kb compares it when the link turns it round."""
    finding, estimate = item.finding, item.estimate()
    if finding is None:
        return ""
    if item.inverted and estimate is not None:
        words = RATIO_NAMES.get(finding.measure, finding.measure)
        return (
            f"{words.lower()} {number(round(estimate.value, 2))} "
            f"({interval(round(estimate.lower, 2), round(estimate.upper, 2), 0.95)}), "
            "turned round to the claim's comparison"
        )
    return finding_text(finding)


def claims_table(site: Site, claims: list[Claim]) -> str:
    rows = []
    for claim in claims:
        outcomes = critical(site, claim)
        effects = "<br>".join(
            f"**{markup.text(o.outcome.name)}**"
            + (
                ""
                if o.outcome.importance == "critical"
                else " (important outcome; no critical one)"
            )
            + f": {markup.text(effect(site, claim, o))}"
            for o in outcomes
        )
        rows.append(
            (
                record_link(site, "claim", claim.id, PAGE, claim.statement),
                certainty_badge(site.certainty(claim.id).final),
                effects,
            )
        )
    return markup.table(["Claim", "Certainty", "Effect on the critical outcomes"], rows)


def unknowns(site: Site) -> str:
    """Trials to come or overdue, critical outcomes without evidence, and designs that no
    counted study has."""
    lines = []
    for trial_id, loaded in sorted(site.kb.trials.items()):
        trial = loaded.record
        overdue = " (overdue)" if is_overdue(trial, site.today) else ""
        lines.append(
            f"- {record_link(site, 'trial', trial_id, PAGE, trial_name(trial))}{overdue}: "
            f"{markup.text(trial_status_phrase(trial, site.today))}"
        )
    missing = [
        (claim_id, o.outcome.name)
        for claim_id in sorted(site.kb.claims)
        for o in site.certainty(claim_id).outcomes
        if o.outcome.importance == "critical" and o.final is None
    ]
    for claim_id, name in missing:
        claim = site.kb.claim(claim_id)
        lines.append(
            f"- No study with results reports on {markup.text(name)} for the claim "
            f"{record_link(site, 'claim', claim_id, PAGE, claim.statement)}"
        )
    lines += _absent_designs(site)
    return "\n".join(lines) or "Nothing is recorded as unknown."


def _absent_designs(site: Site) -> list[str]:
    """'No randomised trial has reported on ...' for intervention claims without one."""
    intervention = [c for c in site.kb.claims.values() if c.record.question in INTERVENTION]
    if not intervention:
        return []
    randomised = False
    for loaded in intervention:
        for study_id in site.certainty(loaded.record.id).counted:
            study = site.kb.study(study_id)
            designs = study.includes.designs if study.design in REVIEWS and study.includes else []
            randomised |= study.design == "rct" or "rct" in designs
    if randomised:
        return []
    return [
        "- No randomised trial has reported on any treatment in this knowledge base: every "
        "estimate of benefit comes from observational studies of selected patients."
    ]


def render_home(site: Site) -> str:
    question = site.kb.question
    title = question.title if question else "Evidence"
    # the header bar names the site: the page itself opens with the question
    body = [f"# {markup.text(question.question if question else title)}"]
    body.append(
        f"*Evidence as of {site.evidence_date.isoformat()}. Certainty by GRADE, "
        f"{markup.page_link('as explained in Methods', 'methods.md', PAGE)}.*"
    )
    for topic, claims in topics(site):
        body += [
            f"## {markup.text(topic)}",
            bottom_line(site, claims),
            markup.not_searched(claims_table(site, claims)),
        ]
    body += ["## What is still unknown", unknowns(site)]
    if question and question.summary:
        body += ["## About this question", markup.paragraphs(question.summary)]
    body.append(
        "*Certainty of the evidence: "
        + ", ".join(certainty_badge(r) for r in ("high", "moderate", "low", "very-low"))
        + f". Trials are judged overdue as of {site.today.isoformat()}.*"
    )
    return (
        markup.front_matter({"title": markup.plain_title(title), "search": {"boost": 2}})
        + "\n"
        + "\n\n".join(part for part in body if part)
        + "\n"
    )
