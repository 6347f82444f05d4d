"""A realistic synthetic knowledge base of any size, the same for the same seed.

N studies (each with a BibTeX entry, identifiers, PICO, risk of bias by the tool of its design,
two named findings and one to three links to claims naming a finding, with quotes), N/10 claims
(each with one critical outcome), N/100 trials (each testing claims and citing protocol
studies) and 20 concepts. The records are valid, so a benchmark measures the ordinary path. The
text is invented: the words are drawn from a small vocabulary and mean nothing.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from kb.bias import TOOLS

WORDS = [
    "resection",
    "chemotherapy",
    "survival",
    "metastases",
    "hepatic",
    "pancreatic",
    "induction",
    "marker",
    "response",
    "cohort",
    "registry",
    "outcome",
    "selection",
    "oligometastatic",
    "primary",
    "tumour",
    "synchronous",
    "staged",
    "margin",
    "recurrence",
    "toxicity",
    "conversion",
    "neoadjuvant",
    "adjuvant",
    "biopsy",
    "imaging",
    "volume",
    "centre",
]
FAMILIES = [
    f"{a}{b}"
    for a in (
        "Ab",
        "Bo",
        "Ca",
        "De",
        "El",
        "Fa",
        "Gu",
        "Ha",
        "Iv",
        "Jo",
        "Ka",
        "Lu",
        "Mo",
        "Ne",
        "Or",
        "Pa",
        "Qu",
        "Ro",
        "Sa",
        "Tu",
    )
    for b in (
        "ler",
        "mann",
        "sson",
        "ova",
        "ini",
        "ez",
        "berg",
        "ard",
        "oux",
        "ski",
        "ton",
        "ida",
        "ath",
        "ero",
        "ung",
    )
]
GIVEN = ["Anna", "Jürgen", "Sofía", "Li", "Omar", "Marta", "Kenji", "Zoë", "Piotr", "Amara"]
DESIGNS = [
    ("retrospective-cohort", 40),
    ("registry-analysis", 10),
    ("case-series", 20),
    ("case-report", 10),
    ("prospective-cohort", 10),
    ("rct", 5),
    ("meta-analysis", 2),
    ("trial-protocol", 3),
]
QUESTIONS = ["treatment-benefit", "prognosis", "diagnosis", "treatment-harm-common"]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _study(rng: random.Random, index: int, claims: int) -> tuple[str, str, str]:
    """(record id, YAML text, BibTeX entry)."""
    study_id = f"study-{index:06d}"
    key = f"Study{index:06d}"
    year = 1990 + index % 36
    design = rng.choices([d for d, _ in DESIGNS], [w for _, w in DESIGNS])[0]
    n = rng.randint(12, 5000)
    hr = round(rng.uniform(0.3, 2.5), 2)
    lower, upper = round(hr * rng.uniform(0.5, 0.95), 2), round(hr * rng.uniform(1.05, 1.8), 2)
    months = sorted((round(rng.uniform(4, 40), 1), round(rng.uniform(4, 40), 1)), reverse=True)
    links = "".join(
        f"  - claim: claim-{target:05d}\n    relation: "
        f"{rng.choices(['supports', 'refutes', 'qualifies'], [8, 1, 1])[0]}\n"
        "    findings: [{finding: os-hr, outcome: overall-survival}]\n"
        f'    quote: "{_sentence(rng, 12)}"\n    locator: Results, paragraph {rng.randint(1, 9)}\n'
        for target in sorted(rng.sample(range(claims), rng.randint(1, min(3, claims))))
    )
    p = round(rng.uniform(0.0001, 0.9), 4)
    resected, other = n // 2, n - n // 2
    text = f"""# yaml-language-server: $schema=../../schemas/study.schema.json
id: {study_id}
cite: {key}
identifiers:
  doi: {{value: 10.5555/synthetic.{index:06d}, status: verified, source: "https://example.org/{index}"}}
  pmid: {{value: "{10_000_000 + index}", status: verified, source: "https://example.org/{index}"}}
design: {design}
question: {rng.choice(QUESTIONS)}
pico:
  population: {_sentence(rng, 8)}
  intervention: {_sentence(rng, 4)}
  comparator: {_sentence(rng, 3)}
  outcome: Overall survival
sample_size: {{enrolled: {n}, analysed: {n - rng.randint(0, n // 10)}}}
setting: {_sentence(rng, 5)}
period: {{start: "{year - 8}", end: "{year - 1}"}}
{_risk_of_bias(rng, design)}
findings:
  - id: os-hr
    outcome: Overall survival
    measure: hr
    value: {hr}
    ci: {{lower: {lower}, upper: {upper}, level: 0.95}}
    p: {p}
    n: {n}
    comparison: {{group: resected, reference: not resected}}
    better: lower
    locator: Table {rng.randint(1, 5)}
    quote: "HR {hr} ({lower}-{upper}; P = {p}) in {n} patients"
  - id: median-os
    outcome: Median overall survival
    measure: median-os
    unit: months
    groups:
      - {{name: resected, value: {months[0]}, n: {resected}}}
      - {{name: not resected, value: {months[1]}, n: {other}}}
    locator: Abstract
    quote: "median {months[0]} months in {resected} resected and {months[1]} in {other} others"
{_includes(rng, design)}links:
{links}summary: >-
  {_sentence(rng, 40)}.
tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]
"""
    authors = " and ".join(
        f"{rng.choice(FAMILIES)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 8))
    )
    bib = f"""@article{{{key},
  author  = {{{authors}}},
  title   = {{{_sentence(rng, 10)} {index}}},
  journal = {{Journal of {rng.choice(WORDS).capitalize()} Studies}},
  year    = {{{year}}},
  volume  = {{{rng.randint(1, 80)}}},
  number  = {{{rng.randint(1, 12)}}},
  pages   = {{{(p := rng.randint(1, 900))}--{p + rng.randint(3, 15)}}},
  doi     = {{10.5555/synthetic.{index:06d}}},
  pmid    = {{{10_000_000 + index}}}
}}
"""
    return study_id, text, bib


ROBINS_I = tuple(TOOLS["robins-i"].domains)
ROB_2 = tuple(TOOLS["rob-2"].domains)


def _risk_of_bias(rng: random.Random, design: str) -> str:
    """Every domain of the tool that fits the design, or not assessed with the reason."""
    if design in ("case-series", "case-report", "trial-protocol", "meta-analysis"):
        return f"risk_of_bias: {{tool: not-assessed, rationale: {_sentence(rng, 5)}}}"
    tool, domains, judgements = (
        ("rob-2", ROB_2, ["low", "some-concerns", "high"])
        if design == "rct"
        else ("robins-i", ROBINS_I, ["low", "moderate", "serious"])
    )
    lines = [f"risk_of_bias:\n  tool: {tool}\n  domains:"]
    for domain in domains:
        lines.append(
            f"    - {{domain: {domain}, judgement: {rng.choice(judgements)}, "
            f"reason: {_sentence(rng, 6)}}}"
        )
    return "\n".join(lines)


def _includes(rng: random.Random, design: str) -> str:
    if design != "meta-analysis":
        return ""
    return f"includes: {{designs: [retrospective-cohort], count: {rng.randint(3, 30)}}}\n"


def _claim(rng: random.Random, index: int) -> str:
    depends = f"depends_on: [claim-{index - 1:05d}]\n" if index % 7 == 3 else ""
    return f"""# yaml-language-server: $schema=../../schemas/claim.schema.json
id: claim-{index:05d}
statement: {_sentence(rng, 16)}.
subject: {_sentence(rng, 3).lower()}
question: treatment-benefit
scope: {{population: {_sentence(rng, 6)}, outcome: Overall survival}}
topic: {rng.choice(WORDS).capitalize()}
outcomes:
  - {{id: overall-survival, name: overall survival, importance: critical, effect: increase}}
{depends}tags: [{rng.choice(WORDS)}]
"""


def _trial(rng: random.Random, index: int, claims: int, studies: int) -> str:
    tested = sorted(rng.sample(range(claims), min(2, claims)))
    return f"""# yaml-language-server: $schema=../../schemas/trial.schema.json
id: trial-{index:04d}
title: {_sentence(rng, 10)}
acronym: SYN-{index}
identifiers:
  nct: {{value: NCT{90_000_000 + index:08d}, status: verified, source: "https://example.org/t{index}"}}
phase: phase-3
design: {{allocation: randomized, model: parallel}}
enrollment: {{count: {rng.randint(100, 900)}, type: estimated}}
dates:
  start: {{date: "{2015 + index % 8}-01", type: actual}}
  results_expected: {{date: "{2027 + index % 5}", type: estimated}}
status: {{overall: recruiting}}
tests: [{", ".join(f"claim-{t:05d}" for t in tested)}]
publications:
  - {{study: study-{rng.randrange(studies):06d}, type: secondary}}
"""


def _concept(index: int) -> str:
    return f"""# yaml-language-server: $schema=../../schemas/concept.schema.json
id: concept-{index:03d}
term: {WORDS[index % len(WORDS)].capitalize()} term {index}
abbreviation: SYN{index}
definition: A synthetic glossary entry number {index}.
"""


def write_knowledge_base(root: Path, studies: int, seed: int = 2026) -> Path:
    """Write a valid knowledge base of `studies` studies into `root`; return `root`."""
    rng = random.Random(seed)
    claims = max(1, studies // 10)
    for folder in ("studies", "claims", "trials", "concepts"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    bib = []
    for index in range(studies):
        study_id, text, entry = _study(rng, index, claims)
        (root / "studies" / f"{study_id}.yaml").write_text(text, encoding="utf-8")
        bib.append(entry)
    (root / "references.bib").write_text("\n".join(bib), encoding="utf-8")
    for index in range(claims):
        (root / "claims" / f"claim-{index:05d}.yaml").write_text(_claim(rng, index))
    for index in range(max(1, studies // 100)):
        (root / "trials" / f"trial-{index:04d}.yaml").write_text(
            _trial(rng, index, claims, studies)
        )
    for index in range(20):
        (root / "concepts" / f"concept-{index:03d}.yaml").write_text(_concept(index))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    write_knowledge_base(arguments.folder, arguments.studies, arguments.seed)


if __name__ == "__main__":
    main()
