"""SVG figures: well-formed, accessible, deterministic, inert whatever the records say, and
linear in size for a large graph."""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kb.corpus import KnowledgeBase, load_kb
from kb.evidence import Evidence
from kb.figures import claim_neighbourhood, evidence_map, knowledge_graph
from kb.figures.forests import ForestRow, forest_plot
from kb.model import Claim, Link, Outcome, Relation, Study, Trial
from kb.render.common import Site
from kb.render.forests import study_forests

EVIDENCE = Path(__file__).resolve().parent.parent / "evidence"
NS = "{http://www.w3.org/2000/svg}"
RELATIONS: tuple[Relation, ...] = ("supports", "refutes", "qualifies")
OUTCOMES: dict[str, Any] = {
    "subject": "it",
    "outcomes": [Outcome(id="survival", name="survival", importance="critical", effect="decrease")],
}
HOSTILE = '<script>alert(1)</script> " onload="x \' &amp; javascript:x'


def url(kind: str, record_id: str) -> str:
    return f"../{kind}/{record_id}/"


def check_svg(svg: str) -> ET.Element:
    """Every rule a figure keeps, whatever it draws; returns the parsed root."""
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
    assert svg.endswith("</svg>")
    assert all(line.strip() for line in svg.split("\n")), "a blank line ends an HTML block"
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    # an image's content is not interactive (axe: nested-interactive): a figure of links is a group
    assert root.get("role") == ("group" if root.find(f".//{NS}a") is not None else "img")
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+\.\d \d+\.\d", root.get("viewBox", ""))
    # on a phone it stops shrinking where its smallest text is still 11 px (kb.css)
    width = float(root.get("viewBox", "").split()[2])
    phone = re.search(r"--kb-min-width:(\d+\.\d)px", root.get("style", ""))
    assert phone is not None
    smallest = min(float(e.get("font-size", "12")) for e in root.iter(f"{NS}text"))
    assert float(phone.group(1)) / width * smallest == pytest.approx(11, abs=0.05)
    assert root.get("font-family") == "system-ui, sans-serif"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert re.fullmatch(r"[a-z0-9-]+", title_id) and re.fullmatch(r"[a-z0-9-]+", desc_id)
    ids = {element.get("id"): element.tag for element in root.iter() if element.get("id")}
    assert ids[title_id] == f"{NS}title" and ids[desc_id] == f"{NS}desc"
    assert (root.find(f"{NS}desc").text or "").strip()  # type: ignore[union-attr]
    for element in root.iter():
        assert element.tag.removeprefix(NS) not in {"script", "style", "image", "foreignObject"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert "javascript:" not in value.lower()
            assert not re.search(r"url\((?!#)", value), value
        href = element.get("href")
        if href is not None:
            assert re.fullmatch(r"\.\./(study|claim|trial)/[^/]+/", href), href
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{NS}text")]


def hrefs(root: ET.Element) -> set[str]:
    return {element.get("href", "") for element in root.iter(f"{NS}a")}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(EVIDENCE)


@pytest.fixture(scope="module")
def graph(kb: KnowledgeBase) -> nx.MultiDiGraph:
    return Evidence(kb).graph


def shuffled(graph: nx.MultiDiGraph, seed: int) -> nx.MultiDiGraph:
    """The same graph, its nodes and edges added in another order."""
    rng = random.Random(seed)
    nodes, edges = list(graph.nodes(data=True)), list(graph.edges(data=True))
    rng.shuffle(nodes)
    rng.shuffle(edges)
    copy = nx.MultiDiGraph()
    copy.add_nodes_from(nodes)
    copy.add_edges_from((source, target, dict(data)) for source, target, data in edges)
    return copy


# --- forest plot -------------------------------------------------------------------------------


def axis(root: ET.Element) -> dict[float, float]:
    """Tick value -> x, read from the tick labels under the axis."""
    ticks = {}
    for element in root.iter(f"{NS}text"):
        if element.get("text-anchor") == "middle" and re.fullmatch(
            r"[\d.e+-]+", element.text or ""
        ):
            ticks[float(element.text or "")] = float(element.get("x", ""))
    return ticks


def log_position(value: float, ticks: dict[float, float]) -> float:
    (low, x0), (high, x1) = min(ticks.items()), max(ticks.items())
    return x0 + (math.log(value) - math.log(low)) / (math.log(high) - math.log(low)) * (x1 - x0)


def estimates(root: ET.Element) -> list[float]:
    """x of the centre of each estimate's square."""
    return [
        float(rect.get("x", "")) + float(rect.get("width", "")) / 2
        for rect in root.iter(f"{NS}rect")
        if rect.get("class") == "estimate"
    ]


def reference_x(root: ET.Element) -> float:
    (line,) = [line for line in root.iter(f"{NS}line") if line.get("class") == "reference"]
    assert line.get("x1") == line.get("x2")
    return float(line.get("x1", ""))


def plot(*rows: ForestRow) -> str | None:
    return forest_plot("k", "Hazard ratios", "Hazard ratio", rows, ("Favours a", "Favours b"))


def test_forest_plot_of_the_shipped_tachezy_study(kb: KnowledgeBase) -> None:
    site = Site(Evidence(kb), dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    plots = study_forests(site, kb.studies["tachezy-synchronous-resection"].record)
    assert len(plots) == 1
    root = check_svg(re.search(r"<svg.*</svg>", plots[0], re.S).group(0))  # type: ignore[union-attr]
    assert "2.044 (1.342 to 3.114)" in texts(root)
    assert len(estimates(root)) == 1, "the median-OS findings are not ratios and are not drawn"
    ticks = axis(root)
    assert reference_x(root) == pytest.approx(ticks[1.0], abs=0.05)
    assert estimates(root)[0] == pytest.approx(log_position(2.044, ticks), abs=0.1)
    sides = [t for t in texts(root) if "Favours" in t]
    assert any("no resection" in t for t in sides), "the ratio is no resection vs resection"


def test_the_estimate_sits_at_its_log_scale_position() -> None:
    root = check_svg(plot(ForestRow("no difference", 1.0, 0.5, 2.0)) or "")
    (centre,) = estimates(root)
    assert centre == pytest.approx(reference_x(root), abs=0.1)
    (ci,) = [line for line in root.iter(f"{NS}line") if line.get("stroke-width") == "1.5"]
    lower, upper = float(ci.get("x1", "")), float(ci.get("x2", ""))
    assert centre - lower == pytest.approx(upper - centre, abs=0.1), "log scale: 0.5 and 2 mirror"


def test_no_forest_plot_without_a_ratio_with_an_interval(kb: KnowledgeBase) -> None:
    site = Site(Evidence(kb), dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    assert study_forests(site, kb.studies["crippa-liver-mets-chemo"].record) == []
    assert plot(ForestRow("typo", 0.0, 0.0, 2.0)) is None, "0 has no log"


def test_forest_plot_does_not_depend_on_the_order_of_rows_given_the_same_order() -> None:
    rows = [ForestRow(f"outcome {i}", 0.5 + i / 10, 0.3 + i / 10, 0.9 + i / 5) for i in range(6)]
    assert plot(*rows) == plot(*rows)


def test_forest_plot_axis_for_extreme_and_other_level_ratios() -> None:
    wide = ForestRow("wide", 300.0, 0.002, 90000.0, level=0.9)
    root = check_svg(plot(wide, ForestRow("narrow", 1.0, 1.0, 1.0)) or "")
    ticks = axis(root)
    assert min(ticks) <= 0.002 and max(ticks) >= 90000 and 1.0 in ticks and len(ticks) <= 12
    assert "300 (90% CI 0.002 to 90000)" in texts(root)


def test_forest_plot_text_is_inert() -> None:
    svg = plot(ForestRow(HOSTILE + "\n\nsecond paragraph\x00", 1.2, 1.0, 1.5)) or ""
    root = check_svg(svg)
    assert "<script" not in svg and 'onload="' not in svg
    assert any(text.startswith("<script>alert(1)</script>") for text in texts(root))


# --- a claim's neighbourhood -------------------------------------------------------------------


def small_graph(statement: str = "Drug X works.", study_id: str = "smith-2020") -> nx.MultiDiGraph:
    """Three studies (one of each relation), a trial and claims above and below the claim."""
    graph = nx.MultiDiGraph()
    for claim_id in ("drug-x-works", "base-claim", "later-claim"):
        claim = Claim(id=claim_id, statement=statement, question="prognosis", topic="t", **OUTCOMES)
        graph.add_node(f"claim:{claim_id}", kind="claim", id=claim_id, record=claim)
    for index, relation in enumerate(RELATIONS):
        name = f"{study_id}-{index}"
        study = Study(id=name, cite="c", design="rct", question="prognosis", summary=statement)
        graph.add_node(f"study:{name}", kind="study", id=name, record=study)
        link = Link(claim="drug-x-works", relation=relation, locator="abstract", rests_on="text")
        graph.add_edge(f"study:{name}", "claim:drug-x-works", kind="link", link=link)
    trial = Trial.model_validate(
        {"id": "dx-1", "title": statement, "identifiers": {}, "phase": "phase-3",
         "design": {"allocation": "randomized", "model": "parallel"}}
    )  # fmt: skip
    graph.add_node("trial:dx-1", kind="trial", id="dx-1", record=trial)
    graph.add_edge("trial:dx-1", "claim:drug-x-works", kind="tests")
    graph.add_edge("claim:drug-x-works", "claim:base-claim", kind="depends_on")
    graph.add_edge("claim:later-claim", "claim:drug-x-works", kind="depends_on")
    return graph


def test_neighbourhood_of_every_shipped_claim(kb: KnowledgeBase, graph: nx.MultiDiGraph) -> None:
    for claim_id in sorted(kb.claims):
        svg = claim_neighbourhood(graph, claim_id, url)
        root = check_svg(svg)
        linked = {study for study, _, kind in graph.in_edges(f"claim:{claim_id}", "kind")}
        expected = {url(*name.split(":")) for name in linked} | {url("claim", claim_id)}
        assert hrefs(root) >= expected
        assert claim_neighbourhood(shuffled(graph, 1), claim_id, url) == svg


def test_neighbourhood_names_each_relation_in_colour_dashes_and_words() -> None:
    root = check_svg(claim_neighbourhood(small_graph(), "drug-x-works", url))
    edges = {
        path.findtext(f"{NS}title"): path
        for path in root.iter(f"{NS}path")
        if path.get("d", "").count("C") == 1
    }
    assert edges["supports"].get("stroke-dasharray") is None
    assert edges["refutes"].get("stroke-dasharray") == "7 4"
    assert edges["qualifies"].get("stroke-dasharray") == "1.5 3.5"
    colours = {edges[relation].get("stroke") for relation in ("supports", "refutes", "qualifies")}
    assert len(colours) == 3
    words = texts(root)
    assert {"supports", "refutes", "qualifies", "tests"} <= set(words)
    assert hrefs(root) == {
        url("claim", c) for c in ("drug-x-works", "base-claim", "later-claim")
    } | {url("study", f"smith-2020-{i}") for i in range(3)} | {url("trial", "dx-1")}
    assert any("depends on these claims" in word for word in words)
    assert any("depend on it" in word for word in words)


def test_neighbourhood_text_is_inert() -> None:
    graph = small_graph(HOSTILE)
    svg = claim_neighbourhood(graph, "drug-x-works", url)
    root = check_svg(svg)
    assert "<script" not in svg and 'onload="' not in svg
    assert HOSTILE in root.findtext(f"{NS}desc", "")
    odd = nx.MultiDiGraph()  # a node id outside the schema still ends up as text and attribute
    odd.add_node('claim:"><script>', kind="claim", id='"><script>')
    svg = claim_neighbourhood(odd, '"><script>', lambda kind, rid: f"../{kind}/x/")
    assert "<script" not in svg


def test_neighbourhood_refuses_unknown_claims_and_script_urls() -> None:
    with pytest.raises(KeyError):
        claim_neighbourhood(small_graph(), "no-such-claim", url)
    for bad in ("javascript:alert(1)", " JaVa\tScript:alert(1)", "data:text/html,x"):

        def hostile(kind: str, record_id: str, target: str = bad) -> str:
            return target

        with pytest.raises(ValueError, match="refusing"):
            claim_neighbourhood(small_graph(), "drug-x-works", hostile)


def test_figure_ids_are_unique_per_figure(kb: KnowledgeBase, graph: nx.MultiDiGraph) -> None:
    svgs = [claim_neighbourhood(graph, claim_id, url) for claim_id in sorted(kb.claims)]
    svgs += [
        forest_plot(f"s-{i}", "T", "Hazard ratio", [ForestRow("x", 1.0, 0.5, 2.0)], ("a", "b"))
        or ""
        for i in (1, 2)
    ]
    svgs += [knowledge_graph(graph, url), evidence_map([("a", "A")], ["rct"], {}, url)]
    ids = [element.get("id") for svg in svgs for element in ET.fromstring(svg).iter()]
    named = [found for found in ids if found]
    assert len(named) == len(set(named))


# --- the whole graph ---------------------------------------------------------------------------


def test_knowledge_graph_of_the_shipped_kb(kb: KnowledgeBase, graph: nx.MultiDiGraph) -> None:
    svg = knowledge_graph(graph, url)
    root = check_svg(svg)
    expected = {url("study", s) for s in kb.studies} | {url("claim", c) for c in kb.claims}
    assert hrefs(root) == expected | {url("trial", t) for t in kb.trials}
    for seed in range(3):
        assert knowledge_graph(shuffled(graph, seed), url) == svg
    assert "supports" in texts(root) and "refutes" in texts(root)  # the legend
    # some 40 records (20 studies in the longest column) fit a laptop screen 768 pixels high
    assert float(root.get("viewBox", "").split()[3]) < 680, "the graph stays on one screen"


def synthetic(studies: int, claims: int = 10) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for index in range(claims):
        claim = Claim(
            id=f"c-{index:03d}", statement="s", question="prognosis", topic="t", **OUTCOMES
        )
        graph.add_node(f"claim:{claim.id}", kind="claim", id=claim.id, record=claim)
    for index in range(studies):
        study = Study(id=f"s-{index:05d}", cite="c", design="rct", question="prognosis")
        graph.add_node(f"study:{study.id}", kind="study", id=study.id, record=study)
        for offset in range(2):
            target = f"c-{(index + offset * 3) % claims:03d}"
            link = Link(
                claim=target, relation=RELATIONS[index % 3], locator="p. 1", rests_on="text"
            )
            graph.add_edge(f"study:{study.id}", f"claim:{target}", kind="link", link=link)
    graph.add_edge("claim:c-000", "claim:c-005", kind="depends_on")
    return graph


def test_knowledge_graph_grows_linearly() -> None:
    small, large = knowledge_graph(synthetic(100), url), knowledge_graph(synthetic(1000), url)
    check_svg(large)
    assert len(large) / len(small) < 15
    heights = [float(ET.fromstring(svg).get("viewBox", "").split()[3]) for svg in (small, large)]
    assert 8 < heights[1] / heights[0] < 11


def test_knowledge_graph_text_is_inert() -> None:
    svg = knowledge_graph(small_graph(HOSTILE), url)
    check_svg(svg)
    assert "<script" not in svg and 'onload="' not in svg


# --- evidence map ------------------------------------------------------------------------------


def test_evidence_map(kb: KnowledgeBase) -> None:
    counts: dict[tuple[str, str], int] = {}
    for study in (s.record for s in kb.studies.values()):
        for link in study.links:
            counts[(link.claim, study.design)] = counts.get((link.claim, study.design), 0) + 1
    rows = [
        (claim_id, claim.statement)
        for claim_id, claim in ((i, c.record) for i, c in kb.claims.items())
    ]
    columns = sorted({design for _, design in counts})
    svg = evidence_map(rows, columns, counts, url)
    root = check_svg(svg)
    assert hrefs(root) == {url("claim", claim_id) for claim_id in kb.claims}
    numbers = [int(text) for text in texts(root) if text.isdigit()]
    assert sorted(numbers) == sorted(n for n in counts.values() if n)
    for seed in range(3):
        rng = random.Random(seed)
        items = list(counts.items())
        rng.shuffle(items)
        rng.shuffle(rows)
        assert evidence_map(rows, rng.sample(columns, len(columns)), dict(items), url) == svg


def test_evidence_map_numbers_and_shades() -> None:
    counts = {("a", "rct"): 1, ("a", "case-report"): 4, ("b", "rct"): 2, ("b", "editorial"): 0}
    columns = ["editorial", "case-report", "rct"]
    root = check_svg(evidence_map([("b", "B"), ("a", "A")], columns, counts, url))
    labels = texts(root)
    assert labels[:3] == ["rct", "case-report", "editorial"], "designs strongest first"
    assert labels[3] == "A" and "0" not in labels
    shades = {
        group.findtext(f"{NS}text"): float(rect.get("fill-opacity", ""))
        for group in root.iter(f"{NS}g")
        for rect in group.iter(f"{NS}rect")
        if rect.get("fill-opacity")
    }
    assert shades["1"] < shades["2"] < shades["4"]


def test_evidence_map_text_is_inert() -> None:
    svg = evidence_map([("a", HOSTILE)], [HOSTILE], {("a", HOSTILE): 2}, url)
    root = check_svg(svg)
    assert "<script" not in svg and 'onload="' not in svg
    assert HOSTILE in texts(root)
