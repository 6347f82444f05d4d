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
        if certainty.curated is None:
            continue
        ceiling = certainty.start
        if ceiling is None or CERTAINTIES.index(certainty.curated) > CERTAINTIES.index(ceiling):
            reach = (
                f"'{ceiling}'" if ceiling else "no rating: no graded study supports or refutes it"
            )
            yield Problem.at(
                claim,
                ("certainty", "rating"),
                CURATED_TOO_HIGH,
                f"curated certainty '{certainty.curated}' is above what the evidence "
                f"can reach ({reach})",
                "GRADE starts observational evidence at low and case reports at "
                "very low; lower the rating",
            )
        elif certainty.curated != certainty.computed:
            yield Problem.at(
                claim,
                ("certainty", "rating"),
                CURATED_DIFFERS,
                f"curated certainty '{certainty.curated}' differs from the computed "
                f"'{certainty.computed}'",
            )
