"""What changed in each claim, from the evidence's git history: the list on the claim page and
the claim's Atom feed."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import minimal_kb, write_tree

from kb.build import BuildOptions, generate
from kb.history import claim_history

ATOM = "{http://www.w3.org/2005/Atom}"
CLAIM = "drug-x-improves-survival"


def git(root: Path, *args: str, date: str = "2024-01-10T12:00:00Z") -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
    }
    result = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env=env, check=True
    )
    return result.stdout


def commit(root: Path, message: str, date: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, date=date)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    return three_commits(tmp_path / "repo")


def three_commits(root: Path) -> Path:
    """A repository at `root` with three commits: the minimal knowledge base; Smith 2020 judged
    at high risk of bias (the drug claim loses a level); an unrelated file."""
    write_tree(root / "evidence", minimal_kb())
    git(root, "init", "-q", "-b", "main")
    commit(root, "base", "2024-01-10T12:00:00Z")
    smith = root / "evidence" / "studies" / "smith-2020.yaml"
    smith.write_text(
        smith.read_text().replace(
            "judgement: low, reason: Central computer randomisation.",
            "judgement: high, reason: Allocation was not concealed.",
        )
    )
    commit(root, "smith at high risk", "2024-03-05T12:00:00Z")
    (root / "README").write_text("outside the evidence\n")
    commit(root, "readme", "2024-04-01T12:00:00Z")
    return root


def test_history_lists_additions_and_certainty_changes_with_their_dates(repository: Path) -> None:
    history = claim_history(repository / "evidence")
    changes = history[CLAIM]
    assert [c.date for c in changes] == [dt.date(2024, 1, 10), dt.date(2024, 3, 5)]
    assert changes[0].what[0].startswith("Added, with ")
    assert any(line.startswith("Certainty: ") and " → " in line for line in changes[1].what)
    assert any(line.startswith("Overall survival: ") for line in changes[1].what)
    assert [c.date for c in history["liver-metastases-predict-survival"]] == [dt.date(2024, 1, 10)]


def test_a_record_format_kb_cannot_read_is_not_a_change_of_evidence(repository: Path) -> None:
    claim = repository / "evidence" / "claims" / f"{CLAIM}.yaml"
    text = claim.read_text()
    claim.write_text(text.replace("subject: drug X after resection\n", ""))
    commit(repository, "old format", "2024-05-01T12:00:00Z")
    claim.write_text(text)
    commit(repository, "current format", "2024-06-01T12:00:00Z")
    changes = claim_history(repository / "evidence")[CLAIM]
    assert [c.date for c in changes] == [dt.date(2024, 1, 10), dt.date(2024, 3, 5)]


def test_no_history_outside_git(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "evidence", minimal_kb())
    assert claim_history(root) == {}


def build_pages(repository: Path) -> dict[str, bytes]:
    options = BuildOptions(
        evidence=repository / "evidence",
        docs=repository / "site_src",
        site=repository / "site",
        config=repository / "mkdocs.yml",
    )
    generate(options, dt.date(2024, 6, 1))
    folder = repository / "site_src"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_claim_page_lists_the_changes_and_links_its_feed(repository: Path) -> None:
    page = build_pages(repository)[f"claims/{CLAIM}.md"].decode()
    section = page.split("## What changed", 1)[1].split("\n## ", 1)[0]
    assert section.index("**2024-03-05**") < section.index("**2024-01-10**"), "newest first"
    assert f"(../feeds/{CLAIM}.xml)" in section
    assert "*Evidence as of 2024-03-05. Last reviewed by a curator: not recorded.*" in page


def test_the_feed_is_atom_with_one_entry_per_change(repository: Path) -> None:
    pages = build_pages(repository)
    feed = ET.fromstring(pages[f"feeds/{CLAIM}.xml"])
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2024-03-05T00:00:00Z",
        "2024-01-10T00:00:00Z",
    ]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 2 and all(i and i.startswith("urn:uuid:") for i in ids)
    link = entries[0].find(f"{ATOM}link")
    assert link is not None and link.get("href") == f"../claims/{CLAIM}/"
    again = build_pages(repository)[f"feeds/{CLAIM}.xml"]
    assert again == pages[f"feeds/{CLAIM}.xml"], "the same history gives the same bytes"


def test_feed_links_are_absolute_when_the_site_address_is_known(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_SITE_URL", "https://evidence.example.org/kb/")
    feed = ET.fromstring(build_pages(repository)[f"feeds/{CLAIM}.xml"])
    link = feed.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"https://evidence.example.org/kb/claims/{CLAIM}/"
