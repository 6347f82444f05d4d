"""What the evidence says on each outcome, in GRADE's words for certainty.

The wording follows GRADE's informative statements (Santesso et al., J Clin Epidemiol
2020;119:126-35): high certainty states the effect ('results in'), moderate says 'probably',
low 'may', and very low certainty says 'we are very uncertain whether'. An effect whose
confidence interval includes no effect, or that the evidence refutes, becomes 'little to no
difference'; a claim about a single rate or proportion states its value. Plain text: pages
escape it.
"""

from __future__ import annotations

from kb.bodies import Body
from kb.certainty import OutcomeCertainty
from kb.model import Claim, Finding
from kb.pooling import RATIOS, Estimate
from kb.words import join_words, number

_INTERVENTION = frozenset(
    {"treatment-benefit", "treatment-harm-common", "treatment-harm-rare", "screening"}
)


def outcome_statement(claim: Claim, body: Body, certainty: OutcomeCertainty) -> str:
    outcome = certainty.outcome
    rating = certainty.final
    name = outcome.name
    if rating is None:
        return f"No study with results reports on {name} yet."
    if outcome.effect == "estimate":
        return _estimate_statement(name, body, rating)
    subject = claim.subject[0].lower() + claim.subject[1:] if claim.subject else claim.subject
    no_difference = _no_difference(body, certainty)
    if claim.question in _INTERVENTION:
        verb = "increase" if outcome.effect == "increase" else "reduce"
        forms = {
            "high": f"{subject} {verb}s {name}",
            "moderate": f"{subject} probably {verb}s {name}",
            "low": f"{subject} may {verb} {name}",
            "very-low": f"we are very uncertain whether {subject} {verb}s {name}",
        }
        none = {
            "high": f"{subject} results in little to no difference in {name}",
            "moderate": f"{subject} probably results in little to no difference in {name}",
            "low": f"{subject} may result in little to no difference in {name}",
            "very-low": f"we are very uncertain whether {subject} changes {name}",
        }
    else:
        side = "higher" if outcome.effect == "increase" else "lower"
        forms = {
            "high": f"{subject} is associated with {side} {name}",
            "moderate": f"{subject} is probably associated with {side} {name}",
            "low": f"{subject} may be associated with {side} {name}",
            "very-low": f"we are very uncertain whether {subject} is associated with {side} {name}",
        }
        none = {
            "high": f"{subject} is associated with little to no difference in {name}",
            "moderate": f"{subject} is probably not associated with {name}",
            "low": f"{subject} may not be associated with {name}",
            "very-low": f"we are very uncertain whether {subject} is associated with {name}",
        }
    sentence = (none if no_difference else forms)[rating]
    if certainty.contested and rating != "very-low":
        sentence += ", but the studies disagree"
    return sentence[0].upper() + sentence[1:] + "."


def _no_difference(body: Body, certainty: OutcomeCertainty) -> bool:
    """The estimate's interval includes no effect, or the findings refute the claim without
    any supporting it."""
    estimate = certainty.estimate
    if estimate is not None:
        null = 1.0 if any(i.finding and i.finding.measure in RATIOS for i in body.items) else 0.0
        if estimate.lower <= null <= estimate.upper:
            return True
    relations = {item.relation for item in body.items}
    return "refutes" in relations and "supports" not in relations


def _estimate_statement(name: str, body: Body, rating: str) -> str:
    values = sorted({_value(item.finding) for item in body.items if item.finding} - {""})
    shown = values[0] if len(values) == 1 else f"between {join_words(values, 'and')}"
    if len(values) > 2:
        shown = f"{values[0]} to {values[-1]} in different studies"
    if not values:
        shown = "not stated as a single figure"
    title = name[0].upper() + name[1:]
    return {
        "high": f"{title} is {shown}.",
        "moderate": f"{title} is probably about {shown}.",
        "low": f"{title} may be about {shown}.",
        "very-low": f"We are very uncertain about {name}: the evidence gives {shown}.",
    }[rating]


def _value(finding: Finding | None) -> str:
    if finding is None:
        return ""
    unit = finding.unit or ""
    suffix = unit if unit == "%" else (f" {unit}" if unit else "")
    if finding.value is not None and finding.measure == "count" and finding.n:
        return f"{number(finding.value)} of {finding.n:,} {unit or 'patients'}".rstrip()
    if finding.value is not None:
        return f"{number(finding.value)}{suffix}"
    if finding.range is not None:
        return f"{number(finding.range.low)}\u2013{number(finding.range.high)}{suffix}"
    return ""


def absolute_effect(measure: str, ratio: float, baseline: float) -> float:
    """The risk with the intervention, from the risk without it and a ratio: for a hazard ratio
    1 - (1 - p)^HR (proportional hazards over the baseline's time), for a risk ratio RR·p, for
    an odds ratio OR·p / (1 - p + OR·p)."""
    if measure == "hr":
        return float(1 - (1 - baseline) ** ratio)
    if measure == "rr":
        return min(1.0, ratio * baseline)
    if measure == "or":
        return ratio * baseline / (1 - baseline + ratio * baseline)
    raise ValueError(f"no absolute effect for '{measure}'")


def per_thousand(measure: str, estimate: Estimate, baseline: float) -> tuple[int, int, int, int]:
    """(events per 1,000 without, with, and the interval's bounds with), rounded."""
    low, high = sorted(
        round(1000 * absolute_effect(measure, r, baseline))
        for r in (estimate.lower, estimate.upper)
    )
    with_it = round(1000 * absolute_effect(measure, estimate.value, baseline))
    return round(1000 * baseline), with_it, low, high
