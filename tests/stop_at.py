"""Run `kb` in this process and send it a real signal right after a chosen step.

    python tests/stop_at.py MODULE:FUNCTION[:N] SIGNAL kb-arguments...

After the N-th return (default 1) of FUNCTION in the module kb.MODULE, the process sends itself
SIGNAL (INT, TERM, HUP, KILL, or STOP to freeze it until SIGCONT), exactly as `kill` would from
outside, but at a known point of the run, so the tests can stop a command between any two of its
steps.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
import time
from typing import Any


def main() -> None:
    where, name, *rest = sys.argv[1:]
    module_name, function_name, *count = where.split(":")
    module = importlib.import_module(f"kb.{module_name}")
    original = getattr(module, function_name)
    wanted = int(count[0]) if count else 1
    calls = 0

    @functools.wraps(original)
    def stopping(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == wanted:
            os.kill(os.getpid(), getattr(signal, f"SIG{name}"))
            if name != "STOP":
                time.sleep(5)  # a caught signal interrupts this at once; the test fails otherwise
        return result

    setattr(module, function_name, stopping)
    from kb.cli import main as kb

    kb(rest, prog_name="kb")


if __name__ == "__main__":
    main()
