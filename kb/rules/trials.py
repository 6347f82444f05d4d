"""KB601: a trial whose results are due, still marked as running, with no results linked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from kb.clock import latest
from kb.corpus import KnowledgeBase
from kb.model import Trial
from kb.problems import Problem
from kb.rules import Context

FINISHED = frozenset({"completed", "terminated", "withdrawn"})
RESULTS = frozenset({"results", "interim-results"})


def results_due(trial: Trial) -> str | None:
    """The date results were due: announced results date, else completion, else primary
    completion."""
    dates = trial.dates
    for due in (dates.results_expected, dates.completion, dates.primary_completion):
        if due is not None:
            return due.date
    return None


def has_results(trial: Trial) -> bool:
    return any(publication.type in RESULTS for publication in trial.publications)


def is_overdue(trial: Trial, today: dt.date) -> bool:
    due = results_due(trial)
    return (
        due is not None
        and latest(due) < today
        and trial.status.overall not in FINISHED
        and not has_results(trial)
    )


def check(kb: KnowledgeBase, context: Context) -> Iterator[Problem]:
    for trial, loaded in kb.trials.values():
        if is_overdue(trial, context.today):
            line, col = loaded.source.value(("status", "overall"))
            yield Problem(
                loaded.path,
                line,
                col,
                "KB601",
                f"trial '{trial.id}' is overdue as of {context.today}: results were "
                f"due by {results_due(trial)} and the status is still "
                f"'{trial.status.overall}' with no results publication linked",
                "check the registry; link the results publication or update the "
                "status and its 'verified' date",
            )
