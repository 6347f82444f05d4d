"""What `kb import` says it did: one line per entry added or updated, its problems, a summary."""

from __future__ import annotations

from kb.files import display_path
from kb.imports.plan import ImportPlan
from kb.imports.update import EntryUpdate
from kb.problems import IMPORT_NOT_WRITTEN, Problem
from kb.report import format_text, summary_line
from kb.words import counted


def import_report(plan: ImportPlan, problems: list[Problem], dry_run: bool) -> list[str]:
    """The lines `kb import` prints, for a plan applied (with the problems of applying it) or,
    with `dry_run`, only planned."""
    written = dry_run or not any(p.code == IMPORT_NOT_WRITTEN for p in problems)
    bib = display_path(plan.bib)
    lines = []
    for added in plan.added if written else []:
        verb = "would add" if dry_run else "added"
        lines.append(
            f"{verb} {added.key} to {bib} and {display_path(added.stub)} (from {added.source})"
        )
    for update in plan.updated if written else []:
        lines.append(_update_line(update, bib, dry_run))
    lines += [format_text(problem) for problem in problems]
    count = len(plan.added) if written else 0
    summary = f"{counted(count, 'reference')} {'to add' if dry_run else 'added'}"
    changed = sum(bool(u.added or u.replaced) for u in plan.updated) if written else 0
    if plan.updated:
        summary += (
            f", {counted(changed, 'entry', 'entries')} {'to update' if dry_run else 'updated'}"
        )
    lines.append(f"{summary}; {summary_line(problems)}")
    if count and not dry_run:
        kinds = " or ".join(sorted({f"{added.kind}" for added in plan.added}))
        lines.append(f"next: fill in each new {kinds}, then run 'kb check'")
    return lines


def _update_line(update: EntryUpdate, bib: str, dry_run: bool) -> str:
    source = f"(from {update.source}: {update.why})"
    if not (update.added or update.replaced):
        differs = " (and differs in some: see below)" if update.kept else ""
        return f"{update.key} in {bib} already has every field of {update.source}{differs}"
    changes = []
    if update.added:
        changes.append("added " + ", ".join(update.added))
    if update.replaced:
        changes.append("replaced " + ", ".join(update.replaced))
    verb = "would update" if dry_run else "updated"
    return f"{verb} {update.key} in {bib}: {'; '.join(changes)} {source}"
