"""Generated files: written atomically, never over a hand-written file, stale ones removed."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import files, generate
from kb.files import digest
from kb.generate import MANIFEST, GenerationError, sync_generated


def _mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }


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


def _hashes(folder: Path) -> dict[str, str]:
    """Every file under `folder` (links not followed) by path, with the digest of its bytes."""
    return {
        p.relative_to(folder).as_posix(): digest(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_a_refused_generation_changes_nothing(tmp_path: Path) -> None:
    sync_generated(tmp_path, {"a.md": b"v1"})
    (tmp_path / "b.md").write_bytes(b"hand-written")
    before = _hashes(tmp_path)
    with pytest.raises(GenerationError, match="not written by kb"):
        sync_generated(tmp_path, {"a.md": b"v2", "b.md": b"generated"})
    assert _hashes(tmp_path) == before
    (tmp_path / "b.md").unlink()
    assert sync_generated(tmp_path, {"a.md": b"v2"}).written == ["a.md"]


def test_an_interrupted_generation_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "methods.md").write_bytes(b"hand-written")
    sync_generated(tmp_path, {"a.md": b"a1", "b.md": b"b1", "old.md": b"old"})
    real = generate.move_into_place
    written: list[Path] = []

    def stop_on_the_second_page(staged: Path, target: Path) -> None:
        if written:
            raise KeyboardInterrupt
        real(staged, target)
        written.append(target)

    monkeypatch.setattr(generate, "move_into_place", stop_on_the_second_page)
    with pytest.raises(KeyboardInterrupt):
        sync_generated(tmp_path, {"a.md": b"a2", "b.md": b"b2"})
    assert (tmp_path / "a.md").read_bytes() == b"a2"  # written, but not yet in a final manifest
    assert (tmp_path / "b.md").read_bytes() == b"b1"
    assert not list(tmp_path.glob(".kb-staging-*")), "the staged files not moved are removed"
    monkeypatch.setattr(generate, "move_into_place", real)
    report = sync_generated(tmp_path, {"a.md": b"a3", "b.md": b"b3"})
    assert report.written == ["a.md", "b.md"] and report.removed == ["old.md"]
    assert (tmp_path / "methods.md").read_bytes() == b"hand-written"
    assert not list(tmp_path.glob(".*.tmp"))


def test_files_given_as_they_are_made_are_moved_in_once_the_last_is_checked(
    tmp_path: Path,
) -> None:
    """`kb generate` hands each page over as it is made (a 10,000-study site's pages are
    hundreds of MB); none is in place before every one has been checked."""
    sync_generated(tmp_path, {"a.md": b"a1", "c.md": b"c"})
    (tmp_path / "d.md").write_bytes(b"hand-written")

    def made(last: str) -> Iterator[tuple[str, bytes]]:
        yield "a.md", b"a2"
        assert (tmp_path / "a.md").read_bytes() == b"a1"
        yield "b/b.md", b"b"
        assert not (tmp_path / "b").exists()
        yield last, b"generated"

    with pytest.raises(GenerationError, match="not written by kb"):
        sync_generated(tmp_path, made("d.md"))
    assert (tmp_path / "a.md").read_bytes() == b"a1" and not (tmp_path / "b").exists()
    report = sync_generated(tmp_path, made("c.md"))
    assert report.written == ["a.md", "b/b.md", "c.md"]
    assert (tmp_path / "b" / "b.md").read_bytes() == b"b"
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "a.md", "b", "c.md", "d.md"]
    with pytest.raises(GenerationError, match="two generated files"):
        sync_generated(tmp_path, [("a.md", b"x"), ("a.md", b"y")])


def test_a_staging_folder_left_by_a_killed_run_is_removed(tmp_path: Path) -> None:
    sync_generated(tmp_path, {"a.md": b"a1"})
    left = tmp_path / ".kb-staging-abc123"
    left.mkdir()
    (left / ".a.md.x.tmp").write_bytes(b"a2")
    assert sync_generated(tmp_path, {"a.md": b"a1"}).unchanged == ["a.md"]
    assert not left.exists()


def test_a_folder_on_another_file_system_is_written_by_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename cannot cross file systems (a folder mounted inside the docs folder)."""
    real = os.replace

    def across(source: str | Path, target: str | Path) -> None:
        if ".kb-staging-" in str(source):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(source, target)

    monkeypatch.setattr(files.os, "replace", across)
    report = sync_generated(tmp_path, {"a.md": b"a", "sub/b.md": b"b"})
    assert report.written == ["a.md", "sub/b.md"]
    assert (tmp_path / "sub" / "b.md").read_bytes() == b"b"
    assert not list(tmp_path.glob(".kb-staging-*"))


def test_a_generated_folder_linked_outside_the_docs_folder_is_refused(tmp_path: Path) -> None:
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir()
    outside.mkdir()
    (outside / "notes.md").write_bytes(b"hand-written, elsewhere")
    (docs / "claims").symlink_to(outside, target_is_directory=True)
    before = _hashes(tmp_path)
    with pytest.raises(GenerationError, match="outside the docs folder"):
        sync_generated(docs, {"index.md": b"x", "claims/a.md": b"a"})
    assert _hashes(tmp_path) == before


def test_stale_files_in_a_linked_folder_inside_the_docs_folder(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "claims").symlink_to(tmp_path / "real", target_is_directory=True)
    sync_generated(tmp_path, {"claims/a.md": b"a"})
    assert (tmp_path / "real" / "a.md").read_bytes() == b"a"
    report = sync_generated(tmp_path, {"index.md": b"x"})
    assert report.removed == ["claims/a.md"]
    assert (tmp_path / "claims").is_symlink() and (tmp_path / "real").is_dir()


def _forge_manifest(docs: Path, files: dict[str, bytes]) -> None:
    entries = {name: digest(data) for name, data in files.items()}
    (docs / MANIFEST).write_text(json.dumps({"files": entries}))


def test_a_manifest_cannot_make_kb_delete_a_hand_written_file(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "methods.md").write_bytes(b"hand-written")
    (tmp_path / "outside.md").write_bytes(b"outside")
    (tmp_path / "linked.md").write_bytes(b"linked")
    (docs / "link.md").symlink_to(tmp_path / "linked.md")
    (docs / "sub" / "escape").symlink_to(tmp_path, target_is_directory=True)
    _forge_manifest(
        docs,
        {
            "methods.md": b"what kb once wrote there",  # the hand-written text differs: kept
            "../outside.md": b"outside",  # outside the docs folder, though the digest matches
            str(tmp_path / "outside.md"): b"outside",
            "sub/escape/outside.md": b"outside",  # through a link out of the folder
            "link.md": b"linked",  # kb writes no links
        },
    )
    before = _hashes(tmp_path)
    report = sync_generated(docs, {"index.md": b"x"})
    assert report.removed == []
    assert report.kept == ["methods.md"]
    assert _hashes(tmp_path) == {
        **before,
        "docs/index.md": digest(b"x"),
        f"docs/{MANIFEST}": digest((docs / MANIFEST).read_bytes()),
    }
    assert (docs / "link.md").is_symlink()
