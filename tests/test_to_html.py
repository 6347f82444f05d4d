"""kb's pages converted without Python-Markdown (kb.render.to_html) are what Python-Markdown
makes of them: every generated page of the shipped, a synthetic and a hostile knowledge base,
and of pages made from text drawn at random, compared both ways; what MkDocs keeps from a
conversion (toc, anchors, links to anchors, title) and the sections Material's search takes
from the page (kb.render.search_sections) compared too; and what the converter does not
reproduce goes through Python-Markdown."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import markdown
import pytest
from conftest import write_tree
from hostile import TEXT_SLOTS, URL_SLOTS, fill
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from markdown.extensions import toc
from material.plugins.search.plugin import Parser
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files, get_files
from mkdocs.structure.pages import Page, _RelativePathTreeprocessor
from site_project import copy_project, files, options
from test_fuzz import (
    EXTENSION_CONFIGS,
    EXTENSIONS,
    FRONT_MATTER,
    SCALE,
    SETTINGS,
    TEXT,
    URL_TAIL,
    check_and_render,
)

from benchmarks.synthetic import write_knowledge_base
from kb.build import generate
from kb.generate import MANIFEST
from kb.mkdocs_plugin import render
from kb.render.markdown_dialect import Dialect, Unsupported, read_abbreviations
from kb.render.search_sections import feed, parse
from kb.render.site import ABBREVIATIONS
from kb.render.to_html import convert

TODAY = dt.date(2026, 11, 28)


def mkdocs_config(project: Path) -> tuple[MkDocsConfig, Files, Dialect]:
    config = load_config(str(project / "mkdocs.yml"))
    config.plugins.on_startup(command="build", dirty=False)
    config = config.plugins.on_config(config)
    return (
        config,
        get_files(config),
        Dialect.read(config.markdown_extensions, config.mdx_configs, project),
    )


def compare_pages(project: Path) -> tuple[list[str], list[str], list[str]]:
    """Every page kb generated in the project, rendered by MkDocs with Python-Markdown and with
    kb's converter: (pages converted by kb, pages it declined, pages that differ)."""
    config, files, dialect = mkdocs_config(project)
    generated = json.loads((project / "site_src" / MANIFEST).read_text())["files"]
    converted, declined, different = [], [], []
    for name in sorted(n for n in generated if n.endswith(".md") and not n.startswith("includes/")):
        file = files.get_file_from_path(name)
        assert file is not None, name
        expected, page = Page(None, file, config), Page(None, file, config)
        expected.read_source(config)
        page.read_source(config)
        Page.render(expected, config, files)
        try:
            links = _RelativePathTreeprocessor(file, files, config).path_to_url
            convert(page.markdown or "", dialect, links)
            converted.append(name)
        except Unsupported:
            declined.append(name)
        render(page, dialect, config, files)
        kept = ("content", "present_anchor_ids", "links_to_anchors", "_title_from_render")
        if str(expected.toc) != str(page.toc) or any(
            getattr(expected, a) != getattr(page, a) for a in kept
        ):
            different.append(name)
        ours, theirs = Parser(), Parser()
        theirs.feed(page.content)
        if not feed(ours, page.content or ""):
            different.append(f"{name}: not fed")
        elif sections(ours) != sections(theirs):
            different.append(f"{name}: search sections")
    return converted, declined, different


def sections(parser: Any) -> list[tuple[Any, ...]]:
    """What Material's search index takes from a parsed page."""
    parser.close()
    return [
        (repr(s), s.id, "".join(s.title), "".join(s.text), s.depth)
        for s in parser.data
        if not s.is_excluded()
    ]


def generated_project(tmp_path: Path, evidence: Path) -> Path:
    project = copy_project(tmp_path, evidence)
    generate(options(project), TODAY)
    return project


def test_the_shipped_pages_convert_as_python_markdown_converts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = generated_project(tmp_path, Path(__file__).parent.parent / "evidence")
    monkeypatch.chdir(project)  # where pymdownx.snippets looks for the abbreviations
    converted, declined, different = compare_pages(project)
    assert different == []
    assert declined == [] and len(converted) > 100, "every page kb generates is converted by kb"


def test_a_real_build_converts_kb_pages_itself(tmp_path: Path) -> None:
    project = generated_project(tmp_path, Path(__file__).parent.parent / "evidence")
    command = [sys.executable, "-m", "mkdocs", "build", "--verbose", "--site-dir", "site"]
    run = partial(
        subprocess.run,
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1795737600"},  # the same sitemap date
    )
    result = run(command)
    found = re.search(
        r"kb: (\d+) pages converted by kb, (\d+) of its pages by Python", result.stderr
    )
    assert found and int(found[1]) > 100 and found[2] == "0", result.stderr[-2000:]
    # turned off in mkdocs.yml, every page goes through Python-Markdown, to the same site
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - kb\n", "  - kb:\n      html: false\n"))
    command[-1] = "site-markdown"
    result = run(command)
    assert "kb: Python-Markdown converted every page (turned off)" in result.stderr
    assert files(project / "site") == files(project / "site-markdown")


def test_synthetic_pages_convert_as_python_markdown_converts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = write_knowledge_base(tmp_path / "synthetic", 60)
    project = generated_project(tmp_path, evidence)
    monkeypatch.chdir(project)
    converted, declined, different = compare_pages(project)
    assert different == []
    assert declined == [] and sum(n.startswith("studies/study-") for n in converted) == 60


def test_hostile_pages_convert_as_python_markdown_converts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_injection import BLOCK_PAYLOAD, PAYLOAD

    texts = {slot: (BLOCK_PAYLOAD if i % 2 else "") + PAYLOAD for i, slot in enumerate(TEXT_SLOTS)}
    texts[("concepts/hazard-ratio.yaml", ("abbreviation",))] = "HR"
    urls = {slot: 'https://example.org/"><script>x</script>?a&b=<c>' for slot in URL_SLOTS}
    evidence = write_tree(tmp_path / "evidence", fill({**texts, **urls}))
    project = generated_project(tmp_path, evidence)
    monkeypatch.chdir(project)
    converted, _, different = compare_pages(project)
    assert different == []
    assert "studies/smith-2020.md" in converted


def python_markdown(page: str, abbreviations: str) -> tuple[str, list[dict[str, Any]]]:
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    html = md.convert(FRONT_MATTER.sub("", page) + "\n\n" + abbreviations)
    return html, md.toc_tokens  # type: ignore[attr-defined]


@settings(SETTINGS, max_examples=12 * SCALE)
@given(
    texts=st.fixed_dictionaries({slot: TEXT for slot in TEXT_SLOTS}),
    tails=st.fixed_dictionaries({slot: URL_TAIL for slot in URL_SLOTS}),
)
def test_pages_of_any_text_convert_as_python_markdown_converts_them(
    tmp_path_factory: Any, texts: dict[Any, str], tails: dict[Any, str]
) -> None:
    urls = {slot: "https://example.org/" + tail for slot, tail in tails.items()}
    # an abbreviation the converter cannot match safely turns it off for the whole site (tested
    # below), so the concept's abbreviation stays a plain one and every other text varies
    texts[("concepts/hazard-ratio.yaml", ("abbreviation",))] = "HR"
    files = fill({**texts, **urls})
    problems, site = check_and_render(write_tree(tmp_path_factory.mktemp("any"), files))
    assert site is not None, problems
    abbreviations = site[ABBREVIATIONS].decode()
    dialect = Dialect(read_abbreviations(abbreviations.splitlines()), toc.slugify)
    for name, data in site.items():
        if not name.endswith(".md") or name == ABBREVIATIONS:
            continue
        page = data.decode()
        try:
            ours = convert(FRONT_MATTER.sub("", page), dialect, lambda target: target)
        except Unsupported:
            continue
        html, tokens = python_markdown(page, abbreviations)
        assert (ours.html, ours.toc_tokens) == (html, tokens), name


PAGE = "# Title\n\nA paragraph about HR.\n\n## Findings { data-search-exclude }\n\n- one\n"


@pytest.mark.parametrize(
    "page",
    [
        PAGE + "\n!!! note\n\n    an admonition without a title\n",
        PAGE + '\n!!! note "x"\n    with no blank line\n',
        PAGE + "\nA ``code`` span.\n",
        PAGE + "\nA `<code>` span.\n",
        PAGE + "\n- a\n\n- b\n",  # a loose list
        PAGE + "\nA line  \nbroken.\n",
        PAGE + "\nterm\n: definition\n",
        PAGE + "\n    indented code\n",
        PAGE + "\n1. ordered\n",
        PAGE + "\n> quoted\n",
        PAGE + "\nA & B\n",
        PAGE + "\n| a | b |\n|:--|---|\n| 1 | 2 |\n",  # aligned columns
        PAGE + '\n| a | b |\n|---|---|\n| <span title="x|y">1</span> | 2 |\n',
        PAGE + "\n*[X]: an abbreviation\n",
        PAGE + "\n## [A link](x.md) in a heading\n",
        PAGE + "\nSome text\n<div>raw HTML right after it</div>\n",
    ],
)
def test_what_it_does_not_reproduce_it_declines(page: str) -> None:
    dialect = Dialect({"HR": "hazard ratio"}, toc.slugify)
    with pytest.raises(Unsupported):
        convert(page, dialect, lambda target: target)


def test_what_it_converts_matches_python_markdown() -> None:
    page = (
        PAGE
        + "\n| Item | Value |\n|---|---|\n| HR | **1.2** &#40;*x*&#41; |\n| Empty |   |\n"
        + '\n<div class="kb-x" data-search-exclude markdown>\n\n'
        + "- **a** [b](c.md)\n    - d\n\n</div>\n"
        + '\n<figure class="f">\n<svg><title id="t">HR</title></svg>\n</figure>\n'
        + '\n## Findings\n\nText <span id="s"></span>HR, HRs and CA19-9.\n'
        + '\n!!! note "A <span class="c">title</span> on HR"\n\n    One `code` span.\n\n'
        + "    - <span>an</span> item\n"
        + '\n<div class="kb-screen-only" markdown>\n\n## Inside\n\n'
        + '<figure class="f" data-search-exclude id="g">\n<div class="s">\n<svg/>\n</div>\n'
        + "</figure>\n\n</div>\n"
    )
    dialect = Dialect({"HR": "hazard ratio", "CA19-9": "a marker"}, toc.slugify)
    ours = convert(page, dialect, lambda target: target)
    abbreviations = "*[HR]: hazard ratio\n*[CA19-9]: a marker\n"
    assert (ours.html, ours.toc_tokens) == python_markdown(page, abbreviations)
    assert {"title", "findings", "findings_1", "t", "s", "g", "inside"} <= ours.ids
    assert ours.title == "Title"


def test_settings_it_does_not_reproduce_turn_it_off(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("*[HR]: hazard ratio\n")
    read = Dialect.read(["toc", "abbr"], {"toc": {"permalink": True}}, tmp_path)
    assert read.abbreviations == {}
    snippets = {"toc": {"permalink": True}, "pymdownx.snippets": {"auto_append": ["a.md"]}}
    read = Dialect.read(["toc", "abbr", "pymdownx.snippets"], snippets, tmp_path)
    assert read.abbreviations == {"HR": "hazard ratio"}
    for extensions, configs in [
        (["toc", "abbr", "smarty"], {"toc": {"permalink": True}}),
        (["toc", "abbr"], {"toc": {"permalink": True, "toc_depth": 2}}),
        (["toc", "abbr"], {"toc": {}}),
        (["abbr"], {}),
    ]:
        with pytest.raises(Unsupported):
            Dialect.read(extensions, configs, tmp_path)
    (tmp_path / "a.md").write_text("*[HR]: hazard ratio\nA paragraph.\n")
    with pytest.raises(Unsupported):
        Dialect.read(["toc", "abbr", "pymdownx.snippets"], snippets, tmp_path)
    for line in ("*[klzzwxh]: x\n", "*[H&R]: x\n", "*[12]: x\n"):
        with pytest.raises(Unsupported):
            read_abbreviations([line])


def test_a_declined_page_is_rendered_by_python_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken link on a page kb declines is reported once, by Python-Markdown."""
    project = generated_project(tmp_path, Path(__file__).parent.parent / "evidence")
    monkeypatch.chdir(project)
    page_file = project / "site_src" / "studies" / "tachezy-synchronous-resection.md"
    page_file.write_text(page_file.read_text() + "\nA & B and [a link](nowhere.md).\n")
    config, files, dialect = mkdocs_config(project)
    file = files.get_file_from_path("studies/tachezy-synchronous-resection.md")
    assert file is not None
    expected, page = Page(None, file, config), Page(None, file, config)
    for each in (expected, page):
        each.read_source(config)
    Page.render(expected, config, files)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        render(page, dialect, config, files)
    assert page.content == expected.content and "A &amp; B" in page.content
    assert sum("nowhere.md" in record.getMessage() for record in caplog.records) == 1


SEARCH_CASES = [
    # an excluded element inside another of the same tag: Material stops skipping the outer one
    '<h1 id="t">T</h1><div data-search-exclude><div data-search-exclude>a</div>b</div><p>c</p>',
    # a heading inside an excluded element still starts a section
    '<h1 id="t">T</h1><div data-search-exclude><h2 id="x">X</h2>hidden</div><p>after</p>',
    # an excluded section inside an element: its end returns to the section before
    '<h1 id="t">T</h1><div><h2 data-search-exclude id="x">X</h2><p>a</p></div><p>b</p>',
    '<h1 id="t">T</h1><h2 data-search-exclude id="x">X</h2><table><tr><td>a</td></tr></table>'
    '<figure data-search-exclude><svg><line/></svg></figure><h2 id="y">Y</h2><p>y &amp; z</p>',
    '<p>preface</p><h2 id="a">A <code>b</code></h2><ul><li>x<br>y</li></ul>'
    '<script type="application/ld+json">{"a":"\\u003c"}</script><p class="linenodiv">n</p>',
    '<h1 id="t">T</h1><div data-search-exclude><span class="linenodiv">a</span>b</div>c',
    # headings nested in elements, and the sections the parser returns to as they close
    '<div><h2 id="p">P</h2><div><h3 data-search-exclude id="s">S</h3></div></div>'
    "<div><div><p>text</p></div></div>after",
    '<div><h2 id="p">P</h2><div><h3 id="s">S</h3></div></div>'
    "<div data-search-exclude><div><p>x</p></div></div>after",
]


@pytest.mark.parametrize("page", SEARCH_CASES)
def test_search_sections_are_material_s(page: str) -> None:
    ours, theirs = Parser(), Parser()
    theirs.feed(page)
    assert feed(ours, page)
    assert sections(ours) == sections(theirs)


@pytest.mark.parametrize(
    "page",
    [
        "<p>a < b</p>",
        "<p>a<!-- c --></p>",
        "<div><p>a</div></p>",
        "<p>unclosed",
        "<p class='single'>a</p>",
        "<br></br>",
    ],
)
def test_search_html_it_cannot_be_sure_of_is_left_to_material(page: str) -> None:
    parser = Parser()
    assert not feed(parser, page)
    assert parser.data == [] and parser.context == []


def _html_tree(depth: int) -> st.SearchStrategy[str]:
    """Small pages of nested elements, headings (searched or not) and excluded elements."""
    text = st.sampled_from(["a", "b c", " ", "x &amp; y", "\n"])
    tag = st.sampled_from(["div", "p", "span", "ul", "li", "figure"])
    marked = st.sampled_from(["", " data-search-exclude", ' class="linenodiv"', ' id="i"'])
    heading = st.builds(
        lambda level, ident, exclude, words: f'<h{level}{exclude} id="{ident}">{words}</h{level}>',
        st.integers(1, 3),
        st.sampled_from(["h", "k"]),
        st.sampled_from(["", " data-search-exclude"]),
        text,
    )
    script = st.builds(lambda m, t: f"<script{m}>{t}</script>", marked, text)
    if depth == 0:
        return st.one_of(text, heading, script, st.just("<br>"), st.just("<line/>"))
    inner = st.lists(_html_tree(depth - 1), max_size=4).map("".join)
    element = st.builds(lambda t, m, body: f"<{t}{m}>{body}</{t}>", tag, marked, inner)
    return st.one_of(text, heading, element)


@settings(SETTINGS, max_examples=300 * SCALE)
@given(st.lists(_html_tree(3), max_size=6).map("".join))
def test_search_sections_of_any_nesting_are_material_s(page: str) -> None:
    theirs = Parser()
    try:
        theirs.feed(page)
    except ValueError:  # Material's parser fails on some nestings (a kept tag closed twice)
        assume(False)
    assert feed(Parser(), page)
    assert sections(parse(Parser, page)) == sections(theirs)
