"""The `kb` command: parses arguments, calls the library, formats the result. No logic here.

Every expected failure reaches the user as one line (`Error: ...`) and an exit status, never a
traceback: the library raises KbError for those it foresees, and the file system's own errors
(OSError: a full disk, a read-only folder) are told the same way.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kb.cache import DEFAULT_FOLDER as DEFAULT_CACHE
from kb.cache import CacheFolder, CheckCache
from kb.check import check_path
from kb.clock import ClockError, resolve_today
from kb.errors import KbError
from kb.files import display_path, display_prefix
from kb.interrupts import Terminated
from kb.problems import IMPORT_NOT_WRITTEN
from kb.report import FORMATS, exit_code, format_text, render, summary_line
from kb.schema import render_schemas, write_schemas
from kb.sources.resolve import GROUPS, Endpoints
from kb.templates import OPTIONS, create_record, render_record
from kb.words import counted

F = TypeVar("F", bound=Callable[..., Any])
_DEFAULTS = Endpoints()


class Failure(click.ClickException):
    """A KbError or OSError as click reports it: its details, then 'Error: message'."""

    def __init__(self, message: str, status: int = 2, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.exit_code = status  # type: ignore[misc]  # click reads it per instance
        self.details = details or []

    def show(self, file: Any = None) -> None:
        for line in self.details:
            click.echo(line, err=True)
        super().show(file)


def describe_os_error(error: OSError) -> str:
    """'cannot write site/index.html: No space left on device'."""
    name = f" {display_path(Path(error.filename))}" if error.filename else ""
    return f"cannot use{name}: {error.strerror or error}"


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KbError as error:
            raise Failure(str(error), error.exit_code, error.details) from None
        except OSError as error:
            raise Failure(describe_os_error(error)) from None
        except Terminated as stop:  # SIGTERM or SIGHUP: cleaned up, now exit as shells expect
            raise Failure(str(stop), 128 + stop.signum) from None


def _today(ctx: click.Context, param: click.Parameter, value: dt.datetime | None) -> dt.date:
    try:
        return resolve_today(value.date() if value else None)
    except ClockError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None


def today_option(meaning: str) -> Callable[[F], F]:
    """--today, one way for every command: YYYY-MM-DD, else SOURCE_DATE_EPOCH, else today."""
    return click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        callback=_today,
        help=f"{meaning} (YYYY-MM-DD); default: SOURCE_DATE_EPOCH, else today.",
    )


def _folder(name: str, default: str, help_text: str, exists: bool = True) -> Callable[[F], F]:
    return click.option(
        name,
        type=click.Path(exists=exists, file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        help=help_text,
    )


_EVIDENCE = _folder("--evidence", "evidence", "The knowledge base.")
_DOCS = _folder("--docs", "site_src", "The MkDocs docs folder.", exists=False)
_OFFLINE = click.option(
    "--offline", is_flag=True, help="Build for reading from file:// (no directory URLs)."
)


def _cache_options(folder_help: str, off_help: str) -> Callable[[F], F]:
    """--cache-dir and --no-cache, the same for every command that keeps a cache."""

    def decorate(command: F) -> F:
        command = click.option("--no-cache", is_flag=True, help=off_help)(command)
        return click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=DEFAULT_CACHE,
            show_default=True,
            help=folder_help,
        )(command)

    return decorate


_HISTORY_CACHE = _cache_options(
    "Where to keep each commit's analysed claims, for the claim histories, between runs.",
    "Analyse every commit of the evidence's history afresh.",
)
_PATH = click.argument(
    "path", default="evidence", type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidence-kb")
def main() -> None:
    """kb: an evidence knowledge base checked, graded and published from YAML records."""


@main.command()
@_PATH
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: one problem per line; json: a report; github: workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@today_option("Judge 'overdue' and 'in the future' as of this date")
@_cache_options(
    "Where to keep results of unchanged files between runs.", "Read and check every file afresh."
)
def check(
    path: Path, fmt: str, strict: bool, today: dt.date, cache_dir: Path, no_cache: bool
) -> None:
    """Check the knowledge base at PATH (default: evidence) and report every problem.

    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.
    """
    cache = None if no_cache else CheckCache(cache_dir)
    if cache is not None and cache.refused:
        click.echo(f"warning: {cache.refused}", err=True)
    problems = check_path(path, today, cache)
    click.echo(render(problems, fmt, display_prefix(path)))
    sys.exit(exit_code(problems, strict))


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Folder to write the JSON Schemas into.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if any schema file is missing or stale.",
)
def schema(out: Path, check_only: bool) -> None:
    """Write the JSON Schemas (draft-07) of the record kinds, for editors and CI."""
    if check_only:
        stale = [
            name
            for name, text in render_schemas().items()
            if not (out / name).is_file() or (out / name).read_text("utf-8") != text
        ]
        for name in stale:
            click.echo(f"{out / name}: stale; run 'kb schema'", err=True)
        sys.exit(1 if stale else 0)
    for written in write_schemas(out):
        click.echo(f"wrote {written}")


def _run(action: str, today: dt.date, cache_dir: Path, no_cache: bool, **paths: Any) -> None:
    # the site stack is imported only by the commands that build, so `kb check` stays light
    from kb.build import BuildOptions, build, generate

    cache = None if no_cache else CacheFolder(cache_dir)
    if cache is not None and cache.refused:
        click.echo(f"warning: {cache.refused}", err=True)
    options = BuildOptions(**paths, cache=cache)
    report = (build if action == "build" else generate)(options, today)
    click.echo(
        f"{len(report.written)} generated files written, {len(report.unchanged)} "
        f"unchanged, {len(report.removed)} removed"
    )
    for kept in report.kept:
        click.echo(
            f"kept {kept}: edited by hand since kb wrote it; delete it if unwanted", err=True
        )


@main.command(name="generate")
@_EVIDENCE
@_DOCS
@_OFFLINE
@today_option("Date for 'overdue as of'")
@_HISTORY_CACHE
def generate_command(today: dt.date, **options: Any) -> None:
    """Write the generated pages into the docs folder (without building the site)."""
    _run("generate", today, **options)


@main.command(name="build")
@_EVIDENCE
@_DOCS
@_folder("--site", "site", "Where the built site goes (replaced only on success).", exists=False)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("mkdocs.yml"),
    show_default=True,
    help="The MkDocs configuration.",
)
@_OFFLINE
@today_option("Date for 'overdue as of'")
@_HISTORY_CACHE
def build_command(today: dt.date, **options: Any) -> None:
    """Check the evidence, generate the pages and build the site with `mkdocs build --strict`."""
    _run("build", today, **options)


@main.command(name="new")
@click.argument("kind", type=click.Choice(sorted(OPTIONS)))
@click.argument("record_id", metavar="ID")
@_EVIDENCE
@click.option("--cite", help="Citation key in references.bib (study, trial).")
@click.option("--design", help="Study design, e.g. rct (study).")
@click.option("--question", help="OCEBM question type, e.g. prognosis (study, claim).")
@click.option("--statement", help="The claim, in one sentence (claim).")
@click.option("--subject", help="The intervention or factor, in a few words (claim).")
@click.option("--topic", help="Heading the claim is listed under (claim).")
@click.option("--title", help="Official title (trial).")
@click.option("--nct", help="ClinicalTrials.gov id, e.g. NCT01234567 (trial).")
@click.option("--term", help="The term (concept).")
@click.option("--definition", help="The definition (concept).")
def new_command(kind: str, record_id: str, evidence: Path, **values: str | None) -> None:
    """Write a new KIND record (study, claim, trial, concept) named ID, with the schema modeline,
    the required fields and hints; never overwrites a file.

    Exit status: 0 written, 1 refused (the id or file exists), 2 usage error.
    """
    given = {name: value for name, value in values.items() if value is not None}
    target = create_record(evidence, kind, record_id, render_record(kind, record_id, given))
    click.echo(f"wrote {display_path(target)}: fill it in, then run 'kb check'")


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_EVIDENCE
@click.option(
    "--allow-similar",
    is_flag=True,
    help="Import references whose title only looks like an existing study's.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be added; write nothing.")
def import_command(
    files: tuple[Path, ...], evidence: Path, allow_similar: bool, dry_run: bool
) -> None:
    """Add the references in FILES (BibTeX, RIS, PubMed MEDLINE .nbib, CSL-JSON) to
    references.bib, with a study stub for each; likely duplicates are reported, not added.

    Exit status: 0 done (warnings allowed), 1 problems kept something out, 2 usage error.
    """
    from kb.imports.transaction import import_references

    plan, problems = import_references(evidence, list(files), allow_similar, dry_run)
    written = not dry_run and not any(p.code == IMPORT_NOT_WRITTEN for p in problems)
    for added in plan.added if written or dry_run else []:
        verb = "would add" if dry_run else "added"
        click.echo(
            f"{verb} {added.key} to {display_path(plan.bib)} and "
            f"{display_path(added.stub)} (from {added.source})"
        )
    for problem in problems:
        click.echo(format_text(problem))
    count = len(plan.added) if written or dry_run else 0
    click.echo(
        f"{counted(count, 'reference')} {'to add' if dry_run else 'added'}; "
        f"{summary_line(problems)}"
    )
    if count and not dry_run:
        click.echo("next: fill in each new study, then run 'kb check'")
    sys.exit(exit_code(problems, strict=False))


@main.command(name="diff")
@click.argument("base")
@_EVIDENCE
@today_option("Date for 'overdue as of'")
def diff_command(base: str, evidence: Path, today: dt.date) -> None:
    """The evidence impact of the changes since BASE (a git revision such as main or
    origin/main), as Markdown: records added, removed and changed; claims whose certainty,
    study counts or summary changed, before → after; new and resolved problems.

    The working tree is compared, so uncommitted changes count. Exit status: 0, or 2 when BASE is
    not a commit of the repository.
    """
    from kb.corpus import load_kb
    from kb.impact import compare, render_impact
    from kb.revision import commit_of, evidence_at

    commit = commit_of(evidence, base)
    with evidence_at(evidence, base) as folder:
        impact = compare(load_kb(folder), load_kb(evidence), today)
    click.echo(render_impact(impact, base, commit, display_prefix(evidence)), nl=False)


@main.command(name="resolve")
@_PATH
@click.option(
    "--email",
    envvar="KB_CONTACT_EMAIL",
    metavar="ADDRESS",
    help="Contact e-mail sent to the registries in the User-Agent (default: KB_CONTACT_EMAIL).",
)
@click.option(
    "--only",
    type=click.Choice(sorted(GROUPS)),
    multiple=True,
    help="Resolve only DOIs, PMIDs (with PMCIDs) or NCT numbers; repeatable.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.01),
    default=3.0,
    show_default=True,
    help="Requests per second to each registry at most.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="Seconds one request may take in all (connecting and the whole answer).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Further attempts after a 429, a 5xx answer, a timeout or a network error.",
)
@click.option("--crossref-url", default=_DEFAULTS.crossref, show_default=True)
@click.option("--eutils-url", default=_DEFAULTS.eutils, show_default=True)
@click.option("--clinicaltrials-url", default=_DEFAULTS.clinicaltrials, show_default=True)
@today_option("The day recorded as the answers' retrieval date")
def resolve_command(
    path: Path,
    email: str | None,
    only: tuple[str, ...],
    rate: float,
    timeout: float,
    retries: int,
    crossref_url: str,
    eutils_url: str,
    clinicaltrials_url: str,
    today: dt.date,
) -> None:
    """Ask Crossref, PubMed and ClinicalTrials.gov about every DOI, PMID, PMCID and NCT number
    and write PATH/sources.lock.json (the only kb command that uses the network). The
    --*-url options give the base URLs of the Crossref REST API, NCBI E-utilities and the
    ClinicalTrials.gov API v2.

    Exit status: 0 when the lockfile is up to date (some requests may have failed: they are
    recorded in it), 1 when no registry answered at all, 2 usage error.
    """
    from kb.sources.http import Politeness
    from kb.sources.resolve import Registries, resolve_kb

    if not email:
        raise click.UsageError(
            "give a contact e-mail with --email or KB_CONTACT_EMAIL; Crossref and NCBI ask for one"
        )
    try:
        politeness = Politeness(email, rate=rate, timeout=timeout, retries=retries)
        registries = Registries.connect(
            politeness, Endpoints(crossref_url, eutils_url, clinicaltrials_url)
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    report, lock_path, written = resolve_kb(path, registries, today, only or tuple(GROUPS))
    for key, why in report.failed:
        click.echo(f"{key}: {why}", err=True)
    click.echo(
        f"asked about {report.asked} identifiers: {len(report.found)} found, "
        f"{len(report.not_found)} not found, {len(report.failed)} failed"
        + (f", {len(report.removed)} entries removed" if report.removed else "")
    )
    click.echo(f"{'wrote' if written else 'unchanged:'} {lock_path}")
    sys.exit(1 if report.failed and len(report.failed) == report.asked else 0)
