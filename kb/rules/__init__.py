"""Rules across records: one module per family, each with a `check(kb, context)` yielding
problems."""

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
