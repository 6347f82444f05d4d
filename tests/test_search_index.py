"""The search index every reader downloads: what a record adds to it, measured on a synthetic
knowledge base like the benchmarks' (benchmarks/synthetic.py), and what is still found in it."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from site_project import ROOT, copy_project, options

from kb.build import generate, run_mkdocs
from kb.generate import MANIFEST

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import write_knowledge_base

TODAY = dt.date(2026, 11, 28)
STUDIES = 60
BYTES_A_RECORD = 500
"""The goal: at 10,000 studies the hand-written pages are a few bytes a record, so what
the records' own pages and the lists add is what the index grows by."""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], int, Path]:
    """The search index entries of a synthetic site, the number of record files and the
    project folder."""
    scratch = tmp_path_factory.mktemp("synthetic")
    evidence = write_knowledge_base(scratch / "evidence", STUDIES)
    project = copy_project(scratch / "copy", evidence)
    generate(options(project), TODAY)
    run_mkdocs(options(project))
    entries = json.loads((project / "site" / "search" / "search_index.json").read_text())["docs"]
    return entries, len(list(evidence.rglob("*.yaml"))), project


def _size(entry: dict[str, str]) -> int:
    """Bytes of an entry as Material writes it (compact JSON, ASCII), with its comma."""
    return len(json.dumps(entry, separators=(",", ":"))) + 1


def test_each_record_adds_at_most_500_bytes_to_the_search_index(
    index: tuple[list[dict[str, str]], int, Path],
) -> None:
    entries, records, project = index
    generated = json.loads((project / "site_src" / MANIFEST).read_text())["files"]
    locations = {
        "" if name == "index.md" else name.removesuffix("index.md").removesuffix(".md") + "/"
        for name in generated
    }
    added = sum(_size(e) for e in entries if e["location"].split("#")[0] in locations)
    assert added / records <= BYTES_A_RECORD, f"{added / records:.0f} B a record"
    studies = [e for e in entries if e["location"].startswith("studies/study-")]
    assert len(studies) == STUDIES  # one entry a study


def test_a_study_is_found_by_its_id_identifiers_and_title(
    index: tuple[list[dict[str, str]], int, Path],
) -> None:
    entries, _, project = index
    (entry,) = [e for e in entries if e["location"] == "studies/study-000005/"]
    bib = (project / "evidence" / "references.bib").read_text()
    record = (project / "evidence" / "studies" / "study-000005.yaml").read_text()
    title = bib.split("title   = {")[6].split("}")[0]  # the sixth entry: study-000005's
    for term in ("study-000005", "10.5555/synthetic.000005", "10000005", *title.split()[:3]):
        assert term in entry["text"], term
    summary = record.split("summary: >-\n")[1].split("\n")[0].strip()
    assert summary and summary not in entry["text"]  # searched on the page, not downloaded
