"""The ``xxgk`` command's entry: what the interpreter needs before the CLI is imported.

With ``PYTHONDONTWRITEBYTECODE=1`` (set on some machines and in many container images) Python
writes no bytecode, so a source checkout or an editable install compiles every module of the
toolkit again at every start: 2–4x the start-up of the command itself. The variable is there to
keep ``__pycache__`` out of source and package directories; the command keeps honouring that,
but caches the bytecode of what it imports under the user's cache directory
(``~/.cache/xxgk-toolkit/pycache``, ``sys.pycache_prefix``), like its parsed spec. Only the
command does this, never ``import toolkit`` in another program; an explicit
``PYTHONPYCACHEPREFIX`` is left alone, and ``XXGK_CACHE_DIR=`` (empty) switches it off.
"""

from __future__ import annotations

import os
import sys


def _bytecode_to_user_cache() -> None:
    if not sys.dont_write_bytecode or sys.pycache_prefix is not None:
        return
    given = os.environ.get("XXGK_CACHE_DIR")
    if given == "":
        return
    base = given or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "xxgk-toolkit"
    )
    sys.pycache_prefix = os.path.join(base, "pycache")
    sys.dont_write_bytecode = False  # written under the prefix only; a failure to write is silent


def _no_bytecode_under_a_file_size_limit() -> None:
    """Under a file-size limit (``ulimit -f``) CPython's one unchecked write of a module's bytecode
    is cut short and the truncated file kept: every later start then fails on that module. Such
    a run writes no bytecode (it still reads what is there)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        sys.dont_write_bytecode = True


def main() -> None:
    _bytecode_to_user_cache()
    _no_bytecode_under_a_file_size_limit()
    from toolkit.cli import main as cli_main

    cli_main()
