"""How a reader names a study: 'Oweira et al. 2017', from its bibliography entry."""

from __future__ import annotations

from kb.corpus import KnowledgeBase


def study_label(kb: KnowledgeBase, study_id: str) -> str:
    """'Oweira et al. 2017'; without a verified author, the study's own `label` (its authors
    unverified, as its page says), else the start of the title."""
    study = kb.study(study_id)
    entry = kb.bibliography.get(study.cite)
    if entry is None:
        return study.label or study_id
    family = entry.first_author_family
    if not family and study.label:
        return study.label
    if family:
        others = (
            " et al."
            if len(entry.authors) > 2
            else (f" and {entry.authors[1]}" if len(entry.authors) == 2 else "")
        )
        return f"{family}{others} {entry.year}" if entry.year else f"{family}{others}"
    title = entry.title or study_id
    short = title if len(title) <= 60 else title[:57].rsplit(" ", 1)[0] + "…"
    return f"{short} {entry.year}" if entry.year else short
