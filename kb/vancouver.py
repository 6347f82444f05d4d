"""Vancouver references (ICMJE, after NLM's Citing Medicine) as a pybtex formatting style.

    Shi S, Yu XJ. Time to think: ... World Journal of Gastroenterology. 2018;24(33):3677-80.
    doi:10.3748/wjg.v24.i33.3677

Names are "Family AB" (initials without dots, hyphenated given names give both initials), the
first six then "et al."; page ranges drop the leading digits that repeat (3677-3680 -> 3677-80,
Indexing Manual 10.2); titles are kept as written (no sentence-casing); journal titles are
printed as the entry gives them, since the entries hold full titles, not NLM abbreviations.
Every part is optional: an entry with no author starts with its title, and a field that is
missing is left out, never printed as "None". The entry's note is a curator's note and is not
printed; a DOI the note declares UNVERIFIED is not printed either.

Registered as the pybtex plugin `vancouver` (group `pybtex.style.formatting`) in pyproject.toml.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import re
from collections.abc import Mapping
from typing import Any

from pybtex.backends.plaintext import Backend as PlainText
from pybtex.bibtex.utils import split_name_list
from pybtex.database import BibliographyData, Entry, Person
from pybtex.richtext import Text
from pybtex.scanner import PybtexError
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle
from pybtex.style.names import BaseNameStyle
from pybtex.style.template import FieldIsMissing, first_of, join, node, optional, sentence

from kb import markup
from kb.cite import BibEntry, Bibliography, latex_to_text

MAX_AUTHORS = 6
"""ICMJE: list the first six authors, then "et al."."""
PERSON_ROLES = ("author", "editor")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RANGE = re.compile(
    r"^([A-Za-z]*)(\d+)([A-Za-z]*)\s*[-\u2010-\u2015]+\s*([A-Za-z]*)(\d+)([A-Za-z]*)$"
)


_PLAIN = PlainText()


def initials(given: str) -> str:
    """'Xian-Jun' -> 'XJ', 'C. W.' -> 'CW', 'V{\\'i}ctor' -> 'V': one capital per name part."""
    parts = re.split(r"[\s.\-\u2010\u2011]+", latex_to_text(given))
    letters = (next((c for c in part if c.isalnum()), "") for part in parts)
    return "".join(letter.upper() for letter in letters)


def is_others(person: Person) -> bool:
    """BibTeX's 'and others', which stands for authors left unnamed."""
    return bool(
        person.last_names == ["others"]
        and not (person.first_names or person.middle_names or person.prelast_names)
    )


def nlm_name(person: Person) -> str:
    """'Molina Santos, V{\\'i}ctor' -> 'Molina Santos V'; 'van Gogh, Jr, Vincent' ->
    'van Gogh V Jr'; a corporate '{World Health Organization}' stays whole."""
    family = latex_to_text(" ".join(person.prelast_names + person.last_names))
    given = "".join(initials(name) for name in person.first_names + person.middle_names)
    lineage = latex_to_text(" ".join(person.lineage_names))
    return " ".join(part for part in (family, given, lineage) if part)


def shorten_pages(pages: str) -> str:
    """NLM page ranges: only the digits that change are repeated (1199-1205 -> 1199-205,
    21-30 stays); a letter prefix is not repeated (S12-S19 -> S12-9); anything else keeps its
    text with a plain hyphen."""
    text = latex_to_text(pages).strip()
    match = _RANGE.match(text)
    if not match:
        return re.sub(r"\s*[\u2010-\u2015]+\s*|\s*-+\s*", "-", text)
    prefix, first, suffix, prefix2, last, suffix2 = match.groups()
    if prefix2 not in ("", prefix) or suffix != suffix2:
        return f"{prefix}{first}{suffix}-{prefix2}{last}{suffix2}"
    if len(first) == len(last) and int(last) > int(first):
        common = 0
        while common < len(last) - 1 and first[common] == last[common]:
            common += 1
        last = last[common:]
    return f"{prefix}{first}{suffix}-{last}{suffix2}"


def _month(value: str) -> str:
    value = value.strip()
    if value.isdigit() and 1 <= int(value) <= 12:
        return _MONTHS[int(value) - 1]
    return next((m for m in _MONTHS if value[:3].lower() == m.lower()), value)


def _ordinal_edition(value: str) -> str:
    if not value.isdigit():
        return f"{value} ed"
    number = int(value)
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix} ed"


# Template nodes. pybtex is untyped, so each decorated node is typed Any.


@node  # type: ignore[untyped-decorator]
def text_field(children: list[Any], context: dict[str, Any], name: str, apply: Any = None) -> Text:
    """A field as Unicode text, LaTeX decoded; blank or missing fields are missing."""
    value = context["entry"].fields.get(name, "")
    if not value.strip():
        raise FieldIsMissing(name, context["entry"])
    text = " ".join(latex_to_text(value).split())
    return Text(apply(text) if apply else text)


@node  # type: ignore[untyped-decorator]
def raw_field(children: list[Any], context: dict[str, Any], name: str, apply: Any) -> Text:
    """A field passed to `apply` as written (pages, DOIs: no LaTeX decoding of '--' or '_')."""
    value = context["entry"].fields.get(name, "")
    if not value.strip():
        raise FieldIsMissing(name, context["entry"])
    return Text(apply(value.strip()))


@node  # type: ignore[untyped-decorator]
def nlm_names(children: list[Any], context: dict[str, Any], role: str) -> Text:
    entry = context["entry"]
    persons = list(entry.persons.get(role, []))
    if not persons:
        raise FieldIsMissing(role, entry)
    etal = is_others(persons[-1]) or len(persons) > MAX_AUTHORS
    persons = [p for p in persons if not is_others(p)][:MAX_AUTHORS]
    names = [context["style"].format_name(person) for person in persons]
    return Text(", ").join([*names, *([Text("et al.")] if etal else [])])


@node  # type: ignore[untyped-decorator]
def editors_phrase(children: list[Any], context: dict[str, Any]) -> Text:
    """'Kimura J, Shibasaki H, editors'."""
    count = len(context["entry"].persons.get("editor", []))
    word = "editor" if count == 1 else "editors"
    return Text(nlm_names("editor").format_data(context), ", ", word)


@node  # type: ignore[untyped-decorator]
def doi(children: list[Any], context: dict[str, Any]) -> Text:
    """'doi:10.x/y', unless the entry's note lists the DOI as UNVERIFIED."""
    entry = context["entry"]
    value = entry.fields.get("doi", "").strip()
    probe = BibEntry(entry.key, entry.type, {"note": entry.fields.get("note", "")}, [], 0, 0)
    if not value or probe.declared_unverified("doi"):
        raise FieldIsMissing("doi", entry)
    return Text(f"doi:{value}")


def _block(*parts: Any) -> Any:
    """One sentence of a reference, ended by a period; empty when its parts are all missing."""
    return optional[sentence(sep="")[join[parts]]]


_date = join(sep=" ")[text_field("year"), optional[text_field("month", apply=_month)]]
_pages = raw_field("pages", apply=shorten_pages)
_volume_issue = join[optional[text_field("volume")], optional["(", text_field("number"), ")"]]
_locator = join(sep=":")[join(sep=";")[optional[_date], _volume_issue], optional[_pages]]
_imprint = join(sep="; ")[
    join(sep=": ")[
        optional[text_field("address")],
        first_of[
            optional[text_field("publisher")],
            optional[text_field("institution")],
            optional[text_field("school")],
            optional[text_field("organization")],
        ],
    ],
    optional[_date],
]
_authors = _block(nlm_names("author"))
_authors_or_editors = first_of[_authors, _block(editors_phrase)]
_title = _block(text_field("title"))
_doi = optional[doi]
_url = optional[join["Available from: ", raw_field("url", apply=str)]]
_top = join(sep=" ")


class NlmNameStyle(BaseNameStyle):  # type: ignore[misc]
    def format(self, person: Person, abbr: bool = False) -> Text:
        return Text(nlm_name(person))


class VancouverStyle(BaseStyle):  # type: ignore[misc]
    """Vancouver (ICMJE/NLM) references; entry types without a template use the fallback."""

    default_name_style = NlmNameStyle

    def get_article_template(self, e: Entry) -> Any:
        return _top[_authors, _title, _block(text_field("journal")), _block(_locator), _doi]

    def get_misc_template(self, e: Entry) -> Any:
        return _top[
            _authors_or_editors,
            _title,
            _block(text_field("howpublished")),
            _block(_imprint),
            _url,
            _doi,
        ]

    def get_inproceedings_template(self, e: Entry) -> Any:
        editors = optional[editors_phrase, ". "]
        return _top[
            _authors,
            _title,
            _block("In: ", editors, text_field("booktitle")),
            _block(_imprint),
            _block("p. ", _pages),
            _doi,
        ]

    get_conference_template = get_inproceedings_template
    get_incollection_template = get_inproceedings_template

    def get_book_template(self, e: Entry) -> Any:
        return _top[
            _authors_or_editors,
            _title,
            _block(text_field("edition", apply=_ordinal_edition)),
            _block(_imprint),
            _doi,
        ]

    def get_fallback_template(self, e: Entry) -> Any:
        container = first_of[
            optional[text_field("journal")],
            optional[text_field("booktitle")],
            optional[text_field("howpublished")],
            optional[text_field("series")],
        ]
        return _top[
            _authors_or_editors,
            _title,
            _block(container),
            _block(_imprint),
            _block(join(sep=":")[optional[text_field("volume")], optional[_pages]]),
            _url,
            _doi,
        ]

    def format_entry(self, label: str, entry: Entry, bib_data: Any = None) -> Any:
        getter = getattr(self, f"get_{entry.type}_template", self.get_fallback_template)
        context = {"entry": entry, "style": self, "bib_data": bib_data}
        return FormattedEntry(entry.key, getter(entry).format_data(context), label)


# Entries, fingerprints and the cache.

Fields = Mapping[str, str]


def entry_fields(entry: Entry) -> dict[str, str]:
    """A pybtex entry as BibEntry.fields has it: lower-case names, persons as BibTeX text."""
    fields = {name.lower(): str(value) for name, value in entry.fields.items()}
    for role, persons in entry.persons.items():
        fields.setdefault(role.lower(), " and ".join(str(p) for p in persons))
    return fields


def _person(text: str) -> Person:
    try:
        return Person(text)
    except PybtexError:  # e.g. too many commas: keep the name whole
        return Person(last="{" + text + "}")


@functools.lru_cache(maxsize=1 << 16)
def _persons(names: str) -> tuple[Person, ...]:
    """The persons of an author or editor field. Each entry's names are read for its page,
    its BibTeX, RIS and CSL and the whole bibliography: read once, they are shared (kb and
    pybtex only read them)."""
    return tuple(_person(name) for name in split_name_list(names))


def pybtex_entry(entry_type: str, fields: Fields) -> Entry:
    """A pybtex Entry from BibEntry-style fields; author and editor become persons."""
    persons = {
        role: list(_persons(fields[role])) for role in PERSON_ROLES if fields.get(role, "").strip()
    }
    plain = {name: value for name, value in fields.items() if name not in PERSON_ROLES}
    return Entry(entry_type, fields=plain, persons=persons)


def fingerprint(entry_type: str, fields: Fields) -> str:
    blob = json.dumps([entry_type, sorted(fields.items())], ensure_ascii=False)
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=16).hexdigest()


_STYLE: VancouverStyle | None = None
_CACHE: dict[tuple[str, str], str] = {}
_STATS = {"hits": 0, "misses": 0}
_USED: set[tuple[str, str]] = set()
_PYBTEX = importlib.metadata.version("pybtex")
"""Formatting kept between runs is keyed by pybtex's version too: another may format otherwise."""


def cache_info() -> dict[str, int]:
    """Hits, misses and size of the formatting cache, keyed by entry key + field hash."""
    return {**_STATS, "size": len(_CACHE)}


def clear_cache() -> None:
    _CACHE.clear()
    _USED.clear()
    _STATS.update(hits=0, misses=0)


def preload(formatted: dict[str, Any]) -> None:
    """Formatted references kept from an earlier run (`formatted_references`), each keyed by
    its entry's key and content, so an unchanged entry is not formatted again; entries of
    another shape are ignored."""
    for name, text in formatted.items():
        key, _, content = name.rpartition(" ")
        version, _, content = content.rpartition("/")
        if key and version == _PYBTEX and isinstance(text, str):
            _CACHE.setdefault((key, content), text)


def formatted_references() -> dict[str, str]:
    """The references formatted or looked up since the cache was cleared, for `preload`."""
    return {
        f"{key} {_PYBTEX}/{content}": _CACHE[key, content]
        for key, content in sorted(_USED)
        if (key, content) in _CACHE
    }


def format_fields(key: str, entry_type: str, fields: Fields) -> str:
    """The plain-text Vancouver reference of one entry, formatted once per content."""
    global _STYLE
    cache_key = (key, fingerprint(entry_type, fields))
    _USED.add(cache_key)
    cached = _CACHE.get(cache_key)
    if cached is not None:
        _STATS["hits"] += 1
        return cached
    _STATS["misses"] += 1
    if _STYLE is None:
        _STYLE = VancouverStyle()
    entry = pybtex_entry(entry_type, fields)
    entry.key = key
    formatted = _STYLE.format_entry("", entry)
    text = " ".join(str(formatted.text.render(_PLAIN)).split())
    _CACHE[cache_key] = text
    return text


def _lookup(
    entry_key: str, bibliography: Bibliography | BibliographyData
) -> tuple[str, Fields] | None:
    if isinstance(bibliography, Bibliography):
        found = bibliography.get(entry_key)
        return None if found is None else (found.type, found.fields)
    entry = bibliography.entries.get(entry_key)  # case-insensitive in pybtex
    return None if entry is None else (str(entry.type), entry_fields(entry))


def format_reference(entry_key: str, bibliography: Bibliography | BibliographyData) -> str:
    """The Vancouver reference of `entry_key` as plain Unicode text; "" when the bibliography
    has no such entry, so callers can write `format_reference(key, bib) or key`."""
    found = _lookup(entry_key, bibliography)
    return "" if found is None else format_fields(entry_key, *found)


def format_reference_markdown(entry_key: str, bibliography: Bibliography | BibliographyData) -> str:
    """The reference as inert Markdown text (every significant character escaped)."""
    return markup.text(format_reference(entry_key, bibliography))
