"""KB701-KB707: numbers and dates that cannot be right."""

from __future__ import annotations

from collections.abc import Iterator

from kb.clock import earliest, latest
from kb.corpus import LoadedRecord
from kb.evidence import Evidence
from kb.model import Finding, Identifiers, Interval, Study, Trial
from kb.problems import (
    ANALYSED_OVER_ENROLLED,
    DATES_REVERSED,
    FUTURE_DATE,
    INTERVAL_REVERSED,
    P_OUT_OF_RANGE,
    PERCENT_OVER_100,
    VALUE_OUTSIDE_INTERVAL,
    Code,
    Context,
    Loc,
    Problem,
)


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    for study in kb.studies.values():
        for i, finding in enumerate(study.record.findings):
            yield from _finding(finding, ("findings", i), study)
        yield from _sample_size(study.record, study)
        yield from _study_dates(study.record, study, context)
    for trial in kb.trials.values():
        yield from _trial_dates(trial.record, trial, context)


def _finding(finding: Finding, loc: Loc, loaded: LoadedRecord) -> Iterator[Problem]:
    percent = (finding.unit or "").strip() == "%"
    yield from _estimate(finding.value, finding.ci, percent, loc, loaded)
    for j, group in enumerate(finding.groups):
        yield from _estimate(group.value, group.ci, percent, (*loc, "groups", j), loaded)
    if finding.p is not None and not 0 <= finding.p <= 1:
        yield _at(
            loaded,
            (*loc, "p"),
            P_OUT_OF_RANGE,
            f"p-value {finding.p:g} is outside [0, 1]",
            "write p as a probability, e.g. 0.038, not 3.8",
        )


def _estimate(
    value: float | None, ci: Interval | None, percent: bool, loc: Loc, loaded: LoadedRecord
) -> Iterator[Problem]:
    if ci is not None and ci.lower > ci.upper:
        yield _at(
            loaded,
            (*loc, "ci", "lower"),
            INTERVAL_REVERSED,
            f"interval lower bound {ci.lower:g} is above the upper bound {ci.upper:g}",
            "swap them if they were entered in the wrong order",
        )
    elif ci is not None and value is not None and not ci.lower <= value <= ci.upper:
        yield _at(
            loaded,
            (*loc, "value"),
            VALUE_OUTSIDE_INTERVAL,
            f"value {value:g} lies outside its interval {ci.lower:g} to {ci.upper:g}",
            "check the value and both bounds against the source",
        )
    if percent:
        upper = ci.upper if ci is not None else None
        for at, number in ((("value",), value), (("ci", "upper"), upper)):
            if number is not None and number > 100:
                yield _at(
                    loaded,
                    (*loc, *at),
                    PERCENT_OVER_100,
                    f"{number:g}% is over 100%",
                    "check the unit: is this a count, or a proportion per 1,000?",
                )


def _sample_size(study: Study, loaded: LoadedRecord) -> Iterator[Problem]:
    size = study.sample_size
    if (
        size
        and size.enrolled is not None
        and size.analysed is not None
        and size.analysed > size.enrolled
    ):
        yield _at(
            loaded,
            ("sample_size", "analysed"),
            ANALYSED_OVER_ENROLLED,
            f"{size.analysed:,} analysed but only {size.enrolled:,} enrolled",
            "check both counts against the source",
        )


def _study_dates(study: Study, loaded: LoadedRecord, context: Context) -> Iterator[Problem]:
    if study.period:
        yield from _range(study.period.start, study.period.end, ("period", "end"), loaded)
        for name in ("start", "end"):
            yield from _not_future(getattr(study.period, name), ("period", name), loaded, context)
    yield from _identifier_dates(study.identifiers, loaded, context)


def _trial_dates(trial: Trial, loaded: LoadedRecord, context: Context) -> Iterator[Problem]:
    dates = trial.dates
    for name in ("start", "primary_completion", "completion"):
        value = getattr(dates, name)
        if value is not None and value.type == "actual":
            yield from _not_future(
                value.date,
                ("dates", name, "date"),
                loaded,
                context,
                "an actual date cannot be in the future; mark it 'estimated'",
            )
    if dates.start and dates.completion:
        yield from _range(
            dates.start.date,
            dates.completion.date,
            ("dates", "completion", "date"),
            loaded,
            ("start", "completion"),
        )
    if trial.status is not None:
        yield from _not_future(trial.status.verified, ("status", "verified"), loaded, context)
    yield from _identifier_dates(trial.identifiers, loaded, context)


def _identifier_dates(
    identifiers: Identifiers, loaded: LoadedRecord, context: Context
) -> Iterator[Problem]:
    for name in ("doi", "pmid", "pmcid", "nct", "eudract"):
        identifier = getattr(identifiers, name)
        if identifier is not None:
            yield from _not_future(
                identifier.checked, ("identifiers", name, "checked"), loaded, context
            )


def _not_future(
    value: str | None,
    loc: Loc,
    loaded: LoadedRecord,
    context: Context,
    hint: str = "check the year",
) -> Iterator[Problem]:
    if value is not None and earliest(value) > context.today:
        yield _at(loaded, loc, FUTURE_DATE, f"date {value} is after today ({context.today})", hint)


def _range(
    start: str | None,
    end: str | None,
    loc: Loc,
    loaded: LoadedRecord,
    names: tuple[str, str] = ("start", "end"),
) -> Iterator[Problem]:
    """`loc` is where the end date is written: the problem is reported there."""
    if start and end and earliest(start) > latest(end):
        yield _at(
            loaded,
            loc,
            DATES_REVERSED,
            f"{names[1].replace('_', ' ')} {end} is before {names[0]} {start}",
            "check both dates",
        )


def _at(loaded: LoadedRecord, loc: Loc, code: Code, message: str, hint: str | None) -> Problem:
    return Problem.at(loaded, loc, code, message, hint)
