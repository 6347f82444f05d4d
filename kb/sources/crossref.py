"""Crossref REST API: `GET /works/{doi}` for the metadata of a DOI and the notices updating it.

The answer is `{"status": "ok", "message-type": "work", "message": {...}}`. From the work kb
keeps `title`, `author`, `issued` (with `published-print` and `published-online`),
`container-title`, volume, issue and page, and three kinds of links: `updated-by` (notices that
update this work: a retraction, a correction; from the publisher or from Retraction Watch),
`update-to` (works this record is itself a notice for) and `relation`.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from typing import Any

from kb.markup import without_controls
from kb.sources.http import MALFORMED, FetchError, HttpClient, malformed
from kb.sources.lock import Csl, DateParts, LockEntry, Name, Update

BASE_URL = "https://api.crossref.org"
CSL_TYPES = {
    "journal-article": "article-journal",
    "proceedings-article": "paper-conference",
    "book-chapter": "chapter",
    "book": "book",
    "edited-book": "book",
    "monograph": "book",
    "posted-content": "article",
    "dataset": "dataset",
    "report": "report",
    "dissertation": "thesis",
}
_TAGS = re.compile(r"<[^>]+>")


class Crossref:
    registry = "crossref"

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def fetch(self, doi: str) -> LockEntry:
        """The lock entry of a DOI; NotFound or FetchError otherwise."""
        body = self.client.get_json(f"/works/{urllib.parse.quote(doi, safe='/')}")
        if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
            raise FetchError("malformed response: no 'message' object")
        if body.get("status", "ok") != "ok" or body.get("message-type", "work") != "work":
            raise FetchError(
                f"malformed response: status '{body.get('status')}', "
                f"message type '{body.get('message-type')}'"
            )
        try:
            return work_entry(body["message"])
        except MALFORMED as error:
            raise malformed(error) from None


def work_entry(work: dict[str, Any]) -> LockEntry:
    return LockEntry(
        registry="crossref",
        found=True,
        csl=work_csl(work),
        updates=_updates(work.get("updated-by")),
        notice_of=_updates(work.get("update-to")),
        relation=_relations(work.get("relation")),
    )


def work_csl(work: dict[str, Any]) -> Csl:
    return Csl(
        type=CSL_TYPES.get(str(work.get("type", "")), "document"),
        title=_first(work.get("title")),
        author=[name for name in map(_name, _list(work.get("author"))) if name is not None],
        issued=date_parts(work.get("issued")),
        published_print=date_parts(work.get("published-print")),
        published_online=date_parts(work.get("published-online")),
        container_title=_first(work.get("container-title")),
        container_title_short=_first(work.get("short-container-title")),
        publisher=_text(work.get("publisher")),
        volume=_text(work.get("volume")),
        issue=_text(work.get("issue")),
        page=_text(work.get("page")),
        DOI=_text(work.get("DOI")),
    )


def clean(value: str) -> str:
    """Title text as a reader sees it: JATS/HTML tags and entities removed, control and
    bidirectional characters removed, spaces collapsed."""
    return " ".join(without_controls(html.unescape(_TAGS.sub("", value))).split())


def date_parts(value: Any) -> DateParts | None:
    """A Crossref date, {"date-parts": [[2019, 12, 8]]}; [[null]] and junk give None, a month or
    day out of range is left out, and a year out of range (-5) is a malformed answer
    (ValueError)."""
    if not isinstance(value, dict):
        return None
    rows = value.get("date-parts")
    first = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], list) else []
    parts: list[int] = []
    for part, (low, high) in zip(first[:3], _DATE_RANGES, strict=False):
        if not isinstance(part, int) or isinstance(part, bool):
            break
        if not low <= part <= high:
            if not parts:
                raise ValueError(f"a year of {part}")
            break
        parts.append(part)
    return DateParts(date_parts=[parts]) if parts else None


_DATE_RANGES = ((1, 9999), (1, 12), (1, 31))


def iso_date(value: Any) -> str | None:
    found = date_parts(value)
    if found is None:
        return None
    return "-".join(
        f"{part:02d}" if i else f"{part:04d}" for i, part in enumerate(found.date_parts[0])
    )


def _updates(value: Any) -> list[Update]:
    found = set()
    for item in _list(value):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        found.add(
            Update(
                type=item["type"].strip().lower().replace("-", "_"),
                source=_text(item.get("source")) or "publisher",
                doi=(_text(item.get("DOI")) or "").lower() or None,
                date=iso_date(item.get("updated")),
                label=_text(item.get("label")),
            )
        )
    return sorted(found, key=lambda u: (u.date or "", u.type, u.doi or "", u.source))


def _relations(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, list[str]] = {}
    for kind, items in value.items():
        ids = sorted(
            {str(item["id"]) for item in _list(items) if isinstance(item, dict) and item.get("id")}
        )
        if ids:
            out[str(kind)] = ids
    return out


def _name(value: Any) -> Name | None:
    if not isinstance(value, dict):
        return None
    family, given = _text(value.get("family")), _text(value.get("given"))
    if family:
        return Name(family=family, given=given)
    literal = _text(value.get("name")) or given
    return Name(literal=literal) if literal else None


def _first(value: Any) -> str | None:
    for item in _list(value):
        if isinstance(item, str) and item.strip():
            return clean(item)
    return None


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []


def _text(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return clean(str(value))
    return None
