"""What a trial record says about its results: when they were due, whether they are in, whether
they are overdue."""

from __future__ import annotations

import datetime as dt

from kb.clock import latest
from kb.model import Trial

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
    """Results are due, the trial is not known to have finished, and no results are linked."""
    due = results_due(trial)
    finished = trial.status is not None and trial.status.overall in FINISHED
    return due is not None and latest(due) < today and not finished and not has_results(trial)
