"""The sections of a page kb converted, fed to Material's search parser without Python's HTML
tokenizer, and without the parts the search index leaves out.

Material's search plugin reads every page's HTML with `html.parser.HTMLParser`, a character by
character tokenizer, and most of the HTML of kb's pages is left out of the index anyway (figures,
and the sections whose heading has `data-search-exclude`). `feed` gives the parser's own handlers
the same calls HTMLParser would, tokenizing the regular HTML kb writes with one expression, and
leaves out the calls that cannot change what the parser keeps: whole elements it skips (marked
`data-search-exclude`, scripts) and whole elements in a section it drops, when they hold no
heading and nothing that would change what it skips. On HTML it cannot tokenize, or whose tags
do not nest, it returns False before calling anything, and the caller feeds the parser as usual.
`tests/test_to_html.py` compares the sections both ways on every generated page and on random
nestings, and the site test compares whole search indexes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from kb.render.to_html import ATTRIBUTE

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:=\"[^\"<]*\")?)*)\s*(/?)>"
)
_SKIPPED = frozenset({"script", "style", "object"})
"""Elements Material's parser always skips."""
_RAW = frozenset({"script", "style"})
"""Elements whose content HTMLParser does not read as tags."""
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
"""Elements Material's parser does not open (its `void`)."""
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _Tags:
    """The tags of a page, as HTMLParser would find them, with what `feed` needs to know of each:
    where it is, its matching end tag, and how many headings and skipped elements come before."""

    def __init__(self, page: str) -> None:
        self.page = page
        self.spans: list[tuple[int, int]] = []
        self.names: list[str] = []
        self.kinds: list[str] = []  # "start", "end" or "empty"
        self.attributes: list[str] = []
        self.ends: list[int] = []
        self.headings = [0]
        self.usable = self._read()

    def _read(self) -> bool:
        page, previous, raw = self.page, 0, ""
        open_: list[int] = []
        spans, names, kinds = self.spans, self.names, self.kinds
        attributes_of, ends, headings = self.attributes, self.ends, self.headings
        count = 0  # headings so far
        for index, found in enumerate(_TAG.finditer(page)):
            start = found.start()
            if page.find("<", previous, start) >= 0:
                return False  # a '<' that is not one of these tags: HTMLParser's business
            previous = found.end()
            end, name, attributes, closed = found.groups()
            name = name.lower()
            kind = "end" if end else "empty" if closed else "start"
            if end and (attributes or closed):
                return False
            if raw and (kind != "end" or name != raw):
                return False  # HTMLParser reads a script's content as text, not tags
            raw = name if kind == "start" and name in _RAW else ""
            spans.append((start, previous))
            names.append(name)
            kinds.append(kind)
            attributes_of.append(attributes)
            ends.append(-1)
            if not end and name in _HEADINGS:
                count += 1
            headings.append(count)
            if kind == "start" and name not in _VOID:
                open_.append(index)
            elif end:
                if name in _VOID or not open_ or names[open_[-1]] != name:
                    return False
                ends[open_.pop()] = index
        return not open_ and page.find("<", previous) < 0

    def data_before(self, index: int) -> str:
        start = self.spans[index - 1][1] if index else 0
        stop = self.spans[index][0] if index < len(self.spans) else len(self.page)
        return self.page[start:stop]

    def parsed(self, index: int) -> list[tuple[str, str | None]]:
        return [
            (name.lower(), html.unescape(value) if equals else None)
            for name, equals, value in ATTRIBUTE.findall(self.attributes[index])
        ]


def _skips(attributes: list[tuple[str, str | None]]) -> bool:
    """Whether the parser skips the element and what it holds."""
    return any(
        name == "data-search-exclude" or (name == "class" and value == "linenodiv")
        for name, value in attributes
    )


def _ends_a_skip(parser: Any, names: list[str]) -> bool:
    """Whether an element of these names would, at its end, stop the parser skipping another:
    Material compares elements by tag name, so the end of any element named as one it skips
    (but a script, style or object) takes that one out of the skipped."""
    skipped = {element if isinstance(element, str) else element.tag for element in parser.skip}
    skipped -= _SKIPPED
    return bool(skipped) and not skipped.isdisjoint(names)


def parse(new_parser: Callable[[], Any], page: str) -> Any:
    """A new Material search parser (`new_parser()`) that has read `page`: through `feed` where
    it can, else as Material reads it. The text `feed` leaves out only ever goes to sections
    the index drops, but Material's parser can fail on some nestings (closing a kept tag it did
    not keep) depending on that text: where it fails so after `feed`, it reads the whole page
    again, and fails or not as it would by itself. (A page on which Material's own reading
    fails may be read without failing here.)"""
    parser = new_parser()
    try:
        if feed(parser, page):
            return parser
    except ValueError:
        parser = new_parser()
    parser.feed(page)
    return parser


def feed(parser: Any, page: str) -> bool:
    """Give Material's search `parser` the calls HTMLParser would for `page`, without those that
    cannot change its sections; False, having called nothing, where that cannot be ensured."""
    tags = _Tags(page)
    if not tags.usable:
        return False
    index, count = 0, len(tags.names)
    while index <= count:
        data = tags.data_before(index)
        if data and not _in_dropped_section(parser, 0):
            parser.handle_data(html.unescape(data))
        if index == count:
            break
        name, kind = tags.names[index], tags.kinds[index]
        if kind == "end":
            parser.handle_endtag(name)
            index += 1
            continue
        attributes = None
        if kind == "start":
            end = tags.ends[index]
            # the element and all it holds can be left out only if it holds no heading (which
            # would start a section) and nothing whose end would change what the parser skips
            whole = end > index and tags.headings[end] == tags.headings[index]
            if (
                whole
                and _in_dropped_section(parser, 1)
                and not _ends_a_skip(parser, tags.names[index:end])
            ):
                index = end + 1
                continue
            attributes = tags.parsed(index)
            parser.handle_starttag(name, attributes)
            skipped = name in _SKIPPED or _skips(attributes)
            if (
                whole
                and skipped
                and _stays_in_section(parser)
                and not _ends_a_skip(parser, tags.names[index + 1 : end])
            ):
                parser.handle_endtag(name)  # what it holds would reach the parser skipped
                index = end + 1
                continue
            index += 1
            continue
        parser.handle_starttag(name, tags.parsed(index))
        parser.handle_endtag(name)
        index += 1
    return True


def _stays_in_section(parser: Any) -> bool:
    """Whether no end tag inside the element just opened can return the parser to an earlier
    section (it does when the current one began deeper than the element it ends). Material's
    parser always leaves such a section at the end of the element that held its heading, so
    this holds on every page; it is checked rather than assumed."""
    return parser.section is None or bool(parser.section.depth <= len(parser.context) + 1)


def _in_dropped_section(parser: Any, deeper: int) -> bool:
    """Whether what comes now (`deeper` 1: an element opened here and closed with all it holds)
    can only go to a section the index leaves out: the current one is excluded, and no end tag
    inside the element can return the parser to an earlier section."""
    section = parser.section
    if section is None or not section.is_excluded():
        return False
    return bool(section.depth <= len(parser.context) + deeper)
