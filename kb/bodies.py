"""The body of evidence of a claim's outcome: the findings its links name, each with what
grading needs to know of its study, and the patients they stand for, counted once.

Findings of retracted studies are set aside (with the reason), findings of designs GRADE does
not rate (protocols, abstracts without results) are kept apart, and links that rest on the
source's text alone (an argument, a theory) are listed separately: they can signal
inconsistency but carry no estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kb import bias
from kb.corpus import KnowledgeBase
from kb.grade import REVIEWS, StudyLevel, starting_certainty
from kb.model import Certainty, Claim, Finding, Link, Outcome, Study
from kb.pooling import RATIOS, Estimate


@dataclass(frozen=True)
class Item:
    """One named finding of a study for the outcome, or a text-only link (finding None)."""

    study: Study
    link: Link
    finding: Finding | None
    inverted: bool
    start: Certainty | None
    start_reason: str
    bias: str | None
    """The study's overall risk of bias by its tool's rule; None when not assessed."""
    label: str
    """How readers name the study: 'Oweira et al. 2017'."""

    @property
    def relation(self) -> str:
        return self.link.relation

    @property
    def participants(self) -> int | None:
        """Patients the finding rests on, as far as the source gives them (see `complete`)."""
        return finding_participants(self.finding)[0] if self.finding else None

    @property
    def complete(self) -> bool:
        """Whether `participants` counts every patient of the finding."""
        return finding_participants(self.finding)[1] if self.finding else False

    def estimate(self) -> Estimate | None:
        """The finding's ratio or difference with its interval, turned round when the link
        says it is the claim's comparator over its intervention."""
        finding = self.finding
        if finding is None or finding.value is None or finding.ci is None:
            return None
        value, lower, upper = finding.value, finding.ci.lower, finding.ci.upper
        if self.inverted and finding.measure in RATIOS and min(value, lower, upper) > 0:
            value, lower, upper = 1 / value, 1 / upper, 1 / lower
        elif self.inverted:
            value, lower, upper = -value, -upper, -lower
        return Estimate(value, lower, upper, finding.ci.level)


@dataclass(frozen=True)
class Body:
    claim: Claim
    outcome: Outcome
    items: tuple[Item, ...]
    """Findings that count: graded designs, not retracted."""
    text: tuple[Item, ...]
    """Links that rest on the text alone."""
    ungraded: tuple[Item, ...]
    """Findings of designs GRADE does not rate."""
    excluded: tuple[tuple[str, str], ...]
    """(study id, reason) of studies left out, e.g. retracted."""

    def studies(self) -> list[str]:
        return sorted({item.study.id for item in self.items})


def finding_participants(finding: Finding) -> tuple[int | None, bool]:
    """(patients a finding rests on, whether that is all of them): its own n, else the sum of
    the groups' n that are given (all of them only when every group has one)."""
    if finding.n is not None:
        return finding.n, True
    sizes = [group.n for group in finding.groups]
    known = [n for n in sizes if n is not None]
    if not known:
        return None, False
    return sum(known), len(known) == len(sizes)


def build_body(
    kb: KnowledgeBase,
    claim: Claim,
    outcome: Outcome,
    linked: list[tuple[Study, Link]],
    level: Callable[[str], StudyLevel],
    label: Callable[[str], str],
    excluded: Mapping[str, str],
) -> Body:
    items: list[Item] = []
    text: list[Item] = []
    ungraded: list[Item] = []
    left_out: set[tuple[str, str]] = set()
    for study, link in linked:
        findings = {f.id: f for f in study.findings}
        start, why = starting_certainty(claim.question, study)
        judged = bias.overall(study.risk_of_bias) if study.risk_of_bias else None
        name = label(study.id)
        if link.rests_on == "text":
            text.append(Item(study, link, None, False, start, why, judged, name))
            continue
        named = [
            Item(study, link, findings[ref.finding], ref.inverted, start, why, judged, name)
            for ref in link.findings
            if ref.outcome == outcome.id and ref.finding in findings
        ]
        if not named:
            continue
        if study.id in excluded:
            left_out.add((study.id, excluded[study.id]))
        elif start is None or level(study.id).level is None:
            ungraded += named
        else:
            items += named
    return Body(claim, outcome, tuple(items), tuple(text), tuple(ungraded), tuple(sorted(left_out)))


@dataclass(frozen=True)
class Participants:
    total: int
    """Patients counted once across the outcome's findings (those with a known number)."""
    unknown: tuple[str, ...]
    """Labels of studies whose findings give no number, or not every number, of patients."""
    merged: tuple[str, ...]
    """What was counted once: 'Review X includes Study Y', 'A and B may share patients'."""


def count_participants(body: Body, kb: KnowledgeBase) -> Participants:
    """Patients of the outcome's findings, each counted once: a study's largest finding; a
    review's patients include those of the studies it includes; of studies declared to overlap
    (the same patients), only the largest counts."""
    per_study: dict[str, int | None] = {}
    partial: set[str] = set()
    labels: dict[str, str] = {}
    for item in body.items:
        labels[item.study.id] = item.label
        n = item.participants
        known = per_study.get(item.study.id)
        if n is not None and (known is None or n > known):
            per_study[item.study.id] = n
            partial.discard(item.study.id)
            if not item.complete:
                partial.add(item.study.id)
        else:
            per_study.setdefault(item.study.id, None)
    merged: list[str] = []
    for item in body.items:
        includes = item.study.includes if item.study.design in REVIEWS else None
        for inner in includes.studies if includes else ():
            if inner in per_study and inner != item.study.id:
                per_study.pop(inner)
                merged.append(f"{labels[item.study.id]} includes {labels[inner]}")
    for group in _overlapping(kb, sorted(per_study)):
        largest = max(group, key=lambda s: (per_study[s] or 0, s))
        for other in group:
            if other != largest:
                per_study.pop(other)
        merged.append(" and ".join(labels[s] for s in group) + " may share patients")
    unknown = tuple(sorted(labels[s] for s, n in per_study.items() if n is None or s in partial))
    total = sum(n for n in per_study.values() if n is not None)
    return Participants(total, unknown, tuple(merged))


def _overlapping(kb: KnowledgeBase, studies: list[str]) -> list[list[str]]:
    """Groups of the given studies joined by declared overlaps, each sorted, of two or more."""
    parent = {s: s for s in studies}

    def root(s: str) -> str:
        while parent[s] != s:
            s = parent[s]
        return s

    for study_id in studies:
        for overlap in kb.study(study_id).overlaps:
            if overlap.study in parent:
                parent[root(overlap.study)] = root(study_id)
    groups: dict[str, list[str]] = {}
    for study_id in studies:
        groups.setdefault(root(study_id), []).append(study_id)
    return [sorted(g) for _, g in sorted(groups.items()) if len(g) > 1]
