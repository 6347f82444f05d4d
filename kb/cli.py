"""The `kb` command: parses arguments, calls the library, formats the result. No logic here."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from kb.check import check_path
from kb.clock import resolve_today
from kb.report import FORMATS, exit_code, render
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
def check(path: Path, fmt: str, strict: bool, today: dt.datetime | None) -> None:
    """Check the knowledge base at PATH (default: evidence) and report every problem.

    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.
    """
    try:
        day = resolve_today(today.date() if today else None)
    except ValueError as error:
        raise click.UsageError(f"SOURCE_DATE_EPOCH is not a number of seconds: {error}") from None
    problems = check_path(path, day)
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
