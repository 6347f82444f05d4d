"""Hostile record text in the real site, in a real browser: a knowledge base whose every shown
text field (and its bibliography) holds HTML, scripts, javascript: and data: links, template and
Markdown extension syntax is built with MkDocs and opened in Chromium. No injected script runs,
no injected element or link exists, and every payload is on its page as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import launch, require_chromium, serve
from conftest import write_tree
from hostile import TEXT_SLOTS, URL_SLOTS, fill
from site_project import copy_project, options

from kb.build import build

TODAY = dt.date(2024, 6, 1)
playwright_api = pytest.importorskip("playwright.sync_api")
PAYLOAD = (
    "<script>window.__kb_pwned=1;document.title='pwned'</script>"
    '<img src=x onerror="window.__kb_pwned=2"><svg onload="window.__kb_pwned=3"></svg>'
    '<a id="kb-injected" class="kb-injected" href="javascript:window.__kb_pwned=4">a</a>'
    " [md link](javascript:window.__kb_pwned=5) [data link](data:text/html,<b>x</b>)"
    " <javascript:window.__kb_pwned=6> ![image](javascript:window.__kb_pwned=7)"
    " {{ config.site_name }} {% if true %}jinja{% endif %} ${template}"
    ' {: #kb-injected .kb-injected onclick="window.__kb_pwned=8" }'
    ' *[HR]: pwned --8<-- "mkdocs.yml" [^1] [TOC] <!-- comment -->'
    ' <iframe src="javascript:window.__kb_pwned=9"></iframe>'
)
BLOCK_PAYLOAD = (  # syntax that only counts at the start of a line
    "??? kb-injected\n\n!!! kb-injected\n\n/// html | div.kb-injected"
    '\n\n<div markdown="1" class="kb-injected">*x*</div>\n\n    indented code\n\n- list\n\n'
)
HOSTILE_DOI = "10.1000/<script>window.__kb_pwned=10</script>"
BIB_EDITS = [
    (
        "title   = {Drug {X} after resection",
        'title   = {\\textit{Drug} {X} <script>window.__kb_pwned=11</script> \\"{o} $x^2$ '
        "[t](javascript:window.__kb_pwned=12) after resection",
    ),
    (
        "author  = {Smith, John and Doe, Jane}",
        'author  = {<b class="kb-injected">Smith</b>, John and Doe, Jane}',
    ),
    ("journal = {Journal of Trials}", "journal = {<img src=x onerror=window.__kb_pwned=13> J}"),
    ("doi     = {10.1000/jt.2020.1}", "doi     = {" + HOSTILE_DOI + "}"),
]
PAGES = [
    "",
    "claims/",
    "studies/",
    "trials/",
    "concepts/",
    "evidence-map/",
    "graph/",
    "bibliography/",
    "downloads/",
    "tags/",
    "studies/smith-2020/",
    "studies/jones-2021/",
    "claims/drug-x-improves-survival/",
    "claims/liver-metastases-predict-survival/",
    "trials/drug-x-trial/",
    "concepts/hazard-ratio/",
]
NOT_ON_THE_PAGE = {"tags", "abbreviation"}  # the theme shows tags; abbreviations are tooltips
INJECTED = """() => {
  const all = Array.from(document.querySelectorAll('*'));
  return {
    pwned: window.__kb_pwned === undefined ? null : String(window.__kb_pwned),
    title: document.title,
    injected: document.querySelectorAll('#kb-injected, .kb-injected').length,
    scriptLinks: Array.from(document.querySelectorAll('[href], [src]'))
      .map(e => e.getAttribute('href') || e.getAttribute('src'))
      .filter(u => /^\\s*(javascript|data|vbscript):/i.test(u)),
    handlers: all.flatMap(e => Array.from(e.attributes).filter(a => /^on/i.test(a.name))
      .map(a => e.tagName + ' ' + a.name)),
    frames: document.querySelectorAll('iframe, object, embed').length,
    text: document.body.innerText,
  };
}"""


def slot_text(index: int, block: bool) -> str:
    """Each slot's text starts with its own marker, so its place on the page can be checked."""
    return (BLOCK_PAYLOAD if block else "") + f"kbslot{index} " + PAYLOAD


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    texts = {slot: slot_text(i, block=i % 2 == 0) for i, slot in enumerate(TEXT_SLOTS)}
    # an abbreviation is a short word: a hostile one is tested in the fuzzing
    texts[("concepts/hazard-ratio.yaml", ("abbreviation",))] = "HR"
    urls = {
        slot: 'https://example.org/"><script>window.__kb_pwned=14</script>?javascript:x'
        for slot in URL_SLOTS
    }
    files: dict[str, str] = fill({**texts, **urls})
    files["studies/smith-2020.yaml"] = files["studies/smith-2020.yaml"].replace(
        "value: 10.1000/jt.2020.1", f"value: '{HOSTILE_DOI}'"
    )
    for old, new in BIB_EDITS:
        assert files["references.bib"].count(old) == 1, old
        files["references.bib"] = files["references.bib"].replace(old, new)
    root = tmp_path_factory.mktemp("hostile")
    evidence = write_tree(root / "evidence", files)
    project = copy_project(root, evidence)
    build(options(project), TODAY)
    return project


@pytest.fixture(scope="module")
def served(hostile_site: Path) -> Iterator[str]:
    yield from serve(hostile_site / "site")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def open_page(browser: Any, url: str, dialogs: list[str]) -> Any:
    page = browser.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="load")
    return page


@pytest.fixture(scope="module")
def visits(served: str, browser: Any) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Every page once: what the page holds after loading, and the dialogs it opened."""
    found = {}
    for path in PAGES:
        dialogs: list[str] = []
        page = open_page(browser, f"{served}/{path}", dialogs)
        try:
            page.wait_for_timeout(100)  # let any injected timer or handler fire
            found[path] = (page.evaluate(INJECTED), dialogs)
        finally:
            page.close()
    return found


def assert_inert(found: dict[str, Any], where: str, dialogs: list[str]) -> None:
    assert dialogs == [], where
    assert found["pwned"] is None, where
    assert found["title"] != "pwned", where  # what the injected script would set
    assert found["injected"] == 0, where
    assert found["scriptLinks"] == [], where
    assert found["handlers"] == [], where
    assert found["frames"] == 0, where


@pytest.mark.parametrize("path", PAGES)
def test_no_injected_script_runs_and_no_injected_element_exists(
    visits: dict[str, tuple[dict[str, Any], list[str]]], path: str
) -> None:
    found, dialogs = visits[path]
    assert_inert(found, path or "home", dialogs)


def test_every_payload_is_on_the_site_as_text(
    visits: dict[str, tuple[dict[str, Any], list[str]]],
) -> None:
    shown = " ".join(" ".join(found["text"] for found, _ in visits.values()).split())
    for i, (record, loc) in enumerate(TEXT_SLOTS):
        if loc[0] not in NOT_ON_THE_PAGE:
            assert " ".join(slot_text(i, block=i % 2 == 0).split()) in shown, (record, loc)
    assert HOSTILE_DOI in shown
    assert "<script>window.__kb_pwned=11</script>" in shown
    assert '<b class="kb-injected">Smith</b>' in shown


def test_search_results_show_payloads_as_text(served: str, browser: Any) -> None:
    """Material's search index holds the pages' text with the markup taken out, so a payload
    is raw HTML again there; its results must still show it as text."""
    dialogs: list[str] = []
    page = open_page(browser, f"{served}/", dialogs)
    try:
        search = page.locator("input.md-search__input")
        search.click()
        results = page.locator(".md-search-result__item")
        for _ in range(10):
            search.fill("")
            # a claim's statement: searched (a study's notes and findings are not)
            search.press_sequentially("kbslot27")
            try:
                results.first.wait_for(timeout=1_500)
                break
            except playwright_api.TimeoutError:
                continue
        assert results.count() >= 1
        page.wait_for_timeout(300)
        found = page.evaluate(INJECTED)
        assert_inert(found, "search", dialogs)
        shown = page.locator(".md-search-result").inner_text()
        assert re.search(r"<script>|onerror|javascript:", shown), shown[:500]
    finally:
        page.close()
