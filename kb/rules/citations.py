"""KB401-KB406, KB410: citation keys and cross-references, BibTeX completeness and identifiers
in references.bib."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.cite import IDENTIFIER_FIELDS, REQUIRED_FIELDS, BibEntry
from kb.corpus import Loaded
from kb.evidence import Evidence
from kb.identifiers import normalise_identifier
from kb.model import IDENTIFIER_PATTERNS, Study, Trial
from kb.problems import (
    DECLARED_UNVERIFIED,
    ENTRY_LACKS_FIELD,
    IDENTIFIER_DISAGREES,
    MALFORMED_IDENTIFIER,
    MISSING_CITATION,
    UNCITED_ENTRY,
    Context,
    Problem,
    did_you_mean,
)
from kb.words import IDENTIFIER_LABELS


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    bib = kb.bibliography
    cited: set[str] = set()
    citing: list[Loaded[Study] | Loaded[Trial]] = [*kb.studies.values(), *kb.trials.values()]
    for loaded in citing:
        record = loaded.record
        if record.cite is None:
            continue
        entry = bib.get(record.cite)
        if entry is None:
            if bib.entries or not bib.problems:
                yield Problem.at(
                    loaded,
                    ("cite",),
                    MISSING_CITATION,
                    f"citation key '{record.cite}' is not in {bib.path}",
                    did_you_mean(record.cite, bib.entries) or "add the BibTeX entry",
                )
            continue
        cited.add(entry.key)
        for name in IDENTIFIER_FIELDS:
            ours = getattr(record.identifiers, name)
            theirs = entry.fields.get(name)
            if ours is None or theirs is None:
                continue
            if normalise_identifier(name, ours.value) != normalise_identifier(name, theirs):
                yield Problem.at(
                    loaded,
                    ("identifiers", name, "value"),
                    IDENTIFIER_DISAGREES,
                    f"{IDENTIFIER_LABELS[name]} '{ours.value}' differs from '{theirs}' "
                    f"in entry '{entry.key}'",
                    "check both against the publisher page and correct one",
                )
    for any_file in kb.records:  # a half-filled record still cites its entry
        if any_file.record is None and any_file.raw_cite and (entry := bib.get(any_file.raw_cite)):
            cited.add(entry.key)
    for entry in bib.entries.values():
        yield from _entry_problems(entry, bib.path, entry.key in cited)
        crossref = entry.fields.get("crossref")
        if crossref is not None and bib.get(crossref) is None:
            line, col = entry.position("crossref")
            yield Problem(
                bib.path,
                line,
                col,
                MISSING_CITATION,
                f"entry '{entry.key}' cross-references '{crossref}', which is not in {bib.path}",
                did_you_mean(crossref, bib.entries) or "add that entry, or remove 'crossref'",
            )


def _entry_problems(entry: BibEntry, path: str, is_cited: bool) -> Iterator[Problem]:
    if not is_cited:
        yield Problem(
            path,
            entry.line,
            entry.col,
            UNCITED_ENTRY,
            f"entry '{entry.key}' is cited by no study or trial",
            "add a record with this 'cite' key, or remove the entry",
        )
    missing = [
        required.split("|")
        for required in REQUIRED_FIELDS.get(entry.type, ())
        if not any(entry.fields.get(name) for name in required.split("|"))
    ]
    declared = [
        options for options in missing if any(entry.declared_unverified(name) for name in options)
    ]
    undeclared = [options for options in missing if options not in declared]
    if declared:
        yield Problem(
            path,
            entry.line,
            entry.col,
            DECLARED_UNVERIFIED,
            f"@{entry.type} entry '{entry.key}' has no {_names(declared)}; its note "
            f"declares {'it' if len(declared) == 1 else 'them'} unverified",
            None,
        )
    if undeclared:
        yield Problem(
            path,
            entry.line,
            entry.col,
            ENTRY_LACKS_FIELD,
            f"@{entry.type} entry '{entry.key}' lacks the required {_names(undeclared)}",
            "add "
            + ("it, or list it" if len(undeclared) == 1 else "them, or list them")
            + " after 'UNVERIFIED:' in the note if not confirmed in a source",
        )
    for name in IDENTIFIER_FIELDS:
        pattern = IDENTIFIER_PATTERNS[name]
        value = entry.fields.get(name)
        if value is not None and not re.fullmatch(pattern, value.strip()):
            line, col = entry.position(name)
            yield Problem(
                path,
                line,
                col,
                MALFORMED_IDENTIFIER,
                f"malformed {IDENTIFIER_LABELS[name]} '{value}' in entry '{entry.key}'",
                _FORMATS[name],
            )


_FORMATS = {
    "doi": "expected 10.<registrant>/<suffix>, without 'https://doi.org/'",
    "pmid": "expected digits only, e.g. 31818843",
    "pmcid": "expected 'PMC' then digits, e.g. PMC6924808",
}


def _names(groups: list[list[str]]) -> str:
    return ", ".join(" or ".join(f"'{name}'" for name in options) for options in groups)
