"""Generate the site's pages from the evidence, then build it with MkDocs into site/.

The engine runs in a subprocess (`python -m mkdocs build --strict`), so kb's own code never
depends on MkDocs and the same generated files build with Zensical. The site is built into a
temporary folder beside the target and swapped in only when the build succeeds: a failed or
stopped build leaves the previous site untouched, and the next one removes any temporary folder
a crash left. A site folder that is a symbolic link or a mount point is refused, never replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kb import vancouver
from kb.cache import CacheFolder, CheckCache
from kb.check import analyse_path
from kb.clock import resolve_today
from kb.errors import KbError
from kb.files import display_path, display_prefix, tracked_by_git, usual_mode
from kb.generate import GenerationReport, sync_generated
from kb.history import claim_history
from kb.inputs import Inputs, relative_path
from kb.interrupts import signals_raise
from kb.locking import write_lock
from kb.problems import Problem, Severity
from kb.render.common import Site
from kb.render.reuse import Reuse, settings_key
from kb.render.site import site_files
from kb.report import format_text
from kb.words import counted


class BuildError(KbError):
    """The evidence has errors, or the engine failed; the message says which, the details show
    each problem or the engine's output."""

    def __init__(
        self, message: str, problems: list[Problem] | None = None, details: list[str] | None = None
    ) -> None:
        super().__init__(message, details or [])
        self.problems = problems or []


@dataclass(frozen=True)
class BuildOptions:
    evidence: Path = Path("evidence")
    docs: Path = Path("site_src")
    site: Path = Path("site")
    config: Path = Path("mkdocs.yml")
    offline: bool = False
    """Build for reading from file:// (Material's offline plugin, no directory URLs)."""
    cache: CacheFolder | None = None
    """The cache folder: each commit's analysed claims for the claim histories (kb.history)
    and, when it is a CheckCache, the records, problems and page keys of the last runs
    (kb.check, kb.render.reuse); None analyses and renders everything afresh."""


def evidence_date(evidence: Path, environ: Mapping[str, str] | None = None) -> dt.date:
    """SOURCE_DATE_EPOCH, else the date of the last commit that touched the evidence, else today."""
    env = os.environ if environ is None else environ
    if env.get("SOURCE_DATE_EPOCH"):
        return resolve_today(None, env)
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%cs", "--", "."],
            cwd=evidence,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode == 0 and result.stdout.strip():
            return dt.date.fromisoformat(result.stdout.strip())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    return resolve_today(None, env)


def generate(options: BuildOptions, today: dt.date) -> GenerationReport:
    """Check the evidence and write the generated pages, holding the write lock; errors in the
    evidence stop here."""
    with write_lock(options.evidence, "generate"), signals_raise():
        return _generate(options, today)


def _generate(options: BuildOptions, today: dt.date) -> GenerationReport:
    cache = options.cache if isinstance(options.cache, CheckCache) else None
    evidence, problems, inputs = analyse_path(options.evidence, today, cache)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        prefix = display_prefix(options.evidence)
        raise BuildError(
            f"the evidence has {counted(len(errors), 'error')}; run 'kb check'",
            errors,
            [format_text(problem, prefix) for problem in errors],
        )
    site = Site(
        evidence,
        today,
        evidence_date(options.evidence),
        directory_urls=not options.offline,
        history=claim_history(options.evidence, options.cache),
        site_url=os.environ.get("KB_SITE_URL") or None,
    )
    reuse = _reuse(site, inputs, options.docs, cache)
    references = cache.store("references") if cache is not None else None
    if references is not None:
        vancouver.preload(references.load())
    report = sync_generated(options.docs, site_files(site, reuse))
    reuse.save()
    if references is not None:
        references.replace(vancouver.formatted_references())
        references.save()
    return report


def _reuse(site: Site, inputs: Inputs, docs: Path, cache: CheckCache | None) -> Reuse:
    """What lets unchanged record pages be read back rather than rendered (kb.render.reuse);
    nothing without a cache."""
    if cache is None or cache.refused:
        return Reuse.none()
    files = {
        relative_path(file, inputs.root): inputs.key(file, kind)
        for file, kind in [*inputs.records, (inputs.question, "question")]
        if inputs.content.get(file) is not None
    }
    lock = inputs.key(inputs.lock, "lock")
    return Reuse(cache.store("pages"), docs, files, settings_key(site, files, lock))


def build(options: BuildOptions, today: dt.date) -> GenerationReport:
    """Generate the pages and build the site, holding the write lock throughout. SIGTERM and
    SIGHUP stop it as Ctrl-C does: the engine is killed and its temporary folder removed."""
    with write_lock(options.evidence, "build"), signals_raise():
        check_site_folder(options.site)
        report = _generate(options, today)
        _release_memory(options.cache)
        run_mkdocs(options)
        return report


def _release_memory(cache: CacheFolder | None) -> None:
    """Give back what generation held before MkDocs starts: kb waits for MkDocs, so whatever it
    still holds adds to MkDocs' own memory (and Linux counts it in MkDocs' peak, as the copy
    MkDocs starts as). The cache's stores alone are several times their files' size."""
    if cache is not None:
        cache.release()
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)  # glibc: return freed heap pages to the system


def check_site_folder(site: Path) -> None:
    """Refuse a site folder that cannot be replaced whole: a symbolic link (replacing it would
    drop the link, writing through it would write wherever it points) or a mount point (no
    rename can move it)."""
    if site.is_symlink():
        raise BuildError(
            f"{display_path(site)} is a symbolic link (to {os.readlink(site)}); kb replaces the "
            "site folder whole and neither replaces a link nor writes through it: delete the "
            "link, or name the folder itself with --site"
        )
    if site.is_dir() and os.path.ismount(site):
        raise BuildError(
            f"{display_path(site)} is a mount point, which kb cannot replace in one step: build "
            f"into a folder inside it (--site {display_path(site / 'html')}), or mount the "
            "folder above it"
        )


def run_mkdocs(options: BuildOptions) -> None:
    """Build the site into a temporary folder beside it and swap it in on success."""
    target = options.site.absolute()
    check_site_folder(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    env = {**os.environ, "KB_OFFLINE": "true" if options.offline else "false"}
    try:
        # an exception here (Ctrl-C, or SIGTERM as Terminated) makes subprocess.run kill the
        # engine before it is raised; if kb itself is killed, the engine dies with it (Linux)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "--strict",
                "--quiet",
                "--config-file",
                str(options.config.absolute()),
                "--site-dir",
                str(staging),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            cwd=options.config.absolute().parent,
            preexec_fn=_dies_with_parent(),
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).rstrip().splitlines() or ["no output"]
            raise BuildError(f"mkdocs build failed: {output[-1]}", details=output[:-1])
        staging.chmod(usual_mode(directory=True))  # mkdtemp's 0700 would hide the whole site
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale(target: Path) -> None:
    """Remove what builds stopped by a crash left beside the site. Only the holder of the write
    lock calls this, so none of it belongs to a running build. An old site moved aside is put
    back first when no site is in place (the crash came between the swap's two renames)."""
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        if old.is_symlink() or tracked_by_git(old):
            continue  # not left by a build on this machine
        moved = old / target.name
        if not target.exists() and not target.is_symlink() and moved.is_dir():
            os.replace(moved, target)
        shutil.rmtree(old, ignore_errors=True)
    for stopped in target.parent.glob(f".{target.name}.build-*"):
        if not stopped.is_symlink():
            shutil.rmtree(stopped, ignore_errors=True)


def _dies_with_parent() -> Callable[[], None] | None:
    """For the engine's process: ask Linux to kill it when kb dies, even by SIGKILL, so that
    no orphaned engine keeps writing into a folder the next build removes."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # kb died before the request was made
            os._exit(1)

    return preexec


_PR_SET_PDEATHSIG = 1


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old site is removed last, and put
    back if the second rename fails or is interrupted."""
    retired = None
    if target.exists() or target.is_symlink():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, retired / target.name)
    try:
        os.replace(staging, target)
    except BaseException:
        if retired is not None:
            os.replace(retired / target.name, target)
            retired.rmdir()
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
