"""Every generated file of the site, as relative path -> bytes, from one knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from kb import exports, references
from kb.model import Claim
from kb.render import overview
from kb.render.claims import claim_feed, feed_path, render_claim
from kb.render.common import Site, record_page
from kb.render.home import render_home
from kb.render.keywords import SearchTerms
from kb.render.reuse import (
    Meta,
    Reuse,
    claim_key,
    download_key,
    final_key,
    study_key,
    terms_key,
)
from kb.render.studies import DOWNLOADS, render_study
from kb.render.tags import page_meta, tag_listing, tag_slugs, with_tag_pages
from kb.render.trials import render_concept, render_trial
from kb.render.verification import render_verification_page

ABBREVIATIONS = "includes/abbreviations.md"
EVIDENCE_DATE = "overrides/partials/evidence-date.html"
"""The evidence date, for the theme's footer and print header on every page (hand-written and
generated alike); no final newline, so no space follows it in a sentence."""


def render_site(site: Site, reuse: Reuse | None = None) -> dict[str, bytes]:
    """Every generated file. With `reuse` (kb.render.reuse), a record page, feed or download
    whose key is unchanged since the last run is read back from the docs folder instead of
    rendered; the files are the same either way."""
    kb = site.kb
    reuse = reuse or Reuse.none()
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
    # record pages and downloads: path -> (key, render)
    records: dict[str, tuple[str | None, Callable[[], str]]] = {}
    for claim_id, claim_file in kb.claims.items():
        claim = claim_file.record
        history = site.history.get(claim_id)
        key = claim_key(reuse, site, claim_id, repr(history)) if reuse.enabled else None
        records[record_page("claim", claim_id)] = (key, partial(render_claim, site, claim))
        if history:
            records[feed_path(claim_id)] = (key, partial(_feed, site, claim))
    for study_id, study_file in kb.studies.items():
        study = study_file.record
        key = study_key(reuse, site, study_id) if reuse.enabled else None
        records[record_page("study", study_id)] = (key, partial(render_study, site, study))
        key = download_key(reuse, site, study_id) if reuse.enabled else None
        for suffix, export in (("bib", references.study_bibtex), ("ris", references.study_ris)):
            path = f"{DOWNLOADS}/studies/{study_id}.{suffix}"
            records[path] = (key, partial(export, kb, study_id))
    for trial_id, trial_file in kb.trials.items():
        pages[record_page("trial", trial_id)] = render_trial(site, trial_file.record)
    for concept_id, concept_file in kb.concepts.items():
        pages[record_page("concept", concept_id)] = render_concept(site, concept_file.record)
    rendered: dict[str, str] = {}
    metas: dict[str, Meta] = {}
    for path, (key, render) in records.items():
        known = reuse.known(path, key)
        if known is None:
            rendered[path] = render()
            known = page_meta(path, rendered[path]) or ("", [])
        if known[1]:
            metas[path] = known
    metas.update({path: meta for path, text in pages.items() if (meta := page_meta(path, text))})
    slugs = tag_slugs({tag for _, tags in metas.values() for tag in tags})
    terms = SearchTerms(kb)
    glossary = terms_key(reuse, site)

    def finish(path: str, text: str) -> str:
        if not path.endswith(".md") or path == ABBREVIATIONS:
            return text
        return terms.add_to(with_tag_pages(text, slugs) if path in metas else text)

    encoded = {path: finish(path, text).encode("utf-8") for path, text in pages.items()}
    for path, text in tag_listing(metas, slugs).items():
        encoded[path] = finish(path, text).encode("utf-8")
    for path, (key, render) in records.items():
        final = final_key(key, metas.get(path, ("", []))[1], slugs, glossary)
        kept = None if path in rendered else reuse.kept(path, key, final)
        if kept is None:
            # each page's text is let go once encoded: at 10,000 studies they are hundreds of MB
            text = rendered.pop(path) if path in rendered else render()
            kept = finish(path, text).encode("utf-8")
            reuse.remember(path, key, final, kept, metas.get(path, ("", [])))
        encoded[path] = kept
    evidence_json = exports.evidence_json(site.evidence, site.today)
    encoded[f"{DOWNLOADS}/evidence.json"] = evidence_json.encode()
    encoded[f"{DOWNLOADS}/references.csl.json"] = references.csl_json(kb).encode()
    # the whole bibliography's BibTeX and RIS are the studies' own, joined (kb.references)
    bib, ris = (
        {i: encoded[f"{DOWNLOADS}/studies/{i}.{s}"].decode() for i in kb.studies}
        for s in ("bib", "ris")
    )
    encoded[f"{DOWNLOADS}/references.bib"] = references.bibtex(kb, bib).encode()
    encoded[f"{DOWNLOADS}/references.ris"] = references.ris(kb, ris).encode()
    encoded[f"{DOWNLOADS}/graph.graphml"] = exports.graphml(site.graph).encode()
    return dict(sorted(encoded.items()))


def _feed(site: Site, claim: Claim) -> str:
    return claim_feed(site, claim).decode("utf-8")
