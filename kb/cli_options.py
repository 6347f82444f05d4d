"""What every `kb` command shares: one-line failures instead of tracebacks, and the options
several commands take (--today, folders, caches)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from kb.cache import DEFAULT_FOLDER as DEFAULT_CACHE
from kb.clock import ClockError, resolve_today
from kb.errors import KbError
from kb.files import display_path
from kb.interrupts import Terminated

F = TypeVar("F", bound=Callable[..., Any])


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


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Python's cycle collector, run less often. kb keeps hundreds of thousands of objects alive
    for a whole run (records, the position of every value, the cache's entries, the pages), and
    with the default thresholds each full collection walks them all again: at 3,000 studies
    that was a quarter of an incremental `kb check` and of `kb generate` after one edit. Memory
    stays as it was (what kb makes is freed by reference counting)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            with few_collections():
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


def folder(name: str, default: str, help_text: str, exists: bool = True) -> Callable[[F], F]:
    return click.option(
        name,
        type=click.Path(exists=exists, file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        help=help_text,
    )


EVIDENCE = folder("--evidence", "evidence", "The knowledge base.")
DOCS = folder("--docs", "site_src", "The MkDocs docs folder.", exists=False)
OFFLINE = click.option(
    "--offline", is_flag=True, help="Build for reading from file:// (no directory URLs)."
)


def cache_options(folder_help: str, off_help: str) -> Callable[[F], F]:
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


HISTORY_CACHE = cache_options(
    "Where to keep each commit's analysed claims, for the claim histories, between runs.",
    "Analyse every commit of the evidence's history afresh.",
)
