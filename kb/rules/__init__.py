"""Rules across records. Each module is one family with a `check(kb, context)` that yields problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kb.corpus import KnowledgeBase
from kb.problems import Problem


@dataclass(frozen=True)
class Context:
    today: dt.date
    """The date against which 'overdue' and 'in the future' are judged."""


Rule = Callable[[KnowledgeBase, Context], Iterator[Problem]]
