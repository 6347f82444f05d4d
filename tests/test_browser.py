"""The built site in a real browser: headless Chromium driven by Playwright, served on 127.0.0.1.

A reader opens the home page, searches "CA19-9", opens a claim from the results, follows a study
link and finds the figures; no console error and no request to another host is allowed.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.build import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api")


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}; 'make test' installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    project = tmp_path_factory.mktemp("browser")
    shutil.copytree(ROOT / "evidence", project / "evidence")
    shutil.copytree(
        ROOT / "site_src",
        project / "site_src",
        ignore=shutil.ignore_patterns(
            ".kb-generated.json", "claims", "studies", "trials", "concepts", "downloads", "includes"
        ),
    )
    for generated in ("index.md", "evidence-map.md", "graph.md", "bibliography.md", "downloads.md"):
        (project / "site_src" / generated).unlink(missing_ok=True)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    build(
        BuildOptions(
            evidence=project / "evidence",
            docs=project / "site_src",
            site=project / "site",
            config=project / "mkdocs.yml",
        ),
        dt.date(2026, 11, 28),
    )
    handler = functools.partial(_QuietHandler, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def browser_page(served: str) -> Iterator[tuple[Any, list[str], list[str]]]:
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
                None if r.url.startswith((served, "data:", "blob:")) else foreign.append(r.url)
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
    search = page.locator("input.md-search__input")
    search.click()
    search.fill("CA19-9")
    result = page.locator(".md-search-result__item a[href*='/claims/']").first
    result.wait_for(timeout=15_000)
    result.click()
    page.wait_for_url("**/claims/**")
    assert page.locator("h1").first.inner_text()
    assert page.locator("svg[role='img']").count() >= 1, "the claim's neighbourhood figure"
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
    assert page.locator("figure svg[role='img']").count() == 1
    assert errors == []
    assert foreign == []
