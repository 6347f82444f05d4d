"""One reference read from an export, in BibTeX terms, and the clean-up every format shares.

Each reader (BibTeX, RIS, PubMed MEDLINE, CSL-JSON) turns its records into `Reference`s: BibTeX
field names with values ready to be written into references.bib (LaTeX, with identifiers and URLs
kept verbatim), plus the plain text that keys and duplicate detection work on.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import latexcodec  # noqa: F401  (registers the 'ulatex' codec)

from kb.load import MAX_STRING_CHARS
from kb.markup import without_controls
from kb.model import DOI_PATTERN, PMCID_PATTERN, PMID_PATTERN
from kb.problems import (
    IMPORT_BAD_IDENTIFIER,
    IMPORT_CLEANED,
    IMPORT_OVER_LIMIT,
    IMPORT_SYNTAX,
    Problem,
)

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
VERBATIM_FIELDS = ("doi", "pmid", "pmcid", "url")
"""Written as read: identifiers and addresses are not text, and escaping would change them."""
FIELD_ORDER = (
    "author",
    "editor",
    "title",
    "journal",
    "booktitle",
    "howpublished",
    "publisher",
    "address",
    "school",
    "institution",
    "edition",
    "year",
    "month",
    "volume",
    "number",
    "pages",
    "doi",
    "pmid",
    "pmcid",
    "url",
    "note",
    "keywords",
    "abstract",
)
"""The fields an imported entry keeps, in the order they are written: what identifies and
locates the work, then what the exporter noted about it ('UNVERIFIED: ...' among others)."""
MAX_FIELD_CHARS = MAX_STRING_CHARS
"""The longest value of one field kb writes into references.bib, as long as the longest string a
record may hold; a reference with a longer one is left out (KB809)."""
MAX_NAMES_CHARS = 10 * MAX_STRING_CHARS
"""The longest list of authors or editors (a consortium may list a thousand names)."""

_IDENTIFIERS = {"doi": DOI_PATTERN, "pmid": PMID_PATTERN, "pmcid": PMCID_PATTERN}
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_REGISTRY_IDS = {
    "nct": re.compile(r"\bNCT[0-9]{8}\b"),
    "eudract": re.compile(r"\b[0-9]{4}-[0-9]{6}-[0-9]{2}\b"),
}
REGISTRY_FIELDS = ("howpublished", "number", "url", "note", "title")
"""Where an export puts the registry number of a trial's registry entry."""
_SMALL_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "da",
        "das",
        "de",
        "del",
        "della",
        "der",
        "des",
        "di",
        "die",
        "du",
        "e",
        "et",
        "for",
        "from",
        "in",
        "la",
        "le",
        "of",
        "on",
        "or",
        "the",
        "to",
        "und",
        "van",
        "von",
        "y",
    }
)
"""Words a journal's name keeps in lower case after its first word."""
_KEY = re.compile(r"^[A-Za-z0-9_:.+/-]+$")
_NOTE_IDS = {
    "pmid": re.compile(r"\bPMID:\s*(\d+)"),
    "pmcid": re.compile(r"\bPMCID:\s*(PMC\d+)"),
    "doi": re.compile(r"\bDOI:\s*(10\.\S+)", re.IGNORECASE),
}


@dataclass
class Reference:
    path: str
    line: int
    col: int
    entry_type: str
    fields: dict[str, str]
    """BibTeX field -> value as written into references.bib; 'author' as 'A and B'."""
    title: str
    """Plain text, for keys and duplicate detection."""
    first_family: str | None
    """Family name of the first author (or editor), plain text without particles."""
    year: str | None
    export_types: tuple[str, ...] = ()
    """Publication types the export names (PubMed's PT), a hint for the study's design."""
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    source_key: str | None = None
    """The exporter's own citation key (BibTeX key, RIS ID, CSL id), when it is a usable one."""
    registry: dict[str, str] = field(default_factory=dict)
    """Trial registry numbers found in the export: 'nct' and 'eudract' -> value."""
    refused: bool = False
    """Set by `normalise` when the reference cannot be written safely and is left out."""

    def position(self, name: str) -> tuple[int, int]:
        return self.positions.get(name, (self.line, self.col))

    @property
    def is_registry_entry(self) -> bool:
        """A registry's record of a trial (a @misc entry naming an NCT or EudraCT number), not
        a publication: it becomes a trial record."""
        return self.entry_type == "misc" and bool(self.registry)


def latex(text: str) -> str:
    """Unicode text as a BibTeX value: '&', '%', '_', '#' escaped, a backslash written as
    \\textbackslash (so no text becomes a LaTeX command), letters kept as they are. Braces are
    dropped: BibTeX counts a brace even after a backslash, and pybtex reads no escaped form of
    one back as text; '$' and '^' stay, as pybtex reads them back unchanged."""
    text = " ".join(text.replace("{", "").replace("}", "").split())
    text = text.replace("\\", "\\textbackslash{}")
    return str(codecs.encode(text, "ulatex+utf8"))


def person(family: str, given: str = "", particle: str = "", suffix: str = "") -> str:
    """A name as BibTeX writes it: 'von Last, Jr, First'."""
    last = " ".join(part for part in (latex(particle), latex(family)) if part)
    parts = [last, latex(suffix), latex(given)] if suffix else [last, latex(given)]
    return ", ".join(part for part in parts if part) if given or suffix else last


def family_core(family: str) -> str:
    """The family name without its particles: 'van der Berg' -> 'Berg', 'de la Cruz' -> 'Cruz';
    a compound such as 'García López' stays whole."""
    words = family.split()
    while len(words) > 1 and words[0][:1].islower():
        words.pop(0)
    return " ".join(words)


def organisation(name: str) -> str:
    """A corporate author, braced so BibTeX does not split it into given and family names."""
    return "{" + latex(name) + "}"


def month_macro(value: str) -> str | None:
    """'3', '03', 'Mar', 'March' -> 'mar'; None when it is not a month."""
    value = value.strip().lower()
    if value.isdigit():
        return MONTHS[int(value) - 1] if 1 <= int(value) <= 12 else None
    return value[:3] if value[:3] in MONTHS and value in {value[:3], *_FULL_MONTHS} else None


_FULL_MONTHS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "sept",
}


def page_range(pages: str) -> str:
    """'101-10' (NLM's shortened range) -> '101--110'; any dash between pages -> '--'."""
    parts = [part.strip() for part in re.split(r"\s*(?:-+|\u2013|\u2014)\s*", pages.strip())]
    if len(parts) != 2 or not all(parts):
        return pages.strip()
    first, last = parts
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{first}--{last}"


def identifiers_from_note(note: str) -> dict[str, str]:
    """PMID, PMCID and DOI written into a note or 'extra' field as 'PMID: 123'."""
    return {
        name: match.group(1)
        for name, pattern in _NOTE_IDS.items()
        if (match := pattern.search(note))
    }


def registry_numbers(*texts: str) -> dict[str, str]:
    """The first NCT and EudraCT number written in `texts`."""
    found: dict[str, str] = {}
    for text in texts:
        for name, pattern in _REGISTRY_IDS.items():
            if name not in found and (match := pattern.search(text)):
                found[name] = match.group(0)
    return found


def usable_key(key: str | None) -> str | None:
    """An exporter's key as references.bib can hold it (no spaces, commas or braces); Zotero's
    CSL ids (addresses) are not keys."""
    key = (key or "").strip()
    return key if _KEY.match(key) and "//" not in key else None


def journal_case(name: str) -> str:
    """A journal's name in title case, as journals name themselves: NLM's 'Annals of surgery'
    -> 'Annals of Surgery'. A word already holding a capital ('JAMA', 'eLife', 'HBPD INT'),
    LaTeX and the small words after the first ('of', 'and', 'the') are left as they are."""
    if "{" in name or "\\" in name:
        return name
    words = name.split(" ")
    out: list[str] = []
    for index, word in enumerate(words):
        after_break = index == 0 or out[-1].endswith((":", ".", "-"))
        small = word.casefold() in _SMALL_WORDS and not after_break
        if word[:1].islower() and not any(c.isupper() for c in word) and not small:
            word = word[:1].upper() + word[1:]
        out.append(word)
    return " ".join(out)


def clean_identifier(name: str, value: str) -> str:
    value = value.strip()
    if name == "doi":
        value = _DOI_PREFIX.sub("", value).strip()
    if name == "pmcid" and value.isdigit():
        value = f"PMC{value}"
    return value


def normalise(reference: Reference) -> list[Problem]:
    """Clean every value in place so that it can be written into references.bib, and report
    what was changed: control and bidirectional characters removed (KB808); a malformed
    identifier or a URL that is not http(s) left out (KB806), so that one bad value does not
    lose the whole reference; a value that could end its BibTeX entry (KB802) or is over kb's
    limits (KB809) leaves the reference out (`refused`)."""
    problems = _without_controls(reference)
    fields = reference.fields
    for name, pattern in _IDENTIFIERS.items():
        if name not in fields:
            continue
        value = clean_identifier(name, fields[name])
        if re.fullmatch(pattern, value):
            fields[name] = value
            continue
        del fields[name]
        problems.append(_left_out(reference, name, f"malformed {name.upper()} '{value}' left out"))
    if "url" in fields:
        url = bibtex_url(fields["url"])
        if url is None:
            shown = fields.pop("url")[:200]
            problems.append(
                _left_out(reference, "url", f"URL '{shown}' left out: only http(s) links are kept")
            )
        else:
            fields["url"] = url
    if "pages" in fields:
        fields["pages"] = page_range(fields["pages"])
    if "month" in fields:
        macro = month_macro(fields["month"])
        if macro:
            fields["month"] = macro
        else:
            del fields["month"]
    for name in list(fields):
        if name not in FIELD_ORDER or not fields[name].strip():
            del fields[name]
    if "journal" in fields:
        fields["journal"] = journal_case(fields["journal"])
    found = registry_numbers(*(fields.get(name, "") for name in REGISTRY_FIELDS))
    reference.registry = {**found, **reference.registry}
    if "doi" in fields:
        fields.pop("url", None)  # the DOI is the lasting address
    problems += _unwritable(reference)
    return problems


def bibtex_url(value: str) -> str | None:
    """An http(s) URL with a host and no user name, percent-encoded so that it holds no brace,
    '@', backslash, quote or space; None for anything else."""
    value = value.strip()
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # an unbalanced '[' in the host
        return None
    if parts.scheme.lower() not in {"http", "https"} or not host or "@" in parts.netloc:
        return None
    return quote(value, safe=":/?#[]!$&'()*+,;=%~-._")


_ENTRY_START = re.compile(r"(?<!\{)@(?!\})")


def _without_controls(reference: Reference) -> list[Problem]:
    cleaned = []
    for name, value in reference.fields.items():
        reference.fields[name] = without_controls(value)
        if reference.fields[name] != value:
            cleaned.append(name)
    reference.title = without_controls(reference.title)
    if reference.first_family is not None:
        reference.first_family = without_controls(reference.first_family)
    if not cleaned:
        return []
    return [
        Problem(
            reference.path,
            reference.line,
            reference.col,
            IMPORT_CLEANED,
            f"control or bidirectional characters removed from {_names(cleaned)}",
            "they can hide or reorder text; compare the entry with the source",
        )
    ]


def _unwritable(reference: Reference) -> list[Problem]:
    """Problems of values that cannot go into references.bib as they are; '@' in text is
    braced ('{@}', read back as '@') so that nothing in a value looks like an entry's start."""
    problems = []
    for name, value in reference.fields.items():
        limit = MAX_NAMES_CHARS if name in ("author", "editor") else MAX_FIELD_CHARS
        line, col = reference.position(name)
        if len(value) > limit:
            problems.append(
                Problem(
                    reference.path,
                    line,
                    col,
                    IMPORT_OVER_LIMIT,
                    f"field '{name}' of {len(value):,} characters is over kb's limit of "
                    f"{limit:,}: the reference is left out",
                    "shorten the field in the reference manager, or add the entry by hand",
                )
            )
        elif name not in VERBATIM_FIELDS and not balanced(value):
            problems.append(
                Problem(
                    reference.path,
                    line,
                    col,
                    IMPORT_SYNTAX,
                    f"field '{name}' has unbalanced braces, which would end the entry early: "
                    "the reference is left out",
                    "correct the braces in the reference manager and export again",
                )
            )
        elif name not in VERBATIM_FIELDS:
            reference.fields[name] = _ENTRY_START.sub("{@}", value)
    reference.refused = any(p.code in {IMPORT_OVER_LIMIT, IMPORT_SYNTAX} for p in problems)
    return problems


def balanced(value: str) -> bool:
    """Braces balanced as BibTeX counts them (a backslash escapes none)."""
    depth = 0
    for brace in re.findall("[{}]", value):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _left_out(reference: Reference, name: str, message: str) -> Problem:
    line, col = reference.position(name)
    return Problem(
        reference.path,
        line,
        col,
        IMPORT_BAD_IDENTIFIER,
        message,
        "add it to the study by hand once you have read it at its source",
    )


def _names(fields: list[str]) -> str:
    quoted = [f"'{name}'" for name in fields]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
