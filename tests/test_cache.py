"""The check cache never changes results: cached, uncached, corrupted, deleted, shared by two runs
at once and read while files are being saved, a check reports exactly the same problems. It holds
data only (JSON, never pickle), and a cache folder that git tracks is not used."""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TODAY as FIXTURE_DAY
from conftest import minimal_kb, write_tree

from kb import corpus
from kb.cache import CheckCache
from kb.check import check_path
from kb.cli import main
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


def test_every_place_is_one_tuple_for_all_records_parsed_or_rebuilt(
    evidence: Path, tmp_path: Path
) -> None:
    """Places repeat from record to record (("identifiers", "doi", "value")); at 10,000
    studies one tuple each, rather than one per record and map, held about 200 MB less."""
    first = CheckCache(tmp_path / "cache")
    load_kb(evidence, first)
    first.save()
    for cache in (None, CheckCache(tmp_path / "cache")):
        records = load_kb(evidence, cache).records
        assert cache is None or not cache.records._added, "built back from the cache"
        places: dict[object, object] = {}
        for record in records:
            for loc in (*record.source.values, *record.source.keys):
                assert places.setdefault(loc, loc) is loc
        assert len(places) < sum(len(r.source.values) for r in records) / 3


def test_a_cache_kept_in_memory_answers_run_after_run(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `make serve` keeps it: each run gives back the records built by the run before,
    numbers as written included, without parsing a file again."""
    cache = CheckCache(tmp_path / "cache")
    fresh = load_kb(evidence)
    load_kb(evidence, cache)

    def refuse(*args: object) -> object:
        raise AssertionError("a record was parsed again")

    monkeypatch.setattr(corpus, "parse_record", refuse)
    for _ in range(3):
        again = load_kb(evidence, cache)
        assert [r.record for r in again.records] == [r.record for r in fresh.records]


def test_a_warm_run_reads_no_record(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _check(evidence, CheckCache(tmp_path / "cache"))

    def refuse(*args: object) -> object:
        raise AssertionError("a record was parsed on a warm run")

    monkeypatch.setattr(corpus, "parse_record", refuse)
    assert _check(evidence, CheckCache(tmp_path / "cache")) == expected


def test_after_one_change_only_that_file_is_parsed(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check(evidence, CheckCache(tmp_path / "cache"))
    target = evidence / "claims" / "orphan.yaml"
    target.write_text(target.read_text().replace("orphan-typo", "orphan-other"))
    parsed: list[str] = []
    original = corpus.parse_record

    def counting(content: bytes, file: Path, *rest: Any) -> object:
        parsed.append(file.name)
        return original(content, file, *rest)

    monkeypatch.setattr(corpus, "parse_record", counting)
    problems = _check(evidence, CheckCache(tmp_path / "cache"))
    assert parsed == ["orphan.yaml"]
    assert any("orphan-other" in p.message for p in problems)
    monkeypatch.undo()
    assert problems == _check(evidence, None)


def test_one_edited_record_rewrites_a_part_of_the_records_store(
    evidence: Path, tmp_path: Path
) -> None:
    """The store is about 10 KiB a record; rewriting all of it after every edit took a twelfth
    of an incremental check."""
    folder = tmp_path / "cache"
    _check(evidence, CheckCache(folder))
    before = {part.name: part.read_bytes() for part in folder.glob("records-*.json")}
    assert len(before) > 4
    target = evidence / "studies" / "broken.yaml"
    target.write_text("id: broken-again\n  design: rct\n")
    after_edit = _check(evidence, CheckCache(folder))
    after = {part.name: part.read_bytes() for part in folder.glob("records-*.json")}
    changed = {name for name in {*before, *after} if before.get(name) != after.get(name)}
    assert 1 <= len(changed) <= 2, "the new entry's part, and the old entry's (or none left)"
    assert after_edit == _check(evidence, None)
    entries = [json.loads(data)["entries"] for data in after.values()]
    keys = [key for part in entries for key in part]
    assert len(keys) == len(set(keys)) == len(list(evidence.rglob("*.yaml")))


def test_entries_are_let_go_once_their_record_is_built(evidence: Path, tmp_path: Path) -> None:
    """At 10,000 studies the store's JSON held as objects is about 0.7 GB, beside the records
    built from it."""
    _check(evidence, CheckCache(tmp_path / "cache"))
    cache = CheckCache(tmp_path / "cache")
    load_kb(evidence, cache)
    store = cache.records
    assert store._held and not any(store._unread.values())
    assert not store._added


def test_a_part_saved_by_another_run_meanwhile_keeps_its_entries(tmp_path: Path) -> None:
    """Two runs of the same evidence, each adding an entry to one part: the second to save
    reads the part again, so the first one's entry is not lost."""
    first, second = (CheckCache(tmp_path / "cache").records for _ in range(2))
    keys = [f"key-{n}" for n in range(200)]
    part = first.part(keys[0])
    same = [key for key in keys if first.part(key) == part][:2]
    assert first.take(same[0]) is None and second.take(same[1]) is None
    first.put(same[0], lambda: ["one"])
    second.put(same[1], lambda: ["two"])
    first.save({same[0], same[1]})
    second.save({same[0], same[1]})
    third = CheckCache(tmp_path / "cache").records
    assert [third.take(key) for key in same] == [["one"], ["two"]]


def test_a_record_no_file_can_hold_is_not_kept(evidence: Path, tmp_path: Path) -> None:
    """A file name that is not UTF-8 is kept as it is (surrogate escapes), which a UTF-8 cache
    file cannot hold: that entry is left out of the store, and the runs go on alike."""
    target = evidence / "claims" / "orphan.yaml"
    target.rename(evidence / "claims" / os.fsdecode(b"orph\xffan.yaml"))
    expected = _check(evidence, None)
    folder = tmp_path / "cache"
    assert _check(evidence, CheckCache(folder)) == expected
    assert _check(evidence, CheckCache(folder)) == expected
    parts = [json.loads(part.read_bytes()) for part in folder.glob("records-*")]
    kept = sum(len(part["entries"]) for part in parts)
    assert kept == len(list(evidence.rglob("*.yaml"))) - 1


def test_a_cache_kept_in_memory_forgets_the_files_gone(evidence: Path, tmp_path: Path) -> None:
    """`make serve` keeps the cache from one rebuild to the next: what it holds in memory is
    this run's files only, and an edited record is the edited one."""
    cache = CheckCache(tmp_path / "cache")
    load_kb(evidence, cache)
    target = evidence / "claims" / "orphan.yaml"
    for round_ in range(3):
        target.write_text(target.read_text().replace("statement: A", f"statement: {round_} A"))
        again = load_kb(evidence, cache)
        cache.save()
        assert [r.record for r in again.records] == [r.record for r in load_kb(evidence).records]
        assert len(cache.loaded) == len(list(evidence.rglob("*.yaml")))


@pytest.mark.parametrize(
    "damage",
    [b"", b"{", b"garbage" * 100, b"[]", b'{"format": 1}', b"[" * 100_000, b"1" * 5000],
)
def test_a_corrupted_cache_is_ignored(evidence: Path, tmp_path: Path, damage: bytes) -> None:
    expected = _check(evidence, None)
    folder = tmp_path / "cache"
    _check(evidence, CheckCache(folder))
    for file in folder.glob("*.json"):
        file.write_bytes(damage)
    assert _check(evidence, CheckCache(folder)) == expected
    assert _check(evidence, CheckCache(folder)) == expected


def test_a_pipe_or_a_link_in_place_of_a_cache_file_is_not_read(
    evidence: Path, tmp_path: Path
) -> None:
    """Reading a named pipe would wait forever for a writer; a link could point anywhere."""
    expected = _check(evidence, None)
    folder = tmp_path / "cache"
    _check(evidence, CheckCache(folder))
    version = CheckCache(folder).version
    (folder / f"results-{version}.json").unlink()
    os.mkfifo(folder / f"results-{version}.json")
    parts = sorted(folder.glob(f"records-{version}-*.json"))  # the records store's files
    assert parts
    for part in parts:
        part.replace(tmp_path / part.name)
        part.symlink_to(tmp_path / part.name)
    command = [sys.executable, "-m", "kb", "check", "--today", TODAY.isoformat()]
    command += ["--cache-dir", str(folder), str(evidence)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    uncached = subprocess.run(
        [*command, "--no-cache"], capture_output=True, text=True, timeout=120, check=False
    )
    assert (run.returncode, run.stdout, run.stderr) == (
        uncached.returncode,
        uncached.stdout,
        uncached.stderr,
    )
    assert run.stdout.count("\n") >= len(expected)


def test_a_deleted_cache_is_rebuilt(evidence: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    expected = _check(evidence, CheckCache(folder))
    shutil.rmtree(folder)
    assert _check(evidence, CheckCache(folder)) == expected
    assert sorted({p.name.split("-")[0] for p in folder.glob("*.json")}) == [
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


# ---- data only: a planted file can at worst be ignored


class _Payload:
    """Unpickling this creates the file `marker`: what a planted pickle could do is anything."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_is_never_loaded(evidence: Path, tmp_path: Path) -> None:
    """A committed `.kb-cache/results-<hash>.pickle` ran its code on `kb check` in a fresh
    clone. Every name kb ever used for its files is planted; none may run."""
    folder = tmp_path / "cache"
    folder.mkdir()
    marker = tmp_path / "code-ran"
    cache = CheckCache(folder)
    payload = b"kb-cache\n" + pickle.dumps({"x": _Payload(marker)})
    for name in ("results", "records", "bibliography"):
        (folder / f"{name}-{cache.version}.pickle").write_bytes(payload)
        (folder / f"{name}-{cache.version}.json").write_bytes(payload)
    assert _check(evidence, cache) == _check(evidence, None)
    assert not marker.exists()
    assert not list(folder.glob("*.pickle")), "the old pickles are removed"


def test_the_cache_files_are_json_with_a_format(evidence: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _check(evidence, CheckCache(folder))
    files = sorted(folder.iterdir())
    assert files
    for file in files:
        data = json.loads(file.read_bytes())
        assert data["format"] == 1 and isinstance(data["entries"], dict), file.name


def _tamper(folder: Path, change: Callable[[str, Any], Any]) -> None:
    for file in folder.glob("*.json"):
        data = json.loads(file.read_bytes())
        name = file.name.split("-")[0]
        data["entries"] = {key: change(name, value) for key, value in data["entries"].items()}
        file.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change",
    [
        lambda name, value: None,
        lambda name, value: "x",
        lambda name, value: [["p", "1", 1, "KB101", "m", None]],  # a line that is no number
        lambda name, value: [["p", 1, 1, "KB999", "m", None]],  # a code kb does not know
        lambda name, value: [value[0], [["k", 1]]] if name == "bibliography" else [1] * 8,
        lambda name, value: [*value[:4], {"id": 3}, *value[5:]] if name == "records" else value,
    ],
    ids=["null", "text", "line-not-a-number", "unknown-code", "wrong-rows", "bad-record"],
)
def test_entries_of_the_wrong_shape_are_ignored(
    evidence: Path, tmp_path: Path, change: Callable[[str, Any], Any]
) -> None:
    expected = _check(evidence, None)
    folder = tmp_path / "cache"
    _check(evidence, CheckCache(folder))
    _tamper(folder, change)
    assert _check(evidence, CheckCache(folder)) == expected
    records = CheckCache(folder)
    load_kb(evidence, records)  # the per-file entries alone, without the run's results
    assert load_kb(evidence, CheckCache(folder)).problems == load_kb(evidence).problems


def git(root: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "HOME": str(root)}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org", PATH=os.environ["PATH"])
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def test_a_cache_folder_that_git_tracks_is_refused(tmp_path: Path) -> None:
    """A cache committed to the repository could make a fresh clone's check say anything."""
    repository = tmp_path / "repository"
    write_tree(repository / "evidence", minimal_kb())
    (repository / "evidence" / "studies" / "broken.yaml").write_text("id: [\n")
    (repository / ".kb-cache").mkdir()
    (repository / ".kb-cache" / "results-0.json").write_text("{}")
    git(repository, "init", "-q")
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "a cache committed by mistake, or on purpose")
    with contextlib.chdir(repository):
        result = CliRunner().invoke(main, ["check", "--today", "2024-06-01"])
        uncached = CliRunner().invoke(main, ["check", "--today", "2024-06-01", "--no-cache"])
    assert "warning: the cache folder .kb-cache is tracked by git" in result.stderr
    assert (result.exit_code, result.stdout) == (uncached.exit_code, uncached.stdout)
    assert sorted(p.name for p in (repository / ".kb-cache").iterdir()) == ["results-0.json"]


# ---- each file read once, so results match the bytes they came from


@contextlib.contextmanager
def counting_opens(root: Path) -> Iterator[Counter[str]]:
    """How often each file under `root` is opened for reading."""
    opened: Counter[str] = Counter()
    real, real_os_open = io.open, os.open

    def count(file: Any) -> None:
        if isinstance(file, str | os.PathLike):
            path = Path(file).absolute()
            if path.is_relative_to(root):
                opened[path.relative_to(root).as_posix()] += 1

    def counted(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "r" in mode:
            count(file)
        return real(file, mode, *args, **kwargs)

    def counted_os_open(file: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if not flags & (os.O_WRONLY | os.O_RDWR):
            count(file)
        return real_os_open(file, flags, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(io, "open", counted)
        patch.setattr(builtins, "open", counted)
        patch.setattr(os, "open", counted_os_open)
        yield opened


def test_each_file_is_read_once_per_check(kb_root: Path, tmp_path: Path) -> None:
    """The key of a file's result is made from the very bytes that were parsed: a file read
    twice could be saved in between, and one version's result stored under the other's key."""
    root = kb_root.absolute()
    for _ in range(2):  # cold, then warm
        with counting_opens(root) as opened:
            check_path(root, FIXTURE_DAY, CheckCache(tmp_path / "cache"))
        assert opened and max(opened.values()) == 1, opened
        assert set(opened) == {path for path in minimal_kb()}
    with counting_opens(root) as opened:
        check_path(root, FIXTURE_DAY, None)
    assert max(opened.values()) == 1, opened


def _flip(file: Path, versions: list[bytes], stop: threading.Event) -> None:
    """Save `file` as each version in turn, atomically (an editor's save), until stopped."""
    turn = 0
    while not stop.is_set():
        temporary = file.with_name(f".{file.name}.saving")
        temporary.write_bytes(versions[turn % len(versions)])
        os.replace(temporary, file)
        turn += 1
        time.sleep(0.0005)


def test_results_match_no_cache_while_files_are_saved(kb_root: Path, tmp_path: Path) -> None:
    """An editor saves a record again and again, between a version with an error and one
    without, while checks run with the cache. Each result is what --no-cache says of one of
    the versions, and once the saving stops, the cached result is that of the file as it is."""
    root = kb_root.absolute()
    file = root / "studies" / "smith-2020.yaml"
    good = file.read_bytes()
    bad = good.replace(b"p: 0.003", b"p: 3.5")  # KB703
    expected = {}
    for version in (good, bad):
        file.write_bytes(version)
        expected[version] = check_path(root, FIXTURE_DAY, None)
    assert expected[good] != expected[bad]
    folder = tmp_path / "cache"
    stop = threading.Event()
    editor = threading.Thread(target=_flip, args=(file, [good, bad], stop))
    editor.start()
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            found = check_path(root, FIXTURE_DAY, CheckCache(folder))
            assert found in (expected[good], expected[bad])
    finally:
        stop.set()
        editor.join()
    for version in (good, bad):
        file.write_bytes(version)
        for _ in range(2):
            assert check_path(root, FIXTURE_DAY, CheckCache(folder)) == expected[version]


def test_a_new_stray_file_is_reported_from_a_warm_cache(kb_root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    check_path(kb_root, FIXTURE_DAY, CheckCache(folder))
    (kb_root / "studies" / "notes.txt").write_text("reading list")
    cached = check_path(kb_root, FIXTURE_DAY, CheckCache(folder))
    assert [p.code for p in cached] == ["KB113"]
    assert cached == check_path(kb_root, FIXTURE_DAY, None)


def test_a_change_to_the_site_configuration_is_seen_from_a_warm_cache(
    kb_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    check_path(kb_root, FIXTURE_DAY, CheckCache(folder))
    (kb_root.parent / "mkdocs.yml").write_text("site_name: x\nhooks:\n  - evil.py\n")
    cached = check_path(kb_root, FIXTURE_DAY, CheckCache(folder))
    assert [p.code for p in cached] == ["KB115"]
    assert cached == check_path(kb_root, FIXTURE_DAY, None)
