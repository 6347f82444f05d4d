"""Forest plots per claim outcome and per study: rows turned round to the claim's comparison,
the pooled diamond, the side each direction favours, and text a phone can show."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from test_certainty import build, claim, hr, link, study

from kb.figures.forests import WIDTH, ForestRow, forest_plot
from kb.render.common import Site
from kb.render.forests import favours, outcome_forest, study_forests

SVG = "{http://www.w3.org/2000/svg}"
PHONE_CONTENT = 390 - 2 * 13  # Material's page padding at 390 px


@pytest.mark.parametrize(
    ("question", "better", "expected"),
    [
        ("treatment-benefit", "lower", ("Favours resection", "Favours chemotherapy")),
        ("treatment-benefit", "higher", ("Favours chemotherapy", "Favours resection")),
        ("prognosis", "lower", ("Better with resection", "Worse with resection")),
        ("prognosis", "higher", ("Worse with resection", "Better with resection")),
        ("prognosis", None, ("Lower with resection", "Higher with resection")),
    ],
)
def test_favours_names_each_side(
    question: str, better: str | None, expected: tuple[str, str]
) -> None:
    assert favours(question, better, "Resection", "chemotherapy") == expected


def test_acronyms_keep_their_case() -> None:
    assert (
        favours("prognosis", "lower", "CA19-9 response", "none")[0] == "Better with CA19-9 response"
    )


def svg_of(figure: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*</svg>", figure, re.S).group(0))  # type: ignore[union-attr]


def pooled_kb(tmp_path: Path, inverted: bool = False) -> Site:
    records: list[dict[str, Any]] = [claim("c", "treatment-benefit")]
    records[0]["scope"] = {"comparator": "Chemotherapy alone"}
    for i, (value, lower, upper) in enumerate([(0.62, 0.48, 0.8), (0.85, 0.7, 1.03)]):
        made = link("c", "f")
        finding = hr("f", value, lower, upper, 300)
        if inverted and i == 1:
            made["findings"][0]["inverted"] = True
            finding.update(value=1 / value, ci={"lower": 1 / upper, "upper": 1 / lower})
        records.append(
            study(f"cohort-{i}", "retrospective-cohort", "treatment-benefit", [finding], [made])
        )
    evidence = build(tmp_path, records)
    return Site(evidence, dt.date(2024, 6, 1), dt.date(2024, 6, 1))


def test_an_outcome_plot_has_its_studies_the_pooled_diamond_and_both_sides(
    tmp_path: Path,
) -> None:
    site = pooled_kb(tmp_path, inverted=True)
    claim_record = site.kb.claim("c")
    rated = site.certainty("c").of("death")
    figure = outcome_forest(site, claim_record, rated)
    svg = svg_of(figure)
    texts = " ".join("".join(t.itertext()) for t in svg.iter(f"{SVG}text"))
    assert "← Favours resection" in texts and "Favours chemotherapy alone →" in texts
    assert "(turned round)" in texts, "the turned finding is marked"
    assert len(svg.findall(f".//{SVG}polygon")) == 1, "one pooled diamond"
    pooled = rated.pooled
    assert pooled is not None
    assert f"{pooled.estimate:.3g}" in texts
    desc = svg.findtext(f"{SVG}desc") or ""
    assert "Below 1: favours resection" in desc and "Turned round by kb" in desc
    # the turned finding is drawn at 0.85, not at its printed 1/0.85
    assert "0.85 (0.7 to 1.03)" in texts


def test_no_plot_without_a_ratio_with_an_interval(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [claim("c", "treatment-benefit")]
    finding = hr("f", 0.6, 0.5, 0.7, 100)
    del finding["ci"]
    finding["paraphrase"] = "HR 0.6"
    records.append(
        study("a", "retrospective-cohort", "treatment-benefit", [finding], [link("c", "f")])
    )
    site = Site(build(tmp_path, records), dt.date(2024, 6, 1), dt.date(2024, 6, 1))
    assert outcome_forest(site, site.kb.claim("c"), site.certainty("c").of("death")) == ""


def test_study_plots_group_findings_by_comparison(tmp_path: Path) -> None:
    other = {**hr("g", 2.0, 1.5, 2.7, 300), "comparison": {"group": "old", "reference": "young"}}
    records: list[dict[str, Any]] = [
        claim("c", "treatment-benefit"),
        study(
            "a",
            "retrospective-cohort",
            "treatment-benefit",
            [hr("f", 0.6, 0.5, 0.72, 300), other],
            [link("c", "f")],
        ),
    ]
    site = Site(build(tmp_path, records), dt.date(2024, 6, 1), dt.date(2024, 6, 1))
    plots = study_forests(site, site.kb.study("a"))
    assert len(plots) == 2, "each plot's sides hold for all its rows"
    sides = [" ".join(svg_of(p).itertext()) for p in plots]
    assert any("Favours old" in s for s in sides) and any("Favours resection" in s for s in sides)


def test_text_stays_legible_on_a_phone() -> None:
    rows = [ForestRow(f"Study {i}", 0.5 + i / 10, 0.3, 1.2) for i in range(5)]
    svg = ET.fromstring(forest_plot("k", "T", "Hazard ratio", rows, ("Favours a", "Favours b")))
    assert float(svg.get("viewBox", "").split()[2]) == WIDTH
    scale = min(1.0, PHONE_CONTENT / WIDTH)
    sizes = [float(t.get("font-size", "12")) for t in svg.iter(f"{SVG}text")]
    assert min(sizes) * scale >= 11, "rendered text of 11 px or more at 390 px"


def test_rows_outside_the_drawable_range_are_left_out() -> None:
    rows = [ForestRow("typo", 1e9, 1e8, 1e10), ForestRow("fine", 0.5, 0.4, 0.6)]
    svg = forest_plot("k", "T", "Hazard ratio", rows, ("a", "b"))
    assert svg is not None and "typo" not in svg and "fine" in svg
    assert forest_plot("k", "T", "Hazard ratio", rows[:1], ("a", "b")) is None


def test_the_estimate_sits_at_its_log_position() -> None:
    rows = [ForestRow("s", 0.5, 0.25, 1.0)]
    svg = ET.fromstring(forest_plot("k", "T", "Hazard ratio", rows, ("a", "b")) or "")
    rect = svg.find(f".//{SVG}rect")
    assert rect is not None
    lines = [
        line
        for line in svg.iter(f"{SVG}line")
        if line.get("stroke-width") == "1.5"  # the interval
    ]
    x1, x2 = float(lines[0].get("x1", "0")), float(lines[0].get("x2", "0"))
    centre = float(rect.get("x", "0")) + float(rect.get("width", "0")) / 2
    # on a log axis 0.5 is halfway between 0.25 and 1
    assert math.isclose(centre, (x1 + x2) / 2, abs_tol=0.11)


def test_record_text_is_escaped() -> None:
    rows = [ForestRow("<script>alert(1)</script> & co", 0.5, 0.4, 0.6)]
    svg = forest_plot("k", "<b>T</b>", "Hazard ratio", rows, ("<i>a</i>", "b"))
    assert svg is not None and "<script>" not in svg and "<i>" not in svg
    ET.fromstring(svg)
