"""How alike two titles, journals or family names are, for duplicates (KB407, `kb import`) and
for comparing records with the registries (verification). rapidfuzz does the scoring."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from kb.cite import latex_to_text

TITLE_SIMILARITY = 92.0
"""rapidfuzz token-sort ratio (0-100) above which two titles are taken as the same paper."""
_RETRACTED_PREFIX = re.compile(
    r"^\s*(retracted( article)?|retraction|withdrawn)\s*[:.]\s*", re.IGNORECASE
)


def fold_family(family: str) -> str:
    """A family name as blocks compare it: without particles, accents or case, so 'van der
    Berg', 'Berg' and 'M{\\"u}ller'/'Müller'/'Muller' each fall in one block."""
    words = family.split()
    while len(words) > 1 and words[0][:1].islower():
        words.pop(0)
    decomposed = unicodedata.normalize("NFKD", " ".join(words))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class TitleMatch:
    owner: str
    score: float
    by_title_only: bool
    """True when the first author or the year is missing on one side, so only the titles could
    be compared (KB413, KB810); False for the same first author and years at most one apart
    (KB407, KB805)."""


class TitleBlocks:
    """The rule for the same publication entered twice, once its identifiers differ or are
    missing: titles at least `TITLE_SIMILARITY` alike, with the same first author and years at
    most one apart (a paper dated by its online year, then by its print year), or, when either
    side lacks its first author or year, titles alike alone (long enough to tell papers apart).

    Titles are grouped by first author's family name, so a title with both is compared only
    within its block and the work grows with the size of the blocks, not with the square of the
    number of publications. Used by the check (KB407, KB413) and by `kb import`."""

    def __init__(self) -> None:
        self._blocks: dict[str, list[tuple[int | None, str, str]]] = defaultdict(list)
        self._incomplete: list[tuple[int | None, str | None, str, str]] = []
        """Titles whose first author or year is missing: compared with every title."""
        self._all: list[tuple[int | None, str | None, str, str]] = []

    def similar(self, year: str | None, family: str | None, title: str) -> TitleMatch | None:
        """The most alike earlier title by the rule, if any; a match on author and year wins
        over a match on the title alone."""
        processed = utils.default_process(title)
        folded = fold_family(family) if family else None
        number = _year(year)
        if folded is not None and number is not None:
            candidates = [
                (y, folded, t, o) for y, t, o in self._blocks.get(folded, [])
            ] + self._incomplete
        else:
            candidates = self._all
        best: TitleMatch | None = None
        for other_year, other_family, other, owner in candidates:
            if folded and other_family and other_family != folded:
                continue
            if number is not None and other_year is not None and abs(number - other_year) > 1:
                continue
            only_title = None in (folded, other_family, number, other_year)
            if only_title and len(processed.split()) < _TITLE_ONLY_WORDS:
                continue
            score = fuzz.token_sort_ratio(processed, other)
            if score < TITLE_SIMILARITY:
                continue
            found = TitleMatch(owner, score, only_title)
            if best is None or (only_title, -score) < (best.by_title_only, -best.score):
                best = found
        return best

    def add(self, year: str | None, family: str | None, title: str, owner: str) -> None:
        processed = utils.default_process(title)
        folded = fold_family(family) if family else None
        number = _year(year)
        self._all.append((number, folded, processed, owner))
        if folded is not None and number is not None:
            self._blocks[folded].append((number, processed, owner))
        else:
            self._incomplete.append((number, folded, processed, owner))


_TITLE_ONLY_WORDS = 4
"""Shortest title (in words) matched on its own: 'Editorial' or 'Reply' names no one paper."""


def _year(year: str | None) -> int | None:
    match = re.match(r"\s*([0-9]{4})", year or "")
    return int(match.group(1)) if match else None


def _words(text: str) -> str:
    text = unicodedata.normalize("NFKD", latex_to_text(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", " ", text.replace("&", " and ")).split())


def title_similarity(ours: str, theirs: str) -> int:
    """0-100: the same title written alike scores 100; a subset of a long title does too. A
    registry's 'Retracted:' prefix is not counted against the title."""
    a, b = _words(ours), _words(_RETRACTED_PREFIX.sub("", theirs))
    score = fuzz.token_sort_ratio(a, b)
    if min(len(a.split()), len(b.split())) >= 4:
        score = max(score, fuzz.token_set_ratio(a, b))
    return round(score)


def journal_similarity(ours: str, theirs: str) -> int:
    """0-100, ignoring a leading 'The' and abbreviation dots."""
    a = " ".join(w for w in _words(ours).split() if w != "the")
    b = " ".join(w for w in _words(theirs).split() if w != "the")
    return round(max(fuzz.token_set_ratio(a, b), fuzz.ratio(a, b)))


def same_family(ours: str, theirs: str) -> bool:
    """The same family name, however accented or spaced, or one a prefix of the other."""
    a, b = _words(ours).replace(" ", ""), _words(theirs).replace(" ", "")
    return bool(a and b) and (a == b or a.startswith(b) or b.startswith(a))
