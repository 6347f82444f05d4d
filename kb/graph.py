"""The claim-evidence graph (networkx) and the questions asked of it.

Nodes are `kind:id` strings (study:oweira-2017) carrying the record; edges are
study -> claim (`link`), claim -> claim (`depends_on`), trial -> claim (`tests`) and
trial -> study (`publication`).
"""

from __future__ import annotations

import networkx as nx

from kb.corpus import KnowledgeBase
from kb.model import Claim, Concept, Link, Study, Trial

KINDS = ("study", "claim", "trial", "concept")


def node(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


def build_graph(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """Only valid records become nodes; edges to unknown records are left out (KB301 says so)."""
    graph = nx.MultiDiGraph()
    records: list[tuple[str, str, Study | Claim | Trial | Concept]] = [
        *(("study", i, loaded.record) for i, loaded in kb.studies.items()),
        *(("claim", i, loaded.record) for i, loaded in kb.claims.items()),
        *(("trial", i, loaded.record) for i, loaded in kb.trials.items()),
        *(("concept", i, loaded.record) for i, loaded in kb.concepts.items()),
    ]
    for kind, record_id, record in sorted(
        records, key=lambda item: (KINDS.index(item[0]), item[1])
    ):
        graph.add_node(node(kind, record_id), kind=kind, id=record_id, record=record)
    for study_id, study in sorted(kb.studies.items()):
        for index, link in enumerate(study.record.links):
            _add_edge(
                graph,
                node("study", study_id),
                node("claim", link.claim),
                "link",
                link=link,
                index=index,
            )
    for claim_id, claim in sorted(kb.claims.items()):
        for index, target in enumerate(claim.record.depends_on):
            _add_edge(
                graph, node("claim", claim_id), node("claim", target), "depends_on", index=index
            )
    for trial_id, trial in sorted(kb.trials.items()):
        for index, target in enumerate(trial.record.tests):
            _add_edge(graph, node("trial", trial_id), node("claim", target), "tests", index=index)
        for index, publication in enumerate(trial.record.publications):
            _add_edge(
                graph,
                node("trial", trial_id),
                node("study", publication.study),
                "publication",
                type=publication.type,
                index=index,
            )
    for concept_id, concept in sorted(kb.concepts.items()):
        for index, source in enumerate(concept.record.sources):
            _add_edge(
                graph,
                node("concept", concept_id),
                node("study", source.study),
                "source",
                index=index,
            )
    return graph


def _add_edge(graph: nx.MultiDiGraph, source: str, target: str, kind: str, **data: object) -> None:
    if target in graph:
        graph.add_edge(source, target, kind=kind, **data)


def evidence_for(graph: nx.MultiDiGraph, claim_id: str) -> list[tuple[str, Link]]:
    """(study id, link) for every study linked to the claim, sorted by study id."""
    found = [
        (graph.nodes[source]["id"], data["link"])
        for source, _, data in graph.in_edges(node("claim", claim_id), data=True)
        if data["kind"] == "link"
    ]
    return sorted(found, key=lambda pair: (pair[0], pair[1].relation))


def trials_testing(graph: nx.MultiDiGraph, claim_id: str) -> list[str]:
    return sorted(
        graph.nodes[source]["id"]
        for source, _, data in graph.in_edges(node("claim", claim_id), data=True)
        if data["kind"] == "tests"
    )


def is_contested(graph: nx.MultiDiGraph, claim_id: str) -> bool:
    relations = {link.relation for _, link in evidence_for(graph, claim_id)}
    return {"supports", "refutes"} <= relations


def dependants(graph: nx.MultiDiGraph, claim_id: str) -> list[str]:
    """Claims that depend directly on the claim, sorted."""
    return sorted(
        graph.nodes[source]["id"]
        for source, _, kind in graph.in_edges(node("claim", claim_id), data="kind")
        if kind == "depends_on"
    )


def dependency_cycles(graph: nx.MultiDiGraph) -> list[list[str]]:
    """Every set of claims that depend on each other in a cycle (a claim depending on itself
    included), each as sorted ids, in order of their first id."""
    depends = nx.DiGraph(
        (source, target)
        for source, target, kind in graph.edges(data="kind")
        if kind == "depends_on"
    )
    cycles = []
    for component in sorted(nx.strongly_connected_components(depends), key=min):
        if len(component) == 1 and not depends.has_edge(*(next(iter(component)),) * 2):
            continue
        cycles.append(sorted(graph.nodes[n]["id"] for n in component))
    return cycles
