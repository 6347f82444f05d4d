"""The documentation pages stay true to the code: codes, limits, grading table, commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb import cite, load
from kb.grade import STARTING_CERTAINTY, study_level
from kb.model import Study
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
        assert documented[code] == (entry.severity.value, entry.summary), code


def test_page_documents_no_code_that_does_not_exist() -> None:
    headings = set(re.findall(r"^### (KB\d{3})", CODES_PAGE, re.M))
    assert headings <= set(CATALOGUE), sorted(headings - set(CATALOGUE))


LIMITS = [
    ("file size", f"{load.MAX_FILE_BYTES:,} bytes", "KB106"),
    ("size of references.bib", f"{cite.MAX_BIB_BYTES:,} bytes", "KB106"),
    (
        "expansion of @string macros in references.bib",
        f"{cite.MACRO_BUDGET_BASE // 1_048_576} MiB plus {cite.MACRO_BUDGET_FACTOR} times",
        "KB412",
    ),
    ("nesting of mappings and lists", f"{load.MAX_DEPTH} levels", "KB107"),
    ("length of one string value", f"{load.MAX_STRING_CHARS:,} characters", "KB112"),
    ("values in one record (keys, values and list items)", f"{load.MAX_VALUES:,}", "KB114"),
    ("YAML aliases (an anchor alone is harmless)", "none allowed", "KB105"),
]


def limits_table() -> dict[str, list[str]]:
    section = CODES_PAGE.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows[1:]}


@pytest.mark.parametrize(("label", "value", "code"), LIMITS)
def test_limits_table_matches_the_loader(label: str, value: str, code: str) -> None:
    shown, shown_code = limits_table()[label]
    assert value in shown
    assert shown_code == code


def test_limits_table_lists_exactly_the_limits_in_the_code() -> None:
    assert sorted(limits_table()) == sorted(label for label, _, _ in LIMITS)


_DESIGN_ROWS = {
    "randomised trial": ("rct",),
    "prospective cohort": ("prospective-cohort",),
    "retrospective cohort": ("retrospective-cohort",),
    "registry analysis": ("registry-analysis",),
    "cross-sectional study": ("cross-sectional",),
    "case-control study": ("case-control",),
    "case series, case report": ("case-series", "case-report"),
    "narrative review, editorial, expert opinion, mechanistic theory": (
        "narrative-review",
        "editorial",
        "expert-opinion",
        "mechanistic-theory",
    ),
}
_QUESTION_COLUMNS = (
    ("treatment-benefit", "treatment-harm-common", "treatment-harm-rare", "screening"),
    ("prognosis",),
    ("diagnosis",),
    ("prevalence",),
)


def methods_table(heading: str) -> dict[str, list[str]]:
    """The first table under a heading of the methods page, by its first cell."""
    section = METHODS_PAGE.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [
        line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("| ")
    ]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows[1:]}


def _study(design: str, question: str) -> Study:
    return Study.model_validate(
        {"id": "s", "cite": "s", "design": design, "question": question, "links": []}
    )


def test_methods_level_table_matches_the_grading_code() -> None:
    rows = methods_table("## Level of a study: Oxford CEBM 2011")
    assert set(rows) == set(_DESIGN_ROWS)
    for label, designs in _DESIGN_ROWS.items():
        for column, questions in enumerate(_QUESTION_COLUMNS):
            for design in designs:
                for question in questions:
                    level = study_level(_study(design, question)).level
                    assert level == int(rows[label][column]), (label, question)


_START_ROWS = {
    "randomised trial": ("rct",),
    "prospective cohort": ("prospective-cohort",),
    "retrospective cohort": ("retrospective-cohort",),
    "registry analysis": ("registry-analysis",),
    "cross-sectional study": ("cross-sectional",),
    "case-control study": ("case-control",),
    "case series, case report": ("case-series", "case-report"),
}
_START_COLUMNS = (
    ("treatment-benefit", "treatment-harm-common", "treatment-harm-rare", "screening"),
    ("prognosis",),
    ("diagnosis",),
    ("prevalence",),
)


def test_methods_starting_certainty_table_matches_the_grading_code() -> None:
    rows = methods_table("### Starting rating")
    assert set(rows) == set(_START_ROWS)
    for label, designs in _START_ROWS.items():
        for column, questions in enumerate(_START_COLUMNS):
            for design in designs:
                for question in questions:
                    shown = rows[label][column].replace(" ", "-")
                    assert STARTING_CERTAINTY[question].get(design) == shown, (label, question)
    rated = {design for table in STARTING_CERTAINTY.values() for design in table}
    assert rated == {d for designs in _START_ROWS.values() for d in designs}


def test_readme_commands_are_make_targets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", readme, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
