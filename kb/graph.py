"""The claim-evidence graph (networkx) and the rules that need it: KB304-KB307.

Nodes are `kind:id` strings (study:oweira-2017) carrying the record; edges are
study -> claim (`link`), claim -> claim (`depends_on`), trial -> claim (`tests`) and
trial -> study (`publication`).
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from kb.corpus import KnowledgeBase
from kb.model import Link
from kb.problems import (
    CLAIM_WITHOUT_EVIDENCE,
    CONTESTED_CLAIM,
    DEPENDENCY_CYCLE,
    UNLINKED_STUDY,
    Problem,
)
from kb.rules import Context


def node(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


def build_graph(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """Only valid records become nodes; edges to unknown records are left out (KB301 says so)."""
    graph = nx.MultiDiGraph()
    for kind, records in (
        ("study", kb.studies),
        ("claim", kb.claims),
        ("trial", kb.trials),
        ("concept", kb.concepts),
    ):
        for record_id, (record, _) in sorted(records.items()):
            graph.add_node(node(kind, record_id), kind=kind, id=record_id, record=record)
    for study_id, (study, _) in sorted(kb.studies.items()):
        for index, link in enumerate(study.links):
            _add_edge(
                graph,
                node("study", study_id),
                node("claim", link.claim),
                "link",
                link=link,
                index=index,
            )
    for claim_id, (claim, _) in sorted(kb.claims.items()):
        for index, target in enumerate(claim.depends_on):
            _add_edge(
                graph, node("claim", claim_id), node("claim", target), "depends_on", index=index
            )
    for trial_id, (trial, _) in sorted(kb.trials.items()):
        for index, target in enumerate(trial.tests):
            _add_edge(graph, node("trial", trial_id), node("claim", target), "tests", index=index)
        for index, publication in enumerate(trial.publications):
            _add_edge(
                graph,
                node("trial", trial_id),
                node("study", publication.study),
                "publication",
                type=publication.type,
                index=index,
            )
    for concept_id, (concept, _) in sorted(kb.concepts.items()):
        for index, source in enumerate(concept.sources):
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


def check(
    kb: KnowledgeBase,
    context: Context,
    graph: nx.MultiDiGraph | None = None,
) -> Iterator[Problem]:
    graph = build_graph(kb) if graph is None else graph
    for claim_id, (_, loaded) in sorted(kb.claims.items()):
        evidence = evidence_for(graph, claim_id)
        line, col = loaded.source.value(("id",))
        if not evidence:
            yield Problem(
                loaded.path,
                line,
                col,
                CLAIM_WITHOUT_EVIDENCE,
                f"claim '{claim_id}' has no evidence",
                "link a study to it, or remove the claim",
            )
        elif is_contested(graph, claim_id):
            supports = sum(link.relation == "supports" for _, link in evidence)
            refutes = sum(link.relation == "refutes" for _, link in evidence)
            yield Problem(
                loaded.path,
                line,
                col,
                CONTESTED_CLAIM,
                f"claim '{claim_id}' is contested: {supports} "
                f"{'study supports' if supports == 1 else 'studies support'} it, "
                f"{refutes} {'refutes' if refutes == 1 else 'refute'} it",
                None,
            )
    for study_id, (_, loaded) in sorted(kb.studies.items()):
        if graph.degree(node("study", study_id)) == 0:
            yield Problem.at(
                loaded,
                ("id",),
                UNLINKED_STUDY,
                f"study '{study_id}' is linked to no claim, trial or concept",
                "add a link to the claim it informs",
            )
    yield from _cycles(kb, graph)


def _cycles(kb: KnowledgeBase, graph: nx.MultiDiGraph) -> Iterator[Problem]:
    depends = nx.DiGraph(
        (source, target)
        for source, target, kind in graph.edges(data="kind")
        if kind == "depends_on"
    )
    for component in sorted(nx.strongly_connected_components(depends), key=min):
        if len(component) == 1 and not depends.has_edge(*(next(iter(component)),) * 2):
            continue
        ids = sorted(graph.nodes[n]["id"] for n in component)
        first = ids[0]
        claim, loaded = kb.claims[first]
        index = next(i for i, target in enumerate(claim.depends_on) if target in ids)
        yield Problem.at(
            loaded,
            ("depends_on", index),
            DEPENDENCY_CYCLE,
            f"claims depend on each other in a cycle: {' -> '.join(ids)} -> {first}"
            if len(ids) > 1
            else f"claim '{first}' depends on itself",
            "a claim can rest on another only if that one does not rest on it",
        )
