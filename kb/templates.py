"""New records as text: the schema modeline, every required field and short commented hints.

`kb new` writes these for a contributor to fill in; `kb import` writes the study template with the
citation key and identifiers of the reference it imported. Fields left empty are reported by
`kb check` with what belongs there, so a half-filled record explains itself.
"""

from __future__ import annotations

import json
import re
import textwrap
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kb.corpus import modeline
from kb.errors import KbError
from kb.examples import INTRO, study_examples
from kb.files import create_atomic, display_path
from kb.locking import write_lock
from kb.model import (
    EUDRACT_PATTERN,
    FOLDER_OF_KIND,
    ID_PATTERN,
    NCT_PATTERN,
    Design,
    Measure,
    Question,
    Relation,
    Trial,
)

DESIGNS: tuple[str, ...] = typing.get_args(Design)
QUESTIONS: tuple[str, ...] = typing.get_args(Question)
MEASURES: tuple[str, ...] = typing.get_args(Measure)
RELATIONS: tuple[str, ...] = typing.get_args(Relation)
PHASES: tuple[str, ...] = typing.get_args(Trial.model_fields["phase"].annotation)


OPTIONS: dict[str, tuple[str, ...]] = {
    "study": ("cite", "design", "question"),
    "claim": ("statement", "subject", "question", "topic"),
    "trial": ("title", "cite", "nct", "eudract"),
    "concept": ("term", "definition"),
    "discrepancy": (),
}
"""The values `kb new` can fill in, by record kind."""

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9._/-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


class TemplateError(KbError):
    """A value that cannot go into a new record."""


class RecordExists(KbError):
    """The id or the file of a new record is taken: nothing was written."""

    exit_code = 1


@dataclass(frozen=True)
class StudyStub:
    """What an import knows about a study before anyone has read it."""

    record_id: str
    cite: str
    identifiers: Mapping[str, str] = field(default_factory=dict)
    """doi, pmid, pmcid -> value, all unverified until read on a named page."""
    export_types: tuple[str, ...] = ()
    """Publication types the export gives (PubMed's PT), shown as a hint beside 'design'."""
    design_hint: str | None = None


def scalar(value: str) -> str:
    """A YAML scalar: plain when it cannot be misread, otherwise double-quoted (JSON quoting is
    valid YAML), so digits stay text and a colon or '#' stays part of the value."""
    if _PLAIN.match(value) and value.casefold() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _choices(label: str, choices: Iterable[str], indent: str = "") -> list[str]:
    """A comment listing the allowed values, wrapped between whole values."""
    wrapped = textwrap.wrap(
        f"{label}: {', '.join(choices)}",
        96,
        initial_indent=f"#{indent} ",
        subsequent_indent=f"#{indent}   ",
        break_on_hyphens=False,
    )
    return wrapped


def _value(values: Mapping[str, str], name: str) -> str:
    return f" {scalar(values[name])}" if values.get(name) else ""


def _study_lines(record_id: str, values: Mapping[str, str], stub: StudyStub | None) -> list[str]:
    lines = [
        f"id: {record_id}",
        "# key of its entry in evidence/references.bib ('kb import' adds it)",
    ]
    lines.append(f"cite:{_value(values, 'cite')}")
    lines += _identifier_lines(stub.identifiers if stub else {})
    if stub and stub.export_types:
        guess = f" (design '{stub.design_hint}'?)" if stub.design_hint else ""
        lines.append(f"# the export calls it: {'; '.join(stub.export_types)}{guess}")
    lines += [*_choices("design", DESIGNS), f"design:{_value(values, 'design')}"]
    lines += _choices("question (OCEBM 2011)", QUESTIONS)
    lines.append(f"question:{_value(values, 'question')}")
    lines += ["pico:", "  population:", "  intervention:", "  comparator:", "  outcome:", ""]
    design = values.get("design") or (stub.design_hint if stub else None)
    lines += study_examples(design, values.get("question"))
    lines += ["# what the study did and found, in plain words", "summary:"]
    return lines


def _identifier_lines(identifiers: Mapping[str, str]) -> list[str]:
    if not identifiers:
        return [
            "",
            "# its identifiers, each 'unverified' until read on the page named in 'source';",
            f"# {INTRO}",
            "# identifiers:",
            "#   doi: {value: 10.5555/example.2024.001, status: unverified}",
            '#   pmid: {value: "900000001", status: unverified}',
            "",
        ]
    lines = ["# 'verified' only once read on the page named in 'source'", "identifiers:"]
    for name in ("doi", "pmid", "pmcid", "nct", "eudract"):
        if name in identifiers:
            lines += [
                f"  {name}:",
                f"    value: {scalar(identifiers[name])}",
                "    status: unverified",
            ]
    return lines


def _claim_lines(record_id: str, values: Mapping[str, str]) -> list[str]:
    return [
        f"id: {record_id}",
        "# one clinically meaningful statement, as a clinician would say it",
        f"statement:{_value(values, 'statement')}",
        "# the intervention, exposure or factor in a few words, as the summaries name it",
        f"subject:{_value(values, 'subject')}",
        *_choices("question (OCEBM 2011)", QUESTIONS),
        f"question:{_value(values, 'question')}",
        "scope:",
        "  population:",
        "  intervention:",
        "  comparator:",
        "  outcome:",
        "# the heading it is listed under, e.g. 'Surgery for liver metastases'",
        f"topic:{_value(values, 'topic')}",
        "# the outcomes it is judged on; studies map their findings to these ids",
        "outcomes:",
        "  - id:",
        "    name:",
        "    importance:  # critical | important",
        "    effect:  # increase | decrease | estimate (a single rate, no comparison)",
        "    better:  # higher | lower: which way is better for patients",
        "# depends_on: [other-claim-id]",
    ]


def _trial_lines(record_id: str, values: Mapping[str, str]) -> list[str]:
    given = [name for name in ("nct", "eudract") if values.get(name)]
    identifiers = ["identifiers:"] if given else _NO_TRIAL_IDENTIFIERS
    for name in given:
        identifiers += [f"  {name}:", f"    value: {values[name]}", "    status: unverified"]
    return [
        f"id: {record_id}",
        "# the official title in the registry",
        f"title:{_value(values, 'title')}",
        "# acronym: ABC-1",
        *([f"cite:{_value(values, 'cite')}"] if values.get("cite") else []),
        *identifiers,
        *_choices("phase", PHASES),
        "phase:",
        "design:",
        "  allocation:  # randomized | non-randomized | na",
        "  model:  # parallel | single-group | crossover | factorial | sequential",
        "# the claims this trial tests, and its publications (study ids)",
        "tests: []",
        "publications: []",
    ]


_NO_TRIAL_IDENTIFIERS = [
    "identifiers:",
    "  # its registry numbers (keep those it has), each 'unverified' until read on the page",
    f"  # named in 'source'; {INTRO}",
    "  # nct: {value: NCT01234567, status: unverified}",
    "  # eudract: {value: 2019-002734-37, status: unverified}",
    "",
]


def _concept_lines(record_id: str, values: Mapping[str, str]) -> list[str]:
    return [
        f"id: {record_id}",
        f"term:{_value(values, 'term')}",
        "# abbreviation: HR  # shown as a tooltip wherever it appears",
        "# a definition a clinician can read in one breath",
        f"definition:{_value(values, 'definition')}",
        "synonyms: []",
        "",
        f"# where the definition comes from; {INTRO}",
        "# sources:",
        "#   - study: study-id",
        '#     quote: "the words of the source"',
    ]


def _discrepancy_lines(record_id: str, values: Mapping[str, str]) -> list[str]:
    return [
        f"id: {record_id}",
        "# the findings that report the same result differently (study id and finding id)",
        "findings:",
        "  - {study: , finding: }",
        "  - {study: , finding: }",
        "# what differs, in plain words",
        "description:",
        "# which figures the knowledge base uses, and why",
        "resolution:",
    ]


def render_record(
    kind: str,
    record_id: str,
    values: Mapping[str, str] | None = None,
    stub: StudyStub | None = None,
) -> str:
    """The text of a new record of `kind`; raises TemplateError for a value that cannot go in."""
    values = dict(values or {})
    _check_values(kind, record_id, values)
    if kind == "study":
        body = _study_lines(record_id, values, stub)
    elif kind == "claim":
        body = _claim_lines(record_id, values)
    elif kind == "trial":
        body = _trial_lines(record_id, values)
    elif kind == "discrepancy":
        body = _discrepancy_lines(record_id, values)
    else:
        body = _concept_lines(record_id, values)
    return "\n".join([modeline(kind), *body]) + "\n"


def _check_values(kind: str, record_id: str, values: Mapping[str, str]) -> None:
    if kind not in OPTIONS:
        raise TemplateError(f"unknown record kind '{kind}': expected {', '.join(OPTIONS)}")
    if not re.fullmatch(ID_PATTERN, record_id):
        raise TemplateError(
            f"'{record_id}' is not a valid id: lower-case a-z, 0-9 and single hyphens, "
            "e.g. 'smith-2020-widgets'"
        )
    for name, value in values.items():
        if name not in OPTIONS[kind]:
            raise TemplateError(f"--{name} does not apply to a {kind}")
        allowed = {"design": DESIGNS, "question": QUESTIONS}.get(name)
        if allowed and value not in allowed:
            raise TemplateError(f"--{name} '{value}' is not one of: {', '.join(allowed)}")
    if values.get("nct") and not re.fullmatch(NCT_PATTERN, values["nct"]):
        raise TemplateError(f"--nct '{values['nct']}' is not 'NCT' then 8 digits")
    if values.get("eudract") and not re.fullmatch(EUDRACT_PATTERN, values["eudract"]):
        raise TemplateError(f"--eudract '{values['eudract']}' is not YYYY-NNNNNN-NN")


def record_path(evidence: Path, kind: str, record_id: str) -> Path:
    return evidence / FOLDER_OF_KIND[kind] / f"{record_id}.yaml"


def used_ids(evidence: Path) -> set[str]:
    """File stems of every record: ids are unique across kinds (KB302), file stem == id."""
    return {
        path.stem
        for folder in FOLDER_OF_KIND.values()
        if (evidence / folder).is_dir()
        for path in (evidence / folder).rglob("*.yaml")
    }


def create_record(evidence: Path, kind: str, record_id: str, text: str) -> Path:
    """Write a new record file, holding the write lock; never replaces a file, nor reuses an id
    of another record."""
    with write_lock(evidence, "new"):
        return _create_record(evidence, kind, record_id, text)


def _create_record(evidence: Path, kind: str, record_id: str, text: str) -> Path:
    target = record_path(evidence, kind, record_id)
    if record_id in used_ids(evidence):
        raise RecordExists(
            f"id '{record_id}' is already used by a record in {display_path(evidence)}; "
            "choose another id (kb never overwrites a record)"
        )
    try:
        create_atomic(target, text.encode("utf-8"))
    except FileExistsError:
        raise RecordExists(f"{display_path(target)} exists; kb never overwrites a record") from None
    return target
