"""Why libyaml could not parse a record, in words a contributor can act on: the code (KB102,
KB103, KB107, KB110), the message and the fix, at the place the parser stopped."""

from __future__ import annotations

import re
from typing import Any

import yaml

from kb.problems import MULTIPLE_DOCUMENTS, TAB_INDENT, TOO_DEEP, YAML_SYNTAX

Position = tuple[int, int]


def describe_yaml_error(error: yaml.MarkedYAMLError, text: str) -> tuple[Any, ...]:
    """(code, message, hint, line, col) of a parse error."""
    mark = error.problem_mark or error.context_mark
    line, col = char_position(text, mark.index) if mark else (1, 1)
    problem = error.problem or ""
    if "maximum nesting depth" in problem:
        return (
            TOO_DEEP,
            "nesting too deep for the YAML parser",
            "records need only a few levels",
            line,
            col,
        )
    if "expected a single document" in str(error.context or "") + problem:
        return (
            MULTIPLE_DOCUMENTS,
            "more than one YAML document in the file",
            "remove the '---' separator",
            line,
            col,
        )
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return (
            TAB_INDENT,
            "tab character where YAML expects spaces",
            "indent with spaces",
            line,
            col,
        )
    context = f" {error.context}" if error.context else ""
    empty = _empty_above(text, line)
    if empty is not None:
        key, brackets = empty
        kind = "list" if brackets == "[]" else "mapping"
        return (
            YAML_SYNTAX,
            f"'{key}: {brackets}' above is an empty {kind}, so the lines below cannot go into "
            f"it ({f'{problem}{context}'.strip()})",
            f"delete the '{brackets}' after '{key}:'",
            line,
            col,
        )
    return (
        YAML_SYNTAX,
        f"{problem}{context}".strip(),
        "check indentation, colons and quotes",
        line,
        col,
    )


_EMPTY = re.compile(r"^\s*(?:- )?([\w-]+):\s*(\[\]|\{\})\s*(?:#.*)?$")


def _empty_above(text: str, line: int) -> tuple[str, str] | None:
    """(key, '[]' or '{}') when the nearest line with a value above `line` gives a key an empty
    list or mapping and `line` is indented below it: items uncommented under 'findings: []'."""
    lines = text.split("\n")
    if not 1 < line <= len(lines):
        return None
    here = lines[line - 1]
    for above in reversed(lines[: line - 1]):
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        match = _EMPTY.match(above)
        indented = len(here) - len(here.lstrip()) > len(above) - len(above.lstrip())
        starts_item = here.lstrip().startswith("- ")
        return (match.group(1), match.group(2)) if match and (indented or starts_item) else None
    return None


def char_position(text: str, offset: int) -> Position:
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
