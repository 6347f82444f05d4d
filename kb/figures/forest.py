"""A study's forest plot: its ratio findings with confidence intervals on a log axis."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from kb.figures.svg import (
    _PLOTTABLE,
    _RATIOS,
    _Box,
    _clean,
    _document,
    _fid,
    _line,
    _text,
)
from kb.model import Interval, Study
from kb.words import number

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
    numbers = "".join(f" {number(value)}" for value in row.estimate)  # as the record writes it
    return f"{_RATIOS[row.measure]}{numbers} ({level_text}{number(lower)}\u2013{number(upper)})"


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
