"""`kb import`: each export format, duplicates, names, bad input and writes that never lose text.

The sample exports in fixtures/imports/ are fictional records in the exact syntax PubMed and Zotero
write. Every test that runs the command fingerprints the knowledge base before and after.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import check_tree
from helpers import changes, snapshot

from kb.cite import latex_to_text, parse_bibliography
from kb.cli import main
from kb.imports.keys import ascii_fold, citation_key, study_id
from kb.imports.plan import detect_format, plan_import
from kb.imports.reference import latex, month_macro, page_range

EXPORTS = Path(__file__).parent / "fixtures" / "imports"
NBIB = EXPORTS / "pubmed-widgetosis-set.nbib"
BIB = EXPORTS / "zotero-widgetosis.bib"
RIS = EXPORTS / "zotero-widgetosis.ris"
CSL = EXPORTS / "zotero-widgetosis.json"


def kb_import(root: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, ["import", *map(str, args), "--evidence", str(root)])


def entries(root: Path) -> dict[str, dict[str, str]]:
    bib = parse_bibliography((root / "references.bib").read_text("utf-8"), "references.bib")
    assert bib.problems == []
    return {key: entry.fields for key, entry in bib.entries.items()}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- each format


@pytest.mark.parametrize(
    ("export", "expected"),
    [
        (
            NBIB,
            {
                "Muller2024Widgetosis": "muller-2024-widgetosis",
                "Berg2024Gadget": "berg-2024-gadget",
            },
        ),
        (
            BIB,
            {
                "Ostergaard2023Widget": "ostergaard-2023-widget",
                "Nakamura2022Widgetosis": "nakamura-2022-widgetosis",
                "Dubois2021Gadget": "dubois-2021-gadget",
            },
        ),
        (
            RIS,
            {
                "Muller2024Widgetosis": "muller-2024-widgetosis",
                "Dubois2022Gadget": "dubois-2022-gadget",
            },
        ),
        (
            CSL,
            {
                "Simek2021Long": "simek-2021-long",
                "WidgetStudyGroupWidgets": "widget-study-group-widgets",
            },
        ),
    ],
)
def test_each_format_appends_entries_and_writes_stubs(
    kb_root: Path, export: Path, expected: dict[str, str]
) -> None:
    before = snapshot(kb_root)
    old_bib = (kb_root / "references.bib").read_bytes()
    result = kb_import(kb_root, export)
    assert result.exit_code == 0, result.output
    added, removed, modified = changes(before, snapshot(kb_root))
    assert added == {f"studies/{sid}.yaml" for sid in expected.values()}
    assert (removed, modified) == (set(), {"references.bib"})
    assert (kb_root / "references.bib").read_bytes().startswith(old_bib), "appended, not rewritten"
    bib = entries(kb_root)
    assert set(expected) <= set(bib)
    for key, sid in expected.items():
        stub = (kb_root / "studies" / f"{sid}.yaml").read_text("utf-8")
        assert f"id: {sid}\n" in stub and f"cite: {key}\n" in stub
    found = [p for p in check_tree(kb_root) if p.code not in {"KB203", "KB403"}]
    assert [p for p in found if p.severity.value != "info"] == [], found


def test_pubmed_fields_names_and_identifiers(kb_root: Path) -> None:
    assert kb_import(kb_root, NBIB).exit_code == 0
    fields = entries(kb_root)["Muller2024Widgetosis"]
    assert fields["author"] == (
        "Müller, Jürgen and Øster, Åse and Nguyễn, Văn An and {Widget Study Group}"
    )
    assert fields["title"] == (
        "Widgetosis after gadget therapy: a randomized trial of early versus delayed widget removal"
    )
    assert fields["journal"] == "Journal of Widget Medicine"  # NLM's JT is in sentence case
    assert fields["abstract"].startswith("BACKGROUND: Widgetosis is a fictional condition.")
    assert fields["keywords"] == "widgets"
    assert (fields["year"], fields["month"], fields["pages"]) == ("2024", "March", "101--110")
    assert (fields["doi"], fields["pmid"], fields["pmcid"]) == (
        "10.5555/jwm.2024.0012",
        "900000001",
        "PMC999000001",
    )
    translated = entries(kb_root)["Berg2024Gadget"]
    assert translated["title"] == "Gadget-associated widgetosis in children: a retrospective cohort"
    assert "pages" not in translated and "volume" not in translated  # ahead of print
    stub = (kb_root / "studies" / "muller-2024-widgetosis.yaml").read_text("utf-8")
    assert "Randomized Controlled Trial (design 'rct'?)" in stub
    assert 'value: "900000001"\n    status: unverified' in stub


def test_zotero_bibtex_keeps_latex_and_braces(kb_root: Path) -> None:
    assert kb_import(kb_root, BIB).exit_code == 0
    text = (kb_root / "references.bib").read_text("utf-8")
    assert "author   = {{\\O}stergaard, S{\\o}ren and Garc{\\'i}a L{\\'o}pez" in text
    assert "{CRP} after gadget exposure: a prospective {\\textit{in vivo}} cohort}" in text
    assert "  month    = feb,\n" in text  # the macro, not the braced name
    for dropped in ("file", "urldate", "shorttitle", "issn"):
        assert f"  {dropped}" not in text.split("@article{Ostergaard2023Widget", 1)[1]
    fields = entries(kb_root)["Ostergaard2023Widget"]
    assert fields["note"] == "PMID: 900000003"  # kept as the exporter wrote it
    assert fields["keywords"] == "Humans, Widgets"
    assert fields["abstract"].startswith("This fictional cohort")
    assert fields["pmid"] == "900000003"  # from Zotero's note
    assert "url" not in fields  # the DOI is kept instead
    assert latex_to_text(fields["author"]).startswith("Østergaard, Søren")


def test_csl_json_particles_organisations_and_escaping(kb_root: Path) -> None:
    assert kb_import(kb_root, CSL).exit_code == 0
    bib = entries(kb_root)
    assert bib["Simek2021Long"]["author"] == "Šimek, Tomáš and van der Berg, Anneke"
    assert (bib["Simek2021Long"]["pmid"], bib["Simek2021Long"]["pmcid"]) == (
        "900000004",
        "PMC999000004",
    )
    chapter = bib["WidgetStudyGroupWidgets"]
    assert chapter["author"] == "{Widget Study Group}"
    assert chapter["title"] == "Widgets \\& gadgets: 50\\% of what we know"
    assert latex_to_text(chapter["title"]) == "Widgets & gadgets: 50% of what we know"


def test_several_files_at_once_skip_the_same_paper_twice(kb_root: Path) -> None:
    before = snapshot(kb_root)
    result = kb_import(kb_root, NBIB, BIB, RIS, CSL)
    assert result.exit_code == 0, result.output
    assert "zotero-widgetosis.ris:11:7: warning[KB804]" in result.output
    assert "is on the reference at" in result.output and "nbib:2" in result.output
    added, _, _ = changes(before, snapshot(kb_root))
    assert len(added) == 8
    assert "8 references added" in result.output


def test_the_same_exports_give_the_same_bytes(tmp_path: Path, kb_root: Path) -> None:
    other = shutil.copytree(kb_root, tmp_path / "other")
    for root in (kb_root, other):
        assert kb_import(root, NBIB, BIB, RIS, CSL).exit_code == 0
    assert snapshot(kb_root) == snapshot(other)


def test_importing_again_adds_nothing(kb_root: Path) -> None:
    assert kb_import(kb_root, NBIB, BIB, RIS, CSL).exit_code == 0
    before = snapshot(kb_root)
    result = kb_import(kb_root, NBIB, BIB, RIS, CSL)
    assert result.exit_code == 0
    assert snapshot(kb_root) == before
    assert result.output.count("[KB804]") + result.output.count("[KB805]") == 8
    assert result.output.count("[KB810]") == 1  # the chapter without a year: its title alone
    assert "0 references added" in result.output


# ---- duplicates of studies already in the knowledge base


def test_same_identifier_as_an_existing_study(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path,
        "x.ris",
        "TY  - JOUR\nTI  - Another title entirely\n"
        "AU  - Smith, John\nPY  - 2020\nDO  - https://doi.org/10.1000/JT.2020.1\n"
        "ER  - \n",
    )
    before = snapshot(kb_root)
    result = kb_import(kb_root, export)
    assert "x.ris:5:7: warning[KB804]" in result.output
    assert "is on study 'smith-2020'" in result.output
    assert snapshot(kb_root) == before


def test_similar_title_same_author_and_year(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path,
        "x.json",
        '[{"type": "article-journal", "title": "Drug X after '
        'resection of the primary tumor: a randomized trial", "author": [{"family": '
        '"Smith", "given": "J."}], "issued": {"date-parts": [[2020]]}}]',
    )
    before = snapshot(kb_root)
    result = kb_import(kb_root, export)
    assert "x.json:1:2: warning[KB805]" in result.output
    assert "looks like study 'smith-2020'" in result.output
    assert snapshot(kb_root) == before
    assert kb_import(kb_root, export, "--allow-similar").exit_code == 0
    assert (kb_root / "studies" / "smith-2020-drug.yaml").is_file()


def test_keys_and_ids_never_collide(tmp_path: Path, kb_root: Path) -> None:
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text() + "\n@misc{muller2024widgetosis,\n  title = {x}\n}\n")
    (kb_root / "studies" / "muller-2024-widgetosis.yaml").write_text("not mine\n")
    assert kb_import(kb_root, NBIB).exit_code == 0
    assert "Muller2024Widgetosisa" in entries(kb_root)
    assert (kb_root / "studies" / "muller-2024-widgetosis-a.yaml").is_file()
    assert (kb_root / "studies" / "muller-2024-widgetosis.yaml").read_text() == "not mine\n"


# ---- bad input: every problem at its place, and the rest still imported


def test_bad_files_are_reported_and_the_others_imported(tmp_path: Path, kb_root: Path) -> None:
    broken_bib = write(
        tmp_path,
        "broken.bib",
        "@article{a,\n  title = {Fine widgets},\n"
        "  author = {Roe, Ann},\n  year = 2020,\n}\n\n@article{b,\n"
        "  title = {Missing comma}\n  year = {2021}\n}\n\n@article{c,\n"
        "  title = {Later widgets},\n  author = {Poe, Eve},\n  year = {2022}\n}\n",
    )
    no_end = write(
        tmp_path,
        "no-end.ris",
        "TY  - JOUR\nTI  - Widget one\nER  - \n\n"
        "TY  - JOUR\nTI  - Widget two\n\nTY  - JOUR\nTI  - Widget three\nER  - \n",
    )
    bad_json = write(tmp_path, "bad.json", '[\n  {"title": "Widgets"},\n  {"title": }\n]\n')
    bad_nbib = write(
        tmp_path, "bad.nbib", "PMID- 900000009\nTI  - Widget nine.\nthis line is not MEDLINE\n"
    )
    latin1 = tmp_path / "latin1.ris"
    latin1.write_bytes("TY  - JOUR\nAU  - Müller, J\nER  - \n".encode("latin-1"))
    unknown = write(tmp_path, "notes.md", "# widgets\n")
    before = snapshot(kb_root)
    result = kb_import(
        kb_root, broken_bib, no_end, bad_json, bad_nbib, latin1, unknown, tmp_path / "missing.nbib"
    )
    assert result.exit_code == 1
    out = result.output
    for expected in (
        "broken.bib:9:3: error[KB802] BibTeX syntax error: '}' expected (the entry around",
        "no-end.ris:5:1: error[KB802] record has no 'ER  - ' before the next 'TY  - ' at line 8",
        "bad.json:3:13: error[KB802] JSON syntax error: expecting value",
        "bad.nbib:3:1: error[KB802] not a MEDLINE line",
        "latin1.ris:2:8: error[KB801] the file is not UTF-8 text",
        "notes.md:1:1: error[KB801] cannot tell the format of this file",
        "missing.nbib:1:1: error[KB801] cannot read the file",
    ):
        assert expected in out, out
    added, _, _ = changes(before, snapshot(kb_root))
    assert added == {
        "studies/roe-2020-fine.yaml",
        "studies/poe-2022-later.yaml",
        "studies/anon-widget.yaml",
        "studies/anon-widget-a.yaml",
        "studies/anon-widget-b.yaml",
    }, out


def test_reference_without_title_and_malformed_identifier(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path,
        "x.nbib",
        "PMID- 900000010\nAU  - Roe A\nDP  - 2020\n\n"
        "PMID- 900000011\nTI  - Widgets.\nLID - not-a-doi [doi]\nDP  - 2020\n",
    )
    result = kb_import(kb_root, export)
    assert "x.nbib:1:1: warning[KB803]" in result.output
    assert "x.nbib:7:7: warning[KB806] malformed DOI 'not-a-doi' left out" in result.output
    assert "doi" not in entries(kb_root)["Anon2020Widgets"]


def test_dry_run_writes_nothing(kb_root: Path) -> None:
    before = snapshot(kb_root)
    result = kb_import(kb_root, NBIB, "--dry-run")
    assert result.exit_code == 0
    assert "would add Muller2024Widgetosis" in result.output
    assert snapshot(kb_root) == before


# ---- writes: atomic, and nothing lost on failure


@pytest.mark.parametrize("target", ["replace", "link"])
def test_interrupted_write_changes_nothing(
    kb_root: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    before = snapshot(kb_root)
    monkeypatch.setattr(os, target, fail)
    result = kb_import(kb_root, NBIB, CSL)
    assert result.exit_code == 1
    assert "error[KB807] could not write: No space left on device" in result.output
    assert "0 references added" in result.output
    assert snapshot(kb_root) == before


def test_interrupt_between_stubs_and_bibliography(
    kb_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    before = snapshot(kb_root)
    monkeypatch.setattr(os, "replace", interrupt)
    assert kb_import(kb_root, NBIB).exit_code != 0
    assert snapshot(kb_root) == before


def test_a_bibliography_that_does_not_read_to_its_end(kb_root: Path) -> None:
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text() + "\n@article{open,\n  title = {never closed\n")
    before = snapshot(kb_root)
    result = kb_import(kb_root, NBIB)
    assert result.exit_code == 1
    assert "references.bib:1:1: error[KB807] references.bib does not read to its end" in (
        result.output
    )
    assert snapshot(kb_root) == before


def test_a_bibliography_changed_meanwhile_is_left_alone(kb_root: Path) -> None:
    from kb.imports.transaction import apply_import

    plan = plan_import(kb_root, [NBIB])
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text() + "% a contributor's edit\n")
    before = snapshot(kb_root)
    problems = apply_import(plan)
    assert [p.code for p in problems] == ["KB807"]
    assert snapshot(kb_root) == before


# ---- the parts


def test_keys_ids_and_text_helpers() -> None:
    assert ascii_fold("Müller Øster Nguyễn Łukasiewicz Straße") == (
        "Muller Oster Nguyen Lukasiewicz Strasse"
    )
    taken = {"muller2024widgetosis", "muller2024widgetosisa"}
    assert citation_key("Müller", "2024", "The widgetosis study", taken) == (
        "Muller2024Widgetosisb"
    )
    assert citation_key("García López", "2023", "CRP and widgets", set()) == ("GarciaLopez2023CRP")
    assert study_id("O'Brien", None, "On widgets", set()) == "obrien-widgets"
    assert page_range("101-10") == "101--110"
    assert page_range("e12\u2013e15") == "e12--e15"
    assert (month_macro("March"), month_macro("03"), month_macro("Spring")) == ("mar", "mar", None)
    tricky = "Widgets {x} & 50% of $5 a_b #1 x^2 \u2013 \u201cq\u201d"
    assert latex_to_text(latex(tricky)) == tricky.replace("{", "").replace("}", "")
    parse = parse_bibliography(f"@misc{{k,\n  title = {{{latex(tricky)}}}\n}}\n", "t.bib")
    assert parse.problems == [] and "k" in parse.entries


@pytest.mark.parametrize(
    ("first_line", "suffix", "expected"),
    [
        ("TY  - JOUR", ".txt", "ris"),
        ("PMID- 1", ".txt", "medline"),
        ("[", ".txt", "csl-json"),
        ("@article{a,", ".txt", "bibtex"),
        ("", ".nbib", "medline"),
        ("hello", ".doc", None),
    ],
)
def test_format_is_told_by_content_then_suffix(
    first_line: str, suffix: str, expected: str | None
) -> None:
    assert detect_format(f"\n{first_line}\n", suffix) == expected
