"""What the site's Markdown settings add to every page, as far as `kb.render.to_html` reproduces
them: the abbreviations pymdownx.snippets appends, the table of contents' slugs and permalinks,
and the extensions and Python-Markdown releases the comparison tests have passed with."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Unsupported(Exception):
    """The page uses Markdown outside the subset `convert` reproduces."""


EXTENSIONS = frozenset(
    {
        "abbr",
        "admonition",
        "attr_list",
        "def_list",
        "fenced_code",
        "footnotes",
        "md_in_html",
        "tables",
        "toc",
        "pymdownx.details",
        "pymdownx.snippets",
        "pymdownx.superfences",
    }
)
"""The extensions whose behaviour on the subset is reproduced (most of them only by refusing
their syntax). A site using any other is converted by Python-Markdown alone."""

MARKDOWN_VERSIONS = frozenset({(3, 11)})
"""The Python-Markdown releases the comparison tests have passed with; under another one every
page goes through Python-Markdown until the tests pass with it and it is added here."""

_ABBREVIATION = re.compile(r"^[*]\[(?P<abbr>[^\\]*?)\][ ]?:[ ]*(?P<title>.*)$")
_SAFE_ABBREVIATION = re.compile(r"[A-Za-z][A-Za-z0-9 .,/+%()-]*\Z")


@dataclass(frozen=True)
class Dialect:
    """What the site's Markdown settings add to every page: the abbreviations appended by
    pymdownx.snippets, and the table of contents' slugs and permalinks."""

    abbreviations: Mapping[str, str]
    slugify: Callable[[str, str], str]
    separator: str = "-"
    pattern: re.Pattern[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.abbreviations:
            keys = sorted(self.abbreviations, key=len, reverse=True)
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + r")\b")
            object.__setattr__(self, "pattern", pattern)

    @classmethod
    def read(cls, extensions: Sequence[Any], configs: Mapping[str, Any], base: Path) -> Dialect:
        """The dialect of MkDocs' `markdown_extensions` settings; `Unsupported` when they hold an
        extension or an option this module does not reproduce."""
        import markdown
        from markdown.extensions import toc

        if tuple(markdown.__version_info__[:2]) not in MARKDOWN_VERSIONS:
            raise Unsupported(f"Python-Markdown {markdown.__version__}")
        names = [name if isinstance(name, str) else "" for name in extensions]
        if not set(names) <= EXTENSIONS or "toc" not in names or "abbr" not in names:
            raise Unsupported(f"extensions {sorted(set(names) - EXTENSIONS)}")
        settings = dict(configs.get("toc") or {})
        if settings.pop("permalink", None) is not True:
            raise Unsupported("toc without permalink: true")
        slugify = settings.pop("slugify", toc.slugify)
        separator = settings.pop("separator", "-")
        if settings:
            raise Unsupported(f"toc settings {sorted(settings)}")
        snippets = dict(configs.get("pymdownx.snippets") or {})
        appended = snippets.pop("auto_append", [])
        snippets.pop("check_paths", None)
        bases = snippets.pop("base_path", ["."])
        if snippets:
            raise Unsupported(f"snippets settings {sorted(snippets)}")
        abbreviations: dict[str, str] = {}
        for name in appended:
            lines = _appended(name, [bases] if isinstance(bases, str) else bases, base)
            abbreviations.update(read_abbreviations(lines))
        return cls(abbreviations, slugify, separator)


def read_abbreviations(lines: Sequence[str]) -> dict[str, str]:
    """The abbreviations a snippet appended to every page defines; `Unsupported` when it holds
    anything else, or an abbreviation that could match inside the placeholders Python-Markdown
    puts where `convert` keeps references and tags."""
    abbreviations: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        found = _ABBREVIATION.match(line)
        if not found:
            raise Unsupported("an appended snippet holds more than abbreviations")
        abbr, title = found["abbr"].strip(), found["title"].strip()
        placeholder = abbr in ("klzzwxh", "wzxhzdk")  # the words of its placeholders
        if not _SAFE_ABBREVIATION.match(abbr) or placeholder or title in ("", "''", '""'):
            raise Unsupported(f"abbreviation {abbr!r}")
        abbreviations[abbr] = title
    return abbreviations


def _appended(name: str, bases: Sequence[str], root: Path) -> list[str]:
    for folder in bases:
        path = root / folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8").splitlines()
    raise Unsupported(f"{name} not found")
