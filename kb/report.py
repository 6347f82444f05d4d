"""Problems as text, JSON or GitHub workflow annotations."""

from __future__ import annotations

import json
import posixpath
import unicodedata
from collections import Counter

from kb.problems import DATE_DEPENDENT, Problem, Severity

FORMATS = ("text", "json", "github")


def printable(text: str, keep: str = "") -> str:
    """Text with every control, format and line-separator character written as an escape, so a
    value quoted from a record keeps a problem on one line and cannot drive the terminal (an
    escape sequence) or reorder what is shown (a bidirectional override)."""
    return "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if unicodedata.category(c) in _UNPRINTABLE and c not in keep
        else c
        for c in text
    )


_UNPRINTABLE = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))
_LINE_BREAKS = "\r\n"


def shown_path(prefix: str, path: str) -> str:
    """A problem's path (relative to the knowledge base) as seen from where the report is read:
    `prefix` before it, and a '../' out of the knowledge base (the site configuration beside
    it) taken back, so 'evidence/' and '../mkdocs.yml' give 'mkdocs.yml'."""
    joined = prefix + path
    return posixpath.normpath(joined) if path.startswith("../") else joined


def format_text(problem: Problem, prefix: str = "") -> str:
    """'evidence/studies/x.yaml:3:7: error[KB301] message (hint)', with `prefix` before the
    path (problem paths are relative to the knowledge base)."""
    hint = f" ({problem.hint})" if problem.hint else ""
    return printable(
        f"{shown_path(prefix, problem.path)}:{problem.line}:{problem.col}: "
        f"{problem.severity.value}[{problem.code}] {problem.message}{hint}"
    )


def summary_line(problems: list[Problem]) -> str:
    counts = Counter(problem.severity for problem in problems)
    parts = [f"{counts[s]} {s.value}{'' if counts[s] == 1 else 's'}" for s in Severity]
    return ", ".join(parts)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(problem: Problem, prefix: str = "") -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}[problem.severity.value]
    hint = f" ({problem.hint})" if problem.hint else ""
    path = printable(
        shown_path(prefix, problem.path), keep=_LINE_BREAKS
    )  # escaped as GitHub reads them
    message = printable(problem.message + hint, keep=_LINE_BREAKS)
    return (
        f"::{level} file={_escape_property(path)},line={problem.line},"
        f"col={problem.col},title={_escape_property(problem.code)}::{_escape_data(message)}"
    )


def render(problems: list[Problem], fmt: str, prefix: str = "") -> str:
    """The report in `fmt` (text, json or github); `prefix` goes before every path."""
    if fmt == "json":
        return json.dumps(
            {
                "problems": [{**p.to_dict(), "path": shown_path(prefix, p.path)} for p in problems],
                "summary": dict(Counter(p.severity.value for p in problems)),
            },
            indent=2,
            ensure_ascii=False,
            sort_keys=True,
        )
    formatter = format_github if fmt == "github" else format_text
    lines = [formatter(problem, prefix) for problem in problems]
    lines.append(summary_line(problems))
    return "\n".join(lines)


def exit_code(problems: list[Problem], strict: bool, dated: bool = False) -> int:
    """0 when clean (warnings allowed unless strict), 1 when there are problems. A strict run
    fails on the warnings that depend on the date of the check (an overdue trial) only when
    `dated`: an untouched knowledge base would otherwise fail one day without any change."""
    for problem in problems:
        if problem.severity is Severity.ERROR:
            return 1
        dated_out = problem.code in DATE_DEPENDENT and not dated
        if strict and problem.severity is Severity.WARNING and not dated_out:
            return 1
    return 0
