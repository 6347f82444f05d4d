"""Properties over generated knowledge bases (hypothesis).

The generator writes the YAML text itself, line by line, so it knows the line and column of every
value it may later break. Text values are drawn from all of Unicode's letters, digits,
punctuation and spaces, plus characters that YAML treats specially inside quotes (U+2028, U+0085,
tabs, quotes and backslashes), so positions are tested past multi-byte and odd characters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from conftest import TODAY, check_tree, write_tree
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb import markup
from kb.corpus import modeline
from kb.model import Design, Measure, Question, Relation, TrialStatus
from kb.problems import Problem, Severity
from kb.report import render

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FINISHED = ("completed", "terminated", "withdrawn")


@dataclass
class YamlFile:
    """A record's lines, written with the position of each value remembered by the caller."""

    kind: str
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines.append(modeline(self.kind))

    def put(
        self, indent: int, key: str, value: str | None = None, item: bool = False
    ) -> tuple[int, int]:
        """Write `key: value` (or `key:` opening a block); return where the value starts (or,
        for a block, where the key starts)."""
        prefix = "  " * indent + ("- " if item else "")
        if value is None:
            self.lines.append(f"{prefix}{key}:")
            return len(self.lines), len(prefix) + 1
        self.lines.append(f"{prefix}{key}: {value}")
        return len(self.lines), len(prefix) + len(key) + 3

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass(frozen=True)
class Spot:
    """A value that a mutation can change: file, line, column and what is written there."""

    path: str
    line: int
    col: int
    written: str


@dataclass
class GeneratedKb:
    records: dict[str, YamlFile]
    bib: str
    links: list[Spot] = field(default_factory=list)
    designs: list[Spot] = field(default_factory=list)
    questions: list[Spot] = field(default_factory=list)
    p_values: list[Spot] = field(default_factory=list)
    intervals: list[tuple[Spot, Spot]] = field(default_factory=list)
    period_ends: list[Spot] = field(default_factory=list)

    def files(self) -> dict[str, str]:
        return {"references.bib": self.bib} | {p: f.text() for p, f in self.records.items()}


TEXT = st.text(
    alphabet=st.one_of(
        st.characters(categories=("L", "N", "P", "Zs")),
        st.sampled_from(["\u2028", "\x85", "\t", '"', "\\", ":", "#", "\u00e9", "\U0001f600"]),
    ),
    min_size=1,
    max_size=12,
)
WORDS = st.lists(
    st.sampled_from(["liver", "resection", "survival", "trial", "cohort", "drug", "tumour"]),
    min_size=2,
    max_size=5,
).map(" ".join)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def partial_date(day: dt.date, parts: int) -> str:
    """YYYY (quoted, or YAML reads a number), YYYY-MM or YYYY-MM-DD."""
    return f'"{day.year}"' if parts == 1 else day.isoformat()[: {2: 7, 3: 10}[parts]]


@st.composite
def days(draw: st.DrawFn, before: dt.date = TODAY) -> tuple[dt.date, int]:
    start = dt.date(1990, 1, 1)
    day = start + dt.timedelta(days=draw(st.integers(0, (before - start).days - 1)))
    return day, draw(st.integers(1, 3))


@st.composite
def interval(draw: st.DrawFn, top: int) -> tuple[str, str, str]:
    """lower < value < upper, as decimals with two places, none above `top`."""
    numbers = sorted(draw(st.sets(st.integers(0, top * 100), min_size=3, max_size=3)))
    return tuple(f"{n / 100:.2f}" for n in numbers)  # type: ignore[return-value]


@st.composite
def knowledge_bases(draw: st.DrawFn) -> GeneratedKb:
    n_claims = draw(st.integers(1, 4))
    n_studies = draw(st.integers(1, 5))
    claims = [f"claim-{j}" for j in range(n_claims)]
    studies = [f"study-{i}" for i in range(n_studies)]
    # every claim gets a study and every study a claim; more links at random
    linked = {(draw(st.sampled_from(studies)), claim) for claim in claims}
    linked |= {(study, draw(st.sampled_from(claims))) for study in studies}
    linked |= draw(
        st.sets(st.tuples(st.sampled_from(studies), st.sampled_from(claims)), max_size=4)
    )
    kb = GeneratedKb({}, "")
    bib: list[str] = []

    for j, claim_id in enumerate(claims):
        path = f"claims/{claim_id}.yaml"
        doc = YamlFile("claim")
        doc.put(0, "id", claim_id)
        doc.put(0, "statement", quoted(draw(TEXT)))
        kb.questions.append(
            Spot(path, *doc.put(0, "question", draw(st.sampled_from(get_args(Question)))), "")
        )
        doc.put(0, "topic", quoted(draw(TEXT)))
        doc.put(0, "subject", quoted(draw(TEXT)))
        doc.put(0, "outcomes")
        doc.put(1, "id", "outcome-a", item=True)
        doc.put(2, "name", quoted(draw(TEXT)))
        doc.put(2, "importance", draw(st.sampled_from(["critical", "important"])))
        doc.put(2, "effect", draw(st.sampled_from(["increase", "decrease", "estimate"])))
        earlier = draw(st.sets(st.sampled_from(claims[:j]), max_size=2)) if j else set()
        if earlier:
            doc.put(0, "depends_on")
            for target in sorted(earlier):
                doc.lines.append(f"  - {target}")
        kb.records[path] = doc

    for i, study_id in enumerate(studies):
        path = f"studies/{study_id}.yaml"
        doc = YamlFile("study")
        doc.put(0, "id", study_id)
        doc.put(0, "cite", f"key{i}")
        doi = f"10.{1000 + i}/gen.{i}"
        in_yaml, in_bib = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
        if in_yaml:
            doc.put(0, "identifiers")
            doc.put(1, "doi")
            doc.put(2, "value", doi)
            doc.put(2, "status", draw(st.sampled_from(["verified", "unverified"])))
            if draw(st.booleans()):
                checked, parts = draw(days())
                doc.put(2, "checked", partial_date(checked, parts))
        design = draw(st.sampled_from(get_args(Design)))
        kb.designs.append(Spot(path, *doc.put(0, "design", design), ""))
        if design in {"systematic-review", "meta-analysis"}:
            doc.put(0, "includes")
            doc.put(1, "designs", "[rct]")
        doc.put(0, "question", draw(st.sampled_from(get_args(Question))))
        if draw(st.booleans()):
            enrolled = draw(st.integers(0, 5000))
            doc.put(0, "sample_size")
            doc.put(1, "enrolled", str(enrolled))
            if draw(st.booleans()):
                doc.put(1, "analysed", str(draw(st.integers(0, enrolled))))
        if draw(st.booleans()):
            (first, p1), (second, p2) = draw(days()), draw(days())
            start, end = sorted([first, second])
            doc.put(0, "period")
            doc.put(1, "start", partial_date(start, p1))
            kb.period_ends.append(Spot(path, *doc.put(1, "end", partial_date(end, p2)), ""))
        findings = draw(st.integers(0, 3))
        if findings:
            doc.put(0, "findings")
        for k in range(findings):
            percent = draw(st.booleans())
            lower, value, upper = draw(interval(100 if percent else 50))
            written = [value]
            doc.put(1, "id", f"f-{k}", item=True)
            doc.put(2, "outcome", quoted(draw(TEXT)))
            measure = draw(st.sampled_from(get_args(Measure)))
            doc.put(2, "measure", measure)
            if measure in {"hr", "or", "rr"}:
                doc.put(2, "comparison")
                doc.put(3, "group", quoted(draw(TEXT)))
            doc.put(2, "value", value)
            if percent:
                doc.put(2, "unit", '"%"')
            if draw(st.booleans()):
                doc.put(2, "ci")
                low = Spot(path, *doc.put(3, "lower", lower), lower)
                high = Spot(path, *doc.put(3, "upper", upper), upper)
                kb.intervals.append((low, high))
                written += [lower, upper]
            if draw(st.booleans()):
                p = draw(st.integers(0, 1000)) / 1000
                kb.p_values.append(Spot(path, *doc.put(2, "p", f"{p:.3f}"), ""))
                written.append(f"{p:.3f}")
            doc.put(2, "locator", quoted(draw(TEXT)))
            # a paraphrase, so that a mutated number is told once (KB708 would tell a quote too)
            doc.put(2, "paraphrase", quoted("numbers " + " and ".join(written)))
            doc.put(2, "note", quoted("the words of the notes"))
        doc.put(0, "links")
        for study, claim_id in sorted(linked):
            if study != study_id:
                continue
            kb.links.append(Spot(path, *doc.put(1, "claim", claim_id, item=True), claim_id))
            doc.put(2, "relation", draw(st.sampled_from(get_args(Relation))))
            doc.put(2, "rests_on", "text")
            doc.put(2, "quote" if draw(st.booleans()) else "locator", quoted(draw(TEXT)))
        if draw(st.booleans()):
            doc.put(0, "summary", quoted(draw(TEXT)))
        kb.records[path] = doc
        bib.append(
            f"@article{{key{i},\n  author = {{Writer{chr(65 + i)}, Ann}},\n"
            f"  title = {{{draw(WORDS)}}},\n  journal = {{J}},\n  year = {{{2000 + i}}},\n"
            + (f"  doi = {{{doi}}},\n" if in_bib else "")
            + "}\n"
        )

    for k in range(draw(st.integers(0, 2))):
        path = f"trials/trial-{k}.yaml"
        doc = YamlFile("trial")
        doc.put(0, "id", f"trial-{k}")
        doc.put(0, "title", quoted(draw(TEXT)))
        doc.put(0, "identifiers")
        doc.put(1, "nct")
        doc.put(2, "value", f"NCT{k:08d}")
        doc.put(2, "status", "verified")
        doc.put(0, "phase", draw(st.sampled_from(["phase-2", "phase-3", "na"])))
        doc.put(0, "design")
        doc.put(1, "allocation", draw(st.sampled_from(["randomized", "non-randomized", "na"])))
        doc.put(1, "model", "parallel")
        (first, p1), (second, p2) = draw(days()), draw(days())
        start, end = sorted([first, second])
        doc.put(0, "dates")
        doc.put(1, "start")
        doc.put(2, "date", partial_date(start, p1))
        doc.put(2, "type", "actual")
        doc.put(1, "completion")
        doc.put(2, "date", partial_date(end, p2))
        status = draw(st.sampled_from(get_args(TrialStatus)))
        doc.put(0, "status")
        doc.put(1, "overall", status)
        tests = draw(st.sets(st.sampled_from(claims), max_size=2))
        if tests:
            doc.put(0, "tests")
            doc.lines.extend(f"  - {claim_id}" for claim_id in sorted(tests))
        doc.put(0, "publications")
        doc.put(1, "study", draw(st.sampled_from(studies)), item=True)
        doc.put(2, "type", "protocol" if status in FINISHED else "results")
        kb.records[path] = doc

    concepts = [f"concept-{k}" for k in range(draw(st.integers(0, 2)))]
    for concept_id in concepts:
        path = f"concepts/{concept_id}.yaml"
        doc = YamlFile("concept")
        doc.put(0, "id", concept_id)
        doc.put(0, "term", quoted(draw(TEXT)))
        doc.put(0, "definition", quoted(draw(TEXT)))
        doc.put(0, "sources")
        doc.put(1, "study", draw(st.sampled_from(studies)), item=True)
        doc.put(2, "locator", quoted(draw(TEXT)))
        others = [c for c in concepts if c != concept_id]
        if others and draw(st.booleans()):
            doc.put(0, "see_also")
            doc.lines.append(f"  - {draw(st.sampled_from(others))}")
        kb.records[path] = doc

    kb.bib = "\n".join(bib)
    return kb


@contextlib.contextmanager
def written(files: dict[str, str], order: list[str] | None = None) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for path in order or list(files):
            write_tree(root, {path: files[path]})
        yield root


def check(files: dict[str, str], order: list[str] | None = None) -> list[Problem]:
    with written(files, order) as root:
        return check_tree(root)


def errors(problems: list[Problem]) -> list[tuple[str, str, int, int]]:
    return [(p.code, p.path, p.line, p.col) for p in problems if p.severity is Severity.ERROR]


# ---- (a) a valid knowledge base checks clean


@SETTINGS
@given(knowledge_bases())
def test_generated_knowledge_base_is_clean(kb: GeneratedKb) -> None:
    problems = check(kb.files())
    # a study may support and another refute a claim: that is news (info), not a fault
    assert [p for p in problems if p.code != "KB307"] == []


# ---- (b) one mutation gives exactly its problem, at the mutated value


def replace_value(kb: GeneratedKb, spot: Spot, value: str) -> None:
    lines = kb.records[spot.path].lines
    lines[spot.line - 1] = lines[spot.line - 1][: spot.col - 1] + value


@st.composite
def mutated(draw: st.DrawFn) -> tuple[GeneratedKb, tuple[str, str, int, int]]:
    kb = draw(knowledge_bases())
    kinds = ["link", "design", "question", "field"]
    kinds += ["interval"] * bool(kb.intervals) + ["p"] * bool(kb.p_values)
    kinds += ["date"] * bool(kb.period_ends)
    kind = draw(st.sampled_from(kinds))
    if kind == "link":
        spot = draw(st.sampled_from(kb.links))
        replace_value(kb, spot, draw(st.sampled_from(["no-such-claim", f"{spot.written}-x"])))
        return kb, ("KB301", spot.path, spot.line, spot.col)
    if kind == "design":
        spot = draw(st.sampled_from(kb.designs))
        replace_value(kb, spot, draw(st.sampled_from(["randomised-trial", "RCT", "cohort"])))
        return kb, ("KB203", spot.path, spot.line, spot.col)
    if kind == "question":
        spot = draw(st.sampled_from(kb.questions))
        replace_value(kb, spot, draw(st.sampled_from(["therapy", "harm", "Prognosis"])))
        return kb, ("KB203", spot.path, spot.line, spot.col)
    if kind == "interval":
        low, high = draw(st.sampled_from(kb.intervals))
        replace_value(kb, low, high.written)
        replace_value(kb, high, low.written)
        return kb, ("KB701", low.path, low.line, low.col)
    if kind == "p":
        spot = draw(st.sampled_from(kb.p_values))
        replace_value(kb, spot, draw(st.sampled_from(["1.001", "3", "38.5"])))
        return kb, ("KB703", spot.path, spot.line, spot.col)
    if kind == "date":
        spot = draw(st.sampled_from(kb.period_ends))
        replace_value(kb, spot, draw(st.sampled_from(["2018-13", "2019-02-30", "18-01"])))
        return kb, ("KB205", spot.path, spot.line, spot.col)
    path = draw(st.sampled_from(sorted(kb.records)))
    lines = kb.records[path].lines
    lines.append(draw(st.sampled_from(["summray: x", "notes: x", "identifier: x", "Id: y"])))
    return kb, ("KB204", path, len(lines), 1)


@SETTINGS
@given(mutated())
def test_one_mutation_gives_its_problem_at_the_mutated_value(
    case: tuple[GeneratedKb, tuple[str, str, int, int]],
) -> None:
    kb, expected = case
    assert errors(check(kb.files())) == [expected]


# ---- (c) results do not depend on the order files are created in


@SETTINGS
@given(mutated(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_file_creation_order(
    case: tuple[GeneratedKb, tuple[str, str, int, int]], rng: random.Random
) -> None:
    files = case[0].files()
    order = sorted(files)
    shuffled = order[:]
    rng.shuffle(shuffled)
    first = render(check(files, order), "text")
    assert render(check(files, shuffled), "text") == first
    assert render(check(files, order[::-1]), "text") == first


# ---- (d) every position lies inside its file

CHAOS = [
    "\t",
    ":",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "\n",
    '"',
    "'",
    "#",
    "\u00e9",
    "\u2028",
    "\x85",
    "\x00",
    "\r",
    "\r\n",
    "@article{",
    ",",
    "=",
    "%",
    "---\n",
    "!!int ",
    "? ",
    "\ufeff",
    "\U0001f600",
    "  ",
    "|\n",
    ">\n",
]


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, str]:
    files = draw(knowledge_bases()).files()
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(sorted(files)))
        text = files[path]
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "insert", "delete", "truncate"]))
        if action == "insert":
            snippet = "".join(draw(st.lists(st.sampled_from(CHAOS), min_size=1, max_size=4)))
            files[path] = text[:at] + snippet + text[at:]
        elif action == "delete":
            files[path] = text[:at] + text[at + draw(st.integers(1, 40)) :]
        else:
            files[path] = text[:at]
    return files


@SETTINGS
@given(damaged())
def test_every_position_lies_inside_its_file(files: dict[str, str]) -> None:
    with written(files) as root:
        problems = check_tree(root)
        for problem in problems:
            target = root / problem.path
            if not target.is_file():
                assert (problem.line, problem.col) == (1, 1), problem
                continue
            lines = target.read_bytes().decode("utf-8", "replace").split("\n")
            assert 1 <= problem.line <= len(lines), problem
            assert 1 <= problem.col <= len(lines[problem.line - 1]) + 1, (
                problem,
                lines[problem.line - 1],
            )


def _text_as_first_written(value: str) -> str:
    """markup.text as it was written first: three expressions over every value."""
    flat = " ".join(value.split())
    escaped = flat.translate(markup._ENTITIES)
    escaped = re.sub(r"^(\d+)\.", r"\1&#46;", escaped)
    escaped = re.sub(r"^-", "&#45;", escaped)
    escaped = re.sub(r"^\?", "&#63;", escaped)
    return escaped.replace("--", "-&#45;")


@given(st.text(alphabet=st.sampled_from("12٣²-?. a<#\n"), max_size=12) | st.text(max_size=12))
@example("٣. an Arabic-Indic digit")
@example("²1. a superscript")
@example("12. twelve")
@example("- a dash")
@example("?? a question")
@example("--8<-- a snippet")
@example("1")
def test_escaped_text_is_what_the_three_expressions_gave(value: str) -> None:
    """Looking at the first character before running an expression changes nothing: digits of
    every script, superscripts, dashes, question marks, and text that turns into entities."""
    assert markup.text(value) == _text_as_first_written(value)
