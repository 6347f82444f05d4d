"""Long lists over numbered pages: where they are cut, the links between the pages, and a strict
MkDocs build of a site whose every list is cut after one item (a broken link fails it)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from site_project import copy_project, options

from kb import markup
from kb.build import generate, run_mkdocs
from kb.render import pagination
from kb.render.pagination import chunk, page_path, pager, paginate

FIXTURE = Path(__file__).parent / "fixtures" / "site-kb"
TODAY = dt.date(2026, 11, 28)


def test_page_one_keeps_the_list_path_and_the_others_sit_beside_it() -> None:
    assert page_path("studies/index.md", 1) == "studies/index.md"
    assert page_path("studies/index.md", 3) == "studies/index_3.md"
    assert page_path("bibliography.md", 2) == "bibliography_2.md"


@pytest.mark.parametrize(
    ("items", "per_page", "budget", "expected"),
    [
        ([], 2, 100, [[]]),
        (["a", "b", "c"], 2, 100, [["a", "b"], ["c"]]),
        (["aaaa", "bbbb", "c"], 10, 10, [["aaaa", "bbbb"], ["c"]]),
        (["a" * 50, "b"], 10, 10, [["a" * 50], ["b"]]),  # too long for a page: a page of its own
    ],
)
def test_a_list_is_cut_by_item_count_and_by_size(
    items: list[str], per_page: int, budget: int, expected: list[list[str]]
) -> None:
    assert chunk(items, per_page, budget) == expected


def test_every_page_links_every_other_page_and_marks_its_own() -> None:
    assert pager("studies/index.md", 1, 1) == ""
    assert pager("studies/index.md", 2, 3) == ("Pages: [1](index.md) · **2** · [3](index_3.md)")


def test_pages_say_which_page_they_are_and_repeat_head_and_tail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pagination, "PAGE_ITEMS", 2)
    pages = paginate("x.md", "Things", ["- a", "- b", "- c"], head=["intro"], tail=["end"])
    assert [(path, title) for path, title, _ in pages] == [
        ("x.md", "Things (page 1 of 2)"),
        ("x_2.md", "Things (page 2 of 2)"),
    ]
    body = pages[1][2]
    assert body[0] == "# Things (page 2 of 2)"
    assert body[1] == "intro" and body[-1] == "end"
    assert body[3] == markup.not_searched("- c")  # searched on the record's own page


def test_a_site_whose_lists_are_cut_after_one_item_builds_strictly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "PAGE_ITEMS", 1)
    project = copy_project(tmp_path, FIXTURE)
    generate(options(project), TODAY)
    docs = project / "site_src"
    for listed in ("studies/index", "bibliography", "verification", "tags/surgery"):
        assert (docs / f"{listed}_2.md").is_file(), listed
    assert not (docs / "studies" / "index_4.md").exists()  # three studies, three pages
    run_mkdocs(options(project))  # strict: a link to a missing page fails the build
    second = (project / "site" / "studies" / "index_2" / "index.html").read_text()
    assert "Studies (page 2 of 3)" in second
    assert re.search(r'<a href="\.\./index_3/">3</a>', second)
    first = generate(options(project), TODAY)
    assert not first.written  # the same evidence gives the same pages


def test_later_pages_stay_out_of_the_search_index_and_identifiers_stay_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "PAGE_ITEMS", 1)
    project = copy_project(tmp_path, FIXTURE)
    generate(options(project), TODAY)
    run_mkdocs(options(project))
    index = json.loads((project / "site" / "search" / "search_index.json").read_text())
    locations = {entry["location"].split("#")[0] for entry in index["docs"]}
    assert "studies/" in locations and "bibliography/" in locations
    assert not [page for page in locations if re.search(r"_\d+/$", page)]
    assert not [page for page in locations if page.startswith("tags/") and page != "tags/"]
    alpha = " ".join(e["text"] for e in index["docs"] if e["location"] == "studies/alpha-2020/")
    for term in ("alpha-2020", "10.1234/jw.2020.12", "7654321"):  # id, DOI and PMID
        assert term in alpha, term
