"""A small valid knowledge base, built in a temporary folder, and helpers to check one.

`minimal_kb()` returns relative path -> file text for a knowledge base that checks clean as of
`TODAY`: two BibTeX entries, two studies, two claims, one trial and one concept. Tests copy it,
change what they are about and write it with `write_tree`. `check_tree` runs the whole check
from inside the folder, so problem paths are short and stable ('studies/smith-2020.yaml').
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers import git

from kb.check import check_kb
from kb.corpus import load_kb, modeline
from kb.problems import Problem

TODAY = dt.date(2024, 6, 1)
"""The day every fixture is checked as of: its dates are all before it."""

FileText = str | bytes

BIB = """\
% Two entries, each cited by one study.

@article{smith2020,
  author  = {Smith, John and Doe, Jane},
  title   = {Drug {X} after resection of the primary tumour: a randomised trial},
  journal = {Journal of Trials},
  year    = {2020},
  doi     = {10.1000/jt.2020.1},
  pmid    = {31818843},
}

@article{jones2021,
  author  = {Jones, Mary},
  title   = {Survival of patients with liver metastases: a prospective cohort},
  journal = {Cohort Reports},
  year    = {2021},
  pmcid   = {PMC6924808},
}
"""

STUDY_SMITH = f"""\
{modeline("study")}
id: smith-2020
cite: smith2020
identifiers:
  doi:
    value: 10.1000/jt.2020.1
    status: verified
    source: https://doi.org/10.1000/jt.2020.1
    checked: 2024-01-15
  pmid:
    value: "31818843"
    status: unverified
design: rct
question: treatment-benefit
pico:
  population: adults after resection
  intervention: drug X
  comparator: placebo
  outcome: overall survival
sample_size:
  enrolled: 520
  analysed: 500
period:
  start: 2015-03
  end: 2018-11
database: DX-1 trial
setting: 12 centres
# risk of bias: at the end
findings:
  - outcome: overall survival
    measure: hr
    value: 0.72
    ci:
      lower: 0.58
      upper: 0.89
    p: 0.003
    locator: Table 2
    id: os-hr
    comparison: {{group: drug X, reference: placebo}}
    better: lower
    n: 500
    quote: "HR 0.72 (95% CI 0.58-0.89; P = .003; 500 patients)"
  - outcome: response
    measure: proportion
    value: 41.5
    unit: "%"
    ci:
      lower: 35.2
      upper: 47.9
    locator: Results, paragraph 3
    id: response
    quote: "41.5% responded (95% CI 35.2 to 47.9)"
links:
  - claim: drug-x-improves-survival
    relation: supports
    quote: Drug X reduced the risk of death by 28%.
    locator: Abstract
    findings: [{{finding: os-hr, outcome: overall-survival}}]
summary: A randomised trial of drug X.
risk_of_bias:
  tool: rob-2
  domains:
    - {{domain: randomisation, judgement: low, reason: Central computer randomisation.}}
    - {{domain: deviations, judgement: low, reason: Double-blind placebo.}}
    - {{domain: missing-data, judgement: low, reason: 500 of 520 analysed.}}
    - {{domain: measurement, judgement: low, reason: Death is measured without bias.}}
    - {{domain: reporting, judgement: low, reason: Registered primary outcome reported.}}
"""

STUDY_JONES = f"""\
{modeline("study")}
id: jones-2021
cite: jones2021
identifiers:
  pmcid:
    value: PMC6924808
    status: verified
design: prospective-cohort
question: prognosis
sample_size:
  enrolled: 610
database: Cohort Registry
setting: one centre
# risk of bias: at the end
findings:
  - outcome: median overall survival
    measure: median-os
    value: 14.2
    unit: months
    ci: {{lower: 12.1, upper: 16.0}}
    locator: Figure 1
    id: median-os
    quote: "median OS 14.2 months (95% CI 12.1-16.0)"
links:
  - claim: liver-metastases-predict-survival
    relation: supports
    locator: Discussion
    findings: [{{finding: median-os, outcome: overall-survival}}]
risk_of_bias:
  tool: quips
  domains:
    - {{domain: participation, judgement: low, reason: Consecutive patients.}}
    - {{domain: attrition, judgement: low, reason: Complete follow-up.}}
    - {{domain: factor-measurement, judgement: low, reason: Imaging at diagnosis.}}
    - {{domain: outcome-measurement, judgement: low, reason: Death registry.}}
    - {{domain: confounding, judgement: moderate, reason: Age and stage only.}}
    - {{domain: analysis, judgement: low, reason: Prespecified model.}}
"""

CLAIM_DRUG = f"""\
{modeline("claim")}
id: drug-x-improves-survival
statement: Drug X after resection improves overall survival.
question: treatment-benefit
scope:
  population: adults after resection
  intervention: drug X
topic: treatment
subject: drug X after resection
outcomes:
  - {{id: overall-survival, name: overall survival, importance: critical, effect: increase}}
"""

CLAIM_LIVER = f"""\
{modeline("claim")}
id: liver-metastases-predict-survival
statement: Liver metastases predict shorter survival.
question: prognosis
topic: prognosis
depends_on:
  - drug-x-improves-survival
subject: liver metastases
outcomes:
  - id: overall-survival
    name: overall survival
    importance: critical
    effect: decrease
"""

TRIAL = f"""\
{modeline("trial")}
id: drug-x-trial
title: Drug X versus placebo after resection
acronym: DX-1
identifiers:
  nct:
    value: NCT01234567
    status: verified
    source: https://clinicaltrials.gov/study/NCT01234567
    checked: 2024-02-01
phase: phase-3
design:
  allocation: randomized
  model: parallel
  masking: double
arms:
  - label: Drug X
    type: experimental
  - label: Placebo
    type: placebo-comparator
enrollment:
  count: 520
  type: actual
dates:
  start:
    date: 2015-03
    type: actual
  completion:
    date: 2019-06
    type: actual
status:
  overall: completed
  verified: 2024-02
tests:
  - drug-x-improves-survival
publications:
  - study: smith-2020
    type: results
"""

CONCEPT = f"""\
{modeline("concept")}
id: hazard-ratio
term: hazard ratio
abbreviation: HR
definition: The ratio of the hazard rates in two groups.
synonyms:
  - relative hazard
sources:
  - study: smith-2020
    locator: Methods
"""


DISCREPANCY = f"""\
{modeline("discrepancy")}
id: survival-figures
findings:
  - {{study: smith-2020, finding: os-hr}}
  - {{study: jones-2021, finding: median-os}}
description: Two records of survival that read differently.
"""


def minimal_kb() -> dict[str, FileText]:
    """A fresh copy of the valid knowledge base: relative path -> text."""
    return {
        "discrepancies/survival-figures.yaml": DISCREPANCY,
        "references.bib": BIB,
        "studies/smith-2020.yaml": STUDY_SMITH,
        "studies/jones-2021.yaml": STUDY_JONES,
        "claims/drug-x-improves-survival.yaml": CLAIM_DRUG,
        "claims/liver-metastases-predict-survival.yaml": CLAIM_LIVER,
        "trials/drug-x-trial.yaml": TRIAL,
        "concepts/hazard-ratio.yaml": CONCEPT,
    }


def write_tree(root: Path, files: Mapping[str, FileText]) -> Path:
    """Write relative path -> text (or bytes, written as they are) under `root`."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    return root


def check_tree(root: Path, today: dt.date = TODAY) -> list[Problem]:
    """Every problem in the knowledge base at `root`, with paths relative to it."""
    with contextlib.chdir(root):
        return check_kb(load_kb(Path(".")), today)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository whose main branch holds the minimal knowledge base in evidence/."""
    root = tmp_path / "repo"
    write_tree(root / "evidence", minimal_kb())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """A folder holding the minimal valid knowledge base."""
    return write_tree(tmp_path / "kb", minimal_kb())


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test may connect to this machine only: the registries are served from 127.0.0.1."""
    connect = socket.socket.connect

    def local_only(self: socket.socket, address: Any) -> None:
        if self.family in {socket.AF_INET, socket.AF_INET6}:
            host = address[0]
            if host != "localhost" and not _is_loopback(host):
                raise OSError(f"test tried to reach {host}: tests stay off the internet")
        connect(self, address)

    resolve = socket.getaddrinfo

    def local_names_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in {None, "localhost"} and not _is_loopback(host):
            raise OSError(f"test tried to look up {host}: tests stay off the internet")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", local_only)
    monkeypatch.setattr(socket, "getaddrinfo", local_names_only)
    yield


def _is_loopback(host: Any) -> bool:
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except ValueError:
        return False
