"""The evidence map: claims by study design, each cell the number of linked studies."""

from __future__ import annotations

import hashlib

from kb.figures.svg import (
    _DESIGN_ORDER,
    CHAR,
    Url,
    _Box,
    _clean,
    _document,
    _el,
    _esc,
    _fid,
    _href,
    _pt,
    _text,
)

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
