"""Deterministic SVG figures: a study's forest plot, a claim's neighbourhood, the whole
claim-evidence graph and an evidence map (claims by study design).

Each figure is one SVG document, written as text to sit inline in a page: role="img" with a
<title> and <desc>, a viewBox and width 100%, nothing fetched from elsewhere, no blank line (in
Markdown a blank line ends an HTML block). Record text is contributor input and is always escaped;
links come only from the caller's `url(kind, id)`. Everything is sorted and coordinates have one
decimal, so the same records give the same bytes. Text is currentColor, so themes carry over.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, get_args

import networkx as nx

from kb.model import Claim, Design, Interval, Study, Trial

__all__ = ["claim_neighbourhood", "evidence_map", "forest_plot", "knowledge_graph"]

Url = Callable[[str, str], str]
"""url(kind, record id) -> the href of that record's page, relative to the page drawn on."""
Point = tuple[float, float]

FONT = "system-ui, sans-serif"
CHAR = 0.52  # average glyph width in em (bold 20% more), to clip labels to the room they have
RELATIONS = ("supports", "refutes", "qualifies")
# Okabe-Ito colours, at least 3:1 on white and on a dark theme, each with its own dash pattern:
# a relation never rests on colour alone, and the figures also name it in words
STROKES = {"supports": ("#0072B2", None), "refutes": ("#D55E00", "7 4")}
STROKES["qualifies"] = ("#CC79A7", "1.5 3.5")
_NODE_STYLES: dict[str, dict[str, object]] = {  # corners as well as colour tell kinds apart
    kind: {"rx": rx, "fill": colour, "fill_opacity": "0.14", "stroke": colour, "stroke_width": 1.5}
    for kind, colour, rx in (
        ("study", "#7F7F7F", 3),
        ("claim", "#E69F00", 12),
        ("trial", "#009E73", 0),
    )
}
_RATIOS = {"hr": "HR", "or": "OR", "rr": "RR"}
_PLOTTABLE = (1e-6, 1e6)  # ratios outside it are taken for typing errors and not drawn
_DESIGN_ORDER = {design: index for index, design in enumerate(get_args(Design))}
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def _clean(value: object) -> str:
    """Text on one line, without the characters XML cannot hold."""
    return " ".join(_INVALID_XML.sub("", str(value)).split())


def _esc(value: object) -> str:
    return html.escape(_clean(value), quote=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + "\u2026"


def _f(x: float) -> str:
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _pt(point: Point) -> str:
    return f"{_f(point[0])} {_f(point[1])}"


def _fid(name: str, key: str = "") -> str:
    """The figure's id, for its title and desc: [a-z0-9-] only."""
    return re.sub(r"[^a-z0-9]+", "-", f"{name}-{key}".lower()).strip("-")


def _el(tag: str, content: str | None = None, /, **attrs: object) -> str:
    """An element; attribute values escaped, numbers with one decimal, None left out.
    `content` must already be SVG text."""
    written = "".join(
        f' {name.rstrip("_").replace("_", "-")}="'
        f'{_f(value) if isinstance(value, int | float) else _esc(value)}"'
        for name, value in attrs.items()
        if value is not None
    )
    return f"<{tag}{written}/>" if content is None else f"<{tag}{written}>{content}</{tag}>"


def _text(at: Point, value: object, size: float = 12, width: float = 0, **attrs: object) -> str:
    """Escaped text, clipped to `width` if given, with the whole text kept as a tooltip."""
    full = _clean(value)
    em = size * CHAR * (1.2 if attrs.get("font_weight") else 1.0)
    shown = _clip(full, int(width / em)) if width else full
    tip = _el("title", html.escape(full)) if shown != full else ""
    return _el("text", tip + html.escape(shown), x=at[0], y=at[1], font_size=size, **attrs)


def _href(url: Url, kind: str, record_id: str) -> str:
    """The caller's URL for a record; a scheme other than http(s) is refused."""
    target = url(kind, record_id)
    scheme = _SCHEME.match(re.sub(r"[\x00-\x20]", "", target).lower())
    if scheme and scheme.group(1) not in {"http", "https"}:
        raise ValueError(f"refusing the link {target!r}: only relative and http(s) URLs")
    return target


def _document(fid: str, size: Point, title: str, desc: str, body: Iterable[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{fid}-title {fid}-desc" viewBox="0 0 {_pt(size)}" width="100%" '
        f'style="max-width:{_f(size[0])}px" font-family="{FONT}" font-size="12" '
        f'fill="currentColor" class="kb-figure">'
    )
    lines = [head, _el("title", _esc(title), id=f"{fid}-title")]
    lines += [_el("desc", _esc(desc), id=f"{fid}-desc"), *body, "</svg>"]
    return "\n".join(line for line in lines if line.strip())


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    def side(self, where: str) -> Point:
        """The middle of the left, right, top or bottom edge (or of the box)."""
        x = {"left": self.x, "right": self.x + self.w}.get(where, self.x + self.w / 2)
        y = {"top": self.y, "bottom": self.y + self.h}.get(where, self.y + self.h / 2)
        return x, y

    def rect(self, **attrs: object) -> str:
        return _el("rect", x=self.x, y=self.y, width=self.w, height=self.h, **attrs)


def _line(a: Point, b: Point, **attrs: object) -> str:
    return _el("line", x1=a[0], y1=a[1], x2=b[0], y2=b[1], stroke="currentColor", **attrs)


def _path(d: str, relation: str, tip: str, marker: str | None = None) -> str:
    """An edge styled by its relation; other edges ('tests', 'depends on') are grey and solid."""
    colour, dash = STROKES.get(relation, ("currentColor", None))
    grey = relation not in STROKES
    style: dict[str, object] = {"stroke": colour, "stroke_dasharray": dash}
    style |= {"stroke_width": 1.3 if grey else 2, "stroke_opacity": "0.55" if grey else None}
    style["stroke_linecap"] = "round" if relation == "qualifies" else None
    end = f"url(#{marker})" if marker else None
    return _el("path", _el("title", _esc(tip)), d=d, fill="none", **style, marker_end=end)


def _s_curve(a: Point, b: Point, vertical: bool = False, bulge: float = 0) -> str:
    """A cubic curve leaving and reaching horizontally (vertically), or a loop out to the right."""
    m = (a[1] + b[1]) / 2 if vertical else (a[0] + b[0]) / 2
    c1, c2 = ((a[0], m), (b[0], m)) if vertical else ((m, a[1]), (m, b[1]))
    if bulge:
        c1, c2 = (a[0] + bulge, a[1]), (b[0] + bulge, b[1])
    return f"M {_pt(a)} C {_pt(c1)} {_pt(c2)} {_pt(b)}"


def _arrow_defs(fid: str) -> str:
    return (
        f'<defs><marker id="{fid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/>'
        "</marker></defs>"
    )


def _legend(x: float, y: float, fid: str) -> list[str]:
    """A sample of each edge style with its name: the relations, 'tests' and 'depends on'."""
    out: list[str] = []
    for relation in (*RELATIONS, "tests", "depends on"):
        marker = f"{fid}-arrow" if relation == "depends on" else None
        out.append(_path(f"M {_pt((x, y))} h 30", relation, relation, marker))
        out.append(_text((x + 36, y + 4), relation, 11))
        x += 116
    return out


def _describe(graph: nx.MultiDiGraph, name: str) -> tuple[str, str, list[str], str]:
    """(kind, id, lines of the node's label, tooltip); a node without a record shows its id."""
    data, (kind, _, rid) = graph.nodes[name], name.partition(":")
    kind, rid, record = str(data.get("kind", kind)), str(data.get("id", rid)), data.get("record")
    label, tip = [rid], f"{kind} {rid}"
    if isinstance(record, Study):
        label, tip = [rid, record.design], f"study {rid} ({record.design})"
    elif isinstance(record, Claim):
        label, tip = [rid, record.question], f"claim {rid}: {record.statement}"
    elif isinstance(record, Trial):
        status = record.status.overall if record.status else "status not seen"
        label = [record.acronym or rid, f"{record.phase}, {status}"]
        tip = f"trial {rid}: {record.title}"
    return kind, rid, label, tip


def _node(box: _Box, graph: nx.MultiDiGraph, name: str, url: Url, extra: Sequence[str] = ()) -> str:
    """A linked, labelled shape: the record's label (second line if there is room), or its first
    line and then the `extra` lines."""
    kind, record_id, label, tip = _describe(graph, name)
    shape = box.rect(**_NODE_STYLES.get(kind, _NODE_STYLES["study"]))
    base, room = box.y + min(16.0, box.h / 2 + 4.5), box.w - 14
    texts = [_text((box.x + 8, base), label[0], width=room, font_weight="600")]
    second = label[1:2] if box.h >= 30 and not extra else []
    texts += [_text((box.x + 8, base + 14), s, 10.5, room, fill_opacity="0.8") for s in second]
    texts += [_text((box.x + 10, box.y + 34 + 15 * i), s, 11.5) for i, s in enumerate(extra)]
    content = _el("title", _esc(tip)) + shape + "".join(texts)
    return _el("a", content, href=_href(url, kind, record_id))


FOREST_WIDTH, PLOT_X, NUMBERS_X = 790.0, (292.0, 552.0), 568.0
FOREST_TOP, FOREST_ROW = 40.0, 24.0


class _Row(NamedTuple):
    label: str
    measure: str
    estimate: tuple[float, ...]  # () or (value,)
    ci: tuple[float, ...]  # (lower, upper, level), or () for a heading over its groups
    group: bool


def _row(label: str, measure: str, value: float | None, ci: Interval | None, group: bool) -> _Row:
    """The row of a ratio with a CI in the drawable range; else a heading without numbers."""
    estimate = () if value is None else (value,)
    low, high = _PLOTTABLE
    if (
        ci
        and ci.lower <= ci.upper
        and all(low <= n <= high for n in (ci.lower, ci.upper, *estimate))
    ):
        return _Row(_clean(label), measure, estimate, (ci.lower, ci.upper, ci.level), group)
    return _Row(_clean(label), measure, (), (), group)


def _forest_rows(study: Study) -> list[_Row]:
    """Ratio findings with a CI, each followed by its groups with a value and a CI; sorted."""
    blocks: list[tuple[_Row, ...]] = []
    for finding in study.findings:
        if finding.measure not in _RATIOS:
            continue
        groups = [_row(g.name, finding.measure, g.value, g.ci, True) for g in finding.groups]
        drawn = sorted(
            row
            for row, g in zip(groups, finding.groups, strict=True)
            if row.ci and g.value is not None
        )
        head = _row(finding.outcome, finding.measure, finding.value, finding.ci, False)
        if head.ci or drawn:
            blocks.append((head, *drawn))
    return [row for block in sorted(blocks) for row in block]


def _log_ticks(low: float, high: float) -> list[float]:
    """Ticks of a log axis running from a tick below `low` (and 1) to a tick above `high`."""
    low, high = min(low, 1.0), max(high, 1.0)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    step = max(1, math.ceil((last - first) / 8))
    mantissas = (1, 2, 5) if last - first <= 2 else (1,)
    exponents = range(first // step * step - step, last + 2 * step, step)
    ticks = sorted(m * 10.0**e if e >= 0 else m / 10.0**-e for e in exponents for m in mantissas)
    start, end = max(t for t in ticks if t < low), min(t for t in ticks if t > high)
    return [t for t in ticks if start <= t <= end]


def _log_x(value: float, ticks: Sequence[float]) -> float:
    low, high = math.log(ticks[0]), math.log(ticks[-1])
    return PLOT_X[0] + (math.log(value) - low) / (high - low) * (PLOT_X[1] - PLOT_X[0])


def _ratio_text(row: _Row) -> str:
    lower, upper, level = row.ci
    level_text = "" if math.isclose(level, 0.95) else f"{level * 100:g}% CI "
    numbers = "".join(f" {value:.6g}" for value in row.estimate)
    return f"{_RATIOS[row.measure]}{numbers} ({level_text}{lower:.6g}\u2013{upper:.6g})"


def _forest_axis(ticks: Sequence[float], y: float) -> list[str]:
    one, dashes = _log_x(1.0, ticks), {"stroke_opacity": "0.6", "stroke_dasharray": "4 3"}
    out = [
        _line((one, FOREST_TOP - 6), (one, y), class_="reference", **dashes),
        _line((PLOT_X[0], y), (PLOT_X[1], y)),
        _text((sum(PLOT_X) / 2, y + 36), "ratio (log scale)", 11, text_anchor="middle"),
    ]
    for tick in ticks:
        x = _log_x(tick, ticks)
        out += [
            _line((x, y), (x, y + 5)),
            _text((x, y + 18), f"{tick:g}", 11, text_anchor="middle"),
        ]
    return out


def _forest_row(row: _Row, y: float, ticks: Sequence[float]) -> list[str]:
    x, size = (30.0, 11.0) if row.group else (16.0, 12.0)
    bold = None if row.ci else "600"
    out = [_text((x, y + 4), row.label, size, PLOT_X[0] - x - 12, font_weight=bold)]
    if row.ci:
        out.append(
            _line((_log_x(row.ci[0], ticks), y), (_log_x(row.ci[1], ticks), y), stroke_width=1.5)
        )
        half = 3.5 if row.group else 5.0
        for value in row.estimate:
            box = _Box(_log_x(value, ticks) - half, y - half, 2 * half, 2 * half)
            out.append(box.rect(class_="estimate"))
        out.append(_text((NUMBERS_X, y + 4), _ratio_text(row), size))
    return out


def forest_plot(study: Study) -> str | None:
    """One row per HR, OR or RR finding with a confidence interval (its groups with a value and
    an interval follow, indented) on a log axis with a reference line at 1; None without one."""
    rows = _forest_rows(study)
    if not rows:
        return None
    values = [value for row in rows for value in (*row.estimate, *row.ci[:2])]
    ticks = _log_ticks(min(values), max(values))
    axis_y = FOREST_TOP + FOREST_ROW * len(rows) + 6
    body = [_text((16, 24), "Outcome", font_weight="600"), *_forest_axis(ticks, axis_y)]
    body.append(_text((NUMBERS_X, 24), "Ratio (95% CI unless marked)", font_weight="600"))
    for index, row in enumerate(rows):
        body += _forest_row(row, FOREST_TOP + FOREST_ROW * (index + 0.5), ticks)
    drawn = "; ".join(f"{row.label}: {_ratio_text(row)}" for row in rows if row.ci)
    desc = (
        f"Forest plot of the ratios reported by study {study.id}, on a log scale with a "
        f"reference line at 1 (no difference). {drawn}."
    )
    title, size = f"Ratios reported by {study.id}", (FOREST_WIDTH, axis_y + 46)
    return _document(_fid("forest-plot", study.id), size, title, desc, body)


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


KG_COLUMNS = {"study": (16.0, 230.0), "claim": (426.0, 250.0), "trial": (836.0, 160.0)}
KG_HEADINGS = {"study": "Studies", "claim": "Claims", "trial": "Trials"}
KG_WIDTH, KG_TOP, KG_PITCH, KG_BOX = 1012.0, 70.0, 28.0, 20.0


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
            bulge = min(140.0, 24.0 + abs(b.y - a.y) * 0.25)
            d = _s_curve(a.side("right"), b.side("right"), bulge=bulge)
            out.append(_path(d, relation, tip, f"{fid}-arrow"))
        elif relation == "tests":
            out.append(_path(_s_curve(a.side("left"), b.side("right")), relation, tip))
        else:
            out.append(_path(_s_curve(a.side("right"), b.side("left")), relation, tip))
    tally = Counter(relation for _, _, relation in found)
    return out, f"Edges: {', '.join(f'{tally[k]} {k}' for k in sorted(tally)) or 'none'}."


def knowledge_graph(graph: nx.MultiDiGraph, url: Url) -> str:
    """Studies, claims and trials in three columns, each sorted by id and spread over the height
    of the longest; links styled by relation, trials joined to the claims they test and claims to
    the claims they depend on. Concepts and publication edges are left out."""
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
            boxes[name] = _Box(x, KG_TOP + slot * (index + 0.5) - KG_BOX / 2, width, KG_BOX)
        headings.append(_text((x, 56), f"{KG_HEADINGS[kind]} ({len(names)})", font_weight="600"))
    fid = _fid("knowledge-graph")
    edges, counted = _kg_edges(graph, boxes, fid)
    nodes = [_node(box, graph, name, url) for name, box in sorted(boxes.items())]
    sizes = ", ".join(f"{len(columns[kind])} {KG_HEADINGS[kind].lower()}" for kind in KG_COLUMNS)
    desc = f"The claim-evidence graph, from left to right: {sizes}. {counted} Concepts and "
    desc += "the studies that publish a trial are not drawn."
    body = [_arrow_defs(fid), *_legend(16, 20, fid), *headings, *edges, *nodes]
    size = (KG_WIDTH, KG_TOP + KG_PITCH * longest + 16)
    return _document(fid, size, "The claim-evidence graph", desc, body)


MAP_LEFT, MAP_LABEL_WIDTH, MAP_CELL = 16.0, 300.0, 34.0


def _map_cell(column: int, y: float, count: int, tip: str, highest: int) -> str:
    """A framed cell; with a count, the number on a square shaded by it."""
    box = _Box(MAP_LEFT + MAP_LABEL_WIDTH + MAP_CELL * column, y, MAP_CELL, MAP_CELL)
    frame = box.rect(fill="none", stroke="currentColor", stroke_opacity="0.2")
    if count <= 0:
        return frame
    inner = _Box(box.x + 3, box.y + 3, MAP_CELL - 6, MAP_CELL - 6)
    square = inner.rect(fill="#0072B2", fill_opacity=f"{0.15 + 0.55 * count / highest:.2f}")
    x, y = box.side("middle")
    number = _text((x, y + 4), count, text_anchor="middle", font_weight="600")
    return _el("g", _el("title", _esc(tip)) + frame + square + number)


def evidence_map(
    rows: list[tuple[str, str]],
    columns: list[str],
    counts: dict[tuple[str, str], int],
    url: Url,
) -> str:
    """Claims (claim id, label) by study design: each cell gives the number of studies, on a
    square shaded by that number; rows sorted by label, designs from strongest to weakest."""
    ordered = sorted(set(rows), key=lambda row: (row[1].casefold(), row[1], row[0]))
    designs = sorted(set(columns), key=lambda code: (_DESIGN_ORDER.get(code, 99), code))
    digest = hashlib.sha256("\n".join([*(r[0] for r in ordered), "", *designs]).encode())
    fid = _fid("evidence-map", digest.hexdigest()[:10])
    top = 16 + 11 * CHAR * 0.72 * max((len(_clean(code)) for code in designs), default=0)
    cells = [[(d, max(0, counts.get((r[0], d), 0))) for d in designs] for r in ordered]
    highest = max([1, *(n for row in cells for _, n in row)])
    body, summary = [], []
    for column, code in enumerate(designs):
        x = MAP_LEFT + MAP_LABEL_WIDTH + MAP_CELL * (column + 0.5)
        body.append(
            _text((0, 0), code, 11, transform=f"translate({_pt((x, top - 6))}) rotate(-45)")
        )
    for index, ((claim_id, label), row) in enumerate(zip(ordered, cells, strict=True)):
        y = top + MAP_CELL * index
        text = _text((MAP_LEFT, y + MAP_CELL / 2 + 4), label, width=MAP_LABEL_WIDTH - 12)
        body.append(_el("a", text, href=_href(url, "claim", claim_id)))
        body += [_map_cell(i, y, n, f"{label}: {n} {d}", highest) for i, (d, n) in enumerate(row)]
        summary.append(f"{label}: {', '.join(f'{n} {d}' for d, n in row if n) or 'none'}")
    desc = (
        f"Evidence map of {len(ordered)} claims by {len(designs)} study designs; each cell gives "
        f"the number of studies. {'; '.join(summary)}."
    )
    width = MAP_LEFT + MAP_LABEL_WIDTH + MAP_CELL * len(designs) + top
    size = (width, top + MAP_CELL * len(ordered) + 16)
    return _document(fid, size, "Evidence map: claims by study design", desc, body)
