"""One call that checks a knowledge base: load, schema, every rule family, sorted problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kb import grade, graph
from kb.corpus import KnowledgeBase, load_kb
from kb.problems import Problem, sort_problems
from kb.rules import Context, Rule, citations, duplicates, ids, numbers, sources, trials
from kb.verification import verify_kb

RULES: tuple[Rule, ...] = (
    ids.check,
    citations.check,
    duplicates.check,
    numbers.check,
    trials.check,
)


def check_kb(kb: KnowledgeBase, today: dt.date) -> list[Problem]:
    context = Context(today=today)
    problems = list(kb.problems)
    for rule in RULES:
        problems.extend(rule(kb, context))
    claim_graph = graph.build_graph(kb)
    verification = verify_kb(kb)
    problems.extend(graph.check(kb, context, claim_graph))
    problems.extend(grade.check(kb, context, claim_graph, verification.excluded))
    problems.extend(sources.check(kb, context, claim_graph, verification))
    return sort_problems(problems)


def check_path(root: Path, today: dt.date) -> list[Problem]:
    return check_kb(load_kb(root), today)
