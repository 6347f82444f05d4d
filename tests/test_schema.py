"""The committed JSON Schemas are the ones the models give, valid draft-07, and agree with kb."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import minimal_kb

from kb.load import parse_yaml
from kb.model import FOLDERS, KINDS
from kb.schema import render_schemas

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
RENDERED = render_schemas()


def test_every_record_kind_has_a_schema_and_every_schema_is_committed() -> None:
    assert {f"{kind}.schema.json" for kind in KINDS} <= set(RENDERED)
    assert sorted(path.name for path in SCHEMAS.glob("*.json")) == sorted(RENDERED)


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_committed_schema_is_up_to_date(name: str) -> None:
    committed = (SCHEMAS / name).read_text(encoding="utf-8")
    assert committed == RENDERED[name], f"schemas/{name} is stale: run 'make schema'"


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_schema_is_valid_draft_07(name: str) -> None:
    schema = json.loads(RENDERED[name])
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema), "draft-07 has 'definitions', not '$defs'"


def validator(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(RENDERED[f"{kind}.schema.json"]))


def fixture_records() -> list[tuple[str, str, Any]]:
    """(kind, path, data as kb loads it) of every record in the minimal knowledge base."""
    out = []
    for path, text in minimal_kb().items():
        folder = path.split("/", 1)[0]
        if folder in FOLDERS:
            raw = text.encode() if isinstance(text, str) else text
            out.append((FOLDERS[folder], path, parse_yaml(raw, path).data))
    return out


def test_the_fixture_has_every_kind() -> None:
    assert sorted({kind for kind, _, _ in fixture_records()}) == sorted(KINDS)


@pytest.mark.parametrize(("kind", "path", "data"), fixture_records(), ids=lambda v: str(v)[:40])
def test_valid_fixture_record_validates_against_its_schema(kind: str, path: str, data: Any) -> None:
    errors = [error.message for error in validator(kind).iter_errors(data)]
    assert errors == [], path


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(summray="x"), ()),
        (lambda d: d.update(design="rtc"), ("design",)),
        (lambda d: d.pop("cite"), ()),
        (lambda d: d["sample_size"].update(enrolled="520"), ("sample_size",)),
        (lambda d: d["identifiers"]["doi"].update(value="doi:10.1/x"), ("identifiers", "doi")),
        (lambda d: d["period"].update(end="2018-13"), ("period",)),
    ],
)
def test_schema_rejects_what_kb_rejects(change: Any, path: tuple[str, ...]) -> None:
    """The schema is not vacuous: the mistakes kb reports are also schema errors."""
    data = next(d for kind, p, d in fixture_records() if p == "studies/smith-2020.yaml")
    change(data)
    errors = list(validator("study").iter_errors(data))
    assert errors
    assert any(tuple(error.absolute_path)[: len(path)] == path for error in errors)


def _properties() -> list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    """(schema file, model, field, its schema, the whole schema) of every field of every kind."""
    found = []
    for name, text in sorted(RENDERED.items()):
        schema = json.loads(text)
        models = {name.split(".")[0]: schema, **schema.get("definitions", {})}
        for model, definition in sorted(models.items()):
            for field, spec in sorted(definition.get("properties", {}).items()):
                found.append((name, model, field, spec, schema))
    return found


PROPERTIES = _properties()


def test_every_field_has_a_description_and_examples() -> None:
    """yaml-language-server shows the description on hover and offers the examples."""
    bare = sorted(
        {
            f"{model}.{field}"
            for _, model, field, spec, _ in PROPERTIES
            if not spec.get("description")
        }
    )
    assert bare == [], "add a description in kb/model/docs.py or in the model"
    without = sorted(
        {f"{model}.{field}" for _, model, field, spec, _ in PROPERTIES if not spec.get("examples")}
    )
    assert without == [], "add examples in kb/model/docs.py"


@pytest.mark.parametrize(
    ("name", "model", "field", "spec", "schema"),
    PROPERTIES,
    ids=[f"{p[1]}.{p[2]}" for p in PROPERTIES],
)
def test_every_example_is_valid_for_its_field(
    name: str, model: str, field: str, spec: dict[str, Any], schema: dict[str, Any]
) -> None:
    check = {key: value for key, value in spec.items() if key != "examples"}
    check["definitions"] = schema.get("definitions", {})
    validator = jsonschema.Draft7Validator(check)
    for example in spec["examples"]:
        assert [e.message for e in validator.iter_errors(example)] == [], (model, field, example)


def test_a_description_beside_a_reference_reaches_the_editor() -> None:
    """Draft-07 ignores keywords beside '$ref'; the schema puts such a '$ref' in 'allOf'."""
    for _, model, field, spec, _ in PROPERTIES:
        assert not ("$ref" in spec and len(spec) > 1), f"{model}.{field}"
