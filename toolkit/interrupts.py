"""Ctrl-C and SIGTERM for the command line: the run stops promptly, whatever the number of signals.

The first signal raises KeyboardInterrupt in the main thread; code unwinding it (removing temp
files, stopping worker processes) marks :func:`cleaning`, after which further signals are
ignored, unless the clean-up takes more than two seconds, when the process exits at once (temp
files a killed run leaves are removed by the next run: see :mod:`toolkit.paths`). A signal in the
two seconds after the first, before :func:`cleaning` is marked, is ignored too: the first one's
KeyboardInterrupt is being unwound, and a second raised inside an ``except``/``finally`` block
would skip the rest of it (a temp file left beside the output). Later, it raises again (the first
was lost).

A KeyboardInterrupt raised while Python runs a ``__del__`` is swallowed by the interpreter; loops
that wait (the worker pool) call :func:`check`, so such an interrupt still stops the run.
"""

from __future__ import annotations

import os
import signal
import threading
import time

__all__ = ["check", "cleaning", "ignore", "install", "pending"]

_STATE: dict[str, float | None] = {"first": None, "cleaning": None}


GRACE = 2.0  # seconds a clean-up may take before a further signal ends the process at once


def _handler(_signum: int, _frame: object) -> None:
    now = time.monotonic()
    started = _STATE["cleaning"]
    if started is not None:
        if now - started > GRACE:
            os._exit(130)
        return
    first = _STATE["first"]
    if first is not None and now - first <= GRACE:
        # the first signal's KeyboardInterrupt is still being unwound (the code that marks
        # cleaning() not reached yet): a second Ctrl-C raised here would cut short the except or
        # finally block it landed in — a temp file's removal among them. Ignored, as after cleaning()
        return
    _STATE["first"] = now  # the first signal, or one whose interrupt was lost long ago: stop now
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT and SIGTERM through the handler (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _STATE.update(first=None, cleaning=None)
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


def pending() -> bool:
    """A signal came and the run has not started cleaning up (the interrupt may have been lost)."""
    return _STATE["first"] is not None and _STATE["cleaning"] is None


def check() -> None:
    """Raise KeyboardInterrupt if a signal came whose KeyboardInterrupt was swallowed."""
    if pending():
        raise KeyboardInterrupt


def cleaning() -> None:
    """The run is unwinding an interrupt: ignore further signals for a while."""
    if _STATE["cleaning"] is None:
        _STATE["cleaning"] = time.monotonic()


def ignore() -> None:
    """The run has cleaned up and is exiting: signals from now on are ignored (else one arriving
    while the interpreter finalises would kill the process by the signal instead of exit 130)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
