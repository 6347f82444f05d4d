"""evidence/sources.lock.json: what the registries said about each identifier, committed in git.

`kb resolve` writes it; `kb check` and the site only read it, so checks and builds never need the
network and give the same answer on every machine. One entry per identifier, keyed
`doi:10.1136/bmjopen-2019-033452`, `pmid:31818843`, `pmcid:PMC6924808` or `nct:NCT03398291`:

- `registry`: crossref, pubmed, pmc or clinicaltrials.gov;
- `found`: the registry's answer (true: a record, false: no record); absent until one answer;
- `retrieved`: the day that answer was first received (kept while the registry says the same,
  so an unchanged record never changes the file);
- `csl`: the record as CSL-JSON (title, authors, dates, journal, identifiers);
- `updates`: retractions, corrections and other notices that update the work; `notice_of`: the
  works this record is itself a notice for (a DOI naming a retraction notice);
- `trial`: for NCT numbers, the registry's status and dates;
- `error`: the last attempt that failed, with its date; the previous answer stays in place.

The file is deterministic JSON: sorted keys, two-space indent, UTF-8, LF, a final newline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb.files import write_atomic
from kb.model import IDENTIFIER_PATTERNS
from kb.problems import LOCK_UNREADABLE, Problem

LOCK_NAME = "sources.lock.json"
FORMAT = 1
MAX_LOCK_BYTES = 67_108_864
"""Largest lockfile read (64 MiB; about 20 MB for 10,000 studies with every identifier)."""
KINDS = ("doi", "pmid", "pmcid", "nct")
"""The identifiers the registries resolve, in the order the lockfile and reports list them."""
PATTERNS = {kind: IDENTIFIER_PATTERNS[kind] for kind in KINDS}
Registry = Literal["crossref", "pubmed", "pmc", "clinicaltrials.gov"]
REGISTRY_OF: dict[str, Registry] = {
    "doi": "crossref",
    "pmid": "pubmed",
    "pmcid": "pmc",
    "nct": "clinicaltrials.gov",
}
REGISTRY_NAMES: dict[str, str] = {
    "crossref": "Crossref",
    "pubmed": "PubMed",
    "pmc": "PubMed Central",
    "clinicaltrials.gov": "ClinicalTrials.gov",
}
RETRACTING = frozenset({"retraction", "withdrawal", "removal"})
"""Update types that take a work out of the evidence (Crossmark and Retraction Watch names)."""
REINSTATING = frozenset({"reinstatement"})
DAY = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class LockModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DateParts(LockModel):
    date_parts: list[list[int]] = Field(alias="date-parts")

    @property
    def year(self) -> int | None:
        first = self.date_parts[0] if self.date_parts else []
        return first[0] if first else None


class Name(LockModel):
    family: str | None = None
    given: str | None = None
    literal: str | None = None


class Csl(LockModel):
    """CSL-JSON, with the Crossref extensions `published-print` and `published-online`."""

    type: str
    title: str | None = None
    author: list[Name] = Field(default_factory=list)
    issued: DateParts | None = None
    published_print: DateParts | None = Field(None, alias="published-print")
    published_online: DateParts | None = Field(None, alias="published-online")
    container_title: str | None = Field(None, alias="container-title")
    container_title_short: str | None = Field(None, alias="container-title-short")
    publisher: str | None = None
    volume: str | None = None
    issue: str | None = None
    page: str | None = None
    number: str | None = None
    DOI: str | None = None
    PMID: str | None = None
    PMCID: str | None = None
    URL: str | None = None

    @property
    def years(self) -> set[int]:
        dates = (self.issued, self.published_print, self.published_online)
        return {d.year for d in dates if d is not None and d.year is not None}


class Update(LockModel):
    """A notice that updates a work: Crossref `updated-by`/`update-to`, PubMed publication
    types."""

    type: str
    source: str
    doi: str | None = None
    date: str | None = Field(None, pattern=DAY)
    label: str | None = None


class TrialDate(LockModel):
    date: str = Field(pattern=DAY)
    type: Literal["actual", "estimated"] | None = None


class TrialRegistration(LockModel):
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    overall_status: str | None = None
    """In kb's words: 'recruiting', 'active-not-recruiting', ..."""
    last_known_status: str | None = None
    status_verified: str | None = Field(None, pattern=DAY)
    start: TrialDate | None = None
    primary_completion: TrialDate | None = None
    completion: TrialDate | None = None
    has_results: bool = False
    last_update_posted: str | None = Field(None, pattern=DAY)


class Attempt(LockModel):
    date: str = Field(pattern=DAY)
    message: str


class LockEntry(LockModel):
    registry: Registry
    found: bool | None = None
    retrieved: str | None = Field(None, pattern=DAY)
    csl: Csl | None = None
    updates: list[Update] = Field(default_factory=list)
    notice_of: list[Update] = Field(default_factory=list)
    relation: dict[str, list[str]] = Field(default_factory=dict)
    trial: TrialRegistration | None = None
    error: Attempt | None = None

    def same_answer(self, other: LockEntry) -> bool:
        """True when both hold the same registry answer, whatever their dates and errors."""
        ignore = {"retrieved", "error"}
        return self.model_dump(exclude=ignore) == other.model_dump(exclude=ignore)

    @property
    def retraction(self) -> Update | None:
        """The notice retracting the work, unless a later notice reinstated it."""
        current: Update | None = None
        for update in sorted(self.updates, key=lambda u: (u.date or "", u.type, u.doi or "")):
            if update.type in RETRACTING:
                current = current or update
            elif update.type in REINSTATING:
                current = None
        return current

    @property
    def corrections(self) -> list[Update]:
        return [u for u in self.updates if u.type not in RETRACTING | REINSTATING]


class Lockfile(LockModel):
    format: Literal[1] = 1
    entries: dict[str, LockEntry] = Field(default_factory=dict)

    @field_validator("entries")
    @classmethod
    def _keys_are_identifiers(cls, entries: dict[str, LockEntry]) -> dict[str, LockEntry]:
        for key, entry in entries.items():
            kind, _, value = key.partition(":")
            if kind not in PATTERNS or not re.fullmatch(PATTERNS[kind], value):
                raise ValueError(f"'{key}' is not 'doi:', 'pmid:', 'pmcid:' or 'nct:' and a value")
            if key != lock_key(kind, value):
                raise ValueError(
                    f"'{key}' is not written as kb writes it: '{lock_key(kind, value)}'"
                )
            if entry.registry != REGISTRY_OF[kind]:
                raise ValueError(f"'{key}' comes from {REGISTRY_OF[kind]}, not {entry.registry}")
        return entries

    def get(self, kind: str, value: str) -> LockEntry | None:
        return self.entries.get(lock_key(kind, value))


def lock_key(kind: str, value: str) -> str:
    """'doi:10.1000/abc': DOIs are case-insensitive and kept lower-case; PMCIDs and NCT numbers
    upper-case."""
    value = value.strip()
    if kind == "doi":
        value = value.lower()
    elif kind in {"pmcid", "nct"}:
        value = value.upper()
    return f"{kind}:{value}"


def render_lockfile(lock: Lockfile) -> bytes:
    """The file's bytes; inside an entry, absent values and empty lists are left out."""
    data = lock.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["entries"] = {key: _compact(entry) for key, entry in data["entries"].items()}
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v != [] and v != {}}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def write_lockfile(path: Path, lock: Lockfile) -> bool:
    """Write atomically when the text changes; True when the file was written."""
    data = render_lockfile(lock)
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


def read_lockfile(path: Path, display_path: str) -> tuple[Lockfile, list[Problem]]:
    """The lockfile at `path`; see `parse_lockfile`."""
    try:
        data: bytes | None = path.read_bytes()
    except FileNotFoundError:
        data = None
    except OSError as error:
        return Lockfile(), [_unreadable(display_path, 1, 1, f"cannot be read: {error}")]
    return parse_lockfile(data, display_path)


def parse_lockfile(
    data: bytes | Problem | None, display_path: str
) -> tuple[Lockfile, list[Problem]]:
    """The lockfile from its bytes, or an empty one with a KB901 problem when it cannot be used
    (`data` may be the problem that stopped it being read). No file (None) is no problem: the
    knowledge base has not resolved its identifiers yet."""
    if data is None:
        return Lockfile(), []
    if isinstance(data, Problem):
        detail = data.message.removeprefix("cannot read file: ")
        return Lockfile(), [
            _unreadable(display_path, data.line, data.col, f"cannot be read: {detail}")
        ]
    try:
        parsed: Any = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        return Lockfile(), [_unreadable(display_path, 1, 1, f"cannot be read: {error}")]
    except json.JSONDecodeError as error:
        return Lockfile(), [
            _unreadable(display_path, error.lineno, error.colno, f"is not JSON: {error.msg}")
        ]
    except (ValueError, RecursionError) as error:  # a 5,000-digit number, or nesting too deep
        return Lockfile(), [_unreadable(display_path, 1, 1, f"is not JSON kb can read: {error}")]
    if (
        isinstance(parsed, dict)
        and isinstance(parsed.get("format"), int)
        and parsed["format"] > FORMAT
    ):
        return Lockfile(), [
            _unreadable(
                display_path,
                1,
                1,
                f"has format {parsed['format']}; this kb reads format {FORMAT}",
                "update kb",
            )
        ]
    try:
        return Lockfile.model_validate(parsed), []
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        return Lockfile(), [
            _unreadable(display_path, 1, 1, f"is malformed at {where}: {first['msg']}")
        ]


def _unreadable(
    path: str, line: int, col: int, detail: str, hint: str = "run 'kb resolve' to write it again"
) -> Problem:
    return Problem(path, line, col, LOCK_UNREADABLE, f"{LOCK_NAME} {detail}", hint)
