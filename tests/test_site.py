"""The generated pages (golden files) and real builds of the site with MkDocs and Zensical."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import minimal_kb, write_tree
from site_project import copy_project, external_requests, files, options

from kb import build as kb_build
from kb.build import BuildError, BuildOptions, build, generate
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.markup import NOT_SEARCHED
from kb.mkdocs_plugin import PYTHON_MARKDOWN
from kb.render.common import Site
from kb.render.keywords import SearchTerms
from kb.render.site import render_site
from kb.verification import identifier_uses

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "site-kb"
GOLDEN = Path(__file__).parent / "golden" / "site"
TODAY = dt.date(2026, 11, 28)
EPOCH = "1795737600"  # 2026-11-27T00:00:00Z


def fixture_files() -> dict[str, bytes]:
    kb = load_kb(FIXTURE)
    site = Site(Evidence(kb), TODAY, dt.date(2026, 11, 1))
    return render_site(site)


def test_generated_pages_match_the_golden_files() -> None:
    files = fixture_files()
    if os.environ.get("KB_REGENERATE"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in files.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes()
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }
    assert sorted(files) == sorted(expected)
    for name in files:
        assert files[name].decode() == expected[name].decode(), name


def test_an_identifier_naming_a_larger_work_says_so_wherever_it_is_printed(
    tmp_path: Path,
) -> None:
    files = minimal_kb()
    files["studies/smith-2020.yaml"] = files["studies/smith-2020.yaml"].replace(
        "    checked: 2024-01-15\n",
        "    checked: 2024-01-15\n    larger_work: the supplement section holding abstract 12\n",
    )
    kb = load_kb(write_tree(tmp_path / "kb", files))
    pages = render_site(Site(Evidence(kb), TODAY, TODAY))
    named = "names the supplement section holding abstract 12"
    assert (
        "- Names: the supplement section holding abstract 12"
        in pages["studies/smith-2020.md"].decode()
    )
    verification = pages["verification.md"].decode()
    assert f"10&#46;1000/jt.2020.1</a> ({named}) |" in verification
    assert verification.count(named) == 1, "the PMID of the same study names nothing larger"
    assert (
        f"doi&#58;10.1000/jt.2020.1</a> ({named}) ([study page]"
        in pages["bibliography.md"].decode()
    )


def test_hostile_record_text_stays_inert_in_markdown() -> None:
    page = fixture_files()["studies/alpha-2020.md"].decode()
    summary = page.split("## Summary", 1)[1].split("##", 1)[0]
    for raw in (
        "<script",
        "javascript:alert",
        "--8<--",
        "{{",
        "!!! note",
        "*not emphasis*",
        "{: onclick",
    ):
        assert raw not in summary, raw
    assert "&#60;script&#62;" in summary  # the text is still there, as text


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("built"))
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        build(options(project), TODAY)
        build(options(project, "site-again"), TODAY)
        os.environ[PYTHON_MARKDOWN] = "1"
        build(options(project, "site-markdown"), TODAY)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
        os.environ.pop(PYTHON_MARKDOWN, None)
    return project


def test_shipped_knowledge_base_builds_strictly(built: Path) -> None:
    site = built / "site"
    for page in (
        "index.html",
        "claims/index.html",
        "evidence-map/index.html",
        "graph/index.html",
        "studies/tachezy-synchronous-resection/index.html",
        "trials/cspac-1/index.html",
        "downloads/evidence.json",
        "search/search_index.json",
    ):
        assert (site / page).is_file(), page
    study = (site / "studies/tachezy-synchronous-resection/index.html").read_text()
    assert "Forest plot" in study and "<svg" in study
    assert "application/ld+json" in study
    home = (site / "index.html").read_text()
    assert "overdue as of 2026-11-28" in home


def test_every_identifier_of_the_shipped_knowledge_base_shows_its_verification(
    built: Path,
) -> None:
    uses = identifier_uses(load_kb(built / "evidence"))
    assert len(uses) >= 20
    page = (built / "site" / "verification" / "index.html").read_text()
    assert f"{len(uses)} identifiers:" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    assert len(rows) == len(uses)
    for use in uses:
        row = next(
            (
                r
                for r in rows
                if f">{use.value.replace('.', '&#46;', 1)}<" in r or f">{use.value}<" in r
            ),
            None,
        )
        assert row is not None, use
        assert "not resolved yet" in row, "the shipped lockfile is empty until the first resolve"
        status = "verified by curator" if use.curator_verified else "unverified"
        assert status in row, (use, row)
    study = (built / "site" / "studies" / "wei-2019-cspac-1-protocol" / "index.html").read_text()
    assert "verified by curator" in study and "Registry: not resolved yet" in study


def test_retraction_banners_and_registry_status_reach_the_built_pages(tmp_path: Path) -> None:
    project = copy_project(tmp_path, FIXTURE)
    build(options(project), TODAY)
    site = project / "site"
    study = (site / "studies" / "beta-case" / "index.html").read_text()
    assert re.search(
        r'<div class="admonition danger">\s*<p class="admonition-title">Retracted', study
    )
    claim = (site / "claims" / "claim-b" / "index.html").read_text()
    assert re.search(r'<p class="admonition-title">Rests on a retracted study', claim)
    assert "retracted, not counted" in claim
    trial = (site / "trials" / "widget-1" / "index.html").read_text()
    assert re.search(r'<p class="admonition-title">The registry says otherwise', trial)
    page = (site / "verification" / "index.html").read_text()
    assert "<strong>mismatch</strong>" in page and "<strong>unverified</strong>" in page


def test_two_builds_of_the_same_evidence_are_byte_identical(built: Path) -> None:
    first, second = files(built / "site"), files(built / "site-again")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_pages_converted_by_kb_are_the_pages_python_markdown_makes(built: Path) -> None:
    """The site built with kb converting its own pages (kb.render.to_html) is the site built
    with Python-Markdown converting every page, search index and sitemap included."""
    ours, theirs = files(built / "site"), files(built / "site-markdown")
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


def test_the_built_site_loads_nothing_from_another_host(built: Path) -> None:
    assert external_requests(built / "site") == []
    assert "fonts.googleapis" not in (built / "site" / "index.html").read_text()


def test_search_index_holds_identifiers_and_abbreviations(built: Path) -> None:
    index = (built / "site" / "search" / "search_index.json").read_text()
    for needle in ("NCT03398291", "10.3748/wjg.v23.i10.1872", "27856064", "CA19-9", "FOLFIRINOX"):
        assert needle in index, needle


def test_offline_build_uses_file_urls(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    build(options(project, offline=True), TODAY)
    site = project / "site"
    home = (site / "index.html").read_text()
    assert 'href="claims/index.html"' in home
    offline_index = (site / "search" / "search_index.js").read_text()
    for needle in ("oweira-2017-seer", "10.3748/wjg.v23.i10.1872", "Surveillance Epidemiology"):
        assert needle in offline_index, needle  # a study's id, DOI and title words
    graph = (site / "graph.html").read_text()
    assert re.search(r'href="claims/[a-z0-9-]+\.html"', graph)
    assert external_requests(site) == []


def test_failed_build_leaves_the_previous_site(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    site = project / "site"
    site.mkdir()
    (site / "previous.html").write_text("previous")
    (project / "mkdocs.yml").write_text(
        (project / "mkdocs.yml").read_text() + "\nnot_a_real_mkdocs_option: 1\n"
    )
    with pytest.raises(Exception, match="mkdocs build failed"):
        build(options(project), TODAY)
    assert (site / "previous.html").read_text() == "previous"
    assert [p.name for p in project.iterdir() if p.name.startswith(".site")] == []


def test_generation_never_overwrites_a_hand_written_file(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "site_src" / "graph.md").write_text("hand-written")
    with pytest.raises(Exception, match="not written by kb"):
        generate(options(project), TODAY)
    assert (project / "site_src" / "graph.md").read_text() == "hand-written"


def test_zensical_builds_the_same_configuration(tmp_path: Path) -> None:
    zensical = Path(sys.executable).with_name("zensical")
    if not zensical.exists():
        pytest.fail("zensical is a test dependency; run 'make test' to install it")
    project = copy_project(tmp_path)
    generate(options(project), TODAY)
    result = subprocess.run(
        [str(zensical), "build", "--strict"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "site" / "index.html").is_file()
    assert (project / "site" / "claims" / "index.html").is_file()


def test_search_index_leaves_out_tables_quotes_and_figures(built: Path) -> None:
    index = (built / "site" / "search" / "search_index.json").read_text()
    assert "27048934" in index  # Tachezy's PMID, in the searchable identifiers
    # a quote from Tachezy's findings table, which every reader would otherwise download
    assert "only independent prognosticator" not in index


def test_the_whole_graph_is_not_drawn_above_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.render import overview

    assert "<svg" in fixture_files()["graph.md"].decode()
    monkeypatch.setattr(overview, "GRAPH_FIGURE_LIMIT", 2)
    page = fixture_files()["graph.md"].decode()
    assert "<svg" not in page and "too many to draw legibly" in page
    assert "claims/claim-a.md" in page  # the links are still all there, as text


def _previous_site(tmp_path: Path) -> tuple[BuildOptions, dict[str, bytes]]:
    site = tmp_path / "site"
    (site / "claims").mkdir(parents=True)
    (site / "index.html").write_text("previous")
    (site / "claims" / "a.html").write_text("previous claim")
    return BuildOptions(site=site, config=tmp_path / "mkdocs.yml"), files(site)


def _leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site"))


def test_an_interrupted_engine_leaves_the_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options, before = _previous_site(tmp_path)

    def half_a_build(command: list[str], **_: object) -> None:
        staging = Path(command[command.index("--site-dir") + 1])
        (staging / "index.html").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(kb_build.subprocess, "run", half_a_build)
    with pytest.raises(KeyboardInterrupt):
        kb_build.run_mkdocs(options)
    assert files(options.site) == before
    assert _leftovers(tmp_path) == []


def test_an_engine_that_fails_half_way_leaves_the_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options, before = _previous_site(tmp_path)

    def failing_build(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        staging = Path(command[command.index("--site-dir") + 1])
        (staging / "index.html").write_text("half")
        return subprocess.CompletedProcess(command, 1, "", "Aborted with a BuildError")

    monkeypatch.setattr(kb_build.subprocess, "run", failing_build)
    with pytest.raises(BuildError, match="Aborted with a BuildError"):
        kb_build.run_mkdocs(options)
    assert files(options.site) == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [OSError, KeyboardInterrupt])
def test_a_swap_that_fails_after_moving_the_old_site_puts_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]
) -> None:
    options, before = _previous_site(tmp_path)
    real_replace = os.replace

    def built(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        staging = Path(command[command.index("--site-dir") + 1])
        (staging / "index.html").write_text("new")
        return subprocess.CompletedProcess(command, 0, "", "")

    def replace(source: Path, target: Path) -> None:
        if Path(source).name.startswith(".site.build-"):  # the new site moving in
            raise failure("disk full")
        real_replace(source, target)

    monkeypatch.setattr(kb_build.subprocess, "run", built)
    monkeypatch.setattr(kb_build.os, "replace", replace)
    with pytest.raises(failure):
        kb_build.run_mkdocs(options)
    assert files(options.site) == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("abbreviation", "term", "defined"),
    [
        ("HR", "hazard ratio", "*[HR]: hazard ratio"),
        ("0", "zero", None),  # would match inside the placeholders of escaped characters
        ("wzxhzdk", "placeholder", None),
        ("HR", "\u00f7 <>", None),  # no title left: the line would show on every page
    ],
)
def test_abbreviations_that_would_garble_pages_are_not_defined(
    tmp_path: Path, abbreviation: str, term: str, defined: str | None
) -> None:
    files = minimal_kb()
    concept = str(files["concepts/hazard-ratio.yaml"])
    concept = concept.replace("abbreviation: HR", f'abbreviation: "{abbreviation}"')
    files["concepts/hazard-ratio.yaml"] = concept.replace("term: hazard ratio", f'term: "{term}"')
    root = write_tree(tmp_path, files)
    kb = load_kb(root)
    site = render_site(Site(Evidence(kb), TODAY, TODAY))
    lines = site["includes/abbreviations.md"].decode().split("\n")
    assert [line for line in lines if line] == ([defined] if defined else [])


def _pages(site: Path) -> dict[str, str]:
    """Every built page by the path a reader opens ('' for the home page)."""
    return {
        p.relative_to(site).as_posix().removesuffix("index.html"): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*.html"))
    }


def test_every_page_says_how_to_cite_it_the_evidence_date_and_that_it_is_not_advice(
    built: Path,
) -> None:
    pages = _pages(built / "site")
    assert len(pages) >= 50
    date = dt.datetime.fromtimestamp(int(EPOCH), dt.UTC).date().isoformat()
    for path, page in pages.items():
        trust = page.split('<div class="kb-trust">', 1)[1].split("</div>", 1)[0]
        assert "<strong>Not medical advice.</strong>" in trust, path
        assert f'Evidence as of <time datetime="{date}">{date}</time>.' in trust, path
        assert "About this site</a>" in trust, path
        if path == "404.html":  # a page that is not there has nothing to cite
            assert "Cite this page" not in trust
            continue
        cite = " ".join(trust.split("Cite this page as:", 1)[1].split())
        assert cite.startswith("Evidence on surgery for pancreatic cancer"), path
        assert cite.split(" </p>")[0].endswith(f"/{path}"), (path, cite)
    about = pages["about/"]
    for heading in ("Who maintains it", "How the evidence is chosen", "Conflicts of interest"):
        assert f">{heading}<" in about, heading


def test_certainty_symbols_are_hidden_from_screen_readers_beside_their_word(
    built: Path,
) -> None:
    pages = _pages(built / "site")
    badge = re.compile(r'<span class="kb-certainty" aria-hidden="true">[⊕◯]{4}</span> \w')
    assert any(badge.search(page) for page in pages.values())
    for path, page in pages.items():
        body = re.sub(r"<script\b.*?</script>", "", badge.sub("", page), flags=re.S)
        assert "⊕" not in body and "◯" not in body, path


def test_the_bibliography_links_each_doi_and_the_glossary_explains_the_abbreviations(
    built: Path,
) -> None:
    pages = _pages(built / "site")
    bibliography = html.unescape(pages["bibliography/"])
    dois = re.findall(r"doi:(10\.[^\s<]+)", bibliography)
    assert len(dois) >= 5
    for doi in dois:
        assert f'<a href="https://doi.org/{doi}" rel="noopener">doi:{doi}</a>' in bibliography
    glossary = pages["concepts/"]
    for short in ("OS", "HR", "GRADE", "OCEBM"):
        assert re.search(rf"<td>(<abbr [^>]*>)?{short}(</abbr>)?</td>", glossary), short


def test_search_ranks_records_above_the_maintainer_pages(built: Path) -> None:
    index = json.loads((built / "site" / "search" / "search_index.json").read_text())
    boosts: dict[str, set[float]] = {}
    for entry in index["docs"]:
        page = entry["location"].split("#", 1)[0]
        boosts.setdefault(page, set()).add(entry.get("boost", 1))
    assert boosts["trials/cspac-1/"] == {3}
    assert boosts["studies/tachezy-synchronous-resection/"] == {2}
    for page in ("verification/", "contributing/", "problem-codes/", "performance/", "tags/"):
        assert boosts[page] == {0.2}, page


@pytest.fixture
def terms(tmp_path: Path) -> SearchTerms:
    return SearchTerms(load_kb(write_tree(tmp_path, minimal_kb())))


def test_a_page_naming_a_concept_is_indexed_under_its_other_names(terms: SearchTerms) -> None:
    page = "---\ntitle: x\n---\n\n# A study\n\nThe Hazard  Ratio was 2.\n\n## More\n\nText."
    assert terms.add_to(page) == page.replace(
        "\n## More",
        '\n<p hidden class="kb-search-terms">Other names: relative hazard, HR</p>\n\n## More',
    )
    only_short = terms.add_to("# A study\n\nHR 2.0")
    assert only_short.endswith("Other names: hazard ratio, relative hazard</p>\n")


@pytest.mark.parametrize(
    "page",
    [
        "# A study\n\nNo concept here; an hr in lower case is no abbreviation.",
        f"# A study\n\nNothing.\n\n## Findings{NOT_SEARCHED}\n\nThe hazard ratio was 2.",
        "No heading, although the hazard ratio is named.",
        "# A study\n\nhazard ratio, relative hazard and HR: every name is already there.",
    ],
)
def test_pages_that_name_no_concept_where_search_reads_are_left_alone(
    terms: SearchTerms, page: str
) -> None:
    assert terms.add_to(page) == page
