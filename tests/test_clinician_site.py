"""The shipped site as a clinician meets it, in Chromium at a desktop (1366x900) and a phone
(390x844) size.

The site is built once, as CI deploys it (with a site URL). Every page is visited once per size:
axe-core (node_modules, installed by `make test`) checks it, and on the phone nothing may be
wider than the screen except inside a box that shows it scrolls, and figure text must stay
legible. Then: search finds records before maintainer pages and knows the glossary's synonyms,
the menu is the clinician's, and a claim prints on at most two A4 pages with the site, its
address and the evidence date.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chromium import launch, require_chromium, search_for, serve
from site_project import ROOT, copy_project, options

from kb.build import build

pytest.importorskip("playwright.sync_api")
pypdf = pytest.importorskip("pypdf")

TODAY = dt.date(2026, 11, 28)
EPOCH = "1795824000"  # 2026-11-28T00:00:00Z, the evidence date
SITE_URL = "https://kb.example.org/"  # at the root: the 404 page links its assets absolutely
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
SERIOUS = {"critical", "serious"}
MIN_FIGURE_TEXT_PX = 11

# The boxes that show they scroll (a shadow at the edge with more beyond it, kb.css); Material's
# own chrome outside the article (the drawer, the search overlay) is off screen by design.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push("the page is " + document.documentElement.scrollWidth + " px wide");
  }
  const cued = ".md-typeset__scrollwrap, .kb-figure__scroll, pre > code";
  for (const el of document.querySelectorAll(".md-content *, .md-footer *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || (box.left >= -0.5 && box.right <= width + 0.5)) continue;
    let holder = el.parentElement;
    while (holder && !(["auto", "scroll"].includes(getComputedStyle(holder).overflowX)
                       && holder.scrollWidth > holder.clientWidth + 1)) {
      holder = holder.parentElement;
    }
    if (holder && holder.matches(cued) && holder.getBoundingClientRect().right <= width + 0.5) {
      continue;
    }
    found.push(el.tagName.toLowerCase() + "." + el.className + " " + Math.round(box.width) + " px");
  }
  return found;
}"""

FIGURES = """() => Array.from(document.querySelectorAll("svg.kb-figure")).map(svg => {
  const scale = svg.getScreenCTM().a;
  const sizes = Array.from(svg.querySelectorAll("text"))
    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  const link = svg.closest("figure").querySelector("figcaption a[href^='#']");
  const target = link && document.getElementById(link.getAttribute("href").slice(1));
  return {smallest: Math.min(...sizes), textVersion: Boolean(target)};
})"""


@dataclass
class Visit:
    serious: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    if not AXE.is_file():
        message = f"{AXE} is missing; 'make test' installs it with npm ci"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    project = copy_project(tmp_path_factory.mktemp("clinician"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KB_SITE_URL", SITE_URL)
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        build(options(project), TODAY)
    return project / "site"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    yield from serve(site)


@pytest.fixture(scope="module")
def browser(site: Path) -> Iterator[Any]:
    yield from launch()


def page_urls(site: Path) -> list[str]:
    """Every page of the built site, as the path a reader opens."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return [p.removesuffix("index.html") for p in pages]


@pytest.fixture(scope="module")
def visits(site: Path, served: str, browser: Any) -> Iterator[dict[str, dict[str, Visit]]]:
    """Size -> page -> what axe and the layout checks found there. Each page is opened once,
    checked at one size, resized and checked again (axe takes most of a second a page). axe is
    loaded from a local URL, so Chromium compiles it once rather than on every page."""
    found: dict[str, dict[str, Visit]] = {size: {} for size in SIZES}
    for axe_server in serve(AXE.parent):
        page = browser.new_page()
        for path in page_urls(site):
            page.set_viewport_size(_viewport("desktop"))
            page.goto(f"{served}/{path}", wait_until="domcontentloaded")
            page.wait_for_selector("html[data-kb-ready]", state="attached")
            page.add_script_tag(url=f"{axe_server}/{AXE.name}")
            for size in SIZES:
                if size != "desktop":  # kb.js marks the boxes that scroll again after a resize
                    page.evaluate("document.documentElement.removeAttribute('data-kb-ready')")
                    page.set_viewport_size(_viewport(size))
                    page.wait_for_selector("html[data-kb-ready]", state="attached")
                found[size][path] = _check(page, size)
        page.close()
        yield found


def _viewport(size: str) -> dict[str, int]:
    width, height = SIZES[size]
    return {"width": width, "height": height}


def _check(page: Any, size: str) -> Visit:
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations'], noHtml: true}))"
        ".violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    visit = Visit(
        serious=[
            f"{v['id']} ({v['impact']}): {', '.join(v['nodes'][:3])}"
            for v in violations
            if v["impact"] in SERIOUS
        ]
    )
    if size == "phone":
        visit.overflow = page.evaluate(OVERFLOW)
        visit.figures = page.evaluate(FIGURES)
    return visit


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_no_serious_or_critical_violation_on_any_page(
    visits: dict[str, dict[str, Visit]], size: str
) -> None:
    assert len(visits[size]) >= 50, "every page of the shipped site"
    failing = {path: visit.serious for path, visit in visits[size].items() if visit.serious}
    assert failing == {}


def test_nothing_is_wider_than_a_phone_outside_a_box_that_shows_it_scrolls(
    visits: dict[str, dict[str, Visit]],
) -> None:
    failing = {path: visit.overflow for path, visit in visits["phone"].items() if visit.overflow}
    assert failing == {}


def test_figure_text_stays_legible_on_a_phone_with_its_text_version_a_tap_away(
    visits: dict[str, dict[str, Visit]],
) -> None:
    figures = [(path, f) for path, visit in visits["phone"].items() for f in visit.figures]
    assert len(figures) >= 10, "the claims' neighbourhoods, forest plots, map and graph"
    small = [
        (path, f["smallest"]) for path, f in figures if f["smallest"] < MIN_FIGURE_TEXT_PX - 0.01
    ]
    assert small == []
    assert [path for path, f in figures if not f["textVersion"]] == []


def test_a_registry_number_finds_its_trial_first(served: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{served}/")
    results = search_for(page, "NCT03398291", ".md-search-result__item > a")
    assert "/trials/cspac-1/" in results.first.get_attribute("href")
    page.close()


@pytest.mark.parametrize(
    "words",
    [
        "oweira-2017-seer",  # the record's id
        "10.3748/wjg.v23.i10.1872",  # its DOI
        "site-specific metastases pancreatic adenocarcinoma",  # words of its title
    ],
)
def test_a_study_is_found_by_its_id_doi_and_title(served: str, browser: Any, words: str) -> None:
    """A study's page is one search entry (its id, identifiers and title), which still finds it."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{served}/")
    search_for(page, words, ".md-search-result__item a[href*='/studies/oweira-2017-seer/']")
    page.close()


def test_a_glossary_synonym_finds_the_trial_that_uses_another_name(
    served: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{served}/")
    search_for(page, "neoadjuvant", ".md-search-result__item a[href*='/trials/cspac-1/']")
    # the synonyms are indexed but never shown
    page.goto(f"{served}/trials/cspac-1/")
    assert page.locator(".kb-search-terms").count() == 1
    assert not page.locator(".kb-search-terms").is_visible()
    page.close()


def test_the_menu_is_the_clinicians_with_the_maintainer_pages_apart(
    served: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{served}/")
    items = page.locator(".md-nav--primary > .md-nav__list > .md-nav__item")
    texts = items.evaluate_all("items => items.map(item => item.textContent)")
    labels = [" ".join(text.split()) for text in texts]
    assert [label.split(" ")[0] for label in labels[:8]] == [
        "Home",
        "Claims",
        "Studies",
        "Trials",
        "Evidence",
        "Glossary",
        "Methods",
        "Downloads",
    ]
    assert labels[-1].startswith("For contributors")
    contributors = labels[-1]
    for name in ("Verification", "Contributing", "Problem codes", "Performance", "Tags"):
        assert name in contributors and not any(name in label for label in labels[:-1]), name
    page.close()


def test_a_claim_prints_on_at_most_two_a4_pages_with_site_address_and_date(
    site: Path, served: str, browser: Any
) -> None:
    page = browser.new_page()
    claims = sorted(p.parent.name for p in (site / "claims").glob("*/index.html"))
    assert len(claims) >= 8
    for claim in claims:
        page.goto(f"{served}/claims/{claim}/")
        pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
        assert len(pdf.pages) <= 2, claim
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
    assert "Evidence on surgery for pancreatic cancer with liver metastases" in text
    assert f"{SITE_URL}claims/{claims[-1]}/" in text.replace(" ", "")
    assert "Evidence as of 2026-11-28" in text
    page.emulate_media(media="print")
    for chrome in (".md-header", ".md-sidebar--primary", ".md-tags", ".md-footer__inner"):
        assert not page.locator(chrome).first.is_visible(), chrome
    assert page.locator(".kb-print-header").is_visible()
    cut = page.evaluate(
        "Array.from(document.querySelectorAll('article table'))"
        ".filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length"
    )
    assert cut == 0, "a table is wider than the printed page"
    page.close()
