"""The `kb` command: parses arguments, calls the library, formats the result. No logic here.

Every expected failure reaches the user as one line (`Error: ...`) and an exit status, never a
traceback: the library raises KbError for those it foresees, and the file system's own errors
(OSError: a full disk, a read-only folder) are told the same way.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from kb.cache import CheckCache
from kb.check import check_path
from kb.cli_options import (
    DOCS,
    EVIDENCE,
    HISTORY_CACHE,
    OFFLINE,
    Group,
    cache_options,
    folder,
    today_option,
)
from kb.files import display_path, display_prefix
from kb.report import FORMATS, exit_code, render
from kb.schema import stale_schemas, write_schemas
from kb.sources.resolve import GROUPS, Endpoints
from kb.templates import OPTIONS, create_record, render_record

_DEFAULTS = Endpoints()


_PATH = click.argument(
    "path", default="evidence", type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option(
    "--strict", is_flag=True, help="Fail on warnings too, except those that depend on the date."
)
@click.option(
    "--strict-dates", is_flag=True, help="With --strict, fail on an overdue trial (KB601) too."
)
@click.option(
    "--changed-from",
    metavar="BASE",
    help="Tell a conflict between two records on the one changed since BASE (a git revision).",
)
@today_option("Judge 'overdue' and 'in the future' as of this date")
@cache_options(
    "Where to keep results of unchanged files between runs.", "Read and check every file afresh."
)
def check(
    path: Path,
    fmt: str,
    strict: bool,
    strict_dates: bool,
    changed_from: str | None,
    today: dt.date,
    cache_dir: Path,
    no_cache: bool,
) -> None:
    """Check the knowledge base at PATH (default: evidence) and report every problem.

    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.
    """
    from kb.revision import changed_files

    changed = changed_files(path, changed_from) if changed_from else frozenset()
    cache = None if no_cache else CheckCache(cache_dir)
    if cache is not None and cache.refused:
        click.echo(f"warning: {cache.refused}", err=True)
    problems = check_path(path, today, cache, changed)
    click.echo(render(problems, fmt, display_prefix(path)))
    sys.exit(exit_code(problems, strict or strict_dates, strict_dates))


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
        stale = stale_schemas(out)
        for name in stale:
            click.echo(f"{out / name}: stale; run 'kb schema'", err=True)
        sys.exit(1 if stale else 0)
    for written in write_schemas(out):
        click.echo(f"wrote {written}")


def _run(action: str, today: dt.date, cache_dir: Path, no_cache: bool, **paths: Any) -> None:
    # the site stack is imported only by the commands that build, so `kb check` stays light
    from kb.build import BuildOptions, build, generate

    cache = None if no_cache else CheckCache(cache_dir)
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
@EVIDENCE
@DOCS
@OFFLINE
@today_option("Date for 'overdue as of'")
@HISTORY_CACHE
def generate_command(today: dt.date, **options: Any) -> None:
    """Write the generated pages into the docs folder (without building the site)."""
    _run("generate", today, **options)


@main.command(name="build")
@EVIDENCE
@DOCS
@folder("--site", "site", "Where the built site goes (replaced only on success).", exists=False)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("mkdocs.yml"),
    show_default=True,
    help="The MkDocs configuration.",
)
@OFFLINE
@today_option("Date for 'overdue as of'")
@HISTORY_CACHE
def build_command(today: dt.date, **options: Any) -> None:
    """Check the evidence, generate the pages and build the site with `mkdocs build --strict`."""
    _run("build", today, **options)


@main.command(name="new")
@click.argument("kind", type=click.Choice(sorted(OPTIONS)))
@click.argument("record_id", metavar="ID")
@EVIDENCE
@click.option("--cite", help="Citation key in references.bib (study, trial).")
@click.option("--design", help="Study design, e.g. rct (study).")
@click.option("--question", help="OCEBM question type, e.g. prognosis (study, claim).")
@click.option("--statement", help="The claim, in one sentence (claim).")
@click.option("--subject", help="The intervention or factor, in a few words (claim).")
@click.option("--topic", help="Heading the claim is listed under (claim).")
@click.option("--title", help="Official title (trial).")
@click.option("--nct", help="ClinicalTrials.gov id, e.g. NCT01234567 (trial).")
@click.option("--eudract", help="EudraCT number, e.g. 2019-002734-37 (trial).")
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


@main.command(name="rename")
@click.argument("kind", type=click.Choice(sorted(OPTIONS)))
@click.argument("old")
@click.argument("new")
@EVIDENCE
def rename_command(kind: str, old: str, new: str, evidence: Path) -> None:
    """Rename the KIND record OLD to NEW: its file, its id and every reference to it, in one
    step that either completes or leaves every file as it was.

    Exit status: 0 renamed, 1 refused (NEW is taken), 2 usage error (no such record).
    """
    from kb.interrupts import signals_raise
    from kb.locking import write_lock
    from kb.rename import apply_rename, plan_rename

    with write_lock(evidence, "rename"), signals_raise():
        plan = plan_rename(evidence, kind, old, new)
        apply_rename(plan, evidence)
    for line in plan.report():
        click.echo(line)


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@EVIDENCE
@click.option(
    "--allow-similar",
    is_flag=True,
    help="Import references whose title only looks like an existing study's.",
)
@click.option(
    "--update", is_flag=True, help="Add to existing entries the fields they lack; print each."
)
@click.option("--force", is_flag=True, help="With --update, replace values that differ too.")
@click.option("--keep-keys", is_flag=True, help="Keep the exporter's citation keys.")
@click.option("--dry-run", is_flag=True, help="Report what would be added; write nothing.")
def import_command(files: tuple[Path, ...], evidence: Path, dry_run: bool, **options: bool) -> None:
    """Add the references in FILES (BibTeX, RIS, PubMed MEDLINE .nbib, CSL-JSON) to
    references.bib, with a stub for each: a trial's for a registry entry (an NCT or EudraCT
    number), else a study's. Copies of what the knowledge base holds are reported, not added.

    Exit status: 0 done (warnings allowed), 1 problems kept something out, 2 usage error.
    """
    from kb.imports.plan import ImportOptions
    from kb.imports.report import import_report
    from kb.imports.transaction import import_references

    if options["force"] and not options["update"]:
        raise click.UsageError("--force only goes with --update")
    plan, problems = import_references(evidence, list(files), ImportOptions(**options), dry_run)
    for line in import_report(plan, problems, dry_run):
        click.echo(line)
    sys.exit(exit_code(problems, strict=False))


@main.command(name="diff")
@click.argument("base")
@EVIDENCE
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
    from kb.revision import changed_files, commit_of, evidence_at

    commit = commit_of(evidence, base)
    with evidence_at(evidence, base) as folder:
        impact = compare(load_kb(folder), load_kb(evidence), today, changed_files(evidence, base))
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
