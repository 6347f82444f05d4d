"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium (or KB_CHROMIUM), a
built site served on 127.0.0.1, and Material's search box driven as a reader types."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def require_chromium() -> None:
    """Skip without Chromium; on CI, fail instead."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}; 'make test' installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free port of 127.0.0.1 for as long as the generator is open."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
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


def launch() -> Iterator[Any]:
    """A headless Chromium for as long as the generator is open (a module's fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def search_for(page: Any, words: str, results: str = ".md-search-result__item a") -> Any:
    """Search and return the result links matching `results`. Material ignores what is typed
    before its search worker has loaded the index, and shows no sign of loading, so the query
    is typed again until results appear (15 s at most)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    search = page.locator("input.md-search__input")
    search.click()
    found = page.locator(results)
    for _ in range(10):
        search.fill("")
        search.press_sequentially(words)
        try:
            found.first.wait_for(timeout=1_500)
            return found
        except PlaywrightTimeoutError:
            continue
    raise AssertionError(f"no search result for {words!r} matching {results!r}")
