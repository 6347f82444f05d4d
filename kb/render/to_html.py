"""kb's generated pages turned into HTML without Python-Markdown, exactly as Python-Markdown would.

MkDocs spends most of a large site's build converting kb's pages with Python-Markdown, a general
parser that reads every character of every page through dozens of regular expressions. The
pages kb writes use a small, regular part of Markdown (see `markup`): headings, paragraphs,
tight bulleted lists, tables, titled admonitions, `md_in_html` blocks, raw HTML blocks, strong
and emphasised text, code spans, page links, inline tags and numeric character references, with
every value escaped. `convert` handles that part and nothing else: on anything outside it (a
loose list, an indented code block, an unescaped character that means something...) it raises
`Unsupported` and the page goes through Python-Markdown as before.

What it produces must be what Python-Markdown with the site's extensions produces, byte for
byte, with the same table of contents and anchors: `tests/test_to_html.py` converts every page of
several knowledge bases (the shipped one, a synthetic one, a hostile one, pages of random text)
both ways and compares them, and the site build test compares whole sites built with and
without it. `Dialect.read` (kb.render.markdown_dialect) accepts only the settings this module
reproduces; any other setting turns it off.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown.extensions.toc import nest_toc_tokens, strip_tags, unique
from markdown.serializers import _escape_attrib_html

from kb.render.markdown_dialect import Dialect, Unsupported


@dataclass
class Converted:
    """A page's HTML and what MkDocs keeps from its conversion."""

    html: str
    toc_tokens: list[dict[str, Any]]
    ids: set[str]
    """Every id on the page, as MkDocs collects them to check links to anchors."""
    title: str | None
    """The first heading's text when the page starts with a level-one heading."""


# --- inline text ---------------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<code>`(?P<code_text>[^`&<>\s](?:[^`&<>]*[^`&<>\s])?)`)"
    r"|(?P<entity>&#[0-9]+;)"
    r"|(?P<tag></?[a-zA-Z][a-zA-Z0-9]*(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:=\"[^\"<>]*\")?)*\s*/?>)"
    r"|(?P<strong>\*\*(?P<strong_text>[^*\s](?:[^*]*[^*\s])?)\*\*)"
    r"|(?P<em>\*(?P<em_text>[^*\s](?:[^*]*[^*\s])?)\*(?!\*))"
    r"|(?P<link>\[(?P<label>[^\[\]]*)\]\((?P<target>[^\s()<>\"']+)\))"
)
_attribute: Callable[[str], str] = _escape_attrib_html
"""An attribute value escaped as Python-Markdown's serializer writes it."""
_INLINE_START = re.compile(r"[`&<*\[]")
"""The characters every match of `_INLINE` starts with."""
_MEANINGFUL = re.compile(r"[*_`\\\[\]<>&{}|!]|  \n|--8<--|\x02|\x03")
"""A character that would mean something to Python-Markdown where `_INLINE` found nothing."""
_TAG_ID = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\s[^>]*?\b(id|name)=\"([^\"]*)\"")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class _Page:
    """One conversion: the dialect, the page's link rewriter and what it collects."""

    def __init__(self, dialect: Dialect, link: Callable[[str], str]) -> None:
        self.dialect = dialect
        self.link = link
        self.headings: list[tuple[int, str, str]] = []
        self.targets: list[str] = []
        self.tree_ids: set[str] = set()

    def text(self, value: str) -> str:
        if _MEANINGFUL.search(value):
            raise Unsupported(f"text {value[:60]!r}")
        pattern = self.dialect.pattern
        if pattern is None or not pattern.search(value):
            return value
        titles = self.dialect.abbreviations
        return pattern.sub(
            lambda m: f'<abbr title="{_attribute(titles[m[0]])}">{m[0]}</abbr>', value
        )

    def inline(self, value: str) -> str:
        if not _INLINE_START.search(value):  # most table cells: nothing but text
            return self.text(value)
        out: list[str] = []
        position = 0
        for found in _INLINE.finditer(value):
            if found.start() > position:
                out.append(self.text(value[position : found.start()]))
            position = found.end()
            kind = found.lastgroup
            if kind == "tag" and "`" in found[0]:
                raise Unsupported("a backtick in a tag")  # a code span would take it first
            if kind in ("entity", "tag"):
                out.append(found[0])
            elif kind == "code":
                out.append(f"<code>{found['code_text']}</code>")
            elif found["strong"]:
                out.append(f"<strong>{self.inline(found['strong_text'])}</strong>")
            elif found["em"]:
                out.append(f"<em>{self.inline(found['em_text'])}</em>")
            else:
                # the target is turned into a URL once the whole page is known to be
                # convertible, so that MkDocs warns about a broken link only once
                self.targets.append(found["target"])
                label = self.inline(found["label"])
                out.append(f'<a href="\x01{len(self.targets) - 1}\x01">{label}</a>')
        if position < len(value):
            out.append(self.text(value[position:]))
        return "".join(out)

    # --- blocks ---------------------------------------------------------------------------

    def blocks(self, lines: list[str], inside: str = "") -> list[str]:
        """The HTML of each block, in order: of the page, or `inside` an md_in_html element
        ("html") or an admonition ("admonition")."""
        out: list[str] = []
        index = 0
        while index < len(lines):
            line = lines[index]
            if not line.strip(" "):
                index += 1
                continue
            if line[0] in " \t":
                raise Unsupported("indented block")
            if line.startswith("#"):
                out.append(self.heading(line))
                index += 1
            elif line.startswith("- "):
                end = _block_end(lines, index)
                out.append(self.bullets(lines[index:end]))
                following = _next_line(lines, end)
                if following is not None and (following[:1] in " \t" or following[:2] == "- "):
                    raise Unsupported("a list goes on after a blank line")
                index = end
            elif line.startswith("|"):
                end = _block_end(lines, index)
                out.append(self.table(lines[index:end]))
                index = end
            elif line.startswith("!!! "):
                end = _indented_end(lines, index)
                out.append(self.admonition(line, lines[index + 1 : end]))
                index = end
            elif line.startswith("<") and (raw := _raw_start(line)) is not None:
                if index and lines[index - 1].strip(" "):
                    raise Unsupported("raw HTML right after text")
                if inside == "admonition":
                    raise Unsupported("raw HTML in an admonition")
                tag, markdown = raw
                if markdown:
                    end = _markdown_end(lines, index, tag)
                    out.append(self.markdown_block(line, lines[index + 1 : end]))
                else:
                    end = _raw_end(lines, index, tag)
                    block = "\n".join(lines[index : end + 1])
                    out.append(self.nested(block, tag) if inside else block + "\n")
                if end + 1 < len(lines) and lines[end + 1].strip(" "):
                    raise Unsupported("text right after raw HTML")
                index = end + 1
            else:
                end = _block_end(lines, index)
                out.append(self.paragraph(lines[index:end]))
                index = end
        return out

    def admonition(self, line: str, inner: list[str]) -> str:
        found = re.fullmatch(r'!!! ([a-z]+) "(.+)"', line)
        if not found or not inner or inner[0] or found[2] != found[2].strip():
            raise Unsupported(f"admonition {line[:60]!r}")
        body = self.blocks([text[4:] for text in inner], "admonition")
        title = self.inline(found[2])
        opening = [
            f'<div class="admonition {found[1]}">',
            f'<p class="admonition-title">{title}</p>',
        ]
        return "\n".join([*opening, *body, "</div>"])

    def nested(self, block: str, tag: str) -> str:
        """A raw HTML element inside an md_in_html one: its start tag as Python-Markdown writes
        an element, its content as it is."""
        found = _START_TAG.match(block)
        if not found or tag in ("pre", "script", "style") or not block.endswith(f"</{tag}>"):
            raise Unsupported(f"raw {tag} in md_in_html")
        shown = self.attributes(found[2])
        return f"<{tag}{shown}>{block[found.end() : -len(tag) - 3]}</{tag}>"

    def attributes(self, written: str) -> str:
        """Attributes as Python-Markdown writes an element's: sorted, every value escaped, one
        without a value given its name as value."""
        attributes: dict[str, str] = {}
        for name, equals, value in ATTRIBUTE.findall(written):
            if name in attributes or name != name.lower():
                raise Unsupported(f"attribute {name}")
            attributes[name] = html.unescape(value) if equals else name
        if "id" in attributes:
            self.tree_ids.add(attributes["id"])
        return "".join(f' {k}="{_attribute(v)}"' for k, v in sorted(attributes.items()))

    def heading(self, line: str) -> str:
        found = re.match(r"(#{1,6}) +(.*?)( \{ data-search-exclude \})?$", line)
        if not found or found[2].endswith("#") or "{" in found[2]:
            raise Unsupported(f"heading {line[:60]!r}")
        level = len(found[1])
        if found[2] != found[2].strip() or not found[2]:
            raise Unsupported(f"heading {line[:60]!r}")
        inner = self.inline(found[2])
        marker = f"\x00{len(self.headings)}\x00"
        self.headings.append((level, inner, " data-search-exclude" if found[3] else ""))
        return marker

    def paragraph(self, lines: list[str]) -> str:
        for line in lines:
            if line[:1] in " \t:=+>" or line.startswith(
                ("- ", "* ", "#", "<", "|", "!!!", "???", "```", "~~~")
            ):
                raise Unsupported(f"paragraph line {line[:60]!r}")
            if re.match(r"\d+\. ", line) or re.fullmatch(r"[-=_* ]+", line):
                raise Unsupported(f"paragraph line {line[:60]!r}")
        text = "\n".join(lines)
        if text != text.strip():
            raise Unsupported("a paragraph that starts or ends with white space")
        return "<p>" + self.inline(text) + "</p>"

    def bullets(self, lines: list[str]) -> str:
        items: list[tuple[str, list[str]]] = []
        for line in lines:
            if line.startswith("- "):
                items.append((line[2:], []))
            elif line.startswith("    - ") and items:
                if line[6:].startswith((" ", "\t")):
                    raise Unsupported("list item")
                items[-1][1].append(line[6:])
            else:
                raise Unsupported(f"list line {line[:60]!r}")
        out = ["<ul>"]
        for text, children in items:
            body = self.item_text(text)
            if children:
                nested = "\n".join(f"<li>{self.item_text(child)}</li>" for child in children)
                out.append(f"<li>{body}<ul>\n{nested}\n</ul>\n</li>")
            else:
                out.append(f"<li>{body}</li>")
        out.append("</ul>")
        return "\n".join(out)

    def item_text(self, text: str) -> str:
        if text.startswith(("- ", "* ", "+ ", "#", ">")) or re.match(r"\d+\. ", text):
            raise Unsupported("list item")
        if text.startswith("<") and not text.startswith(("<a ", "<span ", "<span>")):
            raise Unsupported("list item")
        if text != text.strip() or not text:
            raise Unsupported("list item")
        return self.inline(text)

    def table(self, lines: list[str]) -> str:
        if len(lines) < 2 or not re.fullmatch(r"\|(?:---\|)+", lines[1]):
            raise Unsupported("table")
        columns = lines[1].count("|") - 1
        rows = [_cells(line, columns) for line in (lines[0], *lines[2:])]
        head = "\n".join(f"<th>{self.inline(cell)}</th>" for cell in rows[0])
        out = ["<table>", "<thead>", "<tr>", head, "</tr>", "</thead>", "<tbody>"]
        for row in rows[1:]:
            out += ["<tr>", "\n".join(f"<td>{self.inline(cell)}</td>" for cell in row), "</tr>"]
        out += ["</tbody>", "</table>"]
        return "\n".join(out)

    def markdown_block(self, opening: str, inner: list[str]) -> str:
        found = _START_TAG.fullmatch(opening.removesuffix(" markdown>") + ">")
        if not found:
            raise Unsupported(f"md_in_html {opening[:60]!r}")
        shown = self.attributes(found[2])
        body = "\n".join(self.blocks(inner, "html"))
        return f"<{found[1]}{shown}>\n{body}\n</{found[1]}>"


_START_TAG = re.compile(r"<([a-z][a-z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:=\"[^\"<>]*\")?)*)>")
ATTRIBUTE = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(=\"([^\"]*)\")?")
"""An attribute of a tag kb writes: name, '=\"value\"' or nothing, value."""

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset"}
    | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header"}
    | {"hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul", "script", "style"}
)


def _raw_start(line: str) -> tuple[str, bool] | None:
    found = re.match(r"<([a-z][a-z0-9]*)[\s>]", line)
    if not found or found[1] not in _BLOCK_TAGS:
        if line.startswith("<") and not line.startswith(("<a ", "<span", "<strong", "<em")):
            raise Unsupported(f"HTML {line[:40]!r}")
        return None
    return found[1], line.endswith(" markdown>")


def _closing(lines: list[str], start: int, tag: str) -> int:
    """The line where the element opened at `start` is closed: its tag's depth back to 0."""
    depth = 0
    opening = re.compile(rf"<{tag}[\s>]")
    for index in range(start, len(lines)):
        depth += len(opening.findall(lines[index])) - lines[index].count(f"</{tag}>")
        if depth < 0:
            raise Unsupported(f"HTML {tag} closed too often")
        if depth == 0:
            return index
    raise Unsupported(f"unclosed {tag}")


def _raw_end(lines: list[str], start: int, tag: str) -> int:
    """The line where the raw block opened at `start` closes: its tag closed at a line's end."""
    end = _closing(lines, start, tag)
    if not lines[end].endswith(f"</{tag}>") or (tag in ("script", "style", "pre") and end > start):
        raise Unsupported(f"raw HTML {tag}")
    return end


def _markdown_end(lines: list[str], start: int, tag: str) -> int:
    """The line closing the md_in_html element opened at `start`, blank lines around its body."""
    end = _closing(lines, start, tag)
    if lines[end] != f"</{tag}>" or lines[start + 1] or lines[end - 1]:
        raise Unsupported(f"md_in_html {tag}")
    return end


def _indented_end(lines: list[str], start: int) -> int:
    """The end of the lines indented by four spaces (or blank) after `start`, without the
    blank lines that close them."""
    end = start + 1
    while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip(" ")):
        end += 1
    while end > start + 1 and not lines[end - 1].strip(" "):
        end -= 1
    return end


def _block_end(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) and lines[end].strip(" "):
        end += 1
    return end


def _next_line(lines: list[str], start: int) -> str | None:
    for line in lines[start:]:
        if line.strip(" "):
            return line
    return None


def _cells(line: str, columns: int) -> list[str]:
    """A row's cells; Python-Markdown splits a row at every '|', inside a tag's attribute too."""
    cells = [cell.strip() for cell in line[2:-2].split(" | ")]
    framed = line.startswith("| ") and line.endswith(" |")
    if not framed or line.count("|") != columns + 1 or len(cells) != columns:
        raise Unsupported("table row")
    return cells


def convert(markdown: str, dialect: Dialect, link: Callable[[str], str]) -> Converted:
    """The page's HTML as Python-Markdown makes it with the site's extensions; `link` turns a
    Markdown link's target into the page's URL for it (MkDocs' own rewriting)."""
    if _CONTROL.search(markdown):
        # Python-Markdown's own placeholders are made of STX and ETX, and this module's of
        # NUL and SOH: a page holding any of them (or a tab or carriage return) is left to it
        raise Unsupported("a control character")
    page = _Page(dialect, link)
    blocks = page.blocks(markdown.split("\n"))
    body = "\n".join(blocks)
    used = set(page.tree_ids)
    counters: dict[str, int] = {}
    tokens: list[dict[str, Any]] = []
    title = None
    slugs: list[str] = []
    for number, (level, inner, _) in enumerate(page.headings):
        if "\x01" in inner:
            raise Unsupported("a link in a heading")
        name = strip_tags(inner)
        slug = unique(dialect.slugify(html.unescape(name), dialect.separator), used, counters)
        slugs.append(slug)
        tokens.append(
            {"level": level, "id": slug, "name": name, "html": inner, "data-toc-label": ""}
        )
        if number == 0 and level == 1 and body.startswith("\x000\x00"):
            title = name  # MkDocs strips the heading's tags and white space alike

    def place(found: re.Match[str]) -> str:
        # in the order of the page, as MkDocs rewrites (and records) links after the toc
        if found[1] is None:
            return _attribute(link(page.targets[int(found[2])]))
        level, inner, flag = page.headings[int(found[1])]
        anchor = _attribute(slugs[int(found[1])])
        link("#" + slugs[int(found[1])])
        return (
            f'<h{level}{flag} id="{anchor}">{inner}<a class="headerlink" '
            f'href="#{anchor}" title="Permanent link">&para;</a></h{level}>'
        )

    body = re.sub("\x00([0-9]+)\x00|\x01([0-9]+)\x01", place, body)
    ids = set(slugs) | page.tree_ids
    ids |= {
        html.unescape(value)
        for tag, attribute, value in _TAG_ID.findall(markdown)
        if attribute == "id" or tag == "a"
    }
    return Converted(body.strip(), nest_toc_tokens(tokens), ids, title)
