"""`kb new`: a record of each kind with its modeline, required fields and hints; no overwrite."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import check_tree
from helpers import changes, snapshot

from kb.cli import main
from kb.corpus import modeline
from kb.model import FOLDER_OF_KIND, KINDS
from kb.templates import DESIGNS, render_record

ALL_OPTIONS = {
    "study": ["--cite", "smith2020", "--design", "rct", "--question", "treatment-benefit"],
    "claim": [
        "--statement",
        "Widgets: often harmless # really",
        "--subject",
        "widgets",
        "--question",
        "prognosis",
        "--topic",
        "Widgets",
    ],
    "trial": ["--title", "Widget removal trial", "--nct", "NCT01234567"],
    "concept": ["--term", "widgetosis", "--definition", "A fictional condition: 100% made up."],
}


def kb_new(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["new", *args, "--evidence", str(root)])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_new_record_has_modeline_and_every_required_field(kb_root: Path, kind: str) -> None:
    result = kb_new(kb_root, kind, f"new-{kind}")
    assert result.exit_code == 0, result.output
    text = (kb_root / FOLDER_OF_KIND[kind] / f"new-{kind}.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == modeline(kind)
    data = yaml.safe_load(text)
    required = {name for name, info in KINDS[kind].model_fields.items() if info.is_required()}
    assert required <= set(data), required - set(data)
    assert data["id"] == f"new-{kind}"
    assert "#" in text.split("\n", 1)[1], "hints are comments"


@pytest.mark.parametrize("kind", ["claim", "concept"])
def test_new_record_with_its_values_checks_clean(kb_root: Path, kind: str) -> None:
    """Given every value `kb new` takes, only what it cannot take is left: a claim's outcome,
    each of whose empty fields is told at its line."""
    assert kb_new(kb_root, kind, f"new-{kind}", *ALL_OPTIONS[kind]).exit_code == 0
    problems = [p for p in check_tree(kb_root) if f"new-{kind}" in p.path]
    errors = [p.message for p in problems if p.severity.value == "error"]
    if kind == "claim":
        assert errors == [
            "'outcomes[0].id' is empty",
            "'outcomes[0].name' is empty",
            "'outcomes[0].importance' is empty",
            "'outcomes[0].effect' is empty",
        ]
    else:
        assert errors == []


def test_empty_required_fields_are_explained_where_they_are(kb_root: Path) -> None:
    assert kb_new(kb_root, "study", "new-study").exit_code == 0
    found = {(p.code, p.message) for p in check_tree(kb_root) if p.path.endswith("new-study.yaml")}
    assert ("KB201", "'cite' is empty") in found
    assert ("KB203", "'design' is empty") in found
    assert ("KB203", "'question' is empty") in found
    lines = (kb_root / "studies" / "new-study.yaml").read_text().splitlines()
    design = next(p for p in check_tree(kb_root) if p.message == "'design' is empty")
    assert lines[design.line - 1].startswith("design:")
    assert "rct" in (design.hint or "")


def test_values_with_colons_and_hashes_stay_whole(kb_root: Path) -> None:
    assert kb_new(kb_root, "claim", "new-claim", *ALL_OPTIONS["claim"]).exit_code == 0
    data = yaml.safe_load((kb_root / "claims" / "new-claim.yaml").read_text())
    assert data["statement"] == "Widgets: often harmless # really"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "Not_An_Id"], "not a valid id"),
        (["study", "x-1", "--design", "guesswork"], "not one of"),
        (["trial", "x-1", "--design", "rct"], "does not apply to a trial"),
        (["trial", "x-1", "--nct", "NCT123"], "'NCT' then 8 digits"),
        (["dataset", "x-1"], "'dataset' is not one of"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(
    kb_root: Path, args: list[str], message: str
) -> None:
    before = snapshot(kb_root)
    result = kb_new(kb_root, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(kb_root) == before


@pytest.mark.parametrize(
    ("kind", "record_id"), [("study", "smith-2020"), ("concept", "drug-x-trial")]
)
def test_never_overwrites_nor_reuses_an_id(kb_root: Path, kind: str, record_id: str) -> None:
    before = snapshot(kb_root)
    result = kb_new(kb_root, kind, record_id)
    assert result.exit_code == 1
    assert "already used" in result.stderr
    assert snapshot(kb_root) == before


def test_a_file_that_appears_meanwhile_is_not_replaced(
    kb_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kb.templates.used_ids", lambda evidence: set())
    (kb_root / "studies" / "taken.yaml").write_text("mine\n")
    before = snapshot(kb_root)
    result = kb_new(kb_root, "study", "taken")
    assert result.exit_code == 1
    assert "exists" in result.stderr
    assert snapshot(kb_root) == before


def test_interrupted_write_leaves_no_file(kb_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise KeyboardInterrupt

    before = snapshot(kb_root)
    monkeypatch.setattr(os, "link", fail)
    result = kb_new(kb_root, "claim", "new-claim")
    assert result.exit_code != 0
    assert snapshot(kb_root) == before
    assert changes(before, snapshot(kb_root)) == (set(), set(), set())


# ---- the commented examples: each one uncomments into valid YAML that fits the schema


def uncomment_examples(text: str) -> tuple[str, set[int]]:
    """`text` with every example block uncommented (the lines after one ending in 'uncomment as
    it is:', up to a blank line), as an editor's toggle-comment does; and their line numbers."""
    lines = text.split("\n")
    inside, numbers = False, set()
    for index, line in enumerate(lines):
        comment = re.match(r"^(\s*)# (.*)$", line)
        if line.endswith("uncomment as it is:"):
            inside = True
        elif inside and comment:
            lines[index] = comment.group(1) + comment.group(2)
            numbers.add(index + 1)
        else:
            inside = False
    return "\n".join(lines), numbers


DESIGN_CHOICES: list[str | None] = [None, *DESIGNS]


@pytest.mark.parametrize("design", DESIGN_CHOICES)
@pytest.mark.parametrize("question", [None, "treatment-benefit", "prognosis", "diagnosis"])
def test_every_example_of_a_study_stub_uncomments_as_it_is(
    kb_root: Path, design: str | None, question: str | None
) -> None:
    values = {"cite": "example2024", **({"design": design} if design else {})}
    values |= {"question": question} if question else {}
    text, examples = uncomment_examples(render_record("study", "example-study", values))
    assert examples, "the stub carries examples"
    with (kb_root / "references.bib").open("a", encoding="utf-8") as bib:
        bib.write("\n@article{example2024,\n  author = {Roe, Ann},\n  title = {An example},\n")
        bib.write("  journal = {Example Journal},\n  year = {2024}\n}\n")
    (kb_root / "studies" / "example-study.yaml").write_text(text, encoding="utf-8")
    found = [p for p in check_tree(kb_root) if p.path == "studies/example-study.yaml"]
    assert not [p for p in found if p.code.startswith("KB1")], found
    in_examples = [p for p in found if p.line in examples and p.code != "KB301"]
    assert in_examples == [], in_examples
    if design not in {None, "trial-protocol", "narrative-review", "editorial"} and design not in (
        "expert-opinion",
        "mechanistic-theory",
    ):
        data = yaml.safe_load(text)
        finding = data["findings"][0]
        assert {"id", "outcome", "measure", "locator", "quote"} <= set(finding)


@pytest.mark.parametrize(
    ("design", "fields"),
    [
        ("rct", {"comparison", "groups", "p", "ci", "n"}),
        ("retrospective-cohort", {"unit", "groups", "p"}),
        ("case-series", {"unit", "n"}),
    ],
)
def test_the_example_finding_shows_what_the_design_reports(design: str, fields: set[str]) -> None:
    text, _ = uncomment_examples(render_record("study", "x", {"design": design}))
    assert fields <= set(yaml.safe_load(text)["findings"][0])


@pytest.mark.parametrize("kind", ["concept", "trial"])
def test_other_stubs_uncomment_as_they_are(kb_root: Path, kind: str) -> None:
    text, examples = uncomment_examples(render_record(kind, f"example-{kind}"))
    assert examples, "the stub carries examples"
    target = kb_root / FOLDER_OF_KIND[kind] / f"example-{kind}.yaml"
    target.write_text(text, encoding="utf-8")
    found = [p for p in check_tree(kb_root) if p.path.endswith(f"example-{kind}.yaml")]
    assert not [p for p in found if p.code.startswith("KB1")], found
    assert [p for p in found if p.line in examples and p.code != "KB301"] == []


def test_items_under_an_empty_list_are_explained(kb_root: Path) -> None:
    stub = kb_root / "concepts" / "widgetosis.yaml"
    stub.write_text(
        f"{modeline('concept')}\nid: widgetosis\nterm: widgetosis\ndefinition: A condition.\n"
        'sources: []\n  - study: smith-2020\n    quote: "widgets"\n'
    )
    (problem,) = [p for p in check_tree(kb_root) if p.path == "concepts/widgetosis.yaml"]
    assert (problem.code, problem.line) == ("KB102", 6)
    assert "'sources: []' above is an empty list" in problem.message
    assert problem.hint == "delete the '[]' after 'sources:'"
