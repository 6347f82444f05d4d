"""Signals as exceptions, so that a command that is stopped cleans up like one that failed.

Python turns SIGINT (Ctrl-C) into KeyboardInterrupt, but SIGTERM (what `kill`, CI runners and
process managers send) and SIGHUP (a closed terminal) end the process at once: no `finally`, no
undo, a half-written result left behind and a child process orphaned. Within
`signals_raise()` they raise `Terminated` instead, in the main thread, and `signals_deferred()`
holds all three back for the few steps that must not be cut (undoing a half-done import).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

STOPPING = (signal.SIGTERM, signal.SIGHUP)
DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM, SIGHUP). Like KeyboardInterrupt, it is not an
    Exception, so only cleanup code (`finally`, `except BaseException`) sees it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise Terminated. Outside the main thread, where
    Python delivers no signal, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _raise) for number in STOPPING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP wait; they are delivered when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
