"""SVG building blocks shared by kb's figures: escaped text and attributes, boxes, edges in the
style of their relation, and the document with its title and description.

Record text is contributor input and is always escaped; links come only from the caller's
`url(kind, id)`. Coordinates have one decimal, so the same records give the same bytes. Text is
currentColor, so themes carry over. The names start with '_' because they are the package's
own: pages use the figures, not these.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import get_args

import networkx as nx

from kb.model import Claim, Design, Study, Trial

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
_FONT_SIZE = re.compile(r'font-size="([0-9.]+)"')
MIN_TEXT_PX = 11
"""The smallest text a figure shows on a phone, in CSS pixels."""


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
    body = list(body)
    # an SVG that holds links is a group: an image's content is not interactive (axe:
    # nested-interactive); both keep the title and description as their text alternative
    role = "group" if any("<a " in part for part in body) else "img"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="{role}" '
        f'aria-labelledby="{fid}-title {fid}-desc" viewBox="0 0 {_pt(size)}" width="100%" '
        f'style="max-width:{_f(size[0])}px;--kb-min-width:{_f(_phone_width(size[0], body))}px" '
        f'font-family="{FONT}" font-size="12" fill="currentColor" class="kb-figure">'
    )
    lines = [head, _el("title", _esc(title), id=f"{fid}-title")]
    lines += [_el("desc", _esc(desc), id=f"{fid}-desc"), *body, "</svg>"]
    return "\n".join(line for line in lines if line.strip())


def _phone_width(width: float, body: Sequence[str]) -> float:
    """The width below which the figure stops shrinking on a phone (kb.css): where its smallest
    text is MIN_TEXT_PX on screen (every text kb draws gives its size; 12 is the default)."""
    sizes = [float(size) for part in body for size in _FONT_SIZE.findall(part)]
    return width * MIN_TEXT_PX / min(sizes or [12.0])


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


def _node(
    box: _Box,
    graph: nx.MultiDiGraph,
    name: str,
    url: Url,
    extra: Sequence[str] = (),
    lines: Sequence[str] = (),
    tip: str | None = None,
) -> str:
    """A linked, labelled shape: the record's label (second line if there is room), or its first
    line and then the `extra` lines; or the given `lines` of a reader's label, as many as fit,
    and its `tip`."""
    kind, record_id, label, described = _describe(graph, name)
    tip = tip or described
    shape = box.rect(**_NODE_STYLES.get(kind, _NODE_STYLES["study"]))
    base, room = box.y + min(16.0, box.h / 2 + 4.5), box.w - 14
    if lines:
        fit = list(lines[: max(1, int((box.h - 4) // 15))])
        top = box.y + box.h / 2 - 15 * (len(fit) - 1) / 2 + 4.5
        texts = [_text((box.x + 7, top + 15 * i), s, 13, box.w - 18) for i, s in enumerate(fit)]
        content = _el("title", _esc(tip)) + shape + "".join(texts)
        return _el("a", content, href=_href(url, kind, record_id))
    texts = [_text((box.x + 8, base), label[0], width=room, font_weight="600")]
    second = label[1:2] if box.h >= 30 and not extra else []
    texts += [_text((box.x + 8, base + 14), s, 10.5, room, fill_opacity="0.8") for s in second]
    texts += [_text((box.x + 10, box.y + 34 + 15 * i), s, 11.5) for i, s in enumerate(extra)]
    content = _el("title", _esc(tip)) + shape + "".join(texts)
    return _el("a", content, href=_href(url, kind, record_id))
