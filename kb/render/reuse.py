"""Record pages kept from the last run when nothing they are made from has changed.

After one edited record, most of the site is the same: rendering a thousand study pages again to
find that two of them changed is most of `kb generate`'s time. Each study page, each study's
BibTeX and RIS download and each claim page and feed gets a key: a digest of everything its
render function reads, named below kind by kind as the record files (their bytes), the
references.bib entries and the settings it depends on. The key is a superset rather than a guess:
a claim page's key holds every study that links to the claim or to a claim beside it, every trial
and concept, the registry lockfile and the discrepancies, so an edit to any of them renders it
again. A page whose key was seen in the last run, and whose file in the docs folder still has the
digest kb wrote then, is read back from that file instead of rendered; anything else (a new key,
a missing or edited file, a record file kb could not read as a plain file) is rendered.

The cache holds keys and digests only (the `pages` store of `.kb-cache/`, JSON like the rest),
never page text: what is reused is the file kb itself wrote into the docs folder, checked
against its digest. `kb generate --no-cache` renders every page;
tests/test_reuse.py edits every kind of input and compares every generated file with and
without the cache, byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.cache import Store, content_key
from kb.cite import BibEntry
from kb.corpus import Loaded
from kb.files import digest, read_regular
from kb.model import FOLDER_OF_KIND
from kb.render.common import Site

MAX_PAGE_BYTES = 1 << 26
"""A page read back from the docs folder is at most this long (kb's largest are well under 1 MB)."""


def _entry(entry: BibEntry | None) -> str:
    if entry is None:
        return "no entry"
    return json.dumps([entry.key, entry.type, entry.fields, entry.authors], ensure_ascii=False)


@dataclass
class Reuse:
    """The pages store, the docs folder the pages were written to, and the key of every record
    file (None for a file that is not read as a plain file, whose pages are always rendered)."""

    store: Store | None
    docs: Path
    files: dict[str, str | None]
    settings: str | None
    """Everything every page may read beyond its records: the dates, the URL style and
    address, the lockfile, the question and every discrepancy."""
    fresh: dict[str, list[Any]] = field(default_factory=dict)
    _checked: dict[str, list[Any] | None] = field(default_factory=dict)

    @classmethod
    def none(cls) -> Reuse:
        return cls(None, Path(), {}, "")

    @property
    def enabled(self) -> bool:
        return self.store is not None and self.store.enabled and self.settings is not None

    def key(self, *parts: str | None) -> str | None:
        """A digest of `parts`, or None when one of them is unknown."""
        if not self.enabled or None in parts:
            return None
        return content_key(self.settings or "", *(part or "" for part in parts))

    def record(self, site: Site, kind: str, record_id: str) -> str | None:
        """The key of the file holding the record, 'missing' when there is none."""
        records: Mapping[str, Loaded[Any]] = getattr(site.kb, FOLDER_OF_KIND[kind])
        loaded = records.get(record_id)
        return "missing" if loaded is None else self.files.get(loaded.path)

    def named(self, site: Site, kind: str, record_id: str) -> str | None:
        """'id:key' of the record's file, None when its key is unknown."""
        key = self.record(site, kind, record_id)
        return None if key is None else f"{kind}:{record_id}:{key}"

    def kept(self, path: str, key: str | None, final: str | None) -> bytes | None:
        """The page's bytes from the docs folder, when the last run wrote them under the same
        keys and the file still has their digest; else None (render it)."""
        entry = self._stored(path)
        if key is None or final is None or entry is None or entry[:2] != [key, final]:
            return None
        data = read_regular(self.docs / path, MAX_PAGE_BYTES)
        if data is None or digest(data) != entry[2]:
            return None
        self.fresh[path] = entry
        return data

    def remember(self, path: str, key: str | None, final: str | None, data: bytes) -> None:
        if key is not None and final is not None and self.enabled:
            self.fresh[path] = [key, final, digest(data)]

    def save(self) -> None:
        """Keep the entries of this run's pages only (a removed record's go)."""
        if self.store is not None and self.enabled:
            self.store.replace(dict(sorted(self.fresh.items())))
            self.store.save()

    def _stored(self, path: str) -> list[Any] | None:
        if not self.enabled:
            return None
        if path not in self._checked:
            self._checked[path] = self._check(path)
        return self._checked[path]

    def _check(self, path: str) -> list[Any] | None:
        assert self.store is not None
        entry = self.store.load().get(path)
        if isinstance(entry, list) and len(entry) == 3 and all(isinstance(v, str) for v in entry):
            return entry
        return None


def settings_key(site: Site, files: dict[str, str | None], lock: str | None) -> str | None:
    """What every page may read beyond its own records; None when a file of them could not be
    read as a plain file (then every page is rendered)."""
    kb = site.kb
    discrepancies = [files.get(d.path) for _, d in sorted(kb.discrepancies.items())]
    question = files.get(kb.question_file.path) if kb.question_file else "no question"
    parts = [
        site.today.isoformat(),
        site.evidence_date.isoformat(),
        str(site.directory_urls),
        site.site_url or "",
        lock or "",
        question or "",
        *(d or "" for d in discrepancies),
    ]
    unknown = None in discrepancies or question is None or lock is None
    return None if unknown else content_key(*parts)


def study_key(reuse: Reuse, site: Site, study_id: str) -> str | None:
    """A study page reads its record and bibliography entry, the statement of every claim it
    links to, the discrepancies and, through them, the labels of the other studies they name,
    and how its identifiers were verified (its record, its entry and the lockfile)."""
    kb = site.kb
    study = kb.study(study_id)
    parts = [reuse.record(site, "study", study_id), _entry(kb.bibliography.get(study.cite))]
    parts += [reuse.named(site, "claim", link.claim) for link in study.links]
    for _, discrepancy in sorted(kb.discrepancies.items()):
        named = [n.study for n in discrepancy.record.findings]
        if study_id in named:
            parts += [_study_and_entry(reuse, site, other) for other in sorted(set(named))]
    return reuse.key("study page", study_id, *parts)


def download_key(reuse: Reuse, site: Site, study_id: str) -> str | None:
    """A study's BibTeX and RIS read its record, its entry and every record citing the entry
    (whose identifiers decide the entry's identifier fields)."""
    kb = site.kb
    study = kb.study(study_id)
    entry = kb.bibliography.get(study.cite)
    citing = kb.citing.get(entry.key, []) if entry else []
    parts: list[str | None] = [_study_and_entry(reuse, site, study_id)]
    for record in citing:
        kind = "study" if record.id in kb.studies and kb.study(record.id) is record else "trial"
        parts.append(reuse.named(site, kind, record.id))
    return reuse.key("downloads", study_id, *parts)


def claim_key(reuse: Reuse, site: Site, claim_id: str, history: str) -> str | None:
    """A claim page reads its record; the claims it depends on and those that depend on it; every
    study linked to any of these claims, with its entry (labels, findings, grades, retractions
    through the lockfile); every trial and concept (few, and read through the graph); and the
    claim's history."""
    kb = site.kb
    evidence = site.evidence
    claim = kb.claim(claim_id)
    around = sorted({claim_id, *claim.depends_on, *evidence.dependants(claim_id)})
    parts = [reuse.named(site, "claim", c) for c in around]
    linked = [evidence.linked_studies(c) for c in around if c in kb.claims]
    studies = sorted({study.id for pairs in linked for study, _ in pairs})
    parts += [_study_and_entry(reuse, site, s) for s in studies]
    parts += [reuse.named(site, "trial", t) for t in sorted(kb.trials)]
    parts += [reuse.named(site, "concept", c) for c in sorted(kb.concepts)]
    return reuse.key("claim page", claim_id, history, *parts)


def _study_and_entry(reuse: Reuse, site: Site, study_id: str) -> str | None:
    if study_id not in site.kb.studies:
        return f"{study_id}: missing"
    key = reuse.record(site, "study", study_id)
    entry = site.kb.bibliography.get(site.kb.study(study_id).cite)
    return None if key is None else f"{study_id}:{key}:{_entry(entry)}"


def terms_key(reuse: Reuse, site: Site) -> str | None:
    """The glossary (every concept's names), which adds other names to every page."""
    keys = [reuse.named(site, "concept", c) for c in sorted(site.kb.concepts)]
    return reuse.key("glossary", *keys)


def final_key(
    key: str | None, tags: Iterable[str], slugs: dict[str, str], terms: str | None
) -> str | None:
    """The key of a page once the tag links and the glossary's other names are added: its own
    key, the file names of its tags' pages and the glossary."""
    if key is None or terms is None:
        return None
    return content_key(key, terms, *(f"{t}={slugs.get(t, '')}" for t in tags))
