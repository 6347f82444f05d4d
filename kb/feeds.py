"""An Atom feed (RFC 4287) per claim: one entry for each substantive change of the claim (its
statement, its certainty or an outcome's, the studies that support or refute it), newest
first, from kb.history.

Ids are stable `urn:uuid` values derived from the claim and the commit, so a feed reader sees
each change once however often the site is rebuilt. Links are absolute when the site's address
is known (KB_SITE_URL, as mkdocs.yml reads it), else relative to the feed. The same history
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from xml.etree import ElementTree as ET

from kb.changes import Change

ATOM = "http://www.w3.org/2005/Atom"
_NAMESPACE = uuid.UUID("8a4f3c52-7d2e-5b1a-9c0f-3e6d2b1a4c57")


def _stamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00Z"


def _urn(*parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join(parts)).urn


def claim_feed(
    claim_id: str,
    statement: str,
    changes: list[Change],
    page_url: str,
    site_name: str,
) -> bytes:
    """The feed of one claim; `page_url` is the claim page's address (absolute or relative to
    the feed)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _urn("claim", claim_id)
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"Changes to the claim: {statement}"
    updated = max((c.date for c in changes), default=dt.date(1970, 1, 1))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = site_name
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": page_url})
    for change in sorted(changes, key=lambda c: (c.date, c.commit), reverse=True):
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = _urn("claim", claim_id, change.commit)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{change.date.isoformat()}: " + "; ".join(
            change.what
        )
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(change.date)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": page_url})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = "\n".join(change.what)
    ET.indent(feed)
    text: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return text + b"\n"
