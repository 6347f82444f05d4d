"""What an editor shows for each field of a record: a description and examples, written into the
JSON Schemas (yaml-language-server shows both on hover and offers the examples as completions).

Each model keeps them beside its fields, in a `field_docs` table: a description for a field whose
`Field(description=...)` does not give one, and examples for every field. A test fails when a
field of a schema has no description, no examples, or an example its own schema rejects.
"""

from __future__ import annotations

from typing import Any

Doc = tuple[str | None, list[Any]]
"""(description, or None to keep the one the model's Field gives; examples)."""


def document_fields(schema: dict[str, Any], model: type) -> None:
    """Give every property of a model's schema its description (unless the field has one) and
    examples from the `field_docs` of the model and its bases; pydantic calls it for each
    model (json_schema_extra)."""
    docs: dict[str, Doc] = {}
    for cls in reversed(model.__mro__):
        docs.update(vars(cls).get("field_docs", {}))
    for name, prop in schema.get("properties", {}).items():
        description, examples = docs.get(name, (None, []))
        if description and "description" not in prop:
            prop["description"] = description
        if examples:
            prop["examples"] = examples
