"""A throw-away copy of the site's sources for build tests: hand-written pages, the evidence and
mkdocs.yml, with no generated file in it, as on a fresh clone."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from kb.build import BuildOptions
from kb.generate import MANIFEST

ROOT = Path(__file__).resolve().parent.parent

EXTERNAL_RESOURCE = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"
    r"(?:src|href|data)=[\"']?(?:https?:)?//",
    re.IGNORECASE,
)


def copy_project(destination: Path, evidence: Path = ROOT / "evidence") -> Path:
    project = destination / "project"
    manifest = ROOT / "site_src" / MANIFEST
    generated = set(json.loads(manifest.read_text())["files"]) if manifest.exists() else set()

    def ignore(folder: str, names: list[str]) -> list[str]:
        here = Path(folder).relative_to(ROOT / "site_src")
        return [n for n in names if n == MANIFEST or (here / n).as_posix() in generated]

    shutil.copytree(ROOT / "site_src", project / "site_src", ignore=ignore)
    shutil.copytree(evidence, project / "evidence")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    return project


def options(project: Path, site: str = "site", offline: bool = False) -> BuildOptions:
    return BuildOptions(
        evidence=project / "evidence",
        docs=project / "site_src",
        site=project / site,
        config=project / "mkdocs.yml",
        offline=offline,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def external_requests(folder: Path) -> list[str]:
    """Built files that would make a browser load something from another host."""
    offending = []
    for name, data in files(folder).items():
        if not name.endswith((".html", ".css", ".js")):
            continue
        text = data.decode("utf-8", errors="replace")
        if EXTERNAL_RESOURCE.search(text) or re.search(r"url\(\s*['\"]?https?://", text):
            offending.append(name)
    return offending
