"""The built site in a real browser: headless Chromium driven by Playwright, served on 127.0.0.1.

A reader opens the home page, searches "CA19-9", opens a claim from the results, follows a study
link and finds the figures; no console error and no request to another host is allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium, search_for, serve
from site_project import copy_project, options

from kb.build import build

TODAY = dt.date(2026, 11, 28)

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    project = copy_project(tmp_path_factory.mktemp("browser"))
    build(options(project), TODAY)
    build(options(project, "site-offline", offline=True), TODAY)
    return project


@pytest.fixture(scope="module")
def served(project: Path) -> Iterator[str]:
    yield from serve(project / "site")


@pytest.fixture
def browser_page(project: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page recording console errors and every request that leaves the site (anything but
    127.0.0.1 and file://)."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        errors: list[str] = []
        foreign: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("http://127.0.0.1:", "file://", "data:", "blob:"))
                else foreign.append(r.url)
            ),
        )
        try:
            yield page, errors, foreign
        finally:
            browser.close()


def test_a_reader_finds_a_claim_by_search_and_follows_it_to_a_study(
    served: str, browser_page: tuple[Any, list[str], list[str]]
) -> None:
    page, errors, foreign = browser_page
    page.goto(f"{served}/")
    assert "pancreatic cancer" in page.title().lower()
    search_for(page, "CA19-9", ".md-search-result__item a[href*='/claims/']").first.click()
    page.wait_for_url("**/claims/**")
    assert page.locator("h1").first.inner_text()
    # the neighbourhood figure: a group of links, not an image (axe: nested-interactive)
    assert page.locator("figure svg[role='group'] a").count() >= 1
    study = page.locator("article a[href*='studies/']").first
    study.click()
    page.wait_for_url("**/studies/**")
    assert (
        page.locator("h2", has_text="Identifiers").count()
        + page.locator("text=No identifier").count()
        >= 1
    )
    page.goto(f"{served}/studies/tachezy-synchronous-resection/")
    forest = page.locator("figure svg[role='img']")
    assert forest.count() == 1 and "forest" in (forest.get_attribute("aria-labelledby") or "")
    page.goto(f"{served}/graph/")
    assert page.locator("figure svg[role='group']").count() == 1
    assert errors == []
    assert foreign == []


def test_the_offline_site_works_from_the_file_system(
    project: Path, browser_page: tuple[Any, list[str], list[str]]
) -> None:
    page, errors, foreign = browser_page
    page.goto((project / "site-offline" / "index.html").as_uri())
    assert search_for(page, "FOLFIRINOX").count() >= 1
    page.goto((project / "site-offline" / "graph.html").as_uri())
    page.locator("figure svg[role='group'] a").first.click()
    page.wait_for_url("**/*.html")
    assert page.url.startswith("file://") and page.locator("h1").count() == 1
    assert errors == []
    assert foreign == []
