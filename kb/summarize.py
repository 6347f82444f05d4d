"""Plain-language text generated from the graph and the grades: deterministic, one wording per
situation, no adjectives the numbers do not carry. Returns plain text; pages escape it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from kb.certainty import ClaimCertainty, OutcomeCertainty
from kb.clock import latest
from kb.evidence import Evidence
from kb.model import Study, Trial
from kb.statements import outcome_statement
from kb.trials import has_results, is_overdue, results_due
from kb.words import (
    CERTAINTY_WORDS,
    DESIGN_NAMES,
    count_phrase,
    counted,
    design_name,
    plural,
)


def patients(study: Study) -> int | None:
    size = study.sample_size
    if size is None:
        return None
    return size.analysed if size.analysed is not None else size.enrolled


def designs_phrase(studies: list[Study]) -> str:
    """'1 registry analysis of 13,233 patients, 2 case reports' in a fixed order."""
    groups: dict[str, list[Study]] = defaultdict(list)
    for study in studies:
        groups[study.design].append(study)
    parts = []
    for design in sorted(groups, key=lambda d: (list(DESIGN_NAMES).index(d), d)):
        members = groups[design]
        sizes = [patients(study) for study in members]
        phrase = f"{len(members)} {design_name(design, len(members))}"
        if all(size is not None for size in sizes):
            total = sum(size for size in sizes if size is not None)
            phrase += f" of {counted(total, 'patient')}"
        parts.append(phrase)
    return ", ".join(parts)


def trial_name(trial: Trial) -> str:
    name = trial.acronym or trial.id
    registry = trial.identifiers.nct or trial.identifiers.eudract
    return f"{name} ({registry.value})" if registry else name


def trial_status_phrase(trial: Trial, today: dt.date) -> str:
    """'its results were expected in 2025 and are overdue as of 2026-11-28'."""
    if has_results(trial):
        return "it has reported results"
    due = results_due(trial)
    if due is None:
        return "no date for its results is recorded"
    year = due[:4]
    if is_overdue(trial, today):
        return f"its results were expected in {year} and are overdue as of {today.isoformat()}"
    if latest(due) < today:
        return f"its results were expected in {year}"
    return f"its results are expected in {year}"


def trial_sentence(trial: Trial, today: dt.date) -> str:
    """How a trial bears on a claim, as a sentence of the claim's summary."""
    name = trial_name(trial)
    if has_results(trial):
        return f"{name} has reported results."
    verb = "tested" if trial.status and trial.status.overall == "completed" else "will test"
    return f"{name} {verb} it; {trial_status_phrase(trial, today)}."


def claim_summary(evidence: Evidence, claim_id: str, today: dt.date) -> str:
    """The plain-language paragraph shown under a claim: what the evidence says on each outcome
    (critical first) with its certainty, which studies it rests on, and the trials to come."""
    certainty = evidence.certainty(claim_id)
    claim = evidence.kb.claim(claim_id)
    sentences = [outcome_sentence(evidence, claim_id, rated) for rated in _by_importance(certainty)]
    left_out = {study_id for study_id, _ in certainty.excluded}
    by_relation: dict[str, list[Study]] = defaultdict(list)
    ungraded: list[Study] = []
    retracted: list[Study] = []
    for study_id, link in evidence.linked(claim_id):
        study = evidence.kb.study(study_id)
        if study_id in left_out:
            retracted.append(study)
        elif evidence.level(study_id).level is None:
            ungraded.append(study)
        else:
            by_relation[link.relation].append(study)
    sentences.append(_support_sentence(by_relation))
    if retracted:
        phrase = count_phrase(len(retracted), "retracted study is", "retracted studies are")
        sentences.append(f"{phrase} not counted ({designs_phrase(retracted)}).".capitalize())
    if by_relation["qualifies"]:
        count = len(by_relation["qualifies"])
        sentences.append(
            f"{count_phrase(count, 'study qualifies', 'studies qualify')} it "
            f"({designs_phrase(by_relation['qualifies'])}).".capitalize()
        )
    if ungraded:
        sentences.append(
            f"{designs_phrase(ungraded).capitalize()} "
            f"{plural(len(ungraded), 'describes', 'describe')} it without results of "
            f"{plural(len(ungraded), 'its', 'their')} own."
        )
    if claim.outcomes and certainty.final is None:
        sentences.append("Its certainty cannot be rated yet.")
    sentences += [
        trial_sentence(evidence.kb.trial(t), today) for t in evidence.trials_testing(claim_id)
    ]
    return " ".join(sentences)


def outcome_sentence(evidence: Evidence, claim_id: str, rated: OutcomeCertainty) -> str:
    """'Overall survival (critical): We are very uncertain whether ... (very low certainty;
    3 studies, 150 patients).'"""
    claim = evidence.kb.claim(claim_id)
    body = evidence.body(claim_id, rated.outcome.id)
    statement = outcome_statement(claim, body, rated)
    name = rated.outcome.name[0].upper() + rated.outcome.name[1:]
    head = f"{name} ({rated.outcome.importance}): {statement}"
    if rated.final is None:
        return head
    return head[:-1] + f" ({CERTAINTY_WORDS[rated.final]} certainty; {evidence_size(rated)})."


def evidence_size(rated: OutcomeCertainty) -> str:
    """'2 studies, 13,326 patients', '1 study, at least 69 patients', '1 study'."""
    studies = counted(len(rated.studies), "study", "studies")
    people = rated.participants
    if people is None or (not people.total and people.unknown):
        return f"{studies}, number of patients not reported"
    least = "at least " if people.unknown else ""
    return f"{studies}, {least}{counted(people.total, 'patient')}"


def _by_importance(certainty: ClaimCertainty) -> list[OutcomeCertainty]:
    order = {"critical": 0, "important": 1}
    return sorted(certainty.outcomes, key=lambda o: order[o.outcome.importance])


def _support_sentence(by_relation: dict[str, list[Study]]) -> str:
    supports, refutes = by_relation["supports"], by_relation["refutes"]
    if not supports and not refutes:
        return "No study with results supports or refutes this claim yet."
    head = (
        f"Supported by {count_phrase(len(supports), 'study', 'studies')} "
        f"({designs_phrase(supports)})"
        if supports
        else "No study supports it"
    )
    if refutes:
        tail = (
            f"{count_phrase(len(refutes), 'study refutes', 'studies refute')} it "
            f"({designs_phrase(refutes)}), so the claim is contested"
        )
    else:
        tail = "no study refutes it"
    return f"{head}; {tail}."
