"""`kb import` as one transaction: a run adds every reference it planned, each with its stub, or
nothing at all.

Under the knowledge base's write lock (no other kb command writes meanwhile):

1. What an earlier run left half-done (a `.kb-import-*` staging folder: the run was killed, or
   the machine stopped) is undone first.
2. The stubs are written into a new staging folder inside the evidence folder (the same file
   system, so moving them in is one link each), then a journal: references.bib's digest and size
   before and after, and each stub's place and digest. Until the journal exists nothing outside
   the staging folder has changed.
3. references.bib is replaced whole and atomically by the text the plan checked (it parses, holds
   every old and new key once, and stays within kb's limits).
4. Each stub is linked into place; linking fails rather than replace a file.
5. The journal is removed (the run is done), then the staging folder.

A failure or a signal (SIGINT, SIGTERM, SIGHUP) at any step undoes the steps before it at once. A
kill that leaves no chance to (SIGKILL, a power cut) leaves the journal, and the next import
undoes the run from it before it starts. Either way no trace of the run remains, and running the
import again adds each reference exactly once. A staging folder that git tracks was not left by
a run on this machine: it is reported and never acted on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from kb.files import digest, display_path, tracked_by_git, write_atomic
from kb.imports.plan import DEFAULT_OPTIONS, ImportOptions, ImportPlan, plan_import
from kb.inputs import BIB_NAME
from kb.interrupts import signals_deferred, signals_raise
from kb.locking import write_lock
from kb.problems import IMPORT_NOT_WRITTEN, Problem

STAGING_PREFIX = ".kb-import-"
JOURNAL = "journal.json"
BEFORE = "references.bib.before"
"""references.bib as it was, kept in the staging folder when `--update` edits entries (an append
alone is undone by cutting the file back to its old size)."""
_STUB_PATH = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9-]*\.yaml$")


def import_references(
    evidence: Path,
    files: list[Path],
    options: ImportOptions = DEFAULT_OPTIONS,
    dry_run: bool = False,
) -> tuple[ImportPlan, list[Problem]]:
    """Plan the import of `files` and, unless `dry_run`, apply it, holding the write lock: the
    plan and every problem of the run."""
    if dry_run:
        plan = plan_import(evidence, files, options)
        return plan, list(plan.problems)
    with write_lock(evidence, "import"), signals_raise():
        leftovers = recover(evidence)
        if leftovers:
            return ImportPlan(evidence / BIB_NAME, b""), leftovers
        plan = plan_import(evidence, files, options)
        return plan, [*plan.problems, *apply_import(plan)]


def recover(evidence: Path) -> list[Problem]:
    """Undo every run that stopped half-way; a problem for each that cannot be undone."""
    problems = []
    for staging in sorted(evidence.glob(f"{STAGING_PREFIX}*")):
        if not staging.is_dir() or staging.is_symlink():
            continue
        if tracked_by_git(staging):
            problems.append(
                _stuck(
                    staging,
                    "is tracked by git: it was not left by an import on this machine",
                    f"remove it from the repository (git rm -r {display_path(staging)})",
                )
            )
            continue
        with signals_deferred():
            problem = undo(evidence, staging)
        problems += [problem] if problem else []
    return problems


def apply_import(plan: ImportPlan) -> list[Problem]:
    """Add the planned entries, updates and stubs as one transaction (see the module's
    description)."""
    if not plan.changes:
        return []
    evidence = plan.bib.parent
    bib = display_path(plan.bib)
    current = plan.bib.read_bytes() if plan.bib.is_file() else b""
    if digest(current) != digest(plan.bib_before):
        return [
            Problem.in_file(
                bib,
                IMPORT_NOT_WRITTEN,
                "references.bib changed while importing: nothing was added",
                "run the import again",
            )
        ]
    staging: Path | None = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=evidence))
        _stage(plan, staging)
        _write_bibliography(plan)
        for target, _ in plan.stubs:
            target.parent.mkdir(exist_ok=True)
            _move_in(staging / target.name, target)
        (staging / JOURNAL).unlink()  # the run is complete
    except BaseException as error:
        with signals_deferred(), contextlib.suppress(OSError):
            if staging is not None:
                undo(evidence, staging)  # if this fails too, the next run undoes it
        if not isinstance(error, OSError):
            raise
        name = display_path(Path(error.filename)) if error.filename else bib
        return [
            Problem.in_file(
                name,
                IMPORT_NOT_WRITTEN,
                f"could not write: {error.strerror or error}; nothing was added",
                "check the file and folder permissions and the free space, then run the "
                "import again",
            )
        ]
    shutil.rmtree(staging, ignore_errors=True)
    return []


def _stage(plan: ImportPlan, staging: Path) -> None:
    """Write every stub into the staging folder and, last, the journal."""
    evidence = plan.bib.parent.absolute()
    folders = sorted({target.absolute().parent for target, _ in plan.stubs} - {evidence})
    created = [folder for folder in folders if not folder.is_dir()]  # made when moving in
    for target, text in plan.stubs:
        try:
            (staging / target.name).write_bytes(text.encode("utf-8"))
        except OSError as error:  # tell the stub it was for, not the staging folder
            raise OSError(error.errno, error.strerror, str(target)) from None
    after = plan.bib_after
    if plan.edited is not None:
        (staging / BEFORE).write_bytes(plan.bib_before)
    journal = {
        "format": 1,
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "bib_existed": plan.bib.is_file(),
        "before": {"sha256": digest(plan.bib_before), "size": len(plan.bib_before)},
        "after": {"sha256": digest(after), "size": len(after)},
        "stubs": {
            target.absolute().relative_to(evidence).as_posix(): digest(text.encode("utf-8"))
            for target, text in plan.stubs
        },
        "folders": [folder.relative_to(evidence).as_posix() for folder in created],
    }
    write_atomic(staging / JOURNAL, json.dumps(journal, indent=1).encode())


def _write_bibliography(plan: ImportPlan) -> None:
    write_atomic(plan.bib, plan.bib_after)


def _move_in(staged: Path, target: Path) -> None:
    os.link(staged, target)  # unlike a rename, fails when the name is taken


def undo(evidence: Path, staging: Path) -> Problem | None:
    """Undo the run whose staging folder is `staging`, whatever step it stopped at, and remove
    the folder; the problem when references.bib was edited since, so it cannot be undone (the
    folder is kept)."""
    journal = _read_journal(staging)
    if journal is None:  # stopped before the journal: nothing outside the folder changed
        shutil.rmtree(staging, ignore_errors=True)
        return None
    bib = evidence / BIB_NAME
    current = bib.read_bytes() if bib.is_file() else b""
    before, after = journal["before"], journal["after"]
    restore = current[: before["size"]]
    if digest(restore) != before["sha256"]:  # entries were edited: the old file was kept
        with contextlib.suppress(OSError):
            restore = (staging / BEFORE).read_bytes()
    if digest(current) == after["sha256"] and digest(restore) == before["sha256"]:
        if journal["bib_existed"]:
            write_atomic(bib, restore)
        else:
            bib.unlink()
    elif digest(current) != before["sha256"]:
        return _stuck(
            staging,
            f"holds an import that stopped half-way (started {journal['started']}) and "
            "cannot be undone: references.bib was edited since; nothing was added",
            f"check the last entries of references.bib and the stubs listed in "
            f"{display_path(staging / JOURNAL)}, then delete {display_path(staging)}",
        )
    for relative, expected in journal["stubs"].items():
        stub = evidence / relative
        with contextlib.suppress(OSError):
            if not stub.is_symlink() and digest(stub.read_bytes()) == expected:
                stub.unlink()  # kb wrote it and nobody changed it since
    for relative in reversed(journal["folders"]):
        with contextlib.suppress(OSError):
            (evidence / relative).rmdir()  # only when empty
    (staging / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return None


def _read_journal(staging: Path) -> dict[str, Any] | None:
    """The journal, when it has exactly the shape `_stage` writes: paths inside the record
    folders only, so a damaged journal can never name another file."""
    try:
        data = json.loads((staging / JOURNAL).read_bytes())
        for side in (data["before"], data["after"]):
            if not (isinstance(side["sha256"], str) and isinstance(side["size"], int)):
                return None
        stubs, folders = data["stubs"], data["folders"]
        if not isinstance(data["started"], str) or not isinstance(data["bib_existed"], bool):
            return None
        if not all(_STUB_PATH.match(p) and isinstance(h, str) for p, h in stubs.items()):
            return None
        if not all(isinstance(f, str) and re.fullmatch(r"[a-z]+", f) for f in folders):
            return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _stuck(staging: Path, message: str, hint: str) -> Problem:
    return Problem.in_file(display_path(staging), IMPORT_NOT_WRITTEN, f"{message}", hint)
