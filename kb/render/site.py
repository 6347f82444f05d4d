"""Every generated file of the site, as relative path -> bytes, from one knowledge base."""

from __future__ import annotations

from kb import exports, references
from kb.render import overview
from kb.render.claims import claim_feed, feed_path, render_claim
from kb.render.common import Site, record_page
from kb.render.home import render_home
from kb.render.keywords import SearchTerms
from kb.render.studies import DOWNLOADS, render_study
from kb.render.tags import render_tag_pages
from kb.render.trials import render_concept, render_trial
from kb.render.verification import render_verification_page

ABBREVIATIONS = "includes/abbreviations.md"
EVIDENCE_DATE = "overrides/partials/evidence-date.html"
"""The evidence date, for the theme's footer and print header on every page (hand-written and
generated alike); no final newline, so no space follows it in a sentence."""


def render_site(site: Site) -> dict[str, bytes]:
    kb = site.kb
    pages: dict[str, str] = {
        "index.md": render_home(site),
        **overview.render_claims_index(site),
        **overview.render_studies_index(site),
        **overview.render_trials_index(site),
        **overview.render_concepts_index(site),
        **overview.render_evidence_map(site),
        **overview.render_graph_page(site),
        **overview.render_bibliography(site),
        "downloads.md": overview.render_downloads(site),
        **render_verification_page(site),
        ABBREVIATIONS: overview.render_abbreviations(site),
        EVIDENCE_DATE: f'<time datetime="{site.evidence_date}">{site.evidence_date}</time>',
    }
    feeds: dict[str, bytes] = {}
    for claim_id, claim_file in kb.claims.items():
        claim = claim_file.record
        pages[record_page("claim", claim_id)] = render_claim(site, claim)
        if site.history.get(claim_id):
            feeds[feed_path(claim_id)] = claim_feed(site, claim)
    for study_id, study_file in kb.studies.items():
        study = study_file.record
        pages[record_page("study", study_id)] = render_study(site, study)
        pages[f"{DOWNLOADS}/studies/{study_id}.bib"] = references.study_bibtex(kb, study_id)
        pages[f"{DOWNLOADS}/studies/{study_id}.ris"] = references.study_ris(kb, study_id)
    for trial_id, trial_file in kb.trials.items():
        trial = trial_file.record
        pages[record_page("trial", trial_id)] = render_trial(site, trial)
    for concept_id, concept_file in kb.concepts.items():
        concept = concept_file.record
        pages[record_page("concept", concept_id)] = render_concept(site, concept)
    pages = render_tag_pages(pages)
    terms = SearchTerms(kb)
    pages = {
        path: terms.add_to(text) if path.endswith(".md") and path != ABBREVIATIONS else text
        for path, text in pages.items()
    }
    pages[f"{DOWNLOADS}/evidence.json"] = exports.evidence_json(site.evidence, site.today)
    pages[f"{DOWNLOADS}/references.csl.json"] = references.csl_json(kb)
    pages[f"{DOWNLOADS}/references.bib"] = references.bibtex(kb)
    pages[f"{DOWNLOADS}/references.ris"] = references.ris(kb)
    pages[f"{DOWNLOADS}/graph.graphml"] = exports.graphml(site.graph)
    encoded = {path: text.encode("utf-8") for path, text in pages.items()}
    return dict(sorted({**encoded, **feeds}.items()))
