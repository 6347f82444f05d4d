"""Problems are data: a stable code, a severity, a position and a message a contributor can act on.

The catalogue below is the single source of truth for codes; code refers to them by name
(`UNKNOWN_RECORD`), never by their text. Each code is documented on the site's problem-codes page;
a test fails when one is missing there. Rules also share what every problem needs: the `Context`
of a run and a "did you mean" from rapidfuzz.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

from rapidfuzz import process


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(str):
    """A problem code ('KB301') with its severity and summary (the title the problem-codes page
    gives it). It is its own text, so problems compare, sort and serialise by the code."""

    severity: Severity
    summary: str

    def __new__(cls, code: str, severity: Severity, summary: str) -> Code:
        self = super().__new__(cls, code)
        self.severity = severity
        self.summary = summary
        return self


CATALOGUE: dict[str, Code] = {}


def _code(code: str, severity: Severity, summary: str) -> Code:
    CATALOGUE[code] = Code(code, severity, summary)
    return CATALOGUE[code]


def code_named(text: str) -> Code:
    """The catalogue's code for its text; KeyError for a code kb does not know."""
    return CATALOGUE[text]


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

# KB1xx: reading files
UNREADABLE_FILE = _code("KB101", _E, "file cannot be read or is not UTF-8")
YAML_SYNTAX = _code("KB102", _E, "YAML syntax error")
TAB_INDENT = _code("KB103", _E, "tab character in indentation")
DUPLICATE_KEY = _code("KB104", _E, "duplicate key")
YAML_ALIAS = _code("KB105", _E, "YAML anchor or alias")
FILE_TOO_LARGE = _code("KB106", _E, "file too large")
TOO_DEEP = _code("KB107", _E, "nesting too deep")
NOT_A_MAPPING = _code("KB108", _E, "record is not a mapping")
MODELINE = _code("KB109", _W, "schema modeline missing or wrong")
MULTIPLE_DOCUMENTS = _code("KB110", _E, "more than one YAML document")
KEY_NOT_TEXT = _code("KB111", _E, "key is not a string")
STRING_TOO_LONG = _code("KB112", _E, "string too long")
STRAY_FILE = _code("KB113", _W, "file outside the record folders")
TOO_MANY_VALUES = _code("KB114", _E, "too many values")
SITE_CODE = _code("KB115", _W, "site configuration or sources can run code")

# KB2xx: record schema
WRONG_TYPE = _code("KB201", _E, "wrong type")
MISSING_FIELD = _code("KB202", _E, "missing required field")
NOT_ALLOWED = _code("KB203", _E, "value not in the allowed list")
UNKNOWN_FIELD = _code("KB204", _E, "unknown field")
INVALID_VALUE = _code("KB205", _E, "invalid value")

# KB3xx: identifiers of records and the claim-evidence graph
UNKNOWN_RECORD = _code("KB301", _E, "reference to an unknown record")
DUPLICATE_ID = _code("KB302", _E, "duplicate record id")
FILE_NAME_DIFFERS = _code("KB303", _E, "file name differs from id")
CLAIM_WITHOUT_EVIDENCE = _code("KB304", _W, "claim with no evidence")
UNLINKED_STUDY = _code("KB305", _W, "study linked to nothing")
DEPENDENCY_CYCLE = _code("KB306", _E, "cycle in claim dependencies")
CONTESTED_CLAIM = _code("KB307", _I, "contested claim")
WRONG_KIND = _code("KB308", _E, "reference to a record of the wrong kind")
REPEATED_LINK = _code("KB309", _W, "study linked twice to a claim in the same way")
LINK_WITHOUT_BASIS = _code("KB310", _E, "link names no finding and does not rest on text")
UNKNOWN_FINDING = _code("KB311", _E, "link names a finding the study does not have")
UNKNOWN_OUTCOME = _code("KB312", _E, "finding mapped to an outcome the claim does not have")
DUPLICATE_FINDING_ID = _code("KB313", _E, "finding id used twice in a study")
RATIO_WITHOUT_COMPARISON = _code("KB314", _E, "ratio finding without its comparison")
DUPLICATE_OUTCOME_ID = _code("KB315", _E, "outcome id used twice in a claim")
FINDING_ON_TWO_OUTCOMES = _code("KB316", _E, "finding mapped to two outcomes of one claim")
POSSIBLE_OVERLAP = _code("KB317", _W, "studies may share patients")
REVIEW_WITHOUT_INCLUDES = _code("KB318", _W, "review does not say what it includes")
OUTCOME_WITHOUT_EVIDENCE = _code("KB319", _I, "outcome no finding informs")
UNKNOWN_TOPIC = _code("KB320", _W, "topic no claim has")

# KB4xx: citations and identifiers
MISSING_CITATION = _code("KB401", _E, "citation key not in references.bib")
UNCITED_ENTRY = _code("KB402", _W, "bibliography entry cited by no record")
ENTRY_LACKS_FIELD = _code("KB403", _E, "bibliography entry lacks a required field")
MALFORMED_IDENTIFIER = _code("KB404", _E, "malformed identifier")
SHARED_IDENTIFIER = _code("KB405", _E, "identifier on two records")
IDENTIFIER_DISAGREES = _code("KB406", _E, "identifier disagrees with references.bib")
LIKELY_DUPLICATE = _code("KB407", _W, "likely duplicate study")
BIBTEX_SYNTAX = _code("KB408", _E, "BibTeX syntax error")
DUPLICATE_BIB_KEY = _code("KB409", _E, "duplicate bibliography key")
DECLARED_UNVERIFIED = _code("KB410", _I, "required field declared unverified")
BIBLIOGRAPHY_MISSING = _code("KB411", _E, "references.bib missing")
MACROS_TOO_LARGE = _code("KB412", _E, "BibTeX string macros expand too far")
SAME_TITLE = _code("KB413", _W, "study with the title of another, author or year unknown")

# KB5xx: grading
CURATED_DIFFERS = _code("KB501", _I, "curated certainty lower than the computed one")
CURATED_TOO_HIGH = _code("KB502", _E, "curated certainty above the computed one")
ADJUSTMENT_OUT_OF_RANGE = _code("KB503", _E, "level adjustment out of range")
BIAS_DOMAIN_UNKNOWN = _code("KB504", _E, "domain or judgement not of the risk-of-bias tool")
BIAS_DOMAIN_MISSING = _code("KB505", _E, "risk-of-bias domain not judged")
BIAS_OVERALL_TOO_LOW = _code("KB506", _E, "overall risk of bias better than the tool's rule")
BIAS_TOOL_MISFIT = _code("KB507", _W, "risk-of-bias tool does not fit the study")

# KB6xx: trials
TRIAL_OVERDUE = _code("KB601", _W, "trial overdue")

# KB7xx: numbers and dates
INTERVAL_REVERSED = _code("KB701", _E, "confidence interval bounds reversed")
VALUE_OUTSIDE_INTERVAL = _code("KB702", _E, "value outside its confidence interval")
P_OUT_OF_RANGE = _code("KB703", _E, "p-value outside [0, 1]")
PERCENT_OVER_100 = _code("KB704", _E, "percentage over 100")
ANALYSED_OVER_ENROLLED = _code("KB705", _E, "analysed more than enrolled")
FUTURE_DATE = _code("KB706", _E, "date in the future")
DATES_REVERSED = _code("KB707", _E, "date range reversed")
NUMBER_NOT_QUOTED = _code("KB708", _E, "number of a finding not in its quote")
FINDING_WITHOUT_WORDS = _code("KB709", _W, "finding without a quote or paraphrase")
NUMBERS_WITHOUT_QUOTE = _code("KB710", _W, "numbers of a finding rest on a paraphrase alone")

# KB8xx: importing references (kb import)
IMPORT_UNREADABLE = _code("KB801", _E, "import file cannot be read")
IMPORT_SYNTAX = _code("KB802", _E, "syntax error in an import file")
IMPORT_NO_TITLE = _code("KB803", _W, "reference without a title")
IMPORT_KNOWN = _code("KB804", _W, "reference already in the knowledge base")
IMPORT_SIMILAR = _code("KB805", _W, "reference looks like an existing study")
IMPORT_BAD_IDENTIFIER = _code("KB806", _W, "malformed identifier left out")
IMPORT_NOT_WRITTEN = _code("KB807", _E, "references.bib or a stub could not be written")
IMPORT_CLEANED = _code("KB808", _W, "control characters removed from imported text")
IMPORT_OVER_LIMIT = _code("KB809", _E, "reference over kb's limits")
IMPORT_SAME_TITLE = _code("KB810", _W, "reference has the title of an existing one")
IMPORT_KEPT = _code("KB811", _W, "export differs from a curated value, which is kept")

# KB9xx: identifiers checked against the registries (sources.lock.json)
LOCK_UNREADABLE = _code("KB901", _E, "sources.lock.json cannot be read")
NOT_RESOLVED = _code("KB902", _I, "identifier not resolved")
OTHER_WORK = _code("KB903", _E, "identifier names another work")
METADATA_DIFFERS = _code("KB904", _W, "metadata differs from the registry")
NOT_IN_REGISTRY = _code("KB905", _W, "identifier not found in the registry")
RETRACTED_COUNTED = _code("KB906", _W, "retracted study still counted")
RESTS_ON_RETRACTED = _code("KB907", _W, "claim rests on a retracted study")
NOTICE = _code("KB908", _I, "correction or other notice")
TRIAL_STATUS_DIFFERS = _code("KB909", _W, "trial status differs from the registry")
TRIAL_DATES_DIFFER = _code("KB910", _W, "trial dates differ from the registry")


DATE_DEPENDENT = frozenset({TRIAL_OVERDUE})
"""Codes whose problems come and go with the date of the check, not with a change of the
records: `kb check --strict` fails on them only when asked (`--strict-dates`)."""

IMPORT_FAMILY = "KB8"
"""Codes of `kb import`, about export files; every other code is one `kb check` reports."""
CHECK_CODES = frozenset(code for code in CATALOGUE if not code.startswith(IMPORT_FAMILY))

Loc = tuple[int | str, ...]
"""Where a value sits in a record: the keys and list indexes leading to it."""


class _Positions(Protocol):
    def value(self, loc: Loc) -> tuple[int, int]: ...

    def key(self, loc: Loc) -> tuple[int, int]: ...


class Located(Protocol):
    """A record file as rules see it: its path and where each value was written."""

    @property
    def path(self) -> str: ...

    @property
    def source(self) -> _Positions: ...


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, positioned at the offending value (1-based line and column). The path is
    relative to the knowledge base's folder, with '/'; reports put the folder in front."""

    path: str
    line: int
    col: int
    code: Code
    message: str
    hint: str | None = None
    subject: str = field(default="", compare=False)
    """What the problem is about, stable while the file is edited around it: the field it sits
    on (list positions left out) and the names the message quotes ('os-hr', a DOI), never its
    line nor the counts and dates in its message. `kb diff` matches problems by file, code and
    subject."""

    def __post_init__(self) -> None:
        if not isinstance(self.code, Code):  # a code read back from JSON, or typed in a test
            object.__setattr__(self, "code", code_named(self.code))
        if not self.subject:
            object.__setattr__(self, "subject", "|".join(_QUOTED.findall(self.message)))

    @classmethod
    def at(
        cls,
        located: Located,
        location: Loc,
        code: Code,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
    ) -> Problem:
        """A problem at the value (or, with `key`, the key) at `location` in a record file;
        at the nearest enclosing value that exists when that one does not."""
        positions = located.source
        line, col = positions.key(location) if key else positions.value(location)
        field_name = ".".join(part for part in location if isinstance(part, str))
        quoted = "|".join(_QUOTED.findall(message))
        return cls(located.path, line, col, code, message, hint, f"{field_name}|{quoted}")

    @classmethod
    def in_file(cls, path: str, code: Code, message: str, hint: str | None = None) -> Problem:
        """A problem about a whole file, placed at its first line."""
        return cls(path, 1, 1, code, message, hint)

    @property
    def severity(self) -> Severity:
        return self.code.severity

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity.value,
            "code": str(self.code),
            "title": self.code.summary,
            "message": self.message,
            "hint": self.hint,
        }


_QUOTED = re.compile(r"(?<![\w'])'([^'\n]+)'(?![\w'])")
"""A name quoted in a message ('os-hr'); an apostrophe inside a word ("source's") is not."""


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sort by file and position; drop exact repeats so every problem is told once."""
    return sorted(set(problems), key=Problem.sort_key)


L = TypeVar("L", bound=Located)


@dataclass(frozen=True)
class Context:
    """What a check depends on besides the records."""

    today: dt.date
    """The date against which 'overdue' and 'in the future' are judged."""
    changed: frozenset[str] = frozenset()
    """Files changed since a base revision (`kb check --changed-from`), relative to the
    knowledge base: of two records in conflict, the changed one introduced it."""

    def oldest_first(self, records: Iterable[L]) -> list[L]:
        """`records` in their order, the changed ones last: where two records conflict (a
        shared identifier, a duplicate id), the later one is told, so the problem lands on the
        record that brought the conflict in, inside the change under review."""
        return sorted(records, key=lambda record: record.path in self.changed)


def suggest(word: str, choices: Iterable[str], cutoff: float = 70) -> str | None:
    """The closest choice to `word`, when one is close enough to be a likely typo."""
    match = process.extractOne(word, list(choices), score_cutoff=cutoff)
    return match[0] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    best = suggest(word, choices)
    return f"did you mean '{best}'?" if best else None
