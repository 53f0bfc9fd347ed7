"""Opening an input safely: a regular file of bounded size, checked before anything reads it.

A FIFO, a terminal or a device given as an input would block a read forever (or never end);
a file far larger than any real input would be read into memory whole. ``check_input`` looks at
``stat`` first and says what is wrong in one Chinese sentence (:class:`InputError`);
``read_input`` then reads at most the limit, so a file that grows while it is read is refused too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from toolkit.oswords import os_reason

__all__ = ["InputError", "check_input", "read_input"]

MiB = 1024 * 1024


class InputError(ValueError):
    """The input cannot be used: missing, not a regular file, or larger than the limit."""


def file_kind(mode: int) -> str:
    """What a file that is no regular file is, in a clerk's words (from its ``st_mode``)."""
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "管道"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def _size(n: int) -> str:
    return f"{n / MiB:.0f} MB" if n >= MiB else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} 字节"


def check_input(path: str | os.PathLike[str], *, what: str = "文件", max_bytes: int | None = None) -> int:
    """Return the size of ``path`` if it is a regular file within ``max_bytes``; else raise
    :class:`InputError`. Follows symbolic links (a link to a FIFO is a FIFO)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"找不到{what}：{p}") from None
    except OSError as exc:
        raise InputError(f"无法读取{what} {p}：{os_reason(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{what} {p} 不是普通文件（是{file_kind(st.st_mode)}），不读取")
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputError(f"{what} {p.name} 有 {_size(st.st_size)}，超过上限 {_size(max_bytes)}，不读取")
    return st.st_size


def read_input(path: str | os.PathLike[str], *, what: str = "文件", max_bytes: int) -> bytes:
    """The bytes of a checked input (see :func:`check_input`), never more than ``max_bytes``."""
    check_input(path, what=what, max_bytes=max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: swapped for a FIFO since the check, it cannot block
    except OSError as exc:
        raise InputError(f"无法读取{what} {Path(path)}：{os_reason(exc)}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise InputError(f"{what} {Path(path)} 不是普通文件，不读取")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{what} {Path(path).name} 超过上限 {_size(max_bytes)}，不读取")
    return data
