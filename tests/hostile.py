"""A knowledge base whose text fields hold chosen text: every field that a page shows, of every
record kind, is a slot (record file, path of the field). The fuzzing and the browser tests fill
the slots with hostile text and check what the site makes of it."""

from __future__ import annotations

from typing import Any

import yaml
from conftest import minimal_kb

RECORDS = {path: text for path, text in minimal_kb().items() if path.endswith(".yaml")}

Slot = tuple[str, tuple[str | int, ...]]
TEXT_SLOTS: list[Slot] = (
    [
        ("studies/smith-2020.yaml", loc)
        for loc in [
            ("summary",),
            ("note",),
            ("setting",),
            ("pico", "population"),
            ("pico", "intervention"),
            ("pico", "comparator"),
            ("pico", "outcome"),
            ("sample_size", "note"),
            ("risk_of_bias", "domains", 0, "reason"),
            ("risk_of_bias", "domains", 1, "locator"),
            ("risk_of_bias", "rationale"),
            ("findings", 0, "outcome"),
            ("findings", 0, "locator"),
            ("findings", 0, "paraphrase"),
            ("findings", 0, "note"),
            ("findings", 0, "comparison", "group"),
            ("findings", 0, "comparison", "reference"),
            ("findings", 1, "paraphrase"),
            ("findings", 1, "groups", 0, "name"),
            ("findings", 1, "groups", 1, "name"),
            ("links", 0, "quote"),
            ("links", 0, "locator"),
            ("links", 0, "indirectness"),
            ("links", 0, "note"),
            ("identifiers", "doi", "note"),
            ("level_adjustment", "reason"),
            ("tags", 0),
        ]
    ]
    + [
        ("claims/drug-x-improves-survival.yaml", loc)
        for loc in [
            ("statement",),
            ("subject",),
            ("outcomes", 0, "name"),
            ("topic",),
            ("scope", "population"),
            ("scope", "intervention"),
            ("scope", "comparator"),
            ("scope", "outcome"),
            ("note",),
            ("tags", 0),
        ]
    ]
    + [
        ("claims/liver-metastases-predict-survival.yaml", loc)
        for loc in [("statement",), ("subject",)]
    ]
    + [
        ("trials/drug-x-trial.yaml", loc)
        for loc in [
            ("title",),
            ("acronym",),
            ("sponsor",),
            ("primary_outcome",),
            ("arms", 0, "label"),
            ("arms", 0, "description"),
            ("status", "note"),
            ("summary",),
            ("note",),
            ("identifiers", "nct", "note"),
        ]
    ]
    + [
        ("concepts/hazard-ratio.yaml", loc)
        for loc in [
            ("term",),
            ("abbreviation",),
            ("definition",),
            ("synonyms", 0),
            ("sources", 0, "quote"),
            ("sources", 0, "locator"),
        ]
    ]
)
TEXT_SLOTS += [
    ("discrepancies/survival-figures.yaml", ("description",)),
    ("discrepancies/survival-figures.yaml", ("resolution",)),
]
URL_SLOTS: list[Slot] = [
    ("studies/smith-2020.yaml", ("identifiers", "doi", "source")),
    ("trials/drug-x-trial.yaml", ("status", "sources", 0)),
]
EXTRA = {  # fields the valid records leave out, so that every slot has a place to go
    "studies/smith-2020.yaml": {"level_adjustment": {"direction": "down", "reason": "x"}},
}


def _put(data: Any, loc: tuple[str | int, ...], value: str) -> None:
    for i, part in enumerate(loc[:-1]):
        following = loc[i + 1]
        if isinstance(data, list):
            while len(data) <= int(part):
                data.append({"name": "group"} if following == "name" else {})
            data = data[int(part)]
        else:
            data = data.setdefault(part, [] if isinstance(following, int) else {})
    last = loc[-1]
    if isinstance(data, list):
        while len(data) <= int(last):
            data.append(value)
        data[int(last)] = value
    else:
        data[last] = value


def fill(texts: dict[Slot, str]) -> dict[str, str]:
    """The valid knowledge base with each slot's field set to its text."""
    files = {path: str(text) for path, text in minimal_kb().items()}
    records = {path: yaml.safe_load(text) for path, text in files.items() if path in RECORDS}
    for path, extra in EXTRA.items():
        records[path].update(extra)
    for (path, loc), value in texts.items():
        _put(records[path], loc, value)
    for path, data in records.items():
        modeline = files[path].split("\n", 1)[0]
        files[path] = modeline + "\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return files
