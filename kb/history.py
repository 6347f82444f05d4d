"""What changed in each claim over the evidence's git history: when it was added, and each
commit that changed its statement, its certainty (the claim's or an outcome's) or the number of
studies that support or refute it, with the commit's date.

The history is read from git: each commit that touched the evidence folder is unpacked and
analysed as it was. A commit whose records a later version of kb cannot read (an older record
format) shows the claim as unreadable there; changes are then measured from the last commit
where it could be read, so a change of format is not reported as a change of evidence. Outside
a git repository there is no history. The same commits give the same history.

Analysing every commit again at every build grows with the history (seconds per dozen commits),
so with a cache (kb.cache) each commit is analysed once: its claims' states are kept under the
commit's id and the evidence folder's place in the repository, for this version of kb's code. A
rewritten commit has a new id, so it is analysed afresh; an entry of any other shape than kb
writes is ignored and replaced. The states are all that is kept: what changed between them is
worked out on every build, so the history is the same with the cache and without it.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from kb.cache import CacheFolder
from kb.changes import Change, ClaimState, claim_states, differences, rating_words
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.revision import RevisionError, evidence_at
from kb.words import CERTAINTY_WORDS

States = dict[str, ClaimState | None]
"""Claim id -> its state at one commit, as kb.changes.claim_states gives it (in its order)."""


def _git_output(evidence: Path, *args: str) -> str | None:
    """What git prints when run in `evidence`; None outside a repository or without git."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=evidence,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def evidence_commits(evidence: Path) -> list[tuple[str, dt.date]]:
    """(commit, committer date) of every commit that touched `evidence`, oldest first; empty
    outside a git repository."""
    output = _git_output(evidence, "log", "--reverse", "--format=%H %cs", "--", ".")
    commits = []
    for line in (output or "").splitlines():
        commit, _, date = line.partition(" ")
        try:
            commits.append((commit, dt.date.fromisoformat(date)))
        except ValueError:
            continue
    return commits


def claim_history(evidence: Path, cache: CacheFolder | None = None) -> dict[str, list[Change]]:
    """Claim id -> its changes, oldest first, over the commits that touched `evidence`. With a
    cache, only the commits it does not hold are analysed; the result is the same."""
    commits = evidence_commits(evidence)
    analysed = commit_states(evidence, [commit for commit, _ in commits], cache)
    history: dict[str, list[Change]] = {}
    last: dict[str, ClaimState] = {}
    for commit, date in commits:
        if commit not in analysed:  # git could not unpack it
            continue
        states = analysed[commit]
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


def commit_states(
    evidence: Path, commits: list[str], cache: CacheFolder | None = None
) -> dict[str, States]:
    """Each commit's claim states, from the cache where it holds them, else by analysing the
    evidence as committed (and keeping the result); a commit git cannot unpack is left out."""
    if not commits:
        return {}
    store = None if cache is None else cache.store("history")
    place = (_git_output(evidence, "rev-parse", "--show-prefix") or "").strip()
    used: set[str] = set()
    analysed: dict[str, States] = {}
    for commit in commits:
        key = f"{commit} {place}"
        used.add(key)
        states = None if store is None else states_from(store.load().get(key))
        if states is None:
            try:
                with evidence_at(evidence, commit) as folder:
                    states = claim_states(Evidence(load_kb(folder)))
            except RevisionError:
                continue
            if store is not None:
                store.put(key, states_data(states))
        analysed[commit] = states
    if store is not None:  # drop this folder's commits that are no longer in its history
        others = {key for key in store.load() if key.partition(" ")[2] != place}
        store.save(keep=used | others)
    return analysed


def states_data(states: States) -> list[Any]:
    """Claim states as JSON data: [claim id, state or null] pairs, in their order."""
    return [
        [
            claim_id,
            None
            if state is None
            else [
                state.statement,
                state.certainty,
                [list(outcome) for outcome in state.outcomes],
                state.supports,
                state.refutes,
            ],
        ]
        for claim_id, state in states.items()
    ]


def states_from(data: Any) -> States | None:
    """The claim states `states_data` wrote; None when `data` is anything else (missing, of
    another shape, a rating kb does not know, a count that is not a whole number)."""
    if not isinstance(data, list):
        return None
    states: States = {}
    for pair in data:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            return None
        claim_id, state = pair
        if claim_id in states:
            return None
        if state is None:
            states[claim_id] = None
            continue
        parsed = _state_from(state)
        if parsed is None:
            return None
        states[claim_id] = parsed
    return states


def _state_from(data: Any) -> ClaimState | None:
    if not (isinstance(data, list) and len(data) == 5 and isinstance(data[2], list)):
        return None
    statement, certainty, outcomes, supports, refutes = data
    rows = [row for row in outcomes if isinstance(row, list) and len(row) == 3]
    texts = [statement, *(text for row in rows for text in row[:2])]
    ratings = [certainty, *(row[2] for row in rows)]
    counts = [supports, refutes]
    if not (
        len(rows) == len(outcomes)
        and all(isinstance(text, str) for text in texts)
        and all(_is_rating(rating) for rating in ratings)
        and all(type(count) is int and count >= 0 for count in counts)
    ):
        return None
    return ClaimState(
        statement, certainty, tuple((row[0], row[1], row[2]) for row in rows), supports, refutes
    )


def _is_rating(value: Any) -> bool:
    """A certainty kb can name (rating_words would fail on any other), or none."""
    return value is None or (isinstance(value, str) and value in CERTAINTY_WORDS)
