"""Ctrl-C and SIGTERM for the command line: the run stops promptly, whatever the number of signals.

The first signal raises KeyboardInterrupt in the main thread; code unwinding it (removing temp
files, stopping worker processes) marks :func:`cleaning`, after which further signals are
ignored, unless the clean-up takes more than two seconds, when the process exits at once (temp
files a killed run leaves are removed by the next run: see :mod:`toolkit.paths`).

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


def _handler(_signum: int, _frame: object) -> None:
    now = time.monotonic()
    if _STATE["first"] is None:
        _STATE["first"] = now
    started = _STATE["cleaning"]
    if started is not None:
        if now - started > 2:
            os._exit(130)
        return
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
