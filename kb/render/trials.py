"""Trial and concept pages."""

from __future__ import annotations

from kb import markup
from kb.model import Concept, Trial
from kb.render.common import (
    Site,
    identifier_items,
    record_link,
    record_page,
    source_words,
)
from kb.render.verification import identifier_list, trial_registry
from kb.summarize import trial_name
from kb.trials import has_results, is_overdue, results_due


def render_trial(site: Site, trial: Trial) -> str:
    page = record_page("trial", trial.id)
    title = trial.acronym or trial.id
    registry_warning, registry_section = trial_registry(site, trial.id)
    parts = [
        markup.front_matter(
            {
                "title": markup.plain_title(title, 90),
                # a phase the sources do not give is no subject to browse by
                "tags": ["trial"]
                + ([markup.plain_title(trial.phase)] if trial.phase != "not-recorded" else []),
                # the trial's own page comes first for its registry number, before the studies
                # and claims that name it
                "search": {"boost": 3},
            }
        ),
        f"# {markup.text(trial_name(trial))}",
        markup.text(trial.title),
        *_overdue(site, trial),
        *registry_warning,
        "## Registry",
        identifier_list(site, "trial", trial.id, trial.identifiers)
        or "No registry identifier is recorded.",
        "## Status",
        _status(trial),
        *registry_section,
        "## Design",
        markup.table(["Item", "Value"], _design_rows(trial)),
        *_arms(trial),
        "## Dates",
        _dates(trial),
        "## Claims it tests",
        "\n".join(
            f"- {record_link(site, 'claim', c, page, site.kb.claim(c).statement)}"
            for c in trial.tests
            if c in site.kb.claims
        )
        or "None recorded.",
        "## Publications",
        "\n".join(
            f"- {record_link(site, 'study', p.study, page)} ({markup.text(p.type)})"
            for p in trial.publications
            if p.study in site.kb.studies
        )
        or "None recorded.",
    ]
    if trial.summary:
        parts += ["## Summary", markup.paragraphs(trial.summary)]
    if trial.note:
        parts += ["## Notes", markup.paragraphs(trial.note)]
    parts.append(markup.json_ld(_json_ld(trial)))
    return "\n\n".join(part for part in parts if part) + "\n"


def _overdue(site: Site, trial: Trial) -> list[str]:
    if not is_overdue(trial, site.today):
        return []
    status = trial.status.overall if trial.status else "not recorded"
    return [
        f'!!! warning "Overdue as of {site.today.isoformat()}"\n\n'
        f"    Results were due by {markup.text(results_due(trial) or '')}. The recorded status "
        f"is {markup.text(status)} and no results publication is linked."
    ]


def _status(trial: Trial) -> str:
    if trial.status is None:
        return "Not recorded: no registry status was seen in the sources."
    status = trial.status
    line = f"**{markup.text(status.overall.replace('-', ' '))}**"
    line += (
        f", last verified {markup.text(status.verified)}."
        if status.verified
        else "; the date it was last verified is not recorded."
    )
    if has_results(trial):
        line += " Results have been published."
    sources = "\n".join(f"- {markup.link(url, url)}" for url in status.sources)
    note = markup.paragraphs(status.note) if status.note else ""
    return "\n\n".join(part for part in (line, note, sources) if part)


def _design_rows(trial: Trial) -> list[tuple[str, str]]:
    rows = [
        ("Phase", markup.text(trial.phase)),
        ("Allocation", markup.text(trial.design.allocation)),
        ("Model", markup.text(trial.design.model)),
        ("Masking", markup.text(trial.design.masking)),
    ]
    if trial.enrollment:
        rows.append(
            ("Enrolment", f"{trial.enrollment.count:,} ({markup.text(trial.enrollment.type)})")
        )
    if trial.primary_outcome:
        rows.append(("Primary outcome", markup.text(trial.primary_outcome)))
    if trial.sponsor:
        rows.append(("Sponsor", markup.text(trial.sponsor)))
    return rows


def _arms(trial: Trial) -> list[str]:
    if not trial.arms:
        return []
    rows = [
        (markup.text(a.label), markup.text(a.type), markup.text(a.description or ""))
        for a in trial.arms
    ]
    return ["## Arms", markup.table(["Arm", "Type", "Description"], rows)]


def _dates(trial: Trial) -> str:
    rows = []
    for label, value in (
        ("Start", trial.dates.start),
        ("Primary completion", trial.dates.primary_completion),
        ("Completion", trial.dates.completion),
        ("Results expected", trial.dates.results_expected),
    ):
        if value is not None:
            rows.append((label, markup.text(value.date), markup.text(value.type or "not stated")))
    return markup.table(["Milestone", "Date", "Type"], rows) if rows else "No dates are recorded."


def _json_ld(trial: Trial) -> dict[str, object]:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial",
        "name": trial.title,
        "identifier": [i.value for _, i in identifier_items(trial.identifiers)],
        "phase": trial.phase,
    }
    if trial.acronym:
        data["alternateName"] = trial.acronym
    if trial.status:
        data["status"] = trial.status.overall
    return data


def render_concept(site: Site, concept: Concept) -> str:
    page = record_page("concept", concept.id)
    parts = [
        markup.front_matter(
            {
                "title": markup.plain_title(concept.term, 90),
                "tags": ["glossary"],
                "search": {"boost": 2},
            }
        ),
        f"# {markup.text(concept.term)}"
        + (f" ({markup.text(concept.abbreviation)})" if concept.abbreviation else ""),
        markup.text(concept.definition),
    ]
    if concept.synonyms:
        parts.append("Also called: " + ", ".join(markup.text(s) for s in concept.synonyms) + ".")
    sources = []
    for source in concept.sources:
        if source.study not in site.kb.studies:
            continue
        entry = f"- {record_link(site, 'study', source.study, page)}"
        entry += source_words(source.quote, source.paraphrase)
        if source.locator:
            entry += f" ({markup.text(source.locator)})"
        sources.append(entry)
    if sources:
        parts += ["## Sources" + markup.NOT_SEARCHED, "\n".join(sources)]
    related = [
        record_link(site, "concept", c, page) for c in concept.see_also if c in site.kb.concepts
    ]
    if related:
        parts += ["## See also", "\n".join(f"- {r}" for r in related)]
    return "\n\n".join(parts) + "\n"
