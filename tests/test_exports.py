"""Exports: each parses back with its own reader, is byte-identical across runs, and never
puts an unverified identifier where a verified one belongs."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from pybtex.database import parse_string

from kb import exports, references
from kb.corpus import KnowledgeBase, load_kb
from kb.evidence import Evidence

EVIDENCE = Path(__file__).resolve().parent.parent / "evidence"
TODAY = dt.date(2026, 1, 15)
RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  - (.*)$")


def all_exports(kb: KnowledgeBase) -> dict[str, str]:
    evidence = Evidence(kb)
    out = {
        "evidence.json": exports.evidence_json(evidence, TODAY),
        "csl.json": references.csl_json(kb),
        "references.bib": references.bibtex(kb),
        "references.ris": references.ris(kb),
        "graph.graphml": exports.graphml(evidence.graph),
    }
    for study_id in kb.studies:
        out[f"{study_id}.bib"] = references.study_bibtex(kb, study_id)
        out[f"{study_id}.ris"] = references.study_ris(kb, study_id)
    return out


def parse_ris(text: str) -> list[list[tuple[str, str]]]:
    """Records as (tag, value) lists; every line must be 'TAG  - value' ending in CR LF."""
    assert text.endswith("\r\n")
    records: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = None
    for line in text[:-2].split("\r\n"):
        match = RIS_LINE.match(line)
        assert match, repr(line)
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY before the previous ER"
            current = []
        assert current is not None, f"{tag} outside a record"
        current.append((tag, value))
        if tag == "ER":
            assert value == ""
            records.append(current)
            current = None
    assert current is None, "last record has no ER"
    return records


def values(record: list[tuple[str, str]], tag: str) -> list[str]:
    return [value for found, value in record if found == tag]


def walk(data: Any) -> list[Any]:
    """Every leaf value in nested JSON data."""
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in walk(value)]
    if isinstance(data, list):
        return [leaf for value in data for leaf in walk(value)]
    return [data]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(EVIDENCE)


@pytest.fixture(scope="module")
def real(kb: KnowledgeBase) -> dict[str, str]:
    return all_exports(kb)


def test_exports_are_byte_identical_across_runs_and_folders(
    real: dict[str, str], tmp_path: Path
) -> None:
    again = all_exports(load_kb(EVIDENCE))
    with contextlib.chdir(tmp_path):  # paths in the JSON do not depend on the working folder
        elsewhere = all_exports(load_kb(EVIDENCE))
    for name, text in real.items():
        assert again[name].encode() == text.encode(), name
        assert elsewhere[name].encode() == text.encode(), name
        if not name.endswith(".ris"):
            assert "\r" not in text, name


def test_evidence_json_has_every_record_and_grade(kb: KnowledgeBase, real: dict[str, str]) -> None:
    data = json.loads(real["evidence.json"])
    assert data["schema_version"] == 2
    assert data["as_of"] == "2026-01-15"
    assert [s["id"] for s in data["studies"]] == sorted(kb.studies)
    assert [c["id"] for c in data["claims"]] == sorted(kb.claims)
    assert [t["id"] for t in data["trials"]] == sorted(kb.trials)
    assert [c["id"] for c in data["concepts"]] == sorted(kb.concepts)
    for study in data["studies"]:
        assert set(study["level"]) == {"level", "base", "reason"}
        assert study["file"] == f"studies/{study['id']}.yaml"
        assert study["record"] == kb.studies[study["id"]].record.model_dump(mode="json")
    ratings = {None, "high", "moderate", "low", "very-low"}
    for claim in data["claims"]:
        assert claim["certainty"]["final"] in ratings
        assert claim["outcomes"], claim["id"]
        for outcome in claim["outcomes"]:
            assert {"id", "findings", "studies", "participants", "certainty", "pooled"} <= set(
                outcome
            )
            assert {"start", "domains", "final"} <= set(outcome["certainty"])
            assert outcome["certainty"]["final"] in ratings
            for domain in outcome["certainty"]["domains"]:
                assert set(domain) == {"domain", "rating", "reason"}
            for finding in outcome["findings"]:
                study = kb.studies[finding["study"]].record
                assert finding["finding"] in {f.id for f in study.findings}
    survival = next(
        c for c in data["claims"] if c["id"] == "simultaneous-resection-improves-os-vs-chemo"
    )
    os = next(o for o in survival["outcomes"] if o["id"] == "overall-survival")
    assert {
        "study": "tachezy-synchronous-resection",
        "finding": "os-hr-multivariate",
        "relation": "supports",
        "inverted": True,
    } in os["findings"]
    parra = next(s for s in data["studies"] if s["id"] == "parra-robert-2018-lewis")
    assert {
        "name": "pmid",
        "value": "30275214",
        "status": "unverified",
        "from": "record",
        "registry": "not-resolved",
    } in parra["identifiers"]
    assert parra["reference"]["key"] == "ParraRobert2018Lewis"
    assert parra["reference"]["vancouver"].startswith("Parra-Robert M, Molina Santos V,")


def test_csl_json_items(kb: KnowledgeBase, real: dict[str, str]) -> None:
    items = json.loads(real["csl.json"])
    assert [item["id"] for item in items] == sorted(kb.studies)
    for item in items:
        assert item["type"] and item["title"], item["id"]
        for leaf in walk(item):
            assert leaf not in (None, "", [], {}) and "None" not in str(leaf), item["id"]
    by_id = {item["id"]: item for item in items}
    parra = by_id["parra-robert-2018-lewis"]
    assert "PMID" not in parra
    assert parra["DOI"] == "10.21873/anticanres.12931"
    assert "PMID 30275214 (unverified)" in parra["note"]
    assert parra["author"][1] == {"family": "Molina Santos", "given": "Víctor"}
    assert parra["issued"] == {"date-parts": [[2018]]}
    assert parra["page"] == "5883-5888"
    crippa = by_id["crippa-liver-mets-chemo"]
    assert "PMID" not in crippa and "(unverified)" in crippa["note"]
    hackert = by_id["hackert-2017-oligometastatic"]
    assert hackert["PMID"] == "27856064" and hackert["type"] == "article-journal"
    zanini = by_id["zanini-liver-mets-surgery"]
    assert "author" not in zanini and "issued" not in zanini


def test_bibtex_parses_back_with_the_same_fields(kb: KnowledgeBase, real: dict[str, str]) -> None:
    data = parse_string(real["references.bib"], "bibtex")
    records = [s.record for s in kb.studies.values()] + [t.record for t in kb.trials.values()]
    entries = [kb.bibliography.get(record.cite) for record in records if record.cite]
    cited = {entry.key for entry in entries if entry is not None}
    assert set(data.entries) == cited
    assert list(data.entries) == sorted(data.entries, key=str.casefold)
    for key, entry in data.entries.items():
        original = kb.bibliography.entries[key]
        for name, value in entry.fields.items():
            if name.lower() not in {"note", "pmid"}:
                assert value == original.fields[name.lower()], (key, name)
        authors = " and ".join(str(p) for p in entry.persons.get("author", []))
        assert authors == original.fields.get("author", ""), key
    # values that are LaTeX already are not escaped twice
    assert data.entries["Wei2019CSPAC1ESMO"].fields["number"] == r"suppl\_5"
    parra = data.entries["ParraRobert2018Lewis"]
    assert "pmid" not in parra.fields
    assert parra.fields["note"].endswith("PMID 30275214 (unverified)")
    one = parse_string(real["parra-robert-2018-lewis.bib"], "bibtex")
    assert list(one.entries) == ["ParraRobert2018Lewis"]


def test_ris_records(kb: KnowledgeBase, real: dict[str, str]) -> None:
    records = parse_ris(real["references.ris"])
    assert len(records) == len(kb.studies)
    by_study = {}
    for record in records:
        assert record[0][0] == "TY" and record[-1][0] == "ER"
        study = next(v for v in values(record, "N1") if v.startswith("Study "))
        by_study[study.split()[1]] = record
    assert sorted(by_study) == sorted(kb.studies)
    parra = by_study["parra-robert-2018-lewis"]
    assert parse_ris(real["parra-robert-2018-lewis.ris"]) == [parra]
    assert values(parra, "TY") == ["JOUR"]
    assert values(parra, "AU")[:2] == ["Parra-Robert, Marina", "Molina Santos, Víctor"]
    assert values(parra, "DO") == ["10.21873/anticanres.12931"]
    assert values(parra, "AN") == []
    assert "PMID 30275214 (unverified)" in values(parra, "N1")
    assert (values(parra, "SP"), values(parra, "EP")) == (["5883"], ["5888"])
    hackert = by_study["hackert-2017-oligometastatic"]
    assert values(hackert, "AN") == ["PMID:27856064"]
    assert values(by_study["oweira-2017-seer"], "C2") == ["PMC5352929"]


def test_graphml_parses_back(kb: KnowledgeBase, real: dict[str, str]) -> None:
    graph = Evidence(kb).graph
    read = nx.read_graphml(io.BytesIO(real["graph.graphml"].encode()), force_multigraph=True)
    assert sorted(read.nodes) == sorted(graph.nodes)
    assert read.number_of_edges() == graph.number_of_edges()
    for name, data in read.nodes(data=True):
        assert data["kind"] == graph.nodes[name]["kind"]
        assert data["id"] == graph.nodes[name]["id"]
        assert isinstance(data["label"], str) and data["label"]
    links = [d for _, _, d in read.edges(data=True) if d["kind"] == "link"]
    assert links and all(d["relation"] in {"supports", "refutes", "qualifies"} for d in links)
    assert "record" not in real["graph.graphml"]


def test_unknown_study_is_a_key_error(kb: KnowledgeBase) -> None:
    with pytest.raises(KeyError):
        references.study_bibtex(kb, "no-such-study")
    with pytest.raises(KeyError):
        references.study_ris(kb, "no-such-study")


# The minimal fixture: smith2020's entry has a PMID the record marks unverified.


@pytest.mark.parametrize(
    "export",
    [references.csl_json, references.bibtex, references.ris],
    ids=["csl", "bibtex", "ris"],
)
def test_bib_identifier_the_record_calls_unverified_is_not_exported_as_verified(
    kb_root: Path, export: Callable[[KnowledgeBase], str]
) -> None:
    fixture = load_kb(kb_root)
    text = export(fixture)
    assert "PMID 31818843 (unverified)" in text
    assert not re.search(r'"PMID"|\bpmid = |^AN  - ', text, re.MULTILINE)
    # the verified DOI and PMCID stay in their fields
    assert "10.1000/jt.2020.1" in text and "PMC6924808" in text


def test_fixture_exports_parse(kb_root: Path) -> None:
    fixture = load_kb(kb_root)
    out = all_exports(fixture)
    smith = next(i for i in json.loads(out["csl.json"]) if i["id"] == "smith-2020")
    assert smith["DOI"] == "10.1000/jt.2020.1" and "PMID" not in smith
    entry = parse_string(out["smith-2020.bib"], "bibtex").entries["smith2020"]
    assert "pmid" not in entry.fields and entry.fields["doi"] == "10.1000/jt.2020.1"
    [record] = parse_ris(out["smith-2020.ris"])
    assert values(record, "DO") == ["10.1000/jt.2020.1"]
    data = json.loads(out["evidence.json"])
    assert data["studies"][1]["level"]["level"] == 2  # an rct on treatment benefit
    graph = nx.read_graphml(io.BytesIO(out["graph.graphml"].encode()), force_multigraph=True)
    assert graph.nodes["trial:drug-x-trial"]["label"] == "DX-1"
