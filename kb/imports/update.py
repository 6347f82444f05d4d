"""`kb import --update`: what an export adds to an entry already in references.bib (a PMID that
arrived later, an abstract), written into that entry's own text.

Only the fields the entry lacks are added; a field it has is a curated value, replaced only with
`--force`. The file is edited in place, not rewritten: new fields go before the entry's closing
brace in its own indentation, a replaced value takes the place of the old one, and every other
byte of the file stays as it was. The edited file is read back before it is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pybtex.database import Person

from kb.cite import BibEntry, Bibliography, latex_to_text, parse_bibliography
from kb.imports.bibtex import written_value
from kb.imports.reference import FIELD_ORDER, Reference, month_macro, page_range


@dataclass
class EntryUpdate:
    key: str
    source: str
    """'file:line' of the reference in the export."""
    why: str
    added: dict[str, str] = field(default_factory=dict)
    """Field -> value as written into references.bib."""
    replaced: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    """Fields the entry has and the export gives differently, left as they are."""


def plan_update(entry: BibEntry, reference: Reference, force: bool, why: str) -> EntryUpdate:
    update = EntryUpdate(entry.key, f"{reference.path}:{reference.line}", why)
    for name in FIELD_ORDER:
        ours, theirs = entry.fields.get(name, "").strip(), reference.fields.get(name)
        if not theirs:
            continue
        if not ours:
            update.added[name] = theirs
        elif not same_value(name, ours, theirs):
            if force:
                update.replaced[name] = theirs
            else:
                update.kept.append(name)
    if "doi" in entry.fields or "doi" in update.added:
        update.added.pop("url", None)  # the DOI is the lasting address
    return update


def _text(value: str) -> str:
    return " ".join(latex_to_text(value).replace("{", "").replace("}", "").split()).casefold()


def same_value(name: str, ours: str, theirs: str) -> bool:
    """Whether two values of a field say the same, however written: LaTeX or Unicode, spacing,
    case, '101-10' or '101--110', 'feb' or 'February', 'J. Smith' or 'John Smith'."""
    if name in {"author", "editor"}:
        return _families(ours) == _families(theirs)
    if name == "month":
        return month_macro(latex_to_text(ours)) == month_macro(latex_to_text(theirs))
    if name == "pages":
        return _text(page_range(ours)) == _text(page_range(theirs))
    return _text(ours) == _text(theirs)


def _families(names: str) -> list[str]:
    try:
        people = [Person(name) for name in re.split(r"\s+and\s+", names.strip())]
    except Exception:  # pybtex raises its own errors for odd names: compare as text
        return [_text(names)]
    return [_text(" ".join(p.prelast_names + p.last_names)) for p in people]


_FIELD_LINE = re.compile(r"^([ \t]*)([A-Za-z][\w-]*)([ \t]*)=[ \t]*", re.MULTILINE)


class UpdateError(ValueError):
    """The entry is written in a way the update does not edit safely; nothing is changed."""


def edit_entries(text: str, updates: list[EntryUpdate]) -> str:
    """`text` (references.bib) with each update written into its entry; UpdateError when the
    result would not read back with exactly those changes."""
    before = parse_bibliography(text, "references.bib")
    for update in updates:
        if update.added or update.replaced:
            text = _edit_entry(text, update)
    _check_read_back(before, text, updates)
    return text


def _entry_span(text: str, key: str) -> tuple[int, int]:
    """Offsets of the opening and the closing brace of the entry named `key`."""
    start = re.search(rf"@\s*[A-Za-z]+\s*\{{\s*{re.escape(key)}\s*,", text, re.IGNORECASE)
    if start is None:
        raise UpdateError(f"entry '{key}' is not written as '@type{{{key}, ...}}'")
    opening = text.index("{", start.start())
    return opening, _closing(text, opening)


def _closing(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise UpdateError("an entry's braces do not close")


def _value_end(text: str, start: int, end: int) -> int:
    """Where the value starting at `start` ends: at a ',' or the entry's end, outside braces
    and quotes."""
    depth, quoted = 0, False
    for index in range(start, end):
        char = text[index]
        if char == '"' and depth == 0:
            quoted = not quoted
        elif char in "{}":
            depth += 1 if char == "{" else -1
        elif char == "," and depth == 0 and not quoted:
            return index
    return end


def _edit_entry(text: str, update: EntryUpdate) -> str:
    opening, closing = _entry_span(text, update.key)
    fields = {m.group(2).lower(): m for m in _FIELD_LINE.finditer(text, opening, closing)}
    if missing := sorted(set(update.replaced) - set(fields)):
        raise UpdateError(
            f"entry '{update.key}' does not give its field '{missing[0]}' on a line of its own"
        )
    for name, value in sorted(update.replaced.items(), key=lambda i: -fields[i[0]].end()):
        start = fields[name].end()
        end = _value_end(text, start, closing)
        while text[end - 1].isspace():
            end -= 1
        text = text[:start] + written_value(name, value) + text[end:]
        opening, closing = _entry_span(text, update.key)
    if not update.added:
        return text
    first = next(iter(fields.values()), None)
    indent = first.group(1) if first else "  "
    width = len(first.group(2) + first.group(3)) if first and len(first.group(3)) > 1 else 0
    lines = [
        f"{indent}{name.ljust(width - 1) if width else name} = {written_value(name, value)}"
        for name, value in update.added.items()
    ]
    body = text[opening + 1 : closing].rstrip()
    at = opening + 1 + len(body)
    if body.endswith(","):
        insert = "".join(f"\n{line}," for line in lines)
    else:
        insert = "".join(f",\n{line}" for line in lines)
    return text[:at] + insert + text[at:]


def _check_read_back(before: Bibliography, text: str, updates: list[EntryUpdate]) -> None:
    bibliography = parse_bibliography(text, "references.bib")
    edited = {update.key.casefold() for update in updates}
    if len(bibliography.problems) != len(before.problems):
        raise UpdateError("the file would no longer read as before")
    for key, entry in before.entries.items():
        after = bibliography.get(key)
        if key.casefold() not in edited and (after is None or after.fields != entry.fields):
            raise UpdateError(f"entry '{key}' would read differently")
    for update in updates:
        edited_entry = bibliography.get(update.key)
        values = {**update.added, **update.replaced}
        alone = parse_bibliography(
            "@misc{x,\n"
            + ",\n".join(f"{n} = {written_value(n, v)}" for n, v in values.items())
            + "\n}\n",
            "x.bib",
        ).get("x")
        if edited_entry is None or alone is None:
            raise UpdateError(f"entry '{update.key}' does not read back")
        if any(edited_entry.fields.get(name) != alone.fields.get(name) for name in values):
            raise UpdateError(f"entry '{update.key}' does not read back as written")
