"""`kb import` keeps what it reads (note, keywords, abstract, the exporter's keys, a journal's
case), routes a trial's registry entry to a trial record, recognises the same paper however it is
dated or authored, and with --update adds what an export knows to an existing entry in place."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from conftest import check_tree
from helpers import changes, snapshot
from test_import import NBIB, entries, kb_import, write

from kb.cite import parse_bibliography
from kb.corpus import load_kb
from kb.vancouver import format_fields

ZOTERO = """\
@article{Anon2020Systematic,
\ttitle = {Systematic review of synchronous resection for pancreatic cancer with liver metastases},
\tjournal = {Annals of surgery},
\tyear = {2020},
\tnote = {UNVERIFIED: authors},
\tkeywords = {pancreatic cancer, liver metastases},
}

@misc{cspac1_registry,
\ttitle = {Conversion surgery for pancreatic cancer with liver metastases (CSPAC-1)},
\thowpublished = {ClinicalTrials.gov, NCT02017015},
\tnote = {Registry entry; status read 2024-05-01},
\tyear = {2013},
}

@article{Su2021Can,
\tauthor = {Su, Li and Wang, Bo},
\ttitle = {Can resection of liver metastases prolong survival in pancreatic cancer},
\tjournal = {Journal of Widget Medicine},
\tyear = {2022},
\tabstract = {A fictional cohort, published online in 2022.},
}
"""


def import_zotero(tmp_path: Path, root: Path, *args: str) -> Result:
    result = kb_import(root, write(tmp_path, "zotero.bib", ZOTERO), *args)
    assert result.exit_code == 0, result.output
    return result


def test_the_note_is_kept_so_a_declared_gap_is_not_an_error(tmp_path: Path, kb_root: Path) -> None:
    import_zotero(tmp_path, kb_root)
    fields = entries(kb_root)["Anon2020Systematic"]
    assert fields["note"] == "UNVERIFIED: authors"
    assert fields["keywords"] == "pancreatic cancer, liver metastases"
    problems = {
        (p.code, p.message.split("'")[1]) for p in check_tree(kb_root) if p.path == "references.bib"
    }
    assert ("KB410", "Anon2020Systematic") in problems
    assert not any(code == "KB403" for code, _ in problems), problems


def test_a_registry_entry_becomes_a_trial(tmp_path: Path, kb_root: Path) -> None:
    before = snapshot(kb_root)
    result = import_zotero(tmp_path, kb_root)
    added, _, _ = changes(before, snapshot(kb_root))
    assert "trials/cspac-1.yaml" in added
    assert "studies/cspac-1.yaml" not in added and not any("conversion" in a for a in added)
    trial = (kb_root / "trials" / "cspac-1.yaml").read_text("utf-8")
    assert "identifiers:\n  nct:\n    value: NCT02017015\n    status: unverified\n" in trial
    assert "cite: Cspac1registry" not in trial and "cite: Anon2013Conversion\n" in trial
    assert 'title: "Conversion surgery for pancreatic cancer with liver metastases (CSPAC-1)"' in (
        trial
    )
    assert (
        entries(kb_root)["Anon2013Conversion"]["note"] == "Registry entry; status read 2024-05-01"
    )
    assert "trials/cspac-1.yaml (from" in result.output
    assert "next: fill in each new study or trial" in result.output
    again = import_zotero(tmp_path, kb_root)
    assert (
        "warning[KB804]" in again.output
        and "ClinicalTrials.gov 'NCT02017015' is on trial 'cspac-1'" in again.output
    )


def test_the_exporters_keys_are_kept_when_asked(tmp_path: Path, kb_root: Path) -> None:
    import_zotero(tmp_path, kb_root, "--keep-keys")
    bib = entries(kb_root)
    assert {"Anon2020Systematic", "Su2021Can", "cspac1_registry"} <= set(bib)
    study = (kb_root / "studies" / "su-2022-can.yaml").read_text("utf-8")
    assert "cite: Su2021Can\n" in study


def test_a_kept_key_that_is_taken_gets_a_letter(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path, "x.bib", "@article{smith2020,\n  title = {Other widgets},\n  year = {2019}\n}\n"
    )
    assert kb_import(kb_root, export, "--keep-keys").exit_code == 0
    assert entries(kb_root)["smith2020a"]["title"] == "Other widgets"


def test_a_journal_gains_its_proper_case() -> None:
    from kb.imports.reference import journal_case

    assert journal_case("Annals of surgery") == "Annals of Surgery"
    assert journal_case("The Lancet. Oncology") == "The Lancet. Oncology"
    assert journal_case("Hepatobiliary & pancreatic diseases international : HBPD INT") == (
        "Hepatobiliary & Pancreatic Diseases International : HBPD INT"
    )
    assert journal_case("JAMA surgery") == "JAMA Surgery"
    assert journal_case("eLife") == "eLife"


def test_the_printed_reference_has_the_journal_in_its_case(tmp_path: Path, kb_root: Path) -> None:
    nbib = write(
        tmp_path,
        "x.nbib",
        "PMID- 900000020\nDP  - 2016 Jan\nTI  - Synchronous resection of widgets.\n"
        "FAU - Tachezy, Michael\nAU  - Tachezy M\nTA  - Ann Surg\nJT  - Annals of surgery\n",
    )
    assert kb_import(kb_root, nbib).exit_code == 0
    entry = load_kb(kb_root).bibliography.get("Tachezy2016Synchronous")
    assert entry is not None
    assert "Annals of Surgery" in format_fields(entry.key, entry.type, entry.fields)


# ---- the same paper, however dated or authored


def test_the_same_paper_dated_by_its_online_year(tmp_path: Path, kb_root: Path) -> None:
    import_zotero(tmp_path, kb_root)
    printed = write(
        tmp_path,
        "print.ris",
        "TY  - JOUR\n"
        "TI  - Can resection of liver metastases prolong survival in pancreatic cancer?\n"
        "AU  - Su, L.\nPY  - 2023\nT2  - Journal of Widget Medicine\nER  - \n",
    )
    before = snapshot(kb_root)
    result = kb_import(kb_root, printed)
    assert "print.ris:1:1: warning[KB805]" in result.output
    assert "looks like study 'su-2022-can'" in result.output
    assert snapshot(kb_root) == before


def test_the_same_export_without_author_or_year_is_not_added_twice(
    tmp_path: Path, kb_root: Path
) -> None:
    import_zotero(tmp_path, kb_root)
    before = snapshot(kb_root)
    result = import_zotero(tmp_path, kb_root)
    assert "zotero.bib:1:10: warning[KB810]" in result.output
    assert snapshot(kb_root) == before
    assert "Anon2020Systematica" not in result.output


# ---- --update: what arrives later goes into the existing entry


def test_update_adds_missing_fields_in_place(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path,
        "later.nbib",
        "PMID- 900000031\nDP  - 2021\nTI  - Survival of patients with liver metastases: a "
        "prospective cohort.\nFAU - Jones, Mary\nAU  - Jones M\nJT  - Cohort reports\n"
        "AB  - A fictional abstract.\nVI  - 7\n",
    )
    bib = kb_root / "references.bib"
    old = bib.read_text("utf-8")
    plain = kb_import(kb_root, export)
    assert "warning[KB805]" in plain.output and "--update adds the fields" in plain.output
    assert bib.read_text("utf-8") == old
    result = kb_import(kb_root, export, "--update")
    assert result.exit_code == 0, result.output
    assert "updated jones2021 in " in result.output
    assert "references.bib: added volume, pmid, abstract (from " in result.output
    assert "later.nbib:1: same first author and title)" in result.output
    assert "0 references added, 1 entry updated" in result.output
    new = bib.read_text("utf-8")
    start = old.index("@article{jones2021")
    assert new[:start] == old[:start], "the entries before it are untouched"
    entry = old[start:].split("}\n", 1)[0]
    assert new[start:].startswith(entry.rstrip() + "\n  volume  = {7},\n  pmid    = {900000031},")
    fields = entries(kb_root)["jones2021"]
    assert (fields["pmid"], fields["volume"], fields["journal"]) == (
        "900000031",
        "7",
        "Cohort Reports",
    )
    again = kb_import(kb_root, export, "--update")
    assert "references.bib already has every field of" in again.output
    assert bib.read_text("utf-8") == new


def test_update_keeps_a_curated_value_unless_forced(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path,
        "x.ris",
        "TY  - JOUR\nTI  - Drug X after resection of the primary tumour: a randomised trial\n"
        "AU  - Smith, J.\nAU  - Doe, J.\nPY  - 2020\nT2  - Journal of Trial Results\n"
        "DO  - 10.1000/jt.2020.1\n"
        "ER  - \n",
    )
    bib = kb_root / "references.bib"
    old = bib.read_text("utf-8")
    kept = kb_import(kb_root, export, "--update")
    assert "warning[KB811] entry 'smith2020' keeps its 'journal'" in kept.output
    assert bib.read_text("utf-8") == old
    forced = kb_import(kb_root, export, "--update", "--force")
    assert "references.bib: replaced journal (from" in forced.output
    assert bib.read_text("utf-8") == old.replace(
        "{Journal of Trials}", "{Journal of Trial Results}"
    )
    assert kb_import(kb_root, export, "--force").exit_code == 2


def test_update_of_an_entry_others_cannot_read_changes_nothing(
    tmp_path: Path, kb_root: Path
) -> None:
    bib = kb_root / "references.bib"
    text = bib.read_text().replace("@article{jones2021,", "@article(jones2021,")
    bib.write_text(text.replace("{PMC6924808},\n}", "{PMC6924808},\n)"))
    assert parse_bibliography(bib.read_text(), "r.bib").problems == []
    before = snapshot(kb_root)
    export = write(
        tmp_path,
        "x.ris",
        "TY  - JOUR\nTI  - Survival of patients with liver metastases: a prospective cohort\n"
        "AU  - Jones, Mary\nPY  - 2021\nVL  - 7\nER  - \n",
    )
    result = kb_import(kb_root, export, "--update")
    assert "error[KB807] cannot add to the entries of references.bib" in result.output
    assert snapshot(kb_root) == before
    assert parse_bibliography(bib.read_text(), "r.bib").problems == []


def test_update_never_touches_other_entries_nor_stubs(kb_root: Path) -> None:
    assert kb_import(kb_root, NBIB).exit_code == 0
    before = snapshot(kb_root)
    result = kb_import(kb_root, NBIB, "--update")
    assert result.exit_code == 0, result.output
    assert "already has every field" in result.output
    assert snapshot(kb_root) == before


def test_an_entry_with_neither_author_nor_year_is_recognised(tmp_path: Path, kb_root: Path) -> None:
    export = write(
        tmp_path,
        "x.bib",
        "@misc{x,\n  title = {Consensus statement on widget removal in adults},\n"
        "  note = {UNVERIFIED: author, year}\n}\n",
    )
    assert kb_import(kb_root, export).exit_code == 0
    before = snapshot(kb_root)
    result = kb_import(kb_root, export)
    assert "x.bib:1:7: warning[KB810]" in result.output
    assert (
        "has the title of entry 'Anon" in result.output or "has the title of study" in result.output
    )
    assert snapshot(kb_root) == before


def test_a_eudract_registry_entry_becomes_a_trial_named_by_its_number(
    tmp_path: Path, kb_root: Path
) -> None:
    export = write(
        tmp_path,
        "eu.ris",
        "TY  - DBASE\nTI  - Neoadjuvant widget removal in adults\nPY  - 2019\n"
        "UR  - https://www.clinicaltrialsregister.eu/ctr-search/search?query=2019-002734-37\n"
        "ER  - \n",
    )
    result = kb_import(kb_root, export)
    assert result.exit_code == 0, result.output
    trial = (kb_root / "trials" / "eudract-2019-002734-37.yaml").read_text("utf-8")
    assert "  eudract:\n    value: 2019-002734-37\n    status: unverified\n" in trial


def test_forced_update_of_fields_sharing_a_line_is_refused_not_a_traceback(
    tmp_path: Path, kb_root: Path
) -> None:
    """A replaced value is found by its own line; an entry written on one line cannot be edited
    in place, which is told as KB807 and changes nothing."""
    bib = kb_root / "references.bib"
    text = bib.read_text("utf-8").replace(
        "@article{smith2020,\n  author  = {Smith, John and Doe, Jane},\n  title   = ",
        "@article{smith2020, author = {Smith, John and Doe, Jane}, title = ",
    )
    assert "@article{smith2020, author" in text
    bib.write_text(text, "utf-8")
    before = snapshot(kb_root)
    export = write(
        tmp_path,
        "x.ris",
        "TY  - JOUR\nTI  - Drug X after resection of the primary tumour: a randomised trial\n"
        "AU  - Smith, J.\nAU  - Doe, J.\nPY  - 2020\nT2  - Journal of Trials\n"
        "DO  - 10.1000/jt.2020.1\nER  - \n",
    )
    retitled = export.read_text("utf-8").replace("a randomised trial", "a randomized trial")
    export.write_text(retitled, "utf-8")
    result = kb_import(kb_root, export, "--update", "--force")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "error[KB807] cannot add to the entries of references.bib" in result.output
    assert "does not give its field 'title' on a line of its own" in result.output
    assert snapshot(kb_root) == before
