"""The GRADE domains of an outcome's body of evidence, each a rating with the reason written
from the records: five that rate down (risk of bias, inconsistency, indirectness, imprecision,
publication bias) and three that rate up observational evidence not rated down for anything
(a large effect, a dose-response gradient, plausible confounding). site_src/methods.md gives the
rules and their sources."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kb.bias import TOOLS
from kb.bodies import Body, Item, Participants
from kb.model import Finding, Outcome
from kb.pooling import RATIOS, Estimate, Pooled
from kb.words import DASH, counted, join_words, number, plural

OPTIMAL_INFORMATION_SIZE = 400
"""Patients below which kb judges an estimate imprecise (see the methods page)."""
DOWN = ("no-concern", "serious-concern", "very-serious-concern")
UP = ("none", "up-one", "up-two")
DOMAINS_DOWN = ("risk-of-bias", "inconsistency", "indirectness", "imprecision", "publication-bias")
DOMAINS_UP = ("large-effect", "dose-response", "plausible-confounding")


@dataclass(frozen=True)
class Domain:
    name: str
    rating: str
    """no-concern, serious-concern or very-serious-concern; none, up-one or up-two for the
    domains that rate up."""
    reason: str

    @property
    def steps(self) -> int:
        """Levels this domain moves the rating: negative down, positive up."""
        return -DOWN.index(self.rating) if self.rating in DOWN else UP.index(self.rating)


def _share(items: list[Item], chosen: list[Item], participants: Participants) -> float:
    """The share of the outcome's patients (of its studies when a count is missing) that the
    chosen items' studies hold."""
    sizes: dict[str, int | None] = {}
    for item in items:
        n = item.participants
        sizes[item.study.id] = max(n, sizes.get(item.study.id) or 0) if n is not None else None
    ids = {item.study.id for item in chosen}
    if all(n is not None for n in sizes.values()) and participants.total:
        return sum(n or 0 for s, n in sizes.items() if s in ids) / sum(
            n or 0 for n in sizes.values()
        )
    return len(ids) / len(sizes)


def risk_of_bias(body: Body, participants: Participants) -> Domain:
    items = list(body.items)
    by_study = {item.study.id: item for item in items}.values()
    critical = [i for i in items if i.bias == "critical"]
    serious = [i for i in items if i.bias in {"serious", "high", "critical"}]
    unassessed = [i for i in items if i.bias is None]
    parts = []
    for item in sorted(by_study, key=lambda i: i.label):
        tool = item.study.risk_of_bias.tool if item.study.risk_of_bias else "not-assessed"
        judged = "not assessed" if item.bias is None else item.bias.replace("-", " ")
        parts.append(f"{item.label}: {judged}" + ("" if item.bias is None else f" ({_tool(tool)})"))
    listed = "; ".join(parts)
    if critical and _share(items, critical, participants) >= 0.5:
        return Domain("risk-of-bias", "very-serious-concern", f"at critical risk: {listed}")
    if serious and _share(items, serious, participants) >= 0.5:
        return Domain("risk-of-bias", "serious-concern", f"at serious or high risk: {listed}")
    if unassessed and _share(items, unassessed, participants) >= 0.5:
        return Domain(
            "risk-of-bias",
            "serious-concern",
            f"not assessed for most of the evidence, so a serious risk cannot be ruled out: "
            f"{listed}",
        )
    return Domain(
        "risk-of-bias", "no-concern", f"no serious risk for most of the evidence: {listed}"
    )


def _tool(tool: str) -> str:
    return TOOLS[tool].name if tool in TOOLS else tool


def inconsistency(body: Body, pooled: Pooled | None) -> Domain:
    supports = [i for i in body.items if i.relation == "supports"]
    refutes = [i for i in (*body.items, *body.text) if i.relation == "refutes"]
    qualifies = [i for i in body.items if i.relation == "qualifies"]
    reasons: list[str] = []
    steps = 0
    if supports and refutes:
        steps = 1
        names = join_words(sorted({i.label for i in refutes}))
        reasons.append(
            f"{names} {plural(len({i.label for i in refutes}), 'points', 'point')} the other way"
        )
    if qualifies:
        steps = max(steps, 1)
        names = join_words(sorted({i.label for i in qualifies}))
        reasons.append(f"{names} found it does not hold in every group or setting")
    if pooled is not None and pooled.i2 >= 0.5:
        very = pooled.i2 >= 0.75 and _disjoint(body)
        steps = max(steps, 2 if very else 1)
        reasons.append(
            f"I² = {pooled.i2:.0%} across {pooled.k} estimates"
            + (", with intervals that do not overlap" if very else "")
        )
    elif _disjoint(body):
        steps = max(steps, 1)
        reasons.append("the studies' confidence intervals do not overlap")
    if steps:
        return Domain("inconsistency", DOWN[steps], "; ".join(reasons))
    counted_studies = len(body.studies())
    if counted_studies == 1:
        return Domain("inconsistency", "no-concern", "a single study: consistency cannot be judged")
    return Domain(
        "inconsistency", "no-concern", f"the {counted_studies} studies point the same way"
    )


def _disjoint(body: Body) -> bool:
    intervals = [(e.lower, e.upper) for i in body.items if (e := i.estimate()) is not None]
    return len(intervals) >= 2 and max(lo for lo, _ in intervals) > min(hi for _, hi in intervals)


def indirectness(body: Body, participants: Participants) -> Domain:
    indirect = [i for i in body.items if i.link.indirectness]
    if not indirect:
        return Domain(
            "indirectness",
            "no-concern",
            "no study's population, intervention or comparison is "
            "marked as differing from the claim's",
        )
    # each reason without its full stop: they are joined by semicolons ('...; ...')
    reasons = {f"{i.label}: {(i.link.indirectness or '').strip().rstrip('.')}" for i in indirect}
    listed = "; ".join(sorted(reasons))
    share = _share(list(body.items), indirect, participants)
    rating = "serious-concern" if share >= 0.5 else "no-concern"
    return Domain("indirectness", rating, f"{listed.rstrip('.')}")


def imprecision(body: Body, participants: Participants, estimate: Estimate | None) -> Domain:
    if body.outcome.effect == "estimate":
        return _imprecision_of_rates(body)
    total = participants.total
    least = "at least " if participants.unknown else ""
    size = f"{least}{counted(total, 'patient')}"
    reasons: list[str] = []
    steps = 0
    if not total:
        steps = 1
        reasons.append("the number of patients is not reported, so precision cannot be judged")
    elif total < OPTIMAL_INFORMATION_SIZE:
        steps = 2 if total < OPTIMAL_INFORMATION_SIZE // 4 else 1
        far = "far " if steps == 2 else ""
        reasons.append(
            f"{size}, {far}below the {OPTIMAL_INFORMATION_SIZE} kb takes as the optimal "
            "information size"
        )
    if estimate is None:
        steps = max(steps, 1)
        reasons.append("no confidence interval of a comparison is given")
    else:
        null = 1.0 if any(i.finding and i.finding.measure in RATIOS for i in body.items) else 0.0
        if estimate.lower <= null <= estimate.upper:
            steps = min(2, steps + 1)
            reasons.append("the confidence interval includes no effect")
    if steps:
        return Domain("imprecision", DOWN[steps], "; ".join(reasons))
    return Domain(
        "imprecision", "no-concern", f"{size}; the confidence interval excludes no effect"
    )


def _imprecision_of_rates(body: Body) -> Domain:
    """A rate or proportion is as precise as its 95% Wilson interval is narrow: serious past 20
    percentage points wide, very serious past 40."""
    widths: list[tuple[float, str]] = []
    for item in body.items:
        share = _share_of(item.finding) if item.finding else None
        if share is not None:
            low, high = wilson_interval(*share)
            widths.append(
                (
                    100 * (high - low),
                    f"{item.label}: 95% interval {100 * low:.1f}"
                    f"{DASH}{100 * high:.1f}% ({_share_words(item.finding, share[1])})",
                )
            )
    if not widths:
        return Domain(
            "imprecision",
            "serious-concern",
            "no number of patients is given for the rate, so precision cannot be judged",
        )
    width, shown = max(widths)
    steps = 2 if width > 40 else 1 if width > 20 else 0
    return Domain("imprecision", DOWN[steps], shown)


def _share_of(finding: Finding) -> tuple[float, int] | None:
    """(events, patients) behind a percentage, a proportion or a count with its n."""
    n = finding.n
    if n is None or not n or finding.value is None:
        return None
    if finding.measure == "count":
        return (finding.value, n) if finding.value <= n else None
    if finding.measure in {"rate", "proportion"}:
        share = finding.value / 100 if finding.unit == "%" else finding.value
        return (share * n, n) if 0 <= share <= 1 else None
    return None


def _share_words(finding: Finding | None, n: int) -> str:
    """'2 of 2 patients', '2.9% of 128 patients': the value as the source gives it, never an
    event count kb derived from a percentage."""
    if finding is None or finding.value is None:
        return f"{n:,} patients"
    if finding.measure == "count":
        return f"{number(finding.value)} of {n:,} patients"
    unit = finding.unit or ""
    return f"{number(finding.value)}{unit} of {n:,} patients"


def wilson_interval(events: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (Wilson 1927)."""
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def publication_bias(outcome: Outcome) -> Domain:
    if outcome.publication_bias:
        return Domain(
            "publication-bias", outcome.publication_bias.concern, outcome.publication_bias.reason
        )
    return Domain(
        "publication-bias",
        "no-concern",
        "not suspected in the records; with fewer than ten studies it cannot be tested",
    )


def rate_up(body: Body, estimate: Estimate | None, rated_down: bool) -> tuple[Domain, ...]:
    observational = all(i.study.design != "rct" for i in body.items)
    if not observational or rated_down:
        why = (
            "randomised evidence is not rated up"
            if not observational
            else "evidence rated down for anything is not rated up"
        )
        return (Domain("large-effect", "none", why),)
    domains = [_large_effect(body, estimate)]
    for reason in body.outcome.rate_up:
        domains.append(Domain(reason.factor, "up-one", reason.reason))
    return tuple(domains)


def _large_effect(body: Body, estimate: Estimate | None) -> Domain:
    ratio = any(i.finding and i.finding.measure in RATIOS for i in body.items)
    if estimate is None or not ratio:
        return Domain("large-effect", "none", "no ratio with an interval to judge its size")
    low, high = sorted((estimate.lower, estimate.upper))
    for threshold, rating in ((5.0, "up-two"), (2.0, "up-one")):
        if low >= threshold or high <= 1 / threshold:
            return Domain(
                "large-effect",
                rating,
                f"the whole interval lies beyond a ratio of {threshold:g} (or 1/{threshold:g})",
            )
    return Domain("large-effect", "none", "the interval does not lie beyond a ratio of 2")
