"""A thin MkDocs plugin: during `mkdocs serve`, regenerate the pages when a record changes; in
every build, convert kb's generated pages to HTML without Python-Markdown and read them for
Material's search index without Python's HTML tokenizer.

The build's output never depends on this plugin (`kb build` generates the pages before running
MkDocs, Zensical ignores plugins, and `kb.render.to_html` and `kb.render.search_sections` give
what Python-Markdown and Material would); it saves running `kb generate` by hand while
previewing, and most of a large site's build time. A failure is MkDocs' own PluginError, which
MkDocs reports in one line.
"""

from __future__ import annotations

import json
import logging
import os
from functools import partial
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page, _RelativePathTreeprocessor
from mkdocs.structure.toc import get_toc

from kb.build import BuildOptions, generate
from kb.cache import DEFAULT_FOLDER, CheckCache
from kb.cli_options import few_collections
from kb.clock import resolve_today
from kb.errors import KbError
from kb.generate import MANIFEST
from kb.render.markdown_dialect import Dialect, Unsupported
from kb.render.search_sections import parse
from kb.render.to_html import convert

log = logging.getLogger("mkdocs.plugins.kb")

PYTHON_MARKDOWN = "KB_PYTHON_MARKDOWN"
"""Set to 1, every page is converted by Python-Markdown and indexed by Material's own parsing
(to compare, or to rule kb out)."""

MATERIAL_VERSIONS = frozenset({(9, 8)})
"""The Material releases whose search plugin kb's indexing was compared with (see `index`)."""


class KbPluginConfig(Config):
    evidence = config_options.Type(str, default="evidence")
    """The evidence folder, relative to mkdocs.yml."""
    html = config_options.Type(bool, default=True)
    """Convert kb's generated pages to HTML without Python-Markdown (`kb.render.to_html`)."""


class KbPlugin(BasePlugin[KbPluginConfig]):
    def __init__(self) -> None:
        self.serving = False
        self.cache: CheckCache | None = None
        """Kept from one rebuild to the next while serving: every entry is keyed by content
        (a file's bytes, a whole run's inputs, a page's inputs and its file's digest), so what
        another process writes meanwhile cannot make one wrong, and the stores are not read
        from disk again at every edit."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> None:
        self.dialect: Dialect | None = None
        self.off = "turned off"
        if not self.config.html or os.environ.get(PYTHON_MARKDOWN) == "1":
            return
        try:
            # pymdownx.snippets reads its base_path from the working directory, as here
            self.dialect = Dialect.read(config.markdown_extensions, config.mdx_configs, Path())
        except Unsupported as reason:
            self.off = str(reason)
            return
        for plugin in config.plugins.values():
            search_index: Any = getattr(plugin, "search_index", None)
            if _is_material_index(search_index):
                # an attribute of this one index, which lives as long as this build's plugins
                search_index.add_entry_from_context = partial(index, search_index, self)

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        if self.dialect is not None and page.file.src_uri in self.generated:
            # MkDocs calls page.render right after reading the page: this page's own method
            page.render = partial(self._render, page, self.dialect)  # type: ignore[method-assign]
        return page

    def _render(self, page: Page, dialect: Dialect, config: MkDocsConfig, files: Files) -> None:
        self.converted[render(page, dialect, config, files)] += 1

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.dialect is None:
            log.info("kb: Python-Markdown converted every page (%s)", self.off)
            return
        log.info(
            "kb: %d pages converted by kb, %d of its pages by Python-Markdown",
            self.converted[True],
            self.converted[False],
        )

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Notes the pages kb generated (its manifest), once a build, after any regeneration."""
        self.generated: frozenset[str] = frozenset()
        self.converted = {True: 0, False: 0}
        try:
            data = json.loads((Path(config.docs_dir) / MANIFEST).read_text(encoding="utf-8"))
            self.generated = frozenset(name for name in data["files"] if name.endswith(".md"))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return files

    def _evidence(self, config: MkDocsConfig) -> Path:
        return Path(config.config_file_path).parent / self.config.evidence

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if not self.serving:
            return
        options = BuildOptions(
            evidence=self._evidence(config),
            docs=Path(config.docs_dir),
            offline=not config.use_directory_urls,
            cache=self._cache(config),
        )
        try:
            with few_collections():
                generate(options, resolve_today())
        except KbError as error:
            details = "".join(f"\n  {line}" for line in error.details)
            raise PluginError(f"kb: {error}{details}") from None

    def _cache(self, config: MkDocsConfig) -> CheckCache:
        folder = Path(config.config_file_path).parent / DEFAULT_FOLDER
        if self.cache is None or self.cache.folder != folder:
            # beside mkdocs.yml, where `kb build` keeps it when run from there (refused, and so
            # not used, when git tracks it)
            self.cache = CheckCache(folder)
        return self.cache

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: object
    ) -> LiveReloadServer:
        server.watch(str(self._evidence(config)))
        return server


def render(page: Page, dialect: Dialect, config: MkDocsConfig, files: Files) -> bool:
    """`Page.render` for a page kb generated: its HTML from `convert`, and everything MkDocs
    keeps from a conversion set as MkDocs sets it; Python-Markdown when `convert` declines.
    Whether kb converted it."""
    assert page.markdown is not None
    links = _RelativePathTreeprocessor(page.file, files, config)
    try:
        converted = convert(page.markdown, dialect, links.path_to_url)
    except Unsupported:
        Page.render(page, config, files)
        return False
    page.content = converted.html
    page.toc = get_toc(converted.toc_tokens)  # type: ignore[arg-type]
    page._title_from_render = converted.title
    page.present_anchor_ids = converted.ids
    if logging.getLogger("mkdocs.structure.pages").getEffectiveLevel() > logging.DEBUG:
        page.links_to_anchors = links.links_to_anchors
    return True


def _is_material_index(search_index: object) -> bool:
    if type(search_index).__module__ != "material.plugins.search.plugin":
        return False
    from material import __version__

    return tuple(int(part) for part in __version__.split(".")[:2]) in MATERIAL_VERSIONS


def index(search_index: Any, plugin: KbPlugin, page: Page) -> None:
    """Material's `SearchIndex.add_entry_from_context` for a page kb generated, with the page's
    HTML fed to Material's own parser by `search_sections.feed`; any other page as Material
    indexes it."""
    from material.plugins.search.plugin import Parser, SearchIndex

    if page.file.src_uri not in plugin.generated:
        SearchIndex.add_entry_from_context(search_index, page)
        return
    search = page.meta.get("search") or {}
    if search.get("exclude"):
        return
    parser = parse(Parser, page.content or "")
    parser.close()
    for section in parser.data:
        if not section.is_excluded():
            search_index.create_entry_for_section(section, page.toc, page.url, page)
