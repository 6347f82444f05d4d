"""The `kb` command: exit codes, the three output formats, the date it judges by, `kb schema`."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import minimal_kb, write_tree

from kb.cli import main
from kb.problems import CATALOGUE, Problem
from kb.report import format_github
from kb.schema import render_schemas

TEXT_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|info)"
    r"\[(?P<code>KB\d{3})\] (?P<message>.+?)(?: \((?P<hint>.+)\))?$"
)
SUMMARY = re.compile(r"^\d+ errors?, \d+ warnings?, \d+ infos?$")
GITHUB_LINE = re.compile(
    r"^::(?P<level>error|warning|notice) file=(?P<file>[^,:]+),line=(?P<line>\d+),"
    r"col=(?P<col>\d+),title=(?P<title>KB\d{3})::(?P<message>.+)$"
)
NO_EPOCH: dict[str, str | None] = {"SOURCE_DATE_EPOCH": None}


def kb_check(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["check", *args], env={**NO_EPOCH, **(env or {})})


Edit = tuple[str, str, str]
"""(path, old, new): replace `old`, which must occur once, in one file of the fixture."""

WARNING: Edit = ("references.bib", "}\n\n@article{jones", "}\n\n@misc{unused,\n}\n\n@article{jones")
"""An unused bibliography entry: one warning (KB402)."""
_FINDING = (
    "p: {p}\n    locator: Table 2\n    id: os-hr\n"
    "    comparison: {{group: drug X, reference: placebo}}\n    better: lower\n    n: 500\n"
    '    quote: "HR 0.72 (95% CI 0.58-0.89; P = {quoted};'
)
ERROR: Edit = (
    "studies/smith-2020.yaml",
    _FINDING.format(p="0.003", quoted=".003"),
    _FINDING.format(p="3", quoted="3"),
)
"""A p-value of 3, so written in the quote too: one error (KB703)."""
INFO: Edit = (
    "studies/jones-2021.yaml",
    "    findings: [{finding: median-os, outcome: overall-survival}]\n",
    "    findings: [{finding: median-os, outcome: overall-survival}]\n"
    "  - claim: drug-x-improves-survival\n"
    "    relation: refutes\n    rests_on: text\n    locator: Table 4\n",
)
"""A contested claim: one info (KB307)."""


def make_kb(root: Path, *edits: Edit, extra: dict[str, str] | None = None) -> Path:
    """The minimal knowledge base with text edits and extra files."""
    files = minimal_kb()
    for path, old, new in edits:
        text = files[path]
        assert isinstance(text, str) and text.count(old) == 1, (path, old)
        files[path] = text.replace(old, new)
    files.update(extra or {})
    return write_tree(root, files)


def codes(result: Result) -> list[str]:
    return [m.group("code") for m in map(TEXT_LINE.match, result.stdout.splitlines()) if m]


# ---- exit codes


def test_clean_knowledge_base_exits_0(kb_root: Path) -> None:
    result = kb_check(str(kb_root), "--today", "2024-06-01")
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 errors, 0 warnings, 0 infos\n"


def test_warnings_exit_0_unless_strict(tmp_path: Path) -> None:
    root = make_kb(tmp_path, WARNING)
    result = kb_check(str(root), "--today", "2024-06-01")
    assert (result.exit_code, codes(result)) == (0, ["KB402"])
    assert result.stdout.splitlines()[-1] == "0 errors, 1 warning, 0 infos"
    strict = kb_check(str(root), "--today", "2024-06-01", "--strict")
    assert (strict.exit_code, codes(strict)) == (1, ["KB402"])


def test_infos_never_fail(tmp_path: Path) -> None:
    root = make_kb(tmp_path, INFO)
    for flags in ([], ["--strict"]):
        result = kb_check(str(root), "--today", "2024-06-01", *flags)
        assert (result.exit_code, codes(result)) == (0, ["KB307"])


def test_errors_exit_1(tmp_path: Path) -> None:
    root = make_kb(tmp_path, ERROR)
    for flags in ([], ["--strict"]):
        result = kb_check(str(root), "--today", "2024-06-01", *flags)
        assert (result.exit_code, codes(result)) == (1, ["KB703"])
        assert result.stdout.splitlines()[-1] == "1 error, 0 warnings, 0 infos"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--no-such-option"], {}, "No such option"),
        (["--format", "xml"], {}, "'xml' is not one of"),
        (["--today", "2024-13-01"], {}, "--today"),
        (["--today", "yesterday"], {}, "--today"),
        ([], {"SOURCE_DATE_EPOCH": "soon"}, "SOURCE_DATE_EPOCH"),
        ([], {"SOURCE_DATE_EPOCH": "99999999999999"}, "SOURCE_DATE_EPOCH"),
        ([], {"SOURCE_DATE_EPOCH": "100000000000000000000"}, "SOURCE_DATE_EPOCH"),
    ],
)
def test_usage_errors_exit_2(
    kb_root: Path, args: list[str], env: dict[str, str | None], message: str
) -> None:
    result = kb_check(str(kb_root), *args, env=env)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_path_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert kb_check(str(tmp_path / "nowhere")).exit_code == 2
    (tmp_path / "file.txt").write_text("x")
    assert kb_check(str(tmp_path / "file.txt")).exit_code == 2
    monkeypatch.chdir(tmp_path)  # the default path, evidence/, is not here
    result = kb_check()
    assert result.exit_code == 2
    assert "evidence" in result.stderr


def test_help_and_version() -> None:
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    version = CliRunner().invoke(main, ["--version"])
    assert version.exit_code == 0
    assert "version" in version.stdout


# ---- formats


def test_text_format(tmp_path: Path) -> None:
    root = make_kb(tmp_path, ERROR, WARNING, INFO, extra={"studies/notes.txt": ""})
    result = kb_check(str(root), "--today", "2024-06-01", "--format", "text")
    *lines, summary = result.stdout.splitlines()
    assert SUMMARY.match(summary), summary
    assert len(lines) >= 2
    for line in lines:
        match = TEXT_LINE.match(line)
        assert match, line
        assert CATALOGUE[match.group("code")].severity.value == match.group("severity")
    assert any(":36:8: error[KB703] p-value 3 is outside [0, 1] (" in line for line in lines)


def test_json_format(tmp_path: Path) -> None:
    root = make_kb(tmp_path, ERROR, WARNING)
    result = kb_check(str(root), "--today", "2024-06-01", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"error": 1, "warning": 1}
    by_code = {p["code"]: p for p in report["problems"]}
    assert set(by_code) == {"KB402", "KB703"}
    p = by_code["KB703"]
    assert set(p) == {"path", "line", "col", "severity", "code", "title", "message", "hint"}
    assert p["path"].endswith("studies/smith-2020.yaml")
    assert (p["line"], p["col"], p["severity"]) == (36, 8, "error")
    assert p["title"] == CATALOGUE["KB703"].summary
    assert p["message"] == "p-value 3 is outside [0, 1]"
    assert isinstance(p["hint"], str)
    assert by_code["KB402"]["severity"] == "warning"


def test_json_format_when_clean(kb_root: Path) -> None:
    result = kb_check(str(kb_root), "--today", "2024-06-01", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"problems": [], "summary": {}}


def test_github_format(tmp_path: Path) -> None:
    root = make_kb(tmp_path, ERROR, WARNING, INFO)
    result = kb_check(str(root), "--today", "2024-06-01", "--format", "github")
    assert result.exit_code == 1
    *lines, summary = result.stdout.splitlines()
    assert SUMMARY.match(summary)
    matches = [GITHUB_LINE.match(line) for line in lines]
    assert all(matches), lines
    seen = {(m.group("level"), m.group("title")) for m in matches if m}
    assert seen == {("error", "KB703"), ("warning", "KB402"), ("notice", "KB307")}
    error = next(m for m in matches if m and m.group("title") == "KB703")
    assert (error.group("line"), error.group("col")) == ("36", "8")
    assert error.group("file").endswith("studies/smith-2020.yaml")


def test_github_format_escapes_properties_and_data(tmp_path: Path) -> None:
    smith = "studies/smith-2020.yaml"
    root = make_kb(
        tmp_path / "odd,name:100%",
        (smith, "value: 41.5", "value: 141.5"),
        (smith, "lower: 35.2", "lower: 135.2"),
        (smith, "upper: 47.9", "upper: 147.9"),
        (smith, "41.5% responded (95% CI 35.2 to 47.9)", "141.5% (135.2 to 147.9)"),
    )
    result = kb_check(str(root), "--today", "2024-06-01", "--format", "github")
    lines = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(lines) == 2
    for line in lines:
        assert "odd%2Cname%3A100%25/studies/smith-2020.yaml" in line
        assert "odd,name" not in line
        assert GITHUB_LINE.match(line), line
    assert "::141.5%25 is over 100%25 (check the unit: is this a count" in lines[0]


def test_github_escaping_unit() -> None:
    problem = Problem("a,b:c%d\r\n.yaml", 3, 4, "KB702", "50% of it\r\nnext: line, here", "100%")
    assert format_github(problem) == (
        "::error file=a%2Cb%3Ac%25d%0D%0A.yaml,line=3,col=4,title=KB702::"
        "50%25 of it%0D%0Anext: line, here (100%25)"
    )


# ---- the date that decides what is overdue or in the future

TRIAL = "trials/drug-x-trial.yaml"


def epoch(day: dt.date, seconds: int = 0) -> str:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return str(int(start.timestamp()) + seconds)


@pytest.fixture
def due_in_march(tmp_path: Path) -> Path:
    """A recruiting trial whose results are due by the end of March 2024, none linked."""
    return make_kb(
        tmp_path,
        (TRIAL, "date: 2019-06\n    type: actual", "date: 2024-03\n    type: estimated"),
        (TRIAL, "overall: completed", "overall: recruiting"),
        (TRIAL, "type: results", "type: protocol"),
    )


def test_today_decides_overdue(due_in_march: Path) -> None:
    assert codes(kb_check(str(due_in_march), "--today", "2024-03-31")) == []
    late = kb_check(str(due_in_march), "--today", "2024-04-01")
    assert codes(late) == ["KB601"]
    assert "overdue as of 2024-04-01" in late.stdout


def test_source_date_epoch_decides_overdue(due_in_march: Path) -> None:
    before = {"SOURCE_DATE_EPOCH": epoch(dt.date(2024, 4, 1), -1)}
    after = {"SOURCE_DATE_EPOCH": epoch(dt.date(2024, 4, 1))}
    assert codes(kb_check(str(due_in_march), env=before)) == []
    assert codes(kb_check(str(due_in_march), env=after)) == ["KB601"]
    # --today wins over SOURCE_DATE_EPOCH
    assert codes(kb_check(str(due_in_march), "--today", "2024-03-01", env=after)) == []


def test_today_decides_what_is_in_the_future(kb_root: Path) -> None:
    """The fixture's latest date is the identifier check of 2024-02-01 on the trial."""
    result = kb_check(str(kb_root), "--today", "2024-01-31")
    assert "KB706" in codes(result)
    assert codes(kb_check(str(kb_root), "--today", "2024-02-01")) == []


def test_without_today_or_epoch_the_real_date_is_used(kb_root: Path) -> None:
    assert kb_check(str(kb_root)).exit_code == 0


# ---- kb schema


def test_schema_check_fails_on_missing_or_stale_and_passes_after_writing(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "schemas"
    missing = runner.invoke(main, ["schema", "--check", "--out", str(out)])
    assert missing.exit_code == 1
    assert missing.stderr.count("stale") == len(render_schemas())
    assert not out.exists()

    written = runner.invoke(main, ["schema", "--out", str(out)])
    assert written.exit_code == 0
    assert sorted(path.name for path in out.iterdir()) == sorted(render_schemas())
    assert written.stdout.count("wrote ") == len(render_schemas())
    assert runner.invoke(main, ["schema", "--check", "--out", str(out)]).exit_code == 0

    study = out / "study.schema.json"
    study.write_text(study.read_text().replace('"id"', '"ident"', 1))
    stale = runner.invoke(main, ["schema", "--check", "--out", str(out)])
    assert stale.exit_code == 1
    assert "study.schema.json: stale" in stale.stderr
    assert "claim.schema.json" not in stale.stderr

    rewritten = runner.invoke(main, ["schema", "--out", str(out)])
    assert rewritten.stdout.strip() == f"wrote {study}"
    assert runner.invoke(main, ["schema", "--check", "--out", str(out)]).exit_code == 0


# ---- the installed console script, as CI runs it


def test_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "kb"
    assert script.is_file(), "the kb console script is not installed next to this python"
    clean = write_tree(tmp_path / "clean", minimal_kb())
    broken = make_kb(tmp_path / "broken", ERROR)
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    ok = subprocess.run(
        [str(script), "check", str(clean), "--today", "2024-06-01", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"problems": [], "summary": {}}
    bad = subprocess.run(
        [str(script), "check", str(broken), "--today", "2024-06-01"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1, bad.stderr
    assert re.search(r"studies/smith-2020\.yaml:36:8: error\[KB703\] ", bad.stdout)


def test_values_quoted_from_records_cannot_break_lines_or_drive_the_terminal(
    tmp_path: Path,
) -> None:
    """An id holding a line break, a terminal escape sequence and a right-to-left override: each
    problem stays on its line and the characters are shown as escapes."""
    hostile = "x\\n\\u001b]0;pwned\\u0007\\u001b[2J\\u202eevil"
    root = make_kb(tmp_path, ("studies/jones-2021.yaml", "id: jones-2021", f'id: "{hostile}"'))
    for fmt, pattern in (("text", TEXT_LINE), ("github", GITHUB_LINE)):
        result = kb_check(str(root), "--today", "2024-06-01", "--format", fmt)
        *lines, summary = result.stdout.splitlines()
        assert SUMMARY.match(summary)
        assert all(pattern.match(line) for line in lines), lines
        assert not re.search("[\x00-\x1f\x7f\u202e]", result.stdout.replace("\n", ""))
        assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil" in result.stdout


def run_kb(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, so a traceback would show as it would to a user."""
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ") and expected in result.stderr, result.stderr


def test_a_hand_edited_generated_page_is_one_line_and_exit_2(tmp_path: Path) -> None:
    write_tree(tmp_path / "evidence", minimal_kb())
    first = run_kb(tmp_path, "generate", "--today", "2024-06-01")
    assert first.returncode == 0, first.stderr
    page = tmp_path / "site_src" / "claims" / "drug-x-improves-survival.md"
    page.write_text(page.read_text() + "\nA note typed into the generated page.\n")
    study = tmp_path / "evidence" / "claims" / "drug-x-improves-survival.yaml"
    study.write_text(study.read_text().replace("statement: ", "statement: Revised. ", 1))
    result = run_kb(tmp_path, "generate", "--today", "2024-06-01")
    assert_one_line_error(result, "was edited by hand since kb generated it")


@pytest.mark.parametrize("command", ["generate", "build", "check", "diff"])
def test_a_source_date_epoch_that_is_no_date_is_one_line_and_exit_2(
    tmp_path: Path, command: str
) -> None:
    write_tree(tmp_path / "evidence", minimal_kb())
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    args = [command, "main"] if command == "diff" else [command]
    result = run_kb(tmp_path, *args, env={"SOURCE_DATE_EPOCH": "abc"})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "SOURCE_DATE_EPOCH is 'abc', not a number of seconds" in result.stderr
