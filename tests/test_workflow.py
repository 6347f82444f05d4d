"""The scheduled workflow that resolves the identifiers: when it runs, what it may do, and that it
only proposes the lockfile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "resolve.yml"


def workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def test_it_runs_weekly_and_on_demand() -> None:
    triggers = workflow()[True]  # YAML 1.1 reads the key 'on' as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    _, _, day, month, weekday = triggers["schedule"][0]["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()


def test_permissions_are_the_least_it_needs() -> None:
    data = workflow()
    assert data["permissions"] == {}
    (job,) = data["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_it_resolves_then_proposes_only_the_lockfile() -> None:
    (job,) = workflow()["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(run.startswith("kb resolve evidence") for run in runs)
    resolve = next(step for step in job["steps"] if "kb resolve" in step.get("run", ""))
    assert resolve["env"] == {"KB_CONTACT_EMAIL": "${{ vars.KB_CONTACT_EMAIL }}"}
    pull = next(step for step in job["steps"] if "gh pr create" in step.get("run", ""))
    assert "git add evidence/sources.lock.json\n" in pull["run"]
    assert pull["run"].count("git add") == 1  # nothing but the lockfile is committed
    assert job["steps"].index(pull) == len(job["steps"]) - 1
