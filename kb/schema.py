"""JSON Schemas (draft-07) of the record models, for editors and for check-jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kb.files import write_atomic
from kb.model import KINDS, ClinicalQuestion

SCHEMA_MODELS = {**KINDS, "question": ClinicalQuestion}


def record_schema(kind: str) -> dict[str, Any]:
    """The schema of one record kind; pydantic's `$defs` moved to draft-07 `definitions`, each
    field with its description and examples (kb.model.docs)."""
    schema = SCHEMA_MODELS[kind].model_json_schema(ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    out: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"{kind}.schema.json",  # relative: resolved against where it is published
        **schema,
    }
    if definitions:
        out["definitions"] = definitions
    wrapped: dict[str, Any] = _wrap_refs(out)
    return wrapped


def _wrap_refs(node: Any) -> Any:
    """Draft-07 ignores every keyword beside a `$ref`, so a field's description and examples
    there would not reach an editor: such a `$ref` goes into an `allOf` of its own."""
    if isinstance(node, list):
        return [_wrap_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _wrap_refs(value) for key, value in node.items()}
    if "$ref" in node and len(node) > 1:
        return {"allOf": [{"$ref": node.pop("$ref")}], **node}
    return node


def render_schemas() -> dict[str, str]:
    """File name -> file text, byte-stable."""
    return {
        f"{kind}.schema.json": json.dumps(
            record_schema(kind), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
        for kind in sorted(SCHEMA_MODELS)
    }


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema whose text changed; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        target = folder / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            write_atomic(target, text.encode("utf-8"))
            written.append(target)
    return written


def stale_schemas(folder: Path) -> list[str]:
    """Names of the schema files in `folder` that are missing or differ from the models'."""
    return [
        name
        for name, text in render_schemas().items()
        if not (folder / name).is_file() or (folder / name).read_text("utf-8") != text
    ]
