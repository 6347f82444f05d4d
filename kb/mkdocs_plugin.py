"""A thin MkDocs plugin: during `mkdocs serve`, regenerate the pages when a record changes.

The build itself never depends on this plugin (`kb build` generates the pages before running
MkDocs, and Zensical ignores plugins); it only saves running `kb generate` by hand while
previewing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin

from kb.build import BuildError, BuildOptions, generate
from kb.clock import resolve_today


class KbPluginConfig(Config):
    evidence = config_options.Type(str, default="evidence")
    """The evidence folder, relative to mkdocs.yml."""


class KbPlugin(BasePlugin[KbPluginConfig]):
    def __init__(self) -> None:
        self.serving = False

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"

    def _evidence(self, config: Any) -> Path:
        return Path(config.config_file_path).parent / self.config.evidence

    def on_pre_build(self, *, config: Any) -> None:
        if not self.serving:
            return
        options = BuildOptions(
            evidence=self._evidence(config),
            docs=Path(config.docs_dir),
            offline=not config.use_directory_urls,
        )
        try:
            generate(options, resolve_today())
        except BuildError as error:
            details = "\n".join(f"  {p.path}:{p.line}:{p.col}: {p.message}" for p in error.problems)
            raise SystemExit(f"kb: {error}\n{details}") from None

    def on_serve(self, server: Any, *, config: Any, builder: Any) -> Any:
        server.watch(str(self._evidence(config)))
        return server
