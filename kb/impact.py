"""What a change does to the evidence: two knowledge bases compared, and the result as Markdown.

Records are matched by kind and id, bibliography entries by key, problems by file, code and
subject (not by line, which moves with every edit above it, nor by message, whose counts and
dates change without the problem changing). For each claim, the certainty, the
number of studies per relation and the plain-language summary are compared before and after.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb import markup
from kb.check import check_evidence
from kb.corpus import KnowledgeBase, LoadedRecord
from kb.evidence import Evidence
from kb.pooling import Pooled
from kb.problems import Problem
from kb.report import shown_path
from kb.summarize import claim_summary
from kb.words import counted

RELATIONS = ("supports", "refutes", "qualifies")


@dataclass(frozen=True)
class RecordChange:
    status: str
    """'added', 'removed' or 'changed'."""
    kind: str
    record_id: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimView:
    certainty: str | None
    counts: tuple[int, int, int]
    """Studies that support, refute and qualify the claim."""
    summary: str
    outcomes: tuple[tuple[str, str | None, str], ...] = ()
    """(outcome id, certainty, pooled estimate in words) of each outcome."""


@dataclass(frozen=True)
class ClaimChange:
    claim_id: str
    before: ClaimView | None
    after: ClaimView | None


@dataclass
class Impact:
    records: list[RecordChange] = field(default_factory=list)
    entries: list[tuple[str, str]] = field(default_factory=list)
    """(status, key) of bibliography entries added, removed or changed."""
    claims: list[ClaimChange] = field(default_factory=list)
    new_problems: list[Problem] = field(default_factory=list)
    resolved_problems: list[Problem] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.records
            or self.entries
            or self.claims
            or self.new_problems
            or self.resolved_problems
        )


def _content(loaded: LoadedRecord) -> dict[str, Any]:
    if loaded.record is not None:
        return loaded.record.model_dump(mode="json", exclude_defaults=True)
    try:
        return {"(text)": Path(loaded.path).read_text("utf-8", errors="replace")}
    except OSError:
        return {}


def _records(kb: KnowledgeBase) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for loaded in kb.records:
        out.setdefault((loaded.kind, loaded.raw_id or Path(loaded.path).stem), _content(loaded))
    return out


def _compare_records(base: KnowledgeBase, head: KnowledgeBase) -> list[RecordChange]:
    before, after = _records(base), _records(head)
    changes = []
    for kind, record_id in sorted(set(before) | set(after)):
        old, new = before.get((kind, record_id)), after.get((kind, record_id))
        if old is None:
            changes.append(RecordChange("added", kind, record_id))
        elif new is None:
            changes.append(RecordChange("removed", kind, record_id))
        elif old != new:
            names = sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n))
            changes.append(RecordChange("changed", kind, record_id, tuple(names)))
    return changes


def _compare_entries(base: KnowledgeBase, head: KnowledgeBase) -> list[tuple[str, str]]:
    before = {k.casefold(): (k, e.fields) for k, e in base.bibliography.entries.items()}
    after = {k.casefold(): (k, e.fields) for k, e in head.bibliography.entries.items()}
    out = []
    for folded in sorted(set(before) | set(after)):
        if folded not in before:
            out.append(("added", after[folded][0]))
        elif folded not in after:
            out.append(("removed", before[folded][0]))
        elif before[folded][1] != after[folded][1]:
            out.append(("changed", after[folded][0]))
    return out


def claim_views(evidence: Evidence, today: dt.date) -> dict[str, ClaimView]:
    """What `kb diff` compares of each claim: the certainty the site shows (without retracted
    studies), the studies per relation and the plain-language summary."""
    views = {}
    for claim_id in sorted(evidence.kb.claims):
        relations = Counter[str](link.relation for _, link in evidence.linked(claim_id))
        counts = (relations["supports"], relations["refutes"], relations["qualifies"])
        certainty = evidence.certainty(claim_id)
        outcomes = tuple(
            (o.outcome.id, o.final, _pooled_words(o.pooled)) for o in certainty.outcomes
        )
        views[claim_id] = ClaimView(
            certainty.final, counts, claim_summary(evidence, claim_id, today), outcomes
        )
    return views


def _pooled_words(pooled: Pooled | None) -> str:
    if pooled is None:
        return "none"
    return (
        f"{pooled.measure.upper()} {pooled.estimate:.3g} ({pooled.ci_lower:.3g} to "
        f"{pooled.ci_upper:.3g}; k={pooled.k}, I² {pooled.i2:.0%})"
    )


def _problems(
    evidence: Evidence, today: dt.date, changed: frozenset[str] = frozenset()
) -> dict[tuple[str, str, str], list[Problem]]:
    found: dict[tuple[str, str, str], list[Problem]] = {}
    for problem in check_evidence(evidence, today, changed):
        found.setdefault((problem.path, problem.code, problem.subject), []).append(problem)
    return found


def _beyond(
    these: dict[tuple[str, str, str], list[Problem]],
    those: dict[tuple[str, str, str], list[Problem]],
) -> list[Problem]:
    """Problems of `these` that `those` does not have as many of, by file, code and subject."""
    return [problem for key in sorted(these) for problem in these[key][len(those.get(key, [])) :]]


def compare(
    base: KnowledgeBase, head: KnowledgeBase, today: dt.date, changed: frozenset[str] = frozenset()
) -> Impact:
    """The impact of going from `base` to `head`; problem paths are relative to each root.
    `changed` names the files of `head` changed since `base`, which conflicts are told on."""
    impact = Impact(_compare_records(base, head), _compare_entries(base, head))
    base_evidence, head_evidence = Evidence(base), Evidence(head)
    before, after = claim_views(base_evidence, today), claim_views(head_evidence, today)
    for claim_id in sorted(set(before) | set(after)):
        if before.get(claim_id) != after.get(claim_id):
            impact.claims.append(ClaimChange(claim_id, before.get(claim_id), after.get(claim_id)))
    old, new = _problems(base_evidence, today), _problems(head_evidence, today, changed)
    impact.new_problems = _beyond(new, old)
    impact.resolved_problems = _beyond(old, new)
    return impact


def _arrow(before: object, after: object) -> str:
    def show(value: object) -> str:
        return "none" if value is None else str(value)

    return f"{show(before)} → {show(after)}"


def _cell(value: str) -> str:
    """An inert code span in a table cell, where GitHub splits cells at any '|'."""
    return markup.gfm_code(value).replace("|", "\\|")


def _records_section(impact: Impact) -> list[str]:
    if not impact.records:
        return []
    lines = ["### Records", "", "| Change | Kind | Id | Fields changed |", "|---|---|---|---|"]
    for change in impact.records:
        names = ", ".join(_cell(name) for name in change.fields)
        lines.append(f"| {change.status} | {change.kind} | {_cell(change.record_id)} | {names} |")
    return [*lines, ""]


def _entries_section(impact: Impact) -> list[str]:
    if not impact.entries:
        return []
    lines = ["### Bibliography", ""]
    lines += [f"- {status} {markup.gfm_code(key)}" for status, key in impact.entries]
    return [*lines, ""]


def _claim_lines(change: ClaimChange) -> list[str]:
    before, after = change.before, change.after
    status = " (new)" if before is None else " (removed)" if after is None else ""
    lines = [f"#### {markup.gfm_code(change.claim_id)}{status}", ""]
    old_certainty = before.certainty if before else None
    new_certainty = after.certainty if after else None
    if old_certainty != new_certainty:
        lines.append(f"- certainty: {_arrow(old_certainty, new_certainty)}")
    for index, relation in enumerate(RELATIONS):
        old = before.counts[index] if before else 0
        new = after.counts[index] if after else 0
        if old != new:
            lines.append(f"- studies that {relation.removesuffix('s')}: {_arrow(old, new)}")
    lines += _outcome_lines(before, after)
    old_summary = before.summary if before else None
    new_summary = after.summary if after else None
    if old_summary != new_summary:
        lines.append("- summary:")
        lines += [f"    - before: {markup.gfm_text(old_summary)}"] if old_summary else []
        lines += [f"    - after: {markup.gfm_text(new_summary)}"] if new_summary else []
    return [*lines, ""]


def _outcome_lines(before: ClaimView | None, after: ClaimView | None) -> list[str]:
    """Each outcome whose certainty or pooled estimate changed, before -> after."""
    old = {o[0]: o[1:] for o in before.outcomes} if before else {}
    new = {o[0]: o[1:] for o in after.outcomes} if after else {}
    lines = []
    for outcome_id in sorted(set(old) | set(new)):
        was, now = old.get(outcome_id, (None, "none")), new.get(outcome_id, (None, "none"))
        name = markup.gfm_code(outcome_id)
        if was[0] != now[0] or outcome_id not in old or outcome_id not in new:
            lines.append(f"- outcome {name} certainty: {_arrow(was[0], now[0])}")
        if was[1] != now[1]:
            lines.append(f"- outcome {name} pooled: {_arrow(was[1], now[1])}")
    return lines


def _problem_line(problem: Problem, prefix: str) -> str:
    hint = f" ({markup.gfm_text(problem.hint)})" if problem.hint else ""
    return (
        f"- {markup.gfm_code(f'{shown_path(prefix, problem.path)}:{problem.line}:{problem.col}')} "
        f"{problem.severity.value}[{problem.code}] {markup.gfm_text(problem.message)}{hint}"
    )


def render_impact(impact: Impact, base: str, commit: str, prefix: str = "") -> str:
    """Markdown for a pull request's step summary or a terminal; `prefix` goes before each
    problem's path (the evidence folder, e.g. 'evidence/')."""
    added = sum(c.status == "added" for c in impact.records)
    removed = sum(c.status == "removed" for c in impact.records)
    changed = sum(c.status == "changed" for c in impact.records)
    lines = [
        "## Evidence impact",
        "",
        f"Compared with {markup.gfm_code(base)} ({markup.gfm_code(commit[:12])}): "
        f"{added} added, {removed} removed, {changed} changed "
        f"{'record' if len(impact.records) == 1 else 'records'}; "
        f"{counted(len(impact.claims), 'claim')} affected; "
        f"{counted(len(impact.new_problems), 'new problem')}, "
        f"{len(impact.resolved_problems)} resolved.",
        "",
    ]
    if impact.is_empty:
        return "\n".join([*lines, "No change to the evidence.", ""])
    lines += _records_section(impact) + _entries_section(impact)
    if impact.claims:
        lines += ["### Claims", ""]
        for change in impact.claims:
            lines += _claim_lines(change)
    for title, problems in (
        ("New problems", impact.new_problems),
        ("Resolved problems", impact.resolved_problems),
    ):
        if problems:
            lines += [f"### {title}", "", *(_problem_line(p, prefix) for p in problems), ""]
    return "\n".join(lines)
