"""Fuzzing load -> validate -> render (hypothesis): no exception escapes, every position lies
inside its file, and record text reaches a page only as inert text.

Inputs are broken at three depths: bytes (anything a file may hold), the data of a record
(any shape of mapping, list and value, with the fields' own names), and the text of every field
a page shows (Unicode, HTML, Markdown, pymdown and template syntax). Example counts are modest
for the test suite; KB_FUZZ_SCALE multiplies them for a longer campaign.
"""

from __future__ import annotations

import contextlib
import html.parser
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import markdown
import yaml
from conftest import BIB, TODAY, minimal_kb, write_tree
from hostile import RECORDS, TEXT_SLOTS, URL_SLOTS, Slot, fill
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kb.check import check_kb
from kb.cite import parse_bibliography
from kb.corpus import load_kb
from kb.evidence import Evidence
from kb.load import parse_yaml
from kb.problems import Problem, Severity
from kb.render.common import Site
from kb.render.site import ABBREVIATIONS, render_site

ROOT = Path(__file__).resolve().parent.parent
SCALE = int(os.environ.get("KB_FUZZ_SCALE", "1"))
"""Multiplies every example count: KB_FUZZ_SCALE=50 for a long campaign."""
SETTINGS = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# ---- bytes -----------------------------------------------------------------------------------

PIECES = [
    b"\t",
    b"\r",
    b"\r\n",
    b"\n",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\x00",
    b"&a ",
    b"*a",
    b"[",
    b"{",
    b"]",
    b"}",
    b"- ",
    b": ",
    b"'",
    b'"',
    b"\\",
    b"!!binary ",
    b"!!python/name:x ",
    b"? ",
    b"---\n",
    b"...\n",
    b"\xc3",
    b"\xe2\x80\xa8",
    b"\xc2\x85",
    b"#",
    b"|",
    b">",
    b"%YAML 1.1\n",
    b"!x ",
    b"<<: ",
    b"\xf0\x9f\x98\x80",
    b"     ",
    b"\x1b[31m",
    b"\xed\xa0\x80",
    b"\xd0\xbe",
]


@st.composite
def mutated(draw: st.DrawFn, originals: list[bytes]) -> bytes:
    """A valid file with a few bytes inserted, deleted or replaced."""
    raw = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            raw[at:at] = draw(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del raw[at : at + draw(st.integers(1, 12))]
        else:
            raw[at : at + 1] = draw(st.binary(min_size=1, max_size=2))
    return bytes(raw)


def assert_inside(problems: list[Problem], files: dict[str, bytes]) -> None:
    """Every problem's line and column is a place in its file, as an editor counts them."""
    for problem in problems:
        raw = files.get(problem.path)
        if raw is None:
            continue
        lines = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").split("\n")
        assert 1 <= problem.line <= len(lines), problem
        assert 1 <= problem.col <= len(lines[problem.line - 1]) + 1, problem


@settings(SETTINGS, max_examples=300 * SCALE)
@given(mutated([text.encode() for text in RECORDS.values()]) | st.binary(max_size=300))
def test_any_bytes_load_without_exception(raw: bytes) -> None:
    doc = parse_yaml(raw, "f.yaml")
    assert_inside(doc.problems, {"f.yaml": raw})


@settings(SETTINGS, max_examples=150 * SCALE)
@given(mutated([BIB.encode()]))
def test_any_bibliography_parses_without_exception(raw: bytes) -> None:
    text = raw.decode("utf-8", "replace")
    bibliography = parse_bibliography(text, "references.bib")
    assert_inside(bibliography.problems, {"references.bib": text.encode()})
    for entry in bibliography.entries.values():
        assert_inside(
            [
                Problem("references.bib", *entry.position(name), "KB408", "")
                for name in entry.field_positions
            ],
            {"references.bib": text.encode()},
        )


# ---- record data -----------------------------------------------------------------------------


def _field_names() -> list[str]:
    """Every key the valid records use, at any depth, and a few they do not."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            names.update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for text in RECORDS.values():
        walk(yaml.safe_load(text))
    return sorted(names | {"groups", "name", "n", "level", "note", "summary", "unknown"})


NAMES = _field_names()
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "smith-2020",
            "drug-x-improves-survival",
            "hazard-ratio",
            "2020",
            "2020-02-30",
            "rct",
            "supports",
            "hr",
            "verified",
            "%",
            "10.1/x",
            "NCT01234567",
            "https://example.org/",
            "javascript:alert(1)",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=4)
    ),
    max_leaves=12,
)


def _replace_somewhere(data: Any, path: list[int], change: Callable[[Any], Any]) -> Any:
    """`data` with one node, chosen by the numbers in `path`, replaced by `change(node)`."""
    if not path or not isinstance(data, dict | list) or not data:
        return change(data)
    if isinstance(data, dict):
        key = sorted(data)[path[0] % len(data)]
        return {**data, key: _replace_somewhere(data[key], path[1:], change)}
    index = path[0] % len(data)
    return [*data[:index], _replace_somewhere(data[index], path[1:], change), *data[index + 1 :]]


NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, -1, 1e-300, 1e300, 10**4000, float("nan"), float("inf")]),
)


def similar(original: Any) -> st.SearchStrategy[Any]:
    """Values shaped like `original` (so that the record often stays valid and reaches the
    renderer), or anything at all."""
    if isinstance(original, bool):
        like: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(original, int | float):
        like = NUMBERS
    elif isinstance(original, str):
        like = st.text(max_size=30) | st.just(original + original) | st.just(original.upper())
    elif isinstance(original, list):
        like = st.lists(st.sampled_from(original), max_size=4) if original else st.just([])
    else:
        like = st.just(original)
    return st.one_of(like, like, VALUES)


def check_and_render(root: Path) -> tuple[list[Problem], dict[str, bytes] | None]:
    """The whole check, and the site's files when the check finds no error (as `kb build`)."""
    with contextlib.chdir(root):
        kb = load_kb(Path("."))
        problems = check_kb(kb, TODAY)
        if any(p.severity is Severity.ERROR for p in problems):
            return problems, None
        return problems, render_site(Site(Evidence(kb), TODAY, TODAY))


@settings(SETTINGS, max_examples=60 * SCALE)
@given(
    st.sampled_from(sorted(RECORDS)),
    st.lists(st.lists(st.integers(0, 50), max_size=5), min_size=1, max_size=3),
    st.data(),
)
def test_any_record_data_is_checked_and_rendered_without_exception(
    tmp_path_factory: Any, path: str, places: list[list[int]], data_source: st.DataObject
) -> None:
    data = yaml.safe_load(RECORDS[path])
    for where in places:
        data = _replace_somewhere(data, where, lambda node: data_source.draw(similar(node)))
    files = minimal_kb()
    modeline = str(files[path]).split("\n", 1)[0]
    files[path] = modeline + "\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    root = write_tree(tmp_path_factory.mktemp("kb"), files)
    problems, _ = check_and_render(root)
    assert_inside(problems, {p: str(t).encode() for p, t in files.items()})


# ---- record text -----------------------------------------------------------------------------

PAYLOADS = [
    "<script>window.__kb_pwned=1</script>",
    "<img src=x onerror=alert(1)>",
    "</p><b>x</b>",
    "[click](javascript:alert(1))",
    "[x](data:text/html,<b>x</b>)",
    "<javascript:alert(1)>",
    "![i](x.png)",
    "??? note",
    '???+ danger "t"',
    "!!! warning",
    "/// html | div",
    "[TOC]",
    '--8<-- "/etc/passwd"',
    ';--8<-- "x"',
    "{: #kb-pwned .kb-pwned }",
    "*[HR]: pwned",
    "[^1]",
    "[^1]: note",
    "[ref]: javascript:alert(1)",
    "{{ config.site_name }}",
    "{% include 'x' %}",
    "${x}",
    "| a | b |\n|---|---|",
    "\n\n- item",
    "\n\n# heading",
    "\n\n    code",
    "\n\n> quote",
    "1. one",
    "* star",
    "+ plus",
    "- dash",
    "term\n: def",
    "`code`",
    "```\nfence\n```",
    "~~~",
    "$x$",
    "\\(x\\)",
    "==mark==",
    "^^sup^^",
    "~~del~~",
    "++ctrl+alt++",
    ":smile:",
    "&lt;",
    "&#60;",
    "&amp;",
    "\\",
    "\x02wzxhzdk:0\x03",
    "\u2028",
    "\u2029",
    "\x85",
    "\t",
    "\r\n",
    "\u202e",
    "\u200b",
    "\ufeff",
    "---",
    "===",
    "***",
    "<!-- c -->",
    '<div markdown="1">*x*</div>',
    "\"'",
    "@user",
    "www.example.com",
    "0",
]
TEXT = st.lists(
    st.sampled_from(PAYLOADS)
    | st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
    min_size=1,
    max_size=4,
).map("".join)
URL_TAIL = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp")), max_size=16
)


def blank(text: str) -> str:
    """Each visible character as 'x'; spaces, line breaks and control characters kept, so the
    text splits into paragraphs and cells where the original does."""
    return "".join("x" if c.isprintable() and not c.isspace() else c for c in text)


SVG_ELEMENTS = {"svg", "title", "desc", "defs", "marker", "g", "a", "rect", "line", "path", "text"}
"""What kb's figures are drawn with. Inside a figure, labels wrap at spaces and hyphens, so the
number of elements depends on the text; what they are does not."""


class _Page(html.parser.HTMLParser):
    """The elements (with their attribute names) and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, tuple[str, ...]]] = []
        self.in_figures: set[tuple[str, tuple[str, ...]]] = set()
        self.links: list[str] = []
        self.text: list[str] = []
        self.svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = (tag, tuple(sorted(name for name, _ in attrs)))
        self.svg_depth += tag == "svg"
        if self.svg_depth:
            self.in_figures.add(element)
        # abbreviations are meant to wrap words that match them, and a page that names a
        # glossary concept carries its other names for search (kb.render.keywords)
        elif tag != "abbr" and ("class", "kb-search-terms") not in attrs:
            self.elements.append(element)
        if tag != "abbr":
            self.text.append(" ")
        self.links += [value or "" for name, value in attrs if name in {"href", "src"}]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self.svg_depth -= tag == "svg"
        if tag != "abbr":
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)  # one run of text may come in several pieces


def _extensions() -> tuple[list[Any], dict[str, Any]]:
    """The site's Markdown extensions as mkdocs.yml configures them (snippets without files)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)
    names: list[Any] = []
    configs: dict[str, Any] = {}
    for item in config["markdown_extensions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, {})
        if name == "pymdownx.snippets":
            options = {"base_path": [], "check_paths": False}
        names.append(name)
        configs[name] = options or {}
    return names, configs


EXTENSIONS, EXTENSION_CONFIGS = _extensions()
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def to_html(page: str, abbreviations: str) -> _Page:
    body = FRONT_MATTER.sub("", page) + "\n\n" + abbreviations
    parsed = _Page()
    parsed.feed(markdown.markdown(body, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS))
    return parsed


def visible(text: str) -> str:
    """Text as a reader compares it: no control or format characters, spaces collapsed."""
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in {"Cc", "Cf"})
    return " ".join(kept.split())


def pages(texts: dict[Slot, str], root: Path) -> dict[str, _Page]:
    problems, site = check_and_render(write_tree(root, fill(texts)))
    assert site is not None, [p for p in problems if p.severity is Severity.ERROR]
    abbreviations = site[ABBREVIATIONS].decode()
    return {
        name: to_html(data.decode(), abbreviations)
        for name, data in site.items()
        if name.endswith(".md") and name != ABBREVIATIONS
    }


ALL_PAYLOADS = "".join(PAYLOADS)
LINE_STARTS = "\n\n".join(
    [  # syntax that counts only at the start of a line
        "??? note",
        "???+ note",
        "!!! note",
        "/// html | div",
        "[TOC]",
        "- item",
        "1. one",
        "> q",
        "# h",
        "    code",
        '--8<-- "x"',
        "*[HR]: x",
        "[^1]: n",
        "term\n: definition",
        "| a | b |\n|---|---|",
        "<div>x</div>",
        "===",
        "---",
        "```\nx\n```",
    ]
)


@settings(SETTINGS, max_examples=25 * SCALE)
@example(
    texts={slot: ALL_PAYLOADS for slot in TEXT_SLOTS},
    tails={slot: "javascript:alert(1)" for slot in URL_SLOTS},
)
@example(
    texts={slot: payload for slot, payload in zip(TEXT_SLOTS, PAYLOADS, strict=False)},
    tails={slot: '"><script>x</script>' for slot in URL_SLOTS},
)
@example(texts={slot: LINE_STARTS for slot in TEXT_SLOTS}, tails={slot: "" for slot in URL_SLOTS})
@given(
    texts=st.fixed_dictionaries({slot: TEXT for slot in TEXT_SLOTS}),
    tails=st.fixed_dictionaries({slot: URL_TAIL for slot in URL_SLOTS}),
)
def test_record_text_reaches_pages_only_as_text(
    tmp_path_factory: Any, texts: dict[Slot, str], tails: dict[Slot, str]
) -> None:
    """Pages made from hostile text have exactly the elements, attributes and links of pages
    made from the same text with every visible character replaced by 'x'; and each text is
    there, as text."""
    urls = {slot: "https://example.org/" + tail for slot, tail in tails.items()}
    hostile = pages({**texts, **urls}, tmp_path_factory.mktemp("hostile"))
    plain_urls = {slot: "https://example.org/" + blank(tail) for slot, tail in tails.items()}
    plain = pages(
        {**{s: blank(t) for s, t in texts.items()}, **plain_urls}, tmp_path_factory.mktemp("plain")
    )

    # a tag's page is named after the tag (kb.render.tags), so its name and number vary with
    # the text, and two tags may blank to one: the tag pages and their index are only checked
    # for their links below
    def is_tags(name: str) -> bool:
        return name.startswith("tags/") or re.fullmatch(r"tags(_[0-9]+)?\.md", name) is not None

    tag_pages = [n for n in hostile if is_tags(n)]
    assert sorted(set(hostile) - set(tag_pages)) == sorted(n for n in plain if not is_tags(n))
    for name in hostile:
        if name in tag_pages:
            for link in hostile[name].links:
                assert not re.match(r"\s*(javascript|data|vbscript):", link, re.I), (name, link)
            continue
        assert hostile[name].elements == plain[name].elements, name
        for tag, attributes in hostile[name].in_figures:
            assert tag in SVG_ELEMENTS and not any(a.startswith("on") for a in attributes), name
        for link in hostile[name].links:
            assert not re.match(r"\s*(javascript|data|vbscript):", link, re.I), (name, link)
    everything = visible(" ".join("".join(page.text) for page in hostile.values()))
    for (path, loc), text in texts.items():
        if loc[0] in {"tags", "abbreviation"}:
            continue  # shown only through the theme (front matter) and as tooltips
        if loc == ("subject",):  # it starts sentences or runs on inside them: its first
            assert visible(text)[1:] in everything, (path, loc, text)  # letter's case varies
            continue
        assert visible(text) in everything, (path, loc, text)


def test_every_slot_reaches_the_records() -> None:
    """A slot that missed its field would test nothing: each marker must be read back."""
    texts = {slot: f"marker{i}" for i, slot in enumerate(TEXT_SLOTS)}
    files = fill(texts)
    for i, (path, loc) in enumerate(TEXT_SLOTS):
        data: Any = yaml.safe_load(files[path])
        for part in loc:
            data = data[part]
        assert data == f"marker{i}", (path, loc)
