"""`kb diff BASE`: the evidence impact of a change, on a git repository made in the test."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
from pathlib import Path

import locks
import markdown
import pytest
from click.testing import CliRunner, Result
from conftest import minimal_kb, write_tree
from helpers import git, snapshot

from kb import markup
from kb.build import BuildOptions, generate
from kb.cli import main


def kb_diff(root: Path, *args: str) -> Result:
    with contextlib.chdir(root):
        return CliRunner().invoke(
            main, ["diff", *args, "--today", "2024-06-01"], env={"SOURCE_DATE_EPOCH": None}
        )


def test_no_change(repository: Path) -> None:
    result = kb_diff(repository, "main")
    assert result.exit_code == 0, result.output
    assert "No change to the evidence." in result.stdout


def test_added_removed_changed_and_claims(repository: Path) -> None:
    evidence = repository / "evidence"
    (evidence / "concepts" / "hazard-ratio.yaml").unlink()
    jones = evidence / "studies" / "jones-2021.yaml"
    jones.write_text(
        jones.read_text().replace(
            "    relation: supports\n    locator: Discussion",
            "    relation: supports\n    locator: Discussion\n  - claim: drug-x-improves-survival\n"
            "    relation: refutes\n    locator: Table 4",
        )
    )
    study = (evidence / "studies" / "smith-2020.yaml").read_text()
    (evidence / "studies" / "smith-2022.yaml").write_text(
        study.replace("id: smith-2020", "id: smith-2022").replace("p: 0.003", "p: 3")
    )
    before = snapshot(repository)
    result = kb_diff(repository, "main")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 added, 1 removed, 1 changed records" in out
    assert "| added | study | `smith-2022` |  |" in out
    assert "| removed | concept | `hazard-ratio` |  |" in out
    assert "| changed | study | `jones-2021` | `links` |" in out
    claim = out.split("#### `drug-x-improves-survival`", 1)[1].split("####", 1)[0]
    assert "- studies that refute: 0 → 1" in claim
    assert "- studies that support: 1 → 2" in claim
    assert "- certainty:" in claim and " → " in claim
    assert "so the claim is contested" in claim.split("after:", 1)[1]
    assert "`evidence/studies/smith-2022.yaml:36:8` error[KB703] p-value 3" in out
    assert snapshot(repository) == before, "kb diff writes nothing"


def test_resolved_problems_and_moved_lines(repository: Path) -> None:
    evidence = repository / "evidence"
    smith = evidence / "studies" / "smith-2020.yaml"
    smith.write_text(smith.read_text().replace("p: 0.003", "p: 3"))
    git(repository, "commit", "-q", "-am", "a mistake")
    smith.write_text("# a comment moves every line\n" + smith.read_text())
    out = kb_diff(repository, "HEAD").stdout
    assert "KB703" not in out, "the same problem on a moved line is neither new nor resolved"
    smith.write_text(smith.read_text().replace("p: 3", "p: 0.003"))
    out = kb_diff(repository, "HEAD").stdout
    assert "### Resolved problems" in out and "[KB703] p-value 3" in out


def test_evidence_that_did_not_exist_at_base(repository: Path) -> None:
    git(repository, "rm", "-q", "-r", "evidence")
    git(repository, "commit", "-q", "-m", "empty")
    write_tree(repository / "evidence", minimal_kb())
    out = kb_diff(repository, "HEAD").stdout
    assert "7 added, 0 removed, 0 changed records" in out


@pytest.mark.parametrize("revision", ["no-such-branch", "HEAD~5"])
def test_unknown_revision_exits_2(repository: Path, revision: str) -> None:
    result = kb_diff(repository, revision)
    assert result.exit_code == 2
    assert "is not a commit" in result.stderr


def test_outside_a_repository_exits_2(kb_root: Path) -> None:
    result = kb_diff(kb_root.parent, "main", "--evidence", str(kb_root))
    assert result.exit_code == 2


HOSTILE = "x`](https://evil.example/)[![i](https://evil.example/p.png)"


def test_keys_and_ids_cannot_put_a_live_link_into_the_summary(repository: Path) -> None:
    """A BibTeX key, a record id and a claim id that each try to close their code span and
    open a link or an image: the job summary shows them as text."""
    evidence = repository / "evidence"
    bib = evidence / "references.bib"
    bib.write_text(bib.read_text() + f"\n@misc{{{HOSTILE},\n  title = {{x}},\n}}\n")
    (evidence / "studies" / "evil.yaml").write_text(f"id: '{HOSTILE}'\ndesign: rct\n")
    claim = (evidence / "claims" / "drug-x-improves-survival.yaml").read_text()
    (evidence / "claims" / "evil-claim.yaml").write_text(
        claim.replace("id: drug-x-improves-survival", "id: evil-claim").replace(
            "statement: Drug X", "statement: x`](https://evil.example/) `Drug X"
        )
    )
    result = kb_diff(repository, "main")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"- added ``{HOSTILE}``" in out
    assert f"| added | study | ``{HOSTILE}`` |" in out
    page = markdown.markdown(out, extensions=["tables"])
    assert "<a " not in page and "<img" not in page, page
    assert html.unescape(page).count(HOSTILE) >= 2


def test_record_text_cannot_inject_markdown() -> None:
    escaped = markup.text("<script>*x*</script> | [a](javascript:b) `k`")
    assert not set(escaped) & set("<>*|[]()`")
    assert html.unescape(escaped) == "<script>*x*</script> | [a](javascript:b) `k`"


def test_kb_diff_and_the_site_agree_on_a_retracted_study(repository: Path, tmp_path: Path) -> None:
    """The registry reports smith-2020 retracted: the site leaves it out of the certainty of the
    claim it supports, and so must kb diff, or a reviewer would read 'no change' while the
    published page changes."""
    evidence = repository / "evidence"
    (evidence / "sources.lock.json").write_text(
        locks.resolved(doi=locks.crossref("crossref-retracted.json"))
    )
    result = kb_diff(repository, "main")
    assert result.exit_code == 0, result.output
    claim = result.stdout.split("#### `drug-x-improves-survival`", 1)[1].split("####", 1)[0]
    assert "- certainty: high → none" in claim
    generate(BuildOptions(evidence=evidence, docs=tmp_path / "docs"), dt.date(2024, 6, 1))
    page = (tmp_path / "docs" / "claims" / "drug-x-improves-survival.md").read_text()
    assert 'Certainty of the evidence: Not rated"' in page
    data = json.loads((tmp_path / "docs" / "downloads" / "evidence.json").read_text())
    (site_claim,) = [c for c in data["claims"] if c["id"] == "drug-x-improves-survival"]
    assert site_claim["certainty"]["final"] is None
    assert site_claim["certainty"]["computed_with_excluded"] == "high"
