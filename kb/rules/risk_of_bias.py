"""KB504-KB507: risk of bias is judged with the tool's own domains and judgements, every domain
once, and a curated overall judgement is never better than the tool's rule."""

from __future__ import annotations

from collections.abc import Iterator

from kb import bias
from kb.corpus import Loaded
from kb.evidence import Evidence
from kb.model import Study
from kb.problems import (
    BIAS_DOMAIN_MISSING,
    BIAS_DOMAIN_UNKNOWN,
    BIAS_OVERALL_TOO_LOW,
    BIAS_TOOL_MISFIT,
    Context,
    Problem,
    did_you_mean,
)
from kb.words import join_words, plural


def check(evidence: Evidence, context: Context) -> Iterator[Problem]:
    for study in evidence.kb.studies.values():
        risk = study.record.risk_of_bias
        if risk is None or risk.tool == "not-assessed":
            continue
        yield from _domains(study)
        if study.record.design not in bias.FITS[risk.tool]:
            yield Problem.at(
                study,
                ("risk_of_bias", "tool"),
                BIAS_TOOL_MISFIT,
                f"{bias.TOOLS[risk.tool].name} is for {bias.TOOLS[risk.tool].designs}, not for "
                f"a {study.record.design.replace('-', ' ')}",
                "RoB 2 for randomised trials, ROBINS-I for other studies of interventions, "
                "QUIPS for prognostic factors, QUADAS-2 for diagnostic accuracy",
            )


def _domains(study: Loaded[Study]) -> Iterator[Problem]:
    risk = study.record.risk_of_bias
    assert risk is not None and risk.tool != "not-assessed"
    tool = bias.TOOLS[risk.tool]
    seen: set[str] = set()
    for index, judged in enumerate(risk.domains):
        where = ("risk_of_bias", "domains", index)
        if judged.domain not in tool.domains:
            yield Problem.at(
                study,
                (*where, "domain"),
                BIAS_DOMAIN_UNKNOWN,
                f"'{judged.domain}' is not a domain of {tool.name}",
                did_you_mean(judged.domain, tool.domains)
                or f"its domains: {', '.join(tool.domains)}",
            )
        elif judged.domain in seen:
            yield Problem.at(
                study,
                (*where, "domain"),
                BIAS_DOMAIN_UNKNOWN,
                f"domain '{judged.domain}' is judged twice",
                "keep one judgement per domain",
            )
        seen.add(judged.domain)
        if judged.judgement not in tool.judgements:
            yield Problem.at(
                study,
                (*where, "judgement"),
                BIAS_DOMAIN_UNKNOWN,
                f"{tool.name} does not judge a domain '{judged.judgement}'",
                f"its judgements: {', '.join(tool.judgements)}",
            )
    missing = [d for d in tool.domains if d not in seen]
    misnamed = any(d.domain not in tool.domains for d in risk.domains)
    if missing and not misnamed:  # a misspelt domain is told once, with its likely name
        yield Problem.at(
            study,
            ("risk_of_bias", "domains"),
            BIAS_DOMAIN_MISSING,
            f"{tool.name} {plural(len(missing), 'domain')} "
            f"{join_words([repr(d) for d in missing])} not judged",
            "judge every domain; where the source says nothing, say so in the reason"
            + (" ('no-information')" if "no-information" in tool.judgements else ""),
        )
    curated = risk.overall
    if curated is not None and not missing:
        rule = bias.overall(risk.model_copy(update={"overall": None}))
        if rule and bias.severity(curated.judgement) < bias.severity(rule):  # type: ignore[operator]
            yield Problem.at(
                study,
                ("risk_of_bias", "overall", "judgement"),
                BIAS_OVERALL_TOO_LOW,
                f"overall '{curated.judgement}' is better than {tool.name}'s rule gives ('{rule}')",
                "an overall judgement may only be worse than the rule's, with a reason",
            )
