"""Where outputs go: safe names, unique names, atomic writes, no debris, never over an input.

Every command that writes a file goes through this module:

* :func:`safe_filename` turns an agency name into a file name that works on Windows, macOS and
  Linux (no reserved device names, no forbidden characters, bounded in bytes);
* :func:`unique_name` makes generated names unique by construction (case-insensitively), so the
  count printed is the count written;
* :func:`check_outputs` refuses an output that is an input, or lies in a folder that is read;
* :func:`atomic_output` writes through a temp file with a fixed, recognisable name
  (``.~xxgk-<pid>-<random>.tmp``) beside the target and renames it into place; temp files left
  by a killed run (their process is gone) are removed by the next write into that folder.
"""

from __future__ import annotations

import collections
import contextlib
import fnmatch
import glob
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "MAX_NAME_BYTES",
    "TEMP_PREFIX",
    "OutputConflict",
    "OutputFolderError",
    "atomic_output",
    "check_outputs",
    "clean_debris",
    "safe_filename",
    "unique_name",
]

# A file name is at most 255 bytes on Linux/macOS file systems (ext4, APFS; NTFS counts 255 UTF-16
# units, which UTF-8 bytes bound from above). Temp files have short names of their own, so a
# name may use all of it; :func:`unique_name` cuts a stem so that stem + suffix fits.
MAX_NAME_BYTES = 255
MAX_STEM_BYTES = 240  # 80 Chinese characters
TEMP_PREFIX = ".~xxgk-"  # every temp file this tool makes starts with this (and is hidden)
_TEMP_RE = re.compile(r"^\.~xxgk-(\d+)-[0-9a-f]+\.tmp")
_STALE_SECONDS = 24 * 3600  # a temp file this old is debris whoever owns its pid now

# forbidden on Windows, control characters (C0, C1), and invisible format characters that
# disguise a name (U+202E turns "局xlsx.exe" around; zero-width spaces, BOM, noncharacters)
_BAD_CHARS = re.compile(
    '[\\\\/:*?"<>|\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]'
)
_RESERVED = re.compile(
    r"^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$",
    re.IGNORECASE,
)


def _cut_bytes(s: str, max_bytes: int) -> str:
    """The longest prefix of ``s`` (whole characters) whose UTF-8 form fits ``max_bytes``."""
    b = s.encode("utf-8")
    if len(b) <= max_bytes:
        return s
    return b[:max_bytes].decode("utf-8", errors="ignore")


def safe_filename(name: str, limit: int = 80, max_bytes: int = MAX_STEM_BYTES) -> str:
    """An agency name as a file name (a stem) that works on Windows, macOS and Linux.

    Forbidden characters become ``_``; leading/trailing spaces and dots go; Windows device names
    (CON, nul, COM1, AUX., LPT1.txt …) get a trailing ``_``; the result is at most ``limit``
    characters and ``max_bytes`` UTF-8 bytes. Never empty."""
    s = unicodedata.normalize("NFC", str(name or ""))
    s = _BAD_CHARS.sub("_", s).strip(" .")
    s = _cut_bytes(s[:limit], max_bytes).rstrip(" .")
    if not s:
        return "未命名单位"
    base, dot, rest = s.partition(".")
    if _RESERVED.match(base.rstrip(" ")):  # Windows reserves "LPT1.txt" too: mark the base
        s = _cut_bytes(base.rstrip(" ") + "_" + dot + rest, max_bytes).rstrip(" .")
    return s


def unique_name(stem: str, suffix: str, used: set[str], *, alternatives: Iterable[str] = ()) -> str:
    """``stem + suffix`` made unique against ``used`` (compared case-insensitively, as Windows and
    macOS do), trying ``alternatives`` (more specific stems) first, then ``_2``, ``_3`` …; the
    name is added to ``used``. The stem is cut so that the whole name fits MAX_NAME_BYTES."""

    def fits(s: str, extra: str = "") -> str:
        room = MAX_NAME_BYTES - len((extra + suffix).encode("utf-8"))
        return _cut_bytes(s, room).rstrip(" .") + extra + suffix

    for cand in (stem, *alternatives):
        name = fits(cand)
        if name.casefold() not in used:
            used.add(name.casefold())
            return name
    n = 2
    while True:
        name = fits(stem, f"_{n}")
        if name.casefold() not in used:
            used.add(name.casefold())
            return name
        n += 1


# -- outputs never replace inputs -----------------------------------------------------------------
class OutputConflict(ValueError):
    """An output would replace an input, or be written into a folder that is read."""


def _real(p: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(p))))


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # hard links, case-insensitive file systems
    except OSError:
        return False


def _inside(p: Path, folder: Path) -> bool:
    return p == folder or p.is_relative_to(folder)


def check_outputs(
    outputs: Iterable[str | os.PathLike[str] | None],
    inputs: Iterable[str | os.PathLike[str] | None],
    *,
    force: bool = False,
    overridable: bool = True,
) -> None:
    """Raise :class:`OutputConflict` (a Chinese message) when an output is one of the inputs, or
    lies inside an input folder (which is read recursively), or matches an input wildcard.
    ``force`` (the user said ``--force``) allows it. Outputs may be files or folders.
    ``overridable`` False: nothing allows it (the archive itself), and the message says so."""
    if force:
        return
    again = "确需覆盖请加 --force" if overridable else "此文件从不覆盖，--force 也不例外"
    ins: list[tuple[str, Path, str]] = []  # (kind, real path, as given)
    for i in inputs:
        if i is None:
            continue
        s = os.fspath(i)
        if glob.has_magic(s):
            ins.append(("glob", _real(s), s))
        elif os.path.isdir(s):
            ins.append(("dir", _real(s), s))
        else:
            ins.append(("file", _real(s), s))
    for o in outputs:
        if o is None:
            continue
        so = os.fspath(o)
        out = _real(so)
        for kind, real, given in ins:
            if kind == "file" and (_same(out, real) or (os.path.isdir(so) and _inside(real, out))):
                if os.path.isdir(so):
                    continue  # a folder of outputs holding an input: names avoid it (unique_name)
                raise OutputConflict(
                    f"输出文件 {so} 就是输入文件 {given}，写入会覆盖原文件；请换一个输出文件名（{again}）"
                )
            if kind == "dir" and _inside(out, real):
                raise OutputConflict(
                    f"输出 {so} 位于要读取的文件夹 {given} 之内，会覆盖或混入收到的文件；"
                    "请输出到其他文件夹（确需如此请加 --force）"
                )
            if kind == "glob" and (
                fnmatch.fnmatch(str(out), str(_real(os.path.dirname(given) or ".") / os.path.basename(given)))
                or any(_same(out, _real(m)) for m in glob.glob(given, recursive=True))
            ):
                raise OutputConflict(
                    f"输出文件 {so} 与输入 {given} 相符，写入会覆盖或混入收到的文件；"
                    "请换一个输出文件名（确需如此请加 --force）"
                )


# -- atomic writes, no debris ---------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there: rely on the age
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def clean_debris(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove temp files of this tool in ``folder`` whose process is gone (a killed run), or
    that are older than a day; returns what was removed. Never touches other files."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for e in entries:
        m = _TEMP_RE.match(e.name)
        if not m:
            continue
        try:
            old = now - e.stat(follow_symlinks=False).st_mtime > _STALE_SECONDS
            if old or not _pid_alive(int(m.group(1))):
                os.unlink(e.path)
                removed.append(Path(e.path))
        except (OSError, ValueError):
            continue
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def temp_path(folder: Path) -> Path:
    """A new, empty temp file in ``folder`` with the recognisable name; short whatever the
    target's name is (so a long target name never overflows it)."""
    while True:
        p = folder / f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return p


class OutputFolderError(OSError):
    """The folder of an output cannot be made or written into (read-only, a file in the way):
    its message names the output, never the temp file the write would have gone through."""

    def __init__(self, exc: OSError, target: Path) -> None:
        super().__init__(exc.errno, exc.strerror, str(target))
        from toolkit.oswords import os_reason

        folder = "所在文件夹没有写入权限"
        why = os_reason(exc, EACCES=folder, EPERM=folder, EEXIST="路径中有同名的文件，无法建立文件夹")
        self.message = f"无法写入 {target}（{why}），未写出任何文件，原有文件保持不变"

    def __str__(self) -> str:
        return self.message


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success.

    The temp file is ``.~xxgk-<pid>-<random>.tmp`` (helpers may add suffixes to it, e.g.
    ``….tmp.stage.xlsx``); an interrupted or failed write removes it, and one left by a killed
    process is removed by the next write into the same folder."""
    target = Path(path)
    if len(target.name.encode("utf-8")) > MAX_NAME_BYTES:
        raise OSError(36, "文件名过长", str(target))  # ENAMETOOLONG, said in one line by the CLI
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_debris(target.parent)
        tmp = temp_path(target.parent)
    except OSError as exc:  # the folder: read-only, or a file where a folder should be
        raise OutputFolderError(exc, target) from None
    replacing = False
    try:
        yield tmp
        # give the output the mode a normal save would (or keep the mode of the file it
        # replaces), so a shared summary stays readable by colleagues
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        replacing = True
        os.replace(tmp, target)
        WRITTEN.append(target)
    except BaseException:
        if replacing and not os.path.lexists(tmp):  # an interrupt just after the rename: written whole
            WRITTEN.append(target)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# the outputs renamed into place (the latest 32): an interrupted command says which were written
# whole before the interrupt, never "nothing written" about a file it replaced
WRITTEN: collections.deque[Path] = collections.deque(maxlen=32)
