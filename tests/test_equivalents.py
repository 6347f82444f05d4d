"""The quick ways kb computes things give exactly what the plain ways give."""

from __future__ import annotations

import datetime as dt
import posixpath
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb import exports, markup, references
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.inputs import relative_path

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 1)

_part = st.sampled_from(["claims", "studies", "a", "b", "index.md", "x.md", "tags", "downloads"])
_path = st.lists(_part, min_size=0, max_size=4).map("/".join)


@given(_path.filter(bool), _path)
def test_links_between_pages_are_what_relpath_gives(target: str, folder: str) -> None:
    assert markup.relative_path(target, folder) == posixpath.relpath(target, folder or ".")


@pytest.mark.parametrize("target", [".", "../x.md", "a//b.md", "./a.md"])
def test_unusual_paths_take_relpath_itself(target: str) -> None:
    assert markup.relative_path(target, "claims") == posixpath.relpath(target, "claims")


@pytest.mark.parametrize(
    "file", ["studies/a.yaml", "references.bib", "studies/deep/b.yaml", "../outside.yaml"]
)
def test_record_paths_are_what_relative_to_gives(tmp_path: Path, file: str) -> None:
    path = tmp_path / file
    try:
        expected = path.relative_to(tmp_path).as_posix()
    except ValueError:
        expected = path.as_posix()
    assert relative_path(path, tmp_path) == expected


@pytest.fixture(scope="module")
def evidence() -> Evidence:
    return Evidence(load_kb(ROOT / "evidence"))


def _data(evidence: Evidence, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], str]:
    """Everything evidence.json holds, as one object, and the file as written."""
    captured: dict[str, Any] = {}
    dumps_lists = exports._dumps_lists

    def capture(head: dict[str, Any], lists: dict[str, Any]) -> bytes:
        lists = {key: list(items) for key, items in lists.items()}
        captured.update(head, **lists)
        return dumps_lists(head, lists)

    monkeypatch.setattr(exports, "_dumps_lists", capture)
    text = exports.evidence_json(evidence, TODAY)
    monkeypatch.setattr(exports, "_dumps_lists", dumps_lists)
    return captured, text


def test_the_json_export_is_what_the_plain_encoder_writes(
    evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written one item at a time, it is what the slow encoder writes for the whole object."""
    data, text = _data(evidence, monkeypatch)
    assert text == exports._encode(data) + "\n" == exports._dumps(data)
    assert "kb-number-" not in text


def test_a_text_holding_the_marker_takes_the_plain_encoder(
    evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = _data(evidence, monkeypatch)
    monkeypatch.setattr(exports.secrets, "token_hex", lambda n: "0" * (2 * n))
    hostile = {"data": data, "note": f"kb-number-{'0' * 32}:0"}
    assert exports._dumps(hostile) == exports._encode(hostile) + "\n"
    listed = {"notes": [hostile["note"], data["studies"][0]]}
    assert exports._dumps_lists({}, listed).decode() == exports._encode(listed) + "\n"


def test_the_bibliography_is_the_studies_own_entries_joined(evidence: Evidence) -> None:
    kb = evidence.kb
    bib = {i: references.study_bibtex(kb, i) for i in kb.studies}
    ris = {i: references.study_ris(kb, i) for i in kb.studies}
    assert references.bibtex(kb, bib) == references.bibtex(kb)
    assert references.ris(kb, ris) == references.ris(kb)
    # the plain writer, all entries at once
    assert references.bibtex(kb) == references._bibliography(kb, kb.citing)
