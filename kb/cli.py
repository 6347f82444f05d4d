"""The `kb` command: parses arguments, calls the library, formats the result. No logic here."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from kb.cache import DEFAULT_FOLDER as DEFAULT_CACHE
from kb.cache import CheckCache
from kb.check import check_path
from kb.clock import resolve_today
from kb.report import FORMATS, exit_code, format_text, render
from kb.schema import render_schemas, write_schemas


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidence-kb")
def main() -> None:
    """kb: an evidence knowledge base checked, graded and published from YAML records."""


@main.command()
@click.argument(
    "path", default="evidence", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: one problem per line; json: a report; github: workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge 'overdue' and 'in the future' as of this date (YYYY-MM-DD); "
    "default: SOURCE_DATE_EPOCH, else today.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Where to keep results of unchanged files between runs.",
)
@click.option("--no-cache", is_flag=True, help="Read and check every file afresh.")
def check(
    path: Path,
    fmt: str,
    strict: bool,
    today: dt.datetime | None,
    cache_dir: Path,
    no_cache: bool,
) -> None:
    """Check the knowledge base at PATH (default: evidence) and report every problem.

    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.
    """
    try:
        day = resolve_today(today.date() if today else None)
    except (ValueError, OverflowError, OSError) as error:  # not a number, or out of range
        raise click.UsageError(f"SOURCE_DATE_EPOCH is not a number of seconds: {error}") from None
    problems = check_path(path, day, None if no_cache else CheckCache(cache_dir))
    click.echo(render(problems, fmt))
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


_TODAY = click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Date for 'overdue as of' (YYYY-MM-DD); default: SOURCE_DATE_EPOCH, else today.")
_OFFLINE = click.option("--offline", is_flag=True,
                        help="Build for reading from file:// (no directory URLs).")


def _run(action: str, today: dt.datetime | None, **paths: Any) -> None:
    # the site stack is imported only by the commands that build, so `kb check` stays light
    from kb.build import BuildError, BuildOptions, build, generate

    options = BuildOptions(**paths)
    try:
        report = (build if action == "build" else generate)(
            options, resolve_today(today.date() if today else None))
    except BuildError as error:
        for problem in error.problems:
            click.echo(format_text(problem), err=True)
        raise click.ClickException(str(error)) from None
    click.echo(f"{len(report.written)} generated files written, {len(report.unchanged)} "
               f"unchanged, {len(report.removed)} removed")
    for kept in report.kept:
        click.echo(f"kept {kept}: edited by hand since kb wrote it; delete it if unwanted",
                   err=True)


@main.command(name="generate")
@click.option("--evidence", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("evidence"), show_default=True, help="The knowledge base.")
@click.option("--docs", type=click.Path(file_okay=False, path_type=Path),
              default=Path("site_src"), show_default=True, help="The MkDocs docs folder.")
@_OFFLINE
@_TODAY
def generate_command(evidence: Path, docs: Path, offline: bool, today: dt.datetime | None) -> None:
    """Write the generated pages into the docs folder (without building the site)."""
    _run("generate", today, evidence=evidence, docs=docs, offline=offline)


@main.command(name="build")
@click.option("--evidence", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("evidence"), show_default=True, help="The knowledge base.")
@click.option("--docs", type=click.Path(file_okay=False, path_type=Path),
              default=Path("site_src"), show_default=True, help="The MkDocs docs folder.")
@click.option("--site", type=click.Path(file_okay=False, path_type=Path), default=Path("site"),
              show_default=True, help="Where the built site goes (replaced only on success).")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True, help="The MkDocs configuration.")
@_OFFLINE
@_TODAY
def build_command(evidence: Path, docs: Path, site: Path, config: Path, offline: bool,
                  today: dt.datetime | None) -> None:
    """Check the evidence, generate the pages and build the site with `mkdocs build --strict`."""
    _run("build", today, evidence=evidence, docs=docs, site=site, config=config, offline=offline)
