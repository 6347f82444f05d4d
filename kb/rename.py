"""`kb rename KIND OLD NEW`: a record's id, its file and every reference to it, in one step.

The new texts are made first, each by replacing only the id's own characters where the record and
the references to it write it (its quotes, comments and layout kept), and read back: each file
must hold the same data as before except the new id where the old one was. Only then are the
files written, each atomically; if a write fails, the ones already written are put back. The
knowledge base is loaded again at the end to confirm that nothing names the old id any more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.corpus import KnowledgeBase, LoadedRecord, load_kb
from kb.errors import KbError
from kb.files import create_atomic, display_path, write_atomic
from kb.interrupts import signals_deferred
from kb.load import parse_yaml
from kb.model import ID_PATTERN
from kb.model.pointers import pointers
from kb.problems import Loc
from kb.templates import OPTIONS, RecordExists, used_ids
from kb.words import counted


class RenameError(KbError):
    """The rename cannot be made as asked; nothing was changed."""


@dataclass
class Rename:
    kind: str
    old: str
    new: str
    source: Path
    target: Path
    texts: dict[Path, str] = field(default_factory=dict)
    """Every file that changes -> its new text (the renamed record under its old path)."""
    references: int = 0
    """References to the record changed in other records and in its own file."""
    mentions: list[str] = field(default_factory=list)
    """'file:line' of text that mentions the old id where no id is expected (a note), left as
    it is."""

    def report(self) -> list[str]:
        """What `kb rename` prints once the rename is made."""
        lines = [
            f"renamed {self.kind} '{self.old}' to '{self.new}': {display_path(self.target)}, "
            f"{counted(self.references, 'reference')} in {counted(len(self.texts), 'file')}"
        ]
        return lines + [
            f"{place}: still mentions '{self.old}' in its text (not a reference; left as it is)"
            for place in self.mentions
        ]


def plan_rename(evidence: Path, kind: str, old: str, new: str) -> Rename:
    """What renaming record `old` of `kind` to `new` changes; raises RenameError (or
    RecordExists, when `new` is taken) and writes nothing."""
    if kind not in OPTIONS:
        raise RenameError(f"unknown record kind '{kind}': expected {', '.join(OPTIONS)}")
    if not re.fullmatch(ID_PATTERN, new) or new == "index":
        raise RenameError(
            f"'{new}' is not a valid id: lower-case a-z, 0-9 and single hyphens, "
            "e.g. 'smith-2020-widgets'"
        )
    kb = load_kb(evidence)
    found = [r for r in kb.records if r.kind == kind and r.raw_id == old]
    if not found:
        raise RenameError(f"no {kind} has the id '{old}' in {display_path(evidence)}")
    if new in used_ids(evidence) or any(r.raw_id == new for r in kb.records):
        raise RecordExists(f"id '{new}' is already used by a record; choose another id")
    record = found[0]
    source = kb.root / record.path
    target = source.with_name(f"{new}.yaml")
    if target.exists() or target.is_symlink():
        raise RecordExists(f"{display_path(target)} exists; kb never overwrites a record")
    plan = Rename(kind, old, new, source, target)
    for loaded in kb.records:
        file = kb.root / loaded.path
        data = _data(file)
        places = [
            loc
            for loc, value, named in pointers(data, loaded.kind)
            if (named, value) == (kind, old)
        ]
        if loaded is record:
            places.append(("id",))
        if places:
            plan.texts[file] = _replaced(file, loaded, places, old, new)
            plan.references += len(places) - (loaded is record)
    plan.mentions = _mentions(kb, plan.texts, old)
    return plan


def _data(file: Path) -> Any:
    """A record file's data as written, valid or not: a stub half filled in names its claims
    too."""
    try:
        return parse_yaml(file.read_bytes(), file.name).data
    except OSError:
        return None


def _replaced(file: Path, loaded: LoadedRecord, places: list[Loc], old: str, new: str) -> str:
    # bytes decoded, not read_text: its newline translation would turn CRLF files into LF ones
    text = file.read_bytes().decode("utf-8")
    lines = text.split("\n")
    for loc in sorted(places, key=loaded.source.value, reverse=True):
        line, col = loaded.source.value(loc)
        current = lines[line - 1]
        start = col - 1
        quote = current[start : start + 1] if current[start : start + 1] in "\"'" else ""
        written = f"{quote}{old}{quote}"
        if not current.startswith(written, start):
            raise RenameError(
                f"{display_path(file)}:{line}:{col}: expected '{old}' here; "
                "change this reference by hand, then rename"
            )
        lines[line - 1] = current[:start] + f"{quote}{new}{quote}" + current[start + len(written) :]
    edited = "\n".join(lines)
    _confirm(file, text, edited, places, new)
    return edited


def _confirm(file: Path, before: str, after: str, places: list[Loc], new: str) -> None:
    """The edited text holds the same data as before, with `new` at each of `places`."""
    old_doc = parse_yaml(before.encode("utf-8"), file.name)
    new_doc = parse_yaml(after.encode("utf-8"), file.name)
    expected = old_doc.data
    for loc in places:
        expected = _set(expected, loc, new)
    if new_doc.data != expected or len(new_doc.problems) != len(old_doc.problems):
        raise RenameError(f"{display_path(file)} would not read back as intended; nothing changed")


def _set(data: Any, loc: Loc, value: str) -> Any:
    if not loc:
        return value
    head, rest = loc[0], loc[1:]
    if isinstance(data, list) and isinstance(head, int):
        copy = list(data)
        copy[head] = _set(copy[head], rest, value)
        return copy
    if isinstance(data, dict):
        return {**data, head: _set(data[head], rest, value)}
    return data


def _mentions(kb: KnowledgeBase, texts: dict[Path, str], old: str) -> list[str]:
    """Where the old id is still written after the rename (a note, a summary): told, not
    changed, since there it is prose, not a reference."""
    word = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-])")
    found = []
    for loaded in kb.records:
        file = kb.root / loaded.path
        try:
            text = texts.get(file) or file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.split("\n"), start=1):
            if word.search(line):
                found.append(f"{display_path(file)}:{number}")
    return found


def apply_rename(plan: Rename, evidence: Path) -> None:
    """Write the plan: the record under its new name, then every other changed file, then
    remove the old file; load the knowledge base again to confirm that nothing names the old id.
    On any failure every file is put back as it was."""
    originals = {file: file.read_bytes() for file in plan.texts}
    try:
        create_atomic(plan.target, plan.texts[plan.source].encode("utf-8"))
    except FileExistsError:
        raise RecordExists(
            f"{display_path(plan.target)} exists; kb never overwrites a record"
        ) from None
    try:
        for file, text in plan.texts.items():
            if file != plan.source:
                write_atomic(file, text.encode("utf-8"))
        plan.source.unlink()
        _confirm_renamed(plan, evidence)
    except BaseException:
        with signals_deferred():  # a second Ctrl-C must not stop the putting back half-way
            for file, data in originals.items():
                if not file.exists() or file.read_bytes() != data:
                    write_atomic(file, data)
            plan.target.unlink(missing_ok=True)
        raise


def _confirm_renamed(plan: Rename, evidence: Path) -> None:
    kb = load_kb(evidence)
    left = [
        loaded.path
        for loaded in kb.records
        for _, value, named in pointers(_data(kb.root / loaded.path), loaded.kind)
        if (named, value) == (plan.kind, plan.old)
    ]
    if left or not any(r.kind == plan.kind and r.raw_id == plan.new for r in kb.records):
        raise RenameError(
            f"after the rename, {', '.join(left) or 'no record'} named '{plan.old}'; "
            "every file was put back"
        )
