"""KB501-KB503: grading: level adjustments that leave the scale, and curated certainties that
differ from the computed one or exceed what the evidence can reach."""

from __future__ import annotations

from collections.abc import Iterator

from kb.evidence import Evidence
from kb.grade import CERTAINTIES
from kb.problems import (
    ADJUSTMENT_OUT_OF_RANGE,
    CURATED_DIFFERS,
    CURATED_TOO_HIGH,
    Context,
    Problem,
)


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    for study_id, study in kb.studies.items():
        adjustment = study.record.level_adjustment
        level = evidence.level(study_id)
        if adjustment and level.level is not None and not 1 <= level.level <= 5:
            yield Problem.at(
                study,
                ("level_adjustment", "direction"),
                ADJUSTMENT_OUT_OF_RANGE,
                f"moving level {level.base} {adjustment.direction} leaves the scale of 1 to 5",
                "remove the adjustment",
            )
    for claim_id, claim in kb.claims.items():
        certainty = evidence.certainty(claim_id)
        for index, outcome in enumerate(claim.record.outcomes):
            if outcome.certainty is None:
                continue
            rated = certainty.of(outcome.id)
            curated, computed = outcome.certainty.rating, rated.computed
            where = ("outcomes", index, "certainty", "rating")
            if computed is None or CERTAINTIES.index(curated) > CERTAINTIES.index(computed):
                reach = f"'{computed}'" if computed else "no rating: no graded finding informs it"
                yield Problem.at(
                    claim,
                    where,
                    CURATED_TOO_HIGH,
                    f"curated certainty '{curated}' of outcome '{outcome.id}' is above the "
                    f"computed one ({reach})",
                    "a curated rating may only be lower than kb computes; remove it or lower it",
                )
            elif curated != computed:
                yield Problem.at(
                    claim,
                    where,
                    CURATED_DIFFERS,
                    f"curated certainty '{curated}' of outcome '{outcome.id}' is lower than the "
                    f"computed '{computed}'",
                )
