"""Expected failures: bad input, a refused operation, a tool that failed.

Every one is a `KbError` whose message is one line a user can act on. The command line prints it
(after its `details`, such as the problems that stopped a build) and exits with `exit_code`; the
MkDocs plugin raises it as MkDocs' PluginError. Anything else that escapes is a bug in kb.
"""

from __future__ import annotations

from collections.abc import Sequence


class KbError(Exception):
    exit_code = 2
    """The command line's exit status for this failure: 2 unless a subclass says otherwise."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(" ".join(message.split()))
        self.details = list(details)
        """Lines to show before the message: each problem, or a tool's own output."""
