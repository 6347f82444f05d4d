"""The tag pages: `tags.md` lists every tag, `tags/<slug>.md` (in pages, kb.render.pagination)
the pages that carry it.

kb writes these lists itself rather than leaving them to Material's tag listing, which puts every
tagged page of the site on one page (megabytes at 10,000 studies). Each generated page that has
tags gets `tag_pages` in its front matter, tag -> slug, from which the theme's tag partial links
each tag to its page (site_src/overrides/partials/tags.html).
"""

from __future__ import annotations

import json
import re

from kb import markup
from kb.render.pagination import paginate

PAGE = "tags.md"
Meta = tuple[str, list[str]]
"""A page's title and tags, as its front matter gives them: what the tag pages list."""
_UNSAFE = re.compile(r"[^a-z0-9]+")


def tag_slugs(names: set[str]) -> dict[str, str]:
    """Tag -> a file name of a-z, 0-9 and '-', different for different tags (a number is added
    where two would read the same), the same for the same set of tags."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        base = _UNSAFE.sub("-", name.casefold()).strip("-") or "tag"
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        slugs[name] = slug
    return slugs


def _front_matter(text: str) -> tuple[dict[str, object], int]:
    """The front matter kb wrote (markup.front_matter: one JSON value a line) and where it ends;
    ({}, 0) for a page without."""
    if not text.startswith("---\n"):
        return {}, 0
    end = text.find("\n---\n", 3)
    if end < 0:
        return {}, 0
    values = {}
    for line in text[4:end].split("\n"):
        key, _, value = line.partition(": ")
        values[key] = json.loads(value)
    return values, end + 1


def page_meta(path: str, text: str) -> Meta | None:
    """The title and tags of a generated page with tags, from its front matter; None for a
    page without tags (or a file that is not a page)."""
    matter, _ = _front_matter(text) if path.endswith(".md") else ({}, 0)
    tags = matter.get("tags")
    if not isinstance(tags, list) or not tags:
        return None
    return str(matter.get("title", path)), [str(tag) for tag in tags]


def with_tag_pages(text: str, slugs: dict[str, str]) -> str:
    """The page with `tag_pages` (tag -> slug) added to its front matter, for the theme's tag
    partial; a page without tags is returned as it is."""
    matter, end = _front_matter(text)
    tags = matter.get("tags")
    if not isinstance(tags, list) or not tags:
        return text
    line = markup.front_matter({"tag_pages": {t: slugs[str(t)] for t in tags}})
    return text[:end] + line.split("\n")[1] + "\n" + text[end:]


def tag_listing(metas: dict[str, Meta], slugs: dict[str, str]) -> dict[str, str]:
    """`tags.md` and the pages of each tag, from every tagged page's title and tags."""
    tagged: dict[str, list[tuple[str, str]]] = {}  # tag -> (title, page)
    for path, (title, tags) in sorted(metas.items()):
        for tag in tags:
            tagged.setdefault(tag, []).append((title, path))
    result: dict[str, str] = {}
    index = []
    for name in sorted(tagged, key=lambda n: (n.casefold(), n)):
        target = f"tags/{slugs[name]}.md"
        index.append(f"- {markup.page_link(name, target, PAGE)} ({len(tagged[name]):,})")
        entries = [
            f"- {markup.page_link(title, page, target)}"
            for title, page in sorted(tagged[name], key=lambda e: (e[0].casefold(), e[1]))
        ]
        for path, named, body in paginate(target, f"Tag: {name}", entries):
            tail = f"All tags: {markup.page_link('tags', PAGE, path)}."
            # the pages listed are in the search index themselves
            result[path] = _page(named, [*body, tail], {"exclude": True})
    intro = "Claims, studies and trials by design, question type and topic."
    # for contributors: clinicians' searches find the records first
    result[PAGE] = _page("Tags", ["# Tags", intro, "\n".join(index)], {"boost": 0.2})
    return result


def _page(title: str, body: list[str], search: dict[str, object]) -> str:
    matter = markup.front_matter({"title": title, "search": search})
    return matter + "\n" + "\n\n".join(part for part in body if part) + "\n"
