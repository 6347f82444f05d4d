"""The claim histories' cache: each commit is analysed once, and the history is the same with the
cache, without it, and with a cache that is damaged, of another shape, written by other code,
written for a history since rewritten, or written by two runs at once."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_history import CLAIM, commit, git, three_commits

from kb import history
from kb.cache import CacheFolder
from kb.changes import Change
from kb.cli import main
from kb.history import claim_history, states_from

OTHER_CLAIM = "liver-metastases-predict-survival"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    return six_commits(tmp_path / "repo")


def six_commits(root: Path) -> Path:
    """Those of three_commits, then the drug claim in a record format kb cannot read, read
    again, and reworded, so that the cache holds unreadable claims too."""
    three_commits(root)
    claim = root / "evidence" / "claims" / f"{CLAIM}.yaml"
    text = claim.read_text()
    claim.write_text(text.replace("subject: drug X after resection\n", ""))
    commit(root, "old format", "2024-05-01T12:00:00Z")
    claim.write_text(text)
    commit(root, "current format", "2024-06-01T12:00:00Z")
    claim.write_text(text.replace("improves overall survival", "lengthens overall survival"))
    commit(root, "reworded", "2024-07-01T12:00:00Z")
    return root


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commits whose evidence is unpacked and analysed, in order."""
    seen: list[str] = []
    unpack = history.evidence_at

    def counting(evidence: Path, revision: str) -> contextlib.AbstractContextManager[Path]:
        seen.append(revision)
        return unpack(evidence, revision)

    monkeypatch.setattr(history, "evidence_at", counting)
    return seen


def history_file(folder: Path) -> Path:
    (file,) = folder.glob("history-*.json")
    return file


def commits_of(repository: Path) -> list[str]:
    return git(repository, "log", "--reverse", "--format=%H", "--", "evidence").split()


def test_the_history_is_the_same_cold_warm_and_without_a_cache(
    repository: Path, tmp_path: Path, analysed: list[str]
) -> None:
    evidence = repository / "evidence"
    expected = claim_history(evidence)
    assert [len(c.what) for c in expected[CLAIM]] == [1, 2, 1]
    assert expected[CLAIM][-1].what == (
        "Reworded: “Drug X after resection lengthens overall survival.”",
    )
    analysed.clear()
    cold = claim_history(evidence, CacheFolder(tmp_path / "cache"))
    assert analysed == commits_of(repository), "each commit analysed once"
    analysed.clear()
    warm = claim_history(evidence, CacheFolder(tmp_path / "cache"))
    assert analysed == [], "a warm run analyses nothing"
    assert cold == warm == expected
    assert list(cold) == list(warm) == list(expected), "claims in the same order"


def test_only_a_new_commit_is_analysed(
    repository: Path, tmp_path: Path, analysed: list[str]
) -> None:
    evidence = repository / "evidence"
    claim_history(evidence, CacheFolder(tmp_path / "cache"))
    claim = evidence / "claims" / f"{OTHER_CLAIM}.yaml"
    claim.write_text(claim.read_text().replace("predict shorter", "predict much shorter"))
    commit(repository, "reworded the other claim", "2024-08-01T12:00:00Z")
    analysed.clear()
    cached = claim_history(evidence, CacheFolder(tmp_path / "cache"))
    assert analysed == commits_of(repository)[-1:]
    assert cached == claim_history(evidence)
    assert cached[OTHER_CLAIM][-1].what[0].startswith("Reworded")


def test_a_rewritten_history_is_analysed_afresh(
    repository: Path, tmp_path: Path, analysed: list[str]
) -> None:
    """An amended commit has a new id: its entry is not found, and the old one is dropped."""
    evidence = repository / "evidence"
    folder = tmp_path / "cache"
    claim_history(evidence, CacheFolder(folder))
    replaced = commits_of(repository)[-1]
    claim = evidence / "claims" / f"{CLAIM}.yaml"
    claim.write_text(claim.read_text().replace("lengthens", "prolongs"))
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "--amend", "--no-edit", date="2024-07-02T12:00:00Z")
    analysed.clear()
    cached = claim_history(evidence, CacheFolder(folder))
    assert analysed == commits_of(repository)[-1:] != [replaced]
    assert cached == claim_history(evidence)
    assert "prolongs" in cached[CLAIM][-1].what[0]
    keys = json.loads(history_file(folder).read_bytes())["entries"]
    assert not any(key.startswith(replaced) for key in keys)
    assert len(keys) == len(commits_of(repository))


def test_a_cache_written_by_other_code_is_not_used(repository: Path, tmp_path: Path) -> None:
    """Its entries, however well formed, may hold what older code made of the same commits."""
    evidence = repository / "evidence"
    expected = claim_history(evidence)
    folder = tmp_path / "cache"
    claim_history(evidence, CacheFolder(folder))
    file = history_file(folder)
    data = json.loads(file.read_bytes())
    forged = [[CLAIM, ["Forged.", "high", [], 9, 0]]]
    data["entries"] = {key: forged for key in data["entries"]}
    other = folder / "history-0000000000000000.json"
    other.write_text(json.dumps({**data, "kb": "0000000000000000"}))
    file.write_text(json.dumps({**data, "kb": "0000000000000000"}))  # the right name, not code
    assert claim_history(evidence, CacheFolder(folder)) == expected
    assert [p.name for p in folder.iterdir()] == [file.name], "other code's cache removed"


@dataclass(frozen=True)
class Cached:
    """A repository that no test changes, its history, and the cache file a run writes for it."""

    evidence: Path
    history: dict[str, list[Change]]
    file: bytes
    name: str

    def cache_in(self, folder: Path) -> Path:
        """A copy of the cache file in `folder`."""
        folder.mkdir()
        (folder / self.name).write_bytes(self.file)
        return folder / self.name


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> Cached:
    evidence = six_commits(tmp_path_factory.mktemp("shared") / "repo") / "evidence"
    folder = evidence.parent.parent / "cache"
    claim_history(evidence, CacheFolder(folder))
    file = history_file(folder)
    return Cached(evidence, claim_history(evidence), file.read_bytes(), file.name)


def _valid_entries(folder: Path) -> dict[str, Any]:
    entries = json.loads(history_file(folder).read_bytes())["entries"]
    assert all(states_from(value) is not None for value in entries.values())
    return dict(entries)


@pytest.mark.parametrize(
    "damage",
    [
        lambda valid: b"",
        lambda valid: valid[: len(valid) // 2],  # cut short, as by a full disk
        lambda valid: b"\x00\xff" * 64,
        lambda valid: b"[" * 100_000,
        lambda valid: valid.replace(b'"entries":{', b'"entries":{"x":' + b"[" * 100_000, 1),
        lambda valid: valid.replace(b'"entries":{', b'"entries":[{', 1),
        lambda valid: b'{"format": 1, "kb": "x", "entries": {}}',
    ],
    ids=["empty", "truncated", "binary", "deep", "deep-entry", "entries-not-a-map", "other-kb"],
)
def test_a_damaged_cache_file_is_ignored_and_rewritten(
    cached: Cached, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    folder = tmp_path / "cache"
    cached.cache_in(folder).write_bytes(damage(cached.file))
    assert claim_history(cached.evidence, CacheFolder(folder)) == cached.history
    assert _valid_entries(folder) == json.loads(cached.file)["entries"]


def _state(**change: Any) -> list[Any]:
    state = {"statement": "Forged.", "certainty": "low", "outcomes": [], "supports": 1}
    state.update(change)
    return [[CLAIM, [*state.values(), 0]]]


@pytest.mark.parametrize(
    "entry",
    [
        "x",
        {CLAIM: None},
        [[CLAIM]],
        [[1, None]],
        [[CLAIM, None], [CLAIM, None]],
        [[CLAIM, "abcde"]],
        [[CLAIM, {"statement": "Forged."}]],
        [[CLAIM, ["Forged.", "low", [], 1]]],
        _state(statement=1),
        _state(certainty="very-high"),
        _state(certainty=["low"]),
        _state(supports=-1),
        _state(supports=True),
        _state(supports=1.5),
        _state(outcomes="ab"),
        _state(outcomes=[["survival", "survival"]]),
        _state(outcomes=[["survival", "survival", "moderately-low"]]),
        _state(outcomes=[["survival", None, "low"]]),
    ],
)
def test_an_entry_of_another_shape_is_ignored_and_replaced(
    cached: Cached, tmp_path: Path, entry: Any
) -> None:
    """Each of these, were it read, would put 'Forged.' or a rating kb cannot name (a
    traceback) on the claim's page."""
    folder = tmp_path / "cache"
    data = json.loads(cached.file)
    valid = dict(data["entries"])
    data["entries"] = {key: entry for key in valid}
    cached.cache_in(folder).write_text(json.dumps(data))
    assert claim_history(cached.evidence, CacheFolder(folder)) == cached.history
    assert _valid_entries(folder) == valid


def test_runs_sharing_the_cache_at_once_agree(repository: Path, tmp_path: Path) -> None:
    """Each writes the whole file by a rename: a run sees one file or the other, never half."""
    evidence = repository / "evidence"
    expected = claim_history(evidence)
    folder = tmp_path / "cache"
    results: list[dict[str, list[Change]]] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(3):
                for file in folder.glob("history-*.json"):  # each run writes afresh
                    file.unlink(missing_ok=True)
                results.append(claim_history(evidence, CacheFolder(folder)))
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(results) == 12 and all(result == expected for result in results)
    assert claim_history(evidence, CacheFolder(folder)) == expected
    assert len(_valid_entries(folder)) == len(commits_of(repository))


def _generate(repository: Path, *options: str) -> tuple[str, dict[str, bytes]]:
    with contextlib.chdir(repository):
        result = CliRunner().invoke(main, ["generate", "--today", "2024-08-01", *options])
    assert result.exit_code == 0, result.output
    docs = repository / "site_src"
    pages = {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*.md"))}
    return result.stderr, pages


def test_kb_generate_keeps_the_cache_and_writes_the_same_pages(repository: Path) -> None:
    _, uncached = _generate(repository, "--no-cache")
    assert not (repository / ".kb-cache").exists()
    assert b"Reworded" in uncached[f"claims/{CLAIM}.md"]
    _, cold = _generate(repository)
    assert history_file(repository / ".kb-cache")
    _, warm = _generate(repository)
    assert uncached == cold == warm


def test_a_cache_folder_that_git_tracks_is_not_used_by_kb_generate(repository: Path) -> None:
    """A committed cache would put whatever its author wrote on every claim page."""
    folder = repository / ".kb-cache"
    folder.mkdir()
    (folder / "history-0.json").write_text("{}")
    commit(repository, "a cache committed", "2024-08-01T12:00:00Z")
    warning, pages = _generate(repository)
    assert "warning: the cache folder .kb-cache is tracked by git" in warning
    assert [p.name for p in folder.iterdir()] == ["history-0.json"]
    assert pages == _generate(repository, "--no-cache")[1]
