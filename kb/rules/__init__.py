"""The rule families of `kb check`, one module each; every family is a `check(evidence,
context)` that yields problems, and every family is listed in RULES."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kb.evidence import Evidence
from kb.problems import Context, Problem
from kb.rules import (
    citations,
    cohorts,
    duplicates,
    findings,
    grading,
    ids,
    links,
    numbers,
    registries,
    risk_of_bias,
    trials,
)

Rule = Callable[[Evidence, Context], Iterator[Problem]]

RULES: tuple[Rule, ...] = (
    ids.check,
    citations.check,
    duplicates.check,
    numbers.check,
    trials.check,
    links.check,
    findings.check,
    cohorts.check,
    risk_of_bias.check,
    grading.check,
    registries.check,
)
"""Every rule family, in the order their problems are gathered (reports sort them anyway)."""
