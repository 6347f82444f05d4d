"""Search terms a page does not spell out. Where the searchable text of a generated page names a
glossary concept by one of its names (term, synonyms, abbreviation), the concept's other names
are added at the end of the page's first section in a paragraph with the `hidden` attribute: the
search index reads it, but no screen shows it, no screen reader reads it and no printer prints
it. So a search for "neoadjuvant" finds the trial whose page only says "induction
chemotherapy"."""

from __future__ import annotations

import html
import re

from kb.corpus import KnowledgeBase
from kb.markup import NOT_SEARCHED, NOT_SEARCHED_OPEN

_HEADING = re.compile(r"^(#{1,6}) ")


class SearchTerms:
    """The glossary's names, matched in one pass over a page: terms and synonyms ignoring case,
    abbreviations as written."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.concepts: list[tuple[str, ...]] = []
        self.concept_of: dict[str, int] = {}  # casefolded term or synonym, or abbreviation
        words: set[str] = set()
        shorts: set[str] = set()
        for _, concept_file in sorted(kb.concepts.items()):
            concept = concept_file.record
            short = [_flat(concept.abbreviation or "")]
            names = [_flat(n) for n in (concept.term, *concept.synonyms)]
            names = list(dict.fromkeys(n for n in names + short if n))
            self.concepts.append(tuple(names))
            for name in names:
                key = name if name in short else name.casefold()
                self.concept_of.setdefault(key, len(self.concepts) - 1)
                (shorts if name in short else words).add(key)
        self._words = _any_of(words)
        self._shorts = _any_of(shorts)

    def add_to(self, page: str) -> str:
        """The Markdown `page` with the names it lacks of each concept its searchable sections
        name, before its second heading; unchanged when it names none or has no heading."""
        lines = page.split("\n")
        headings = [i for i, line in enumerate(lines) if _HEADING.match(line)]
        if not headings:
            return page
        text = _flat(html.unescape("\n".join(_searchable(lines))))
        named = {m.group(1) for m in self._words.finditer(text.casefold())}
        named |= {m.group(1) for m in self._shorts.finditer(text)}
        missing: list[str] = []
        for index in sorted({self.concept_of[name] for name in named}):
            for name in self.concepts[index]:
                if name not in named and name.casefold() not in named and name not in missing:
                    missing.append(name)
        if not missing:
            return page
        terms = html.escape("Other names: " + ", ".join(missing), quote=True)
        at = headings[1] if len(headings) > 1 else len(lines)
        lines[at:at] = [f'<p hidden class="kb-search-terms">{terms}</p>', ""]
        return "\n".join(lines)


def _searchable(lines: list[str]) -> list[str]:
    """The lines outside the sections and blocks kept out of the search index
    (`markup.NOT_SEARCHED`, `markup.not_searched`)."""
    kept, skipping = [], 0  # the level of the heading that started the skipped section
    in_block = False
    for line in lines:
        heading = _HEADING.match(line)
        if heading and skipping and len(heading.group(1)) <= skipping:
            skipping = 0
        if heading and not skipping and line.endswith(NOT_SEARCHED):
            skipping = len(heading.group(1))
        if line == NOT_SEARCHED_OPEN:
            in_block = True
        if not skipping and not in_block:
            kept.append(line)
        if in_block and line == "</div>":
            in_block = False
    return kept


def _flat(value: str) -> str:
    return " ".join(value.split())


def _any_of(names: set[str]) -> re.Pattern[str]:
    """Any of the names as a whole word, at every position (a lookahead, so a name inside a
    longer one that starts elsewhere is found too); the longest first where several start.
    Without names, a pattern that matches nothing."""
    if not names:
        return re.compile(r"(?!)")
    choices = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(rf"(?=(?<!\w)({choices})(?!\w))")
