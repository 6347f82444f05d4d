"""`kb build` stopped, killed, run twice at once, or pointed at a site folder it must not replace:
real `kb` processes, real signals, a stand-in engine (tests/fixtures/fake-engine) that keeps
building until it is stopped, a real mount point when the tests run as root."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_project import files

from kb import build as kb_build
from kb.build import BuildError, BuildOptions

TESTS = Path(__file__).resolve().parent
FIXTURE = TESTS / "fixtures" / "site-kb"
ENGINE = TESTS / "fixtures" / "fake-engine"
DAY = dt.date(2026, 11, 28)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A knowledge base to build, a previous site, and a configuration (the stand-in engine
    does not read it)."""
    shutil.copytree(FIXTURE, tmp_path / "evidence")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("previous")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    return tmp_path


def start_build(project: Path, engine: str = "hang") -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ENGINE),
        "KB_FAKE_ENGINE": engine,
        "KB_FAKE_ENGINE_PID": str(project / "engine.pid"),
        "SOURCE_DATE_EPOCH": "1795737600",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "kb", "build", "--evidence", "evidence", "--docs", "docs"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def engine_pid(project: Path, build: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while not (project / "engine.pid").exists():
        assert build.poll() is None, build.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return int((project / "engine.pid").read_text())


def gone(pid: int, within: float = 10) -> bool:
    """Whether the process ends (or is only a zombie left to be reaped) within the time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in "ZX":
            return True
        time.sleep(0.02)
    return False


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.startswith(".site"))


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stopped_build_stops_the_engine_and_leaves_the_previous_site(
    project: Path, how: signal.Signals
) -> None:
    build = start_build(project)
    engine = engine_pid(project, build)
    assert leftovers(project) != []  # the engine is writing into its temporary folder
    build.send_signal(how)
    _, err = build.communicate(timeout=30)
    assert build.returncode == (1 if how == signal.SIGINT else 128 + how), err
    assert "Traceback" not in err
    assert gone(engine), "the engine outlived kb"
    assert leftovers(project) == []
    assert (project / "site" / "index.html").read_text() == "previous"


def test_a_killed_build_takes_the_engine_with_it_and_the_next_cleans_up(project: Path) -> None:
    build = start_build(project)
    engine = engine_pid(project, build)
    build.kill()
    build.communicate(timeout=30)
    assert gone(engine), "the engine outlived kb killed by SIGKILL"
    assert leftovers(project) != []  # no chance to clean up
    (project / "engine.pid").unlink()
    again = start_build(project, engine="build")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, out + err
    assert leftovers(project) == []
    assert (project / "site" / "index.html").read_text() == "built by the stand-in engine\n"


def test_two_builds_at_once_cannot_collide(project: Path) -> None:
    first = start_build(project)
    engine_pid(project, first)
    second = start_build(project, engine="build")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 2
    assert f"is being written by kb build (pid {first.pid}) since " in err
    assert err.count("\n") == 1
    first.terminate()
    first.communicate(timeout=30)
    assert leftovers(project) == []
    assert (project / "site" / "index.html").read_text() == "previous"


_REAL_RUN = subprocess.run


def _built(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The engine's work done in-process; any other command (git) runs for real."""
    if "--site-dir" not in command:
        return _REAL_RUN(command, **kwargs)  # type: ignore[call-overload, no-any-return]
    staging = Path(command[command.index("--site-dir") + 1])
    (staging / "index.html").write_text("new")
    (staging / "assets").mkdir()
    (staging / "assets" / "kb.css").write_text("body {}")
    return subprocess.CompletedProcess(command, 0, "", "")


def test_stale_folders_of_a_crashed_build_are_removed_and_an_old_site_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between the swap's two renames left the previous site aside and none in place."""
    (tmp_path / ".site.build-abc123" / "half").mkdir(parents=True)
    (tmp_path / ".site.old-def456" / "site").mkdir(parents=True)
    (tmp_path / ".site.old-def456" / "site" / "index.html").write_text("previous")
    seen: list[str] = []

    real_run = subprocess.run

    def build(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if "--site-dir" not in command:  # git, asked whether it tracks the folders
            return real_run(command, **kwargs)  # type: ignore[call-overload, no-any-return]
        seen.extend(leftovers(tmp_path))
        assert (tmp_path / "site" / "index.html").read_text() == "previous"
        return _built(command, **kwargs)

    monkeypatch.setattr(kb_build.subprocess, "run", build)
    kb_build.run_mkdocs(BuildOptions(site=tmp_path / "site", config=tmp_path / "mkdocs.yml"))
    assert seen and [name for name in seen if "abc123" in name or "def456" in name] == []
    assert leftovers(tmp_path) == []
    assert (tmp_path / "site" / "index.html").read_text() == "new"


def test_a_site_that_is_a_link_is_refused_not_replaced(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the site's")
    (tmp_path / "site").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(BuildError, match=r"site is a symbolic link \(to .*elsewhere\)"):
        kb_build.run_mkdocs(BuildOptions(site=tmp_path / "site", config=tmp_path / "x.yml"))
    assert (tmp_path / "site").is_symlink()
    assert files(elsewhere) == {"keep.txt": b"not the site's"}


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(site)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield site
    finally:
        subprocess.run(["umount", str(site)], check=True)


def test_a_site_that_is_a_mount_point_is_refused_with_a_message(mount_point: Path) -> None:
    (mount_point / "index.html").write_text("served")
    options = BuildOptions(site=mount_point, config=mount_point.parent / "x.yml")
    with pytest.raises(BuildError, match=r"site is a mount point, which kb cannot replace"):
        kb_build.run_mkdocs(options)
    assert files(mount_point) == {"index.html": b"served"}
    assert leftovers(mount_point.parent) == []


def test_the_site_is_readable_under_the_usual_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mkdtemp's 0700 and mkstemp's 0600 made the whole site unreadable to a web server."""
    monkeypatch.setattr(kb_build.subprocess, "run", _built)
    previous = os.umask(0o022)
    try:
        kb_build.run_mkdocs(BuildOptions(site=tmp_path / "site", config=tmp_path / "x.yml"))
        kb_build.generate(BuildOptions(evidence=_copy(tmp_path), docs=tmp_path / "docs"), DAY)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "site").stat().st_mode) == 0o755
    pages = [p for p in (tmp_path / "docs").rglob("*") if p.is_file()]
    assert pages and {stat.S_IMODE(p.stat().st_mode) for p in pages} == {0o644}


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "evidence")
    return tmp_path / "evidence"


@pytest.mark.parametrize(
    "stop", ["generate:stage:3", "generate:_write_manifest:1", "generate:move_into_place:4"]
)
def test_a_generation_killed_outright_is_finished_by_the_next(tmp_path: Path, stop: str) -> None:
    """Killed while its new pages wait in the staging folder, right after it wrote down the
    digests it was about to write, or half-way through moving them into place: the next run
    removes what was left, writes every page, and the docs folder is what one whole run gives."""
    evidence = _copy(tmp_path)
    docs = tmp_path / "docs"
    (docs / "notes").mkdir(parents=True)
    (docs / "notes" / "mine.md").write_text("hand-written\n")
    kb_build.generate(BuildOptions(evidence=evidence, docs=docs), DAY)
    before = files(docs)
    # --offline changes the links of every page, so every page is written again
    command = [sys.executable, str(TESTS / "stop_at.py"), stop, "KILL", "generate", "--offline"]
    command += ["--evidence", "evidence", "--docs", "docs", "--today", DAY.isoformat()]
    killed = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=300, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert files(docs) != before, "the kill came after something was written"
    kb_build.generate(BuildOptions(evidence=evidence, docs=docs, offline=True), DAY)
    fresh = tmp_path / "fresh"
    (fresh / "notes").mkdir(parents=True)
    (fresh / "notes" / "mine.md").write_text("hand-written\n")
    kb_build.generate(BuildOptions(evidence=evidence, docs=fresh, offline=True), DAY)
    assert files(docs) == files(fresh)
    assert not list(docs.glob(".kb-staging-*"))
