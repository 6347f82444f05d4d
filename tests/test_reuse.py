"""Pages kept from the last run (kb.render.reuse) are exactly the pages a fresh run renders.

A copy of the shipped knowledge base is generated twice after every edit: once through the
cache, which reads back the record pages whose keys did not change, and once with no cache at
all. Every file of the two docs folders must be the same, byte for byte, after each of the edits
below; each edit is one kind of input a page reads (a record's text, a number, a bibliography
entry, a claim's statement, a link, a trial, the glossary, a discrepancy, the question, the
tags, the dates, the URL style, a new or removed record), so a key that leaves one out fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.build import BuildError, BuildOptions, generate
from kb.cache import CheckCache
from kb.generate import MANIFEST, GenerationError

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 1)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}: the test no longer edits anything"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _files(docs: Path) -> dict[str, bytes]:
    return {
        p.relative_to(docs).as_posix(): p.read_bytes()
        for p in sorted(docs.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


class Twins:
    """The same knowledge base generated into two docs folders, with and without the cache."""

    def __init__(self, root: Path) -> None:
        self.evidence = root / "evidence"
        shutil.copytree(ROOT / "evidence", self.evidence)
        self.cached = root / "cached"
        self.fresh = root / "fresh"
        self.cache = root / ".kb-cache"

    def generate(self, today: dt.date = TODAY, offline: bool = False) -> tuple[int, int]:
        """Both generations; how many files each wrote."""
        cached = generate(
            BuildOptions(self.evidence, self.cached, offline=offline, cache=CheckCache(self.cache)),
            today,
        )
        fresh = generate(BuildOptions(self.evidence, self.fresh, offline=offline), today)
        mine, theirs = _files(self.cached), _files(self.fresh)
        assert sorted(mine) == sorted(theirs)
        differing = [name for name in mine if mine[name] != theirs[name]]
        assert not differing, f"pages differ with the cache: {differing[:5]}"
        return len(cached.written), len(fresh.written)

    def record(self, folder: str, name: str) -> Path:
        return self.evidence / folder / f"{name}.yaml"


STUDY = "oweira-2017-seer"
CLAIM = "liver-mets-worse-prognosis-than-lung-or-nodal"


def _new_study(twins: Twins) -> None:
    """A second study like Oweira's, with its own entry and identifiers, linked to the same
    claims."""
    text = twins.record("studies", STUDY).read_text(encoding="utf-8")
    for old, new in [
        (f"id: {STUDY}", "id: oweira-2017-seer-copy"),
        ("cite: Oweira2017SEER", "cite: Copy2020Cohort"),
        ("wjg.v23.i10.1872", "wjg.v23.i10.9999"),
        ("PMC5352929", "PMC5352000"),
    ]:
        assert old in text
        text = text.replace(old, new)
    twins.record("studies", "oweira-2017-seer-copy").write_text(text, encoding="utf-8")
    with (twins.evidence / "references.bib").open("a", encoding="utf-8") as bib:
        bib.write(
            "\n@article{Copy2020Cohort,\n  author  = {Copyist, Ann and Other, Bob and Third, Cy},"
            "\n  title   = {A second cohort of patients with liver metastases},\n"
            "  journal = {Journal of Examples},\n  year    = {2020}\n}\n"
        )


EDITS: dict[str, Callable[[Twins], None]] = {
    "a study's summary": lambda t: _edit(
        t.record("studies", STUDY), "summary: >-\n", "summary: >-\n  Edited.\n"
    ),
    "a study's number, which claims pool and grade": lambda t: _edit(
        t.record("studies", STUDY), "analysed: 13233", "analysed: 13234"
    ),
    "a link's relation": lambda t: _edit(
        t.record("studies", STUDY),
        f"claim: {CLAIM}\n    relation: supports",
        f"claim: {CLAIM}\n    relation: refutes",
    ),
    "a study's tags, which renames a tag page": lambda t: _edit(
        t.record("studies", STUDY), "tags: [seer,", "tags: [seer, zzz-new-tag,"
    ),
    "a claim's topic that takes the file name of another tag's page": lambda t: _edit(
        t.record("claims", "ca125-cea-alternative-markers"),
        "topic: Tumour markers",
        "topic: Liver metastases",  # sorts before 'liver metastases', whose page becomes -2
    ),
    "an author in references.bib, which relabels the study everywhere": lambda t: _edit(
        t.evidence / "references.bib", "author  = {Oweira, Hani", "author  = {Oweiro, Hani"
    ),
    "a claim's statement, shown on the pages of its studies": lambda t: _edit(
        t.record("claims", CLAIM), "statement: >-\n", "statement: >-\n  Edited:\n"
    ),
    "a trial's acronym, shown on claim pages": lambda t: _edit(
        t.record("trials", "cspac-1"), "acronym: CSPAC-1", "acronym: CSPAC-One"
    ),
    "a concept's abbreviation, which every page's search terms use": lambda t: _edit(
        t.record("concepts", "cea"), "abbreviation: CEA", "abbreviation: CEAX"
    ),
    "a discrepancy, shown on the studies it names": lambda t: _edit(
        t.record("discrepancies", "tachezy-median-survival"),
        "description: >-\n",
        "description: >-\n  Edited.\n",
    ),
    "the question": lambda t: _edit(
        t.evidence / "question.yaml", "title: Surgery", "title: Edited surgery"
    ),
    "a new study": _new_study,
    "a removed study": lambda t: t.record("studies", "oweira-2017-seer-copy").unlink(),
}


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Twins:
    twins = Twins(tmp_path_factory.mktemp("reuse"))
    twins.generate()
    return twins


def test_an_unchanged_knowledge_base_renders_and_writes_nothing(twins: Twins) -> None:
    assert twins.generate() == (0, 0)


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_page_is_the_same_with_and_without_the_cache_after(twins: Twins, edit: str) -> None:
    """The edits run in order on one knowledge base, each on top of the last."""
    EDITS[edit](twins)
    written, fresh = twins.generate()
    assert written == fresh > 0


def test_the_dates_and_the_url_style_are_part_of_every_key(twins: Twins) -> None:
    twins.generate(today=TODAY + dt.timedelta(days=400))
    twins.generate(offline=True)
    twins.generate()


def test_a_page_deleted_or_edited_in_the_docs_folder_is_not_reused(twins: Twins) -> None:
    page = twins.cached / "studies" / f"{STUDY}.md"
    page.unlink()
    twins.generate()
    assert page.is_file()
    page.write_text(page.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    # as without the cache: kb refuses to overwrite a page edited by hand
    with pytest.raises(GenerationError, match="edited by hand"):
        generate(BuildOptions(twins.evidence, twins.cached, cache=CheckCache(twins.cache)), TODAY)
    page.unlink()  # as its message says; the tests after this one go on from here
    twins.generate()


def test_entries_of_another_shape_in_the_pages_store_are_not_used(tmp_path: Path) -> None:
    """Entries that are not [key, key, digest] (a number, a digest that is not text, a short
    list) are misses: those pages are rendered, as a fresh run renders them."""
    twins = Twins(tmp_path)
    twins.generate()
    (store,) = twins.cache.glob("pages-*.json")
    data = json.loads(store.read_text(encoding="utf-8"))
    entries = data["entries"]
    for number, name in enumerate(sorted(entries)):
        entry = entries[name]
        entries[name] = [5, [*entry[:2], None], entry[:2], [*entry, "more"]][number % 4]
    entries["not a page"] = [1]
    store.write_text(json.dumps(data), encoding="utf-8")
    _edit(twins.record("studies", STUDY), "summary: >-\n", "summary: >-\n  Edited.\n")
    twins.generate()


def test_evidence_with_errors_stops_both_runs_alike(tmp_path: Path) -> None:
    twins = Twins(tmp_path)
    _edit(twins.record("studies", STUDY), f"claim: {CLAIM}", "claim: no-such-claim")
    with pytest.raises(BuildError):
        generate(BuildOptions(twins.evidence, twins.cached, cache=CheckCache(twins.cache)), TODAY)


def test_a_preview_rebuilds_the_pages_an_edit_changes_and_no_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make serve`: MkDocs with kb's plugin regenerating the pages before each dirty build."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from site_project import copy_project

    project = copy_project(tmp_path)
    preview = tmp_path / "preview"
    monkeypatch.chdir(project)  # as `make serve` runs: the snippets' paths are the project's

    def rebuild() -> None:
        config = load_config(str(project / "mkdocs.yml"), site_dir=str(preview), strict=False)
        config.plugins.on_startup(command="serve", dirty=True)
        build(config, dirty=True)

    rebuild()
    edited = preview / "studies" / STUDY / "index.html"
    other = preview / "studies" / "zanini-liver-mets-surgery" / "index.html"
    built = {p: p.stat().st_mtime_ns for p in preview.rglob("*.html")}
    _edit(
        project / "evidence" / "studies" / f"{STUDY}.yaml",
        "summary: >-\n",
        "summary: >-\n  Xyzzy.\n",
    )
    rebuild()
    assert "Xyzzy" in edited.read_text(encoding="utf-8")
    assert other.stat().st_mtime_ns == built[other]
    rebuilt = [p for p, when in built.items() if p.stat().st_mtime_ns != when]
    assert set(rebuilt) == {preview / "404.html", edited}  # MkDocs writes 404.html every time


_LINE = re.compile(r"^(?P<head>\s*(?:- )?(?P<key>[a-z_]+): )(?P<value>[^\s\[{>|\"'&*!%@`#].*)$")


def _editable_lines(evidence: Path) -> list[tuple[Path, int]]:
    """Every 'key: value' line of every record whose value is written plainly on the line."""
    found = []
    for file in sorted(evidence.rglob("*.yaml")):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines()):
            match = _LINE.match(line)
            if match and match["key"] not in {"id", "cite", "claim", "study", "finding"}:
                found.append((file, number))
    return found


def _changed(value: str) -> str:
    """A number made a little larger, anything else with a word added."""
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return value[:-1] + str((int(value[-1]) + 1) % 10)
    return value + " Zq"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.data())
def test_any_one_value_edited_gives_the_pages_a_fresh_run_gives(
    twins: Twins, data: st.DataObject
) -> None:
    """Beyond the edits above: one value of any record, chosen at random, changed (and put back
    afterwards); a change that makes the evidence wrong must stop both runs alike."""
    file, number = data.draw(st.sampled_from(_editable_lines(twins.evidence)))
    before = file.read_text(encoding="utf-8")
    lines = before.split("\n")
    match = _LINE.match(lines[number])
    assert match is not None
    lines[number] = match["head"] + _changed(match["value"])
    file.write_text("\n".join(lines), encoding="utf-8")
    try:
        outcomes = []
        for options in (
            BuildOptions(twins.evidence, twins.cached, cache=CheckCache(twins.cache)),
            BuildOptions(twins.evidence, twins.fresh),
        ):
            try:
                generate(options, TODAY)
                outcomes.append("written")
            except BuildError:
                outcomes.append("stopped")
        assert outcomes[0] == outcomes[1]
        assert _files(twins.cached) == _files(twins.fresh)
    finally:
        file.write_text(before, encoding="utf-8")
