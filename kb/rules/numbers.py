"""KB701-KB707: numbers and dates that cannot be right."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from kb.clock import earliest, latest
from kb.corpus import LoadedRecord
from kb.evidence import Evidence
from kb.model import Finding, Identifiers, Interval, Study, Trial
from kb.problems import (
    ANALYSED_OVER_ENROLLED,
    DATES_REVERSED,
    FINDING_WITHOUT_WORDS,
    FUTURE_DATE,
    INTERVAL_REVERSED,
    NUMBER_NOT_QUOTED,
    NUMBERS_WITHOUT_QUOTE,
    P_OUT_OF_RANGE,
    PERCENT_OVER_100,
    VALUE_OUTSIDE_INTERVAL,
    Code,
    Context,
    Loc,
    Located,
    Problem,
)


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    kb = evidence.kb
    for study in kb.studies.values():
        for i, finding in enumerate(study.record.findings):
            yield from _finding(finding, ("findings", i), study)
            yield from _quoted(finding, ("findings", i), study)
        yield from _sample_size(study.record, study)
        yield from _study_dates(study.record, study, context)
    for trial in kb.trials.values():
        yield from _trial_dates(trial.record, trial, context)
    for claim in kb.claims.values():
        yield from _not_future(
            claim.record.reviewed,
            ("reviewed",),
            claim,
            context,
            "a review cannot have happened after today; write the day it was done",
        )


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


_NUMBER = re.compile(
    r"(?<![\d.,])(?P<sign>[-\u2212](?=[\d.]))?"
    r"(?P<digits>\d{1,3}(?:[,\u2009\u202f]\d{3})+(?![\d])|\d+)?(?P<fraction>\.\d+)?"
)


def quoted_numbers(text: str) -> set[Decimal]:
    """Every number written in `text`, as a value: '13,233' is 13233, '.001' is 0.001, the
    '-' of '1.342-3.114' joins a range, and '-5' after a space or '(' is negative."""
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        digits, fraction = match.group("digits"), match.group("fraction")
        if not digits and not fraction:
            continue
        plain = re.sub(r"[,\u2009\u202f]", "", digits or "0") + (fraction or "")
        sign = match.group("sign")
        before = text[match.start() - 1] if match.start() else " "
        negative = bool(sign) and not before.isdigit()
        found.add(Decimal(("-" if negative else "") + plain).normalize())
    return found


def finding_numbers(finding: Finding) -> list[tuple[Loc, float]]:
    """Where each number of a finding is written, and the number: its value, bounds, range,
    groups' values and sizes, n and p (not the level of its interval)."""
    numbers: list[tuple[Loc, float | int | None]] = [
        (("value",), finding.value),
        (("n",), finding.n),
        (("p",), finding.p),
    ]
    if finding.ci:
        numbers += [(("ci", "lower"), finding.ci.lower), (("ci", "upper"), finding.ci.upper)]
    if finding.range:
        numbers += [(("range", "low"), finding.range.low), (("range", "high"), finding.range.high)]
    for j, group in enumerate(finding.groups):
        at: Loc = ("groups", j)
        numbers += [((*at, "value"), group.value), ((*at, "n"), group.n)]
        if group.ci:
            numbers += [
                ((*at, "ci", "lower"), group.ci.lower),
                ((*at, "ci", "upper"), group.ci.upper),
            ]
        if group.range:
            numbers += [
                ((*at, "range", "low"), group.range.low),
                ((*at, "range", "high"), group.range.high),
            ]
    return [(loc, float(n)) for loc, n in numbers if n is not None]


def _quoted(finding: Finding, loc: Loc, study: Located) -> Iterator[Problem]:
    numbers = finding_numbers(finding)
    if not finding.quote and not finding.paraphrase:
        if numbers:
            yield Problem.at(
                study,
                (*loc, "locator"),
                FINDING_WITHOUT_WORDS,
                f"finding '{finding.id}' gives numbers without the source's words",
                "add the sentence they are in as 'quote'; only where the source's words cannot "
                "be had, a 'paraphrase' with the reason in 'note'",
            )
        return
    if not finding.quote:
        # a paraphrase alone is a note's wording, shown as such and not checked against the
        # numbers; reviewers ask for the source's words, so it needs a reason in 'note'
        if numbers and not finding.note:
            yield Problem.at(
                study,
                (*loc, "paraphrase"),
                NUMBERS_WITHOUT_QUOTE,
                f"finding '{finding.id}' gives numbers on a paraphrase, without the source's "
                "own words",
                "add the sentence they are in as 'quote'; if the source's words cannot be had, "
                "say why in the finding's 'note'",
            )
        return
    text = " ".join(part for part in (finding.quote, finding.paraphrase) if part)
    written = quoted_numbers(text)
    for at, number in numbers:
        if Decimal(repr(number)).normalize() not in written:
            where = ".".join(str(part) for part in at)
            shown = f"{number:g}"
            yield Problem.at(
                study,
                (*loc, *at),
                NUMBER_NOT_QUOTED,
                f"finding '{finding.id}' gives {where} {shown}, which its quote does not: "
                f"\u201c{_short(finding.quote)}\u201d",
                "copy the number as the source prints it, or mark the words 'paraphrase' if "
                "they are not the source's",
            )


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 120 else flat[:117].rstrip() + "..."


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
