"""`kb rename KIND OLD NEW`: the file, the id and every reference, in place and all at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import check_tree
from helpers import changes, snapshot

from kb.cli import main
from kb.corpus import modeline


def kb_rename(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["rename", *args, "--evidence", str(root)])


def test_a_study_is_renamed_with_every_reference(kb_root: Path) -> None:
    before = {path: (kb_root / path).read_text() for path in snapshot(kb_root)}
    # a comment, a quoted reference and a flow mapping: all kept as written
    concept = kb_root / "concepts" / "hazard-ratio.yaml"
    concept.write_text(
        concept.read_text().replace(
            "  - study: smith-2020\n", '  - study: "smith-2020"  # the trial\n'
        )
    )
    before["concepts/hazard-ratio.yaml"] = concept.read_text()
    problems_before = sorted((p.code, p.message) for p in check_tree(kb_root))
    snap = snapshot(kb_root)
    result = kb_rename(kb_root, "study", "smith-2020", "smith-2020-drug-x")
    assert result.exit_code == 0, result.output
    assert "renamed study 'smith-2020' to 'smith-2020-drug-x'" in result.output
    assert "3 references in 4 files" in result.output
    added, removed, modified = changes(snap, snapshot(kb_root))
    assert added == {"studies/smith-2020-drug-x.yaml"}
    assert removed == {"studies/smith-2020.yaml"}
    assert modified == {
        "concepts/hazard-ratio.yaml",
        "discrepancies/survival-figures.yaml",
        "trials/drug-x-trial.yaml",
    }
    renamed = (kb_root / "studies" / "smith-2020-drug-x.yaml").read_text()
    assert renamed == before["studies/smith-2020.yaml"].replace(
        "id: smith-2020\n", "id: smith-2020-drug-x\n"
    )
    assert concept.read_text() == before["concepts/hazard-ratio.yaml"].replace(
        '"smith-2020"  # the trial', '"smith-2020-drug-x"  # the trial'
    )
    assert (kb_root / "discrepancies" / "survival-figures.yaml").read_text() == before[
        "discrepancies/survival-figures.yaml"
    ].replace("{study: smith-2020,", "{study: smith-2020-drug-x,")
    problems_after = sorted(
        (p.code, p.message.replace("smith-2020-drug-x", "smith-2020")) for p in check_tree(kb_root)
    )
    assert problems_after == problems_before


def test_a_claim_referenced_from_a_half_filled_stub(kb_root: Path) -> None:
    stub = kb_root / "studies" / "new-2024.yaml"
    stub.write_text(
        f"{modeline('study')}\nid: new-2024\ncite: jones2021\ndesign:\nlinks:\n"
        "  - claim: drug-x-improves-survival\n    relation: supports\n    locator: Abstract\n"
        "# see drug-x-improves-survival for the wording\n"
    )
    result = kb_rename(kb_root, "claim", "drug-x-improves-survival", "drug-x-prolongs-life")
    assert result.exit_code == 0, result.output
    text = stub.read_text()
    assert "  - claim: drug-x-prolongs-life\n" in text
    assert "# see drug-x-improves-survival for the wording" in text, "prose is left alone"
    assert "new-2024.yaml:9: still mentions 'drug-x-improves-survival'" in result.output
    codes = {p.code for p in check_tree(kb_root)}
    assert "KB301" not in codes


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("study", "smith-2020", "jones-2021"), 1, "already used by a record"),
        (("study", "smith-2020", "drug-x-trial"), 1, "already used by a record"),
        (("claim", "smith-2020", "x"), 2, "no claim has the id 'smith-2020'"),
        (("study", "smith-2020", "Smith 2020"), 2, "is not a valid id"),
        (("study", "smith-2020", "index"), 2, "is not a valid id"),
    ],
)
def test_refused_renames_change_nothing(
    kb_root: Path, args: tuple[str, ...], status: int, message: str
) -> None:
    before = snapshot(kb_root)
    result = kb_rename(kb_root, *args)
    assert result.exit_code == status, result.output
    assert message in result.output
    assert snapshot(kb_root) == before


def test_a_failed_write_puts_every_file_back(
    kb_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(kb_root)
    replace = os.replace
    calls = []

    def fail_second(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        replace(source, target)

    monkeypatch.setattr(os, "replace", fail_second)
    result = kb_rename(kb_root, "study", "smith-2020", "smith-2020-drug-x")
    assert result.exit_code == 2
    assert "No space left on device" in result.output
    monkeypatch.setattr(os, "replace", replace)
    assert snapshot(kb_root) == before


def test_a_rename_keeps_each_file_s_line_endings(kb_root: Path) -> None:
    """Only the id's characters change: a file written with CRLF line endings keeps them."""
    concept = kb_root / "concepts" / "hazard-ratio.yaml"
    crlf = concept.read_bytes().replace(b"\n", b"\r\n")
    assert b"smith-2020" in crlf
    concept.write_bytes(crlf)
    result = kb_rename(kb_root, "study", "smith-2020", "smith-2020-drug-x")
    assert result.exit_code == 0, result.output
    assert concept.read_bytes() == crlf.replace(b"smith-2020", b"smith-2020-drug-x")
