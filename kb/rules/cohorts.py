"""KB317, KB318: studies whose patients may be the same, and reviews that do not say what they
include; grading counts shared patients once only when it knows of them."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from kb.clock import earliest, latest
from kb.evidence import Evidence
from kb.grade import REVIEWS
from kb.model import Period, Study
from kb.problems import POSSIBLE_OVERLAP, REVIEW_WITHOUT_INCLUDES, Context, Problem


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    studies = evidence.kb.studies
    for study in studies.values():
        if study.record.design in REVIEWS and study.record.includes is None:
            yield Problem.at(
                study,
                ("design",),
                REVIEW_WITHOUT_INCLUDES,
                f"{study.record.design.replace('-', ' ')} '{study.record.id}' does not say "
                "what it includes, so it is neither levelled nor graded",
                "add 'includes: {designs: [...], count: ..., participants: ...}'",
            )
    by_database: dict[str, list[Study]] = {}
    for study in studies.values():
        if study.record.database:
            by_database.setdefault(study.record.database.casefold(), []).append(study.record)
    for group in by_database.values():
        for first, second in combinations(sorted(group, key=lambda s: s.id), 2):
            declared = {o.study for o in first.overlaps} | {o.study for o in second.overlaps}
            if {first.id, second.id} & declared or not _periods_overlap(first, second):
                continue
            # told on the study a change brought in, when one did
            changed = [s for s in (first, second) if studies[s.id].path in context.changed]
            newer = changed[-1] if changed else second
            yield Problem.at(
                studies[newer.id],
                ("database",),
                POSSIBLE_OVERLAP,
                f"studies '{first.id}' and '{second.id}' both draw on {second.database} over "
                "periods that overlap or are not recorded, so they may share patients",
                f"if they do, add 'overlaps: [{{study: {first.id}, reason: ...}}]' so their "
                "patients are counted once; record both periods otherwise",
            )


def _periods_overlap(first: Study, second: Study) -> bool:
    def span(period: Period | None) -> tuple[str, str] | None:
        if period is None or not period.start or not period.end:
            return None
        return period.start, period.end

    a, b = span(first.period), span(second.period)
    if a is None or b is None:
        return True
    return earliest(a[0]) <= latest(b[1]) and earliest(b[0]) <= latest(a[1])
