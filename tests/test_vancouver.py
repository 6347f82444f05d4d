"""The Vancouver style: exact references for a small bibliography, derived by hand from the NLM
rules (Citing Medicine; ICMJE's six authors then et al.), the pybtex plugin, and its cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from pybtex.database import parse_file
from pybtex.plugin import find_plugin

from kb import markup
from kb.cite import load_bibliography
from kb.corpus import load_kb
from kb.vancouver import (
    VancouverStyle,
    cache_info,
    clear_cache,
    format_fields,
    format_reference,
    format_reference_markdown,
    shorten_pages,
)

EVIDENCE = Path(__file__).resolve().parent.parent / "evidence"

BIB = r"""
@article{Many2020,
  author  = {M{\"u}ller, Hans-Peter and Sch{\"o}b, Othmar and Deu{\ss}, Burkhard and
             van der Berg, Jan and Smith, Jr, John Q. and Garc{\'i}a M{\'a}rquez, Gabriel and
             Seventh, Sven},
  title   = {Neoadjuvant {FOLFIRINOX} in {HOLIPANC}: a {Phase II} study},
  journal = {Journal of Tests},
  year    = {2020},
  volume  = {12},
  number  = {3},
  pages   = {1199--1205},
  doi     = {10.1000/test.1},
}

@article{NoAuthor,
  title = {Is resection worth it?},
  doi   = {10.1000/x_y},
  note  = {UNVERIFIED: author list, year, journal},
}

@article{Six,
  author  = {Alpha, Ann and Beta, B. C. and Gamma, Gil and Delta, Dan and Eps, Eve and Zeta, Zoe},
  title   = {Six authors and no volume},
  journal = {BMJ Open},
  year    = {2019},
  pages   = {e033452},
  doi     = {10.1/z},
  note    = {UNVERIFIED: DOI, PMID},
}

@article{Others,
  author  = {Shi, Si and others},
  title   = {Time to think},
  journal = {World J Gastroenterol},
  year    = {2018},
  volume  = {24},
}

@misc{NCT01234567,
  title        = {Drug {X} After Resection ({DX-1})},
  howpublished = {ClinicalTrials.gov identifier NCT01234567},
  year         = {2018},
  url          = {https://clinicaltrials.gov/study/NCT01234567},
}

@inproceedings{Kimura1996,
  author    = {Kimura, Jun},
  title     = {Clinical neurophysiology},
  editor    = {Shibasaki, H. and Doe, Jane},
  booktitle = {Proceedings of the 10th Congress},
  publisher = {Elsevier},
  address   = {Amsterdam},
  year      = {1996},
  pages     = {1561--1565},
}

@book{Jones2010,
  editor    = {Jones, Mary},
  title     = {Oncology},
  edition   = {2},
  publisher = {Springer},
  address   = {New York},
  year      = {2010},
}

@techreport{WHO2017,
  author      = {{World Health Organization}},
  title       = {Evaluation of certain contaminants in food},
  institution = {WHO},
  year        = {2017},
}

@article{Empty,
  note = {nothing else is known},
}
"""

EXPECTED = {
    # more than six authors: six, then et al.; LaTeX accents and ß as Unicode; a von part and
    # a Jr; initials without dots, hyphenated given names give two; braces dropped, title
    # kept as written; 1199-1205 shortened to 1199-205
    "Many2020": "Müller HP, Schöb O, Deuß B, van der Berg J, Smith JQ Jr, García Márquez G, "
    "et al. Neoadjuvant FOLFIRINOX in HOLIPANC: a Phase II study. Journal of Tests. "
    "2020;12(3):1199-205. doi:10.1000/test.1",
    # no author, year or journal: the title leads and nothing is invented; the DOI keeps '_'
    "NoAuthor": "Is resection worth it? doi:10.1000/x_y",
    # exactly six authors: no et al.; no volume: year:pages; a DOI the note calls UNVERIFIED
    # is left out
    "Six": "Alpha A, Beta BC, Gamma G, Delta D, Eps E, Zeta Z. Six authors and no volume. "
    "BMJ Open. 2019:e033452.",
    "Others": "Shi S, et al. Time to think. World J Gastroenterol. 2018;24.",
    "NCT01234567": "Drug X After Resection (DX-1). ClinicalTrials.gov identifier "
    "NCT01234567. 2018. Available from: https://clinicaltrials.gov/study/NCT01234567",
    "Kimura1996": "Kimura J. Clinical neurophysiology. In: Shibasaki H, Doe J, editors. "
    "Proceedings of the 10th Congress. Amsterdam: Elsevier; 1996. p. 1561-5.",
    "Jones2010": "Jones M, editor. Oncology. 2nd ed. New York: Springer; 2010.",
    "WHO2017": "World Health Organization. Evaluation of certain contaminants in food. WHO; 2017.",
    "Empty": "",
}


@pytest.fixture
def bib_file(tmp_path: Path) -> Path:
    path = tmp_path / "references.bib"
    path.write_text(BIB, encoding="utf-8")
    return path


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_reference_matches_the_nlm_rules(bib_file: Path, key: str) -> None:
    bibliography = load_bibliography(bib_file, "references.bib")
    assert not bibliography.problems
    assert format_reference(key, bibliography) == EXPECTED[key]


def test_pybtex_bibliography_data_gives_the_same_text(bib_file: Path) -> None:
    data = parse_file(str(bib_file), "bibtex")
    for key, expected in EXPECTED.items():
        assert format_reference(key, data) == expected
    assert format_reference("many2020", data) == EXPECTED["Many2020"]  # keys are case-blind


def test_missing_key_gives_empty_text(bib_file: Path) -> None:
    bibliography = load_bibliography(bib_file, "references.bib")
    assert format_reference("NotThere", bibliography) == ""
    assert format_reference_markdown("NotThere", bibliography) == ""


def test_markdown_is_the_plain_text_escaped(bib_file: Path) -> None:
    bibliography = load_bibliography(bib_file, "references.bib")
    markdown = format_reference_markdown("Many2020", bibliography)
    assert markdown == markup.text(EXPECTED["Many2020"])
    assert "(" not in markdown and ":" not in markdown


def test_plugin_is_found_by_name_and_formats_a_bibliography(bib_file: Path) -> None:
    style_class = find_plugin("pybtex.style.formatting", "vancouver")
    assert style_class is VancouverStyle
    data = parse_file(str(bib_file), "bibtex")
    formatted = style_class().format_bibliography(data)
    texts = {entry.key: " ".join(entry.text.render_as("text").split()) for entry in formatted}
    assert texts == EXPECTED
    assert [entry.label for entry in formatted][:2] == ["1", "2"]


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("12--19", "12-9"),
        ("21--30", "21-30"),
        ("304--310", "304-10"),
        ("645--648", "645-8"),
        ("1199--1205", "1199-205"),
        ("98--102", "98-102"),
        ("S12--S19", "S12-9"),
        ("e033452", "e033452"),
        ("xii--xiv", "xii-xiv"),
        ("30--20", "30-20"),
    ],
)
def test_page_ranges_repeat_only_changed_digits(pages: str, expected: str) -> None:
    assert shorten_pages(pages) == expected


def test_every_real_entry_formats_cleanly() -> None:
    kb = load_kb(EVIDENCE)
    for key, entry in kb.bibliography.entries.items():
        text = format_reference(key, kb.bibliography)
        assert text, key
        assert "None" not in text, key
        assert not set(text) & set("{}\\"), key
        assert text.startswith(entry.title.split()[0]) or entry.authors, key
    bib = kb.bibliography
    assert "Kröpil P" in format_reference("Schneitler2015FOLFIRINOX", bib)
    assert "Kütting F" in format_reference("Gebauer2021HOLIPANC", bib)
    assert "(HOLIPANC)" in format_reference("Gebauer2021HOLIPANC", bib)
    # entries lacking authors, year or journal: what is there, in order, and nothing else
    zanini = bib.entries["Zanini2015LiverMets"]
    assert format_reference("Zanini2015LiverMets", bib) == (
        f"{zanini.title}. Updates in Surgery. doi:{zanini.fields['doi']}"
    )
    for key in ("Crippa2016LiverMetsChemo", "Tachezy2016Synchronous"):
        title = bib.entries[key].title
        assert format_reference(key, bib) in (title, f"{title}.")
    for key in ("Reni2017SelectingResection", "Ballehaninna2012CA199", "AtkinsCA199Lewis"):
        text = format_reference(key, bib)
        assert text.startswith(bib.entries[key].authors[0] + " "), text
        assert bib.entries[key].title in text


def test_cache_formats_each_entry_once() -> None:
    clear_cache()
    fields = {
        "author": "Smith, John and Doe, Jane",
        "journal": "Journal of Tests",
        "year": "2020",
        "pages": "100--110",
    }
    entries = [(f"key{i}", {**fields, "title": f"Title {i}"}) for i in range(10_000)]
    first = [format_fields(key, "article", value) for key, value in entries]
    assert cache_info() == {"hits": 0, "misses": 10_000, "size": 10_000}
    second = [format_fields(key, "article", value) for key, value in entries]
    assert second == first
    assert cache_info() == {"hits": 10_000, "misses": 10_000, "size": 10_000}
    # a changed field is a new fingerprint, so it is formatted again
    changed = format_fields("key0", "article", {**entries[0][1], "year": "2021"})
    assert "2021" in changed
    assert cache_info()["misses"] == 10_001
    clear_cache()
