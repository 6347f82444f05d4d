"""KB601: a trial whose results are due, still marked as running, with no results linked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from kb.clock import latest
from kb.corpus import KnowledgeBase
from kb.model import Trial
from kb.problems import TRIAL_OVERDUE, Problem
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
    """Results are due, the trial is not known to have finished, and no results are linked."""
    due = results_due(trial)
    finished = trial.status is not None and trial.status.overall in FINISHED
    return due is not None and latest(due) < today and not finished and not has_results(trial)


def check(kb: KnowledgeBase, context: Context) -> Iterator[Problem]:
    for trial, loaded in kb.trials.values():
        if not is_overdue(trial, context.today):
            continue
        if trial.status is None:
            loc: tuple[str, ...] = ("id",)
            status = "no status is recorded"
        else:
            loc = ("status", "overall")
            status = f"the status is still '{trial.status.overall}'"
        yield Problem.at(
            loaded,
            loc,
            TRIAL_OVERDUE,
            f"trial '{trial.id}' is overdue as of {context.today}: results were due by "
            f"{results_due(trial)}, {status} and no results publication is linked",
            "check the registry; link the results publication or update the status and its "
            "'verified' date",
        )
