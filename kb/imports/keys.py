"""Citation keys and study ids for imported references: stable, readable, never reused.

A key is FamilyYearFirstTitleWord ('Muller2024Widgetosis'), an id the same as a slug
('muller-2024-widgetosis'). Both are plain ASCII. When one is taken (keys compare ignoring case,
as BibTeX does), the letters a, b, c ... are added until it is free, so the same export imported
into the same knowledge base always gives the same names.
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Iterator

_LETTERS = {
    "ø": "o",
    "Ø": "O",
    "æ": "ae",
    "Æ": "Ae",
    "œ": "oe",
    "Œ": "Oe",
    "ß": "ss",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "Th",
    "ð": "d",
    "Ð": "D",
    "\u0131": "i",
}
"""Letters that Unicode does not decompose into a base letter and a mark."""
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "does",
        "do",
        "for",
        "from",
        "how",
        "in",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "versus",
        "vs",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "without",
    }
)


def ascii_fold(text: str) -> str:
    """'Müller' -> 'Muller', 'Øster' -> 'Oster', 'Nguyễn' -> 'Nguyen'."""
    text = "".join(_LETTERS.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", ascii_fold(text).replace("'", ""))


def first_title_word(title: str) -> str:
    """The first word of the title that is not a stop word: 'The widget...' -> 'Widget'."""
    for word in _words(title):
        if word.lower() not in STOP_WORDS:
            return word if word.isupper() else word[:1].upper() + word[1:].lower()
    return ""


def _family(family: str | None) -> list[str]:
    return _words(family or "") or ["Anon"]


def _suffixes() -> Iterator[str]:
    yield ""
    for size in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=size):
            yield "".join(letters)


def citation_key(family: str | None, year: str | None, title: str, taken: set[str]) -> str:
    """A key not in `taken` (casefolded keys); the caller adds it there."""
    base = "".join(w[:1].upper() + w[1:] for w in _family(family)) + (year or "")
    base += first_title_word(title)
    return next(base + s for s in _suffixes() if (base + s).casefold() not in taken)


def study_id(family: str | None, year: str | None, title: str, taken: set[str]) -> str:
    """A record id not in `taken`; the caller adds it there."""
    parts = [w.lower() for w in _family(family)]
    parts += [year] if year else []
    parts += [first_title_word(title).lower()] if first_title_word(title) else []
    base = "-".join(parts)
    return next(
        base + (f"-{s}" if s else "")
        for s in _suffixes()
        if base + (f"-{s}" if s else "") not in taken
    )


def kept_key(key: str, taken: set[str]) -> str:
    """The exporter's own key, with a, b, ... added when it is taken; the caller adds it."""
    return next(key + s for s in _suffixes() if (key + s).casefold() not in taken)


_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\)")


def trial_id(title: str, registry: dict[str, str], taken: set[str]) -> str:
    """A trial's record id: its acronym when the title ends with one in brackets ('... (CSPAC-1)'
    -> 'cspac-1'), else its registry number ('nct01234567', 'eudract-2019-002734-37')."""
    acronyms: list[str] = _ACRONYM.findall(ascii_fold(title))
    if acronyms and len(acronyms[-1]) >= 3:
        base = acronyms[-1].lower()
    elif "nct" in registry:
        base = registry["nct"].lower()
    else:
        base = f"eudract-{registry.get('eudract', 'trial')}"
    return next(
        base + (f"-{s}" if s else "")
        for s in _suffixes()
        if base + (f"-{s}" if s else "") not in taken
    )
