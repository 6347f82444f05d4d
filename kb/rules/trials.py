"""KB601: a trial whose results are due, still marked as running, with no results linked."""

from __future__ import annotations

from collections.abc import Iterator

from kb.evidence import Evidence
from kb.problems import TRIAL_OVERDUE, Context, Problem
from kb.trials import is_overdue, results_due


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    for loaded in kb.trials.values():
        trial = loaded.record
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
