"""What changed in each claim over the evidence's git history: when it was added, and each
commit that changed its statement, its certainty (the claim's or an outcome's) or the number of
studies that support or refute it, with the commit's date.

The history is read from git: each commit that touched the evidence folder is unpacked and
analysed as it was. A commit whose records a later version of kb cannot read (an older record
format) shows the claim as unreadable there; changes are then measured from the last commit
where it could be read, so a change of format is not reported as a change of evidence. Outside
a git repository there is no history. The same commits give the same history.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from kb.changes import Change, ClaimState, claim_states, differences, rating_words
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.revision import RevisionError, evidence_at


def evidence_commits(evidence: Path) -> list[tuple[str, dt.date]]:
    """(commit, committer date) of every commit that touched `evidence`, oldest first; empty
    outside a git repository."""
    try:
        result = subprocess.run(
            ["git", "log", "--reverse", "--format=%H %cs", "--", "."],
            cwd=evidence,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if result.returncode != 0:
        return []
    commits = []
    for line in result.stdout.splitlines():
        commit, _, date = line.partition(" ")
        try:
            commits.append((commit, dt.date.fromisoformat(date)))
        except ValueError:
            continue
    return commits


def claim_history(evidence: Path) -> dict[str, list[Change]]:
    """Claim id -> its changes, oldest first, over the commits that touched `evidence`."""
    history: dict[str, list[Change]] = {}
    last: dict[str, ClaimState] = {}
    for commit, date in evidence_commits(evidence):
        try:
            with evidence_at(evidence, commit) as folder:
                states = claim_states(Evidence(load_kb(folder)))
        except RevisionError:
            continue
        for claim_id, state in states.items():
            changes = history.setdefault(claim_id, [])
            if not changes:
                added = (
                    ("Added",)
                    if state is None
                    else (f"Added, with {rating_words(state.certainty)} certainty",)
                )
                changes.append(Change(date, commit, added))
            elif state is not None and claim_id in last:
                found = differences(last[claim_id], state)
                if found:
                    changes.append(Change(date, commit, found))
            elif state is not None:  # readable for the first time: a new record format
                rated = f"Certainty rated by the current method: {rating_words(state.certainty)}"
                changes.append(Change(date, commit, (rated,)))
            if state is not None:
                last[claim_id] = state
    return history
