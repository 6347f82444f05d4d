"""Problems of a change under review: told on the record the change brought in, once per cause,
matched across revisions by what they are about, and a strict check that does not fail on the
calendar."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import TODAY, check_tree, minimal_kb, write_tree
from test_diff import kb_diff

from kb.check import check_kb
from kb.cli import main
from kb.corpus import load_kb
from kb.impact import compare

NEW_STUDY = "studies/aaa-2024.yaml"


def new_study_citing_smith(root: Path) -> None:
    """A new study whose file sorts before smith-2020's, citing smith-2020's entry."""
    smith = (root / "studies" / "smith-2020.yaml").read_text()
    (root / NEW_STUDY).write_text(smith.replace("id: smith-2020", "id: aaa-2024"))


def kb_check(root: Path, *args: str) -> Result:
    with contextlib.chdir(root):
        return CliRunner().invoke(main, ["check", "evidence", "--no-cache", *args])


def test_a_conflict_is_told_once_on_the_record_that_brought_it(kb_root: Path) -> None:
    new_study_citing_smith(kb_root)
    shared = [p for p in check_tree(kb_root) if p.code in {"KB405", "KB407"}]
    # one cause (the same entry cited twice): one problem, not one per identifier of the entry
    assert [(p.code, p.path) for p in shared] == [("KB405", "studies/smith-2020.yaml")]
    with contextlib.chdir(kb_root):
        changed = check_kb(load_kb(Path(".")), TODAY, frozenset({NEW_STUDY}))
    shared = [p for p in changed if p.code in {"KB405", "KB407"}]
    assert [(p.code, p.path, p.line) for p in shared] == [("KB405", NEW_STUDY, 3)]
    assert "also cited by study 'smith-2020'" in shared[0].message


def test_changed_from_tells_it_on_the_file_the_pull_request_adds(repository: Path) -> None:
    new_study_citing_smith(repository / "evidence")
    plain = kb_check(repository)
    assert "evidence/studies/smith-2020.yaml:3:7: error[KB405]" in plain.stdout
    result = kb_check(repository, "--changed-from", "main")
    assert result.exit_code == 1
    assert f"evidence/{NEW_STUDY}:3:7: error[KB405]" in result.stdout
    assert "smith-2020.yaml:3:7" not in result.stdout
    out = kb_diff(repository, "main").stdout
    assert f"`evidence/{NEW_STUDY}:3:7` error[KB405]" in out
    assert "### Resolved problems" not in out


def test_a_count_that_changes_in_a_message_is_not_a_new_problem(tmp_path: Path) -> None:
    files = minimal_kb()
    base = write_tree(tmp_path / "base", {**files, "sources.lock.json": '{"format": 1}\n'})
    head = write_tree(tmp_path / "head", {**files, "sources.lock.json": '{"format": 1}\n'})
    jones = head / "studies" / "jones-2021.yaml"
    jones.write_text(
        jones.read_text().replace(
            "identifiers:\n",
            "identifiers:\n  doi:\n    value: 10.1000/cr.9\n    status: unverified\n",
        )
    )
    impact = compare(load_kb(base), load_kb(head), TODAY)
    before = [p for p in impact.resolved_problems if p.code == "KB902"]
    after = [p for p in impact.new_problems if p.code == "KB902"]
    assert (before, after) == ([], []), "KB902 counts the identifiers waiting: same notice"


@pytest.mark.parametrize(
    ("args", "status"),
    [((), 0), (("--strict",), 0), (("--strict-dates",), 1), (("--strict", "--strict-dates"), 1)],
)
def test_strict_leaves_the_calendar_out_unless_asked(
    tmp_path: Path, args: tuple[str, ...], status: int
) -> None:
    files = minimal_kb()
    trial = str(files["trials/drug-x-trial.yaml"])
    files["trials/drug-x-trial.yaml"] = trial.replace("overall: completed", "overall: recruiting")
    root = write_tree(tmp_path / "evidence", files)
    trial_text = (root / "trials" / "drug-x-trial.yaml").read_text()
    (root / "trials" / "drug-x-trial.yaml").write_text(
        trial_text.replace("  - study: smith-2020\n    type: results\n", "").replace(
            "publications:\n", "publications: []\n"
        )
    )
    result = CliRunner().invoke(
        main, ["check", str(root), "--no-cache", "--today", "2024-06-01", *args]
    )
    assert "warning[KB601]" in result.stdout
    assert [
        p.code for p in check_tree(root, dt.date(2024, 6, 1)) if p.severity.value != "info"
    ] == ["KB601"]
    assert result.exit_code == status, result.output


def test_a_file_name_that_is_not_utf_8_does_not_stop_a_cached_check(
    repository: Path, tmp_path: Path
) -> None:
    """git names the file with bytes that are no UTF-8: the cache key keeps them as bytes, so the
    cached check says what the uncached one says."""
    odd = os.fsencode(repository / "evidence") + b"/note-\xff.txt"
    with open(odd, "wb") as file:
        file.write(b"a note\n")
    plain = kb_check(repository, "--changed-from", "main")
    with contextlib.chdir(repository):
        cached = CliRunner().invoke(
            main,
            ["check", "evidence", "--cache-dir", str(tmp_path / "c"), "--changed-from", "main"],
        )
    assert cached.exception is None or isinstance(cached.exception, SystemExit), cached.output
    assert (cached.exit_code, cached.output) == (plain.exit_code, plain.output)
