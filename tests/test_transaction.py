"""Commands that write hold one lock, and `kb import` is a transaction: real `kb` processes, run at
the same time, stopped by real signals (SIGINT, SIGTERM, SIGKILL) between any two steps."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import check_tree
from helpers import changes, snapshot

from kb.cite import parse_bibliography
from kb.cli import main
from kb.imports.transaction import STAGING_PREFIX
from kb.locking import LOCK_NAME, write_lock

TESTS = Path(__file__).resolve().parent
EXPORTS = TESTS / "fixtures" / "imports"
NBIB = EXPORTS / "pubmed-widgetosis-set.nbib"
CSL = EXPORTS / "zotero-widgetosis.json"
NEW_KEYS = {
    "Muller2024Widgetosis",
    "Berg2024Gadget",
    "Simek2021Long",
    "WidgetStudyGroupWidgets",
}


def kb(
    *args: str | Path, stop: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`kb ARGS` as a real process; with `stop` ('MODULE:FUNCTION[:N] SIGNAL'), stopped there."""
    prefix = [str(TESTS / "stop_at.py"), *stop.split()] if stop else ["-m", "kb"]
    return subprocess.run(
        [sys.executable, *prefix, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def kb_here(*args: str | Path) -> tuple[int, str]:
    """`kb ARGS` in this process (quicker), for the runs that are not stopped: status, output."""
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result.exit_code, result.output


def keys(root: Path) -> list[str]:
    bib = parse_bibliography((root / "references.bib").read_text("utf-8"), "references.bib")
    return [entry.key for entry in bib.entries.values()]


def assert_imported_once(root: Path, expected: set[str]) -> None:
    found = keys(root)
    assert len(found) == len(set(found)), "a key twice"
    assert expected <= set(found)
    assert not [k for k in found if re.fullmatch(r"(Muller2024Widgetosis|Berg2024Gadget)[a-z]", k)]
    assert not list(root.glob(f"{STAGING_PREFIX}*")), "a staging folder left"
    # every entry has its stub and every stub its entry (stubs have fields left to fill in)
    unmatched = {"KB302", "KB401", "KB402", "KB408", "KB409"}
    assert [p for p in check_tree(root) if p.code in unmatched] == []


# ---- import, stopped between any two steps


STEPS = [
    "imports.transaction:_stage",  # stubs and journal staged; nothing else changed yet
    "imports.transaction:_write_bibliography",  # references.bib replaced
    "imports.transaction:_move_in:1",  # the first stub moved in
    "imports.transaction:_move_in:4",  # every stub in; the journal not yet removed
]


@pytest.mark.parametrize("signal_name", ["INT", "TERM"])
@pytest.mark.parametrize("step", STEPS)
def test_a_stopped_import_leaves_nothing(kb_root: Path, step: str, signal_name: str) -> None:
    before = snapshot(kb_root)
    result = kb("import", NBIB, CSL, "--evidence", kb_root, stop=f"{step} {signal_name}")
    assert result.returncode == (143 if signal_name == "TERM" else 1), result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(kb_root) == before
    status, output = kb_here("import", NBIB, CSL, "--evidence", kb_root)
    assert status == 0, output
    assert_imported_once(kb_root, NEW_KEYS)


@pytest.mark.parametrize("step", STEPS)
def test_an_import_killed_outright_is_undone_by_the_next(kb_root: Path, step: str) -> None:
    """SIGKILL leaves no chance to clean up: the journal lets the next run undo the stopped one
    before it starts, so every reference is then added exactly once."""
    before = snapshot(kb_root)
    result = kb("import", NBIB, CSL, "--evidence", kb_root, stop=f"{step} KILL")
    assert result.returncode == -signal.SIGKILL
    leftover = list(kb_root.glob(f"{STAGING_PREFIX}*"))
    assert len(leftover) == 1
    status, _ = kb_here("import", NBIB, "--evidence", kb_root, "--dry-run")  # writes nothing
    assert status == 0 and list(kb_root.glob(f"{STAGING_PREFIX}*")) == leftover
    status, output = kb_here("import", NBIB, CSL, "--evidence", kb_root)
    assert status == 0, output
    assert "4 references added" in output
    assert_imported_once(kb_root, NEW_KEYS)
    added, removed, modified = changes(before, snapshot(kb_root))
    assert (len(added), removed, modified) == (4, set(), {"references.bib"})


def synthetic_export(path: Path, count: int, start: int = 0) -> Path:
    """A MEDLINE export of `count` distinct references, none like another."""
    records = []
    for i in range(start, start + count):
        family = "".join(chr(ord("a") + int(d)) for d in f"{i:05d}").capitalize()
        records.append(
            f"PMID- {800000000 + i}\nDP  - 2020\nTI  - Report {i} on widgets.\n"
            f"FAU - Q{family}, Ann\nJT  - Journal of Tests\n"
        )
    path.write_text("\n".join(records), encoding="utf-8")
    return path


def test_a_large_import_killed_at_any_moment(kb_root: Path, tmp_path: Path) -> None:
    """Killed at whatever moment it has reached once it started writing, then run again."""
    export = synthetic_export(tmp_path / "many.nbib", 300)
    for delay, how in ((0.0, signal.SIGKILL), (0.05, signal.SIGTERM)):
        process = subprocess.Popen(
            [sys.executable, "-m", "kb", "import", str(export), "--evidence", str(kb_root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not list(kb_root.glob(f"{STAGING_PREFIX}*")) and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.002)
        time.sleep(delay)
        process.send_signal(how)
        process.wait(timeout=30)
        if how == signal.SIGTERM and process.returncode == 143:
            assert not list(kb_root.glob(f"{STAGING_PREFIX}*"))
    status, output = kb_here("import", export, "--evidence", kb_root)
    assert status == 0, output[-2000:]
    found = keys(kb_root)
    assert len(found) == len(set(found)) == 302
    assert len(list((kb_root / "studies").glob("*.yaml"))) == 302
    assert not list(kb_root.glob(f"{STAGING_PREFIX}*"))


# ---- one lock for every command that writes


def _wait_until_stopped(pid: int) -> None:
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "T":
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_concurrent_imports_never_lose_an_entry(kb_root: Path, tmp_path: Path) -> None:
    """One import is frozen (SIGSTOP) while it holds the lock; two more started meanwhile are
    each refused at once with the lock's message; the first then finishes, and the two run
    again. Every reference ends up in references.bib exactly once."""
    exports = [synthetic_export(tmp_path / f"part-{n}.nbib", 40, start=40 * n) for n in range(3)]
    first = subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "stop_at.py"),
            "imports.transaction:recover",
            "STOP",
            *("import", str(exports[0]), "--evidence", str(kb_root)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_until_stopped(first.pid)
    others = [
        subprocess.Popen(
            [sys.executable, "-m", "kb", "import", str(export), "--evidence", str(kb_root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for export in exports[1:]
    ]
    for process in others:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 2
        assert re.fullmatch(
            rf"Error: .+ is being written by kb import \(pid {first.pid}\) since "
            r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; wait for it to finish, then run this "
            r"again \(lock: .+\)\n",
            err,
        ), err
    first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    for export in exports[1:]:
        status, output = kb_here("import", export, "--evidence", kb_root)
        assert status == 0, output
    found = keys(kb_root)
    assert len(found) == len(set(found)) == 122


WRITERS = [
    ("import", [str(NBIB), "--evidence", "{kb}"]),
    ("new", ["claim", "a-new-claim", "--evidence", "{kb}"]),
    ("generate", ["--evidence", "{kb}", "--docs", "{tmp}/docs", "--today", "2024-06-01"]),
    ("build", ["--evidence", "{kb}", "--docs", "{tmp}/docs", "--site", "{tmp}/site"]),
    ("resolve", ["{kb}", "--email", "a@example.org", "--crossref-url", "http://127.0.0.1:9"]),
]


@pytest.mark.parametrize(("command", "arguments"), WRITERS, ids=[w[0] for w in WRITERS])
def test_every_writing_command_is_refused_while_another_writes(
    kb_root: Path, tmp_path: Path, command: str, arguments: list[str]
) -> None:
    before = snapshot(kb_root)
    args = [a.format(kb=kb_root, tmp=tmp_path) for a in arguments]
    with write_lock(kb_root, "build"):  # a second open file: refused even in this process
        status, output = kb_here(command, *args)
    assert status == 2
    assert output.count("\n") == 1 and output.startswith("Error: "), output
    assert f"is being written by kb build (pid {os.getpid()}) since " in output
    assert snapshot(kb_root) == before
    assert not (tmp_path / "docs").exists() and not (tmp_path / "site").exists()


def test_a_killed_holder_does_not_block(kb_root: Path) -> None:
    """The kernel releases the lock when its holder dies, even by SIGKILL."""
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from kb.locking import write_lock\n"
            "with write_lock(Path(sys.argv[1]), 'import'):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(kb_root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        status, output = kb_here("new", "claim", "x-claim", "--evidence", kb_root)
        assert status == 2 and f"kb import (pid {holder.pid})" in output
        holder.kill()
    assert (kb_root.parent / LOCK_NAME).exists()  # the file stays; the lock is gone
    result = CliRunner().invoke(main, ["new", "claim", "x-claim", "--evidence", str(kb_root)])
    assert result.exit_code == 0, result.output


def test_a_lock_file_planted_as_a_link_is_not_written_through(kb_root: Path) -> None:
    target = kb_root.parent / "precious.txt"
    target.write_text("keep me")
    (kb_root.parent / LOCK_NAME).symlink_to(target)
    result = CliRunner().invoke(main, ["new", "claim", "x-claim", "--evidence", str(kb_root)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: cannot use ") and LOCK_NAME in result.output
    assert target.read_text() == "keep me"


def test_a_staging_folder_that_git_tracks_is_never_acted_on(kb_root: Path) -> None:
    """A journal committed to a repository could name any stub to delete: it is refused."""
    staging = kb_root / f"{STAGING_PREFIX}planted"
    staging.mkdir()
    (staging / "journal.json").write_text("{}")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e.org")
    for args in (["init", "-q"], ["add", "-f", "."], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=kb_root, check=True, env=env, capture_output=True)
    before = snapshot(kb_root)
    result = kb("import", NBIB, "--evidence", kb_root)
    assert result.returncode == 1
    assert "error[KB807] is tracked by git: it was not left by an import" in result.stdout
    assert snapshot(kb_root) == before


def test_imported_files_have_the_usual_modes(kb_root: Path) -> None:
    """New stubs get the umask's mode (mkstemp's 0600 hid them from everyone else);
    references.bib keeps the mode it had."""
    bib = kb_root / "references.bib"
    bib.chmod(0o640)
    previous = os.umask(0o022)
    try:
        status, output = kb_here("import", NBIB, "--evidence", kb_root)
    finally:
        os.umask(previous)
    assert status == 0, output
    assert stat.S_IMODE(bib.stat().st_mode) == 0o640
    stub = kb_root / "studies" / "muller-2024-widgetosis.yaml"
    assert stat.S_IMODE(stub.stat().st_mode) == 0o644


def test_a_stopped_import_is_not_undone_over_a_later_edit(kb_root: Path) -> None:
    """Killed after writing references.bib; then someone edits references.bib by hand. The
    next import cannot tell that edit from its own text: it changes nothing, says so, and
    keeps the journal for a person to read."""
    stop = "imports.transaction:_write_bibliography KILL"
    assert kb("import", NBIB, "--evidence", kb_root, stop=stop).returncode == -signal.SIGKILL
    bib = kb_root / "references.bib"
    bib.write_text(bib.read_text() + "% a note added by hand\n")
    before = snapshot(kb_root)
    status, output = kb_here("import", CSL, "--evidence", kb_root)
    assert status == 1
    assert "error[KB807] holds an import that stopped half-way (started " in output
    assert "cannot be undone: references.bib was edited since; nothing was added" in output
    assert snapshot(kb_root) == before


@pytest.mark.parametrize(
    "step", ["imports.transaction:_write_bibliography", "imports.transaction:_stage"]
)
def test_an_update_killed_outright_is_undone_to_the_byte(
    kb_root: Path, tmp_path: Path, step: str
) -> None:
    """`--update` edits an entry in the middle of references.bib, so cutting the file back to its
    old size cannot undo it: the old file is kept beside the journal and put back from there."""
    export = tmp_path / "later.nbib"
    export.write_text(
        "PMID- 900000031\nDP  - 2021\nTI  - Survival of patients with liver metastases: a "
        "prospective cohort.\nFAU - Jones, Mary\nAU  - Jones M\nJT  - Cohort reports\nVI  - 7\n",
        encoding="utf-8",
    )
    before = snapshot(kb_root)
    result = kb("import", export, "--update", "--evidence", kb_root, stop=f"{step} KILL")
    assert result.returncode == -signal.SIGKILL
    assert len(list(kb_root.glob(f"{STAGING_PREFIX}*"))) == 1
    status, output = kb_here("import", NBIB, "--evidence", kb_root, "--dry-run")
    assert status == 0, output
    status, output = kb_here("import", export, "--evidence", kb_root, "--update")
    assert status == 0 and "1 entry updated" in output, output
    assert not list(kb_root.glob(f"{STAGING_PREFIX}*"))
    added, removed, modified = changes(before, snapshot(kb_root))
    assert (added, removed, modified) == (set(), set(), {"references.bib"})
    bib = (kb_root / "references.bib").read_text("utf-8")
    assert bib.count("900000031") == 1, "the update made once, not twice"
