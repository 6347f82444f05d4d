"""The home page: the question first, then the answer topic by topic in the question's order,
each claim with its certainty and its effect on the critical outcomes, and what is unknown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import minimal_kb, write_tree

from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.render.common import Site
from kb.render.home import render_home

QUESTION = """\
title: Drug X
question: Does drug X help after resection?
topics:
  - prognosis
  - treatment
"""


def home(tmp_path: Path, question: str = QUESTION, **files: str) -> str:
    tree = minimal_kb() | {"question.yaml": question} | files
    root = write_tree(tmp_path / "kb", tree)
    site = Site(Evidence(load_kb(root)), dt.date(2024, 6, 1), dt.date(2024, 5, 1))
    return render_home(site)


def test_the_page_opens_with_the_question_and_the_evidence_date(tmp_path: Path) -> None:
    page = home(tmp_path)
    body = page.split("---\n", 2)[2]
    assert body.lstrip().startswith("# Does drug X help after resection?")
    assert "*Evidence as of 2024-05-01." in body.split("## ", 1)[0]


def test_topics_follow_the_question_order(tmp_path: Path) -> None:
    page = home(tmp_path)
    assert page.index("## prognosis") < page.index("## treatment")
    swapped = home(tmp_path / "b", QUESTION.replace("  - prognosis\n", "") + "  - prognosis\n")
    assert swapped.index("## treatment") < swapped.index("## prognosis")


def test_topics_not_listed_follow_their_first_claim_whatever_their_wording(
    tmp_path: Path,
) -> None:
    page = home(tmp_path, "title: T\nquestion: Q?\n")
    assert page.index("## treatment") < page.index("## prognosis"), "drug-x-… sorts before liver-…"
    claim = minimal_kb()["claims/drug-x-improves-survival.yaml"]
    assert isinstance(claim, str) and "topic: treatment" in claim
    renamed = claim.replace("topic: treatment", "topic: zz treatment")
    page = home(
        tmp_path / "b",
        "title: T\nquestion: Q?\n",
        **{"claims/drug-x-improves-survival.yaml": renamed},
    )
    assert page.index("## zz treatment") < page.index("## prognosis")


def test_each_claim_has_its_certainty_its_statement_and_its_effect(tmp_path: Path) -> None:
    page = home(tmp_path)
    treatment = page.split("## treatment", 1)[1].split("\n## ", 1)[0]
    bottom, table = treatment.split("| Claim |", 1)
    assert "Drug X after resection" in bottom or "drug X after resection" in bottom
    assert "(claims/drug-x-improves-survival.md)" in bottom
    assert "**overall survival**: Smith and Doe 2020&#58; HR 0.72" in table


def test_what_is_unknown_names_missing_outcomes_and_absent_designs(tmp_path: Path) -> None:
    claim = minimal_kb()["claims/drug-x-improves-survival.yaml"]
    assert isinstance(claim, str)
    extra = (
        "  - {id: mortality, name: mortality at 90 days, importance: critical, effect: decrease}\n"
    )
    page = home(tmp_path, **{"claims/drug-x-improves-survival.yaml": claim + extra})
    unknown = page.split("## What is still unknown", 1)[1]
    assert "No study with results reports on mortality at 90 days" in unknown
    assert "No randomised trial has reported" not in unknown, "Smith 2020 is randomised"
    smith = minimal_kb()["studies/smith-2020.yaml"]
    assert isinstance(smith, str)
    cohort = smith.replace("design: rct", "design: prospective-cohort")
    page = home(tmp_path / "b", **{"studies/smith-2020.yaml": cohort})
    assert "No randomised trial has reported" in page.split("## What is still unknown", 1)[1]
