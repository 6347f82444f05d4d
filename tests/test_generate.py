"""Generated files: written atomically, never over a hand-written file, stale ones removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.generate import MANIFEST, GenerationError, sync_generated


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file()}


def test_a_second_identical_run_touches_no_file(tmp_path: Path) -> None:
    files = {"index.md": b"home\n", "claims/a.md": b"a\n"}
    first = sync_generated(tmp_path, files)
    assert first.written == ["claims/a.md", "index.md"]
    before = _mtimes(tmp_path)
    for name in before:  # make any rewrite visible even on a coarse clock
        os.utime(tmp_path / name, ns=(1, 1))
    again = sync_generated(tmp_path, files)
    assert again.written == [] and again.unchanged == ["claims/a.md", "index.md"]
    assert all(mtime == 1 for mtime in _mtimes(tmp_path).values())
    assert (tmp_path / MANIFEST).is_file()


def test_stale_generated_files_are_removed_with_their_empty_folders(tmp_path: Path) -> None:
    sync_generated(tmp_path, {"index.md": b"x", "studies/old.md": b"old"})
    report = sync_generated(tmp_path, {"index.md": b"x"})
    assert report.removed == ["studies/old.md"]
    assert not (tmp_path / "studies").exists()


def test_a_stale_file_edited_by_hand_is_kept(tmp_path: Path) -> None:
    sync_generated(tmp_path, {"index.md": b"x", "notes.md": b"generated"})
    (tmp_path / "notes.md").write_bytes(b"my edits")
    report = sync_generated(tmp_path, {"index.md": b"x"})
    assert report.kept == ["notes.md"]
    assert (tmp_path / "notes.md").read_bytes() == b"my edits"


def test_a_hand_written_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "methods.md").write_bytes(b"hand-written")
    with pytest.raises(GenerationError, match="not written by kb"):
        sync_generated(tmp_path, {"methods.md": b"generated"})
    assert (tmp_path / "methods.md").read_bytes() == b"hand-written"


def test_a_generated_file_edited_by_hand_is_not_overwritten(tmp_path: Path) -> None:
    sync_generated(tmp_path, {"index.md": b"v1"})
    (tmp_path / "index.md").write_bytes(b"edited")
    with pytest.raises(GenerationError, match="edited by hand"):
        sync_generated(tmp_path, {"index.md": b"v2"})
    assert (tmp_path / "index.md").read_bytes() == b"edited"


@pytest.mark.parametrize("name", ["../outside.md", "/etc/passwd", "a/../../b.md"])
def test_generated_paths_cannot_leave_the_docs_folder(tmp_path: Path, name: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    with pytest.raises(GenerationError, match="outside the docs folder"):
        sync_generated(docs, {name: b"x"})
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["docs"]


def test_a_corrupt_manifest_is_treated_as_empty(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text("{not json")
    report = sync_generated(tmp_path, {"index.md": b"x"})
    assert report.written == ["index.md"]
