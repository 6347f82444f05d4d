"""Long lists split into numbered pages, so that no page grows with the knowledge base.

A list is cut where the next item would take the page past `PAGE_ITEMS` items or `PAGE_BYTES`
bytes of Markdown, whichever comes first: the cuts depend only on the items, so the same
evidence gives the same pages. Page 1 keeps the list's own path (`studies/index.md`); page n is
`studies/index_n.md` beside it, so every item's relative links read the same on every page, and
no record can take the path (record ids never hold an underscore).
"""

from __future__ import annotations

from collections.abc import Sequence

from kb import markup

PAGE_ITEMS = 400
PAGE_BYTES = 150_000
"""Markdown bytes of the items on one page; with the theme around them and the tags the
engine turns them into, a page of HTML stays well under 500 KB."""


def page_path(first: str, number: int) -> str:
    """The path of page `number` (1-based) of the list whose first page is `first`."""
    if number == 1:
        return first
    return f"{first.removesuffix('.md')}_{number}.md"


def chunk(
    items: Sequence[str], per_page: int | None = None, budget: int | None = None
) -> list[list[str]]:
    """The items in pages of at most `per_page` items and `budget` bytes (by default
    PAGE_ITEMS and PAGE_BYTES; an item longer than the budget is a page of its own); one empty
    page for no items."""
    per_page = per_page or PAGE_ITEMS
    budget = budget or PAGE_BYTES
    pages: list[list[str]] = [[]]
    size = 0
    for item in items:
        length = len(item.encode("utf-8")) + 1
        if pages[-1] and (len(pages[-1]) >= per_page or size + length > budget):
            pages.append([])
            size = 0
        pages[-1].append(item)
        size += length
    return pages


def pager(first: str, number: int, count: int) -> str:
    """Links to every page of the list from page `number` of `count`; empty for one page."""
    if count == 1:
        return ""
    here = page_path(first, number)
    links = [
        f"**{n}**" if n == number else markup.page_link(str(n), page_path(first, n), here)
        for n in range(1, count + 1)
    ]
    return "Pages: " + " · ".join(links)


def paginate(
    first: str,
    title: str,
    items: Sequence[str],
    head: Sequence[str] = (),
    prefix: str = "",
    tail: Sequence[str] = (),
) -> list[tuple[str, str, list[str]]]:
    """(path, title, body parts) for each page of `items`: the heading (`# title`, saying which
    page it is when there are several), the `head`, the pager, the items one a line after
    `prefix` (a table's header, say), the pager again and the `tail`."""
    pages = chunk(items)
    result = []
    for number, page_items in enumerate(pages, start=1):
        nav = pager(first, number, len(pages))
        named = title if len(pages) == 1 else f"{title} (page {number} of {len(pages)})"
        # each item is searched on its record's own page (later pages are not searched at all)
        listed = markup.not_searched(prefix + "\n".join(page_items)) if page_items else ""
        body = [f"# {named}", *head, nav, listed, nav, *tail]
        result.append((page_path(first, number), named, body))
    return result
