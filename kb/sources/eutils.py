"""NCBI E-utilities: `esummary.fcgi?db=pubmed` for PMIDs and `db=pmc` for PMCIDs, as JSON.

One request asks for many ids; the answer is `{"header": ..., "result": {"uids": [...],
"<uid>": {...}}}`, and an id NCBI does not know comes back as `{"uid": ..., "error": "cannot get
document summary"}`. A summary gives `title`, `authors` ("Tyler KL"), `pubdate`/`epubdate`,
`fulljournalname` and `source` (the abbreviation), `articleids`, and for PubMed `pubtype`, where
"Retracted Publication" marks a retracted work and "Retraction of Publication" a notice.
PubMed Central's uids are the digits of the PMCID.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from kb.sources.crossref import clean
from kb.sources.http import MALFORMED, FetchError, HttpClient, NotFound, RegistryError, malformed
from kb.sources.lock import Csl, DateParts, LockEntry, Name, Update

BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
BATCH = 100
"""Ids per request; NCBI asks for POST above about 200, so a GET stays well below."""
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
NOTICE_TYPES = {
    "Retraction of Publication": "retraction",
    "Published Erratum": "erratum",
    "Expression of Concern": "expression_of_concern",
}
Outcome = LockEntry | RegistryError
"""Per id: its entry, or why there is none (NotFound, FetchError)."""


class Eutils:
    def __init__(self, client: HttpClient, tool: str = "evidence-kb") -> None:
        self.client = client
        self.tool = tool

    def fetch_pubmed(self, pmids: Iterable[str]) -> dict[str, Outcome]:
        return self._fetch("pubmed", {p: p for p in pmids}, pubmed_entry)

    def fetch_pmc(self, pmcids: Iterable[str]) -> dict[str, Outcome]:
        return self._fetch("pmc", {p: p.upper().removeprefix("PMC") for p in pmcids}, pmc_entry)

    def _fetch(
        self, db: str, uids: dict[str, str], make: Callable[[dict[str, Any]], LockEntry]
    ) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        wanted = sorted(uids)
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            params = {
                "db": db,
                "id": ",".join(uids[i] for i in batch),
                "retmode": "json",
                "tool": self.tool,
                "email": self.client.politeness.email,
            }
            try:
                result = _result(self.client.get_json("/esummary.fcgi", params))
            except RegistryError as error:
                out.update({identifier: error for identifier in batch})
                continue
            for identifier in batch:
                record = result.get(uids[identifier])
                if not isinstance(record, dict) or "error" in record:
                    out[identifier] = NotFound(
                        str(record.get("error"))
                        if isinstance(record, dict)
                        else "not in the answer"
                    )
                    continue
                try:
                    out[identifier] = make(record)
                except MALFORMED as error:
                    out[identifier] = malformed(error)
        return out


def _result(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        raise FetchError(f"NCBI refused the request: {body['error']}")
    if not isinstance(body, dict) or not isinstance(body.get("result"), dict):
        raise FetchError("malformed response: no 'result' object")
    result: dict[str, Any] = body["result"]
    return result


def pubmed_entry(record: dict[str, Any]) -> LockEntry:
    ids = article_ids(record)
    types = [t for t in record.get("pubtype") or [] if isinstance(t, str)]
    updates = (
        [Update(type="retraction", source="pubmed", label="Retracted Publication")]
        if "Retracted Publication" in types
        else []
    )
    notices = [
        Update(type=kind, source="pubmed", label=label)
        for label, kind in NOTICE_TYPES.items()
        if label in types
    ]
    return LockEntry(
        registry="pubmed",
        found=True,
        updates=updates,
        notice_of=notices,
        csl=summary_csl(
            record,
            pmid=str(record.get("uid") or "") or None,
            pmcid=ids.get("pmc"),
            doi=ids.get("doi"),
        ),
    )


def pmc_entry(record: dict[str, Any]) -> LockEntry:
    ids = article_ids(record)
    uid = str(record.get("uid") or "")
    pmcid = ids.get("pmcid") or (f"PMC{uid}" if uid else None)
    return LockEntry(
        registry="pmc",
        found=True,
        csl=summary_csl(record, pmid=ids.get("pmid"), pmcid=pmcid, doi=ids.get("doi")),
    )


def summary_csl(
    record: dict[str, Any], pmid: str | None, pmcid: str | None, doi: str | None
) -> Csl:
    return Csl(
        type="article-journal",
        title=_text(record.get("title")),
        author=[name for name in map(_author, record.get("authors") or []) if name is not None],
        issued=summary_date(record.get("pubdate")),
        published_print=summary_date(record.get("printpubdate")),
        published_online=summary_date(record.get("epubdate")),
        container_title=_text(record.get("fulljournalname")),
        container_title_short=_text(record.get("source")),
        volume=_text(record.get("volume")),
        issue=_text(record.get("issue")),
        page=_text(record.get("pages")),
        DOI=doi.lower() if doi else None,
        PMID=pmid,
        PMCID=pmcid,
    )


def article_ids(record: dict[str, Any]) -> dict[str, str]:
    """idtype -> value; PubMed's `pmcid` item reads 'pmc-id: PMC123;...', its `pmc` item is
    the plain PMCID."""
    out: dict[str, str] = {}
    for item in record.get("articleids") or []:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            out.setdefault(str(item.get("idtype", "")).lower(), item["value"].strip())
    found = re.search(r"PMC\d+", out.get("pmcid", ""))
    if found:
        out["pmcid"] = found.group(0)
    return out


def summary_date(value: Any) -> DateParts | None:
    """'2018 Aug 9', '2019 Dec', '2012 Jul-Sep', '2018 Winter' -> year and what else is clear."""
    if not isinstance(value, str):
        return None
    words = value.replace("/", " ").split()
    if not words or not re.fullmatch(r"\d{4}", words[0]):
        return None
    parts = [int(words[0])]
    month = words[1][:3].lower() if len(words) > 1 else ""
    if month in MONTHS:
        parts.append(MONTHS.index(month) + 1)
        if len(words) > 2 and words[2].isdigit() and 1 <= int(words[2]) <= 31:
            parts.append(int(words[2]))
    return DateParts(date_parts=[parts])


def _author(value: Any) -> Name | None:
    """'Molina Santos V' -> family 'Molina Santos', given 'V'; a collective name is literal."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    name = clean(value["name"])
    if not name:
        return None
    if value.get("authtype", "Author") != "Author":
        return Name(literal=name)
    family, _, initials = name.rpartition(" ")
    if family and re.fullmatch(r"[A-Z]{1,4}", initials):
        return Name(family=family, given=initials)
    return Name(family=name)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return clean(value)
    return None
