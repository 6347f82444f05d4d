"""Every generated file of the site, as relative path and bytes, from one knowledge base."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from kb import exports, references
from kb.model import Claim
from kb.render import overview
from kb.render.claims import claim_feed, claim_meta, feed_path, render_claim
from kb.render.common import Site, record_page
from kb.render.home import render_home
from kb.render.keywords import SearchTerms
from kb.render.reuse import (
    Reuse,
    claim_key,
    download_key,
    final_key,
    study_key,
    terms_key,
)
from kb.render.studies import DOWNLOADS, render_study, study_meta
from kb.render.tags import Meta, page_meta, tag_listing, tag_slugs, with_tag_pages
from kb.render.trials import render_concept, render_trial
from kb.render.verification import render_verification_page

ABBREVIATIONS = "includes/abbreviations.md"
EVIDENCE_DATE = "overrides/partials/evidence-date.html"
"""The evidence date, for the theme's footer and print header on every page (hand-written and
generated alike); no final newline, so no space follows it in a sentence."""


def render_site(site: Site, reuse: Reuse | None = None) -> dict[str, bytes]:
    """Every generated file, in one mapping (`site_files` makes them one at a time)."""
    return dict(sorted(site_files(site, reuse)))


def site_files(site: Site, reuse: Reuse | None = None) -> Iterator[tuple[str, bytes]]:
    """Every generated file as (relative path, bytes), each record page made when it is asked
    for, so that a caller writing them as they come holds one at a time (at 10,000 studies the
    pages are hundreds of MB). With `reuse` (kb.render.reuse), a record page, feed or download
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
    # record pages and downloads: path -> (key, render); the title and tags of each page
    records: dict[str, tuple[str | None, Callable[[], str]]] = {}
    metas: dict[str, Meta] = {}
    for claim_id, claim_file in kb.claims.items():
        claim = claim_file.record
        history = site.history.get(claim_id)
        key = claim_key(reuse, site, claim_id, repr(history)) if reuse.enabled else None
        records[record_page("claim", claim_id)] = (key, partial(render_claim, site, claim))
        metas[record_page("claim", claim_id)] = claim_meta(claim)
        if history:
            records[feed_path(claim_id)] = (key, partial(_feed, site, claim))
    for study_id, study_file in kb.studies.items():
        study = study_file.record
        key = study_key(reuse, site, study_id) if reuse.enabled else None
        records[record_page("study", study_id)] = (key, partial(render_study, site, study))
        metas[record_page("study", study_id)] = study_meta(site, study)
        key = download_key(reuse, site, study_id) if reuse.enabled else None
        for suffix, export in (("bib", references.study_bibtex), ("ris", references.study_ris)):
            path = f"{DOWNLOADS}/studies/{study_id}.{suffix}"
            records[path] = (key, partial(export, kb, study_id))
    for trial_id, trial_file in kb.trials.items():
        pages[record_page("trial", trial_id)] = render_trial(site, trial_file.record)
    for concept_id, concept_file in kb.concepts.items():
        pages[record_page("concept", concept_id)] = render_concept(site, concept_file.record)
    metas = {path: meta for path, meta in metas.items() if meta[1]}
    metas.update({path: meta for path, text in pages.items() if (meta := page_meta(path, text))})
    slugs = tag_slugs({tag for _, tags in metas.values() for tag in tags})
    terms = SearchTerms(kb)
    glossary = terms_key(reuse, site)

    def finish(path: str, text: str) -> bytes:
        if path.endswith(".md") and path != ABBREVIATIONS:
            text = terms.add_to(with_tag_pages(text, slugs) if path in metas else text)
        return text.encode("utf-8")

    for path, text in [*pages.items(), *tag_listing(metas, slugs).items()]:
        yield path, finish(path, text)
    del pages
    downloads: dict[str, str] = {}  # each study's BibTeX and RIS, joined for the whole list's
    for path, (key, render) in records.items():
        final = final_key(key, metas.get(path, ("", []))[1], slugs, glossary)
        data = reuse.kept(path, key, final)
        if data is None:
            data = finish(path, render())
            reuse.remember(path, key, final, data)
        if path.startswith(f"{DOWNLOADS}/studies/"):
            downloads[path] = data.decode("utf-8")
        yield path, data
    yield f"{DOWNLOADS}/evidence.json", exports.evidence_json_utf8(site.evidence, site.today)
    yield f"{DOWNLOADS}/references.csl.json", references.csl_json(kb).encode()
    # the whole bibliography's BibTeX and RIS are the studies' own, joined (kb.references)
    bib, ris = (
        {i: downloads[f"{DOWNLOADS}/studies/{i}.{s}"] for i in kb.studies} for s in ("bib", "ris")
    )
    yield f"{DOWNLOADS}/references.bib", references.bibtex(kb, bib).encode()
    yield f"{DOWNLOADS}/references.ris", references.ris(kb, ris).encode()
    yield f"{DOWNLOADS}/graph.graphml", exports.graphml(site.graph).encode()


def _feed(site: Site, claim: Claim) -> str:
    return claim_feed(site, claim).decode("utf-8")
