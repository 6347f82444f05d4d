"""Read one YAML record into plain data plus a source map (line and column of every key and item).

Parsing is done by libyaml (PyYAML's C loader). The node tree is walked once to build plain
Python data and the positions, then dropped. Everything that can go wrong with a file becomes a
problem with a location: nothing raises, nothing hangs.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.files import decode_utf8, read_bounded
from kb.model import WrittenNumber
from kb.problems import (
    DUPLICATE_KEY,
    KEY_NOT_TEXT,
    NOT_A_MAPPING,
    STRING_TOO_LONG,
    TOO_DEEP,
    TOO_MANY_VALUES,
    UNREADABLE_FILE,
    YAML_ALIAS,
    YAML_SYNTAX,
    Code,
    Loc,
    Problem,
)
from kb.syntax import char_position, describe_yaml_error

if not yaml.__with_libyaml__:  # pragma: no cover - depends on how PyYAML was built
    raise ImportError("kb needs PyYAML built with libyaml (yaml.CSafeLoader)")

MAX_FILE_BYTES = 1_048_576
"""Largest record file read (1 MiB); a bigger file is reported, never read."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in a record."""
MAX_STRING_CHARS = 20_000
"""Longest single string value in a record."""
MAX_VALUES = 10_000
"""Most YAML nodes (keys, values and list items) in a record; the largest record of the first
knowledge base has about 300. Each node costs memory while the file is read (about 1 KB), so a
file of 1 MiB could otherwise take half a gigabyte and seconds."""

Position = tuple[int, int]
Locs = dict[Loc, Loc]
"""Each place in a record (("identifiers", "doi", "value")) as one tuple for every record of a
load: the places repeat from record to record, and at 10,000 studies their copies held about
60 MB when parsed, and over 200 MB when built back from the cache (each name its own string)."""

_SCALAR_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TEXT_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"})


@dataclass
class SourceMap:
    """Positions (1-based line, column) of values and keys, by their path in the data."""

    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def value(self, loc: Loc) -> Position:
        """Position of the value at `loc`, or of its nearest ancestor that exists."""
        while loc not in self.values and loc:
            loc = loc[:-1]
        return self.values.get(loc, (1, 1))

    def key(self, loc: Loc) -> Position:
        """Position of the key naming `loc`, falling back to its value."""
        return self.keys.get(loc) or self.value(loc)


@dataclass
class YamlDocument:
    path: str
    data: Any
    source: SourceMap
    problems: list[Problem]
    first_line: str = ""


class _Abort(Exception):
    """Stops the walk of a document that cannot be turned into data."""


def load_yaml_file(file: Path, display_path: str, root: Path | None = None) -> YamlDocument:
    """Read and parse one record file; size is checked before anything is read."""
    raw = read_bounded(file, display_path, MAX_FILE_BYTES, root)
    if isinstance(raw, Problem):
        return YamlDocument(display_path, None, SourceMap(), [raw])
    return parse_yaml(raw, display_path)


def parse_yaml(raw: bytes, display_path: str, locs: Locs | None = None) -> YamlDocument:
    """The data of one YAML file, where each value and key of it is written, and its problems.
    `locs` is shared by the files of one load so that equal places share one tuple."""
    text = decode_utf8(raw, display_path)
    if isinstance(text, Problem):
        return YamlDocument(display_path, None, SourceMap(), [text])
    first_line = text.split("\n", 1)[0].rstrip("\r")
    too_many = _too_many_values(text, display_path)
    if too_many is not None:
        return YamlDocument(display_path, None, SourceMap(), [too_many], first_line)
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as error:
        doc = _failed(display_path, *describe_yaml_error(error, text))
        doc.first_line = first_line
        return doc
    except yaml.YAMLError as error:  # ReaderError: a character YAML forbids (binary data)
        position = getattr(error, "position", 0)  # in bytes of the UTF-8 text libyaml read
        chars = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        line, col = char_position(text, chars)
        doc = _failed(
            display_path,
            UNREADABLE_FILE,
            f"character not allowed in YAML ({_short(error)})",
            "is this a binary file?",
            line,
            col,
        )
        doc.first_line = first_line
        return doc
    walker = _Walker(display_path, text, {} if locs is None else locs)
    data: Any = None
    if node is None:
        walker.problems.append(
            Problem.in_file(
                display_path,
                NOT_A_MAPPING,
                "file is empty",
                "a record is a mapping of fields",
            )
        )
    elif not isinstance(node, yaml.MappingNode):
        line, col = _mark(node, walker.starts)
        walker.problems.append(
            Problem(
                display_path,
                line,
                col,
                NOT_A_MAPPING,
                f"expected a mapping of fields at the top, got {_kind(node)}",
                "write 'field: value' lines",
            )
        )
    else:
        try:
            data = walker.walk(node, (), 1)
        except _Abort:
            data = None
    return YamlDocument(display_path, data, walker.source, walker.problems, first_line)


_PLAIN_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_PLAIN_COLLECTIONS = frozenset(("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"))
_MERGE = "tag:yaml.org,2002:merge"
_NODE_EVENTS = (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)


def _too_many_values(text: str, display_path: str) -> Problem | None:
    """Count nodes in libyaml's event stream, which builds nothing, before composing the node
    tree; stop at the first node over the limit. Syntax errors are left to the composer."""
    count = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            count += isinstance(event, _NODE_EVENTS)
            if count > MAX_VALUES:
                line, col = _mark(event, _line_starts(text))
                return Problem(
                    display_path,
                    line,
                    col,
                    TOO_MANY_VALUES,
                    f"more than {MAX_VALUES:,} values in one record",
                    "split it; a record holds one study, claim, trial or concept",
                )
    except yaml.YAMLError:
        return None
    return None


class _Walker:
    def __init__(self, path: str, text: str, locs: Locs) -> None:
        self.path = path
        self.text = text
        self.locs = locs
        self.starts = _line_starts(text)
        self.source = SourceMap()
        self.problems: list[Problem] = []
        self.seen: set[int] = set()

    def walk(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        if id(node) in self.seen:
            self._report_aliases()
            raise _Abort
        self.seen.add(id(node))
        self.source.values[loc] = _mark(node, self.starts)
        if depth > MAX_DEPTH:
            self._report(
                node,
                TOO_DEEP,
                f"nesting deeper than {MAX_DEPTH} levels",
                "records need only a few levels",
            )
            raise _Abort
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_COLLECTIONS:
            self._report_tag(node)  # such as !!python/object: read as a plain one, never built
        if isinstance(node, yaml.MappingNode):
            return self._walk_mapping(node, loc, depth)
        if isinstance(node, yaml.SequenceNode):
            items = enumerate(node.value)
            return [self.walk(item, self._place((*loc, i)), depth + 1) for i, item in items]
        return self._scalar(node)

    def _place(self, loc: Loc) -> Loc:
        return self.locs.setdefault(loc, loc)

    def _walk_mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = _mark(key_node, self.starts)
            if id(key_node) in self.seen:  # an alias used as a key
                self._report_aliases()
                raise _Abort
            self.seen.add(id(key_node))
            if key_node.tag == _MERGE:
                self.problems.append(
                    Problem(
                        self.path,
                        line,
                        col,
                        YAML_ALIAS,
                        "merge key '<<' is not allowed in records",
                        "write the fields out in full",
                    )
                )
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                self.problems.append(
                    Problem(
                        self.path,
                        line,
                        col,
                        KEY_NOT_TEXT,
                        f"key '{shown}' is read as {_kind(key_node)}, not as a field name",
                        "field names are lower-case words; quote it if it is meant as text",
                    )
                )
                continue
            if key in result:
                first = self.source.keys[(*loc, key)]
                self.problems.append(
                    Problem(
                        self.path,
                        line,
                        col,
                        DUPLICATE_KEY,
                        f"key '{key}' appears twice (first at line {first[0]})",
                        "keep one; the first value is used",
                    )
                )
                continue
            here = self._place((*loc, key))
            self.source.keys[here] = (line, col)
            result[key] = self.walk(value_node, here, depth + 1)
        return result

    def _report_tag(self, node: yaml.Node) -> None:
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        self._report(
            node,
            YAML_SYNTAX,
            f"tag '{shown}' is not read in records",
            "remove the tag or quote the value",
        )

    def _scalar(self, node: yaml.Node) -> Any:
        # Plain text is most of a record: take it as it is, without the constructor's dispatch.
        # Timestamps are kept as written too; models parse dates themselves.
        if node.tag in _TEXT_TAGS:
            value: Any = node.value
        elif node.tag not in _PLAIN_SCALARS:
            self._report_tag(node)
            return node.value
        else:
            try:
                value = _SCALAR_CONSTRUCTOR.construct_object(node)
            except (yaml.YAMLError, ValueError, TypeError) as error:
                self._report(
                    node,
                    YAML_SYNTAX,
                    f"cannot read value: {_short(error)}",
                    "remove the tag or quote the value",
                )
                return node.value
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            self._report(
                node,
                STRING_TOO_LONG,
                f"string of {len(value):,} characters, over the limit of {MAX_STRING_CHARS:,}",
                "shorten it; records hold quotes and summaries, not full texts",
            )
        if isinstance(value, dt.datetime | dt.date):
            return node.value
        if isinstance(value, float):  # '0.220' prints as written, not as 0.22
            return WrittenNumber(value, node.value)
        return value

    def _report(self, at: yaml.Node | yaml.Event, code: Code, message: str, hint: str) -> None:
        line, col = _mark(at, self.starts)
        self.problems.append(Problem(self.path, line, col, code, message, hint))

    def _report_aliases(self) -> None:
        """Aliases reuse nodes, so their own position is only in the event stream."""
        found = 0
        for event in yaml.parse(self.text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent):
                self._report(
                    event,
                    YAML_ALIAS,
                    f"alias '*{event.anchor}' is not allowed in records",
                    "write the value out in full",
                )
                found += 1
                if found == 10:
                    break


def _failed(
    path: str, code: Code, message: str, hint: str | None = None, line: int = 1, col: int = 1
) -> YamlDocument:
    return YamlDocument(path, None, SourceMap(), [Problem(path, line, col, code, message, hint)])


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer("\n", text))]


def _mark(node: yaml.Node | yaml.Event, starts: list[int]) -> Position:
    """Where `node` starts, with lines counted at '\n' only, as editors and GitHub count them
    (libyaml's own line count also breaks at '\r', U+0085, U+2028 and U+2029)."""
    mark = node.start_mark
    if mark is None:
        return (1, 1)
    line = bisect.bisect_right(starts, mark.index)
    return line, mark.index - starts[line - 1] + 1


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    try:
        value: Hashable = _SCALAR_CONSTRUCTOR.construct_object(node)
    except (yaml.YAMLError, ValueError, TypeError):
        return "a scalar"
    return {bool: "a boolean", int: "a number", float: "a number", type(None): "null"}.get(
        type(value), "a scalar"
    )


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:160]
