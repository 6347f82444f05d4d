"""The corpus of broken and hostile input: every case gets its problems, at their places, in
bounded time and memory, and the rest of the knowledge base is still checked.

Each case in tests/corpus/cases.yaml changes a copy of the small valid knowledge base
(tests/conftest.py) and lists every problem the whole check must then report, as
[code, path, line, column] with, optionally, the text that stands there. The copy also holds
`claims/lonely-claim.yaml`, whose warning (KB304) every case must still report: one broken file
never hides the others. Big, binary and special files are made at test time (see `write_file`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TODAY, minimal_kb, write_tree

from kb.check import check_kb
from kb.corpus import KnowledgeBase, load_kb, modeline
from kb.problems import CATALOGUE, Problem
from kb.report import format_text

CASES_FILE = Path(__file__).parent / "corpus" / "cases.yaml"
SENTINEL_PATH = "claims/lonely-claim.yaml"
SENTINEL = f"""\
{modeline("claim")}
id: lonely-claim
statement: Nothing links to this claim, so it must always be reported.
subject: nothing
question: diagnosis
topic: diagnosis
outcomes:
  - {{id: accuracy, name: accuracy, importance: critical, effect: estimate}}
"""
SENTINEL_PROBLEM = ("KB304", SENTINEL_PATH, 2, 5)
SECONDS = 10.0
"""Generous: the slowest case takes well under a second."""
PEAK_BYTES = 16 * 2**20
"""Python memory at the peak of one check, as tracemalloc counts it (the largest case needs
under 4 MiB); reading one of the 50 MB files would exceed it."""
FAMILIES = {
    "yaml-syntax",
    "tabs",
    "duplicate-keys",
    "encoding",
    "binary",
    "empty",
    "root-not-a-mapping",
    "nesting",
    "aliases",
    "size",
    "file-system",
    "ids",
    "missing-records",
    "bibtex",
    "numbers",
    "urls",
}


@dataclass(frozen=True)
class Case:
    name: str
    family: str
    files: Mapping[str, Any]
    edits: tuple[tuple[str, str, Any], ...]
    expect: tuple[tuple[Any, ...], ...]


def load_cases() -> list[Case]:
    raw = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    return [
        Case(
            name=item["name"],
            family=item["family"],
            files=item.get("files") or {},
            edits=tuple(tuple(edit) for edit in item.get("edits") or ()),
            expect=tuple(tuple(problem) for problem in item.get("expect") or ()),
        )
        for item in raw
    ]


CASES = load_cases()


def joined(text: str | list[Any]) -> str:
    """A text, or a list of pieces: strings, and [string, n] for n copies of it."""
    if isinstance(text, str):
        return text
    return "".join(piece if isinstance(piece, str) else piece[0] * piece[1] for piece in text)


def write_file(target: Path, spec: Any) -> None:
    """Write one file of a case. `spec` is the text itself, None (remove the file), or a mapping:
    text (UTF-8), bytes (each character U+0000-U+00FF is one byte), copy (of a file of the valid
    knowledge base), sparse (a file of that many bytes, none written), symlink (the link's
    target), fifo or folder; `kind` puts that kind's modeline first."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    if spec is None:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, str):
        spec = {"text": spec}
    head = (modeline(spec["kind"]) + "\n").encode() if "kind" in spec else b""
    if "text" in spec:
        target.write_bytes(head + joined(spec["text"]).encode("utf-8"))
    elif "bytes" in spec:
        target.write_bytes(head + spec["bytes"].encode("latin-1"))
    elif "copy" in spec:
        target.write_bytes(head + str(minimal_kb()[spec["copy"]]).encode())
    elif "sparse" in spec:
        with target.open("wb") as stream:
            stream.truncate(spec["sparse"])
    elif "symlink" in spec:
        target.symlink_to(spec["symlink"])
    elif "fifo" in spec:
        os.mkfifo(target)
    elif "folder" in spec:
        target.mkdir()
    else:
        raise AssertionError(f"unknown file spec {spec!r}")


def materialise(case: Case, root: Path) -> Path:
    files = minimal_kb()
    for path, old, new in case.edits:
        text = files[path]
        assert isinstance(text, str)
        assert text.count(old) == 1, f"{case.name}: {old!r} is not once in {path}"
        files[path] = text.replace(old, joined(new))
    kb = write_tree(root / "kb", {**files, SENTINEL_PATH: SENTINEL})
    for path, spec in case.files.items():
        write_file(kb / path, spec)
    return kb


class Overtime(BaseException):
    """Raised by the alarm; not an OSError, so no handler for failed reads can swallow it."""


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail, rather than hang, if the block takes longer than `seconds` (a read that blocks is
    interrupted by the alarm)."""

    def expire(signum: int, frame: object) -> None:
        raise Overtime(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_case(case: Case, root: Path) -> tuple[Path, KnowledgeBase, list[Problem], float, int]:
    kb_root = materialise(case, root)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with contextlib.chdir(kb_root), deadline(3 * int(SECONDS)):
            kb = load_kb(Path("."))
            problems = check_kb(kb, TODAY)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return kb_root, kb, problems, elapsed, peak


def lines_of(file: Path) -> list[str] | None:
    """The lines of a regular file small enough to be read, as an editor shows them."""
    if file.is_symlink() or not file.is_file() or file.stat().st_size > 4 * 2**20:
        return None
    raw = file.read_bytes().removeprefix(b"\xef\xbb\xbf")
    return raw.decode("utf-8", "replace").split("\n")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    kb_root, kb, problems, elapsed, peak = run_case(case, tmp_path)
    found = sorted((p.code, p.path, p.line, p.col) for p in problems)
    wanted = sorted([(e[0], e[1], e[2], e[3]) for e in case.expect] + [SENTINEL_PROBLEM])
    assert found == wanted, "\n".join(format_text(p) for p in problems)
    for code, path, line, col, *at in case.expect:
        lines = lines_of(kb_root / path)
        if lines is None:
            assert (line, col) == (1, 1), f"{path} cannot be read, so only 1:1 is a place in it"
            continue
        assert 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]) + 1, (code, path)
        if at:
            assert lines[line - 1][col - 1 :].startswith(at[0]), (code, lines[line - 1])
    assert elapsed < SECONDS, f"{case.name} took {elapsed:.1f} s"
    assert peak < PEAK_BYTES, f"{case.name} peaked at {peak / 2**20:.0f} MiB"
    touched = {path for path in case.files} | {path for path, _, _ in case.edits}
    loaded = {record.path: record for record in kb.records}
    for path in minimal_kb():
        if path.endswith(".yaml") and not any(path.startswith(t) for t in touched):
            assert loaded[path].record is not None, f"{path} was not checked"


def test_the_corpus_is_large_and_well_formed() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names are unique"
    assert len(CASES) >= 40
    assert {case.family for case in CASES} == FAMILIES
    for case in CASES:
        for problem in case.expect:
            assert problem[0] in CATALOGUE, (case.name, problem)


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """The runner compares every problem, so a case that expects nothing but breaks a file
    cannot pass."""
    broken = Case(
        "broken", "yaml-syntax", {"studies/x.yaml": {"kind": "study", "text": "a: ["}}, (), ()
    )
    _, _, problems, _, _ = run_case(broken, tmp_path)
    assert sorted((p.code, p.path, p.line, p.col) for p in problems) != [SENTINEL_PROBLEM]
