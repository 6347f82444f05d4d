"""The commented examples a study stub carries, chosen by its design and question.

Each example is a block of YAML written as comments ('# ' before each line) under a line that ends
in 'uncomment as it is:', and ends at a blank line. Removing the '# ' of its lines (an editor's
toggle-comment does) gives valid YAML that fits the schema: notes inside a block are comments of
their own ('#   # relation: ...'), so they stay comments. The numbers of a finding's example are
all in its quote, as KB708 asks; a risk-of-bias example names every domain of the tool that fits
the design, judged with the tool's undecided middle, never 'low'.
"""

from __future__ import annotations

import textwrap
import typing

from kb.bias import FITS, TOOLS
from kb.model import Measure, Relation

INTRO = "uncomment as it is:"
"""How the prose line before every example block ends."""
MEASURES: tuple[str, ...] = typing.get_args(Measure)
RELATIONS: tuple[str, ...] = typing.get_args(Relation)
REVIEWS = ("meta-analysis", "systematic-review")
OBSERVATIONAL = (
    "prospective-cohort",
    "retrospective-cohort",
    "registry-analysis",
    "case-control",
    "cross-sectional",
)
WITHOUT_RESULTS = (
    "trial-protocol",
    "narrative-review",
    "editorial",
    "expert-opinion",
    "mechanistic-theory",
)
"""Designs that report no results of their own: their links rest on the text."""
_UNDECIDED = {
    "rob-2": "some-concerns",
    "robins-i": "no-information",
    "quips": "moderate",
    "quadas-2": "unclear",
}
"""An example's judgement: the tool's middle, so an example left as it is claims no low risk."""

RATIO = [
    "findings:",
    "  - id: os-hr",
    "    outcome: overall survival",
    "    {measures}",
    "    measure: hr",
    "    value: 0.72",
    "    ci: {{lower: 0.58, upper: 0.89}}",
    "    p: 0.003",
    "    # the ratio is the hazard in 'group' over the hazard in 'reference'",
    "    comparison: {{group: early removal, reference: delayed removal}}",
    "    better: lower  # a lower hazard of death is better",
    "    n: 120",
    "    groups:",
    "      - {{name: early removal, n: 60}}",
    "      - {{name: delayed removal, n: 60}}",
    "    locator: Table 2",
    '    quote: "HR 0.72 (95% CI 0.58-0.89; P = .003) in 120 patients, 60 in each arm"',
]
MEDIANS = [
    "findings:",
    "  - id: median-os",
    "    outcome: overall survival",
    "    {measures}",
    "    measure: median-os",
    "    unit: months",
    "    better: higher",
    "    groups:",
    "      - {{name: resected, value: 14.2, n: 85}}",
    "      - {{name: not resected, value: 8.1, n: 112}}",
    "    p: 0.001",
    '    p_comparator: "<"',
    "    locator: Results, paragraph 2",
    '    quote: "median overall survival 14.2 months (n = 85) vs 8.1 months (n = 112); P < .001"',
]
RATE = [
    "findings:",
    "  - id: mortality-90-day",
    "    outcome: death within 90 days of surgery",
    "    {measures}",
    "    measure: rate",
    "    value: 2.9",
    '    unit: "%"',
    "    better: lower",
    "    n: 35",
    "    locator: Abstract",
    '    quote: "90-day mortality was 2.9% (1 of 35 patients)"',
]
COUNT = [
    "findings:",
    "  - id: r0-resection",
    "    outcome: resection with clear margins (R0)",
    "    {measures}",
    "    measure: count",
    "    value: 1",
    "    unit: patients",
    "    n: 1",
    "    locator: Case presentation",
    '    quote: "an R0 resection was achieved in this 1 patient"',
]
ACCURACY = [
    "findings:",
    "  - id: sensitivity",
    "    outcome: sensitivity of the test",
    "    {measures}",
    "    measure: proportion",
    "    value: 79",
    '    unit: "%"',
    "    ci: {{lower: 70, upper: 86}}",
    "    better: higher",
    "    n: 120",
    "    locator: Table 3",
    '    quote: "sensitivity 79% (95% CI 70-86) in 120 patients"',
]


def _commented(lines: list[str]) -> list[str]:
    return [f"# {line}" for line in lines]


def _block(intro: str, lines: list[str]) -> list[str]:
    """An example block: its intro, the lines commented out, and the blank line that ends it."""
    text = f"{intro}; {INTRO.replace(' ', chr(0))}"  # never broken inside the mark
    wrapped = textwrap.wrap(text, 96, initial_indent="# ", subsequent_indent="# ")
    return [*(line.replace(chr(0), " ") for line in wrapped), *_commented(lines), ""]


def _measures() -> list[str]:
    """The measures as a note inside a finding's example, wrapped."""
    return textwrap.wrap(
        f"# measure: {' | '.join(MEASURES)}",
        92,
        initial_indent="    ",
        subsequent_indent="    #   ",
        break_on_hyphens=False,
    )


def tool_for(design: str | None, question: str | None) -> str:
    """The risk-of-bias tool that fits a study's design (KB507 says when one does not), the one
    made for its question first."""
    preferred = {"diagnosis": ["quadas-2"], "prognosis": ["quips"]}.get(question or "", [])
    if design is None:  # most studies a knowledge base gathers are not randomised
        return preferred[0] if preferred else "robins-i"
    for name in [*preferred, "rob-2", "robins-i", "quips"]:
        if design in FITS[name]:
            return name
    return "not-assessed"


def finding_example(design: str | None, question: str | None) -> list[str]:
    if design in WITHOUT_RESULTS:
        return []
    if question == "diagnosis":
        lines = ACCURACY
    elif design == "case-series":
        lines = RATE
    elif design == "case-report":
        lines = COUNT
    elif design in OBSERVATIONAL:
        lines = MEDIANS
    else:
        lines = RATIO
    out = []
    for line in lines:
        out += _measures() if line == "    {measures}" else [line.format()]
    return out


def risk_of_bias_example(design: str | None, question: str | None) -> list[str]:
    name = tool_for(design, question)
    if name == "not-assessed":
        return [
            "risk_of_bias:",
            "  tool: not-assessed",
            f"  rationale: no risk-of-bias tool fits a {(design or 'study').replace('-', ' ')}",
        ]
    tool = TOOLS[name]
    lines = [
        "risk_of_bias:",
        f"  tool: {name}",
        f"  # judgement of each domain: {' | '.join(tool.judgements)}",
        "  domains:",
    ]
    return lines + [
        f"    - {{domain: {domain}, judgement: {_UNDECIDED[name]}, reason: what the source says}}"
        for domain in tool.domains
    ]


def link_example(design: str | None, finding: list[str]) -> list[str]:
    lines = [
        "links:",
        "  - claim: claim-id",
        f"    # relation: {' | '.join(RELATIONS)}",
        "    relation: supports",
    ]
    if finding:
        outcome = finding[1].split("id: ", 1)[1]
        lines += ["    findings:", f"      - {{finding: {outcome}, outcome: overall-survival}}"]
    else:
        lines.append("    rests_on: text")
    return [
        *lines,
        '    quote: "the words of the source that show it"',
        "    locator: Results, page 4",
    ]


def study_examples(design: str | None, question: str | None) -> list[str]:
    """The example blocks of a study stub after its PICO, for `design` and `question` (either
    may be unknown yet)."""
    finding = finding_example(design, question)
    size = ["sample_size: {enrolled: 120, analysed: 112}", "period: {start: 2015-01, end: 2019-12}"]
    if design in ("registry-analysis", "retrospective-cohort", "prospective-cohort"):
        size.append("database: SEER  # the registry or database the patients come from")
    lines = _block("how many patients, and when", size)
    lines += _block(
        "risk of bias with the tool that fits the design (RoB 2 for randomised trials, "
        "ROBINS-I for other studies of an intervention, QUIPS for prognostic factors, "
        "QUADAS-2 for diagnostic accuracy): judge every domain",
        risk_of_bias_example(design, question),
    )
    if design in REVIEWS:
        lines += _block(
            "what the review includes: its level and starting certainty follow these designs",
            [
                "includes:",
                "  designs: [retrospective-cohort]",
                "  count: 12",
                "  participants: 1450",
            ],
        )
    if finding:
        lines += _block(
            "each finding: an id, the numbers as printed, where they are and the source's words "
            "holding them ('paraphrase' with a 'note' saying why, only where they cannot be had)",
            finding,
        )
    lines += _block(
        "each link: the claim the study bears on, how, and the findings it rests on, each "
        "mapped to an outcome id of the claim ('rests_on: text' for an argument or a theory)",
        link_example(design, finding),
    )
    return lines
