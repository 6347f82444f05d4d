"""Outcome-level GRADE on small knowledge bases built for each rule: where a body of evidence
starts, what each domain takes off, how patients are counted, the pooled estimate, the absolute
effect and the words a clinician reads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import check_tree, write_tree
from statsmodels.stats.meta_analysis import combine_effects

from kb.bias import TOOLS
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.pooling import Estimate
from kb.problems import Severity
from kb.statements import absolute_effect, outcome_statement, per_thousand

Z = 1.959963984540054

QUIPS_LOW = {
    "tool": "quips",
    "domains": [
        {"domain": d, "judgement": "low", "reason": "As reported."}
        for d in (
            "participation",
            "attrition",
            "factor-measurement",
            "outcome-measurement",
            "confounding",
            "analysis",
        )
    ],
}
ROBINS_SERIOUS = {
    "tool": "robins-i",
    "domains": [
        {"domain": d, "judgement": "serious" if d == "confounding" else "low", "reason": "So."}
        for d in TOOLS["robins-i"].domains
    ],
}
ROB2_LOW = {
    "tool": "rob-2",
    "domains": [{"domain": d, "judgement": "low", "reason": "So."} for d in TOOLS["rob-2"].domains],
}


def claim(claim_id: str, question: str, effect: str = "decrease", **outcome: Any) -> dict[str, Any]:
    return {
        "id": claim_id,
        "statement": f"The statement of {claim_id}.",
        "subject": "resection",
        "question": question,
        "topic": "Tests",
        "outcomes": [
            {
                "id": "death",
                "name": "death",
                "importance": "critical",
                "effect": effect,
                "better": "lower",
                **outcome,
            }
        ],
    }


def hr(finding_id: str, value: float, lower: float, upper: float, n: int) -> dict[str, Any]:
    return {
        "id": finding_id,
        "outcome": "death",
        "measure": "hr",
        "value": value,
        "ci": {"lower": lower, "upper": upper},
        "n": n,
        "comparison": {"group": "resection", "reference": "no resection"},
        "better": "lower",
        "locator": "Table 2",
        "paraphrase": "the hazard of death in the table",
    }


def study(
    study_id: str,
    design: str,
    question: str,
    findings: list[dict[str, Any]],
    links: list[dict[str, Any]],
    **more: Any,
) -> dict[str, Any]:
    record = {
        "id": study_id,
        "cite": study_id.replace("-", ""),
        "design": design,
        "question": question,
        "findings": findings,
        "links": links,
        "risk_of_bias": ROBINS_SERIOUS,
    }
    record.update(more)
    return record


def link(claim_id: str, *findings: str, relation: str = "supports", **more: Any) -> dict:
    return {
        "claim": claim_id,
        "relation": relation,
        "locator": "Results",
        "findings": [{"finding": f, "outcome": "death"} for f in findings],
        **more,
    }


def build(tmp_path: Path, records: list[dict[str, Any]]) -> Evidence:
    """Write the records as a knowledge base that checks without errors, and analyse it."""
    files: dict[str, str] = {}
    bib = []
    for record in records:
        folder = "claims" if "statement" in record else "studies"
        files[f"{folder}/{record['id']}.yaml"] = yaml.safe_dump(record, sort_keys=False)
        if folder == "studies":
            bib.append(
                f"@article{{{record['cite']},\n  author = {{Author, Ann}},\n"
                f"  title = {{Study {record['id']}}},\n  journal = {{J}},\n  year = {{2020}},\n}}\n"
            )
    files["references.bib"] = "\n".join(bib)
    root = write_tree(tmp_path / "kb", files)
    errors = [p for p in check_tree(root) if p.severity is Severity.ERROR]
    assert not errors, errors
    return Evidence(load_kb(root))


def domain(evidence: Evidence, claim_id: str, name: str) -> tuple[str, str]:
    rated = evidence.certainty(claim_id).of("death")
    found = next(d for d in rated.domains if d.name == name)
    return found.rating, found.reason


def test_prognosis_from_cohorts_starts_high(tmp_path: Path) -> None:
    evidence = build(
        tmp_path,
        [
            claim("c", "prognosis", effect="increase"),
            study(
                "cohort-a",
                "retrospective-cohort",
                "prognosis",
                [hr("f", 2.0, 1.6, 2.5, 900)],
                [link("c", "f")],
                risk_of_bias=QUIPS_LOW,
            ),
        ],
    )
    rated = evidence.certainty("c").of("death")
    assert rated.start == "high"
    assert "prognosis" in rated.start_reason
    assert rated.computed == "high", rated.domains  # low risk, 900 patients, precise, one study


def test_the_same_cohort_starts_low_for_an_intervention(tmp_path: Path) -> None:
    evidence = build(
        tmp_path,
        [
            claim("c", "treatment-benefit"),
            study(
                "cohort-a",
                "retrospective-cohort",
                "treatment-benefit",
                [hr("f", 0.6, 0.5, 0.72, 900)],
                [link("c", "f")],
            ),
        ],
    )
    rated = evidence.certainty("c").of("death")
    assert rated.start == "low"
    assert domain(evidence, "c", "risk-of-bias")[0] == "serious-concern"
    assert rated.computed == "very-low"


def test_a_review_of_observational_studies_starts_low_and_counts_patients_once(
    tmp_path: Path,
) -> None:
    evidence = build(
        tmp_path,
        [
            claim("c", "treatment-benefit"),
            study(
                "review",
                "systematic-review",
                "treatment-benefit",
                [hr("pooled", 0.7, 0.6, 0.82, 1500)],
                [link("c", "pooled")],
                includes={
                    "designs": ["retrospective-cohort"],
                    "studies": ["cohort-a"],
                    "count": 6,
                    "participants": 1500,
                },
            ),
            study(
                "cohort-a",
                "retrospective-cohort",
                "treatment-benefit",
                [hr("f", 0.6, 0.45, 0.8, 300)],
                [link("c", "f")],
            ),
        ],
    )
    assert evidence.level("review").level == 3
    rated = evidence.certainty("c").of("death")
    assert rated.start == "low"
    assert "retrospective cohort studies start low" in rated.start_reason
    people = evidence.participants("c", "death")
    assert people.total == 1500, "the cohort's 300 patients are inside the review's 1500"
    assert any("includes" in line for line in people.merged)


def test_a_review_of_randomised_trials_is_level_one(tmp_path: Path) -> None:
    evidence = build(
        tmp_path,
        [
            claim("c", "treatment-benefit"),
            study(
                "review",
                "meta-analysis",
                "treatment-benefit",
                [hr("pooled", 0.7, 0.6, 0.82, 1500)],
                [link("c", "pooled")],
                includes={"designs": ["rct"], "count": 4},
                risk_of_bias=ROB2_LOW,
            ),
        ],
    )
    assert evidence.level("review").level == 1
    assert evidence.certainty("c").of("death").start == "high"


def test_a_refuting_text_link_is_an_inconsistency_concern(tmp_path: Path) -> None:
    supporting = study(
        "cohort-a",
        "retrospective-cohort",
        "treatment-benefit",
        [hr("f", 0.6, 0.5, 0.72, 900)],
        [link("c", "f")],
    )
    alone = build(tmp_path / "alone", [claim("c", "treatment-benefit"), supporting])
    assert domain(alone, "c", "inconsistency")[0] == "no-concern"
    editorial = study(
        "editorial",
        "editorial",
        "treatment-benefit",
        [],
        [
            {
                "claim": "c",
                "relation": "refutes",
                "rests_on": "text",
                "locator": "page 2",
                "paraphrase": "earlier resections did not prolong survival",
            }
        ],
        risk_of_bias={"tool": "not-assessed", "rationale": "an argument"},
    )
    both = build(tmp_path / "both", [claim("c", "treatment-benefit"), supporting, editorial])
    rating, reason = domain(both, "c", "inconsistency")
    assert rating == "serious-concern"
    assert "editorial" in reason.lower() or "points the other way" in reason
    assert both.certainty("c").contested


def test_imprecision_counts_only_the_linked_findings_patients(tmp_path: Path) -> None:
    evidence = build(
        tmp_path,
        [
            claim("c", "treatment-benefit"),
            study(
                "registry",
                "registry-analysis",
                "treatment-benefit",
                [hr("subgroup", 0.6, 0.45, 0.8, 120)],
                [link("c", "subgroup")],
                sample_size={"enrolled": 13233},
            ),
        ],
    )
    assert evidence.participants("c", "death").total == 120
    rating, reason = domain(evidence, "c", "imprecision")
    assert rating == "serious-concern"
    assert "120 patients" in reason and "13,233" not in reason


def test_pooled_estimate_matches_statsmodels(tmp_path: Path) -> None:
    findings = [(0.62, 0.48, 0.80, 300), (0.85, 0.70, 1.03, 500), (0.55, 0.38, 0.79, 150)]
    records: list[dict[str, Any]] = [claim("c", "treatment-benefit", hartung_knapp=True)]
    for i, (value, lower, upper, n) in enumerate(findings):
        records.append(
            study(
                f"cohort-{i}",
                "retrospective-cohort",
                "treatment-benefit",
                [hr("f", value, lower, upper, n)],
                [link("c", "f")],
            )
        )
    pooled = build(tmp_path, records).certainty("c").of("death").pooled
    assert pooled is not None and pooled.k == 3
    y = np.log([f[0] for f in findings])
    v = np.array([((math.log(f[2]) - math.log(f[1])) / (2 * Z)) ** 2 for f in findings])
    reference = combine_effects(y, v, method_re="dl")
    assert math.log(pooled.estimate) == pytest.approx(reference.mean_effect_re, abs=1e-9)
    assert pooled.tau2 == pytest.approx(max(0.0, reference.tau2), abs=1e-9)
    hksj = reference.conf_int(use_t=True)[3]
    if reference.scale_hksj_re >= 1:
        assert math.log(pooled.ci_lower) == pytest.approx(hksj[0], abs=1e-9)
        assert math.log(pooled.ci_upper) == pytest.approx(hksj[1], abs=1e-9)


def test_an_inverted_finding_is_turned_round_before_pooling(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [claim("c", "treatment-benefit")]
    records.append(
        study(
            "a",
            "retrospective-cohort",
            "treatment-benefit",
            [hr("f", 0.6, 0.5, 0.72, 300)],
            [link("c", "f")],
        )
    )
    flipped = link("c")
    flipped["findings"] = [{"finding": "f", "outcome": "death", "inverted": True}]
    records.append(
        study(
            "b",
            "retrospective-cohort",
            "treatment-benefit",
            [hr("f", 1 / 0.6, 1 / 0.72, 1 / 0.5, 300)],
            [flipped],
        )
    )
    pooled = build(tmp_path, records).certainty("c").of("death").pooled
    assert pooled is not None
    assert pooled.estimate == pytest.approx(0.6)
    assert pooled.tau2 == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("measure", "ratio", "baseline", "expected"),
    [
        ("hr", 0.6, 0.4, 1 - 0.6**0.6),
        ("rr", 0.5, 0.3, 0.15),
        ("or", 2.0, 0.2, 0.4 / 1.2),
    ],
)
def test_absolute_effect(measure: str, ratio: float, baseline: float, expected: float) -> None:
    assert absolute_effect(measure, ratio, baseline) == pytest.approx(expected)


def test_events_per_thousand() -> None:
    without, with_it, low, high = per_thousand("hr", Estimate(0.6, 0.45, 0.8), 0.4)
    assert (without, with_it, low, high) == (400, 264, 205, 335)


@pytest.mark.parametrize(
    ("question", "n", "ci", "effect", "expected"),
    [
        (
            "treatment-benefit",
            900,
            (0.5, 0.72),
            "decrease",
            "We are very uncertain whether resection reduces death.",
        ),
        (
            "treatment-benefit",
            900,
            (0.5, 1.2),
            "decrease",
            "We are very uncertain whether resection changes death.",
        ),
        ("prognosis", 900, (1.6, 2.5), "increase", "Resection is associated with higher death."),
        (
            "prognosis",
            900,
            (0.8, 2.5),
            "increase",
            "Resection is probably not associated with death.",
        ),
        (
            "prognosis",
            200,
            (1.6, 2.5),
            "increase",
            "Resection is probably associated with higher death.",
        ),
    ],
)
def test_statements_follow_grade_wording(
    tmp_path: Path, question: str, n: int, ci: tuple[float, float], effect: str, expected: str
) -> None:
    value = math.sqrt(ci[0] * ci[1])
    evidence = build(
        tmp_path,
        [
            claim("c", question, effect=effect),
            study(
                "cohort-a",
                "retrospective-cohort",
                question,
                [hr("f", value, ci[0], ci[1], n)],
                [link("c", "f")],
                risk_of_bias=QUIPS_LOW if question == "prognosis" else ROBINS_SERIOUS,
            ),
        ],
    )
    rated = evidence.certainty("c").of("death")
    body = evidence.body("c", "death")
    assert outcome_statement(evidence.kb.claim("c"), body, rated) == expected


def test_a_claim_takes_the_lowest_of_its_critical_outcomes(tmp_path: Path) -> None:
    two = claim("c", "prognosis", effect="increase")
    two["outcomes"].append(
        {"id": "recurrence", "name": "recurrence", "importance": "important", "effect": "increase"}
    )
    records = [
        two,
        study(
            "cohort-a",
            "retrospective-cohort",
            "prognosis",
            [hr("f", 2.0, 1.6, 2.5, 900), {**hr("r", 1.2, 0.8, 1.9, 90), "outcome": "recurrence"}],
            [
                {
                    "claim": "c",
                    "relation": "supports",
                    "locator": "Results",
                    "findings": [
                        {"finding": "f", "outcome": "death"},
                        {"finding": "r", "outcome": "recurrence"},
                    ],
                }
            ],
            risk_of_bias=QUIPS_LOW,
        ),
    ]
    certainty = build(tmp_path, records).certainty("c")
    assert certainty.of("recurrence").computed in {"low", "very-low"}
    assert certainty.final == "high", "an important outcome does not pull the claim down"
    assert "death" in certainty.basis
