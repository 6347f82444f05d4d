"""Hostile exports: values that try to close their BibTeX entry and forge another, links that are
not http(s), control and bidirectional characters, fields and files past kb's limits, @string
macros that double in size, JSON nested or numbered beyond reason. Each gets a problem, never a
forged entry, a traceback or a references.bib that kb itself would refuse to read."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import snapshot

from kb.cite import MAX_BIB_BYTES, parse_bibliography
from kb.cli import main

FORGERY = (
    "https://example.org/x}}@article{Forged2020, title={Pwned}, author={Mallory}, year={2020}}"
)
_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^\s,}]+)")


def kb_import(root: Path, *files: Path) -> Result:
    return CliRunner().invoke(main, ["import", *map(str, files), "--evidence", str(root)])


def written(root: Path) -> str:
    return (root / "references.bib").read_text("utf-8")


def entry_keys(root: Path) -> list[str]:
    """Keys pybtex reads, and keys a naive scan for '@type{key' finds: the same, or a value
    smuggled an entry start in."""
    text = written(root)
    parsed = parse_bibliography(text, "references.bib")
    assert parsed.problems == []
    scanned = [match.group(2) for match in _ENTRY.finditer(text)]
    assert scanned == list(parsed.entries), scanned
    return scanned


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- values that would close their entry


def test_a_ris_url_cannot_forge_an_entry(kb_root: Path, tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "x.ris",
        "TY  - JOUR\nTI  - Widgets in the wild\nAU  - Roe, Ann\nPY  - 2020\n"
        f"UR  - {FORGERY}\nER  - \n",
    )
    result = kb_import(kb_root, export)
    assert result.exit_code == 0, result.output
    assert entry_keys(kb_root) == ["smith2020", "jones2021", "Roe2020Widgets"]
    url = parse_bibliography(written(kb_root), "b").entries["Roe2020Widgets"].fields["url"]
    assert url.startswith("https://example.org/x%7D%7D%40article%7BForged2020")
    assert not set(url) & set("{}@\\ ")


def test_a_csl_url_and_doi_cannot_forge_an_entry(kb_root: Path, tmp_path: Path) -> None:
    items = [
        {
            "type": "article-journal",
            "title": "Gadgets",
            "URL": FORGERY,
            "issued": {"date-parts": [[2021]]},
        },
        {
            "type": "article-journal",
            "title": "Doodads",
            "DOI": "10.5555/x}@{evil",
            "issued": {"date-parts": [[2022]]},
        },
    ]
    export = write(tmp_path, "x.json", json.dumps(items, indent=1))
    result = kb_import(kb_root, export)
    assert result.exit_code == 0, result.output
    assert "warning[KB806] malformed DOI '10.5555/x}@{evil' left out" in result.output
    assert entry_keys(kb_root) == ["smith2020", "jones2021", "Anon2021Gadgets", "Anon2022Doodads"]
    assert "Forged" not in written(kb_root).split("url", 1)[0]


def test_a_medline_doi_with_braces_is_left_out(kb_root: Path, tmp_path: Path) -> None:
    export = write(
        tmp_path,
        "x.nbib",
        "PMID- 900000020\nTI  - Widgets.\nDP  - 2020\nLID - 10.5555/a}}@misc{Forged, [doi]\n",
    )
    result = kb_import(kb_root, export)
    assert "x.nbib:4:7: warning[KB806] malformed DOI" in result.output
    assert entry_keys(kb_root) == ["smith2020", "jones2021", "Anon2020Widgets"]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.org/x", "https://user@example.org/", "//example.org"],
)
def test_only_http_links_are_kept(kb_root: Path, tmp_path: Path, url: str) -> None:
    export = write(tmp_path, "x.ris", f"TY  - JOUR\nTI  - Widgets\nUR  - {url}\nER  - \n")
    result = kb_import(kb_root, export)
    assert result.exit_code == 0
    assert "warning[KB806] URL" in result.output and "only http(s) links are kept" in result.output
    assert "url" not in parse_bibliography(written(kb_root), "b").entries["AnonWidgets"].fields


def test_text_cannot_start_an_entry_or_a_latex_command(kb_root: Path, tmp_path: Path) -> None:
    """Inside braces '@article(' is text to BibTeX, but not to every tool that scans the file:
    it is written '{@}', which reads back as '@'. A backslash is text, not a command."""
    export = write(
        tmp_path,
        "x.bib",
        "@article{k,\n  title = {Widgets @article(Forged, title = {x}) and \\input{secrets}},\n"
        "  author = {Roe, Ann},\n  year = {2020},\n}\n",
    )
    ris = write(tmp_path, "y.ris", "TY  - JOUR\nTI  - Gadgets \\input{secrets} @misc(F,\nER  - \n")
    result = kb_import(kb_root, export, ris)
    assert result.exit_code == 0, result.output
    keys = entry_keys(kb_root)
    assert keys == ["smith2020", "jones2021", "Roe2020Widgets", "AnonGadgets"]
    fields = parse_bibliography(written(kb_root), "b").entries
    assert fields["AnonGadgets"].title == "Gadgets \\inputsecrets @misc(F,"  # braces dropped
    assert "{@}misc(F," in written(kb_root) and "{@}article(Forged" in written(kb_root)


# ---- control and bidirectional characters


def test_control_and_bidirectional_characters_are_removed_with_a_note(
    kb_root: Path, tmp_path: Path
) -> None:
    hostile = "Wid\x00gets\x1b[31m in\x07 the \u202ewild\u2066 \u200bx"
    export = write(
        tmp_path, "x.ris", f"TY  - JOUR\nTI  - {hostile}\nAU  - Ro\u202ee, Ann\nER  - \n"
    )
    result = kb_import(kb_root, export)
    assert result.exit_code == 0, result.output
    assert (
        "x.ris:1:1: warning[KB808] control or bidirectional characters removed from 'author' "
        "and 'title'"
    ) in result.output
    text = written(kb_root)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]", text)
    assert "title  = {Widgets[31m in the wild x}" in text
    stub = next((kb_root / "studies").glob("roe-*.yaml")).read_text()
    assert "\x1b" not in stub and "\u202e" not in stub


# ---- limits


def test_fields_over_kbs_limit_are_refused(kb_root: Path, tmp_path: Path) -> None:
    records = "".join(
        f"TY  - JOUR\nTI  - Widget {i} {'w' * 100_000}\nAU  - Roe{i}, Ann\nER  - \n"
        for i in range(3)
    )
    export = write(tmp_path, "long.ris", records + "TY  - JOUR\nTI  - A short one\nER  - \n")
    result = kb_import(kb_root, export)
    assert result.exit_code == 1
    assert result.output.count("error[KB809] field 'title' of 100,009 characters is over") == 3
    assert entry_keys(kb_root) == ["smith2020", "jones2021", "AnonShort"]


def test_references_bib_never_grows_past_kbs_limit(kb_root: Path, tmp_path: Path) -> None:
    """340 titles of 100k characters wrote a 34 MB references.bib, which kb then refused to
    read: now the import is refused before anything is written."""
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text() + "%" * (MAX_BIB_BYTES - 100_000) + "\n")
    records = "".join(
        f"TY  - JOUR\nTI  - Widget {i} {'w' * 19_000}\nAU  - Roe{i}, Ann\nER  - \n"
        for i in range(8)
    )
    export = write(tmp_path, "many.ris", records)
    before = snapshot(kb_root)
    result = kb_import(kb_root, export)
    assert result.exit_code == 1
    assert "references.bib:1:1: error[KB809] references.bib would be" in result.output
    assert f"over kb's limit of {MAX_BIB_BYTES:,}: nothing was added" in result.output
    assert snapshot(kb_root) == before


def test_an_export_over_the_limit_is_not_read(kb_root: Path, tmp_path: Path) -> None:
    export = tmp_path / "huge.ris"
    with export.open("wb") as stream:
        stream.truncate(MAX_BIB_BYTES + 1)
    result = kb_import(kb_root, export)
    assert result.exit_code == 1
    assert "huge.ris:1:1: error[KB809] file is 33,554,433 bytes, over the limit" in result.output


def _limited_run(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """`kb ARGS` in a process that may use at most 1 GiB of memory (the bombs wanted more than
    2 GiB and died with MemoryError)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kb", *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=60,
        check=False,
    )
    return result, time.monotonic() - start


MACRO_BOMB = (
    '@string{m0 = "'
    + "x" * 64
    + '"}\n'
    + "".join(f"@string{{m{i} = m{i - 1} # m{i - 1}}}\n" for i in range(1, 27))
)


def test_a_string_macro_bomb_is_refused_by_check(kb_root: Path) -> None:
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text() + MACRO_BOMB + "@misc{bomb, title = m26}\n")
    result, took = _limited_run("check", kb_root, "--today", "2024-06-01", "--no-cache")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error[KB412] @string macros expand to more than" in result.stdout
    assert "Traceback" not in result.stderr and took < 20


def test_a_string_macro_bomb_is_refused_by_import(kb_root: Path, tmp_path: Path) -> None:
    export = write(
        tmp_path, "bomb.bib", MACRO_BOMB + "@article{b, title = m26 # m26, year = 2020}\n"
    )
    assert len(export.read_bytes()) < 800
    before = snapshot(kb_root)
    result, took = _limited_run("import", export, "--evidence", kb_root)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "bomb.bib:15:15: error[KB809] @string macros expand to more than" in result.stdout
    assert "Traceback" not in result.stderr and took < 20
    assert snapshot(kb_root) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ('[{"title": "x", "volume": ' + "9" * 5000 + "}]", "number"),
    ],
    ids=["200k-deep", "5000-digit-number"],
)
def test_json_beyond_reason_is_a_syntax_problem(
    kb_root: Path, tmp_path: Path, text: str, message: str
) -> None:
    export = write(tmp_path, "x.json", text)
    result = kb_import(kb_root, export)
    assert result.exit_code == 1, result.output
    assert "x.json:1:1: error[KB802] JSON kb cannot read: " in result.output
    assert message in result.output
