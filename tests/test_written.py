"""What a record writes is what a reader sees: numbers with the precision written ('0.220',
'29.0') on pages, figures and exports; one vocabulary of tags; reasons joined cleanly."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import TODAY, minimal_kb, write_tree

from kb.cache import CheckCache
from kb.check import check_path
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.exports import evidence_json
from kb.render.common import Site
from kb.render.site import render_site
from kb.words import finding_text, number


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The minimal knowledge base with numbers written with trailing zeros."""
    files = minimal_kb()
    smith = str(files["studies/smith-2020.yaml"])
    files["studies/smith-2020.yaml"] = (
        smith.replace("value: 0.72", "value: 0.720")
        .replace("lower: 0.58", "lower: 0.580")
        .replace(
            "    relation: supports\n",
            "    relation: supports\n    indirectness: adults only.\n",
            1,
        )
        .replace("findings:\n  - outcome", "tags: [rct, drug-x]\nfindings:\n  - outcome", 1)
    )
    jones = str(files["studies/jones-2021.yaml"])
    files["studies/jones-2021.yaml"] = (
        jones.replace("upper: 16.0}", "upper: 16.0}")
        .replace("value: 14.2", "value: 29.0")
        .replace("median OS 14.2 months", "median OS 29.0 months")
    )
    return write_tree(tmp_path / "kb", files)


def written_number(value: float, text: str) -> float:
    from kb.model import WrittenNumber  # imported here so each test tells its own failure

    return WrittenNumber(value, text)


def test_the_loader_keeps_the_text_of_every_written_number(written: Path) -> None:
    finding = load_kb(written).study("smith-2020").findings[0]
    assert getattr(finding.value, "text", None) == "0.720"
    assert finding.value == 0.72  # and computes as the number it is
    assert finding_text(finding).startswith("HR 0.720 (95% CI 0.580\u20130.89)")
    median = load_kb(written).study("jones-2021").findings[0]
    assert finding_text(median).startswith("median OS 29.0 months")


def test_a_cached_load_keeps_the_written_text(written: Path, tmp_path: Path) -> None:
    cache = CheckCache(tmp_path / "cache")
    check_path(written, TODAY, cache)
    again = load_kb(written, CheckCache(tmp_path / "cache"))
    value = again.study("smith-2020").findings[0].value
    assert getattr(value, "text", None) == "0.720" and number(value or 0) == "0.720"


def test_pages_and_figures_print_the_numbers_as_written(written: Path) -> None:
    pages = render_site(Site(Evidence(load_kb(written)), TODAY, dt.date(2024, 5, 1)))
    study = pages["studies/smith-2020.md"].decode()
    assert "HR 0.720 &#40;95% CI 0.580\u20130.89&#41;" in study
    forest = study.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "0.720 (0.580 to 0.89)" in forest, "the forest plot's labels too"
    assert "29.0 months" in pages["studies/jones-2021.md"].decode()


def test_the_export_writes_the_numbers_as_written(written: Path) -> None:
    text = evidence_json(Evidence(load_kb(written)), TODAY)
    assert '"value": 0.720' in text and '"lower": 0.580' in text
    assert '"value": 29.0' in text
    data = json.loads(text)
    assert data["studies"][0]["record"]["findings"][0]["value"] in (0.72, 29.0)


@pytest.mark.parametrize(
    ("written_as", "shown"),
    [("0.220", "0.220"), ("29.0", "29.0"), ("+.5", "0.5"), ("-.5", "-0.5"), ("1_000.5", "1000.5")],
)
def test_number_prints_what_was_written(written_as: str, shown: str) -> None:
    import yaml

    assert number(written_number(float(yaml.safe_load(written_as)), written_as)) == shown
    assert number(0.22) == "0.22" and number(1e-7) == "0.0000001"  # computed: as short as can be


def test_one_vocabulary_of_tags(written: Path) -> None:
    from kb.render.studies import study_tags
    from kb.words import tag_label

    tags = study_tags(load_kb(written).study("smith-2020"))
    assert tags == ["drug x", "randomised trial", "treatment benefit"]
    assert tag_label("systematic-review") == "systematic review"
    assert (tag_label("ca19-9"), tag_label("phase-2")) == ("ca19-9", "phase-2")


def test_reasons_are_joined_without_a_stray_full_stop(written: Path) -> None:
    jones = written / "studies" / "jones-2021.yaml"
    jones.write_text(
        jones.read_text().replace(
            "    relation: supports\n", "    relation: supports\n    indirectness: one centre.\n"
        )
    )
    claim = written / "claims" / "liver-metastases-predict-survival.yaml"
    smith = written / "studies" / "smith-2020.yaml"
    smith.write_text(
        smith.read_text().replace(
            "links:\n",
            "links:\n  - claim: liver-metastases-predict-survival\n    relation: supports\n"
            "    locator: Table 2\n    indirectness: a trial population.\n"
            "    findings: [{finding: os-hr, outcome: overall-survival}]\n",
        )
    )
    assert claim.is_file()
    evidence = Evidence(load_kb(written))
    (outcome,) = evidence.certainty("liver-metastases-predict-survival").outcomes
    reason = next(d.reason for d in outcome.domains if d.name == "indirectness")
    assert ".;" not in reason and "; " in reason, reason
