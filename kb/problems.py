"""Problems are data: a stable code, a severity, a position and a message a contributor can act on.

The catalogue below is the single source of truth for codes. Each code is documented on the
site's problem-codes page; a test fails when one is missing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    title: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

CATALOGUE: dict[str, Code] = {
    c.code: c
    for c in [
        # KB1xx: reading files
        Code("KB101", _E, "file cannot be read or is not UTF-8"),
        Code("KB102", _E, "YAML syntax error"),
        Code("KB103", _E, "tab character in indentation"),
        Code("KB104", _E, "duplicate key"),
        Code("KB105", _E, "YAML anchor or alias"),
        Code("KB106", _E, "file too large"),
        Code("KB107", _E, "nesting too deep"),
        Code("KB108", _E, "record is not a mapping"),
        Code("KB109", _W, "schema modeline missing or wrong"),
        Code("KB110", _E, "more than one YAML document"),
        Code("KB111", _E, "key is not a string"),
        Code("KB112", _E, "string too long"),
        Code("KB113", _W, "file outside the record folders"),
        Code("KB114", _E, "too many values"),
        # KB2xx: record schema
        Code("KB201", _E, "wrong type"),
        Code("KB202", _E, "missing required field"),
        Code("KB203", _E, "value not in the allowed list"),
        Code("KB204", _E, "unknown field"),
        Code("KB205", _E, "invalid value"),
        # KB3xx: identifiers of records and the claim-evidence graph
        Code("KB301", _E, "reference to an unknown record"),
        Code("KB302", _E, "duplicate record id"),
        Code("KB303", _E, "file name differs from id"),
        Code("KB304", _W, "claim with no evidence"),
        Code("KB305", _W, "study linked to nothing"),
        Code("KB306", _E, "cycle in claim dependencies"),
        Code("KB307", _I, "contested claim"),
        Code("KB308", _E, "reference to a record of the wrong kind"),
        Code("KB309", _W, "study linked twice to a claim in the same way"),
        # KB4xx: citations and identifiers
        Code("KB401", _E, "citation key not in references.bib"),
        Code("KB402", _W, "bibliography entry cited by no record"),
        Code("KB403", _E, "bibliography entry lacks a required field"),
        Code("KB404", _E, "malformed identifier"),
        Code("KB405", _E, "identifier on two records"),
        Code("KB406", _E, "identifier disagrees with references.bib"),
        Code("KB407", _W, "likely duplicate study"),
        Code("KB408", _E, "BibTeX syntax error"),
        Code("KB409", _E, "duplicate bibliography key"),
        Code("KB410", _I, "required field declared unverified"),
        Code("KB411", _E, "references.bib missing"),
        # KB5xx: grading
        Code("KB501", _I, "curated certainty differs from the computed one"),
        Code("KB502", _E, "curated certainty above what the evidence can reach"),
        Code("KB503", _E, "level adjustment out of range"),
        # KB6xx: trials
        Code("KB601", _W, "trial overdue"),
        # KB7xx: numbers and dates
        Code("KB701", _E, "confidence interval bounds reversed"),
        Code("KB702", _E, "value outside its confidence interval"),
        Code("KB703", _E, "p-value outside [0, 1]"),
        Code("KB704", _E, "percentage over 100"),
        Code("KB705", _E, "analysed more than enrolled"),
        Code("KB706", _E, "date in the future"),
        Code("KB707", _E, "date range reversed"),
        # KB8xx: importing references (kb import)
        Code("KB801", _E, "import file cannot be read"),
        Code("KB802", _E, "syntax error in an import file"),
        Code("KB803", _W, "reference without a title"),
        Code("KB804", _W, "reference already in the knowledge base"),
        Code("KB805", _W, "reference looks like an existing study"),
        Code("KB806", _W, "malformed identifier left out"),
        Code("KB807", _E, "references.bib or a stub could not be written"),
        # KB9xx: identifiers checked against the registries (sources.lock.json)
        Code("KB901", _E, "sources.lock.json cannot be read"),
        Code("KB902", _I, "identifier not resolved"),
        Code("KB903", _E, "identifier names another work"),
        Code("KB904", _W, "metadata differs from the registry"),
        Code("KB905", _W, "identifier not found in the registry"),
        Code("KB906", _W, "retracted study still counted"),
        Code("KB907", _W, "claim rests on a retracted study"),
        Code("KB908", _I, "correction or other notice"),
        Code("KB909", _W, "trial status differs from the registry"),
        Code("KB910", _W, "trial dates differ from the registry"),
    ]
}


IMPORT_FAMILY = "KB8"
"""Codes of `kb import`, about export files; every other code is one `kb check` reports."""
CHECK_CODES = frozenset(code for code in CATALOGUE if not code.startswith(IMPORT_FAMILY))


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, positioned at the offending value (1-based line and column)."""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str | None = None

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity.value,
            "code": self.code,
            "title": CATALOGUE[self.code].title,
            "message": self.message,
            "hint": self.hint,
        }


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Sort by file and position; drop exact repeats so every problem is told once."""
    return sorted(set(problems), key=Problem.sort_key)
