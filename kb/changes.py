"""What changed in a claim between two analyses of the evidence, as a reader of its page
would notice: its statement, its certainty or an outcome's, the number of studies that support
or refute it. kb.history applies it along the evidence's git history.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from kb.evidence import Evidence
from kb.words import certainty_label


@dataclass(frozen=True)
class ClaimState:
    """What a reader of the claim's page would notice changing."""

    statement: str
    certainty: str | None
    outcomes: tuple[tuple[str, str, str | None], ...]
    """(outcome id, name, certainty)."""
    supports: int
    refutes: int


@dataclass(frozen=True)
class Change:
    date: dt.date
    commit: str
    what: tuple[str, ...]
    """Each change in a sentence: 'Certainty: low → very low'."""


def claim_states(evidence: Evidence) -> dict[str, ClaimState | None]:
    """Each claim's state; None for a claim file the records' format no longer allows."""
    states: dict[str, ClaimState | None] = {}
    for loaded in evidence.kb.records:
        if loaded.kind == "claim" and loaded.record is None and loaded.raw_id:
            states[loaded.raw_id] = None
    for claim_id, loaded in sorted(evidence.kb.claims.items()):
        certainty = evidence.certainty(claim_id)
        relations = Counter(link.relation for _, link in evidence.linked(claim_id))
        states[claim_id] = ClaimState(
            loaded.record.statement,
            certainty.final,
            tuple((o.outcome.id, o.outcome.name, o.final) for o in certainty.outcomes),
            relations["supports"],
            relations["refutes"],
        )
    return states


def differences(before: ClaimState, after: ClaimState) -> tuple[str, ...]:
    """What a reader would notice between two states of a claim, in sentences."""
    lines = []
    if before.statement != after.statement:
        lines.append(f"Reworded: “{after.statement}”")
    if before.certainty != after.certainty:
        lines.append(
            f"Certainty: {rating_words(before.certainty)} → {rating_words(after.certainty)}"
        )
    old = {outcome_id: (name, rating) for outcome_id, name, rating in before.outcomes}
    for outcome_id, name, rating in after.outcomes:
        if outcome_id not in old:
            lines.append(f"New outcome, {name}: {rating_words(rating)}")
        elif old[outcome_id][1] != rating:
            lines.append(
                f"{_capital(name)}: {rating_words(old[outcome_id][1])} → {rating_words(rating)}"
            )
    kept = {outcome_id for outcome_id, _, _ in after.outcomes}
    for outcome_id, (name, _) in old.items():
        if outcome_id not in kept:
            lines.append(f"Outcome no longer judged: {name}")
    for relation, was, now in (
        ("support", before.supports, after.supports),
        ("refute", before.refutes, after.refutes),
    ):
        if was != now:
            lines.append(f"Studies that {relation} it: {was} → {now}")
    return tuple(lines)


def rating_words(certainty: str | None) -> str:
    return certainty_label(certainty).lower() if certainty else "not rated"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
