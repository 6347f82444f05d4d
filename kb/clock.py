"""Dates: which day counts as today, and the range of days a partial date stands for."""

from __future__ import annotations

import calendar
import datetime as dt
import os
from collections.abc import Mapping

from kb.errors import KbError


class ClockError(KbError):
    """SOURCE_DATE_EPOCH is set but is not a date."""


def resolve_today(
    given: dt.date | None = None, environ: Mapping[str, str] | None = None
) -> dt.date:
    """`given`, else SOURCE_DATE_EPOCH (for reproducible builds), else the real date (UTC);
    ClockError when SOURCE_DATE_EPOCH is set but is not a number of seconds."""
    if given is not None:
        return given
    epoch = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise ClockError(
                f"SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds since 1970-01-01"
            ) from None
    return dt.datetime.now(tz=dt.UTC).date()


def earliest(partial: str) -> dt.date:
    """First day of YYYY, YYYY-MM or YYYY-MM-DD."""
    parts = [int(p) for p in partial.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def latest(partial: str) -> dt.date:
    """Last day of YYYY, YYYY-MM or YYYY-MM-DD."""
    parts = [int(p) for p in partial.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 12
    day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
    return dt.date(year, month, day)
