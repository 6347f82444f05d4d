"""Plain-language text generated from the graph and the grades: deterministic, one wording per
situation, no adjectives the numbers do not carry. Returns plain text; pages escape it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import networkx as nx

from kb.clock import latest
from kb.corpus import KnowledgeBase
from kb.grade import ClaimCertainty, study_level
from kb.graph import evidence_for, trials_testing
from kb.model import Design, Study, Trial
from kb.rules.trials import has_results, is_overdue, results_due

DESIGN_NAMES: dict[str, tuple[str, str]] = {
    "meta-analysis": ("meta-analysis", "meta-analyses"),
    "systematic-review": ("systematic review", "systematic reviews"),
    "rct": ("randomised trial", "randomised trials"),
    "prospective-cohort": ("prospective cohort study", "prospective cohort studies"),
    "retrospective-cohort": ("retrospective cohort study", "retrospective cohort studies"),
    "registry-analysis": ("registry analysis", "registry analyses"),
    "cross-sectional": ("cross-sectional study", "cross-sectional studies"),
    "case-control": ("case-control study", "case-control studies"),
    "case-series": ("case series", "case series"),
    "case-report": ("case report", "case reports"),
    "trial-protocol": ("trial protocol", "trial protocols"),
    "conference-abstract": ("conference abstract", "conference abstracts"),
    "narrative-review": ("narrative review", "narrative reviews"),
    "editorial": ("editorial", "editorials"),
    "expert-opinion": ("expert opinion", "expert opinions"),
    "mechanistic-theory": ("mechanistic theory", "mechanistic theories"),
}
CERTAINTY_WORDS = {"high": "high", "moderate": "moderate", "low": "low", "very-low": "very low"}
DOMAIN_WORDS = {
    "risk-of-bias": "risk of bias",
    "inconsistency": "inconsistency",
    "imprecision": "imprecision",
    "indirectness": "indirectness",
}


def design_name(design: Design | str, count: int = 1) -> str:
    singular, plural = DESIGN_NAMES.get(design, (design, design))
    return singular if count == 1 else plural


def count_phrase(count: int, singular: str, plural: str) -> str:
    return f"{'no' if count == 0 else count} {singular if count == 1 else plural}"


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
            phrase += f" of {total:,} {'patient' if total == 1 else 'patients'}"
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


def claim_summary(
    kb: KnowledgeBase,
    graph: nx.MultiDiGraph,
    claim_id: str,
    certainty: ClaimCertainty,
    today: dt.date,
) -> str:
    """The plain-language paragraph shown under a claim."""
    studies = kb.studies
    left_out = {study_id for study_id, _ in certainty.excluded}
    by_relation: dict[str, list[Study]] = defaultdict(list)
    ungraded: list[Study] = []
    retracted: list[Study] = []
    for study_id, link in evidence_for(graph, claim_id):
        study = studies[study_id][0]
        if study_id in left_out:
            retracted.append(study)
        elif study_level(study).level is None:
            ungraded.append(study)
        else:
            by_relation[link.relation].append(study)
    sentences = [_support_sentence(by_relation)]
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
            f"{designs_phrase(ungraded).capitalize()} describe"
            f"{'s' if len(ungraded) == 1 else ''} it without results of "
            "their own."
        )
    sentences.append(_certainty_sentence(certainty))
    trials = kb.trials
    sentences += [trial_sentence(trials[t][0], today) for t in trials_testing(graph, claim_id)]
    return " ".join(sentences)


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


def _certainty_sentence(certainty: ClaimCertainty) -> str:
    final = certainty.final
    if final is None:
        return "Its certainty cannot be rated yet."
    concerns = [DOMAIN_WORDS[d.name] for d in certainty.domains if d.concern != "no-concern"]
    sentence = f"The certainty of the evidence is {CERTAINTY_WORDS[final]}"
    if certainty.curated and certainty.curated != certainty.computed:
        computed = CERTAINTY_WORDS[certainty.computed] if certainty.computed else "not rated"
        sentence += f" (a curator's rating; computed: {computed})"
    if concerns:
        sentence += f", with concerns about {_join(concerns)}"
    return sentence + "."


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
