"""Validate many files: expand paths, read, check, optionally against last year, in processes.

``validate(paths)`` never raises for bad files: every problem is a finding in a
:class:`FileReport`. With ``jobs > 1`` files are read in worker processes, each returning a small
result (findings and values), so memory stays flat whatever the number of files.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit import interrupts
from toolkit.findings import ERROR, WARNING, FileReport, Finding
from toolkit.model import Submission
from toolkit.oswords import os_reason
from toolkit.reader import read_file
from toolkit.rules import check_previous, check_submission
from toolkit.spec import FormSpec, load_spec

if TYPE_CHECKING:
    from toolkit.spool import FileSet

__all__ = [
    "COMPANION_HEAD",
    "Checked",
    "Collected",
    "InputError",
    "PreviousIndex",
    "check_file",
    "collect_paths",
    "companion_note",
    "iter_checked",
    "named_report",
    "scan_paths",
    "settle_year",
    "validate",
]

# taken from folders; anything else (CSV rosters, HTML, PDF) only when named explicitly
SPREADSHEET_EXT = {".xlsx", ".xlsm", ".xltx", ".xls", ".et", ".ett", ".ods"}

# why a file in an input folder is not read (every file is read or listed with its reason)
_SKIP_KINDS = {
    ".zip": "压缩包", ".rar": "压缩包", ".7z": "压缩包", ".gz": "压缩包", ".tar": "压缩包",
    ".docx": "Word 文档", ".doc": "Word 文档", ".wps": "WPS 文字文档", ".rtf": "RTF 文档",
    ".pdf": "PDF 文件", ".ofd": "OFD 版式文件",
    ".txt": "纯文本文件", ".md": "纯文本文件", ".csv": "CSV 文件", ".json": "JSON 文件",
    ".html": "网页文件", ".htm": "网页文件",
    ".png": "图片", ".jpg": "图片", ".jpeg": "图片", ".gif": "图片", ".bmp": "图片", ".tif": "图片",
    ".eml": "邮件文件", ".msg": "邮件文件",
}  # fmt: skip


def _suffix(path: str | os.PathLike[str]) -> str:
    """``Path(path).suffix.lower()`` without building a Path (once a file, on every file)."""
    name = os.path.basename(os.fspath(path).rstrip("/" + os.sep))
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""


def _is_report(path: str | os.PathLike[str]) -> bool:
    """A published report (text, HTML, Word) rather than a workbook. The report importer is
    imported only for such a file: a spreadsheet never needs it (start-up of ``xxgk validate``)."""
    if isinstance(path, str) and path.endswith(".xlsx"):
        return False  # the usual file, said without taking its name apart
    suffix = _suffix(path)
    if suffix in SPREADSHEET_EXT:
        return False
    from toolkit.importers.report import REPORT_SUFFIXES

    return suffix in REPORT_SUFFIXES


class InputError(ValueError):
    """The inputs cannot be used as given (a path that does not exist, no readable workbook, a
    ``--previous`` of the wrong year): the CLI says it in one Chinese line and exits 2."""


@dataclass
class Collected:
    """What the given paths hold: the files to read, paths not found, files skipped (with why)."""

    files: list[Path] | FileSet = field(default_factory=list)  # iterate / len (large: a FileSet)
    missing: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason in Chinese)


def _special_reason(f: Path) -> str:
    """Why a folder entry that is not a regular file is not read."""
    if f.is_symlink() and not f.exists():
        return "快捷方式（符号链接）指向的文件不存在，未读取"
    return "不是普通文件（管道、设备等），未读取"


# the first line of the 说明.txt that ``xxgk serve`` puts beside 名单.csv in a region's 计入汇总的原件
# zip (:func:`toolkit.regions.write_counted`): the zip's own note to whoever merges the
# extracted folder, not an input left out — a folder's scan does not list it as skipped
COMPANION_HEAD = "本压缩包是“{region}”{year}年度汇总所计入的文件："
_COMPANION_RE = re.compile(
    re.escape(COMPANION_HEAD).replace(r"\{region\}", "[^”\r\n]+").replace(r"\{year\}", r"\d{4}")
)


def companion_note(f: Path) -> bool:
    """``f`` is the 说明.txt of a 计入汇总的原件 zip (named 说明*.txt, its text opening with
    :data:`COMPANION_HEAD`): its first line read, only for a name that fits."""
    if f.suffix.lower() != ".txt" or not f.name.startswith("说明"):
        return False
    try:
        with open(f, "rb") as fh:
            head = fh.read(600).decode("utf-8-sig", errors="ignore")
    except OSError:
        return False
    return _COMPANION_RE.match(head) is not None


def skip_reason(f: Path) -> str:
    """Why a file found in a folder is not read as a workbook, in a clerk's words."""
    if f.name.startswith("~$"):
        return "Excel/WPS 的临时锁定文件（原文件正在 Excel/WPS 中打开时产生），不是报表"
    if f.name.startswith("."):
        return "隐藏文件"
    kind = _SKIP_KINDS.get(f.suffix.lower())
    if kind == "压缩包":
        return "压缩包，未读取；请解压后把其中的填报表放入文件夹"
    if kind == "Word 文档" or kind == "PDF 文件":
        return f"{kind}，不是填报表；如是已公开的报告，请直接点名此文件校验或用 xxgk import 读取"
    if kind:
        return f"{kind}，不是填报表"
    return f"不是电子表格（{f.suffix or '无扩展名'}），未读取"


def scan_paths(
    paths: Iterable[str | os.PathLike[str]], exclude: Iterable[str | os.PathLike[str]] = ()
) -> Collected:
    """Files, folders (recursive) and globs -> sorted unique files, paths not found and the files
    of the folders that are not read, each with its reason.

    In folders, only spreadsheet-like files are taken; Excel/WPS lock files (``~$x.xlsx``),
    hidden files and hidden folders are skipped (and listed); a file named explicitly is taken.
    Folders are walked lazily and past ``SPOOL_AFTER`` files the list is kept in a temporary
    database (:class:`toolkit.spool.FileSet`): a national folder's names are not held.
    ``exclude``: files never taken (a merge's roster in the folder it merges).
    """
    import struct

    from toolkit.spool import FileSet, path_order

    out = FileSet()
    leave = {str(Path(e).resolve()) for e in exclude}
    got = Collected()
    skipped: dict[str, str] = {}
    for a, p in enumerate(paths):
        s = str(p)
        matches = [Path(m) for m in sorted(glob.glob(s, recursive=True))] if glob.has_magic(s) else [Path(s)]
        if not matches:
            got.missing.append(f"没有与 {s} 匹配的文件")
        for b, m in enumerate(matches):
            # of two names for one file, the first found stays: by argument, match, path order
            head = struct.pack(">II", a, b)
            if m.is_dir():
                unreadable = lambda d, why: skipped.setdefault(str(d), UNREADABLE_FOLDER + why)  # noqa: E731
                for f, e, real_dir, hidden in _entries(m, unreadable):
                    if hidden:
                        continue  # inside a hidden folder: the folder itself is listed once
                    if _is(e.is_dir):  # as Path.is_dir: links followed, an error is False
                        if e.name.startswith("."):
                            skipped.setdefault(str(f), "隐藏文件夹，未读取")
                        continue
                    if not _is(e.is_file):
                        # a dangling link, a pipe, a device: never read, but never silent either
                        skipped.setdefault(str(f), _special_reason(f))
                        continue
                    if f.suffix.lower() in SPREADSHEET_EXT and not e.name.startswith(("~$", ".")):
                        # the folder resolved once: a plain file's real path is in it
                        key = str(f.resolve()) if _is(e.is_symlink) else os.path.join(real_dir, e.name)
                        if key not in leave:
                            out.add(key, f, head + path_order(f))
                    elif not companion_note(f):  # the originals zip's own note: not an input
                        skipped.setdefault(str(f), skip_reason(f))
            elif m.is_file():
                if glob.has_magic(s) and m.name.startswith("~$"):
                    skipped.setdefault(str(m), skip_reason(m))
                elif (key := str(m.resolve())) not in leave:
                    out.add(key, m, head)
            elif os.path.lexists(m):  # a pipe, a device, a link to nothing: there, but not read
                skipped.setdefault(str(m), _special_reason(m))
            elif not glob.has_magic(s):
                got.missing.append(f"找不到文件或目录：{s}")
    out.finish()
    got.files = out if out.spilled else list(out)
    got.skipped = sorted(skipped.items())
    return got


UNREADABLE_FOLDER = "文件夹无法读取，其中的文件未读取："  # + the system's reason


def _walk(top: Path, unreadable: Callable[[Path, str], object] | None = None) -> Iterator[Path]:
    """What ``top.rglob("*")`` yields (every entry below ``top``; links to folders are not
    followed), read a folder at a time instead of collected first. A folder that cannot be
    listed (no permission) is passed to ``unreadable`` with the reason, never skipped silently."""
    return (p for p, _e, _real, _hidden in _entries(top, unreadable))


def _entries(
    top: Path, unreadable: Callable[[Path, str], object] | None = None
) -> Iterator[tuple[Path, os.DirEntry[str], str, bool]]:
    """:func:`_walk` with each entry's ``os.DirEntry`` (its type known from the listing, no stat
    for a plain file), the real path of its folder (resolved once per folder) and whether it lies
    inside a hidden folder below ``top``."""
    todo: list[tuple[Path, bool]] = [(top, False)]
    while todo:
        d, hidden = todo.pop()
        subdirs = []
        try:
            real = os.path.realpath(d)
            with os.scandir(d) as it:
                for e in it:
                    p = d / e.name
                    yield p, e, real, hidden
                    try:
                        if e.is_dir(follow_symlinks=False):
                            subdirs.append((p, hidden or e.name.startswith(".")))
                    except OSError:
                        pass
        except OSError as exc:  # unreadable: what rglob skips without a word
            if unreadable is not None:
                why = os_reason(exc, EACCES="没有权限", EPERM="没有权限")
                unreadable(d, why)
        todo.extend(reversed(subdirs))


def _is(test: Callable[[], bool]) -> bool:
    """A DirEntry type test as pathlib answers it: an error (a link into an unreadable place) is False."""
    try:
        return test()
    except OSError:
        return False


def collect_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """Files, folders (recursive) and globs -> sorted unique files; plus problems (missing paths).
    (:func:`scan_paths` also says which files of the folders were skipped, and why.)"""
    got = scan_paths(paths)
    return list(got.files), got.missing


class PreviousIndex:
    """Last year's submissions, matched by code, else by normalised name."""

    def __init__(self, subs: Iterable[Submission] = ()) -> None:
        self.by_code: dict[str, Submission] = {}
        self.by_name: dict[str, Submission] = {}
        self.count = 0
        from toolkit.roster import norm_name  # only with --previous (start-up: csv and the roster)

        subs = list(subs)
        self.year = majority_year(s.year for s in subs)  # the year most of last year's files carry
        for s in subs:
            self.count += 1
            if s.code:
                self.by_code.setdefault(s.code, s)
            if s.agency:
                self.by_name.setdefault(norm_name(s.agency), s)

    @classmethod
    def from_paths(
        cls, paths: Iterable[str | os.PathLike[str]], spec: FormSpec | None = None
    ) -> tuple[PreviousIndex, list[str]]:
        files, problems = collect_paths(paths)
        problems = [f"--previous：{p}" for p in problems]
        subs = []
        for f in files:
            if _is_report(f):  # last year's published report
                from toolkit.importers.report import import_report

                res = import_report(f, spec)
                if res.found:
                    subs.append(res.submission)
                else:
                    problems.append(f"上年报告 {f} 没有读出数字")
                continue
            r = read_file(f, spec)
            if r.submission is None:
                problems.append(f"上年文件 {f} 无法读取：{r.findings[0].message if r.findings else ''}")
            else:
                subs.append(r.submission)
        return cls(subs), problems

    def check_year(self, year: int | None) -> None:
        """``--previous`` must be last year's: raises :class:`InputError` (exit 2) otherwise."""
        if year is None or self.year is None or self.year == year - 1:
            return
        if self.year == year:
            raise InputError(
                f"--previous 给出的是本年度（{year}）的文件，应为上一年度（{year - 1}）的填报表或汇总表；"
                "与本年度自身比较没有意义"
            )
        raise InputError(
            f"--previous 给出的是 {self.year} 年度的文件，应为上一年度（{year - 1}）的填报表或汇总表"
        )

    def match(self, sub: Submission) -> Submission | None:
        if sub.code and sub.code in self.by_code:
            return self.by_code[sub.code]
        if sub.agency:
            from toolkit.roster import norm_name

            hit = self.by_name.get(norm_name(sub.agency))
            if hit is not None and (not hit.code or not sub.code):
                return hit
        return None

    def __len__(self) -> int:
        return self.count


@dataclass
class Checked:
    """One file read and checked: the report, and the submission when it could be read."""

    report: FileReport
    submission: Submission | None = field(default=None, repr=False)
    sha256: str = ""
    payload: Any = None  # what ``project`` made of the submission (in the worker)
    meta: dict[str, str] = field(default_factory=dict)  # the toolkit's metadata: kind, complete, members
    declared: dict[str, str] = field(default_factory=dict)  # check_file(properties=...): xxgk.<name>

    @property
    def kind(self) -> str:
        """What wrote the file: "template" (an agency's report), "summary", "annotated" (a copy
        with 批注), "findings" (a 问题清单 workbook), or "" (not the toolkit)."""
        return self.meta.get("kind", "")

    @property
    def is_our_output(self) -> bool:
        """An annotated copy or a findings workbook: never an agency's report."""
        return self.kind in OUTPUT_KINDS


def values_digest(sub: Submission) -> str:
    """A digest of what a workbook reports (its cover, every input number, its texts): an annotated
    copy records it, so a copy the agency has corrected and sent back is told from the copy itself."""
    import hashlib
    import json

    from toolkit.model import number_json

    doc = [
        sorted((k, str(v)) for k, v in sub.cover.items()),
        sorted((k, str(number_json(v))) for k, v in sub.values.items()),
        sorted(sub.texts.items()),
    ]
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


OUTPUT_KINDS = {
    "annotated": "本工具生成的批注副本（退回用），不是单位的报表",
    "findings": "本工具生成的问题清单，不是报表",
}
_META_KEYS = ("kind", "complete", "counted", "units", "status", "members_partial", "values_sha")


def _our_meta(sub: Submission | None, path: str | os.PathLike[str]) -> dict[str, str]:
    if sub is not None:
        return {k: v for k, v in sub.meta.items() if k in _META_KEYS or k.startswith("members")}
    kind = output_kind(path)  # not a form: perhaps a findings workbook or a 问题清单-only copy
    return {"kind": kind} if kind else {}


def output_kind(path: str | os.PathLike[str]) -> str:
    """The ``xxgk.kind`` document property of an xlsx the toolkit wrote ("" if none)."""
    return declared_property(path, "kind")


def declared_property(path: str | os.PathLike[str], name: str) -> str:
    """The ``xxgk.<name>`` document property (kind, format, year …) of an xlsx the toolkit wrote
    ("" if none): read from docProps/custom.xml alone, without opening the workbook."""
    import zipfile

    from toolkit.reader import PROPERTY_READ_LIMIT, _ZipDirectory, declared_properties

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # a pipe or a device would block or never end
            return ""
        if st.st_size <= PROPERTY_READ_LIMIT:  # an ordinary workbook: its directory read with struct
            raw = Path(path).read_bytes()
            zd = _ZipDirectory.load(raw)
            if zd is not None:
                return declared_properties(zd, raw, (name,))[name]
        # large or unusual: zipfile reads only the directory and the one member
        with zipfile.ZipFile(path) as zf:
            return declared_properties(zf, None, (name,))[name]
    except Exception:  # a damaged or foreign file: it is simply not ours (the reader says why)
        return ""


def summary_incomplete(meta: dict[str, str], name: str) -> Finding | None:
    """A summary the toolkit wrote knows whether it was complete: an incomplete one says so, so
    that completeness travels upward (district -> city)."""
    if meta.get("kind") != "summary" or meta.get("complete") != "0":
        return None
    why = f"（{meta['status']}）" if meta.get("status") else ""
    return Finding(
        "SUMMARY-INCOMPLETE",
        WARNING,
        f"这是一份不完整的汇总表{why}：有未报送、有错误或未计入汇总的单位；以它再汇总，结果同样不完整",
        name,
    )


def summary_members(meta: dict[str, str]) -> list[tuple[str, str]]:
    """(code, name) of the units a summary counted, from its metadata."""
    text = "\n".join(
        v
        for k, v in sorted(meta.items(), key=lambda kv: _member_order(kv[0]))
        if k.startswith("members") and k != "members_partial"
    )
    out = []
    for line in text.split("\n"):
        code, _, name = line.partition("\t")
        if code or name:
            out.append((code.strip().upper(), name.strip()))
    return out


def _member_order(key: str) -> int:
    tail = key.removeprefix("members").lstrip(".")
    # ASCII digits only, and few: a forged summary's "members.²" or 5,000 digits made int() raise
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) <= 9 else 0


def check_file(
    path: str | os.PathLike[str],
    *,
    year: int | None = None,
    previous: PreviousIndex | None = None,
    spec: FormSpec | None = None,
    display: str | None = None,
    properties: tuple[str, ...] = (),
    digest: bool = True,
) -> Checked:
    """``properties``: the ``xxgk.<name>`` document properties to report too (``Checked.declared``,
    as :func:`declared_property` reads them), taken from the zip the reader parsed anyway.
    ``digest=False``: no ``Checked.sha256`` (validate reports no digest; merge and serve do)."""
    name = display or str(path)
    if _is_report(path):  # a published report, not a workbook
        c = _check_report(Path(path), name, year, previous, spec)  # no spec: the report's own format
        c.declared = {n: declared_property(path, n) for n in properties}
        return c
    r = read_file(path, spec, properties=properties, digest=digest)  # no spec: the format the workbook names
    sha = (r.sha256 or _sha256(path)) if digest else ""
    findings: list[Finding] = [_rename(f, name) for f in r.findings]
    if r.submission is None and (denied := _permission_problem(path)) is not None:
        findings = [Finding("FILE-UNREADABLE", ERROR, denied, name)]
    rep = FileReport(name, findings, format=r.submission.spec.id if r.submission else None)
    sub = r.submission
    meta = _our_meta(sub, path)
    if (
        meta.get("kind") == "annotated"
        and sub is not None
        and meta.get("values_sha", "") not in ("", values_digest(sub))
    ):
        # an annotated copy the agency corrected and sent back: its report now, read as one
        meta["kind"] = "returned"
    if sub is not None:
        sub.source = name
        findings.extend(check_submission(sub, expected_year=year, file=name))
        if previous is not None and (prev := previous.match(sub)) is not None:
            findings.extend(check_previous(sub, prev, file=name))
        if (f := summary_incomplete(meta, name)) is not None:
            findings.append(f)
        _named_by(rep, sub)
    elif spec is not None and any(f.code == "TEMPLATE-UNKNOWN" for f in findings):
        # a workbook of another format (2019's for a 2021-format merge): not summed in this one,
        # but its cover still says whose it is (as validate and serve read it) — its agency's row
        # says 有错误, never 未报送 beside a nameless one
        own = read_file(path).submission
        if own is not None and own.spec.id != spec.id:
            _named_by(rep, own)
    declared = r.declared if r.declared is not None else {n: declared_property(path, n) for n in properties}
    return Checked(rep, sub, sha, meta=meta, declared=declared)


def _named_by(rep: FileReport, sub: Submission) -> None:
    """A report names its file's agency, code, year and 上级 as the cover gives them (the
    批注版's footer says them; a merge without --agency is named after the covers' 上级)."""
    rep.agency, rep.code, rep.year = sub.agency or None, sub.code or None, sub.year
    rep.parent = cover_parent(sub)


def named_report(path: str | os.PathLike[str], name: str, findings: Iterable[Finding]) -> FileReport:
    """The report of a file checked before (``findings``: as they were given then, e.g. an upload
    to ``xxgk serve``), under ``name``, named as :func:`check_file` names it — the agency, code and
    year of its cover, read from the file again (nothing readable: none, the file's name stands) —
    so that what is made of it says whose it is as ``xxgk validate`` does (the 批注版's footer:
    the agency and the year, not the file's name)."""
    rep = FileReport(name, list(findings))
    sub = read_file(path, digest=False).submission
    if sub is not None:
        rep.format = sub.spec.id
        _named_by(rep, sub)
    return rep


def cover_parent(sub: Submission) -> str | None:
    """The cover's 上级/所属地区 as one line (None when empty)."""
    return " ".join(str(sub.cover.get("parent") or "").split()) or None


def _permission_problem(path: str | os.PathLike[str]) -> str | None:
    """A file that cannot be opened for reading (on Windows: usually open in Excel/WPS)."""
    try:
        with open(path, "rb"):
            return None
    except PermissionError:
        return "没有权限读取此文件；文件可能正在 Excel/WPS 中打开，请关闭后重试（或检查文件权限）"
    except OSError:
        return None  # the reader says what is wrong


def _check_report(
    path: Path, name: str, year: int | None, previous: PreviousIndex | None, spec: FormSpec | None
) -> Checked:
    from toolkit.importers.report import import_report

    res = import_report(path, spec, year=year)  # a document of several years: the one checked for
    sub = res.submission
    sub.source = name
    # TEXT-TABLE-MISMATCH comes again from the rules, as for every source
    findings = [_rename(f, name) for f in res.findings if f.code != "TEXT-TABLE-MISMATCH"]
    if not any(f.code == "FILE-UNREADABLE" for f in findings):
        findings.extend(check_submission(sub, expected_year=year, file=name))
        if previous is not None and (prev := previous.match(sub)) is not None:
            findings.extend(check_previous(sub, prev, file=name))
    rep = FileReport(
        name, findings, sub.agency or None, sub.code or None, sub.year, sub.spec.id, cover_parent(sub)
    )
    return Checked(rep, sub, _sha256(path))


def _sha256(path: str | os.PathLike[str]) -> str:
    import hashlib

    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()


def _rename(f: Finding, name: str) -> Finding:
    if f.file == name:
        return f
    return replace(f, file=name)


# -- many files, optionally in processes ----------------------------------------------------------
# Each worker process takes one file at a time over its own pipe, so the parent always knows which
# file a worker holds: a worker that dies (killed, out of memory, a library's abort) costs only that
# file (FILE-UNREADABLE) and is replaced. Workers ignore Ctrl-C; the parent stops them on any
# exception or interrupt, however many arrive, and a worker whose parent is gone exits by itself.
_WORKER: dict = {}
DIED_MESSAGE = (
    "处理该文件时进程异常退出（可能是文件过大、结构异常或内存不足），已跳过此文件；"
    "请在 Excel/WPS 中打开检查后另存为 .xlsx 再报送"
)


def _init_worker(
    year: int | None,
    previous: PreviousIndex | None,
    spec_id: str | None,
    project: Callable[[Submission], Any] | None,
    properties: tuple[str, ...] = (),
    digest: bool = True,
) -> None:
    _WORKER.update(
        year=year,
        previous=previous,
        spec=load_spec(spec_id) if spec_id else None,
        project=project,
        properties=properties,
        digest=digest,
    )


def _finish(c: Checked, project: Callable[[Submission], Any] | None) -> Checked:
    """Keep only what the caller needs: the report, and the projection of the submission."""
    if project is not None and c.submission is not None:
        c.payload = project(c.submission)
    c.submission = None
    return c


def _work(path: str) -> Checked:
    c = check_file(
        path,
        year=_WORKER["year"],
        previous=_WORKER["previous"],
        spec=_WORKER["spec"],
        properties=_WORKER["properties"],
        digest=_WORKER["digest"],
    )
    return _finish(c, _WORKER["project"])


_PARENT_ENDS: list[Any] = []  # the parent's ends of all workers' pipes (closed in each worker)


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the parent dies (however it dies), so no worker
    outlives a killed run holding its terminal or pipes."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_main(conn: Any, initargs: tuple, parent: int) -> None:
    """A worker: receive a path, send back its Checked; stop on None or when the parent is gone."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt stops
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # not on Windows
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _die_with_parent()
    if os.getppid() != parent:
        return
    for c in _PARENT_ENDS:  # inherited on fork: keeping them would hide the parent's exit
        with contextlib.suppress(OSError):
            c.close()
    _init_worker(*initargs)
    while True:
        try:
            got = conn.recv()  # a few paths at a time; each result goes back on its own
        except (EOFError, OSError):
            return
        if got is None:
            return
        for path in [got] if isinstance(got, str) else got:
            try:
                result: Any = _work(path)
            except BaseException as exc:  # a bug of ours: the file's finding, not the run's end
                result = exc
            try:
                conn.send(result)
            except (OSError, ValueError):
                return
            except Exception as exc:  # the result would not pickle
                conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))


def _died(path: str, why: str) -> Checked:
    f = Finding("FILE-UNREADABLE", "error", f"{DIED_MESSAGE}（{why}）", path)
    return Checked(FileReport(path, [f]), None, _sha256(path))


class _Slot:
    """One worker process, its pipe, and the files it holds."""

    def __init__(self, ctx: Any, initargs: tuple) -> None:
        import signal
        from collections import deque

        self.tasks: deque[tuple[int, str]] = deque()  # files sent, in order; the first is being read
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, initargs, os.getpid()), daemon=True)
        # no signal between fork and the worker ignoring Ctrl-C (it would die with a traceback),
        # nor in the parent before the slot is known (its worker would never be stopped)
        mask = getattr(signal, "pthread_sigmask", None)  # not on Windows
        blocked = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if mask else None
        import gc

        gc.freeze()  # the worker's collector leaves the parent's objects alone: no copied pages
        try:
            self.proc.start()
            _PARENT_ENDS.append(self.conn)
        finally:
            gc.unfreeze()
            child.close()
            if mask:
                mask(signal.SIG_SETMASK, blocked)

    def stop(self, hard: bool) -> None:
        with contextlib.suppress(Exception):
            if hard:
                self.proc.kill()
                self.proc.join(1)
            else:
                self.conn.send(None)
        with contextlib.suppress(ValueError):
            _PARENT_ENDS.remove(self.conn)
        with contextlib.suppress(Exception):
            self.conn.close()


# files queued per worker: it starts the next while the parent reads a result; sent a few at a
# time (one message for _DEPTH // 2 files or more), each result still comes back on its own, so
# the parent always knows which file a worker holds
_DEPTH = 6


def _pooled(
    files: Iterable[Path],
    total: int,
    jobs: int,
    initargs: tuple,
    progress: Callable[[int, int], None] | None,
) -> Iterator[Checked]:
    import multiprocessing as mp
    from collections import deque
    from multiprocessing.connection import wait

    ctx = mp.get_context()
    source = enumerate(str(f) for f in files)  # read as the workers need them: no list is held
    done: dict[int, Checked] = {}
    todo: deque[tuple[int, str]] = deque()  # files handed back by a worker that died
    next_out = 0
    slots: list[_Slot] = []
    clean = False

    def take() -> tuple[int, str] | None:
        if todo:
            return todo.popleft()
        return next(source, None)

    def spawn() -> _Slot:
        slot = _Slot.__new__(_Slot)
        slots.append(slot)  # known before its process exists: stopped whatever happens next
        slot.__init__(ctx, initargs)  # type: ignore[misc]
        return slot

    def retire(slot: _Slot) -> None:
        """A dead worker: the file it was on is its own loss; the files queued behind it go
        back to the front of the queue."""
        slot.stop(hard=True)
        slots.remove(slot)
        todo.extendleft(reversed(slot.tasks))
        slot.tasks.clear()

    def feed(slot: _Slot) -> None:
        """Queue files on ``slot`` up to _DEPTH, in one message once half are done; a worker
        found dead before it got them is replaced (the files go to the new one)."""
        if len(slot.tasks) > _DEPTH // 2:
            return
        failures = 0
        while len(slot.tasks) < _DEPTH:
            chunk: list[tuple[int, str]] = []
            while len(slot.tasks) + len(chunk) < _DEPTH and (task := take()) is not None:
                chunk.append(task)
            if not chunk:
                return
            try:
                slot.conn.send([path for _i, path in chunk])
                slot.tasks.extend(chunk)
            except OSError:
                todo.extendleft(reversed(chunk))
                retire(slot)
                failures += 1
                if failures > 3:  # workers cannot even start: say so for this file
                    i, path = todo.popleft()
                    done[i] = _died(path, "无法启动处理进程")
                    failures = 0
                slot = spawn()

    try:
        for _ in range(min(jobs, total)):
            spawn()
        for slot in list(slots):
            feed(slot)
        while next_out < total:
            busy = [s for s in slots if s.tasks]
            if not busy:  # everything left was lost with workers that could not start
                for slot in list(slots):
                    feed(slot)
                busy = [s for s in slots if s.tasks]
                if not busy:
                    break
            ready = wait([s.conn for s in busy] + [s.proc.sentinel for s in busy])
            interrupts.check()  # a Ctrl-C the interpreter swallowed (in a __del__) still stops us
            for slot in busy:
                if slot.conn not in ready and slot.proc.sentinel not in ready:
                    continue
                while slot.tasks:
                    try:
                        if not slot.conn.poll():
                            if slot.proc.is_alive():
                                break
                            raise EOFError
                        got: Any = slot.conn.recv()
                    except (EOFError, OSError):  # the worker died on the file it was reading
                        slot.proc.join(5)
                        code = slot.proc.exitcode
                        why = f"退出码 {code}" if code is None or code >= 0 else f"信号 {-code}"
                        i, path = slot.tasks.popleft()
                        done[i] = _died(path, why)
                        retire(slot)
                        feed(spawn())
                        break
                    i, path = slot.tasks.popleft()
                    if isinstance(got, Checked):
                        done[i] = got
                    else:
                        f = Finding(
                            "FILE-UNREADABLE",
                            "error",
                            f"读取时发生内部错误（{type(got).__name__}: {str(got)[:120]}）；请把此文件发给工具维护人员",
                            path,
                        )
                        done[i] = Checked(FileReport(path, [f]), None, _sha256(path))
                if slot in slots:
                    feed(slot)
            while next_out in done:
                c = done.pop(next_out)
                next_out += 1
                if progress:
                    progress(next_out, total)
                yield c
        clean = True
    except KeyboardInterrupt:
        interrupts.cleaning()
        raise
    finally:
        # normal end: ask the workers to stop; anything else (Ctrl-C, an error, the caller closing
        # the generator): kill them at once, never wait for a file to finish
        for slot in slots:
            if hasattr(slot, "proc"):
                slot.stop(hard=not clean)
        for slot in slots:
            if not hasattr(slot, "proc") or slot.proc._popen is None:
                continue
            slot.proc.join(1 if clean else 0.5)
            if slot.proc.is_alive():
                slot.proc.kill()
                slot.proc.join(0.5)


def iter_checked(
    files: Iterable[Path],
    *,
    year: int | None = None,
    previous: PreviousIndex | None = None,
    jobs: int = 1,
    project: Callable[[Submission], Any] | None = None,
    spec: FormSpec | None = None,
    progress: Callable[[int, int], None] | None = None,
    total: int | None = None,
    properties: tuple[str, ...] = (),
    digest: bool = True,
) -> Iterator[Checked]:
    """Check files in order, yielding each result as it is ready (streaming, flat memory).

    Submissions are not kept: ``project`` (a module-level function; it runs in the workers)
    turns each into the small payload the caller needs, so little crosses between processes.
    Without ``spec`` each workbook is read in the format it names (merge passes its spec).
    With ``jobs > 1`` a worker that dies costs only the file it held (FILE-UNREADABLE).
    ``files`` is read once, as needed; ``total``: how many it holds (default: its len).
    ``properties``: document properties each ``Checked.declared`` carries (see check_file);
    ``digest=False``: no file digests (see check_file)."""
    total = len(files) if total is None else total  # type: ignore[arg-type]
    if jobs <= 1 or total < 4:
        for i, f in enumerate(files, 1):
            c = _finish(
                check_file(f, year=year, previous=previous, spec=spec, properties=properties, digest=digest),
                project,
            )
            if progress:
                progress(i, total)
            yield c
        return
    initargs = (year, previous, spec.id if spec else None, project, properties, digest)
    yield from _pooled(files, total, jobs, initargs, progress)


def majority_year(years: Iterable[int | None]) -> int | None:
    """The year most files carry (of equally many, the latest); None if no file has one. A year
    outside 2000–2100 (a cover's 9999: COVER-MISSING) is no report year to settle the run on."""
    counts = Counter(y for y in years if y and 2000 <= y <= 2100)
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def year_mismatch(rep: FileReport, year: int, spec: FormSpec | None = None) -> Finding | None:
    """YEAR-MISMATCH for a report of another year than the run's (None if it is that year, has
    no readable year, or already says so)."""
    if rep.year is None or rep.year == year or any(f.code == "YEAR-MISMATCH" for f in rep.findings):
        return None
    spec = spec or load_spec()
    c = spec.cells["cover.year"]
    return Finding(
        "YEAR-MISMATCH",
        ERROR,
        f"报告年度为 {rep.year}，应为 {year}（本次按 {year} 年度汇总/校验，其他年度的文件不计入）",
        rep.file,
        c.sheet,
        c.a1,
        "cover.year",
        expected=year,
        actual=rep.year,
    )


def settle_year(reports: list[FileReport], year: int | None, spec: FormSpec | None = None) -> int | None:
    """One report year per run: the given one, else the year most files carry; every report of
    another year gets YEAR-MISMATCH. Returns the year (None: no file has a readable year)."""
    if year is None:
        year = majority_year(r.year for r in reports)
    if year is not None:
        for rep in reports:
            if (f := year_mismatch(rep, year, spec)) is not None:
                rep.findings.append(f)
    return year


def validate(
    paths: Iterable[str | os.PathLike[str]],
    *,
    year: int | None = None,
    previous: Iterable[str | os.PathLike[str]] | PreviousIndex | None = None,
    jobs: int = 1,
) -> list[FileReport]:
    """Validate files, folders and globs; returns one :class:`FileReport` per file.

    Several files have one report year: ``year``, else the year most of them carry; files of
    another year get YEAR-MISMATCH. The toolkit's own outputs (annotated copies, findings
    workbooks) are skipped. A path that does not exist, or ``previous`` that is not year − 1,
    raises :class:`InputError` (as the CLI exits 2), never an empty or self-compared result."""
    files, problems = collect_paths(paths)
    if problems:
        raise InputError("；".join(problems))
    prev = previous if isinstance(previous, PreviousIndex) or previous is None else None
    if previous is not None and prev is None:
        prev, pproblems = PreviousIndex.from_paths(previous)  # type: ignore[arg-type]
        if missing := [p for p in pproblems if "找不到" in p or "没有与" in p]:
            raise InputError("；".join(missing))
    reports = [
        c.report
        for c in iter_checked(files, year=year, previous=prev, jobs=jobs, digest=False)
        if not c.is_our_output
    ]
    settled = settle_year(reports, year) if (len(reports) > 1 or year is not None) else None
    if prev is not None:
        prev.check_year(settled if settled is not None else (reports[0].year if reports else None))
    return reports
