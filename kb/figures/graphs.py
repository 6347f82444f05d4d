"""The claim-evidence graph drawn: one claim's neighbourhood, and the whole graph."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence

import networkx as nx

from kb.figures.svg import (
    RELATIONS,
    STROKES,
    Url,
    _arrow_defs,
    _Box,
    _clean,
    _describe,
    _document,
    _fid,
    _legend,
    _node,
    _path,
    _s_curve,
    _text,
)
from kb.model import Claim

NB_WIDTH, NB_CENTRE, BOX_H, PITCH = 960.0, (350.0, 260.0), 36.0, 44.0
_PLACES = {  # heading, x, width, boxes per row
    "supports": ("Studies that support it", 16.0, 250.0, 1),
    "refutes": ("Studies that refute it", 16.0, 250.0, 1),
    "qualifies": ("Studies that qualify it", 16.0, 250.0, 1),
    "tests": ("Trials testing it", 694.0, 250.0, 1),
    "above": ("It depends on these claims", 25.0, 290.0, 3),
    "below": ("Claims that depend on it", 25.0, 290.0, 3),
}


def _neighbours(graph: nx.MultiDiGraph, centre: str) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {key: set() for key in _PLACES}
    for source, target, data in (
        *graph.in_edges(centre, data=True),
        *graph.out_edges(centre, data=True),
    ):
        kind, other = data.get("kind"), source if target == centre else target
        if kind == "link" and target == centre:
            found[data["link"].relation].add(source)
        elif kind == "tests" and target == centre:
            found["tests"].add(source)
        elif kind == "depends_on" and other != centre:
            found["below" if target == centre else "above"].add(other)
    return {key: sorted(names) for key, names in found.items()}


def _place(names: list[str], key: str, y: float, headings: list[str]) -> tuple[list[_Box], float]:
    """A heading (into `headings`) and a box per name below it, as `_PLACES` lays them out; and
    where they end."""
    if not names:
        return [], y
    heading, x, width, per_row = _PLACES[key]
    headings.append(_text((x, y + 12), f"{heading} ({len(names)})", 11, font_weight="600"))
    boxes = [
        _Box(x + (width + 20) * (i % per_row), y + 20 + PITCH * (i // per_row), width, BOX_H)
        for i in range(len(names))
    ]
    return boxes, boxes[-1].y + BOX_H + 14


def _spoke(key: str, other: _Box, centre: _Box, fid: str) -> list[str]:
    """The edge between a neighbour and the claim, named in words beside it."""
    if key in STROKES or key == "tests":
        side, to, shift, anchor = (
            ("right", "left", 5, None) if key in STROKES else ("left", "right", -5, "end")
        )
        (x, y), end = other.side(side), centre.side(to)
        edge = _path(_s_curve((x, y), end), key, key)
        below = end[1] < y  # the edge rises: its name goes under it
        return [edge, _text((x + shift, y + (13 if below else -5)), key, 10, text_anchor=anchor)]
    ends = (centre, other) if key == "above" else (other, centre)
    d = _s_curve(ends[0].side("top"), ends[1].side("bottom"), vertical=True)
    return [_path(d, "depends on", "depends on", f"{fid}-arrow")]


def claim_neighbourhood(graph: nx.MultiDiGraph, claim_id: str, url: Url) -> str:
    """The claim in the middle with its statement; studies linked to it on the left, grouped by
    relation; trials testing it on the right; claims it depends on above, and claims that depend
    on it below. Raises KeyError when the claim is not in the graph."""
    centre = f"claim:{claim_id}"
    if centre not in graph:
        raise KeyError(f"claim '{claim_id}' is not in the graph")
    near, fid = _neighbours(graph, centre), _fid("claim-neighbourhood", claim_id)
    headings: list[str] = []
    placed, top = {}, 8.0
    placed["above"], top = _place(near["above"], "above", top, headings)
    y = top = top + 8
    for relation in RELATIONS:
        placed[relation], y = _place(near[relation], relation, y, headings)
    placed["tests"], right_end = _place(near["tests"], "tests", top, headings)
    claim = graph.nodes[centre].get("record")
    statement = claim.statement if isinstance(claim, Claim) else ""
    lines = textwrap.wrap(_clean(statement), 38, max_lines=6, placeholder=" \u2026")
    height = 30 + 15 * len(lines)
    bottom = max(y, right_end, top + height + 28)
    box = _Box(NB_CENTRE[0], (top + bottom - height) / 2, NB_CENTRE[1], height)
    placed["below"], end = _place(near["below"], "below", bottom + 8, headings)
    edges, nodes = [_arrow_defs(fid)], [_node(box, graph, centre, url, lines)]
    for key, names in near.items():
        for name, other in zip(names, placed[key], strict=True):
            edges += _spoke(key, other, box, fid)
            nodes.append(_node(other, graph, name, url))
    listed = [
        f"{_PLACES[key][0]}: {', '.join(_describe(graph, n)[1] for n in names)}."
        for key, names in near.items()
        if names
    ]
    desc = " ".join([f"The claim {claim_id}: {statement}", *listed])
    body = [*edges, *headings, *nodes, *_legend(25, end + 16, fid)]
    title = f"Evidence around the claim {claim_id}"
    return _document(fid, (NB_WIDTH, end + 36), title, desc, body)


KG_COLUMNS = {"study": (12.0, 232.0), "claim": (330.0, 290.0), "trial": (706.0, 120.0)}
KG_HEADINGS = {"study": "Studies", "claim": "Claims", "trial": "Trials"}
KG_WIDTH, KG_TOP, KG_PITCH, KG_BOX = 832.0, 70.0, 28.0, 20.0


def _kg_edges(graph: nx.MultiDiGraph, boxes: dict[str, _Box], fid: str) -> tuple[list[str], str]:
    """Links, 'tests' and 'depends on' edges between drawn nodes, each once, sorted; and a
    sentence counting them."""
    found: set[tuple[str, str, str]] = set()
    for source, target, data in graph.edges(data=True):
        kind = str(data.get("kind")).replace("_", " ")
        if source in boxes and target in boxes and kind in {"link", "tests", "depends on"}:
            found.add((source, target, data["link"].relation if kind == "link" else kind))
    out = []
    for source, target, relation in sorted(found):
        a, b = boxes[source], boxes[target]
        tip = f"{_describe(graph, source)[1]} {relation} {_describe(graph, target)[1]}"
        if relation == "depends on":  # claim to claim, looping right of the claims' column
            bulge = min(80.0, 24.0 + abs(b.y - a.y) * 0.25)
            d = _s_curve(a.side("right"), b.side("right"), bulge=bulge)
            out.append(_path(d, relation, tip, f"{fid}-arrow"))
        elif relation == "tests":
            out.append(_path(_s_curve(a.side("left"), b.side("right")), relation, tip))
        else:
            out.append(_path(_s_curve(a.side("right"), b.side("left")), relation, tip))
    tally = Counter(relation for _, _, relation in found)
    return out, f"Edges: {', '.join(f'{tally[k]} {k}' for k in sorted(tally)) or 'none'}."


Label = tuple[Sequence[str], str]
"""A node's label as a reader knows the record ('Crippa et al. 2016'; a claim's subject, in up
to two lines) and its tooltip."""


def knowledge_graph(
    graph: nx.MultiDiGraph, url: Url, labels: Mapping[str, Label] | None = None
) -> str:
    """Studies, claims and trials in three columns, each sorted by id and spread over the height
    of the longest; links styled by relation, trials joined to the claims they test and claims to
    the claims they depend on. Concepts and publication edges are left out. A node named in
    `labels` shows that label instead of its id (a claim's, in two lines where there is room)."""
    labels = labels or {}
    columns: dict[str, list[str]] = {kind: [] for kind in KG_COLUMNS}
    for name, kind in graph.nodes(data="kind"):
        if kind in columns:
            columns[kind].append(name)
    longest = max(1, *(len(names) for names in columns.values()))
    boxes: dict[str, _Box] = {}
    headings: list[str] = []
    for kind, (x, width) in KG_COLUMNS.items():
        names = sorted(columns[kind])
        slot = KG_PITCH * longest / max(1, len(names))
        for index, name in enumerate(names):
            two = len(labels.get(name, ((),))[0]) > 1 and slot >= KG_BOX + 15
            high = KG_BOX + 14 if two else KG_BOX
            boxes[name] = _Box(x, KG_TOP + slot * (index + 0.5) - high / 2, width, high)
        headings.append(_text((x, 56), f"{KG_HEADINGS[kind]} ({len(names)})", font_weight="600"))
    fid = _fid("knowledge-graph")
    edges, counted = _kg_edges(graph, boxes, fid)
    nodes = [
        _node(box, graph, name, url, lines=labels[name][0], tip=labels[name][1])
        if name in labels
        else _node(box, graph, name, url)
        for name, box in sorted(boxes.items())
    ]
    sizes = ", ".join(f"{len(columns[kind])} {KG_HEADINGS[kind].lower()}" for kind in KG_COLUMNS)
    desc = f"The claim-evidence graph, from left to right: {sizes}. {counted} Concepts and "
    desc += "the studies that publish a trial are not drawn."
    body = [_arrow_defs(fid), *_legend(16, 20, fid), *headings, *edges, *nodes]
    size = (KG_WIDTH, KG_TOP + KG_PITCH * longest + 16)
    return _document(fid, size, "The claim-evidence graph", desc, body)
