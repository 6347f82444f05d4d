"""Study pages: reference, identifiers, design and level, PICO, findings, forest plot, links."""

from __future__ import annotations

import html

from kb import bias, markup
from kb.model import Study
from kb.render.common import (
    Site,
    identifier_items,
    link_details,
    record_link,
    record_page,
    source_words,
    study_label,
)
from kb.render.forests import study_forests
from kb.render.tags import Meta
from kb.render.verification import identifier_list, study_banners
from kb.vancouver import format_reference
from kb.words import design_name, finding_text, tag_label

DOWNLOADS = "downloads"


def study_tags(study: Study) -> list[str]:
    tags = (study.design, study.question, *study.tags)  # one vocabulary: kb.words.tag_label
    return sorted({markup.plain_title(tag_label(tag)) for tag in tags})


def study_meta(site: Site, study: Study) -> Meta:
    """The study page's title and tags, as its front matter gives them."""
    return markup.plain_title(study_label(site, study.id), 90), study_tags(study)


def render_study(site: Site, study: Study) -> str:
    page = record_page("study", study.id)
    reference = format_reference(study.cite, site.kb.bibliography)
    title, tags = study_meta(site, study)
    parts = [
        markup.front_matter({"title": title, "tags": tags, "search": {"boost": 2}}),
        f"# {markup.text(study_label(site, study.id))}",
        *study_banners(site, study.id),
        _search_terms(site, study),
        markup.not_searched(_named(site, study)),
        markup.not_searched(markup.text(reference)) if reference else "",
        *_identifiers(site, study),
        *_design(site, study),
        *_pico(study),
        *_findings(study),
        *study_forests(site, study),
        *_risk_of_bias(study),
        *_disagreements(site, study, page),
        *_claims(site, study, page),
        *_summary(study),
        *_cite_this(study, reference, page),
    ]
    parts.append(markup.json_ld(_json_ld(site, study, reference)))
    return "\n\n".join(part for part in parts if part) + "\n"


def _named(site: Site, study: Study) -> str:
    """Say so when the study is named by its record's label: its authors are not verified."""
    entry = site.kb.bibliography.get(study.cite)
    if study.label and not (entry and entry.first_author_family):
        return (
            f"*Named {markup.text(study.label)} here from the sources' notes: its authors are "
            "not verified, so the reference below does not list them.*"
        )
    return ""


def _identifiers(site: Site, study: Study) -> list[str]:
    listed = identifier_list(site, "study", study.id, study.identifiers)
    if not listed:
        return ["No identifier (DOI, PMID, PMCID) is recorded for this study."]
    return ["## Identifiers" + markup.NOT_SEARCHED, listed]


def _search_terms(site: Site, study: Study) -> str:
    """The study's one search entry: its id, identifiers and title, in its first section. The
    rest of the page is kept out of the search index, which every reader downloads: the
    reference, summary, tables and quotes would add about 600 bytes a study (even the summary's
    first dozen words, 100), while its claims' pages are searched for what it shows."""
    entry = site.kb.bibliography.get(study.cite)
    values = [
        study.id,
        *(identifier.value for _, identifier in identifier_items(study.identifiers)),
        entry.title if entry and entry.title else "",
    ]
    terms = " ".join(value for value in values if value)
    return f'<p hidden class="kb-search-terms">{markup.attribute(terms)}</p>'


def _design(site: Site, study: Study) -> list[str]:
    level = site.level(study.id)
    rows = [
        ("Design", markup.text(design_name(study.design))),
        ("Question", markup.text(study.question.replace("-", " "))),
        ("Level (OCEBM 2011)", f"{level.level}" if level.level else "not graded"),
        ("Why this level", markup.text(level.reason)),
    ]
    size = study.sample_size
    if size is not None:
        counts = [
            f"{label} {value:,}"
            for label, value in (("enrolled", size.enrolled), ("analysed", size.analysed))
            if value is not None
        ]
        shown = ", ".join(counts) or "not reported"
        rows.append(("Patients", markup.text(shown + (f" ({size.note})" if size.note else ""))))
    if study.setting:
        rows.append(("Setting", markup.text(study.setting)))
    if study.period and (study.period.start or study.period.end):
        rows.append(
            ("Period", markup.text(f"{study.period.start or '?'} to {study.period.end or '?'}"))
        )
    return ["## Design and level" + markup.NOT_SEARCHED, markup.table(["Item", "Value"], rows)]


def _pico(study: Study) -> list[str]:
    rows = [
        (label, markup.text(value))
        for label, value in (
            ("Population", study.pico.population),
            ("Intervention or exposure", study.pico.intervention),
            ("Comparator", study.pico.comparator),
            ("Outcome", study.pico.outcome),
        )
        if value
    ]
    return (
        [
            "## Population, intervention, comparator, outcome" + markup.NOT_SEARCHED,
            markup.table(["Element", "Study"], rows),
        ]
        if rows
        else []
    )


def _findings(study: Study) -> list[str]:
    if not study.findings:
        return ["## Findings" + markup.NOT_SEARCHED, "This record holds no numeric findings."]
    rows = []
    for finding in study.findings:
        groups = "; ".join(
            f"{group.name}{f' (n={group.n:,})' if group.n is not None else ''}"
            for group in finding.groups
        )
        if finding.n is not None:
            groups = f"{groups}; n={finding.n:,}" if groups else f"n={finding.n:,}"
        rows.append(
            (
                f'<span id="finding-{finding.id}"></span>{markup.text(finding.outcome)}',
                markup.text(finding_text(finding, groups=True)),
                markup.text(groups),
                markup.text(finding.locator),
                source_words(finding.quote, finding.paraphrase).removeprefix(": "),
            )
        )
    notes = [f"- {markup.text(f.outcome)}: {markup.text(f.note)}" for f in study.findings if f.note]
    headers = ["Outcome", "Result", "Groups", "Locator", "In the source's words"]
    return [
        "## Findings" + markup.NOT_SEARCHED,
        markup.table(headers, rows),
        *(["\n".join(notes)] if notes else []),
    ]


def _risk_of_bias(study: Study) -> list[str]:
    heading = "## Risk of bias" + markup.NOT_SEARCHED
    risk = study.risk_of_bias
    if risk is None or risk.tool == "not-assessed":
        why = f" {markup.text(risk.rationale)}" if risk and risk.rationale else ""
        return [heading, f"Not assessed.{why}"]
    tool = bias.TOOLS[risk.tool]
    judged = bias.overall(risk)
    line = (
        f"**{markup.text(bias.judgement_words(judged))}** overall by {markup.text(tool.name)}'s "
        "rule"
        if judged
        else f"Not every {markup.text(tool.name)} domain is judged"
    )
    if risk.overall:
        line += f" (a reviewer's judgement: {markup.text(risk.overall.reason)})"
    line += "." + (f" {markup.text(risk.rationale)}" if risk.rationale else "")
    rows = [
        (
            markup.text(tool.domains.get(d.domain, d.domain)),
            markup.text(bias.judgement_words(d.judgement)),
            markup.text(d.reason),
            markup.text(d.locator or ""),
        )
        for d in risk.domains
    ]
    return [heading, line, markup.table(["Domain", "Judgement", "Why", "Where"], rows)]


def _disagreements(site: Site, study: Study, page: str) -> list[str]:
    items = []
    for discrepancy in sorted(site.kb.discrepancies.values(), key=lambda d: d.record.id):
        record = discrepancy.record
        if all(named.study != study.id for named in record.findings):
            continue
        others = ", ".join(
            record_link(site, "study", named.study, page)
            for named in record.findings
            if named.study != study.id and named.study in site.kb.studies
        )
        entry = f"- {markup.text(record.description)} (also on {others})"
        if record.resolution:
            entry += f"\n    - {markup.text(record.resolution)}"
        items.append(entry)
    return ["## Sources that disagree", "\n".join(items)] if items else []


def _claims(site: Site, study: Study, page: str) -> list[str]:
    if not study.links:
        return []
    items = []
    for link in study.links:
        target = (
            record_link(site, "claim", link.claim, page, site.kb.claim(link.claim).statement)
            if link.claim in site.kb.claims
            else markup.text(link.claim)
        )
        entry = f"- **{markup.text(link.relation)}** {target}"
        words = source_words(link.quote, link.paraphrase).removeprefix(": ")
        if words:
            entry += f"\n    - {words}"
        if link.locator:
            entry += f" ({markup.text(link.locator)})"
        items.append(entry + link_details(link))
    return ["## Claims it informs" + markup.NOT_SEARCHED, "\n".join(items)]


def _summary(study: Study) -> list[str]:
    parts = []
    if study.summary:
        parts += ["## Summary" + markup.NOT_SEARCHED, markup.paragraphs(study.summary)]
    if study.note:
        parts += ["## Notes" + markup.NOT_SEARCHED, markup.paragraphs(study.note)]
    return parts


def _cite_this(study: Study, reference: str, page: str) -> list[str]:
    bib = markup.page_link("BibTeX", f"{DOWNLOADS}/studies/{study.id}.bib", page)
    ris = markup.page_link("RIS", f"{DOWNLOADS}/studies/{study.id}.ris", page)
    block = f'<pre class="kb-cite"><code>{html.escape(reference)}</code></pre>' if reference else ""
    return ["## Cite this" + markup.NOT_SEARCHED, block, f"Download: {bib} · {ris}"]


def _json_ld(site: Site, study: Study, reference: str) -> dict[str, object]:
    entry = site.kb.bibliography.get(study.cite)
    identifiers = [
        {"@type": "PropertyValue", "propertyID": name.upper(), "value": i.value}
        for name, i in identifier_items(study.identifiers)
        if i.status == "verified"
    ]
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "identifier": identifiers,
        "name": entry.title if entry else study.id,
        "citation": reference,
        "about": {"@type": "MedicalStudy", "studyDesign": design_name(study.design)},
    }
    if entry and entry.year:
        data["datePublished"] = entry.year
    if entry and entry.authors:
        data["author"] = [{"@type": "Person", "familyName": a} for a in entry.authors]
    return data
