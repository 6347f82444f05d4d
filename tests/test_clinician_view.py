"""The shipped site as a clinician sees it in Chromium, at 1366 x 900 and 390 x 844: the home
page's first screen answers the question, and every forest plot names the side each direction
favours in text a phone can read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from chromium import launch, require_chromium, serve
from site_project import copy_project, options

from kb.build import build

TODAY = dt.date(2026, 12, 1)
pytest.importorskip("playwright.sync_api")
SIDES = ("Favours ", "Better with ", "Worse with ", "Lower with ", "Higher with ")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    project = copy_project(tmp_path_factory.mktemp("clinician"))
    build(options(project), TODAY)
    yield from serve(project / "site")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def test_the_first_screen_holds_the_question_the_bottom_line_and_the_critical_claims(
    site: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(site + "/")
    heading = page.locator("article h1").first
    assert "Which patients with pancreatic cancer" in heading.inner_text()
    first_topic = page.locator("article h2").first
    assert first_topic.inner_text().startswith("Surgery for pancreatic cancer")
    bullets = page.locator("article h2 + ul").first.locator("li")
    assert bullets.count() >= 2
    claims = [
        bullets.nth(i) for i in range(bullets.count()) if "claim" in bullets.nth(i).inner_text()
    ]
    for item in claims:
        box = item.bounding_box()
        words = item.inner_text()
        assert box is not None and box["y"] + box["height"] <= 900, words
        if "more claim" not in words:
            assert any(w in words for w in ("Very low", "Low", "Moderate", "High")), words
    page.close()


def forest_pages(site: str, browser: Any) -> list[str]:
    page = browser.new_page()
    page.goto(site + "/claims/")
    links = page.locator("article table a").evaluate_all("(as) => as.map(a => a.href)")
    page.close()
    return sorted(set(links))


@pytest.mark.parametrize("width", [1366, 390])
def test_every_forest_plot_names_both_sides_legibly(site: str, browser: Any, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 844})
    plots = 0
    for url in forest_pages(site, browser):
        page.goto(url)
        for svg in page.locator("svg[aria-labelledby^='forest-']").all():
            plots += 1
            texts = [t or "" for t in svg.locator("text").all_text_contents()]
            sides = [t for t in texts if t.startswith(("\u2190", *SIDES)) or t.endswith("\u2192")]
            assert any(t.startswith("\u2190") for t in sides), (url, texts)
            assert any(t.endswith("\u2192") for t in sides), (url, texts)
            smallest = svg.evaluate(
                """(svg) => Math.min(...[...svg.querySelectorAll('text')].map(
                    t => parseFloat(t.getAttribute('font-size') || '12') * svg.getScreenCTM().a))"""
            )
            assert smallest >= 11, (url, width, smallest)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, (url, overflow)
    assert plots, "the shipped claims have forest plots"
    page.close()
