"""The shipped knowledge base checks clean, and every number and quote in it can be traced to the
verified source notes it was written from."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from pybtex.database import parse_string

from kb.check import check_kb
from kb.corpus import KnowledgeBase, load_kb
from kb.evidence import Evidence
from kb.problems import Severity
from kb.render.common import Site
from kb.render.overview import render_graph_page
from kb.render.site import render_site
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
    assert len(kb.studies) >= 20
    assert len(kb.claims) >= 15
    assert {"cspac-1", "holipanc", "sonar"} <= set(kb.trials)
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


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def test_words_in_quotation_marks_anywhere_in_a_record_are_the_sources_own(
    kb: KnowledgeBase, quoted_text: str
) -> None:
    """Summaries, notes, statements and arm descriptions may quote a source too, and the site
    shows those quotation marks as they are: what they hold must be the source's words. A single
    quoted word (a term, a label) is not a quotation."""
    records = [
        *kb.studies.values(),
        *kb.claims.values(),
        *kb.trials.values(),
        *kb.concepts.values(),
        *kb.discrepancies.values(),
    ]
    misquoted = [
        (loaded.path, fragment)
        for loaded in records
        for text in _texts(loaded.record.model_dump())
        for span in re.findall(r'"([^"]+)"|\u201c([^\u201d]+)\u201d', text)
        for fragment in _fragments("".join(span))
        if len(fragment.split()) >= 2 and normalise(fragment.strip().strip('".')) not in quoted_text
    ]
    assert misquoted == []


def test_every_number_a_claim_or_trial_states_is_in_the_source_notes(
    kb: KnowledgeBase, sources_text: str
) -> None:
    """A claim's statement and note, and a trial's summary, note and enrolment, are read as
    facts: their numbers must be numbers the notes give."""
    stated = _numbers(sources_text)
    texts = [
        (loaded.path, text)
        for loaded in kb.claims.values()
        for text in (loaded.record.statement, loaded.record.note or "")
    ] + [
        (loaded.path, text)
        for loaded in kb.trials.values()
        for text in (
            loaded.record.summary or "",
            loaded.record.note or "",
            str(loaded.record.enrollment.count) if loaded.record.enrollment else "",
        )
    ]
    unsourced = [
        (path, number) for path, text in texts for number in _numbers(text) if number not in stated
    ]
    assert unsourced == []


SECOND_BATCH = {
    # study id: (design, {finding id: the numbers the notes give for it})
    "dunschede-liver-mets-treatment": (
        "retrospective-cohort",
        {"os-synchronous": {8, 11, 14}, "os-metachronous": {31, 11, 9}},
    ),
    "hank-2023-conversion-surgery": (
        "retrospective-cohort",
        {"os-by-resection-and-ypm": {25.5, 10.7, 8.1, 80, 173, 0.001}},
    ),
    "su-2021-seer-liver-mets": (
        "registry-analysis",
        {
            "hr-spl-vs-no-resection": {0.162, 0.118, 0.222, 0.001},
            "css-by-surgery": {54, 34, 15, 3, 93, 88, 232, 14248},
            "share-with-combined-resection": {0.7, 14248},
        },
    ),
    "japanese-multicentre-liver-oligometastasis": (
        "retrospective-cohort",
        {
            "os-preoperative-chemo-vs-upfront": {37.4, 20.4, 0.001, 60},
            "hr-ca19-9-under-100": {0.25, 0.06, 0.96, 0.043, 60},
            "hr-cea-under-5": {0.14, 0.04, 0.48, 0.002, 60},
            "hr-r-or-br-pv": {0.19, 0.07, 0.51, 0.001, 60},
        },
    ),
    "liver-only-synchronous-metastases-review-2020": (
        "systematic-review",
        {"os-upfront-vs-preoperative": {7.6, 14.5, 34, 56, 204}},
    ),
}


@pytest.mark.parametrize("study_id", sorted(SECOND_BATCH))
def test_the_second_batch_carries_the_figures_of_the_notes(
    kb: KnowledgeBase, study_id: str
) -> None:
    design, expected = SECOND_BATCH[study_id]
    study = kb.studies[study_id].record
    assert study.design == design
    findings = {finding.id: finding for finding in study.findings}
    for finding_id, numbers in expected.items():
        assert {number for _, number in finding_numbers(findings[finding_id])} == numbers


def test_hackert_is_an_analysis_of_a_database_not_a_prospective_cohort(kb: KnowledgeBase) -> None:
    """The notes say 'prospective database': the database was kept prospectively, not the
    study planned before the operations."""
    assert kb.studies["hackert-2017-oligometastatic"].record.design == "retrospective-cohort"


def test_fields_the_notes_leave_unverified_stay_out(kb: KnowledgeBase) -> None:
    bibliography = kb.bibliography
    for key, absent in {
        "Dunschede2010LiverMets": {"author", "journal", "year", "doi", "pmid"},
        "JapanMulticenterLiverOligo": {"author", "journal", "year", "pmid"},
        "UpdatesSurg2020SystematicReview": {"author"},
    }.items():
        entry = bibliography.get(key)
        assert entry is not None, key
        assert absent.isdisjoint(entry.fields) and not entry.authors, key
        for name in absent - {"doi", "pmid"} | {"author"}:
            assert entry.declared_unverified(name), (key, name)
    identifiers = {
        study_id: set(kb.studies[study_id].record.identifiers.model_dump(exclude_none=True))
        for study_id in (
            "dunschede-liver-mets-treatment",
            "japanese-multicentre-liver-oligometastasis",
            "liver-only-synchronous-metastases-review-2020",
        )
    }
    assert identifiers == {
        "dunschede-liver-mets-treatment": set(),
        "japanese-multicentre-liver-oligometastasis": {"doi"},
        "liver-only-synchronous-metastases-review-2020": {"doi", "pmid"},
    }


def test_sources_finding_no_survival_benefit_refute_the_survival_claims(
    kb: KnowledgeBase,
) -> None:
    survival = {
        "simultaneous-resection-improves-os-vs-chemo",
        "synchronous-resection-after-chemo-may-prolong-survival",
    }
    dunschede = kb.studies["dunschede-liver-mets-treatment"].record
    assert {link.claim for link in dunschede.links if link.relation == "refutes"} == survival
    editorial = kb.studies["shi-yu-2018-time-to-think"].record
    (failed,) = [
        link
        for link in editorial.links
        if link.claim == "simultaneous-resection-improves-os-vs-chemo"
    ]
    assert failed.relation == "refutes"
    assert "failed to produce survival benefits" in (failed.quote or "")


def test_a_single_arm_trial_tests_no_comparison(kb: KnowledgeBase) -> None:
    """Without a group left untreated, a trial can measure a rate but cannot show that one
    treatment does better than another."""
    for loaded in kb.trials.values():
        trial = loaded.record
        if trial.design.model != "single-group":
            continue
        for claim_id in trial.tests:
            effects = {outcome.effect for outcome in kb.claims[claim_id].record.outcomes}
            assert effects == {"estimate"}, (trial.id, claim_id)


def test_sonar_is_recorded_as_the_notes_give_it(kb: KnowledgeBase) -> None:
    sonar = kb.trials["sonar"].record
    assert sonar.identifiers.nct is not None and sonar.identifiers.nct.value == "NCT06690528"
    assert sonar.design.allocation == "randomized"
    assert sonar.enrollment is not None and sonar.enrollment.count == 56
    assert sonar.phase == "not-recorded" and sonar.status is None and not sonar.publications
    assert "simultaneous-resection-improves-os-vs-chemo" in sonar.tests


HEDGES = re.compile(
    r"\b(may|might|could|proposed|argued|described|reports?|reported|not known|no randomised"
    r"|one (?:centre|cohort|series|study))\b"
)


def test_claims_without_high_certainty_say_so_in_their_words(kb: KnowledgeBase) -> None:
    """A clinician reads the statement first: one resting on low or very low certainty
    evidence, or on none that GRADE rates, must not read as settled."""
    evidence = Evidence(kb)
    settled = [
        claim_id
        for claim_id, loaded in sorted(kb.claims.items())
        if evidence.certainty(claim_id).final in {None, "low", "very-low"}
        and not HEDGES.search(loaded.record.statement)
    ]
    assert settled == []


def test_the_whole_graph_names_records_as_readers_know_them(kb: KnowledgeBase) -> None:
    """Studies by author and year, claims by their subject, trials by acronym: no record id is
    drawn as text in the figure (ids stay in the links only)."""
    page = render_graph_page(Site(Evidence(kb), TODAY, TODAY))["graph.md"]
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    drawn = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Crippa et al. 2016" in drawn and "CSPAC-1" in drawn
    assert "the Lewis-negative phenotype" in drawn
    ids = set(kb.studies) | set(kb.claims)
    assert not [text for text in drawn if text in ids]


INTERNAL_WORDS = re.compile(
    r"(?i:sources\.md|sources-2\.md|commentary\.txt|source notes)|UNVERIFIED|DISCREPANCY"
)
"""The project's private working vocabulary: the names of its verification files, and the
capitalised markers of those notes. A clinician learns nothing from "sources.md 7a"; pages say
where in the publication a fact is, and "not verified" in plain words."""


def _shown_text(name: str, data: bytes) -> str:
    """What a reader sees: entities decoded, Markdown escapes dropped, lines joined. A BibTeX
    download keeps the UNVERIFIED marker of references.bib in each entry's note, where kb reads
    it (KB410, BibEntry.declared_unverified) and no page shows it; everything else must not."""
    text = data.decode("utf-8")
    if name.endswith(".bib"):
        entries = parse_string(text, "bibtex").entries.values()
        text = "\n".join(
            value.replace("UNVERIFIED", "") if field == "note" else value
            for entry in entries
            for field, value in entry.fields.items()
        )
    text = re.sub(r"\\(.)", r"\1", html.unescape(text))
    return re.sub(r"\s+", " ", text)


def test_no_page_shows_the_projects_working_vocabulary(kb: KnowledgeBase) -> None:
    """Every generated page, and every download, speaks of the publication, never of the
    project's own notes: where in the publication a fact is, or that it is not verified."""
    pages = render_site(Site(Evidence(kb), TODAY, TODAY))
    assert any(name.startswith("studies/") for name in pages), "the study pages are generated"
    found = [
        (name, text[max(0, match.start() - 60) : match.end() + 60])
        for name, data in sorted(pages.items())
        for text in [_shown_text(name, data)]
        for match in INTERNAL_WORDS.finditer(text)
    ]
    assert found == []
