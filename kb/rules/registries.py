"""KB902-KB910: the identifiers checked against the registries' answers in sources.lock.json.

Offline: only the committed lockfile is read (KB901, a lockfile that cannot be read, is found
while loading). A knowledge base without a lockfile has not resolved its identifiers yet, and
nothing is reported about registries.
"""

from __future__ import annotations

from collections.abc import Iterator

from kb.corpus import KnowledgeBase
from kb.evidence import Evidence
from kb.model import Trial, TrialDate
from kb.problems import (
    METADATA_DIFFERS,
    NOT_IN_REGISTRY,
    NOT_RESOLVED,
    NOTICE,
    OTHER_WORK,
    RESTS_ON_RETRACTED,
    RETRACTED_COUNTED,
    TRIAL_DATES_DIFFER,
    TRIAL_STATUS_DIFFERS,
    Code,
    Context,
    Problem,
)
from kb.sources.lock import LOCK_NAME, TrialRegistration
from kb.verification import NEW_VERSIONS, IdentifierUse, Notice, RegistryCheck, Verification
from kb.words import join_words, plural, quoted_ids

DATE_LABELS = {
    "start": "start",
    "primary_completion": "primary completion",
    "completion": "completion",
}


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb, verification = evidence.kb, evidence.verification
    if not kb.has_lock:
        return
    yield from _identifiers(kb, verification)
    yield from _retractions(evidence)
    for study_id, notices in sorted(verification.corrected.items()):
        yield Problem.at(
            kb.studies[study_id],
            ("id",),
            NOTICE,
            f"study '{study_id}': {_notices(notices)}",
            "read the notice and update the findings if it changes them",
        )
    for use, registry_check in verification.checks:
        entry = registry_check.entry
        if (
            use.kind == "trial"
            and registry_check.state in {"matches", "differs"}
            and entry
            and entry.trial
        ):
            trial = kb.trials[use.record_id]
            for loc, code, message, hint in _trial_differences(
                trial.record, entry.trial, entry.retrieved
            ):
                yield Problem.at(trial, loc, code, message, hint)


def _identifiers(kb: KnowledgeBase, verification: Verification) -> Iterator[Problem]:
    unresolved = [(u, c) for u, c in verification.checks if c.state == "not-resolved"]
    if not kb.lock.entries and unresolved:
        count = len(unresolved)
        yield Problem.in_file(
            kb.lock_path,
            NOT_RESOLVED,
            f"no identifier is resolved yet: {count} "
            f"{plural(count, 'identifier waits', 'identifiers wait')} "
            "for 'kb resolve'",
            "run 'kb resolve' where the registries can be reached, or let the "
            "scheduled workflow do it",
        )
        return
    for use, registry_check in verification.checks:
        found = _identifier_problem(use, registry_check)
        if found is not None:
            code, message, hint = found
            yield Problem(use.path, use.line, use.col, code, message, hint)


def _identifier_problem(
    use: IdentifierUse,
    check: RegistryCheck,
) -> tuple[Code, str, str] | None:
    registry, entry = check.registry, check.entry
    owner = f"{use.kind} '{use.record_id}'"
    if check.state == "not-resolved":
        failed = (
            f"; the last attempt, on {entry.error.date}, failed: {entry.error.message}"
            if entry and entry.error
            else ""
        )
        return (
            NOT_RESOLVED,
            f"{use.label} of {owner} is not in {LOCK_NAME}{failed}",
            "run 'kb resolve'",
        )
    if check.state == "not-found":
        hint = (
            "check the identifier; a DOI registered with another agency (DataCite, mEDRA) "
            "is not in Crossref"
            if use.name == "doi"
            else "check the identifier"
        )
        return (
            NOT_IN_REGISTRY,
            f"{registry} has no record of {use.label} of {owner} (asked on {check.retrieved})",
            hint,
        )
    if check.state == "other-work" and entry is not None:
        return (
            OTHER_WORK,
            _other_work(use, check),
            "check the identifier on the publisher's or registry's page; if it names a "
            "larger work on purpose, give that work's title as 'registry_title'",
        )
    if check.state == "differs":
        differences = _differences(check)
        if check.title_score is not None and any(d.field == "title" for d in check.differences):
            differences = differences.replace(
                "title (", f"title (similarity {check.title_score}%: ", 1
            )
        return (
            METADATA_DIFFERS,
            f"{registry}'s record of {use.label} differs from "
            f"{check.compared_with} in {differences}",
            "correct whichever side is wrong; the registry holds what the publisher deposited",
        )
    return None


def _other_work(use: IdentifierUse, check: RegistryCheck) -> str:
    entry = check.entry
    assert entry is not None
    notices = [n for n in entry.notice_of if n.type not in NEW_VERSIONS]
    if notices:
        notice = notices[0]
        kind = notice.type.replace("_", " ")
        target = f" (it updates {notice.doi})" if notice.doi else ""
        return f"{use.label} names a {kind} notice in {check.registry}, not a work{target}"
    csl = entry.csl
    title = (entry.trial.brief_title if entry.trial else None) or (csl.title if csl else None)
    if title is None:
        return (
            f"{use.label} resolves to another work in {check.registry}: "
            f"{check.compared_with} differs in {_differences(check)}"
        )
    details = [str(min(csl.years))] if csl and csl.years else []
    if csl and csl.container_title:
        details.append(csl.container_title)
    described = f"“{title}”" + (f" ({', '.join(details)})" if details else "")
    ours = next((d.ours for d in check.differences if d.field == "title"), None)
    tail = (
        f"{check.compared_with} has “{ours}” (title similarity {check.title_score}%)"
        if ours
        else f"{check.compared_with} differs in {_differences(check)}"
    )
    return f"{use.label} resolves to another work in {check.registry}: {described}; {tail}"


def _differences(check: RegistryCheck) -> str:
    return join_words(
        [
            f"{d.field} ('{d.ours}' there, '{d.theirs}' in {check.registry})"
            for d in check.differences
        ]
    )


def _retractions(evidence: Evidence) -> Iterator[Problem]:
    kb = evidence.kb
    affected: dict[str, list[str]] = {}
    for claim_id, claim in sorted(kb.claims.items()):
        certainty = evidence.certainty(claim_id)
        if not certainty.excluded:
            continue
        studies = [study_id for study_id, _ in certainty.excluded]
        affected[claim_id] = studies
        without = f"'{certainty.final}'" if certainty.final else "not rated"
        with_them = (
            f"'{certainty.computed_with_excluded}'"
            if certainty.computed_with_excluded
            else "not rated"
        )
        them = "it" if len(studies) == 1 else "them"
        curated = (
            "; its curated ratings need a second look"
            if any(o.curated for o in certainty.outcomes)
            else ""
        )
        yield Problem.at(
            claim,
            ("id",),
            RESTS_ON_RETRACTED,
            f"claim '{claim_id}' rests on retracted {quoted_ids('study', studies, 'studies')}; "
            "its certainty "
            f"is computed without {them}: {without} (with {them}: {with_them})"
            f"{curated}",
            "review the claim; change the retracted study's link or remove it",
        )
    yield from _dependents(evidence, affected)
    for study_id, notices in sorted(evidence.verification.retracted.items()):
        study = kb.studies[study_id]
        counted = (
            sorted(
                {
                    link.claim
                    for link in study.record.links
                    if link.relation != "qualifies" and link.claim in kb.claims
                }
            )
            if evidence.level(study_id).level
            else []
        )
        if not counted:
            continue
        yield Problem.at(
            study,
            ("id",),
            RETRACTED_COUNTED,
            f"study '{study_id}' is retracted: {_notices(notices)}; it still "
            f"supports or refutes {quoted_ids('claim', counted)}",
            "it is left out of every certainty; make its links 'qualifies' with a note "
            "saying why, or remove them",
        )


def _dependents(evidence: Evidence, affected: dict[str, list[str]]) -> Iterator[Problem]:
    """Claims that depend, directly or through other claims, on a claim resting on a retracted
    study."""
    reached: dict[str, tuple[str, str]] = {}
    queue = [(claim_id, claim_id) for claim_id in sorted(affected)]
    while queue:
        target, origin = queue.pop(0)
        for dependant in evidence.dependants(target):
            if dependant in affected or dependant in reached:
                continue
            reached[dependant] = (target, origin)
            queue.append((dependant, origin))
    for claim_id, (target, origin) in sorted(reached.items()):
        via = "" if target == origin else f" through claim '{target}'"
        yield Problem.at(
            evidence.kb.claims[claim_id],
            ("id",),
            RESTS_ON_RETRACTED,
            f"claim '{claim_id}' depends{via} on claim '{origin}', which rests on "
            f"retracted {quoted_ids('study', affected[origin], 'studies')}",
            "review the claim once the claim it depends on is reviewed",
        )


def _trial_differences(
    trial: Trial,
    registration: TrialRegistration,
    retrieved: str | None,
) -> Iterator[tuple[tuple[str, ...], Code, str, str]]:
    registry = "ClinicalTrials.gov"
    when = f"retrieved {retrieved}"
    verified = (
        f"verified {registration.status_verified}"
        if registration.status_verified
        else "no verification date"
    )
    theirs = registration.overall_status
    if trial.status is not None and theirs and theirs != trial.status.overall:
        ours_date = (
            f"verified {trial.status.verified}" if trial.status.verified else "no verification date"
        )
        last = (
            f", last known '{registration.last_known_status}'"
            if theirs == "unknown" and registration.last_known_status
            else ""
        )
        yield (
            ("status", "overall"),
            TRIAL_STATUS_DIFFERS,
            f"trial '{trial.id}' status is '{trial.status.overall}' here ({ours_date}) but "
            f"'{theirs}' in {registry} ({verified}{last}; {when})",
            "check the registry; update 'status.overall' and 'status.verified'",
        )
    for name, label in DATE_LABELS.items():
        ours: TrialDate | None = getattr(trial.dates, name)
        registered = getattr(registration, name)
        if ours is None or registered is None:
            continue
        differs = not (
            ours.date.startswith(registered.date) or registered.date.startswith(ours.date)
        )
        if differs or (ours.type and registered.type and ours.type != registered.type):
            yield (
                ("dates", name, "date"),
                TRIAL_DATES_DIFFER,
                f"trial '{trial.id}' {label} date is {_dated(ours.date, ours.type)} here but "
                f"{_dated(registered.date, registered.type)} in {registry} "
                f"(status {verified}; {when})",
                f"check the registry; update 'dates.{name}'",
            )


def _dated(date: str, kind: str | None) -> str:
    return f"{date} ({kind})" if kind else date


def _notices(notices: list[Notice]) -> str:
    return "; ".join(f"{n.registry} records {n.describe()}" for n in notices)
