"""The schema pass: validate one record's data against its model; errors become positioned problems.

pydantic reports each error with the path (`loc`) of the offending value; the source map turns
that path into the line and column the contributor wrote it at.
"""

from __future__ import annotations

import contextlib
import copy
import re
import types
import typing
import unicodedata
from typing import Any

from pydantic import BaseModel, ValidationError

from kb.load import SourceMap
from kb.model import PARTIAL_DATE_PATTERN, URL_PATTERN, Record
from kb.problems import (
    INVALID_VALUE,
    MALFORMED_IDENTIFIER,
    MISSING_FIELD,
    NOT_ALLOWED,
    UNKNOWN_FIELD,
    WRONG_TYPE,
    Loc,
    Problem,
    did_you_mean,
)

_IDENTIFIER_FORMATS = {
    "doi": "10.<registrant>/<suffix>, without 'https://doi.org/'",
    "pmid": "digits only, e.g. 31818843",
    "pmcid": "'PMC' then digits, e.g. PMC6924808",
    "nct": "'NCT' then 8 digits, e.g. NCT03398291",
    "eudract": "YYYY-NNNNNN-CC, e.g. 2019-002734-37",
}
_TYPE_NAMES = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "model_attributes": "a mapping",
}


def validate_record(
    model: type[BaseModel], data: dict[str, Any], source: SourceMap, path: str
) -> tuple[Record | None, list[Problem]]:
    """Problems for every schema error, and the record if one can still be made.

    When the data is invalid, the offending values are pruned (a bad list item goes whole, a
    bad optional field goes) and validation is tried again, so that the rest of the record
    still takes part in the cross-record rules. The problems reported are from the first pass.
    """
    try:
        return typing.cast(Record, model.model_validate(data)), []
    except ValidationError as error:
        problems = [_problem(model, err, data, source, path) for err in error.errors()]
        errors = error.errors()
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    pruned: Any = copy.deepcopy(data)
    for _ in range(_PRUNE_ROUNDS):
        cuts = {_cut(tuple(err["loc"]), err["type"]) for err in errors}
        if any(len(cut) == 0 or (len(cut) == 1 and cut[0] in required) for cut in cuts):
            return None, problems
        # deepest and last first, so removing one list item does not shift another's index
        for cut in sorted(cuts, key=lambda c: [(isinstance(p, str), p) for p in c], reverse=True):
            parent = _lookup(pruned, cut[:-1])
            if isinstance(parent, dict | list):
                with contextlib.suppress(KeyError, IndexError, TypeError):
                    del parent[cut[-1]]  # type: ignore[arg-type]
        try:
            return typing.cast(Record, model.model_validate(pruned)), problems
        except ValidationError as again:
            errors = again.errors()
    return None, problems


_PRUNE_ROUNDS = 4


def _cut(loc: Loc, kind: str) -> Loc:
    """What to remove for an error at `loc`: the list item holding it, else the field itself
    (for a missing field, the mapping that lacks it)."""
    if kind == "missing":
        loc = loc[:-1]
    end = next((i + 1 for i, part in enumerate(loc) if isinstance(part, int)), len(loc))
    return loc[:end]


def _problem(model: type[BaseModel], err: Any, data: Any, source: SourceMap, path: str) -> Problem:
    loc: Loc = tuple(err["loc"])
    kind: str = err["type"]
    where = _dotted(loc)
    given = _lookup(data, loc)
    if kind == "missing":
        line, col = source.key(loc[:-1]) if loc[:-1] else (1, 1)
        parent = f" in '{_dotted(loc[:-1])}'" if loc[:-1] else ""
        return Problem(
            path,
            line,
            col,
            MISSING_FIELD,
            f"missing required field '{loc[-1]}'{parent}",
            f"add '{loc[-1]}:'",
        )
    if kind == "extra_forbidden":
        line, col = source.key(loc)
        allowed = _fields_at(model, loc[:-1])
        hint = did_you_mean(str(loc[-1]), allowed) or f"allowed: {', '.join(sorted(allowed))}"
        return Problem(path, line, col, UNKNOWN_FIELD, f"unknown field '{where}'", hint)
    line, col = source.value(loc)
    if kind == "literal_error":
        allowed = [a.strip("'") for a in err["ctx"]["expected"].replace(" or ", ", ").split(", ")]
        if given is None:  # a key left empty, as in a record 'kb new' or 'kb import' wrote
            return Problem(
                path,
                line,
                col,
                NOT_ALLOWED,
                f"'{where}' is empty",
                f"fill in one of: {', '.join(allowed)}",
            )
        hint = did_you_mean(str(given), allowed) or f"allowed: {', '.join(allowed)}"
        return Problem(
            path,
            line,
            col,
            NOT_ALLOWED,
            f"'{where}' is '{given}', not one of the allowed values",
            hint,
        )
    if kind.endswith("_type") or kind == "model_attributes_type":
        expected = _TYPE_NAMES.get(kind.removesuffix("_type"), kind.removesuffix("_type"))
        if given is None:
            return Problem(
                path,
                line,
                col,
                WRONG_TYPE,
                f"'{where}' is empty",
                f"fill in {expected} after '{loc[-1]}:'",
            )
        return Problem(
            path,
            line,
            col,
            WRONG_TYPE,
            f"'{where}' should be {expected}, got {_describe(given)}",
            _type_hint(kind, given),
        )
    if kind == "string_pattern_mismatch" and err["ctx"]["pattern"] == URL_PATTERN:
        return Problem(
            path,
            line,
            col,
            INVALID_VALUE,
            f"'{where}' is '{given}', not a web address",
            "links are http:// or https:// addresses, without spaces",
        )
    if kind == "string_pattern_mismatch" and loc[:1] == ("identifiers",) and loc[-1:] == ("value",):
        name = str(loc[1])
        return Problem(
            path,
            line,
            col,
            MALFORMED_IDENTIFIER,
            f"malformed {name.upper()} '{given}'",
            f"expected {_IDENTIFIER_FORMATS.get(name, 'the registry format')}",
        )
    if kind == "string_pattern_mismatch" and _is_id_field(loc):
        return Problem(
            path,
            line,
            col,
            INVALID_VALUE,
            f"'{where}' is '{given}', not a valid id",
            _id_hint(str(given)),
        )
    if kind == "string_pattern_mismatch" and err["ctx"]["pattern"] == PARTIAL_DATE_PATTERN:
        return Problem(
            path,
            line,
            col,
            INVALID_VALUE,
            f"'{where}' is '{given}', not a date",
            "write YYYY, YYYY-MM or YYYY-MM-DD",
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    return Problem(path, line, col, INVALID_VALUE, f"'{where}': {message.lower()}", None)


def _id_hint(given: str) -> str:
    """Name the first character that is not allowed: a Cyrillic o looks like a Latin one and a
    zero-width space like nothing, so the contributor could not see what is wrong."""
    rule = "ids are lower-case a-z, 0-9 and single hyphens, e.g. 'oweira-2017'"
    odd = next((c for c in given if not (c.isascii() and (c.isalnum() or c == "-"))), None)
    if odd is not None and odd.isascii() and odd.isprintable():
        return f"'{odd}' is not allowed: {rule}"
    if odd is not None:
        name = unicodedata.name(odd, "a control character")
        return f"U+{ord(odd):04X} {name} is not allowed: {rule}"
    if given != given.lower():
        return f"upper case is not allowed: {rule}"
    return rule


def _is_id_field(loc: Loc) -> bool:
    names = {"id", "claim", "study", "depends_on", "tests", "see_also"}
    return any(part in names for part in loc if isinstance(part, str))


def _type_hint(kind: str, given: Any) -> str | None:
    if kind in {"int_type", "float_type"} and isinstance(given, str):
        if re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*", given):
            return "write the number without quotes"
        # '127 patients', '0.72 (0.58-0.89)': the number goes alone, the rest where it belongs
        return (
            "write the number alone; the words and figures around it go in their own fields "
            "(ci, unit, n, p) or in 'note'"
        )
    if kind == "string_type" and given is not None:
        return "put the value in quotes"
    if kind == "list_type":
        return "write each item on its own line starting with '- '"
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"'{value}'"


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lookup(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Names of the fields allowed at `loc`, found by walking the model's annotations."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """The model inside list[...], X | None and Annotated[...]."""
    for arg in (annotation, *_flatten_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _flatten_args(annotation: Any) -> list[Any]:
    out: list[Any] = []
    for arg in typing.get_args(annotation):
        out.append(arg)
        if typing.get_origin(arg) in (list, typing.Union, types.UnionType, typing.Annotated):
            out.extend(_flatten_args(arg))
    return out
