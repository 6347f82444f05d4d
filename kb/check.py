"""One call that checks a knowledge base: load, schema, every rule family, sorted problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from kb.cache import CheckCache, problem_data, problem_from
from kb.corpus import KnowledgeBase, load_kb
from kb.inputs import Inputs, read_inputs
from kb.problems import Context, Problem, sort_problems
from kb.sitecode import check_site_code

if TYPE_CHECKING:
    from kb.evidence import Evidence


def evidence_problems(
    evidence: Evidence, today: dt.date, changed: frozenset[str] = frozenset()
) -> list[Problem]:
    """The problems of the records and references.bib: those found while loading them, then
    every rule family's, sorted. `changed` names the files changed since a base revision: a
    conflict between two records is told on the changed one."""
    # the rules (and with them networkx) are imported here, not at the top: a re-check
    # answered from the cache never needs them, and their import is a tenth of a second
    from kb.rules import RULES

    context = Context(today=today, changed=changed)
    problems = list(evidence.kb.problems)
    for rule in RULES:
        problems.extend(rule(evidence, context))
    return sort_problems(problems)


def check_evidence(
    evidence: Evidence, today: dt.date, changed: frozenset[str] = frozenset()
) -> list[Problem]:
    """Every problem of the knowledge base, and of the site configuration beside it."""
    return sort_problems(
        [*evidence_problems(evidence, today, changed), *check_site_code(evidence.kb.root)]
    )


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
    """Check the knowledge base at `root`. Every file is read once, and those bytes are both
    parsed and hashed. With a cache, a run whose inputs (every file's bytes, the listing of the
    folders, the date, the changed files and kb's code) were all seen before returns the
    problems found then, and a run after a small change parses only the changed files. The site
    configuration is checked afresh on every run: it is one small file and a listing."""
    inputs = read_inputs(root)
    if cache is None or cache.refused:
        return check_kb(load_kb(root, None, inputs), today, changed)
    hit = _problems_seen(inputs, today, cache, changed)
    if hit is None:
        from kb.evidence import Evidence  # only now: see evidence_problems

        hit = _problems_found(Evidence(load_kb(root, cache, inputs)), inputs, today, cache, changed)
    return sort_problems([*hit, *check_site_code(inputs.root)])


def analyse_path(
    root: Path, today: dt.date, cache: CheckCache | None = None
) -> tuple[Evidence, list[Problem], Inputs]:
    """The analysis of the knowledge base at `root` with its problems, for the commands that
    need both (`kb generate`, `kb build`): with a cache, unchanged files are not parsed and the
    problems of inputs seen before (by `kb check` too) are not looked for again."""
    from kb.evidence import Evidence

    inputs = read_inputs(root)
    usable = None if cache is None or cache.refused else cache
    evidence = Evidence(load_kb(root, usable, inputs))
    if usable is None:
        return evidence, check_evidence(evidence, today), inputs
    hit = _problems_seen(inputs, today, usable, frozenset())
    if hit is None:
        hit = _problems_found(evidence, inputs, today, usable, frozenset())
    else:
        usable.save()  # the records parsed afresh
    return evidence, sort_problems([*hit, *check_site_code(inputs.root)]), inputs


def _run_key(
    inputs: Inputs, today: dt.date, cache: CheckCache, changed: frozenset[str]
) -> str | None:
    return inputs.run_key(cache.version, today.isoformat(), *sorted(changed), "")


def _problems_seen(
    inputs: Inputs, today: dt.date, cache: CheckCache, changed: frozenset[str]
) -> list[Problem] | None:
    run_key = _run_key(inputs, today, cache, changed)
    return _thaw_problems(cache.store("results").load().get(run_key)) if run_key else None


def _problems_found(
    evidence: Evidence,
    inputs: Inputs,
    today: dt.date,
    cache: CheckCache,
    changed: frozenset[str],
) -> list[Problem]:
    problems = evidence_problems(evidence, today, changed)
    run_key = _run_key(inputs, today, cache, changed)
    if run_key:
        results = cache.store("results")
        kept = list(results.load().items())[-(_RESULTS_KEPT - 1) :]
        results.replace({**dict(kept), run_key: [problem_data(p) for p in problems]})
    cache.save()
    return problems


def _thaw_problems(data: object) -> list[Problem] | None:
    if not isinstance(data, list):
        return None
    try:
        return [problem_from(item) for item in data]
    except (TypeError, ValueError, KeyError):
        return None
