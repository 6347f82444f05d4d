"""Safe Markdown and HTML from record text: every generated page goes through these helpers.

Record text is contributor input. It reaches the site only as inert text: HTML is escaped, and
every character that Markdown or a Python-Markdown/pymdown extension gives a meaning to
(emphasis, links, abbreviations, attribute lists, admonitions, snippets, tables) is written as a
numeric character reference, which renders as the same character and means nothing.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

_MARKDOWN_SIGNIFICANT = "\\`*_{}[]()#+!|~^=:$<>\"'&"
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in _MARKDOWN_SIGNIFICANT}
_SAFE_TITLE = re.compile(r"[^\w\s.,;()/%+\-\u2013\u2014\u00b1\u2264\u2265]", re.UNICODE)


_SPACES = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_INVISIBLE = frozenset(("Cc", "Cf", "Cs"))


def without_controls(value: str) -> str:
    """Text without control characters (NUL, ESC, BEL ...), format characters (bidirectional
    overrides such as U+202E, zero-width ones) and lone surrogates, which could hide, reorder or
    garble text wherever it is shown; line and paragraph breaks become spaces."""
    if value.isprintable():
        return value
    return "".join(
        " " if c in _SPACES else c
        for c in value
        if c in _SPACES or unicodedata.category(c) not in _INVISIBLE
    )


NOT_SEARCHED = " { data-search-exclude }"
"""Appended to a heading, keeps its section out of the search index that every reader downloads:
tables, quotes and figures repeat what the searchable parts of the page already say."""

NOT_SEARCHED_OPEN = "<div data-search-exclude markdown>"
"""Opens a block kept out of the search index (`not_searched`)."""


def not_searched(block: str) -> str:
    """A Markdown block (a list, a table, a paragraph) shown as it is but left out of the search
    index: what it says is searched on a record's own page, or repeats the page's searched
    text, and every reader downloads the index."""
    return f"{NOT_SEARCHED_OPEN}\n\n{block}\n\n</div>" if block else ""


def text(value: object) -> str:
    """Inline text: one line, every Markdown/HTML-significant character neutralised."""
    flat = " ".join(str(value).split())
    escaped = flat.translate(_ENTITIES)
    # a line starting '1. ' or '- ' would become a list, '??? note' a collapsible block
    # (pymdownx.details); '--8<--' is a snippet include. The first character is looked at
    # before any expression runs: a site's pages hold hundreds of thousands of values.
    first = escaped[:1]
    if first.isdigit():  # every character '\d' matches, and a few more
        escaped = _ORDERED_ITEM.sub(r"\1&#46;", escaped)
    elif first in ("-", "?"):
        escaped = f"&#{ord(first)};{escaped[1:]}"
    return escaped.replace("--", "-&#45;")


_ORDERED_ITEM = re.compile(r"^(\d+)\.")


_GFM_SIGNIFICANT = re.compile(r"([\\`*_\[\]<>|#~&])")
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def gfm_text(value: object) -> str:
    """Inline text for GitHub-flavoured Markdown (a job summary, a terminal), where
    backslash escapes read better than the numeric references of `text`: no emphasis, link,
    HTML, table cell or automatic link can come from it."""
    flat = _GFM_SIGNIFICANT.sub(r"\\\1", " ".join(str(value).split()))
    return _AUTOLINK.sub(lambda m: "&#" + str(ord(m.group(1)[0])) + ";" + m.group(1)[1:], flat)


def gfm_code(value: object) -> str:
    """Text as an inert GitHub-flavoured Markdown code span, fenced with more backticks than
    any run inside it, so the text can neither close it nor become a link."""
    flat = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") or not flat else flat
    return f"{fence}{padded}{fence}"


def paragraphs(value: str | None) -> str:
    """Multi-line text as Markdown paragraphs, each escaped like `text`."""
    if not value:
        return ""
    parts = [part for part in re.split(r"\n\s*\n", value) if part.strip()]
    return "\n\n".join(text(part) for part in parts)


def attribute(value: object) -> str:
    """A value for a double-quoted HTML attribute."""
    return html.escape(" ".join(str(value).split()), quote=True)


def plain_title(value: str, limit: int = 160) -> str:
    """Text safe to use raw where the theme prints it without escaping (titles, tags)."""
    cleaned = " ".join(_SAFE_TITLE.sub(" ", value).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "\u2026"


def safe_url(url: str) -> str | None:
    """The URL if it is http(s) with a host, percent-encoded for Markdown; else None."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def link(label: str, url: str) -> str:
    """An external link, or the escaped label alone when the URL is not http(s)."""
    target = safe_url(url)
    if target is None:
        return text(label)
    return f'<a href="{attribute(target)}" rel="noopener">{text(label)}</a>'


def page_link(label: str, target: str, source: str) -> str:
    """A Markdown link from the page `source` to the page `target` (docs-relative .md paths);
    MkDocs turns it into the right URL for either URL style."""
    relative = relative_path(target, posixpath.dirname(source))
    return f"[{text(label)}]({relative})"


def relative_path(target: str, folder: str) -> str:
    """`posixpath.relpath(target, folder or '.')` for two docs-relative paths, worked out from
    their parts alone: relpath asks the system for the working directory on every call, and the
    pages make tens of thousands of links."""
    parts = target.split("/")
    base = folder.split("/") if folder else []
    if {"", ".", ".."} & {*parts, *base}:
        return posixpath.relpath(target, folder or ".")
    common = 0
    while common < min(len(parts), len(base)) and parts[common] == base[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + parts[common:]) or "."


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; cells must already be escaped (escaping also covers '|')."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def front_matter(values: dict[str, Any]) -> str:
    """YAML front matter; JSON is YAML, so json.dumps quotes every value safely."""
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    lines.append("---")
    return "\n".join(lines) + "\n"


def json_ld(data: dict[str, Any]) -> str:
    """A JSON-LD script block; '<', '>' and '&' are escaped so no text can close the tag."""
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">{body}</script>'


def page_url(target: str, source: str, directory_urls: bool) -> str:
    """The URL MkDocs gives the page `target` (a docs-relative .md path), relative to the page
    `source`, for raw HTML such as SVG links, which MkDocs does not rewrite."""

    def url_of(page: str) -> str:
        stem = page.removesuffix(".md")
        if not directory_urls:
            return stem + ".html"
        if posixpath.basename(stem) == "index":
            folder = posixpath.dirname(stem)
            return folder + "/" if folder else ""
        return stem + "/"

    source_url = url_of(source)
    base = source_url.rstrip("/") if directory_urls else posixpath.dirname(source_url)
    relative = relative_path(url_of(target).rstrip("/") or ".", base)
    if directory_urls:
        return "./" if relative == "." else relative + "/"
    return relative
