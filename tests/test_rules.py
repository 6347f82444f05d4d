"""Every problem code, produced by a small change to the minimal knowledge base.

Each row of `ROWS` changes the fixture (edits of one file's text, added, replaced or removed
files, symbolic links) and lists every problem the whole check must then report, as
(code, path, line, column). Where the row says what text must stand at a position (`at`), the
test also reads the file there, so a position cannot drift off the offending value unnoticed.

The full text line of each code is kept in tests/golden/messages.txt. Regenerate it with
`KB_REGENERATE=1 .venv/bin/python -m pytest tests/test_rules.py`; never edit it by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import locks
import pytest
from conftest import TODAY, FileText, check_tree, minimal_kb, write_tree

from kb.corpus import modeline
from kb.load import MAX_DEPTH, MAX_FILE_BYTES, MAX_STRING_CHARS, MAX_VALUES
from kb.problems import CHECK_CODES, Problem
from kb.report import format_text

GOLDEN = Path(__file__).parent / "golden" / "messages.txt"
REGENERATE = os.environ.get("KB_REGENERATE") == "1"

BIB = "references.bib"
SMITH = "studies/smith-2020.yaml"
JONES = "studies/jones-2021.yaml"
DRUG = "claims/drug-x-improves-survival.yaml"
LIVER = "claims/liver-metastases-predict-survival.yaml"
TRIAL = "trials/drug-x-trial.yaml"
CONCEPT = "concepts/hazard-ratio.yaml"
BROKEN = "studies/broken.yaml"
LOCK = "sources.lock.json"
STUDY_LINE = modeline("study") + "\n"


@dataclass(frozen=True)
class E:
    """One expected problem; `at` is the text the file holds at that position."""

    code: str
    path: str
    line: int
    col: int
    at: str | None = None


@dataclass(frozen=True)
class Row:
    id: str
    expected: tuple[E, ...]
    edits: tuple[tuple[str, str, str], ...] = ()
    """(path, old, new): `old` must occur exactly once in the fixture file."""
    files: Mapping[str, FileText | None] = field(default_factory=dict)
    """Files added or replaced; None removes the fixture's file."""
    symlinks: Mapping[str, str] = field(default_factory=dict)
    """Link path -> target, both relative to the knowledge base folder."""
    today: dt.date = TODAY


EXTRA_STUDY_LEE = f"""\
{modeline("study")}
id: lee-2019
cite: lee2019
design: narrative-review
question: prognosis
"""
EXTRA_BIB_LEE = """
@book{lee2019,
  editor    = {Lee, Ann},
  title     = {Handbook of liver metastases},
  publisher = {Evidence Press},
  year      = {2019},
}
"""
LEE_LINK = """\
links:
  - claim: drug-x-improves-survival
    relation: qualifies
    rests_on: text
    locator: Chapter 2
"""
SMITH_TWIN = f"""\
{modeline("study")}
id: smith-2020b
cite: smith2020b
design: rct
question: treatment-benefit
links:
  - claim: drug-x-improves-survival
    relation: supports
    rests_on: text
    locator: Abstract
"""
BIB_SMITH_TWIN = """
@article{smith2020b,
  author  = {Smith, John},
  title   = {Drug X after resection of the primary tumor: a randomized trial},
  journal = {Journal of Trials},
  year    = {2020},
}
"""
LONELY_CLAIM = f"""\
{modeline("claim")}
id: lonely-claim
statement: Nothing supports this.
subject: nothing
question: diagnosis
topic: diagnosis
outcomes:
  - {{id: accuracy, name: accuracy, importance: critical, effect: estimate}}
"""
SECOND_LINK = """\
  - claim: drug-x-improves-survivl
    relation: qualifies
    rests_on: text
    locator: Table 3
"""


OUTCOME = "  - {{id: {id}, name: another, importance: critical, effect: decrease}}\n"
CURATED = """\
    certainty:
      rating: {rating}
      rationale: One cohort only.
"""
MACRO_BOMB = (
    '@string{m0 = "'
    + "x" * 64
    + '"}\n'
    + "".join(f"@string{{m{i} = m{i - 1} # m{i - 1}}}\n" for i in range(1, 27))
)


def _billion_laughs() -> str:
    lines = [
        STUDY_LINE.rstrip("\n"),
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    names = "abcdefghij"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


ROWS: tuple[Row, ...] = (
    # ---- KB1xx: reading files
    Row(
        "non-utf8-byte",
        (E("KB101", BROKEN, 2, 7),),
        files={BROKEN: STUDY_LINE.encode() + b"id: br\xffoken\n"},
    ),
    Row(
        "control-character-after-multibyte-text",
        (E("KB101", BROKEN, 2, 8, "\x01"),),
        files={BROKEN: STUDY_LINE + "id: \u00e9\u00e9\u00e9\x01\n"},
    ),
    Row(
        "symlink-outside-the-knowledge-base",
        (E("KB101", "studies/outside.yaml", 1, 1),),
        files={"../elsewhere.yaml": STUDY_LINE + "id: outside\n"},
        symlinks={"studies/outside.yaml": "../../elsewhere.yaml"},
    ),
    Row(
        "dangling-symlink",
        (E("KB101", "studies/dangling.yaml", 1, 1),),
        symlinks={"studies/dangling.yaml": "missing.yaml"},
    ),
    Row(
        "bibliography-not-utf8",
        (E("KB101", BIB, 15, 21, "\ufffdReports"),),
        edits=((BIB, "Cohort Reports", "Cohort \udcffReports"),),
    ),
    Row(
        "yaml-syntax-error",
        (E("KB102", BROKEN, 4, 5, ": x"),),
        files={BROKEN: STUDY_LINE + "id: broken\nsummary: [a, b\nnote: x\n"},
    ),
    Row(
        "value-that-its-tag-cannot-read",
        (E("KB102", SMITH, 59, 10, "!!int"),),
        edits=((SMITH, "summary: A randomised", "summary: !!int A randomised"),),
    ),
    Row(
        "tab-in-indentation",
        (E("KB103", BROKEN, 4, 1, "\tpopulation"),),
        files={BROKEN: STUDY_LINE + "id: broken\npico:\n\tpopulation: adults\n"},
    ),
    Row(
        "duplicate-key",
        (E("KB104", SMITH, 60, 1, "summary: again"),),
        edits=((SMITH, "of drug X.\n", "of drug X.\nsummary: again\n"),),
    ),
    Row(
        "alias",
        (E("KB105", BROKEN, 4, 7, "*s"),),
        files={BROKEN: STUDY_LINE + "id: broken\nsummary: &s text\nnote: *s\n"},
    ),
    Row(
        "billion-laughs",
        (
            *(E("KB105", BROKEN, 3, col, "*a") for col in range(8, 41, 4)),
            E("KB105", BROKEN, 4, 8, "*b"),
        ),
        files={BROKEN: _billion_laughs()},
    ),
    Row(
        "file-over-the-size-limit",
        (E("KB106", BROKEN, 1, 1),),
        files={BROKEN: STUDY_LINE + "id: big\n" + "# padding\n" * (MAX_FILE_BYTES // 10)},
    ),
    Row(
        "nesting-too-deep",
        (E("KB107", BROKEN, 3, 6 + MAX_DEPTH, "["),),
        files={BROKEN: STUDY_LINE + "id: broken\nnote: " + "[" * 40 + "]" * 40 + "\n"},
    ),
    Row(
        "root-is-a-list",
        (E("KB108", BROKEN, 2, 1, "- id"),),
        files={BROKEN: STUDY_LINE + "- id: broken\n- cite: x\n"},
    ),
    Row(
        "root-is-a-scalar",
        (E("KB108", BROKEN, 2, 1, "just"),),
        files={BROKEN: STUDY_LINE + "just some text\n"},
    ),
    Row(
        "empty-file",
        (E("KB108", BROKEN, 1, 1),),
        files={BROKEN: STUDY_LINE},
    ),
    Row(
        "modeline-of-another-kind",
        (E("KB109", SMITH, 1, 1, "# yaml"),),
        edits=((SMITH, "study.schema.json", "claim.schema.json"),),
    ),
    Row(
        "modeline-missing",
        (E("KB109", JONES, 1, 1, "id: jones"),),
        edits=((JONES, STUDY_LINE, ""),),
    ),
    Row(
        "two-documents",
        (E("KB110", BROKEN, 3, 1, "---"),),
        files={BROKEN: STUDY_LINE + "id: broken\n---\nid: again\n"},
    ),
    Row(
        "key-that-is-a-number",
        (E("KB111", SMITH, 20, 3, "2020"),),
        edits=(
            (SMITH, "  outcome: overall survival\n", "  outcome: overall survival\n  2020: x\n"),
        ),
    ),
    Row(
        "key-that-is-a-boolean",
        (E("KB111", JONES, 10, 1, "yes"),),
        edits=((JONES, "question: prognosis\n", "question: prognosis\nyes: no\n"),),
    ),
    Row(
        "string-too-long",
        (E("KB112", SMITH, 59, 10, "xxx"),),
        edits=((SMITH, "A randomised trial of drug X.", "x" * (MAX_STRING_CHARS + 1)),),
    ),
    Row(
        "files-outside-the-record-folders",
        (
            E("KB113", "claims/other.yml", 1, 1),
            E("KB113", "stray.yaml", 1, 1),
            E("KB113", "studies/notes.txt", 1, 1),
        ),
        files={"studies/notes.txt": "notes\n", "claims/other.yml": "id: x\n", "stray.yaml": ""},
    ),
    Row(
        "too-many-values",
        # the root, 'id', 'broken', 'tags' and the list are the first five values
        (E("KB114", BROKEN, 3, 8 + 2 * (MAX_VALUES - 5), "x,x"),),
        files={BROKEN: STUDY_LINE + "id: broken\ntags: [" + "x," * MAX_VALUES + "x]\n"},
    ),
    Row(
        "site-configuration-gains-hooks",
        (E("KB115", "../mkdocs.yml", 2, 1, "hooks:"),),
        files={"../mkdocs.yml": "site_name: x\nhooks:\n  - hooks.py\n"},
    ),
    # ---- KB2xx: record schema
    Row(
        "number-in-quotes",
        (E("KB201", SMITH, 21, 13, '"520"'),),
        edits=((SMITH, "enrolled: 520", 'enrolled: "520"'),),
    ),
    Row(
        "number-with-words-around-it",
        (E("KB201", SMITH, 21, 13, "520 patients"),),
        edits=((SMITH, "enrolled: 520", "enrolled: 520 patients"),),
    ),
    Row(
        "text-where-a-list-belongs",
        (E("KB201", JONES, 10, 7, "oncology"),),
        edits=((JONES, "question: prognosis\n", "question: prognosis\ntags: oncology\n"),),
    ),
    Row(
        "missing-nested-field",
        (E("KB202", TRIAL, 21, 1, "enrollment"),),
        edits=((TRIAL, "  type: actual\ndates", "dates"),),
    ),
    Row(
        "missing-top-level-field",
        (E("KB202", DRUG, 1, 1),),
        edits=((DRUG, "topic: treatment\n", ""),),
    ),
    Row(
        "value-not-in-the-list",
        (E("KB203", TRIAL, 11, 8, "phase3"),),
        edits=((TRIAL, "phase: phase-3", "phase: phase3"),),
    ),
    Row(
        "unknown-field",
        (E("KB204", SMITH, 59, 1, "summray"),),
        edits=((SMITH, "summary:", "summray:"),),
    ),
    Row(
        "unknown-nested-field",
        (E("KB204", SMITH, 36, 5, "pvalue"),),
        edits=((SMITH, "    p: 0.003", "    pvalue: 0.003"),),
    ),
    Row(
        "month-13",
        (E("KB205", SMITH, 25, 8, "2018-13"),),
        edits=((SMITH, "end: 2018-11", "end: 2018-13"),),
    ),
    Row(
        "day-not-in-the-calendar",
        (E("KB205", SMITH, 9, 14, "2023-02-30"),),
        edits=((SMITH, "checked: 2024-01-15", "checked: 2023-02-30"),),
    ),
    Row(
        "id-not-a-slug",
        (
            E("KB205", JONES, 25, 12, "Liver_metastases"),
            E("KB305", JONES, 2, 5, "jones-2021"),
            E("KB304", LIVER, 2, 5, "liver"),
        ),
        edits=((JONES, "claim: liver-metastases-predict", "claim: Liver_metastases-predict"),),
    ),
    Row(
        "link-without-quote-or-locator",
        (
            E("KB205", JONES, 25, 5, "claim"),
            E("KB305", JONES, 2, 5, "jones-2021"),
            E("KB304", LIVER, 2, 5, "liver"),
        ),
        edits=((JONES, "    locator: Discussion\n", ""),),
    ),
    # ---- KB3xx: ids and the claim-evidence graph
    Row(
        "unknown-claim",
        (E("KB301", SMITH, 59, 12, "drug-x-improves-survivl"),),
        edits=(
            (
                SMITH,
                "    findings: [{finding: os-hr, outcome: overall-survival}]\n",
                "    findings: [{finding: os-hr, outcome: overall-survival}]\n" + SECOND_LINK,
            ),
        ),
    ),
    Row(
        "duplicate-id",
        (
            E("KB302", "concepts/other.yaml", 2, 5, "hazard-ratio"),
            E("KB303", "concepts/other.yaml", 2, 5, "hazard-ratio"),
        ),
        files={"concepts/other.yaml": minimal_kb()[CONCEPT]},
    ),
    Row(
        "file-name-differs-from-id",
        (E("KB303", "concepts/hr.yaml", 2, 5, "hazard-ratio"),),
        files={CONCEPT: None, "concepts/hr.yaml": minimal_kb()[CONCEPT]},
    ),
    Row(
        "claim-without-evidence",
        (E("KB304", "claims/lonely-claim.yaml", 2, 5, "lonely-claim"),),
        files={"claims/lonely-claim.yaml": LONELY_CLAIM},
    ),
    Row(
        "study-linked-to-nothing",
        (E("KB305", "studies/lee-2019.yaml", 2, 5, "lee-2019"),),
        edits=(
            (
                BIB,
                "  pmcid   = {PMC6924808},\n}\n",
                "  pmcid   = {PMC6924808},\n}\n" + EXTRA_BIB_LEE,
            ),
        ),
        files={"studies/lee-2019.yaml": EXTRA_STUDY_LEE},
    ),
    Row(
        "dependency-cycle",
        (E("KB306", DRUG, 10, 5, "liver"),),
        edits=(
            (
                DRUG,
                "topic: treatment\n",
                "topic: treatment\ndepends_on:\n  - liver-metastases-predict-survival\n",
            ),
        ),
    ),
    Row(
        "claim-depends-on-itself",
        (E("KB306", DRUG, 10, 5, "drug-x"),),
        edits=(
            (
                DRUG,
                "topic: treatment\n",
                "topic: treatment\ndepends_on:\n  - drug-x-improves-survival\n",
            ),
        ),
    ),
    Row(
        "contested-claim",
        (E("KB307", DRUG, 2, 5, "drug-x-improves-survival"),),
        edits=(
            (
                JONES,
                "    findings: [{finding: median-os, outcome: overall-survival}]\n",
                "    findings: [{finding: median-os, outcome: overall-survival}]\n"
                "  - claim: drug-x-improves-survival\n"
                "    relation: refutes\n    rests_on: text\n    locator: Table 4\n",
            ),
        ),
    ),
    Row(
        "study-id-where-a-claim-belongs",
        (E("KB308", TRIAL, 35, 5, "smith-2020"),),
        edits=((TRIAL, "tests:\n  - drug-x-improves-survival", "tests:\n  - smith-2020"),),
    ),
    Row(
        "same-link-twice",
        (E("KB309", JONES, 29, 12, "liver"),),
        edits=(
            (
                JONES,
                "    findings: [{finding: median-os, outcome: overall-survival}]\n",
                "    findings: [{finding: median-os, outcome: overall-survival}]\n"
                "  - claim: liver-metastases-predict-survival\n"
                "    relation: supports\n    rests_on: text\n    quote: Survival was shorter.\n",
            ),
        ),
    ),
    Row(
        "link-names-no-finding",
        (E("KB310", SMITH, 54, 12, "drug-x"),),
        edits=((SMITH, "    findings: [{finding: os-hr, outcome: overall-survival}]\n", ""),),
    ),
    Row(
        "link-with-findings-and-text",
        (E("KB310", SMITH, 59, 15, "text"),),
        edits=(
            (
                SMITH,
                "outcome: overall-survival}]\n",
                "outcome: overall-survival}]\n    rests_on: text\n",
            ),
        ),
    ),
    Row(
        "unknown-finding",
        (E("KB311", SMITH, 58, 26, "os-hz"),),
        edits=((SMITH, "finding: os-hr, outcome", "finding: os-hz, outcome"),),
    ),
    Row(
        "unknown-outcome",
        (E("KB312", SMITH, 58, 42, "overall-survivl"),),
        edits=((SMITH, "outcome: overall-survival}]", "outcome: overall-survivl}]"),),
    ),
    Row(
        "finding-id-twice",
        (E("KB313", SMITH, 51, 9, "os-hr"),),
        edits=((SMITH, "    id: response", "    id: os-hr"),),
    ),
    Row(
        "ratio-without-comparison",
        (E("KB314", SMITH, 31, 14, "hr"),),
        edits=((SMITH, "    comparison: {group: drug X, reference: placebo}\n", ""),),
    ),
    Row(
        "outcome-id-twice",
        (E("KB315", DRUG, 12, 10, "overall-survival"),),
        edits=(
            (
                DRUG,
                "effect: increase}\n",
                "effect: increase}\n" + OUTCOME.format(id="overall-survival"),
            ),
        ),
    ),
    Row(
        "finding-on-two-outcomes",
        (E("KB316", SMITH, 58, 87, "mortality"),),
        edits=(
            (DRUG, "effect: increase}\n", "effect: increase}\n" + OUTCOME.format(id="mortality")),
            (
                SMITH,
                "overall-survival}]",
                "overall-survival}, {finding: os-hr, outcome: mortality}]",
            ),
        ),
    ),
    Row(
        "studies-may-share-patients",
        (E("KB317", "studies/lee-2019.yaml", 6, 11, "Cohort Registry"),),
        edits=(
            (
                BIB,
                "  pmcid   = {PMC6924808},\n}\n",
                "  pmcid   = {PMC6924808},\n}\n" + EXTRA_BIB_LEE,
            ),
        ),
        files={"studies/lee-2019.yaml": EXTRA_STUDY_LEE + "database: Cohort Registry\n" + LEE_LINK},
    ),
    Row(
        "review-without-includes",
        (E("KB318", SMITH, 13, 9, "systematic-review"),),
        edits=(
            (SMITH, "design: rct", "design: systematic-review"),
            (SMITH, "tool: rob-2", "tool: not-assessed"),
        ),
    ),
    Row(
        "outcome-without-evidence",
        (E("KB319", DRUG, 12, 10, "mortality"),),
        edits=(
            (DRUG, "effect: increase}\n", "effect: increase}\n" + OUTCOME.format(id="mortality")),
        ),
    ),
    Row(
        "topic-no-claim-has",
        (E("KB320", "question.yaml", 5, 5, "Prognossis"),),
        files={
            "question.yaml": f"{modeline('question')}\ntitle: T\nquestion: Q?\ntopics:\n"
            "  - Prognossis\n  - treatment\n"
        },
    ),
    # ---- KB4xx: citations and identifiers
    Row(
        "citation-key-not-in-the-bibliography",
        (E("KB401", JONES, 3, 7, "jones2012"), E("KB402", BIB, 12, 10, "jones2021")),
        edits=((JONES, "cite: jones2021", "cite: jones2012"),),
    ),
    Row(
        "bibliography-entry-cited-by-no-study",
        (E("KB402", BIB, 20, 7, "unused2022"),),
        edits=(
            (
                BIB,
                "PMC6924808},\n}\n",
                "PMC6924808},\n}\n\n@misc{unused2022,\n  title = {Unused},\n}\n",
            ),
        ),
    ),
    Row(
        "article-without-journal",
        (E("KB403", BIB, 12, 10, "jones2021"),),
        edits=((BIB, "  journal = {Cohort Reports},\n", ""),),
    ),
    Row(
        "book-without-author-or-editor",
        (E("KB403", BIB, 20, 7, "lee2019"),),
        edits=(
            (
                BIB,
                "PMC6924808},\n}\n",
                "PMC6924808},\n}\n" + EXTRA_BIB_LEE.replace("  editor    = {Lee, Ann},\n", ""),
            ),
        ),
        files={"studies/lee-2019.yaml": EXTRA_STUDY_LEE + LEE_LINK},
    ),
    Row(
        "missing-field-declared-unverified",
        (E("KB410", BIB, 12, 10, "jones2021"),),
        edits=((BIB, "  journal = {Cohort Reports},\n", "  note    = {UNVERIFIED: journal},\n"),),
    ),
    Row(
        "malformed-doi-in-yaml",
        (E("KB404", SMITH, 6, 12, "https://doi.org/"),),
        edits=(
            (SMITH, "    value: 10.1000/jt.2020.1", "    value: https://doi.org/10.1000/jt.2020.1"),
        ),
    ),
    Row(
        "malformed-pmid-in-yaml",
        (E("KB404", SMITH, 11, 12, '"031818843"'),),
        edits=((SMITH, '"31818843"', '"031818843"'),),
    ),
    Row(
        "malformed-pmcid-in-yaml",
        (E("KB404", JONES, 6, 12, "PMCID6924808"),),
        edits=((JONES, "value: PMC6924808", "value: PMCID6924808"),),
    ),
    Row(
        "malformed-nct-in-yaml",
        (E("KB404", TRIAL, 7, 12, "NCT0123456"),),
        edits=((TRIAL, "value: NCT01234567", "value: NCT0123456"),),
    ),
    Row(
        "malformed-doi-in-bibtex",
        (E("KB404", BIB, 18, 3, "doi"),),
        edits=((BIB, "PMC6924808},\n", "PMC6924808},\n  doi     = {doi:10.1000/cr.7},\n"),),
    ),
    Row(
        "malformed-pmid-in-bibtex",
        (E("KB404", BIB, 9, 3, "pmid"), E("KB406", SMITH, 11, 12, '"31818843"')),
        edits=((BIB, "{31818843}", "{PMID31818843}"),),
    ),
    Row(
        "malformed-pmcid-in-bibtex",
        (E("KB404", BIB, 17, 3, "pmcid"), E("KB406", JONES, 6, 12, "PMC6924808")),
        edits=((BIB, "{PMC6924808}", "{PMC 6924808}"),),
    ),
    Row(
        "identifier-on-two-studies",
        (E("KB405", SMITH, 6, 12, "10.1000/jt.2020.1"),),
        edits=(
            (
                JONES,
                "identifiers:\n",
                "identifiers:\n  doi:\n    value: 10.1000/JT.2020.1\n    status: unverified\n",
            ),
        ),
    ),
    Row(
        "citation-key-on-two-studies",
        (
            E("KB402", BIB, 12, 10, "jones2021"),
            # one cause, told once: not again for each identifier of the entry, nor as KB407
            E("KB405", SMITH, 3, 7, "smith2020"),
        ),
        edits=((JONES, "cite: jones2021", "cite: smith2020"),),
    ),
    Row(
        "yaml-and-bibtex-disagree",
        (E("KB406", SMITH, 6, 12, "10.1000/jt.2020.2"),),
        edits=((SMITH, "    value: 10.1000/jt.2020.1", "    value: 10.1000/jt.2020.2"),),
    ),
    Row(
        "same-study-entered-twice",
        (E("KB407", "studies/smith-2020b.yaml", 3, 7, "smith2020b"),),
        edits=((BIB, "PMC6924808},\n}\n", "PMC6924808},\n}\n" + BIB_SMITH_TWIN),),
        files={"studies/smith-2020b.yaml": SMITH_TWIN},
    ),
    Row(
        "same-study-dated-by-its-online-year",
        (E("KB407", "studies/smith-2020b.yaml", 3, 7, "smith2020b"),),
        edits=(
            (
                BIB,
                "PMC6924808},\n}\n",
                "PMC6924808},\n}\n" + BIB_SMITH_TWIN.replace("{2020}", "{2019}"),
            ),
        ),
        files={"studies/smith-2020b.yaml": SMITH_TWIN},
    ),
    Row(
        "same-title-author-unknown",
        (
            E("KB413", "studies/smith-2020b.yaml", 3, 7, "smith2020b"),
            E("KB410", BIB, 20, 10, "smith2020b"),
        ),
        edits=(
            (
                BIB,
                "PMC6924808},\n}\n",
                "PMC6924808},\n}\n"
                + BIB_SMITH_TWIN.replace("  author  = {Smith, John},\n", "").replace(
                    "  year    = {2020},\n", "  note    = {UNVERIFIED: author, year},\n"
                ),
            ),
        ),
        files={"studies/smith-2020b.yaml": SMITH_TWIN},
    ),
    Row(
        "bibtex-syntax-error",
        (E("KB408", BIB, 15, 3, "journal"), E("KB403", BIB, 12, 10, "jones2021")),
        edits=((BIB, "a prospective cohort},\n", "a prospective cohort}\n"),),
    ),
    Row(
        "bibtex-field-twice",
        (E("KB408", BIB, 12, 10, "jones2021"),),
        edits=((BIB, "  year    = {2021},\n", "  year    = {2021},\n  year    = {2022},\n"),),
    ),
    Row(
        "bibliography-key-twice-in-another-case",
        (E("KB409", BIB, 20, 10, "Smith2020"),),
        edits=(
            (
                BIB,
                "PMC6924808},\n}\n",
                "PMC6924808},\n}\n\n@article{Smith2020,\n  title = {Again},\n}\n",
            ),
        ),
    ),
    Row(
        "bibliography-missing",
        (E("KB411", BIB, 1, 1),),
        files={BIB: None},
    ),
    Row(
        "string-macros-that-double-27-times",  # gigabytes, from 700 bytes
        (E("KB412", BIB, 34, 15, "m13 # m13"),),
        edits=((BIB, "PMC6924808},\n}\n", "PMC6924808},\n}\n\n" + MACRO_BOMB),),
    ),
    # ---- KB5xx: grading
    Row(
        "curated-certainty-differs",
        (E("KB501", LIVER, 15, 15, "low"),),
        edits=((LIVER, "effect: decrease\n", "effect: decrease\n" + CURATED.format(rating="low")),),
    ),
    Row(
        "curated-certainty-above-ceiling",
        (E("KB502", LIVER, 15, 15, "high"),),
        edits=(
            (LIVER, "effect: decrease\n", "effect: decrease\n" + CURATED.format(rating="high")),
        ),
    ),
    Row(
        "level-moved-off-the-scale",
        (E("KB503", SMITH, 16, 14, "down"),),
        edits=(
            (SMITH, "design: rct", "design: editorial"),
            (SMITH, "tool: rob-2", "tool: not-assessed"),
            (
                SMITH,
                "question: treatment-benefit\n",
                "question: treatment-benefit\nlevel_adjustment:\n  direction: down\n"
                "  reason: dose\n",
            ),
        ),
    ),
    Row(
        "bias-domain-not-of-the-tool",
        (E("KB504", SMITH, 67, 16, "reportng"),),
        edits=((SMITH, "domain: reporting", "domain: reportng"),),
    ),
    Row(
        "bias-judgement-not-of-the-tool",
        (E("KB504", SMITH, 63, 42, "moderate"),),
        edits=((SMITH, "judgement: low, reason: Central", "judgement: moderate, reason: Central"),),
    ),
    Row(
        "bias-domain-not-judged",
        (E("KB505", SMITH, 63, 5, "- {domain"),),
        edits=(
            (
                SMITH,
                "    - {domain: reporting, judgement: low, reason: Registered primary outcome "
                "reported.}\n",
                "",
            ),
        ),
    ),
    Row(
        "overall-bias-better-than-the-rule",
        (E("KB506", JONES, 38, 24, "low"),),
        edits=(
            (JONES, "participation, judgement: low", "participation, judgement: high"),
            (
                JONES,
                "reason: Prespecified model.}\n",
                "reason: Prespecified model.}\n  overall: {judgement: low, reason: Mild.}\n",
            ),
        ),
    ),
    Row(
        "bias-tool-does-not-fit",
        (E("KB507", SMITH, 61, 9, "rob-2"),),
        edits=((SMITH, "design: rct", "design: prospective-cohort"),),
    ),
    # ---- KB6xx: trials
    Row(
        "trial-overdue",
        (E("KB601", TRIAL, 32, 12, "recruiting"),),
        edits=(
            (TRIAL, "overall: completed", "overall: recruiting"),
            (TRIAL, "type: results", "type: protocol"),
        ),
    ),
    Row(
        "trial-overdue-without-status",
        (E("KB601", TRIAL, 2, 5, "drug-x-trial"),),
        edits=(
            (TRIAL, "status:\n  overall: completed\n  verified: 2024-02\n", ""),
            (TRIAL, "type: results", "type: protocol"),
        ),
    ),
    # ---- KB7xx: numbers and dates
    Row(
        "interval-reversed",
        (E("KB701", SMITH, 34, 14, "0.95"),),
        edits=((SMITH, "lower: 0.58", "lower: 0.95"), (SMITH, "0.58-0.89", "0.95-0.89")),
    ),
    Row(
        "value-outside-its-interval",
        (E("KB702", JONES, 18, 12, "18.2"),),
        edits=((JONES, "value: 14.2", "value: 18.2"), (JONES, "OS 14.2", "OS 18.2")),
    ),
    Row(
        "p-over-one",
        (E("KB703", SMITH, 36, 8, "3"),),
        edits=((SMITH, "p: 0.003", "p: 3"), (SMITH, "P = .003", "P = 3")),
    ),
    Row(
        "percentage-over-100",
        (E("KB704", SMITH, 45, 12, "141.5"), E("KB704", SMITH, 49, 14, "147.9")),
        edits=(
            (SMITH, "value: 41.5", "value: 141.5"),
            (SMITH, "lower: 35.2", "lower: 135.2"),
            (SMITH, "upper: 47.9", "upper: 147.9"),
            (SMITH, "41.5% responded (95% CI 35.2 to 47.9)", "141.5% (95% CI 135.2 to 147.9)"),
        ),
    ),
    Row(
        "number-not-in-its-quote",
        (E("KB708", SMITH, 41, 8, "505"),),
        edits=((SMITH, "    n: 500", "    n: 505"),),
    ),
    Row(
        "numbers-without-the-sources-words",
        (E("KB709", SMITH, 50, 14, "Results"),),
        edits=((SMITH, '    quote: "41.5% responded (95% CI 35.2 to 47.9)"\n', ""),),
    ),
    Row(
        "numbers-on-a-paraphrase-alone",
        (E("KB710", SMITH, 52, 17, '"41.5%'),),
        edits=((SMITH, '    quote: "41.5% responded', '    paraphrase: "41.5% responded'),),
    ),
    Row(
        "numbers-on-a-paraphrase-with-its-reason",
        (),
        edits=(
            (
                SMITH,
                '    quote: "41.5% responded (95% CI 35.2 to 47.9)"\n',
                '    paraphrase: "41.5% responded (95% CI 35.2 to 47.9)"\n'
                "    note: the full text could not be had; figures from the abstract's table\n",
            ),
        ),
    ),
    Row(
        "analysed-more-than-enrolled",
        (E("KB705", SMITH, 22, 13, "540"),),
        edits=((SMITH, "analysed: 500", "analysed: 540"),),
    ),
    Row(
        "dates-in-the-future",
        (
            E("KB706", SMITH, 25, 8, "2030-01"),
            E("KB706", SMITH, 9, 14, "2024-06-02"),
            E("KB706", TRIAL, 29, 11, "2024-07"),
            E("KB706", TRIAL, 33, 13, "2024-12"),
        ),
        edits=(
            (SMITH, "end: 2018-11", "end: 2030-01"),
            (SMITH, "checked: 2024-01-15", "checked: 2024-06-02"),
            (TRIAL, "date: 2019-06", "date: 2024-07"),
            (TRIAL, "verified: 2024-02", "verified: 2024-12"),
        ),
    ),
    Row(
        "date-ranges-reversed",
        (E("KB707", SMITH, 25, 8, "2018-11"), E("KB707", TRIAL, 29, 11, "2019-06")),
        edits=(
            (SMITH, "start: 2015-03", "start: 2019-01"),
            (TRIAL, "date: 2015-03", "date: 2019-07"),
        ),
    ),
    # ---- KB9xx: identifiers checked against the registries
    Row(
        "lockfile-not-json",
        (E("KB901", LOCK, 1, 2),),
        files={LOCK: "{not json\n"},
    ),
    Row(
        "lockfile-entry-key-malformed",
        (E("KB901", LOCK, 1, 1),),
        files={LOCK: '{"entries": {"doi:not-a-doi": {"registry": "crossref"}}, "format": 1}\n'},
    ),
    Row(
        "lockfile-nested-beyond-reason",
        (E("KB901", LOCK, 1, 1),),
        files={LOCK: "[" * 100_000 + "]" * 100_000},
    ),
    Row(
        "lockfile-a-link-out-of-the-knowledge-base",
        (E("KB901", LOCK, 1, 1),),
        files={"../outside.json": '{"entries": {}, "format": 1}\n'},
        symlinks={LOCK: "../outside.json"},
    ),
    Row(
        "lockfile-from-a-newer-kb",
        (E("KB901", LOCK, 1, 1),),
        files={LOCK: '{"entries": {}, "format": 2}\n'},
    ),
    Row(
        "nothing-resolved-yet",
        (E("KB902", LOCK, 1, 1),),
        files={LOCK: '{\n  "entries": {},\n  "format": 1\n}\n'},
    ),
    Row(
        "identifier-added-after-the-last-resolve",
        (E("KB902", SMITH, 11, 12, '"31818843"'),),
        files={LOCK: locks.resolved(pmid=None)},
    ),
    Row(
        "identifier-whose-last-attempt-failed",
        (E("KB902", TRIAL, 7, 12, "NCT01234567"),),
        files={LOCK: locks.resolved(nct=locks.failed("clinicaltrials.gov"))},
    ),
    Row(
        "doi-of-another-paper",
        (E("KB903", SMITH, 6, 12, "10.1000/jt.2020.1"),),
        files={LOCK: locks.resolved(doi=locks.crossref("crossref-other-work.json"))},
    ),
    Row(
        "doi-of-a-retraction-notice",
        (E("KB903", SMITH, 6, 12, "10.1000/jt.2020.1"),),
        files={LOCK: locks.resolved(doi=locks.crossref("crossref-notice.json"))},
    ),
    Row(
        "nct-of-another-trial",
        (E("KB903", TRIAL, 7, 12, "NCT01234567"),),
        edits=(
            (
                TRIAL,
                "title: Drug X versus placebo after resection",
                "title: Exercise after hip replacement in older adults",
            ),
        ),
        files={LOCK: locks.resolved()},
    ),
    Row(
        "year-differs-from-the-registries",
        (E("KB904", SMITH, 6, 12, "10.1000"), E("KB904", SMITH, 11, 12, '"31818843"')),
        edits=((BIB, "  year    = {2020},", "  year    = {2019},"),),
        files={LOCK: locks.resolved()},
    ),
    Row(
        "journal-and-first-author-differ",
        (E("KB904", JONES, 6, 12, "PMC6924808"),),
        files={
            LOCK: locks.resolved(
                pmcid=locks.pmc(
                    fulljournalname="Annals of Cohorts",
                    source="Ann Cohorts",
                    authors=[{"name": "Jonas M", "authtype": "Author"}],
                )
            )
        },
    ),
    Row(
        "doi-unknown-to-crossref",
        (E("KB905", SMITH, 6, 12, "10.1000/jt.2020.1"),),
        files={LOCK: locks.resolved(doi=locks.not_found("crossref"))},
    ),
    Row(
        "retracted-study-still-counted",
        (
            E("KB906", SMITH, 2, 5, "smith-2020"),
            E("KB907", DRUG, 2, 5, "drug-x-improves-survival"),
            E("KB907", LIVER, 2, 5, "liver-metastases-predict-survival"),
            E("KB908", SMITH, 2, 5, "smith-2020"),
        ),
        files={LOCK: locks.resolved(doi=locks.crossref("crossref-retracted.json"))},
    ),
    Row(
        "study-retracted-in-pubmed",
        (
            E("KB906", SMITH, 2, 5, "smith-2020"),
            E("KB907", DRUG, 2, 5, "drug-x-improves-survival"),
            E("KB907", LIVER, 2, 5, "liver-metastases-predict-survival"),
        ),
        files={
            LOCK: locks.resolved(
                pmid=locks.pubmed(pubtype=["Journal Article", "Retracted Publication"])
            )
        },
    ),
    Row(
        "correction-notice",
        (E("KB908", SMITH, 2, 5, "smith-2020"),),
        files={
            LOCK: locks.resolved(
                doi=locks.crossref(
                    **{
                        "updated-by": [
                            {
                                "updated": {"date-parts": [[2021, 6, 1]]},
                                "DOI": "10.1000/jt.2021.44",
                                "type": "correction",
                                "source": "publisher",
                                "label": "Correction",
                            }
                        ]
                    }
                )
            )
        },
    ),
    Row(
        "trial-status-changed-in-the-registry",
        (E("KB909", TRIAL, 32, 12, "completed"), E("KB910", TRIAL, 29, 11, "2019-06")),
        files={LOCK: locks.resolved(nct=locks.clinicaltrials("ctgov-study-terminated.json"))},
    ),
    Row(
        "trial-start-date-differs",
        (E("KB910", TRIAL, 26, 11, "2015-04"),),
        edits=((TRIAL, "date: 2015-03", "date: 2015-04"),),
        files={LOCK: locks.resolved()},
    ),
)


def build(row: Row, root: Path) -> Path:
    files: dict[str, FileText] = minimal_kb()
    for path, old, new in row.edits:
        text = files[path]
        assert isinstance(text, str)
        assert text.count(old) == 1, f"{row.id}: {old!r} is not once in {path}"
        files[path] = text.replace(old, new)
    for path, content in row.files.items():
        if content is None:
            del files[path]
        else:
            files[path] = content
    encoded = {
        path: text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        for path, text in files.items()
    }
    kb = root / "kb"
    write_tree(kb, encoded)
    for link, target in row.symlinks.items():
        (kb / link).symlink_to(target)
    return kb


def run_row(row: Row, root: Path) -> tuple[Path, list[Problem]]:
    kb = build(row, root)
    return kb, check_tree(kb, row.today)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_row(row: Row, tmp_path: Path) -> None:
    kb, problems = run_row(row, tmp_path)
    found = sorted((p.code, p.path, p.line, p.col) for p in problems)
    wanted = sorted((e.code, e.path, e.line, e.col) for e in row.expected)
    assert found == wanted, "\n".join(format_text(p) for p in problems)
    for e in row.expected:
        if e.at is None:
            continue
        lines = (kb / e.path).read_bytes().decode("utf-8", "replace").split("\n")
        assert lines[e.line - 1][e.col - 1 :].startswith(e.at), (e, lines[e.line - 1])


def test_every_code_in_the_catalogue_has_a_row() -> None:
    exercised = {e.code for row in ROWS for e in row.expected}
    assert sorted(CHECK_CODES - exercised) == []
    assert sorted(exercised - CHECK_CODES) == []


def test_row_ids_are_unique() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))


def test_the_fixture_itself_is_clean(kb_root: Path) -> None:
    assert check_tree(kb_root) == []


@pytest.mark.parametrize(
    ("row_id", "code", "hint"),
    [
        ("value-not-in-the-list", "KB203", "did you mean 'phase-3'?"),
        ("unknown-field", "KB204", "did you mean 'summary'?"),
        ("unknown-claim", "KB301", "did you mean 'drug-x-improves-survival'?"),
        ("citation-key-not-in-the-bibliography", "KB401", "did you mean 'jones2021'?"),
    ],
)
def test_did_you_mean(row_id: str, code: str, hint: str, tmp_path: Path) -> None:
    row = next(row for row in ROWS if row.id == row_id)
    _, problems = run_row(row, tmp_path)
    assert [p.hint for p in problems if p.code == code] == [hint]


@pytest.mark.parametrize(
    ("row_id", "hint"),
    [
        ("number-in-quotes", "write the number without quotes"),
        ("number-with-words-around-it", "write the number alone; the words and figures"),
    ],
)
def test_a_number_field_says_what_to_do_with_what_it_holds(
    row_id: str, hint: str, tmp_path: Path
) -> None:
    row = next(row for row in ROWS if row.id == row_id)
    _, problems = run_row(row, tmp_path)
    (problem,) = [p for p in problems if p.code == "KB201"]
    assert (problem.hint or "").startswith(hint)


def test_billion_laughs_finishes_fast(tmp_path: Path) -> None:
    """Ten levels of nine aliases each would expand to 10**9 strings."""
    row = next(row for row in ROWS if row.id == "billion-laughs")
    start = time.perf_counter()
    _, problems = run_row(row, tmp_path)
    assert time.perf_counter() - start < 5
    assert {p.code for p in problems} == {"KB105"}


def test_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    head = STUDY_LINE + "id: big\n"
    body = head + "#" * (MAX_FILE_BYTES - len(head) - 1) + "\n"
    assert len(body.encode()) == MAX_FILE_BYTES
    files = {BROKEN: body}
    kb = write_tree(tmp_path / "kb", {**minimal_kb(), **files})
    codes = {p.code for p in check_tree(kb)}
    assert "KB106" not in codes
    assert "KB202" in codes  # it was read: the record lacks its required fields


# ---- goldens: the full text line of each code


def golden_lines(problems: list[Problem], code: str) -> list[str]:
    return [f"{code} {format_text(p)}" for p in problems if p.code == code]


def first_row(code: str) -> Row:
    """The row that shows `code` with the fewest other problems (the first such row)."""
    rows = [row for row in ROWS if any(e.code == code for e in row.expected)]
    return min(rows, key=lambda row: len(row.expected))


@pytest.fixture(scope="module")
def goldens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    if REGENERATE:
        out: list[str] = []
        for code in sorted(CHECK_CODES):
            _, problems = run_row(first_row(code), tmp_path_factory.mktemp(code))
            out.extend(golden_lines(problems, code))
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("\n".join(out) + "\n", encoding="utf-8", newline="\n")
    by_code: dict[str, list[str]] = {}
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        by_code.setdefault(line.split(" ", 1)[0], []).append(line)
    return by_code


@pytest.mark.parametrize("code", sorted(CHECK_CODES))
def test_golden_message(code: str, goldens: dict[str, list[str]], tmp_path: Path) -> None:
    _, problems = run_row(first_row(code), tmp_path)
    assert golden_lines(problems, code) == goldens.get(code), (
        "message changed; if on purpose, rerun with KB_REGENERATE=1 and review the diff"
    )
