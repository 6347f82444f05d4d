"""The positioned YAML loader: data, the line and column of every key and item, and the problems
it reports without raising."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import STUDY_SMITH, check_tree, minimal_kb, write_tree

from kb.load import MAX_FILE_BYTES, SourceMap, load_yaml_file, parse_yaml

MODELINE = STUDY_SMITH.split("\n", 1)[0]


def positions(text: str | bytes) -> tuple[object, SourceMap]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    doc = parse_yaml(raw, "f.yaml")
    assert doc.problems == []
    return doc.data, doc.source


def codes_at(text: str | bytes) -> list[tuple[str, int, int]]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return [(p.code, p.line, p.col) for p in parse_yaml(raw, "f.yaml").problems]


def test_positions_of_keys_values_and_list_items() -> None:
    data, source = positions(
        "id: a\n"
        "pico:\n"
        "  population: adults\n"
        "tags:\n"
        "  - one\n"
        "  -   two\n"
        "findings:\n"
        "  - outcome: os\n"
        "    ci: {lower: 1, upper: 2}\n"
        "flow: [x, yy, zzz]\n"
    )
    assert data == {
        "id": "a",
        "pico": {"population": "adults"},
        "tags": ["one", "two"],
        "findings": [{"outcome": "os", "ci": {"lower": 1, "upper": 2}}],
        "flow": ["x", "yy", "zzz"],
    }
    assert source.values[("id",)] == (1, 5)
    assert source.keys[("id",)] == (1, 1)
    assert source.keys[("pico", "population")] == (3, 3)
    assert source.values[("pico", "population")] == (3, 15)
    assert source.values[("tags", 0)] == (5, 5)
    assert source.values[("tags", 1)] == (6, 7)
    assert source.values[("findings", 0)] == (8, 5)
    assert source.keys[("findings", 0, "ci")] == (9, 5)
    assert source.values[("findings", 0, "ci", "upper")] == (9, 27)
    assert source.values[("flow", 2)] == (10, 15)


def test_source_map_falls_back_to_the_nearest_ancestor() -> None:
    _, source = positions("pico:\n  population: adults\n")
    assert source.value(("pico", "population", "missing", 3)) == (2, 15)
    assert source.value(("nothing",)) == (1, 1)
    # a key that was never written falls back to its value's position
    assert source.key(("pico", "outcome")) == source.value(("pico",))
    assert source.key(("pico", "population")) == (2, 3)


def test_crlf_line_ends_give_the_same_data_and_positions() -> None:
    text = MODELINE + "\nid: a\nsummary: |\n  one\n  two\ntags:\n  - x\n"
    lf_data, lf_source = positions(text)
    crlf = parse_yaml(text.replace("\n", "\r\n").encode(), "f.yaml")
    assert crlf.problems == []
    assert crlf.data == lf_data == {"id": "a", "summary": "one\ntwo\n", "tags": ["x"]}
    assert crlf.source == lf_source
    assert crlf.first_line == MODELINE


def test_byte_order_mark_is_ignored() -> None:
    text = MODELINE + "\nid: a\n"
    plain = parse_yaml(text.encode(), "f.yaml")
    with_bom = parse_yaml(b"\xef\xbb\xbf" + text.encode(), "f.yaml")
    assert with_bom.problems == []
    assert with_bom.data == plain.data
    assert with_bom.source == plain.source
    assert with_bom.first_line == MODELINE


def test_byte_order_mark_does_not_hide_the_modeline(tmp_path: Path) -> None:
    files = minimal_kb()
    text = files["studies/smith-2020.yaml"]
    assert isinstance(text, str)
    files["studies/smith-2020.yaml"] = b"\xef\xbb\xbf" + text.encode()
    assert check_tree(write_tree(tmp_path, files)) == []


def test_columns_count_characters_not_bytes() -> None:
    # é is two bytes, 中 three, the emoji four: each is one character, one column
    data, source = positions("t\u00e9: {a: \u4e2d\u4e2d, b: \U0001f600x, c: 1}\n")
    assert data == {"t\u00e9": {"a": "\u4e2d\u4e2d", "b": "\U0001f600x", "c": 1}}
    assert source.values[("t\u00e9",)] == (1, 5)
    assert source.values[("t\u00e9", "a")] == (1, 9)
    assert source.keys[("t\u00e9", "b")] == (1, 13)
    assert source.values[("t\u00e9", "b")] == (1, 16)
    assert source.values[("t\u00e9", "c")] == (1, 23)


def test_problem_columns_count_characters_not_bytes() -> None:
    assert codes_at("t: \u00e9\u00e9\u00e9\x01\n") == [("KB101", 1, 7)]
    assert codes_at("a: \u00e9\u00e9\nb:\n\t- 1\n") == [("KB103", 3, 1)]
    assert codes_at("t: \u00e9\u00e9 ab".encode() + b"\xff\n") == [("KB101", 1, 9)]
    assert codes_at("a: &x \u00e9\u00e9\nb: [\u00e9, *x]\n") == [("KB105", 2, 8)]


def test_block_scalars() -> None:
    data, source = positions(
        "summary: |\n"
        "  first line\n"
        "\n"
        "  after a blank line\n"
        "note: >-\n"
        "  folded\n"
        "  text\n"
        "tags:\n"
        "  - |\n"
        "    item\n"
        "end: x\n"
    )
    assert data == {
        "summary": "first line\n\nafter a blank line\n",
        "note": "folded text",
        "tags": ["item\n"],
        "end": "x",
    }
    assert source.values[("summary",)] == (1, 10)
    assert source.values[("note",)] == (5, 7)
    assert source.values[("tags", 0)] == (9, 5)
    assert source.keys[("end",)] == (11, 1)
    assert source.values[("end",)] == (11, 6)


def test_lines_are_counted_at_newlines_only() -> None:
    """YAML also breaks lines at U+2028, U+2029 and U+0085; editors and GitHub do not, so a
    quote pasted with one of them must not shift the lines of everything after it."""
    for odd in ("\u2028", "\u2029", "\x85"):
        data, source = positions(f'quote: "a{odd}b"\nnext: 1\nlist: [x, y]\n')
        assert data == {
            "quote": f"a{odd}b" if odd != "\x85" else "a b",
            "next": 1,
            "list": ["x", "y"],
        }
        assert source.values[("next",)] == (2, 7)
        assert source.keys[("list",)] == (3, 1)
        assert source.values[("list", 1)] == (3, 11)
    assert codes_at('quote: "a\u2028\u2028b"\nnext: [1\n') == [("KB102", 3, 1)]
    assert codes_at('q: "a\u2028b"\nn: \u00e9\x01\n') == [("KB101", 2, 5)]


def test_dates_are_kept_as_written() -> None:
    data, _ = positions("a: 2024-01-05\nb: 2024-01-05T10:00:00Z\nc: 2024-01\nd: 2024\n")
    assert data == {"a": "2024-01-05", "b": "2024-01-05T10:00:00Z", "c": "2024-01", "d": 2024}


def test_duplicate_key_keeps_the_first_value() -> None:
    doc = parse_yaml(b"a: 1\nb:\n  c: 2\n  c: 3\n", "f.yaml")
    assert doc.data == {"a": 1, "b": {"c": 2}}
    assert [(p.code, p.line, p.col, p.message) for p in doc.problems] == [
        ("KB104", 4, 3, "key 'c' appears twice (first at line 3)")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1: x\n", ("KB111", 1, 1, "key '1' is read as a number, not as a field name")),
        ("a:\n  null: x\n", ("KB111", 2, 3, "key 'null' is read as null, not as a field name")),
        ("a:\n  - on: x\n", ("KB111", 2, 5, "key 'on' is read as a boolean, not as a field name")),
        ("? [a]\n: x\n", ("KB111", 1, 3, "key '?' is read as a list, not as a field name")),
    ],
)
def test_keys_that_are_not_text(text: str, expected: tuple[str, int, int, str]) -> None:
    doc = parse_yaml(text.encode(), "f.yaml")
    assert [(p.code, p.line, p.col, p.message) for p in doc.problems] == [expected]


def test_merge_key_is_reported_at_the_key() -> None:
    doc = parse_yaml(b"base: &b {x: 1}\nother:\n  <<: *b\n", "f.yaml")
    assert [(p.code, p.line, p.col, p.message) for p in doc.problems] == [
        ("KB105", 3, 3, "merge key '<<' is not allowed in records")
    ]
    assert doc.data == {"base": {"x": 1}, "other": {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!python/object/apply:os.system [ls]\n", ("KB102", 1, 4)),
        ("a: !!python/name:os.system\n", ("KB102", 1, 4)),
        ("a:\n  b: !!set {x, y}\n", ("KB102", 2, 6)),
        ("a: !local {x: 1}\n", ("KB102", 1, 4)),
    ],
)
def test_tags_on_any_node_are_reported_and_never_built(
    text: str, expected: tuple[str, int, int]
) -> None:
    doc = parse_yaml(text.encode(), "f.yaml")
    assert [(p.code, p.line, p.col) for p in doc.problems] == [expected]
    assert "tag '" in doc.problems[0].message


def test_an_alias_used_as_a_key_is_reported() -> None:
    assert codes_at("a: &k name\n*k : x\n") == [("KB105", 2, 1)]


def test_only_the_first_ten_aliases_are_told() -> None:
    text = "a: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(30))
    assert codes_at(text) == [("KB105", line, 5) for line in range(2, 12)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [("KB108", 1, 1)]),
        ("# only a comment\n", [("KB108", 1, 1)]),
        ("---\n", [("KB108", 2, 1)]),
        ("null\n", [("KB108", 1, 1)]),
        ("\n\n- a\n", [("KB108", 3, 1)]),
        ("  42\n", [("KB108", 1, 3)]),
        ("a: 1\n...\n---\nb: 2\n", [("KB110", 3, 1)]),
        ("a: 'x\n", [("KB102", 2, 1)]),
        ("a: b: c\n", [("KB102", 1, 5)]),
        ("a: !!binary xyz\n", [("KB102", 1, 4)]),
        ("a: !custom x\n", [("KB102", 1, 4)]),
        ("a:\n  b: 1\n\tc: 2\n", [("KB103", 3, 1)]),
    ],
)
def test_problems_without_exceptions(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert codes_at(text) == expected


def test_deep_nesting_is_stopped_at_the_limit() -> None:
    from kb.load import MAX_DEPTH

    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    too_deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert codes_at(ok) == []
    assert codes_at(too_deep) == [("KB107", 1, 3 + MAX_DEPTH)]
    # far deeper than any parser recursion limit: still a problem, not an exception
    assert [c for c, _, _ in codes_at("a: " + "[" * 100_000 + "\n")] in (["KB107"], ["KB102"])


def test_files_over_the_limit_are_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * MAX_FILE_BYTES)
    doc = load_yaml_file(big, "big.yaml")
    assert [(p.code, p.line, p.col) for p in doc.problems] == [("KB106", 1, 1)]
    assert doc.data is None


def test_unreadable_file(tmp_path: Path) -> None:
    doc = load_yaml_file(tmp_path / "missing.yaml", "missing.yaml")
    assert [(p.code, p.message) for p in doc.problems] == [
        ("KB101", "cannot read file: No such file or directory")
    ]
