"""Generate the site's pages from the evidence, then build it with MkDocs into site/.

The engine runs in a subprocess (`python -m mkdocs build --strict`), so kb's own code never
depends on MkDocs and the same generated files build with Zensical. The site is built into a
temporary folder beside the target and swapped in only when the build succeeds: a failed build
leaves the previous site untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kb.check import check_evidence
from kb.clock import resolve_today
from kb.corpus import load_kb
from kb.errors import KbError
from kb.evidence import Evidence
from kb.files import display_prefix
from kb.generate import GenerationReport, sync_generated
from kb.interrupts import signals_raise
from kb.locking import write_lock
from kb.problems import Problem, Severity
from kb.render.common import Site
from kb.render.site import render_site
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
    evidence = Evidence(load_kb(options.evidence))
    problems = check_evidence(evidence, today)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        prefix = display_prefix(options.evidence)
        raise BuildError(
            f"the evidence has {counted(len(errors), 'error')}; run 'kb check'",
            errors,
            [format_text(problem, prefix) for problem in errors],
        )
    site = Site(
        evidence, today, evidence_date(options.evidence), directory_urls=not options.offline
    )
    return sync_generated(options.docs, render_site(site))


def build(options: BuildOptions, today: dt.date) -> GenerationReport:
    """Generate the pages and build the site, holding the write lock throughout."""
    with write_lock(options.evidence, "build"), signals_raise():
        report = _generate(options, today)
        run_mkdocs(options)
        return report


def run_mkdocs(options: BuildOptions) -> None:
    target = options.site.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    env = {**os.environ, "KB_OFFLINE": "true" if options.offline else "false"}
    try:
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
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).rstrip().splitlines() or ["no output"]
            raise BuildError(f"mkdocs build failed: {output[-1]}", details=output[:-1])
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
