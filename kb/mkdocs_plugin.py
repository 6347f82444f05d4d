"""A thin MkDocs plugin: during `mkdocs serve`, regenerate the pages when a record changes.

The build itself never depends on this plugin (`kb build` generates the pages before running
MkDocs, and Zensical ignores plugins); it only saves running `kb generate` by hand while
previewing. A failure is MkDocs' own PluginError, which MkDocs reports in one line.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin

from kb.build import BuildOptions, generate
from kb.cache import DEFAULT_FOLDER, CheckCache
from kb.cli_options import few_collections
from kb.clock import resolve_today
from kb.errors import KbError


class KbPluginConfig(Config):
    evidence = config_options.Type(str, default="evidence")
    """The evidence folder, relative to mkdocs.yml."""


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
