"""Pages about the whole knowledge base: home, index tables, evidence map, graph, bibliography,
downloads, and the abbreviation list used for tooltips."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from kb import figures, markup
from kb.render.common import Site, certainty_badge, record_link, study_label
from kb.render.figure import figure
from kb.render.pagination import chunk, page_path, pager, paginate
from kb.render.verification import names_larger_work
from kb.summarize import patients
from kb.trials import is_overdue, results_due
from kb.vancouver import format_reference
from kb.words import DESIGN_NAMES, design_name

WEAK_DESIGNS = frozenset(
    {
        "case-report",
        "case-series",
        "editorial",
        "expert-opinion",
        "narrative-review",
        "mechanistic-theory",
    }
)
DOWNLOAD_FILES = (
    ("evidence.json", "Every record with its computed grades (JSON)"),
    ("references.csl.json", "The bibliography as CSL-JSON (Zotero, Mendeley, pandoc)"),
    ("references.bib", "The bibliography as BibTeX"),
    ("references.ris", "The bibliography as RIS (EndNote, Zotero)"),
    ("graph.graphml", "The claim-evidence graph as GraphML (Gephi, yEd, networkx)"),
)


LATER_PAGE: dict[str, object] = {"search": {"exclude": True}}
"""Front matter of the second and later pages of a list: what they list is searched on each
record's own page, and the search index is downloaded by every reader."""


def _page(title: str, body: list[str], extra: dict[str, object] | None = None) -> str:
    matter = {"title": title, **(extra or {})}
    return markup.front_matter(matter) + "\n" + "\n\n".join(p for p in body if p) + "\n"


CLAIM_HEADERS = ["Claim", "Topic", "Certainty", "Studies", "Tested by"]


def claims_table(site: Site, page: str) -> str:
    return markup.table(CLAIM_HEADERS, claim_rows(site, page))


def claim_rows(site: Site, page: str) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for claim_id, claim_file in sorted(site.kb.claims.items()):
        claim = claim_file.record
        certainty = site.certainty(claim_id)
        studies = {study_id for study_id, _ in site.evidence.linked(claim_id)}
        trials = ", ".join(
            record_link(site, "trial", t, page) for t in site.evidence.trials_testing(claim_id)
        )
        rows.append(
            (
                record_link(site, "claim", claim_id, page, claim.statement),
                markup.text(claim.topic),
                certainty_badge(certainty.final),
                str(len(studies)),
                trials,
            )
        )
    return rows


def _paged_table(
    first: str,
    title: str,
    headers: list[str],
    rows: Sequence[Sequence[str]],
    tail: list[str] | None = None,
    extra: dict[str, object] | None = None,
) -> dict[str, str]:
    """A table over as many pages as it needs (kb.render.pagination)."""
    header = markup.table(headers, []) + "\n"
    lines = [markup.table(headers, [row]).split("\n")[-1] for row in rows]
    return {
        path: _page(named, body, extra if path == first else LATER_PAGE)
        for path, named, body in paginate(first, title, lines, prefix=header, tail=tail or [])
    }


def render_claims_index(site: Site) -> dict[str, str]:
    page = "claims/index.md"
    return _paged_table(page, "Claims", CLAIM_HEADERS, claim_rows(site, page))


def render_studies_index(site: Site) -> dict[str, str]:
    page = "studies/index.md"
    rows = []
    for study_id, study_file in sorted(site.kb.studies.items()):
        study = study_file.record
        size = patients(study)
        level = site.level(study_id).level
        claims = len({link.claim for link in study.links})
        rows.append(
            (
                record_link(site, "study", study_id, page),
                markup.text(design_name(study.design)),
                str(level) if level else "not graded",
                f"{size:,}" if size is not None else "",
                str(claims),
            )
        )
    return _paged_table(
        page,
        "Studies",
        ["Study", "Design", "Level", "n", "Claims"],
        rows,
        [f"Their references in one list: the {_bibliography_link(page)}."],
    )


def _bibliography_link(page: str) -> str:
    return markup.page_link("bibliography", "bibliography.md", page)


def render_trials_index(site: Site) -> dict[str, str]:
    page = "trials/index.md"
    rows = []
    for trial_id, trial_file in sorted(site.kb.trials.items()):
        trial = trial_file.record
        registry = trial.identifiers.nct or trial.identifiers.eudract
        overdue = f"overdue as of {site.today.isoformat()}" if is_overdue(trial, site.today) else ""
        rows.append(
            (
                record_link(site, "trial", trial_id, page),
                markup.text(registry.value if registry else ""),
                markup.text(trial.phase),
                markup.text(trial.status.overall if trial.status else "not recorded"),
                markup.text(results_due(trial) or ""),
                markup.text(overdue),
            )
        )
    headers = ["Trial", "Registry", "Phase", "Status", "Results due", "Overdue"]
    return _paged_table(page, "Trials", headers, rows)


def render_concepts_index(site: Site) -> dict[str, str]:
    page = "concepts/index.md"
    rows = [
        (
            record_link(site, "concept", concept_id, page),
            markup.text(c.record.abbreviation or ""),
            markup.text(c.record.definition),
        )
        for concept_id, c in sorted(site.kb.concepts.items())
    ]
    return _paged_table(page, "Glossary", ["Term", "Short form", "Definition"], rows)


def evidence_counts(site: Site) -> tuple[list[str], dict[tuple[str, str], int]]:
    counts: dict[tuple[str, str], int] = {}
    for claim_id in site.kb.claims:
        for study_id, _ in site.evidence.linked(claim_id):
            key = (claim_id, site.kb.study(study_id).design)
            counts[key] = counts.get(key, 0) + 1
    designs = [d for d in DESIGN_NAMES if any(k[1] == d for k in counts)]
    return designs, counts


EVIDENCE_MAP_CLAIMS = 100
"""Claims on one page of the evidence map: its figure has a row a claim."""


def render_evidence_map(site: Site) -> dict[str, str]:
    first = "evidence-map.md"
    designs, counts = evidence_counts(site)
    chunks = chunk(sorted(site.kb.claims), per_page=EVIDENCE_MAP_CLAIMS)
    pages = {}
    for number, claim_ids in enumerate(chunks, start=1):
        page = page_path(first, number)
        title = "Evidence map" + (f" (page {number} of {len(chunks)})" if len(chunks) > 1 else "")
        svg = figures.evidence_map(
            [(c, c) for c in claim_ids], designs, counts, site.url_from(page)
        )
        rows = [
            (record_link(site, "claim", c, page), *(str(counts.get((c, d), "")) for d in designs))
            for c in claim_ids
        ]
        weak = [c for c in claim_ids if _rests_on_weak_designs(site, c)]
        untested = [c for c in claim_ids if not site.evidence.trials_testing(c)]
        nav = pager(first, number, len(chunks))
        body = [
            f"# {title}",
            "How many studies of each design are linked to each claim (any relation). Every link "
            "between studies, claims and trials is drawn in the "
            + markup.page_link("evidence graph", "graph.md", page)
            + ".",
            nav,
            figure(
                svg,
                "Evidence map: claims by study design; the table below gives the same counts.",
                text_version="counts-by-design",
            ),
            "## Counts by design" + markup.NOT_SEARCHED,
            markup.table(["Claim", *(markup.text(design_name(d, 2)) for d in designs)], rows),
            "## Gaps",
            "### Claims resting only on case reports, case series or opinion",
            markup.not_searched("\n".join(f"- {record_link(site, 'claim', c, page)}" for c in weak))
            or "None.",
            "### Claims no trial tests",
            markup.not_searched(
                "\n".join(f"- {record_link(site, 'claim', c, page)}" for c in untested)
            )
            or "None.",
            nav,
        ]
        pages[page] = _page(title, body)
    return pages


def _rests_on_weak_designs(site: Site, claim_id: str) -> bool:
    counted = [
        site.kb.study(s).design
        for s, link in site.evidence.linked(claim_id)
        if link.relation != "qualifies" and site.level(s).level is not None
    ]
    return all(design in WEAK_DESIGNS for design in counted)


GRAPH_FIGURE_LIMIT = 400
"""Above this many studies, claims and trials, the whole graph is not drawn: one figure of
thousands of nodes is unreadable and would make the page megabytes long."""


def graph_labels(site: Site) -> dict[str, tuple[list[str], str]]:
    """The whole graph's nodes as readers know them: studies by author and year, claims by
    their subject (in two lines of about 40 characters), trials by acronym; tooltips in words."""
    labels: dict[str, tuple[list[str], str]] = {}
    for study_id, study in site.kb.studies.items():
        name = study_label(site, study_id)
        labels[f"study:{study_id}"] = ([name], f"{name}: {design_name(study.record.design)}")
    for claim_id, claim_file in site.kb.claims.items():
        claim = claim_file.record
        lines = textwrap.wrap(markup.plain_title(claim.subject), 40) or [claim_id]
        if len(lines) > 2:
            lines = [lines[0], lines[1] + " …"]
        labels[f"claim:{claim_id}"] = (lines, claim.statement)
    for trial_id, trial_file in site.kb.trials.items():
        trial = trial_file.record
        labels[f"trial:{trial_id}"] = ([trial.acronym or trial_id], trial.title)
    return labels


def render_graph_page(site: Site) -> dict[str, str]:
    page = "graph.md"
    drawn = len(site.kb.studies) + len(site.kb.claims) + len(site.kb.trials)
    if drawn <= GRAPH_FIGURE_LIMIT:
        shown = figure(
            figures.knowledge_graph(site.graph, site.url_from(page), graph_labels(site)),
            "The claim-evidence graph: studies (left) linked to the claims (middle) "
            "they support, refute or qualify, and the trials (right) that test them. "
            "The list below gives the same links as text.",
            text_version="the-same-graph-as-text",
        )
    else:
        shown = (
            f"The knowledge base holds {drawn:,} studies, claims and trials, too many to "
            "draw legibly as one figure: each claim's page shows its own part of the "
            "graph, and the list below gives every link as text."
        )
    items = []
    for claim_id, claim_file in sorted(site.kb.claims.items()):
        claim = claim_file.record
        studies = (
            ", ".join(
                f"{record_link(site, 'study', s, page)} ({markup.text(link.relation)})"
                for s, link in site.evidence.linked(claim_id)
            )
            or "no study"
        )
        trials = ", ".join(
            record_link(site, "trial", t, page) for t in site.evidence.trials_testing(claim_id)
        )
        line = f"- {record_link(site, 'claim', claim_id, page, claim.statement)}: {studies}"
        items.append(line + (f"; tested by {trials}" if trials else ""))
    head = [shown, "## The same graph as text" + markup.NOT_SEARCHED]
    return {
        path: _page(named, body, None if path == page else LATER_PAGE)
        for path, named, body in paginate(page, "Evidence graph", items, head=head)
    }


def render_bibliography(site: Site) -> dict[str, str]:
    page = "bibliography.md"
    entries = []
    for study_id, study_file in sorted(
        site.kb.studies.items(), key=lambda item: study_label(site, item[0]).casefold()
    ):
        study = study_file.record
        reference = format_reference(study.cite, site.kb.bibliography) or study.cite
        doi = study.identifiers.doi
        larger_work = doi.larger_work if doi and doi.value in reference else None
        entries.append(
            f"- {_reference_with_doi_link(reference)}{names_larger_work(larger_work)} "
            f"({record_link(site, 'study', study_id, page, 'study page')})"
        )
    return {
        path: _page(named, body, None if path == page else LATER_PAGE)
        for path, named, body in paginate(page, "Bibliography", entries)
    }


def _reference_with_doi_link(reference: str) -> str:
    """The escaped reference, its closing 'doi:10.x/y' a link to doi.org."""
    found = _DOI_AT_END.search(reference)
    if found is None:
        return markup.text(reference)
    doi = found.group(1)
    before = markup.text(reference[: found.start()])
    return f"{before} {markup.link(f'doi:{doi}', f'https://doi.org/{doi}')}".lstrip()


_DOI_AT_END = re.compile(r"(?:^|\s)doi:(10\.\S+)$")


def render_downloads(site: Site) -> str:
    page = "downloads.md"
    rows = [
        (markup.page_link(name, f"downloads/{name}", page), markup.text(description))
        for name, description in DOWNLOAD_FILES
    ]
    return _page(
        "Downloads",
        [
            "# Downloads",
            "The whole knowledge base, generated from the same records as these pages.",
            markup.table(["File", "Contents"], rows),
            "Each study page also offers its own BibTeX and RIS record, and the "
            + _bibliography_link(page)
            + " lists every reference.",
        ],
    )


def render_abbreviations(site: Site) -> str:
    """Python-Markdown abbreviation definitions, appended to every page for tooltips."""
    lines = []
    for _, concept_file in sorted(site.kb.concepts.items()):
        concept = concept_file.record
        if concept.abbreviation:
            short = markup.plain_title(concept.abbreviation)
            term = markup.plain_title(concept.term)
            # with no title, the line would not define an abbreviation but show on every page
            if is_safe_abbreviation(short) and term:
                lines.append(f"*[{short}]: {term}")
    return "\n".join(lines) + "\n"


def is_safe_abbreviation(short: str) -> bool:
    """Python-Markdown keeps every escaped character of a page as a placeholder such as
    '\x02wzxhzdk:12\x03' until the end, and abbreviations are matched inside it: an abbreviation
    of digits only, or the placeholder's word, would garble the escaped text of every page."""
    has_letter = any(c.isalpha() for c in short)
    return has_letter and not any(word in short.casefold() for word in ("wzxhzdk", "klzzwxh"))
