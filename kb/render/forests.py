"""Forest plots: one per outcome of a claim (the findings its links name, turned round to the
claim's comparison, with the pooled diamond) and one per ratio finding group of a study, each
naming the side each direction favours."""

from __future__ import annotations

from kb.bodies import Body, Item
from kb.certainty import OutcomeCertainty
from kb.figures.forests import ForestRow, forest_plot
from kb.model import Claim, Finding, Study
from kb.pooling import RATIOS
from kb.render.common import Site
from kb.render.figure import figure

RATIO_NAMES = {"hr": "Hazard ratio", "or": "Odds ratio", "rr": "Risk ratio"}
_INTERVENTION = frozenset(
    {"treatment-benefit", "treatment-harm-common", "treatment-harm-rare", "screening"}
)


def favours(question: str, better: str | None, group: str, reference: str) -> tuple[str, str]:
    """What a ratio below 1 and above 1 mean for patients: 'Favours resection' for a treatment
    when lower is better; for other questions 'Better with …' or 'Worse with …'; and, when
    which way is better is not recorded, 'Lower with …' and 'Higher with …'."""
    group, reference = _inline(group), _inline(reference)
    if better is None:
        return f"Lower with {group}", f"Higher with {group}"
    if question in _INTERVENTION:
        sides = (f"Favours {group}", f"Favours {reference}")
    else:
        sides = (f"Better with {group}", f"Worse with {group}")
    return sides if better == "lower" else (sides[1], sides[0])


def _inline(name: str) -> str:
    """A name inside a sentence: 'Standard chemotherapy' -> 'standard chemotherapy'; an
    acronym such as 'FOLFIRINOX' or 'CA19-9' is kept."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _measure(body: Body) -> str | None:
    """The ratio measure most of the outcome's findings report (HR first on a tie)."""
    counts: dict[str, int] = {}
    for item in body.items:
        if item.finding and item.finding.measure in RATIOS and item.estimate():
            counts[item.finding.measure] = counts.get(item.finding.measure, 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda m: (counts[m], m == "hr"))


def _study_row(item: Item) -> ForestRow | None:
    estimate = item.estimate()
    if estimate is None:
        return None
    label = item.label + (" (turned round)" if item.inverted else "")
    if item.relation != "supports":
        label += f", {item.relation}"
    return ForestRow(label, estimate.value, estimate.lower, estimate.upper, estimate.level)


def outcome_forest(site: Site, claim: Claim, rated: OutcomeCertainty) -> str:
    """The outcome's forest plot in a figure, or '' when no finding has a ratio to draw."""
    body = site.evidence.body(claim.id, rated.outcome.id)
    measure = _measure(body)
    if measure is None:
        return ""
    items = [i for i in body.items if i.finding and i.finding.measure == measure]
    rows = [row for row in map(_study_row, items) if row is not None]
    pooled = rated.pooled
    if pooled is not None and pooled.measure == measure:
        prediction = (
            (pooled.prediction_lower, pooled.prediction_upper)
            if pooled.prediction_lower is not None and pooled.prediction_upper is not None
            else None
        )
        rows.append(
            ForestRow(
                f"Pooled ({pooled.k} studies, I² {pooled.i2:.0%})",
                pooled.estimate,
                pooled.ci_lower,
                pooled.ci_upper,
                pooled=True,
                prediction=prediction,
            )
        )
    better = next((i.finding.better for i in items if i.finding and i.finding.better), None)
    sides = favours(
        claim.question, better, claim.subject, claim.scope.comparator or "the comparator"
    )
    turned = [i.label for i in items if i.inverted]
    note = f"Turned round by kb to the claim's comparison: {', '.join(turned)}." if turned else ""
    title = f"{rated.outcome.name[:1].upper()}{rated.outcome.name[1:]}: {RATIO_NAMES[measure]}s"
    svg = forest_plot(
        f"{claim.id}-{rated.outcome.id}", title, RATIO_NAMES[measure], rows, sides, note
    )
    caption = (
        f"Forest plot of {rated.outcome.name}: each study's {RATIO_NAMES[measure].lower()} "
        f"with its 95% confidence interval; {sides[0].lower()} to the left of 1, "
        f"{sides[1].lower()} to the right."
    )
    return figure(svg, caption, text_version="summary-of-findings")


def study_forests(site: Site, study: Study) -> list[str]:
    """One plot per ratio measure and comparison among the study's findings with an interval,
    so that the sides each plot names hold for every row in it."""
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    for finding in study.findings:
        if finding.measure in RATIOS and finding.ci and finding.value is not None:
            comparison = finding.comparison
            key = (
                finding.measure,
                comparison.group if comparison else "the group named first",
                (comparison.reference if comparison else None) or "the reference group",
                finding.better or "",
            )
            groups.setdefault(key, []).append(finding)
    figures: list[str] = []
    for (measure, group, reference, better), findings in sorted(groups.items()):
        sides = favours(study.question, better or None, group, reference)
        name = RATIO_NAMES[measure]
        svg = forest_plot(
            f"{study.id}-{measure}-{len(figures)}",
            f"{name}s reported by {site.evidence.label(study.id)}: {group} vs {reference}",
            name,
            [_finding_row(f) for f in findings],
            sides,
        )
        caption = (
            f"Forest plot: {name.lower()} of {group} against {reference}, with the 95% "
            f"confidence interval; {sides[0].lower()} to the left of 1, {sides[1].lower()} to "
            "the right."
        )
        figures.append(figure(svg, caption, text_version="findings"))
    return [f for f in figures if f]


def _finding_row(finding: Finding) -> ForestRow:
    assert finding.ci is not None and finding.value is not None
    return ForestRow(
        finding.outcome, finding.value, finding.ci.lower, finding.ci.upper, finding.ci.level
    )
