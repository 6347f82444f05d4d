"""A forest plot narrow enough for a phone: ratios with their confidence intervals on a log
axis, a diamond for a pooled estimate, and under the axis the side each direction favours.

Each row is two lines: the label and the numbers as text, then the interval drawn beneath, so
the figure is 400 units wide and its 13-unit text stays at 11 px or more on a 390 px screen.
The description repeats every number for screen readers.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from kb.figures.svg import _PLOTTABLE, _Box, _document, _el, _f, _fid, _line, _text
from kb.model.common import WrittenNumber
from kb.words import number

WIDTH = 400.0
LEFT, RIGHT = 20.0, 380.0
ROW = 42.0
TOP = 38.0
SIZE = 13.0
WRAP = 26
_DASHES = {"stroke_dasharray": "4 3"}


@dataclass(frozen=True)
class ForestRow:
    label: str
    value: float
    lower: float
    upper: float
    level: float = 0.95
    pooled: bool = False
    prediction: tuple[float, float] | None = None
    """A pooled estimate's prediction interval, drawn as a thin line through the diamond."""
    shown: str = ""
    """The numbers as the source prints them, when the row is a finding; else kb writes
    them to three significant digits."""


def log_ticks(low: float, high: float) -> list[float]:
    """Ticks of a log axis running from a tick below `low` (and 1) to a tick above `high`."""
    low, high = min(low, 1.0), max(high, 1.0)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    step = max(1, math.ceil((last - first) / 8))
    mantissas = (1, 2, 5) if last - first <= 2 else (1,)
    exponents = range(first // step * step - step, last + 2 * step, step)
    ticks = sorted(m * 10.0**e if e >= 0 else m / 10.0**-e for e in exponents for m in mantissas)
    start, end = max(t for t in ticks if t < low), min(t for t in ticks if t > high)
    return [t for t in ticks if start <= t <= end]


def _x(value: float, ticks: Sequence[float]) -> float:
    low, high = math.log(ticks[0]), math.log(ticks[-1])
    return LEFT + (math.log(value) - low) / (high - low) * (RIGHT - LEFT)


def _number(value: float) -> str:
    """A record's number as the record writes it ('0.220'); a computed one (a pooled estimate)
    to three significant digits, never an exponent: 0.489, 2.04, 90000."""
    if isinstance(value, WrittenNumber):
        return number(value)
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}" if value >= 0.001 else f"{value:.2g}"


def ratio_words(row: ForestRow) -> str:
    """'0.49 (0.32 to 0.75)', with the level when it is not 95%."""
    if row.shown:
        return row.shown
    level = "" if math.isclose(row.level, 0.95) else f"{row.level * 100:g}% CI "
    return f"{_number(row.value)} ({level}{_number(row.lower)} to {_number(row.upper)})"


def drawable(row: ForestRow) -> bool:
    low, high = _PLOTTABLE
    values = (row.value, row.lower, row.upper)
    return row.lower <= row.value <= row.upper and all(low <= v <= high for v in values)


def _diamond(row: ForestRow, y: float, ticks: Sequence[float]) -> str:
    left, middle, right = (_x(v, ticks) for v in (row.lower, row.value, row.upper))
    points = (
        f"{_f(left)},{_f(y)} {_f(middle)},{_f(y - 6)} {_f(right)},{_f(y)} {_f(middle)},{_f(y + 6)}"
    )
    return _el("polygon", points=points, class_="pooled", fill="currentColor")


def _row(row: ForestRow, top: float, ticks: Sequence[float]) -> list[str]:
    numbers = ratio_words(row)
    room = RIGHT - LEFT - len(numbers) * SIZE * 0.55 - 12
    weight = "600" if row.pooled else None
    out = [
        _text((LEFT, top + 14), row.label, SIZE, room, font_weight=weight),
        _text((RIGHT, top + 14), numbers, SIZE, text_anchor="end", font_weight=weight),
    ]
    y = top + 30
    if row.pooled:
        if row.prediction is not None:
            low, high = (_x(v, ticks) for v in row.prediction)
            out.append(_line((low, y), (high, y), stroke_width=1, class_="prediction"))
        out.append(_diamond(row, y, ticks))
        return out
    out.append(_line((_x(row.lower, ticks), y), (_x(row.upper, ticks), y), stroke_width=1.5))
    x = _x(row.value, ticks)
    out.append(_Box(x - 5, y - 5, 10, 10).rect(class_="estimate"))
    return out


def _favours(favours: tuple[str, str], y: float) -> list[str]:
    """The two sides, wrapped to half the width each: '← Favours resection'."""
    out = []
    for side, text in zip(("left", "right"), favours, strict=True):
        words = f"\u2190 {text}" if side == "left" else f"{text} \u2192"
        x, anchor = (LEFT, "start") if side == "left" else (RIGHT, "end")
        for i, line in enumerate(textwrap.wrap(words, WRAP)):
            out.append(_text((x, y + 17 * i), line, SIZE, text_anchor=anchor, font_weight="600"))
    return out


def forest_plot(
    key: str,
    title: str,
    measure: str,
    rows: Sequence[ForestRow],
    favours: tuple[str, str],
    note: str = "",
) -> str | None:
    """The plot of the drawable rows (None without one). `measure` names the ratio ('Hazard
    ratio'); `favours` says what values below 1 and above 1 favour; `note` ends the
    description (e.g. which rows were turned round)."""
    shown = [row for row in rows if drawable(row)]
    if not shown:
        return None
    values = [v for row in shown for v in (row.lower, row.upper, *(row.prediction or ()))]
    ticks = log_ticks(min(values), max(values))
    axis = TOP + ROW * len(shown) + 6
    one = _x(1.0, ticks)
    body = [
        _text((LEFT, 20), f"{measure} (95% CI), log scale", SIZE, font_weight="600"),
        _line(
            (one, TOP),
            (one, axis),
            class_="reference",
            stroke_opacity="0.6",
            stroke_dasharray="4 3",
        ),
        _line((LEFT, axis), (RIGHT, axis)),
    ]
    for index, row in enumerate(shown):
        body += _row(row, TOP + ROW * index, ticks)
    for tick in ticks:
        x = _x(tick, ticks)
        body += [
            _line((x, axis), (x, axis + 5)),
            _text((x, axis + 20), f"{tick:g}", SIZE, text_anchor="middle"),
        ]
    body += _favours(favours, axis + 44)
    lines = max(len(textwrap.wrap(text + " →", WRAP)) for text in favours)
    height = axis + 44 + 17 * lines
    said = "; ".join(f"{row.label}: {ratio_words(row)}" for row in shown)
    desc = (
        f"{title}. {measure}s with 95% confidence intervals on a log scale, with a line at 1 "
        f"(no difference). Below 1: {favours[0].lower()}; above 1: {favours[1].lower()}. "
        f"{said}." + (f" {note}" if note else "")
    )
    return _document(_fid("forest", key), (WIDTH, height), title, desc, body)
