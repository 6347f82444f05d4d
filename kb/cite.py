"""references.bib: parsed with pybtex, with the line of every entry and field for problems.

pybtex does not keep positions, so a light scan of the text finds where each entry and field
starts; pybtex remains the parser of record for keys, fields and names.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pybtex.errors
from pybtex.backends.plaintext import Backend as PlainText
from pybtex.database import BibliographyData, Entry, InvalidNameString
from pybtex.database.input.bibtex import Parser, UndefinedMacro
from pybtex.richtext import Text
from pybtex.scanner import PybtexError, PybtexSyntaxError
from pybtex.utils import CaseInsensitiveDict

from kb.files import decode_utf8, read_bounded
from kb.problems import (
    BIBLIOGRAPHY_MISSING,
    BIBTEX_SYNTAX,
    DUPLICATE_BIB_KEY,
    MACROS_TOO_LARGE,
    Problem,
)

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    # BibTeX's standard types (btxdoc); "author|editor" means either will do.
    "article": ("author", "title", "journal", "year"),
    "book": ("author|editor", "title", "publisher", "year"),
    "booklet": ("title",),
    "inbook": ("author|editor", "title", "chapter|pages", "publisher", "year"),
    "incollection": ("author", "title", "booktitle", "publisher", "year"),
    "inproceedings": ("author", "title", "booktitle", "year"),
    "conference": ("author", "title", "booktitle", "year"),
    "manual": ("title",),
    "mastersthesis": ("author", "title", "school", "year"),
    "phdthesis": ("author", "title", "school", "year"),
    "misc": (),
    "proceedings": ("title", "year"),
    "techreport": ("author", "title", "institution", "year"),
    "unpublished": ("author", "title", "note"),
}
IDENTIFIER_FIELDS = ("doi", "pmid", "pmcid")
MAX_BIB_BYTES = 33_554_432
"""Largest references.bib read (32 MiB: some 100,000 entries without abstracts, or 10,000 with);
a bigger one is reported, never read. The benchmark's 10,000-entry file is 2.5 MB and parses in
about 3 s, so this bounds the time too."""

MACRO_BUDGET_BASE = 1_048_576
MACRO_BUDGET_FACTOR = 8
"""@string macros may expand to 1 MiB plus 8 times the file's length in all: far more than any
real bibliography's journal abbreviations, far less than macros defined from each other, which
double with each step (27 steps of 679 bytes would take gigabytes)."""

# a key as pybtex reads it: anything up to a space, a comma or a closing brace
_ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^\s,}]+)")
_FIELD_START = re.compile(r"^[ \t]*([A-Za-z][\w-]*)[ \t]*=", re.MULTILINE)
_UNVERIFIED = re.compile(r"UNVERIFIED\b([^.;]*)")


@dataclass
class BibEntry:
    key: str
    type: str
    fields: dict[str, str]
    authors: list[str]
    line: int
    col: int
    field_positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def position(self, name: str) -> tuple[int, int]:
        return self.field_positions.get(name, (self.line, self.col))

    @property
    def title(self) -> str:
        return latex_to_text(self.fields.get("title", ""))

    @property
    def year(self) -> str | None:
        return self.fields.get("year")

    @property
    def first_author_family(self) -> str | None:
        return self.authors[0] if self.authors else None

    def declared_unverified(self, name: str) -> bool:
        """True when the entry's note lists `name` after 'UNVERIFIED', the way a curator
        records a field that could not be confirmed."""
        match = _UNVERIFIED.search(self.fields.get("note", ""))
        return bool(match and re.search(rf"\b{re.escape(name)}", match.group(1), re.IGNORECASE))


@dataclass
class Bibliography:
    path: str
    entries: dict[str, BibEntry]
    """By key as written; BibTeX keys are case-insensitive, so lookups go through `get`."""
    problems: list[Problem]

    def get(self, key: str) -> BibEntry | None:
        return self._folded.get(key.casefold())

    def __post_init__(self) -> None:
        self._folded = {key.casefold(): entry for key, entry in self.entries.items()}


_PLAIN_TEXT = PlainText()
_LATEX_SIGNIFICANT = re.compile(r"[\\{}~$^_%&#`'\"<>!?-]")


@functools.lru_cache(maxsize=65536)
def latex_to_text(value: str) -> str:
    """LaTeX to Unicode text ('Sch{\\"o}b' -> 'Schöb'). Renders with the plain-text backend
    directly: `render_as("text")` looks the backend up among the installed entry points on
    every call (about 10 ms). Text without a character LaTeX gives a meaning to is returned as it
    is; names and journals repeat, so results are memoised."""
    if not _LATEX_SIGNIFICANT.search(value):
        return value
    try:
        return str(Text.from_latex(value).render(_PLAIN_TEXT))
    except (PybtexError, ValueError, IndexError):
        return value


def load_bibliography(file: Path, display_path: str, root: Path | None = None) -> Bibliography:
    """Read and parse references.bib; like a record, it is read only within `MAX_BIB_BYTES`,
    as a regular file inside `root`."""
    if not file.exists() and not file.is_symlink():
        return bibliography_from(None, display_path)
    raw = read_bounded(
        file, display_path, MAX_BIB_BYTES, root, "keep only the entries the records cite"
    )
    return bibliography_from(raw, display_path)


def bibliography_from(raw: bytes | Problem | None, display_path: str) -> Bibliography:
    """references.bib from the bytes read (or the problem that stopped them being read; None
    when there is no such file)."""
    if raw is None:
        missing = Problem.in_file(
            display_path,
            BIBLIOGRAPHY_MISSING,
            "references.bib not found",
            "create it; every study's 'cite' key must be an entry there",
        )
        return Bibliography(display_path, {}, [missing])
    text = raw if isinstance(raw, Problem) else decode_utf8(raw, display_path)
    if isinstance(text, Problem):
        return Bibliography(display_path, {}, [text])
    return parse_bibliography(text, display_path)


class _Macros(CaseInsensitiveDict):  # type: ignore[misc]
    """pybtex's @string macros with a budget: each substitution spends its length, and one that
    would overspend is refused (pybtex then reports it undefined and uses no text), so the
    memory and time a file can take stay in proportion to its size."""

    def __init__(self, budget: int, macros: CaseInsensitiveDict) -> None:
        super().__init__(macros)
        self.budget = budget
        self.refused: set[str] = set()

    def __getitem__(self, name: str) -> str:
        value: str = super().__getitem__(name)
        if len(value) > self.budget:
            self.refused.add(name.casefold())
            raise KeyError(name)
        self.budget -= len(value)
        return value


class _Parser(Parser):  # type: ignore[misc]
    macros: _Macros

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.macros = _Macros(budget, self.macros)


def parse_bibliography(text: str, display_path: str) -> Bibliography:
    problems: list[Problem] = []
    budget = MACRO_BUDGET_BASE + MACRO_BUDGET_FACTOR * len(text)
    parser = _Parser(budget)
    with pybtex.errors.capture() as errors:
        try:
            data = parser.parse_string(text)
        except PybtexError as error:  # errors the parser does not route to the handler
            errors.append(error)
            data = BibliographyData()
    lines = _LineIndex(text)
    starts = _entry_starts(text, lines)
    refused = parser.macros.refused
    for found in errors:
        if isinstance(found, UndefinedMacro) and _macro_name(found).casefold() in refused:
            if not any(p.code == MACROS_TOO_LARGE for p in problems):  # the first tells it
                problems.append(_macros_too_large(found, text, lines, display_path, budget))
            continue
        problems.append(_bib_error(found, text, lines, starts, display_path))
    entries: dict[str, BibEntry] = {}
    for key, entry in data.entries.items():
        if key.startswith("unnamed-") and key.casefold() not in starts:
            continue  # pybtex's name for an entry without a key, which it has reported
        line, col, span = starts.get(key.casefold(), [(1, 1, (0, 0))])[0]
        entries[key] = _entry(key, entry, line, col, span, text, lines)
        problems.extend(_early_end(key, span, text, lines, display_path))
    return Bibliography(display_path, entries, problems)


class _LineIndex:
    """Line and column (1-based) of any offset in a text, in logarithmic time."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _entry(
    key: str,
    entry: Entry,
    line: int,
    col: int,
    span: tuple[int, int],
    text: str,
    lines: _LineIndex,
) -> BibEntry:
    positions: dict[str, tuple[int, int]] = {}
    for match in _FIELD_START.finditer(text, span[0], span[1]):
        positions.setdefault(match.group(1).lower(), lines.position(match.start(1)))
    fields = {name.lower(): str(value) for name, value in entry.fields.items()}
    authors = [
        latex_to_text(" ".join(person.prelast_names + person.last_names))
        for person in entry.persons.get("author", [])
    ]
    for role, persons in entry.persons.items():
        fields.setdefault(role.lower(), " and ".join(str(p) for p in persons))
    return BibEntry(key, entry.type.lower(), fields, authors, line, col, positions)


def _entry_starts(
    text: str, lines: _LineIndex
) -> dict[str, list[tuple[int, int, tuple[int, int]]]]:
    """Line, column and text span of every '@type{key,' by folded key, in file order."""
    matches = list(_ENTRY_START.finditer(text))
    starts: dict[str, list[tuple[int, int, tuple[int, int]]]] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        line, col = lines.position(match.start(2))
        starts.setdefault(match.group(2).casefold(), []).append((line, col, (match.start(), end)))
    return starts


_BRACE = re.compile("[{}]")
_STRAY_FIELD = re.compile(r"\s*,?\s*([A-Za-z][\w-]*)\s*=")


def _early_end(
    key: str, span: tuple[int, int], text: str, lines: _LineIndex, path: str
) -> Iterator[Problem]:
    """An entry whose braces close before its last field: BibTeX reads the fields after the
    closing brace as a comment and drops them without a word, so say where the entry ended."""
    opening = text.find("{", span[0], span[1])
    if opening < 0 or "(" in text[span[0] : opening]:
        return
    depth = 0
    for brace in _BRACE.finditer(text, opening, span[1]):
        depth += 1 if brace.group() == "{" else -1
        if depth == 0:
            offset = brace.start()
            after = text.find("@", offset, span[1])  # what follows up to the next command
            end = span[1] if after < 0 else after
            stray = _STRAY_FIELD.match(text, offset + 1, end) or _FIELD_START.search(
                text, offset + 1, end
            )
            if stray:
                line, col = lines.position(offset)
                yield Problem(
                    path,
                    line,
                    col,
                    BIBTEX_SYNTAX,
                    f"entry '{key}' ends here, so its field '{stray.group(1)}' after it is lost",
                    "one '}' too many before this point?",
                )
            return


def _macro_name(error: UndefinedMacro) -> str:
    return str(error).split(": ", 1)[-1]


def _macro_place(error: UndefinedMacro, text: str, lines: _LineIndex) -> tuple[int, int]:
    pos = min(max(error.error_context_info[2], 0), len(text))
    name = _macro_name(error)
    start = pos - len(name) if text[max(0, pos - len(name)) : pos] == name else pos
    return lines.position(start)


def _macros_too_large(
    error: UndefinedMacro, text: str, lines: _LineIndex, path: str, budget: int
) -> Problem:
    line, col = _macro_place(error, text, lines)
    return Problem(
        path,
        line,
        col,
        MACROS_TOO_LARGE,
        f"@string macros expand to more than {budget:,} characters (1 MiB and 8 times the "
        f"file's size): '{_macro_name(error)}' here, and every later macro that no longer "
        "fits, is left empty",
        "define each @string with its own text, not by repeating other macros",
    )


def _bib_error(
    error: Exception,
    text: str,
    lines: _LineIndex,
    starts: dict[str, list[tuple[int, int, tuple[int, int]]]],
    path: str,
) -> Problem:
    message = str(error)
    if isinstance(error, PybtexSyntaxError):
        # pybtex's own line number also counts a lone '\r' as a line break; editors, git and
        # the rest of kb count '\n' only, so the place comes from the offset
        pos = min(max(error.error_context_info[2], 0), len(text))
        detail = message.split(": ", 1)[-1]
        if isinstance(error, UndefinedMacro):
            line, col = _macro_place(error, text, lines)
            return Problem(
                path,
                line,
                col,
                BIBTEX_SYNTAX,
                f"undefined string macro '{detail}'",
                "put the value in braces, or define it with @string",
            )
        line, col = lines.position(pos)
        return Problem(
            path,
            line,
            col,
            BIBTEX_SYNTAX,
            f"BibTeX syntax error: {detail}",
            "check braces and commas around this point",
        )
    repeated = re.match(r"repeated bibliography entry: (.+)", message)
    if repeated:
        places = starts.get(repeated.group(1).casefold(), [])
        line, col, _ = places[1] if len(places) > 1 else (places or [(1, 1, (0, 0))])[0]
        first = places[0][0] if places else 1
        return Problem(
            path,
            line,
            col,
            DUPLICATE_BIB_KEY,
            f"entry key '{repeated.group(1)}' is used twice (first at line {first})",
            "keys are case-insensitive; rename or merge one",
        )
    duplicate_field = re.match(r"entry with key (\S+) has a duplicate (\S+) field", message)
    if duplicate_field:
        key, name = duplicate_field.groups()
        places = starts.get(key.casefold(), [])
        line, col, _ = places[0] if places else (1, 1, (0, 0))
        return Problem(
            path,
            line,
            col,
            BIBTEX_SYNTAX,
            f"entry '{key}' has the field '{name}' twice",
            "keep one",
        )
    if isinstance(error, InvalidNameString):
        name = _quoted_name(str(error.args[0]))
        found = text.find(name)
        line, col = lines.position(found) if found >= 0 else (1, 1)
        return Problem(
            path,
            line,
            col,
            BIBTEX_SYNTAX,
            f"name '{name}' has too many commas",
            "write 'Last, First' or 'Last, Jr, First', and join names with 'and'",
        )
    return Problem.in_file(path, BIBTEX_SYNTAX, f"BibTeX error: {message}", None)


def _quoted_name(message: str) -> str:
    """The name in pybtex's "Too many commas in 'name'" (a Python repr of the string)."""
    shown = message.partition(" in ")[2]
    try:
        value = ast.literal_eval(shown)
    except (ValueError, SyntaxError):
        return shown
    return value if isinstance(value, str) else shown
