"""How alike two titles, journals or family names are, for duplicates (KB407, `kb import`) and
for comparing records with the registries (verification). rapidfuzz does the scoring."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

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


class TitleBlocks:
    """Titles grouped by (year, first author's family name); a title is compared only within its
    block, so the work grows with the size of the blocks, not with the square of the number of
    publications. Used by the check (KB407) and by `kb import`."""

    def __init__(self) -> None:
        self._blocks: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)

    def similar(self, year: str | None, family: str | None, title: str) -> tuple[str, float] | None:
        """The owner of the most alike title in the block, with its score, if over the bar."""
        if not family:
            return None
        processed = utils.default_process(title)
        best: tuple[str, float] | None = None
        for other, owner in self._blocks.get((year or "", fold_family(family)), []):
            score = fuzz.token_sort_ratio(processed, other)
            if score >= TITLE_SIMILARITY and (best is None or score > best[1]):
                best = (owner, score)
        return best

    def add(self, year: str | None, family: str | None, title: str, owner: str) -> None:
        if family:  # a missing year is a block of its own
            key = (year or "", fold_family(family))
            self._blocks[key].append((utils.default_process(title), owner))


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
