"""Where a record names another record by its id: the one table that the check of references
(KB301, KB308) and `kb rename` both read, so that a new kind of reference is added once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Pattern = tuple[str, ...]
"""Keys leading to an id, '*' standing for every item of a list."""

POINTERS: dict[str, tuple[tuple[Pattern, str], ...]] = {
    "study": (
        (("links", "*", "claim"), "claim"),
        (("overlaps", "*", "study"), "study"),
        (("includes", "studies", "*"), "study"),
    ),
    "claim": (
        (("depends_on", "*"), "claim"),
        (("outcomes", "*", "baseline_risk", "study"), "study"),
    ),
    "trial": (
        (("tests", "*"), "claim"),
        (("publications", "*", "study"), "study"),
    ),
    "concept": (
        (("sources", "*", "study"), "study"),
        (("see_also", "*"), "concept"),
    ),
    "discrepancy": ((("findings", "*", "study"), "study"),),
}
"""Record kind -> (where in it, the kind of record named there)."""


def pointers(record: Any, kind: str) -> Iterator[tuple[tuple[int | str, ...], str, str]]:
    """(location, id, kind of record named) of every id `record` names; `record` is a model or
    the plain data of a record file, which need not be valid."""
    for pattern, target in POINTERS.get(kind, ()):
        for loc, value in _follow(record, pattern, ()):
            if isinstance(value, str):
                yield loc, value, target


def _follow(
    node: Any, pattern: Pattern, loc: tuple[int | str, ...]
) -> Iterator[tuple[tuple[int | str, ...], Any]]:
    if not pattern:
        yield loc, node
        return
    step, rest = pattern[0], pattern[1:]
    if step == "*":
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from _follow(item, rest, (*loc, index))
        return
    child = node.get(step) if isinstance(node, dict) else getattr(node, step, None)
    if child is not None:
        yield from _follow(child, rest, (*loc, step))
