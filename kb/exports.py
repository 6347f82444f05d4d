"""The knowledge base as data: every record with its computed grades (JSON), and the
claim-evidence graph (GraphML).

Every export is a pure function of the analysis that returns text: sorted, without timestamps,
with LF line ends. The caller encodes it as UTF-8. The bibliography's exports are in
kb.references.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import secrets
from collections.abc import Iterable
from typing import Any

import networkx as nx

from kb.certainty import OutcomeCertainty
from kb.corpus import KnowledgeBase, Loaded
from kb.evidence import Evidence
from kb.model import Claim, Concept, Discrepancy, Study, Trial, WrittenNumber
from kb.pooling import Pooled
from kb.references import resolve_identifiers
from kb.vancouver import format_fields
from kb.words import number

SCHEMA_VERSION = 2
Listed = Study | Claim | Trial | Concept | Discrepancy


def _dumps(data: Any, marker: str | None = None) -> str:
    """JSON on one line, keys sorted, as `json.dumps(sort_keys=True)` writes it (its C encoder,
    several times quicker than an indented one on a large knowledge base), except that a number
    of a record is written as the record writes it ('0.220', not 0.22): JSON keeps the precision
    the source printed. Each such number goes through json.dumps as a string holding a marker
    that no text of this run contains, which is then replaced by the number as written; should
    the marker turn up anywhere else, the slower encoder below writes the same JSON without it."""
    marker = marker or "kb-number-" + secrets.token_hex(16)
    numbers: list[str] = []
    prepared = _marked(data, marker, numbers)
    text = json.dumps(prepared, ensure_ascii=False, allow_nan=False, sort_keys=True)
    quoted = re.compile(f'"{marker}:(\\d+)"')
    if text.count(marker) != len(numbers) or len(quoted.findall(text)) != len(numbers):
        return _encode(data) + "\n"
    return quoted.sub(lambda m: numbers[int(m.group(1))], text) + "\n"


def _dumps_lists(head: dict[str, Any], lists: dict[str, Iterable[Any]]) -> bytes:
    """What `_dumps` writes for `head` and `lists` as one object, in UTF-8, made one list item
    at a time: at 10,000 studies the whole object copied for the encoder held about 300 MB at
    once, and each list's text joined on its own another copy."""
    marker = "kb-number-" + secrets.token_hex(16)
    pieces = [b"{"]
    for place, key in enumerate(sorted([*head, *lists])):
        pieces.append(f"{', ' if place else ''}{json.dumps(key)}: ".encode())
        if key in head:
            pieces.append(_dumps(head[key], marker)[:-1].encode())
            continue
        pieces.append(b"[")
        for count, item in enumerate(lists[key]):
            pieces.append(b", " if count else b"")
            pieces.append(_dumps(item, marker)[:-1].encode())
        pieces.append(b"]")
    pieces.append(b"}\n")
    return b"".join(pieces)


def _marked(value: Any, marker: str, numbers: list[str]) -> Any:
    if isinstance(value, dict):
        return {str(key): _marked(item, marker, numbers) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(item, marker, numbers) for item in value]
    if isinstance(value, WrittenNumber):
        numbers.append(number(value))
        return f"{marker}:{len(numbers) - 1}"
    return value


def _encode(value: Any) -> str:
    if isinstance(value, dict):
        items = [
            f"{json.dumps(str(key), ensure_ascii=False)}: {_encode(item)}"
            for key, item in sorted(value.items())
        ]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_encode(item) for item in value) + "]"
    if isinstance(value, WrittenNumber):
        return number(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _reference(kb: KnowledgeBase, key: str | None) -> dict[str, str] | None:
    entry = kb.bibliography.get(key) if key else None
    if entry is None:
        return None
    return {"key": entry.key, "vancouver": format_fields(entry.key, entry.type, entry.fields)}


def _item(loaded: Loaded[Listed]) -> dict[str, Any]:
    dump = loaded.record.model_dump(mode="python")  # keeps each number as written
    return {"id": loaded.record.id, "file": loaded.path, "record": dump}


def _study_item(
    evidence: Evidence,
    loaded: Loaded[Study],
    states: dict[tuple[str, str, str, str], str],
) -> dict[str, Any]:
    kb, study = evidence.kb, loaded.record
    level = evidence.level(study.id)
    identifiers = resolve_identifiers(study, kb.bibliography.get(study.cite))
    return {
        **_item(loaded),
        "level": {"level": level.level, "base": level.base, "reason": level.reason},
        "reference": _reference(kb, study.cite),
        "identifiers": [
            {
                "name": found.name,
                "value": found.value,
                "status": "verified" if found.verified else "unverified",
                "from": found.origin,
                "registry": states.get(("study", study.id, found.name, found.value)),
            }
            for found in identifiers
        ],
    }


def _claim_item(evidence: Evidence, loaded: Loaded[Claim]) -> dict[str, Any]:
    claim_id = loaded.record.id
    certainty = evidence.certainty(claim_id)
    return {
        **_item(loaded),
        "certainty": {
            "final": certainty.final,
            "basis": certainty.basis,
            "counted": list(certainty.counted),
            "excluded": [{"study": s, "reason": reason} for s, reason in certainty.excluded],
            "computed_with_excluded": certainty.computed_with_excluded,
        },
        "outcomes": [_outcome_item(evidence, claim_id, rated) for rated in certainty.outcomes],
        "evidence": [
            {"study": study_id, "relation": link.relation}
            for study_id, link in evidence.linked(claim_id)
        ],
    }


def _outcome_item(evidence: Evidence, claim_id: str, rated: OutcomeCertainty) -> dict[str, Any]:
    body = evidence.body(claim_id, rated.outcome.id)
    people = rated.participants
    return {
        "id": rated.outcome.id,
        "name": rated.outcome.name,
        "importance": rated.outcome.importance,
        "findings": [
            {
                "study": item.study.id,
                "finding": item.finding.id,
                "relation": item.relation,
                "inverted": item.inverted,
            }
            for item in body.items
            if item.finding is not None
        ],
        "studies": list(rated.studies),
        "participants": people.total if people else None,
        "participants_unknown": list(people.unknown) if people else [],
        "counted_once": list(people.merged) if people else [],
        "certainty": {
            "start": rated.start,
            "start_reason": rated.start_reason,
            "domains": [
                {"domain": d.name, "rating": d.rating, "reason": d.reason} for d in rated.domains
            ],
            "computed": rated.computed,
            "curated": rated.curated,
            "rationale": rated.rationale,
            "final": rated.final,
        },
        "pooled": _pooled(rated.pooled),
    }


def _pooled(pooled: Pooled | None) -> dict[str, Any] | None:
    if pooled is None:
        return None
    return {
        "measure": pooled.measure,
        "estimate": pooled.estimate,
        "ci_lower": pooled.ci_lower,
        "ci_upper": pooled.ci_upper,
        "tau2": pooled.tau2,
        "i2": pooled.i2,
        "k": pooled.k,
        "method": pooled.method,
        "prediction_lower": pooled.prediction_lower,
        "prediction_upper": pooled.prediction_upper,
    }


def evidence_json(evidence: Evidence, today: dt.date) -> str:
    """`evidence_json_utf8` as text."""
    return evidence_json_utf8(evidence, today).decode("utf-8")


def evidence_json_utf8(evidence: Evidence, today: dt.date) -> bytes:
    """Every valid record as JSON with its computed grade; `as_of` is the date given.

    Studies carry their OCEBM level and their identifiers with the curator's status (from the
    record, or from references.bib) and the registry's (`registry`: not-resolved, matches,
    differs, other-work or not-found; null where no registry is asked, as for EudraCT). Claims
    carry their certainty (the lowest of their critical outcomes, and why) and, per outcome, the
    findings it rests on (study and finding id), the studies and patients (counted once), the
    GRADE certainty (start, each domain's rating and reason, final) and, where findings were
    pooled, the pooled estimate with tau², I², k and the method; studies left out (retracted)
    are named with the reason. Discrepancies (sources reporting one result differently) are
    listed as recorded. Records that failed their schema check are left out.
    """
    kb = evidence.kb
    states: dict[tuple[str, str, str, str], str] = {
        (u.kind, u.record_id, u.name, u.value): c.state for u, c in evidence.verification.checks
    }
    studies = (_study_item(evidence, loaded, states) for _, loaded in sorted(kb.studies.items()))
    claims = (_claim_item(evidence, loaded) for _, loaded in sorted(kb.claims.items()))
    trials = (
        {**_item(loaded), "reference": _reference(kb, loaded.record.cite)}
        for _, loaded in sorted(kb.trials.items())
    )
    concepts = (_item(loaded) for _, loaded in sorted(kb.concepts.items()))
    discrepancies = (_item(loaded) for _, loaded in sorted(kb.discrepancies.items()))
    return _dumps_lists(
        {"schema_version": SCHEMA_VERSION, "as_of": today.isoformat()},
        {
            "studies": studies,
            "claims": claims,
            "trials": trials,
            "concepts": concepts,
            "discrepancies": discrepancies,
        },
    )


# GraphML


def _label(data: dict[str, Any]) -> str:
    record = data.get("record")
    for name in ("statement", "acronym", "title", "term"):
        if getattr(record, name, None):
            return str(getattr(record, name))
    return str(data["id"])


def graphml(graph: nx.MultiDiGraph) -> str:
    """The claim-evidence graph as GraphML: nodes keep kind, id and label (claim statement,
    trial acronym, concept term, study id); edges keep kind, and relation or publication type
    where they have one. Nodes and edges are written in sorted order."""
    plain = nx.MultiDiGraph()
    for name in sorted(graph.nodes):
        data = graph.nodes[name]
        plain.add_node(name, kind=data["kind"], id=data["id"], label=_label(data))
    edges = []
    for source, target, data in graph.edges(data=True):
        attributes = {"kind": data["kind"]}
        if "link" in data:
            attributes["relation"] = data["link"].relation
        if "type" in data:
            attributes["type"] = data["type"]
        edges.append((source, target, data.get("index", 0), attributes))
    for source, target, _, attributes in sorted(
        edges, key=lambda e: (e[0], e[1], e[3]["kind"], e[2])
    ):
        plain.add_edge(source, target, **attributes)
    buffer = io.BytesIO()
    nx.write_graphml(plain, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue().decode("utf-8").replace("\r\n", "\n")
