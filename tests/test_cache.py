"""The check cache never changes results: cached, uncached, corrupted, deleted and shared by two
runs at once, a check reports exactly the same problems."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest

from kb import corpus
from kb.cache import CheckCache
from kb.check import check_path
from kb.corpus import load_kb
from kb.problems import Problem

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge base with a few problems added."""
    root = tmp_path / "evidence"
    shutil.copytree(ROOT / "evidence", root)
    (root / "studies" / "broken.yaml").write_text("id: broken\n  design: rct\n")
    (root / "claims" / "orphan.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/claim.schema.json\n"
        "id: orphan\nstatement: A claim no study supports.\nquestion: prognosis\ntopic: Test\n"
        "subject: nothing\noutcomes:\n  - {id: survival, name: survival, importance: critical, "
        "effect: decrease}\ndepends_on: [orphan-typo]\n"
    )
    return root


def _check(root: Path, cache: CheckCache | None) -> list[Problem]:
    return check_path(root, TODAY, cache)


def test_cached_and_uncached_runs_report_the_same(evidence: Path, tmp_path: Path) -> None:
    uncached = _check(evidence, None)
    assert {p.code for p in uncached} >= {"KB102", "KB301", "KB304", "KB601"}
    first = _check(evidence, CheckCache(tmp_path / "cache"))
    warm = _check(evidence, CheckCache(tmp_path / "cache"))
    assert first == uncached
    assert warm == uncached


def test_records_rebuilt_from_the_cache_equal_freshly_loaded_ones(
    evidence: Path, tmp_path: Path
) -> None:
    fresh = load_kb(evidence)
    cache = CheckCache(tmp_path / "cache")
    load_kb(evidence, cache)
    cache.save()
    cached = load_kb(evidence, CheckCache(tmp_path / "cache"))
    assert [(r.path, r.raw_id, r.record, r.source) for r in cached.records] == [
        (r.path, r.raw_id, r.record, r.source) for r in fresh.records
    ]
    assert cached.problems == fresh.problems
    assert cached.bibliography.entries == fresh.bibliography.entries


def test_a_warm_run_reads_no_record(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _check(evidence, CheckCache(tmp_path / "cache"))

    def refuse(*args: object) -> object:
        raise AssertionError("a record was parsed on a warm run")

    monkeypatch.setattr(corpus, "load_record", refuse)
    assert _check(evidence, CheckCache(tmp_path / "cache")) == expected


def test_after_one_change_only_that_file_is_parsed(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check(evidence, CheckCache(tmp_path / "cache"))
    target = evidence / "claims" / "orphan.yaml"
    target.write_text(target.read_text().replace("orphan-typo", "orphan-other"))
    parsed: list[str] = []
    original = corpus.load_record

    def counting(file: Path, kind: str, root: Path) -> object:
        parsed.append(file.name)
        return original(file, kind, root)

    monkeypatch.setattr(corpus, "load_record", counting)
    problems = _check(evidence, CheckCache(tmp_path / "cache"))
    assert parsed == ["orphan.yaml"]
    assert any("orphan-other" in p.message for p in problems)
    monkeypatch.undo()
    assert problems == _check(evidence, None)


@pytest.mark.parametrize("damage", [b"", b"kb-cache\n", b"garbage" * 100, b"kb-cache\n\x80\x05K"])
def test_a_corrupted_cache_is_ignored(evidence: Path, tmp_path: Path, damage: bytes) -> None:
    expected = _check(evidence, None)
    folder = tmp_path / "cache"
    _check(evidence, CheckCache(folder))
    for file in folder.glob("*.pickle"):
        file.write_bytes(damage)
    assert _check(evidence, CheckCache(folder)) == expected
    assert _check(evidence, CheckCache(folder)) == expected


def test_a_deleted_cache_is_rebuilt(evidence: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    expected = _check(evidence, CheckCache(folder))
    shutil.rmtree(folder)
    assert _check(evidence, CheckCache(folder)) == expected
    assert sorted(p.name.split("-")[0] for p in folder.glob("*.pickle")) == [
        "bibliography",
        "records",
        "results",
    ]


def test_two_runs_sharing_a_cache_at_once(evidence: Path, tmp_path: Path) -> None:
    expected = _check(evidence, None)
    folder = tmp_path / "cache"
    results: list[list[Problem]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_check(evidence, CheckCache(folder))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected, expected]
    assert _check(evidence, CheckCache(folder)) == expected
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_a_different_date_is_a_different_result(evidence: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    before = check_path(evidence, dt.date(2024, 1, 1), CheckCache(folder))
    after = check_path(evidence, TODAY, CheckCache(folder))
    assert not any(p.code == "KB601" for p in before)
    assert any(p.code == "KB601" for p in after)


def test_a_changed_lockfile_is_not_answered_from_the_cache(evidence: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    before = _check(evidence, CheckCache(folder))
    assert not any(p.code == "KB901" for p in before)
    (evidence / "sources.lock.json").write_text("{ not json")
    after = _check(evidence, CheckCache(folder))
    assert any(p.code == "KB901" for p in after)
    assert after == _check(evidence, None)
