"""The shipped knowledge base checks clean, and every number and quote in it can be traced to the
verified source notes it was written from."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

import pytest

from kb.check import check_kb
from kb.corpus import KnowledgeBase, load_kb
from kb.problems import Severity
from kb.rules.numbers import finding_numbers

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = ROOT / "evidence"
LITERATURE = Path(
    os.environ.get("KB_LITERATURE_DIR", ROOT.parent / "shared" / "data" / "literature")
)
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(EVIDENCE)


def normalise(text: str) -> str:
    """Compare text as a reader would: same letters, any whitespace, any quote marks."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-")
    text = re.sub(r"[\u2018\u2019\u201c\u201d\"']", "'", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


NOTES = ("sources.md", "sources-2.md")
"""The source notes: in them, words in double quotation marks are the sources' own."""


def _literature(*names: str) -> list[str]:
    if not LITERATURE.is_dir():
        pytest.skip(f"source notes not found at {LITERATURE} (set KB_LITERATURE_DIR)")
    return [(LITERATURE / name).read_text(encoding="utf-8") for name in names]


@pytest.fixture(scope="module")
def sources_text() -> str:
    texts = _literature(*NOTES, "commentary.txt", "references.bib", "references-2.bib")
    return normalise("\n".join(texts))


@pytest.fixture(scope="module")
def quoted_text() -> str:
    """What the notes quote (between double quotation marks), the titles of the works, and the
    editorial's full text: the only words a record may give as a quote."""
    *notes, commentary, bib, bib2 = _literature(
        *NOTES, "commentary.txt", "references.bib", "references-2.bib"
    )
    spans = [
        "".join(pair)
        for text in notes
        for pair in re.findall(r'"([^"\n]+)"|\u201c([^\u201d\n]+)\u201d', text)
    ]
    titles = re.findall(r"^\s*title\s*=\s*\{(.+)\},?\s*$", bib + bib2, re.MULTILINE)
    return normalise(
        "\n".join([*spans, *(t.replace("{", "").replace("}", "") for t in titles), commentary])
    )


def test_shipped_knowledge_base_has_no_errors(kb: KnowledgeBase) -> None:
    problems = check_kb(kb, TODAY)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert errors == []
    warnings = {
        (p.code, p.path.rsplit("/", 1)[-1]) for p in problems if p.severity is Severity.WARNING
    }
    # CSPAC-1's results were announced for 2025 and no results publication has been found.
    assert warnings == {("KB601", "cspac-1.yaml")}


def test_every_record_kind_is_present(kb: KnowledgeBase) -> None:
    assert len(kb.studies) >= 14
    assert len(kb.claims) >= 8
    assert {"cspac-1", "holipanc"} <= set(kb.trials)
    assert len(kb.concepts) >= 6
    kinds = (kb.studies, kb.claims, kb.trials, kb.concepts, kb.discrepancies)
    assert len(kb.records) == sum(map(len, kinds)), "every record file loads into a valid record"


def _fragments(quote: str) -> list[str]:
    """A quote may elide text with an ellipsis; each part must be in the source."""
    return [part for part in re.split(r"\s*(?:\u2026|\.\.\.)\s*", quote) if part.strip()]


def _quotes(kb: KnowledgeBase) -> list[tuple[str, str]]:
    found = []
    for study, loaded in ((s.record, s) for s in kb.studies.values()):
        found += [(loaded.path, link.quote) for link in study.links if link.quote]
        found += [(loaded.path, finding.quote) for finding in study.findings if finding.quote]
    for concept, loaded in ((c.record, c) for c in kb.concepts.values()):
        found += [(loaded.path, source.quote) for source in concept.sources if source.quote]
    return found


def test_every_quote_is_the_sources_own_words(kb: KnowledgeBase, quoted_text: str) -> None:
    """A quote is the source's words: each part of it stands between quotation marks in the
    notes (or in the editorial itself); anything else is recorded as a paraphrase."""
    missing = [
        (path, fragment)
        for path, quote in _quotes(kb)
        for fragment in _fragments(quote)
        if normalise(fragment.strip().strip('".')) not in quoted_text
    ]
    assert missing == []


def _numbers(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?|\.\d+", text)}


def test_every_number_of_a_paraphrase_is_in_the_source_notes(
    kb: KnowledgeBase, sources_text: str
) -> None:
    """A finding worded by the notes rather than quoted is not checked against a quote (KB708):
    its numbers must then be numbers the notes give."""
    stated = _numbers(sources_text)
    unsourced = [
        (loaded.path, finding.id, number)
        for study, loaded in ((s.record, s) for s in kb.studies.values())
        for finding in study.findings
        if finding.paraphrase and not finding.quote
        for _, number in finding_numbers(finding)
        if number not in stated
    ]
    assert unsourced == []


def test_every_sample_size_is_in_the_source_notes(kb: KnowledgeBase, sources_text: str) -> None:
    stated = _numbers(sources_text)
    sizes = [
        (loaded.path, n)
        for study, loaded in ((s.record, s) for s in kb.studies.values())
        if study.sample_size
        for n in (study.sample_size.enrolled, study.sample_size.analysed)
        if n is not None
    ]
    assert [(path, n) for path, n in sizes if n not in stated] == []


def test_every_verified_identifier_is_in_the_source_notes(
    kb: KnowledgeBase, sources_text: str
) -> None:
    records = [*kb.studies.values(), *kb.trials.values()]
    verified = [
        (loaded.path, identifier["value"])
        for loaded in records
        for identifier in loaded.record.identifiers.model_dump(exclude_none=True).values()
        if identifier["status"] == "verified"
    ]
    assert [(path, value) for path, value in verified if normalise(value) not in sources_text] == []


def test_zanini_never_plainly_supports_the_number_of_metastases_claim(kb: KnowledgeBase) -> None:
    zanini = [
        study
        for study_id, study in ((i, s.record) for i, s in kb.studies.items())
        if "zanini" in study_id
    ]
    assert zanini, "the Zanini series is in the knowledge base"
    for link in zanini[0].links:
        assert link.relation != "supports" or "number" not in link.claim
        if link.relation == "qualifies":
            assert link.note, "a qualifying link says why"
