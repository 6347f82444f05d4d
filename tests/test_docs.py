"""The documentation pages stay true to the code: codes, limits, grading table, commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb import load
from kb.grade import OCEBM_LEVELS
from kb.problems import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
CODES_PAGE = (ROOT / "site_src" / "problem-codes.md").read_text(encoding="utf-8")
METHODS_PAGE = (ROOT / "site_src" / "methods.md").read_text(encoding="utf-8")


def documented_codes() -> dict[str, tuple[str, str]]:
    """Code -> (severity, title) as the page states them under each '### KBnnn' heading."""
    found = {}
    for match in re.finditer(r"^### (KB\d{3})\n\n\*\*(\w+): ([^*]+?)\.\*\*", CODES_PAGE, re.M):
        found[match.group(1)] = (match.group(2), match.group(3))
    return found


def test_every_code_is_documented_with_its_severity_and_title() -> None:
    documented = documented_codes()
    missing = sorted(set(CATALOGUE) - set(documented))
    assert not missing, f"codes without a section in problem-codes.md: {missing}"
    for code, entry in CATALOGUE.items():
        assert documented[code] == (entry.severity.value, entry.title), code


def test_page_documents_no_code_that_does_not_exist() -> None:
    headings = set(re.findall(r"^### (KB\d{3})", CODES_PAGE, re.M))
    assert headings <= set(CATALOGUE), sorted(headings - set(CATALOGUE))


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("file size", f"{load.MAX_FILE_BYTES:,} bytes"),
        ("nesting of mappings and lists", f"{load.MAX_DEPTH} levels"),
        ("length of one string value", f"{load.MAX_STRING_CHARS:,} characters"),
    ],
)
def test_limits_table_matches_the_loader(label: str, value: str) -> None:
    row = next(line for line in CODES_PAGE.splitlines() if line.startswith(f"| {label} |"))
    assert value in row


_DESIGN_ROWS = {
    "meta-analysis, systematic review": ("meta-analysis", "systematic-review"),
    "randomised trial": ("rct",),
    "prospective cohort": ("prospective-cohort",),
    "retrospective cohort": ("retrospective-cohort",),
    "registry analysis": ("registry-analysis",),
    "cross-sectional study": ("cross-sectional",),
    "case-control study": ("case-control",),
    "case series, case report": ("case-series", "case-report"),
}
_QUESTION_COLUMNS = (
    ("treatment-benefit", "treatment-harm-common", "treatment-harm-rare", "screening"),
    ("prognosis",),
    ("diagnosis",),
    ("prevalence",),
)


def test_methods_level_table_matches_the_grading_code() -> None:
    rows = {}
    for line in METHODS_PAGE.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells and cells[0] in _DESIGN_ROWS:
            rows[cells[0]] = [int(cell) for cell in cells[1:]]
    assert set(rows) == set(_DESIGN_ROWS)
    for label, designs in _DESIGN_ROWS.items():
        for column, questions in enumerate(_QUESTION_COLUMNS):
            for design in designs:
                for question in questions:
                    assert OCEBM_LEVELS[question][design] == rows[label][column], (label, question)  # type: ignore[index]


def test_readme_commands_are_make_targets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", readme, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
