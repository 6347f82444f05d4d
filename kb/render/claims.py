"""Claim pages: statement and certainty, plain-language summary, summary of findings, evidence
profile, evidence table, quotes, trials and the claim's neighbourhood in the graph."""

from __future__ import annotations

from kb import feeds, figures, markup
from kb.model import Claim, Link
from kb.render.common import (
    Site,
    certainty_badge,
    link_details,
    record_link,
    record_page,
    source_words,
)
from kb.render.figure import figure
from kb.render.forests import outcome_forest
from kb.render.sof import Notes, evidence_profile, summary_of_findings
from kb.render.tags import Meta
from kb.render.verification import claim_banners
from kb.summarize import claim_summary, patients
from kb.trials import is_overdue, results_due
from kb.words import design_name, finding_text, tag_label


def claim_tags(claim: Claim) -> list[str]:
    tags = (markup.plain_title(tag_label(t)) for t in claim.tags)
    return sorted({markup.plain_title(claim.topic), *tags})


def claim_meta(claim: Claim) -> Meta:
    """The claim page's title and tags, as its front matter gives them."""
    return markup.plain_title(claim.statement, 90), claim_tags(claim)


def render_claim(site: Site, claim: Claim) -> str:
    page = record_page("claim", claim.id)
    certainty = site.certainty(claim.id)
    notes = Notes()
    title, tags = claim_meta(claim)
    parts = [
        markup.front_matter({"title": title, "tags": tags, "search": {"boost": 2}}),
        f"# {markup.text(claim.statement)}",
        *claim_banners(site, claim.id, certainty),
        _verdict(site, claim),
        # the same words on every claim: nothing a search should find a claim by
        markup.not_searched(_dates(site, claim)),
        markup.text(claim_summary(site.evidence, claim.id, site.today)),
        "## Summary of findings",
        '<div class="kb-sof" markdown>',
        summary_of_findings(site, claim.id, notes),
        "</div>",
        *[outcome_forest(site, claim, rated) for rated in certainty.outcomes],
        "## Evidence profile" + markup.NOT_SEARCHED,
        "How the certainty of each outcome was reached: where its best design starts, and what "
        "each GRADE domain takes off or adds. "
        + markup.page_link("How certainty is rated", "methods.md", page)
        + ".",
        evidence_profile(site, claim.id, notes),
        *(
            ['<div class="kb-notes" markdown>', "Notes to the tables:", notes.render(), "</div>"]
            if notes.texts
            else []
        ),
        *_screen_only(_scope(claim)),
        "## Evidence" + markup.NOT_SEARCHED,
        '<div class="kb-evidence-table" markdown>',
        _evidence_table(site, claim, page),
        "</div>",
        *_screen_only(_quotes(site, claim, page)),
        *_screen_only(_trials(site, claim, page)),
        *(["## Notes" + markup.NOT_SEARCHED, markup.paragraphs(claim.note)] if claim.note else []),
        PRINTED_NOTE,
        *_screen_only(
            [
                *_dependencies(site, claim, page),
                *_changes(site, claim, page),
                "## Where it sits in the evidence graph" + markup.NOT_SEARCHED,
                figure(
                    figures.claim_neighbourhood(site.graph, claim.id, site.url_from(page)),
                    "Claim neighbourhood: the studies, trials and claims linked to this claim; "
                    "the same links are listed in the tables above.",
                    text_version="evidence",
                ),
            ]
        ),
    ]
    parts.append(
        markup.json_ld(
            {
                "@context": "https://schema.org",
                "@type": "Claim",
                "identifier": claim.id,
                "text": claim.statement,
                "about": claim.topic,
            }
        )
    )
    return "\n\n".join(part for part in parts if part) + "\n"


def _verdict(site: Site, claim: Claim) -> str:
    """A neutral note: the claim's certainty, which outcomes decide it, and what is set aside."""
    certainty = site.certainty(claim.id)
    page = record_page("claim", claim.id)
    lines = [f'!!! note "Certainty of the evidence: {certainty_badge(certainty.final)}"', ""]
    body = [markup.text(certainty.basis)]
    for study_id, reason in certainty.excluded:
        body.append(
            f"**Left out**: {record_link(site, 'study', study_id, page)}, "
            f"{markup.text(reason)}. With it, the certainty would be "
            f"{certainty_badge(certainty.computed_with_excluded)}."
        )
    if certainty.contested:
        body.append("**Contested**: studies both support and refute this claim.")
    body.append(markup.page_link("How certainty is rated", "methods.md", page) + ".")
    lines += ["    " + line for line in "\n\n".join(body).split("\n")]
    return "\n".join(line.rstrip() for line in lines)


PRINTED_NOTE = (
    "<p class=\"kb-print-only\">On paper this page leaves out the claim's scope, each study's "
    "key result (the summary of findings gives them) and own words, what each outcome's "
    "certainty means in words (the summary under the title says it), the table of trials (the "
    "summary names them), the claims that rest on this one, what changed over time and the "
    "evidence graph; the page online has them.</p>"
)


def _screen_only(blocks: list[str]) -> list[str]:
    """Sections a printed claim leaves out, so that it fits two A4 pages (kb.css)."""
    shown = [block for block in blocks if block]
    if not shown:
        return []
    return ['<div class="kb-screen-only" markdown>', *shown, "</div>"]


def _dates(site: Site, claim: Claim) -> str:
    reviewed = claim.reviewed or "not recorded"
    return (
        f"*Evidence as of {site.evidence_date.isoformat()}. Last reviewed by a curator: "
        f"{markup.text(reviewed)}.*"
    )


def _changes(site: Site, claim: Claim, page: str) -> list[str]:
    """What changed, newest first, from the evidence's git history; and the claim's feed."""
    changes = site.history.get(claim.id, [])
    if not changes:
        return []
    items = [
        f"- **{change.date.isoformat()}**: " + "; ".join(markup.text(w) for w in change.what)
        for change in sorted(changes, key=lambda c: (c.date, c.commit), reverse=True)
    ]
    feed = markup.page_link(
        "Follow the changes to this claim (Atom feed)", feed_path(claim.id), page
    )
    return ["## What changed" + markup.NOT_SEARCHED, "\n".join(items), feed + "."]


def feed_path(claim_id: str) -> str:
    return f"feeds/{claim_id}.xml"


def claim_feed(site: Site, claim: Claim) -> bytes:
    """The claim's Atom feed, linking to its page (absolute when the site's address is known)."""
    address = f"claims/{claim.id}/" if site.directory_urls else f"claims/{claim.id}.html"
    url = f"{site.site_url.rstrip('/')}/{address}" if site.site_url else f"../{address}"
    name = site.kb.question.title if site.kb.question else "Evidence"
    changes = site.history.get(claim.id, [])
    return feeds.claim_feed(claim.id, claim.statement, changes, url, name)


def _scope(claim: Claim) -> list[str]:
    rows = [
        (label, value)
        for label, value in (
            ("Population", claim.scope.population),
            ("Intervention or exposure", claim.scope.intervention),
            ("Comparator", claim.scope.comparator),
            ("Outcome", claim.scope.outcome),
        )
        if value
    ]
    if not rows:
        return []
    cells = [(f"**{label}**", markup.text(value)) for label, value in rows]
    return ["## Scope", markup.table(["Element", "Scope of the claim"], cells)]


def _evidence_table(site: Site, claim: Claim, page: str) -> str:
    evidence = site.evidence.linked(claim.id)
    if not evidence:
        return "No study is linked to this claim yet."
    retracted = site.verification.retracted
    rows = []
    for study_id, link in evidence:
        study = site.kb.study(study_id)
        level = site.level(study_id).level
        size = patients(study)
        rows.append(
            (
                record_link(site, "study", study_id, page),
                markup.text(design_name(study.design)),
                str(level) if level else "not graded",
                f"{size:,}" if size is not None else "",
                markup.text(link.relation)
                + (" (retracted, not counted)" if study_id in retracted else ""),
                _key_result(site, study_id, link),
                markup.text(link.locator or ""),
            )
        )
    return markup.table(
        ["Study", "Design", "Level", "n", "Relation", "Key result", "Locator"], rows
    )


def _key_result(site: Site, study_id: str, link: Link) -> str:
    """The findings the link names, each with the claim outcome it informs; or what the link
    rests on when it names none."""
    if link.rests_on == "text":
        return "the source's argument; no results of its own"
    findings = {f.id: f for f in site.kb.study(study_id).findings}
    outcomes = {o.id: o.name for o in site.kb.claim(link.claim).outcomes}
    shown = [
        f"{markup.text(outcomes.get(ref.outcome, ref.outcome))}: "
        f"{markup.text(finding_text(findings[ref.finding]))}"
        for ref in link.findings
        if ref.finding in findings
    ]
    return "<br>".join(shown)


def _quotes(site: Site, claim: Claim, page: str) -> list[str]:
    items = []
    for study_id, link in site.evidence.linked(claim.id):
        entry = f"- {record_link(site, 'study', study_id, page)} ({markup.text(link.relation)})"
        entry += source_words(link.quote, link.paraphrase)
        if link.locator:
            entry += f" — {markup.text(link.locator)}"
        items.append(entry + link_details(link))
    return ["### What each study says" + markup.NOT_SEARCHED, "\n".join(items)] if items else []


def _trials(site: Site, claim: Claim, page: str) -> list[str]:
    trial_ids = site.evidence.trials_testing(claim.id)
    if not trial_ids:
        return [
            "## Trials" + markup.NOT_SEARCHED,
            "No registered trial in this knowledge base tests this claim.",
        ]
    rows = []
    for trial_id in trial_ids:
        trial = site.kb.trial(trial_id)
        due = results_due(trial)
        state = f"overdue as of {site.today.isoformat()}" if is_overdue(trial, site.today) else ""
        rows.append(
            (
                record_link(site, "trial", trial_id, page),
                markup.text(trial.status.overall if trial.status else "not recorded"),
                markup.text(due or "not recorded"),
                markup.text(state),
            )
        )
    return ["## Trials", markup.table(["Trial", "Status", "Results due", "Overdue"], rows)]


def _dependencies(site: Site, claim: Claim, page: str) -> list[str]:
    parents = [
        record_link(site, "claim", c, page, site.kb.claim(c).statement)
        for c in claim.depends_on
        if c in site.kb.claims
    ]
    dependants = [
        record_link(site, "claim", c, page, site.kb.claim(c).statement)
        for c in site.evidence.dependants(claim.id)
    ]
    parts = []
    if parents:
        parts += ["## Rests on", "\n".join(f"- {p}" for p in parents)]
    if dependants:
        parts += ["## Claims that rest on this one", "\n".join(f"- {d}" for d in dependants)]
    return parts
