"""How each identifier was verified, retraction banners, and the page listing every identifier.

An identifier has up to two verifications: the curator's (read on a named source page on a
date) and the registry's (resolved by `kb resolve` on a date, metadata matching). The site shows
which it has, or that it is unverified, or that the registry disagrees (mismatch).
"""

from __future__ import annotations

from collections import Counter

from kb import markup
from kb.certainty import ClaimCertainty
from kb.model import Identifier, Identifiers
from kb.render.common import (
    Site,
    certainty_badge,
    record_link,
    record_page,
)
from kb.render.pagination import paginate
from kb.sources.lock import TrialRegistration
from kb.verification import NEW_VERSIONS, SOURCE_WORDS, IdentifierUse, Notice, RegistryCheck
from kb.words import IDENTIFIER_LABELS, IDENTIFIER_URLS

MISMATCH = frozenset({"other-work", "differs", "not-found"})
STATUS_WORDS = {
    "both": "verified by curator and registry",
    "curator": "verified by curator",
    "registry": "verified by registry",
    "unverified": "**unverified**",
    "mismatch": "**mismatch**",
}
PAGE = "verification.md"


def status_of(curator_verified: bool, check: RegistryCheck | None) -> str:
    """both, curator, registry, unverified or mismatch."""
    if check is not None and check.state in MISMATCH:
        return "mismatch"
    registry = check is not None and check.state == "matches"
    if curator_verified:
        return "both" if registry else "curator"
    return "registry" if registry else "unverified"


def identifier_list(site: Site, kind: str, record_id: str, identifiers: Identifiers) -> str:
    """A Markdown list: each identifier with its status, then the two verifications."""
    checks = {
        use.name: (use, check)
        for use, check in site.verification.of_record(kind, record_id)
        if use.origin == "record"
    }
    items = []
    for name in IDENTIFIER_LABELS:
        identifier: Identifier | None = getattr(identifiers, name)
        if identifier is None:
            continue
        use, check = checks.get(name, (None, None))
        status = status_of(identifier.status == "verified", check)
        lines = [
            f"- {_named(name, identifier.value)} — {STATUS_WORDS[status]}",
            f"    - Curator: {_curator(identifier)}",
        ]
        if check is not None:
            lines.append(f"    - Registry: {registry_text(check)}")
        if identifier.larger_work:
            lines.append(f"    - Names: {markup.text(identifier.larger_work)}")
        if identifier.note:
            lines.append(f"    - Note: {markup.text(identifier.note)}")
        items.append("\n".join(lines))
    for use, check in site.verification.of_record(kind, record_id):
        if use.origin == "references.bib":
            status = status_of(use.curator_verified, check)
            items.append(
                f"- {_named(use.name, use.value)} (from references.bib) — "
                f"{STATUS_WORDS[status]}\n    - Registry: {registry_text(check)}"
            )
    return "\n".join(items)


def names_larger_work(larger_work: str | None) -> str:
    """' (names the supplement section ...)' for an identifier that names more than its
    record's work, else nothing."""
    return f" (names {markup.text(larger_work)})" if larger_work else ""


def _named(name: str, value: str) -> str:
    return f"{IDENTIFIER_LABELS[name]} {markup.link(value, IDENTIFIER_URLS[name](value))}"


def _curator(identifier: Identifier) -> str:
    if identifier.status != "verified":
        return "not verified"
    if not identifier.source:
        return "verified; the page it was read on is not recorded"
    when = f" on {markup.text(identifier.checked)}" if identifier.checked else ""
    return f"read on {markup.link('this page', identifier.source)}{when}"


def registry_text(check: RegistryCheck) -> str:
    """'Crossref record matches (retrieved 2024-05-01)' and the other states, escaped."""
    registry, entry = markup.text(check.registry), check.entry
    retrieved = f" (retrieved {markup.text(check.retrieved)})" if check.retrieved else ""
    if check.state == "not-resolved":
        failed = (
            f"; the last attempt, on {markup.text(entry.error.date)}, failed: "
            f"{markup.text(entry.error.message)}"
            if entry and entry.error
            else ""
        )
        return f"not resolved yet{failed}"
    if check.state == "not-found":
        return f"{registry} has no record of it (asked on {markup.text(check.retrieved)})"
    if check.state == "other-work" and entry is not None:
        if any(n.type not in NEW_VERSIONS for n in entry.notice_of):
            return f"{registry} says it names a notice, not a work{retrieved}"
        title = (
            (entry.trial.brief_title if entry.trial else None)
            or (entry.csl.title if entry.csl else None)
            or "?"
        )
        return f"{registry} gives another work: “{markup.text(title)}”{retrieved}"
    if check.state == "differs":
        parts = "; ".join(
            f"{markup.text(d.field)} {markup.text(d.ours)} here, "
            f"{markup.text(d.theirs)} in {registry}"
            for d in check.differences
        )
        return f"{registry} record differs: {parts}{retrieved}"
    compared = f", compared with {markup.text(check.compared_with)}" if check.compared_with else ""
    return f"{registry} record matches{compared}{retrieved}"


def notice_text(notice: Notice) -> str:
    """'Crossref records a retraction (notice <link>, 2024-02-14, from the publisher).'"""
    update = notice.update
    kind = update.type.replace("_", " ")
    details = []
    if update.doi:
        details.append(f"notice {markup.link(update.doi, IDENTIFIER_URLS['doi'](update.doi))}")
    if update.date:
        details.append(markup.text(update.date))
    if update.source in SOURCE_WORDS:
        details.append(markup.text(SOURCE_WORDS[update.source]))
    article = "an" if kind[0] in "aeiou" else "a"
    detail = f" ({', '.join(details)})" if details else ""
    return f"{markup.text(notice.registry)} records {article} {markup.text(kind)}{detail}."


def study_banners(site: Site, study_id: str) -> list[str]:
    out = []
    retracted = site.verification.retracted.get(study_id, [])
    if retracted:
        body = [notice_text(n) for n in retracted]
        body.append("This study is left out of the certainty of every claim it informs.")
        out.append(_admonition("danger", "Retracted", body))
    corrected = site.verification.corrected.get(study_id, [])
    if corrected:
        out.append(
            _admonition("note", "Notices about this study", [notice_text(n) for n in corrected])
        )
    return out


def claim_banners(site: Site, claim_id: str, certainty: ClaimCertainty) -> list[str]:
    page = record_page("claim", claim_id)
    out = []
    if certainty.excluded:
        body = [
            f"{record_link(site, 'study', study_id, page)}: "
            + " ".join(notice_text(n) for n in site.verification.retracted.get(study_id, []))
            for study_id, _ in certainty.excluded
        ]
        body.append(
            "The certainty below is computed without "
            f"{'it' if len(certainty.excluded) == 1 else 'them'}; with "
            f"{'it' if len(certainty.excluded) == 1 else 'them'}, it would be "
            f"{certainty_badge(certainty.computed_with_excluded)}."
        )
        out.append(_admonition("danger", "Rests on a retracted study", body))
    claim = site.kb.claim(claim_id)
    resting = [c for c in claim.depends_on if c in site.kb.claims and site.certainty(c).excluded]
    if resting:
        links = ", ".join(record_link(site, "claim", c, page) for c in resting)
        out.append(
            _admonition(
                "warning",
                "Depends on a claim resting on a retracted study",
                [f"This claim depends on {links}, whose evidence includes a retracted study."],
            )
        )
    return out


def trial_registry(site: Site, trial_id: str) -> tuple[list[str], list[str]]:
    """(a warning when the registry's status or dates differ from the record, the registry's
    status and dates as a subsection) for the trial page; both empty before `kb resolve`."""
    pairs = [
        c
        for u, c in site.verification.of_record("trial", trial_id)
        if u.name == "nct"
        and c.state in {"matches", "differs"}
        and c.entry is not None
        and c.entry.trial is not None
    ]
    if not pairs or pairs[0].entry is None or pairs[0].entry.trial is None:
        return [], []
    check, registration = pairs[0], pairs[0].entry.trial
    trial = site.kb.trial(trial_id)
    section = [
        "### In the registry",
        f"{markup.text(check.registry)}, retrieved {markup.text(check.retrieved or '?')}: "
        f"{_registered_status(registration)}",
    ]
    rows = [
        (label, markup.text(date.date), markup.text(date.type or "not stated"))
        for label, date in (
            ("Start", registration.start),
            ("Primary completion", registration.primary_completion),
            ("Completion", registration.completion),
        )
        if date
    ]
    if rows:
        section.append(markup.table(["Milestone (registry)", "Date", "Type"], rows))
    differences = []
    if (
        trial.status
        and registration.overall_status
        and trial.status.overall != registration.overall_status
    ):
        differences.append(
            f"status {markup.text(trial.status.overall)} here, "
            f"{markup.text(registration.overall_status)} in the registry"
        )
    for name in ("start", "primary_completion", "completion"):
        ours, theirs = getattr(trial.dates, name), getattr(registration, name)
        if (
            ours
            and theirs
            and not (ours.date.startswith(theirs.date) or theirs.date.startswith(ours.date))
        ):
            differences.append(
                f"{name.replace('_', ' ')} {markup.text(ours.date)} here, "
                f"{markup.text(theirs.date)} in the registry"
            )
    warning = (
        [
            _admonition(
                "warning",
                "The registry says otherwise",
                [
                    f"{markup.text(check.registry)} "
                    f"(retrieved {markup.text(check.retrieved or '?')}): "
                    + "; ".join(differences)
                    + ". This record may be out of date."
                ],
            )
        ]
        if differences
        else []
    )
    return warning, section


def _registered_status(registration: TrialRegistration) -> str:
    status = registration.overall_status or "no status"
    text = f"**{markup.text(status.replace('-', ' '))}**"
    if registration.last_known_status and registration.overall_status == "unknown":
        text += f" (last known: {markup.text(registration.last_known_status)})"
    if registration.status_verified:
        text += f", verified {markup.text(registration.status_verified)}"
    if registration.has_results:
        text += "; results posted"
    return text + "."


def render_verification_page(site: Site) -> dict[str, str]:
    rows = []
    counts: Counter[str] = Counter()
    for use, check in sorted(
        site.verification.checks, key=lambda pair: (pair[0].kind, pair[0].record_id, pair[0].name)
    ):
        status = status_of(use.curator_verified, check)
        counts[status] += 1
        rows.append(
            (
                record_link(site, use.kind, use.record_id, PAGE),
                _named(use.name, use.value) + names_larger_work(use.larger_work),
                _curator_cell(use),
                registry_text(check),
                STATUS_WORDS[status],
            )
        )
    summary = ", ".join(
        f"{counts[key]} {STATUS_WORDS[key].strip('*')}" for key in STATUS_WORDS if counts[key]
    )
    intro = [
        "Every DOI, PMID, PMCID and ClinicalTrials.gov number of the knowledge base, with its "
        "two verifications: the **curator's** (read on a named source page) and the "
        "**registry's** (found in Crossref, PubMed, PubMed Central or ClinicalTrials.gov by "
        "`kb resolve`, with title, year, journal and first author matching). "
        + markup.page_link("How verification works", "methods.md", PAGE)
        + ".",
        f"{len(rows)} identifiers: {summary}." if rows else "No identifier is recorded.",
    ]
    headers = ["Record", "Identifier", "Curator", "Registry", "Status"]
    header = markup.table(headers, []) + "\n"
    lines = [markup.table(headers, [row]).split("\n")[-1] for row in rows]
    # a page for maintainers: it names every identifier, but a search for one should find the
    # record's own page first
    return {
        path: markup.front_matter(
            {"title": named, "search": {"boost": 0.2} if path == PAGE else {"exclude": True}}
        )
        + "\n"
        + "\n\n".join(part for part in body if part)
        + "\n"
        for path, named, body in paginate(PAGE, "Verification", lines, intro, header)
    }


def _curator_cell(use: IdentifierUse) -> str:
    if not use.curator_verified:
        return "not verified"
    origin = " (references.bib)" if use.origin == "references.bib" else ""
    if use.source:
        when = f" on {markup.text(use.checked)}" if use.checked else ""
        return f"read on {markup.link('this page', use.source)}{when}{origin}"
    return f"verified{origin}"


def _admonition(kind: str, title: str, body: list[str]) -> str:
    lines = [f'!!! {kind} "{markup.plain_title(title)}"', ""]
    for index, paragraph in enumerate(body):
        if index:
            lines.append("")
        lines.append(f"    {paragraph}")
    return "\n".join(lines)
