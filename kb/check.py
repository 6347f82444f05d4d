"""One call that checks a knowledge base: load, schema, every rule family, sorted problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from kb.cache import CheckCache, content_key
from kb.corpus import KnowledgeBase, file_key, input_files, load_kb
from kb.problems import Context, Problem, sort_problems

if TYPE_CHECKING:
    from kb.evidence import Evidence


def check_evidence(
    evidence: Evidence, today: dt.date, changed: frozenset[str] = frozenset()
) -> list[Problem]:
    """Every problem of the knowledge base: those found while loading it, then every rule
    family's, sorted. `changed` names the files changed since a base revision: a conflict
    between two records is told on the changed one."""
    # the rules (and with them networkx) are imported here, not at the top: a re-check
    # answered from the cache never needs them, and their import is a tenth of a second
    from kb.rules import RULES

    context = Context(today=today, changed=changed)
    problems = list(evidence.kb.problems)
    for rule in RULES:
        problems.extend(rule(evidence, context))
    return sort_problems(problems)


def check_kb(
    kb: KnowledgeBase, today: dt.date, changed: frozenset[str] = frozenset()
) -> list[Problem]:
    from kb.evidence import Evidence

    return check_evidence(Evidence(kb), today, changed)


_RESULTS_KEPT = 8


def check_path(
    root: Path,
    today: dt.date,
    cache: CheckCache | None = None,
    changed: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Check the knowledge base at `root`. With a cache, a run whose inputs (every file's bytes,
    the date, the changed files and kb's code) were all seen before returns the problems found
    then, and a run after a small change re-reads only the changed files."""
    if cache is None:
        return check_kb(load_kb(root), today, changed)
    files, _ = input_files(root)
    keys = [file_key(file, kind, root.absolute()) for file, kind in files]
    run_key = (
        None
        if None in keys
        else content_key(
            cache.version, today.isoformat(), *sorted(changed), "", *(key or "" for key in keys)
        )
    )
    results = cache.store("results")
    hit = results.load().get(run_key) if run_key else None
    if isinstance(hit, list):
        return hit
    problems = check_kb(load_kb(root, cache), today, changed)
    if run_key:
        kept = list(results.load().items())[-(_RESULTS_KEPT - 1) :]
        results.entries = dict(kept)
        results.put(run_key, problems)
    cache.save()
    return problems
