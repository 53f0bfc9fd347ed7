"""Many agencies' submissions (+ roster) -> a district summary.

The summary is a :class:`Submission` of the district (cover = the district, values = the exact
cell-wise sum of the included agencies' inputs, totals recomputed), so it validates like any
agency's report and merges upward (district -> city -> province) unchanged. Around it: the
submission status against the roster, the per-agency detail and every finding.

Reading streams: each file is read and checked (in worker processes with ``jobs``) and only a
compact record is kept (status, counts, hash, its findings and its values), never the workbook.
Past the first ``SPOOL_AFTER`` files every record goes to a temporary SQLite file as it arrives
(:class:`toolkit.spool.RecordSpool`): the merge's passes (year, roster, summaries, duplicates,
counting) read and rewrite them a page at a time, grouping and sorting happen in SQL, and the
writers stream them back, so the memory of a merge does not grow with the number of files.
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.findings import ERROR, WARNING, FileReport, Finding, report_from_tuple, report_tuple
from toolkit.identity import attribute, cover_verdict, roster_others
from toolkit.model import Number, Submission, with_dependent_totals
from toolkit.roster import Roster, RosterEntry, norm_name, parent_path, read_roster
from toolkit.spec import FormSpec, load_spec
from toolkit.spool import FileSet, RecordSpool, SpooledValues, with_values
from toolkit.validate import (
    OUTPUT_KINDS,
    Checked,
    InputError,
    PreviousIndex,
    iter_checked,
    majority_year,
    scan_paths,
    summary_members,
    year_mismatch,
)

if TYPE_CHECKING:  # pandas is imported lazily: the CLI must start fast
    import pandas as pd

__all__ = ["AgencyRecord", "Summary", "merge", "previous_of", "previous_with_note", "texts_of"]

SUBMITTED, MISSING, INVALID, DUPLICATE, UNEXPECTED = "已报送", "未报送", "有错误", "重复", "名单外"
# a file its agency's coordinator sent back (xxgk serve's 退回: the caller's RETURNED finding says
# so); never produced from a folder of files
RETURNED = "已退回"
COUNTED, SKIPPED = "计入汇总", "跳过"
MEMBER_CHUNK = 32000  # characters per metadata cell (Excel's limit is 32,767)
MEMBER_CELLS = 10  # cells for the list of counted units (the metadata sheet is read up to row 20)


@dataclass(slots=True)  # one per file: no per-instance __dict__ (a national year has 400,000)
class AgencyRecord:
    """One file (or one roster agency without a file) in the submission status."""

    status: str
    file: str | None = None
    sha256: str = ""
    agency: str = ""  # as the file states it
    code: str = ""
    year: int | None = None
    roster_name: str = ""  # the roster's name for it, when matched
    roster_type: str = ""
    errors: int = 0
    warnings: int = 0
    included: bool = False
    # in spec.numeric_keys order; past SPOOL_AFTER files a SpooledValues (loads on use, == tuple)
    values: tuple[Number, ...] | SpooledValues | None = field(default=None, repr=False)
    nonzero: int | None = field(default=None, repr=False)  # how many values are not zero
    copy_of_counted: bool = False  # not counted, by design: a copy of a counted file, or not preferred
    note: str = ""
    kind: str = ""  # "summary" for a summary the toolkit wrote (merged upward), else ""
    meta: dict[str, str] = field(default_factory=dict, repr=False)  # a summary's metadata
    other_year: bool = False  # YEAR-MISMATCH: never counted, not even with --include-invalid
    report: FileReport | None = field(default=None, repr=False)
    seq: int = field(default=0, repr=False, compare=False)  # its row in a spilled RecordSpool
    parent: str = ""  # the cover's 上级/所属地区, as the file states it

    @property
    def name(self) -> str:
        return self.roster_name or self.agency or (Path(self.file).stem if self.file else "")


_FIELDS = tuple(f.name for f in fields(AgencyRecord))


# A spilled record is pickled as plain tuples (its report and findings too): pickle rebuilds a
# FileReport object 5x slower than it reads the tuple the report is made of, and every pass of
# the merge and the writers reads every record back (spool paging was 11 % of the main process).
_REPORT = _FIELDS.index("report")
_fields_of = operator.attrgetter(*_FIELDS)  # a record as the tuple of its fields (one C call)


def _pack(r: AgencyRecord) -> tuple[Any, ...]:
    t = _fields_of(r)
    rep = t[_REPORT]
    if rep is None:
        return t
    import pickle  # here, not at the top: `xxgk validate` starts without it

    # the report pickled on its own (with how many findings it has): a pass over the records
    # unpickles it only if it reads it
    return (*t[:_REPORT], (len(rep.findings), pickle.dumps(report_tuple(rep), 5)), *t[_REPORT + 1 :])


def _unpack(t: tuple[Any, ...]) -> AgencyRecord:
    return AgencyRecord(*t) if t[_REPORT] is None else _SpooledRecord(*t)


_REPORT_SLOT = AgencyRecord.__dict__["report"]  # the field's slot (a member descriptor)


class _SpooledRecord(AgencyRecord):
    """A record read back from a spilled spool: its report (with its findings) is made when it
    is first read. Of the merge's and the writers' passes over 400,000 records (each reading every
    record back) most never look at reports: they no longer unpickle and rebuild them
    (~1.5-3 us a record and pass)."""

    __slots__ = ()

    @property  # type: ignore[override]
    def report(self) -> FileReport | None:
        rep = _REPORT_SLOT.__get__(self, AgencyRecord)
        if type(rep) is tuple:  # (its findings, its pickle): as packed
            import pickle

            rep = report_from_tuple(pickle.loads(rep[1]))
            _REPORT_SLOT.__set__(self, rep)
        return rep

    @report.setter
    def report(self, value: FileReport | None) -> None:
        _REPORT_SLOT.__set__(self, value)


def _dup_ids(r: AgencyRecord) -> tuple[str, ...] | None:
    """What makes files one agency's, judged together as duplicates: its code and its name (a
    code mistyped in one of two files of 丙局 must not count 丙局 twice: the groups join files
    sharing either, transitively); None for a record in no such group."""
    if not r.file or r.status in (UNEXPECTED, DUPLICATE) or (r.values is None and not r.roster_name):
        return None
    name = norm_name(r.roster_name or r.agency)
    return tuple(i for i in (r.code, "name:" + name if name else "") if i) or (f"file:{r.file}",)


def _findings(r: AgencyRecord) -> int:
    """How many findings a record's report has (a spilled record's, without reading it back)."""
    rep = _REPORT_SLOT.__get__(r, AgencyRecord)
    if rep is None:
        return 0
    return rep[0] if type(rep) is tuple else len(rep.findings)


def _index(r: AgencyRecord) -> tuple[str, str, str, tuple[str, ...] | None, int | None, int]:
    return (r.status, r.name, r.file or "", _dup_ids(r), r.year, _findings(r))


def _weigh(r: AgencyRecord) -> int:
    """A record's bytes in memory, roughly: ~2.5 KB with its ~200 values (measured: 8,000 records
    held took 20 MB), ~0.6 KB a finding (its Chinese message) and each summary field."""
    findings = 600 * len(r.report.findings) if r.report is not None else 0
    return 3000 + findings + 200 * len(r.meta)


def new_records(keep: int | None = None) -> RecordSpool:
    """An empty list of records: in memory up to ``keep`` (and ``SPOOL_BYTES``), then in a
    temporary database."""
    return RecordSpool(keep, _index, _pack, _unpack, _weigh)


TOP_RECEIVED = 30  # the agencies the summary's chart of applications received names


class _Top:
    """The ``n`` smallest of a stream by ``(-number, name)``, ties in arrival order: what
    ``sorted(items, key=...)[:n]`` gives, holding a few hundred items, not all of them."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._kept: list[tuple[Number, str]] = []  # the best so far, in their order
        self._new: list[tuple[Number, str]] = []  # arrived since, in arrival order

    @staticmethod
    def _key(t: tuple[Number, str]) -> tuple[Number, str]:
        return (-t[0], t[1])

    def add(self, item: tuple[Number, str]) -> None:
        self._new.append(item)
        if len(self._new) >= 512:
            self._reduce()

    def _reduce(self) -> None:
        import heapq

        # the kept items arrived before the new ones: a stable selection keeps ties in arrival order
        self._kept = heapq.nsmallest(self.n, self._kept + self._new, key=self._key)
        self._new = []

    def result(self) -> list[tuple[Number, str]]:
        self._reduce()
        return self._kept


class _Members:
    """The counted units' list of a summary's metadata (code TAB name a line), cut into cells of
    ``MEMBER_CHUNK`` characters; past ``MEMBER_CELLS`` full cells the list is partial."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.partial = False
        self._cur = ""

    def add(self, r: AgencyRecord) -> None:
        if self.partial:
            return
        line = f"{_clean(r.code)}\t{_clean(r.agency or r.roster_name)}"
        cur = self._cur
        if cur and len(cur) + 1 + len(line) > MEMBER_CHUNK:
            self.chunks.append(cur)
            self._cur = ""
            if len(self.chunks) == MEMBER_CELLS:
                self.partial = True
                return
            cur = ""
        self._cur = f"{cur}\n{line}" if cur else line

    @property
    def done(self) -> list[str]:
        return self.chunks + ([self._cur] if self._cur and not self.partial else [])


class _View:
    """A lazily computed sequence over the records (iterate, len, bool): nothing is held."""

    def __init__(self, make: Callable[[], Iterable[Any]], length: Callable[[], int] | None = None) -> None:
        self._make, self._length = make, length

    def __iter__(self) -> Any:
        return iter(self._make())

    def __len__(self) -> int:
        return self._length() if self._length else sum(1 for _ in self._make())

    def __bool__(self) -> bool:
        return any(True for _ in self._make())


class _Reports(_View):
    """The records' reports, in order (a view), and those with findings alone (selected in SQL
    when the records are spilled)."""

    def __init__(self, records: RecordSpool) -> None:
        super().__init__(lambda: (r.report for r in records if r.report is not None))
        self._records = records

    def with_findings(self) -> Iterator[FileReport]:
        return (r.report for r in self._records.where(lambda r: _findings(r) > 0, "nf > 0"))


@dataclass
class Summary:
    spec: FormSpec = field(repr=False)
    submission: Submission  # the district's report: a valid input to a higher-level merge
    records: RecordSpool  # iterate; in memory up to SPOOL_AFTER records, else in a database
    reports: Iterable[FileReport]  # the records' reports, in order (a view, not a list)
    findings: list[Finding]  # merge-level: MISSING / DUPLICATE / UNEXPECTED / left out
    roster: Roster | None = None
    previous: Submission | None = None  # last year's district sum, when --previous was given
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was not read)
    year_note: str = ""  # how the report year was chosen, when not by --year
    name_note: str = ""  # how the summary's name was chosen, when neither --agency nor a roster gave it
    _stats_cache: tuple[int, dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.records, list):  # built by hand: held in memory
            recs = new_records(max(len(self.records), 1))
            recs.extend(self.records)
            self.records = recs

    @property
    def included(self) -> _View:
        """The counted records (a view: iterate it, or take its len)."""
        return _View(lambda: (r for r in self.records if r.included), lambda: self.counted)

    def _stats(self) -> dict[str, Any]:
        """Everything the outputs count over the records, in one pass (cached until they change):
        the status counts, the sum of the counted values (``totals``), the counted units' list
        (``members``: the summary's metadata) and the agencies with the most applications
        (``top_received``: the chart) — a pass over 400,000 spilled records reads each back."""
        version = (id(self.records), self.records.version, len(self.records))
        if self._stats_cache is not None and self._stats_cache[0] == version:
            return self._stats_cache[1]
        st = dict.fromkeys(
            (
                "received",
                "counted",
                "invalid",
                "returned",
                "duplicate",
                "unexpected",
                "missing",
                "included",
                "findings",
                "own",
                "summaries",
                "below",
                "long",
                "regions",
            ),
            0,
        )
        left_out = invalid_report = incomplete = False
        keys = self.spec.numeric_keys
        total: list[Number] = [
            Decimal(0) if (t := self.spec.cells[k].type) and t.kind == "decimal" else 0 for k in keys
        ]
        received = self.spec.cells.get("t3.new_received.total")
        pos = [keys.index(k) for k in received.parts] if received is not None and received.parts else None
        top = _Top(TOP_RECEIVED)
        members = _Members()
        parents: Counter[str] = Counter()  # the counted covers' 上级/所属地区 ("": not filled in)

        def want(r: AgencyRecord) -> bool:
            # the counted values, and those of records whose non-zero values were not counted as
            # they were read (made by hand)
            return r.values is not None and (r.included or r.nonzero is None)

        for r, values in with_values(self.records, want):
            if r.values is not None:
                if r.nonzero is None:
                    st["long"] += sum(1 for v in values or () if v)
                else:
                    st["long"] += r.nonzero
            if r.included:
                members.add(r)
                if values is not None:
                    parents[r.parent] += 1
                    _sum_into(total, values)
                    if pos is not None:
                        top.add((sum(values[i] or 0 for i in pos), r.name))
                st["included"] += 1
                if r.kind == "summary":
                    st["summaries"] += 1
                    st["below"] += units_of(r.meta)
                else:
                    st["own"] += 1
                # a summary counted that was itself incomplete, or that its caller says is no longer
                # complete (xxgk serve: a 上报 out of date) — completeness travels upward
                incomplete = incomplete or r.meta.get("complete") == "0"
                if r.kind == "summary" and r.report is not None:
                    incomplete = incomplete or any(f.code == "SUMMARY-INCOMPLETE" for f in r.report.findings)
            if r.file and not r.included and not r.copy_of_counted:
                left_out = True
            if r.report is not None:
                st["findings"] += len(r.report.findings)
                # a file another one of its agency stands in for (a corrected resubmission, a
                # copy) leaves nobody's figures out: its errors do not make the summary incomplete
                invalid_report = invalid_report or (not r.report.valid and not r.copy_of_counted)
            st["regions"] += is_region_row(r)
            if r.status == UNEXPECTED:
                st["unexpected"] += 1
            elif r.status == MISSING:
                st["missing"] += 1
            if r.file and r.status != UNEXPECTED:
                st["received"] += 1
                if r.included:
                    st["counted"] += 1
                elif r.status == DUPLICATE:
                    st["duplicate"] += 1
                elif r.status == RETURNED:
                    st["returned"] += 1
                else:
                    st["invalid"] += 1
        st["complete_records"] = not left_out and not invalid_report and not incomplete
        st["totals"] = total
        st["top_received"] = top.result()
        st["parents"] = parents
        st["members"], st["members_partial"] = members.done, members.partial
        self._stats_cache = (version, st)
        return st

    def top_received(self) -> list[tuple[Number, str]]:
        """The counted agencies with the most applications received this year (表三 本年新收), as
        (number, name), the most first, ties by name then arrival: at most ``TOP_RECEIVED``."""
        return self._stats()["top_received"]

    @property
    def complete(self) -> bool:
        """Every expected agency counted, nothing left out, no errors anywhere, and every summary
        counted was itself complete (completeness travels upward)."""
        return self._stats()["complete_records"] and not any(f.severity == ERROR for f in self.findings)

    @property
    def finding_count(self) -> int:
        """Findings of the merge and of every file's report: the rows of 问题清单."""
        return len(self.findings) + self._stats()["findings"]

    @property
    def counted(self) -> int:
        """How many records are counted in the sum."""
        return self._stats()["included"]

    @property
    def nonzero(self) -> int:
        """How many values of all the records are not zero: the rows of 明细（长表）."""
        return self._stats()["long"]

    def counted_of(self) -> Counted:
        """What this summary counts, by :class:`Counted`'s rule."""
        st = self._stats()
        return Counted(st["own"], st["summaries"], st["below"])

    def status_counts(self) -> dict[str, int]:
        """The one vocabulary of every output (console, JSON, 报送情况):

        已报送 files received for roster agencies (without a roster: every agency's file), each
        exactly one of 计入汇总 (counted), 有错误 (left out for errors), 已退回 (sent back by the
        coordinator of ``xxgk serve``: only there, and only listed when there is one) or 重复 (a
        second file of an agency, or a summary double-counting agencies); 名单外 files of agencies
        not in the roster; 未报送 roster agencies without a file; 跳过 files not read (not reports),
        each with why."""
        st = self._stats()
        out = {
            SUBMITTED: st["received"],
            COUNTED: st["counted"],
            INVALID: st["invalid"],
            DUPLICATE: st["duplicate"],
            UNEXPECTED: st["unexpected"],
            MISSING: st["missing"],
            SKIPPED: len(self.skipped),
        }
        if st["returned"]:
            out = {**dict(list(out.items())[:3]), RETURNED: st["returned"], **dict(list(out.items())[3:])}
        return out

    def status_line(self) -> str:
        """``已报送 19（计入汇总 12，有错误 5，重复 2），名单外 1，未报送 1，跳过 2`` (``已退回 1``
        after 有错误 when a file was sent back)."""
        c = self.status_counts()
        if self._stats()["regions"]:
            return self._regions_line(c)
        line = _rows_line(c)
        for k in (UNEXPECTED, MISSING, SKIPPED):
            if c[k] or (k == MISSING and self.roster is not None):
                line += f"，{k} {c[k]}"
        return line

    def _region_tallies(self) -> tuple[dict[str, int], dict[str, int]]:
        """The rows' tallies, sub-regions' and the region's own agencies' apart: one pass over the
        records, kept with the summary's other counts (status_line is said four times a merge)."""
        st = self._stats()
        if "region_tallies" not in st:
            tallies: tuple[dict[str, int], dict[str, int]] = ({}, {})
            for r in self.records:
                if r.status == UNEXPECTED:
                    continue
                t = tallies[0 if is_region_row(r) else 1]
                if not r.file:
                    key = MISSING
                elif r.included:
                    key = COUNTED
                else:
                    key = r.status if r.status in (DUPLICATE, RETURNED) else INVALID
                t[key] = t.get(key, 0) + 1
                t[SUBMITTED] = t.get(SUBMITTED, 0) + bool(r.file)
                t["rows"] = t.get("rows", 0) + 1
            st["region_tallies"] = tallies
        return st["region_tallies"]

    def _regions_line(self, c: dict[str, int]) -> str:
        """Summaries among the rows: ``下级地区 2 个：已报送汇总 2（计入汇总 2，有错误 0，重复 0）；
        本级单位 1 个：已报送 1（计入汇总 1，有错误 0，重复 0），未报送 0`` — a district's summary is
        not one more agency (the city's page says them apart the same way)."""
        parts = []
        for t, head, sent in zip(
            self._region_tallies(), ("下级地区", "本级单位"), ("已报送汇总", SUBMITTED), strict=True
        ):
            if not t:
                continue
            n = {k: t.get(k, 0) for k in (SUBMITTED, COUNTED, INVALID, DUPLICATE, MISSING)}
            if t.get(RETURNED):
                n[RETURNED] = t[RETURNED]
            said = f"{head} {t['rows'] - n[DUPLICATE]} 个：{_rows_line(n, sent)}"
            if n[MISSING] or self.roster is not None:
                said += f"，{MISSING} {n[MISSING]}"
            parts.append(said)
        line = "；".join(parts)
        for k in (UNEXPECTED, SKIPPED):
            if c[k]:
                line += f"，{k} {c[k]}"
        return line

    def to_frame(self) -> pd.DataFrame:
        """The per-agency detail (wide): one row per file or missing agency, one column per key."""
        import pandas as pd

        keys = self.spec.numeric_keys
        rows = []
        for r, values in with_values(self.records):
            row: dict[str, Any] = {
                "agency": r.name,
                "code": r.code,
                "type": r.roster_type,
                "status": r.status,
                "included": r.included,
                "file": r.file,
            }
            if values is not None:
                row.update(zip(keys, values, strict=True))
            rows.append(row)
        return pd.DataFrame(rows, columns=["agency", "code", "type", "status", "included", "file", *keys])

    def to_json(self) -> dict[str, Any]:
        """The JSON document (held whole: for a large merge stream :meth:`json_chunks`)."""
        doc = self._json_head()
        doc["agencies"] = list(self._json_agencies())
        doc["findings"] = list(self._json_findings())
        doc["files"] = self._json_files()
        return doc

    def json_chunks(self) -> Iterator[str]:
        """``json_text(self.to_json(), indent=2)`` piece by piece: the per-agency lists are
        written as they are read, never held."""
        import uuid

        from toolkit.textsafe import json_text

        mark = f"@@xxgk-{uuid.uuid4().hex}-"
        doc = self._json_head()
        doc["agencies"] = mark + "agencies"
        doc["findings"] = mark + "findings"
        doc["files"] = self._json_files()
        text = json_text(doc, indent=2)
        lists = {"agencies": self._json_agencies, "findings": self._json_findings}
        for name, make in lists.items():
            head, sep, text = text.partition(f'"{mark}{name}"')
            assert sep
            yield head
            first = True
            for item in make():
                body = json_text(item, indent=2).replace("\n", "\n    ")
                yield ("[\n    " if first else ",\n    ") + body
                first = False
            yield "[]" if first else "\n  ]"
        yield text

    def reports_with_findings(self) -> Iterator[FileReport]:
        """The files' reports that have findings, in order: past SPOOL_AFTER records read back
        alone (a district's few, not a pass over all of them)."""
        with_findings = getattr(self.reports, "with_findings", None)
        if with_findings is not None:
            return with_findings()
        return (rep for rep in self.reports if rep.findings)

    def _json_head(self) -> dict[str, Any]:
        return {
            "summary": self.submission.to_values_json(),
            "complete": self.complete,
            "year": self.submission.year,
            "status": self.status_counts(),
            "skipped": [{"file": f, "reason": why} for f, why in self.skipped],
        }

    def _json_agencies(self) -> Iterator[dict[str, Any]]:
        for r in self.records:
            yield {
                "name": r.name,
                "file": r.file,
                "status": r.status,
                "included": r.included,
                "code": r.code or None,
                "year": r.year,
                "sha256": r.sha256 or None,
                "errors": r.errors,
                "warnings": r.warnings,
                "note": r.note or None,
            }

    def _json_findings(self) -> Iterator[dict[str, Any]]:
        yield from (f.to_dict() for f in self.findings)
        yield from (f.to_dict() for rep in self.reports_with_findings() for f in rep.findings)

    def _json_files(self) -> dict[str, Any]:
        from toolkit.outputs.console import summary_dict

        return summary_dict(self.reports)


def _sum_into(total: list[Number], values: tuple[Number, ...]) -> None:
    if None not in values:  # the usual record: added in C
        total[:] = map(operator.add, total, values)
        return
    for i, v in enumerate(values):
        if v:
            total[i] += v


def merge(
    paths: Iterable[str | os.PathLike[str]],
    *,
    roster: str | os.PathLike[str] | Roster | None = None,
    year: int | None = None,
    agency: str | None = None,
    code: str | None = None,
    include_invalid: bool = False,
    previous: Iterable[str | os.PathLike[str]] | PreviousIndex | None = None,
    prefer: Iterable[str | os.PathLike[str]] = (),
    jobs: int = 1,
    spec: FormSpec | None = None,
    progress: Callable[[int, int], None] | None = None,
    spool_after: int | None = None,
    assign: Mapping[str, tuple[RosterEntry, list[Finding]]] | None = None,
) -> Summary:
    """Read, check and add up workbooks into a district summary (never raises for bad files).

    One report year per merge: ``year``, else the roster's (a 报告年度 column), else the year most
    files carry (said in ``Summary.year_note``); files of another year are YEAR-MISMATCH and left out. ``prefer`` names
    the file to count where an agency sent several with different content. Raises
    :class:`InputError` for a path that does not exist or a ``previous`` of the wrong year.
    Past ``spool_after`` files (default ``SPOOL_AFTER``) the records are kept in a temporary
    database, not in memory (removed when the summary is dropped, or at once on an error).
    ``assign`` binds files (by path) to their roster entry whatever their cover says, with
    findings of the caller's to add to them (``xxgk serve``: an upload belongs to its link)."""
    if roster is not None and not isinstance(roster, Roster):
        roster = read_roster(roster)
    # the roster itself may sit in the folder being merged
    got = scan_paths(paths, exclude=[roster.path] if roster is not None else ())
    if got.missing:
        raise InputError("；".join(got.missing))
    files = got.files
    # the format of the report year: the year given, the roster's, else the one most files declare,
    # read by the workers on the way (the default until then: a rare folder of another format is
    # merged again in its own, see below)
    said: Counter[str] | None = None
    if spec is None:
        given = year if year is not None else (roster.year if roster else None)
        said = Counter() if given is None else None
        spec = _format_for(given)
    skipped = [
        (f, why)
        for f, why in got.skipped
        if roster is None or Path(f).resolve() != Path(roster.path).resolve()
    ]
    preferred = _resolve_prefer(prefer, files)
    year_note = ""
    if year is None and roster is not None and roster.year is not None:
        year = roster.year
        year_note = f"未指定 --year，按名单的报告年度 {year} 汇总"
    prev_index = None
    prev_sum = None
    if isinstance(previous, PreviousIndex):  # built elsewhere (the archive: Store.previous_index)
        prev_index = previous
        if year is not None:
            prev_index.check_year(year)
        prev_sum = _sum_previous(prev_index)
    elif previous:
        # each of last year's files in its own format (a 2020 report is in the 2019 format)
        prev_index, problems = PreviousIndex.from_paths(previous)
        if missing := [p for p in problems if "找不到" in p or "没有与" in p]:
            raise InputError("；".join(missing))
        if year is not None:
            prev_index.check_year(year)
        prev_sum = _sum_previous(prev_index)

    records = new_records(spool_after)  # None: SPOOL_AFTER
    try:
        try:
            return _merge_records(
                records, files, list(skipped), spec, roster, year, year_note, agency, code,
                include_invalid, prev_index, prev_sum, preferred, jobs, progress, assign or {}, said,
            )  # fmt: skip
        except _OtherFormat as exc:  # most files declare another format: merged again in that one
            records.close()
            records = new_records(spool_after)
            return _merge_records(
                records, files, skipped, exc.spec, roster, year, year_note, agency, code,
                include_invalid, prev_index, prev_sum, preferred, jobs, progress, assign or {},
            )  # fmt: skip
    except BaseException:  # an error or Ctrl-C: the temporary database goes at once
        records.close()
        raise
    finally:
        if isinstance(files, FileSet):  # read: its database is no longer needed
            files.close()


def _merge_records(
    records: RecordSpool,
    files: Iterable[Path],
    skipped: list[tuple[str, str]],
    spec: FormSpec,
    roster: Roster | None,
    year: int | None,
    year_note: str,
    agency: str | None,
    code: str | None,
    include_invalid: bool,
    prev_index: PreviousIndex | None,
    prev_sum: Submission | None,
    preferred: set[str],
    jobs: int,
    progress: Callable[[int, int], None] | None,
    assign: Mapping[str, tuple[RosterEntry, list[Finding]]],
    said: Counter[str] | None = None,
) -> Summary:
    keys = spec.numeric_keys
    years: Counter[int] = Counter()  # of the readable files: the majority year
    summaries = 0  # summaries among the files (merged upward)
    for checked in iter_checked(
        files, year=year, previous=prev_index, jobs=jobs, project=_values_of, spec=spec, progress=progress,
        properties=("format",) if said is not None else (),
    ):  # fmt: skip
        rep = checked.report
        if said is not None and (fmt := _format_said(checked)):
            said[fmt] += 1
        if checked.is_our_output and rep.file not in assign:  # bound by the caller: its agency's upload
            skipped.append((rep.file, OUTPUT_KINDS[checked.kind]))
            continue
        rec = AgencyRecord(
            INVALID,
            file=rep.file,
            sha256=checked.sha256,
            agency=rep.agency or "",
            code=rep.code or "",
            year=rep.year,
            kind="summary" if checked.kind == "summary" else "",
            meta=checked.meta if checked.kind == "summary" else {},
            report=rep,
            parent=rep.parent or "",
        )
        if checked.payload is not None:
            rec.nonzero = len(checked.payload) - checked.payload.count(0) - checked.payload.count(None)
            rec.values = checked.payload
            if rec.year:
                years[rec.year] += 1
        _settle_record(rec, year, spec)  # the year may still change: see below
        summaries += rec.kind == "summary"
        records.append(rec)
    if said is not None and (other := _declared_format(said)) is not spec:
        raise _OtherFormat(other)  # before anything is settled by what was read in this format

    if year is None:
        year = majority_year(years.elements())
        if year is not None:
            year_note = f"未指定 --year，按多数文件的报告年度 {year} 汇总"
            if prev_index is not None:
                prev_index.check_year(year)
            # only the files of another year change (read back from the database alone)
            other = year
            for r in records.updating(
                lambda r: r.year is not None and r.year != other, "year IS NOT NULL AND year != ?", (other,)
            ):
                _settle_record(r, other, spec)

    findings: list[Finding] = []
    if roster is not None:  # roster rows not read (ROSTER-VALUE): an agency expected but unknown
        findings.extend(f for f in roster.findings if f.code == "ROSTER-VALUE")
    _match_roster(records, roster, findings, assign)
    if summaries:
        _settle_summaries(records, roster, findings, skipped, served=bool(assign))
    records.remove_status(SKIPPED)
    _mark_duplicates(records, findings, preferred)
    # a file submitted is counted (so marked as it was read); the others are settled here
    for r in records.updating(lambda r: r.status != SUBMITTED, "status != ?", (SUBMITTED,)):
        r.included = False
        # numbers beyond any plausible bound are not summed, not even with --include-invalid
        plausible = not any(f.code == "VALUE-IMPLAUSIBLE" for f in r.report.findings) if r.report else True
        if r.status == SUBMITTED:
            r.included = True
        elif (
            r.status == INVALID
            and include_invalid
            and r.values is not None
            and not r.other_year
            and plausible
        ):
            r.included = True
            r.note = "有错误，按 --include-invalid 计入汇总"
            findings.append(
                Finding(
                    "INCLUDED-INVALID",
                    WARNING,
                    f"“{r.name}”的文件有 {r.errors} 个错误，已按 --include-invalid 计入汇总",
                    r.file,
                )
            )
        elif r.file and r.status == INVALID and not r.other_year:
            if r.values is None:  # nothing read in this summary's format: --include-invalid cannot help
                first = (
                    next((f for f in r.report.findings if f.severity == "error"), None) if r.report else None
                )
                left = f"{first.message if first else '未能读出数字'}；未计入汇总（未能按本汇总的{spec.name}读出数字"
                left += "）" if assign else "，--include-invalid 也不能计入）"  # xxgk serve has no options
            elif plausible:
                left = "有错误，未计入汇总（改正后重新报送" + (
                    "）" if assign else "，或使用 --include-invalid）"
                )
            else:
                left = "数值不合常理（VALUE-IMPLAUSIBLE），即使使用 --include-invalid 也不计入汇总"
            r.note = f"{r.note}；{left}" if r.note else left

    cover = {
        "agency": agency or _district_name(roster) or "汇总",  # or the covers' 上级: below
        "code": (code or "").upper(),
        "year": year,
        "parent": "",
    }
    summary_sub = Submission(spec=spec, cover=cover)  # its values: the records' one pass, below
    if prev_index is not None:  # year on year: last year's figures of the units counted this year
        members: list[tuple[str, str]] = []
        for r in records:
            if r.included:
                members += summary_members(r.meta) if r.kind == "summary" else [(r.code, r.name)]
        prev_sum = _sum_previous(prev_index, members)
        if prev_sum is not None:
            prev_sum.meta["counted"] = str(len(members))
    reports = _Reports(records)
    summary = Summary(
        spec, summary_sub, records, reports, findings, roster, prev_sum, sorted(skipped), year_note
    )
    st = summary._stats()  # the sum with everything else the outputs count, in one pass
    summary_sub.values = {
        k: v for k, v in zip(keys, st["totals"], strict=True) if spec.cells[k].kind == "input"
    }
    if not (agency or _district_name(roster)):  # named after the counted covers' 上级, when they agree
        summary_sub.cover["agency"], summary.name_note = _name_from_covers(Counter(st["parents"]))
    summary_sub.meta.update(_summary_meta(summary))
    return summary


def _settle_record(r: AgencyRecord, year: int | None, spec: FormSpec) -> None:
    """A file's status for the run's report year (a file of another year is YEAR-MISMATCH);
    counted (for now) when submitted: what a roster, summaries or duplicates change later."""
    rep = r.report
    assert rep is not None
    if year is not None and (f := year_mismatch(rep, year, spec)) is not None:
        rep.findings.append(f)
    if any(f.code == "YEAR-MISMATCH" for f in rep.findings):
        r.other_year = True
        r.note = f"报告年度为 {r.year}，不是 {year}，未计入汇总"
    r.errors, r.warnings = rep.errors, rep.warnings
    r.status = SUBMITTED if r.values is not None and rep.valid else INVALID
    r.included = r.status == SUBMITTED


def _resolve_prefer(prefer: Iterable[str | os.PathLike[str]], files: Iterable[Path]) -> set[str]:
    """``--prefer FILE``: a path, or the name of one of the files being merged."""
    out: set[str] = set()
    for p in prefer:
        hits = [f for f in files if Path(f).resolve() == Path(p).resolve()] or [
            f for f in files if Path(f).name == Path(p).name
        ]
        if len(hits) != 1:
            why = "不是本次汇总的文件" if not hits else "对应多个文件，请给出路径"
            raise InputError(f"--prefer {p} {why}")
        out.add(str(Path(hits[0]).resolve()))
    return out


def _summary_meta(summary: Summary) -> dict[str, str]:
    """What a summary says about itself in its metadata: complete or not, its counts, and the
    units it counts (code and name), so that a merge above it can tell a double count."""
    counted = summary.counted_of()  # in the one pass over the records the summary makes anyway
    meta = {
        "kind": "summary",
        "complete": "1" if summary.complete else "0",
        "counted": str(len(summary.included)),
        # the agencies it counts in all: its own and those of the summaries it counts (a province
        # above a city adds these up; "counted" counts a district's summary as one row)
        "units": str(counted.total),
        "status": summary.status_line(),
    }
    st = (
        summary._stats()
    )  # the members listed in the same pass (a line past MEMBER_CELLS full chunks: partial)
    if st["members_partial"]:
        meta["members_partial"] = "1"
    for i, c in enumerate(st["members"]):
        meta["members" if i == 0 else f"members.{i + 1}"] = c
    return meta


@dataclass(frozen=True)
class Counted:
    """What a summary counts: agencies' reports directly, sub-regions' summaries, and the agencies
    those summaries count (each summary's ``units``, as written in it). The one rule of ``units``,
    of serve's pages (a district's, the city's) and of ``xxgk merge`` over the same files: a
    city's "3 个单位" were one agency and two districts of twenty."""

    agencies: int
    summaries: int
    below: int

    @property
    def total(self) -> int:
        return self.agencies + self.below

    def phrase(self) -> str:
        """``12 个单位``, or ``1 个单位和 2 个地区的汇总（共 21 个单位）``."""
        if not self.summaries:
            return f"{self.agencies} 个单位"
        parts = ([f"{self.agencies} 个单位"] if self.agencies else []) + [f"{self.summaries} 个地区的汇总"]
        return f"{'和 '.join(parts)}（共 {self.total} 个单位）"


REGION_TYPE = "地区"  # a roster's row for a sub-region (its summary expected), as xxgk serve writes it


def is_region_row(r: AgencyRecord) -> bool:
    """A sub-region's row: a summary read, or a roster row of type 地区 (its summary expected)."""
    return r.kind == "summary" or r.roster_type == REGION_TYPE


def _rows_line(c: Mapping[str, int], sent: str = SUBMITTED) -> str:
    """``已报送 3（计入汇总 2，有错误 1，重复 0）`` (``已退回 1`` after 有错误 when a file was sent back)."""
    back = f"，{RETURNED} {c[RETURNED]}" if c.get(RETURNED) else ""
    return f"{sent} {c[SUBMITTED]}（{COUNTED} {c[COUNTED]}，{INVALID} {c[INVALID]}{back}，{DUPLICATE} {c[DUPLICATE]}）"


def units_of(meta: Mapping[str, str]) -> int:
    """How many agencies a summary counts in all, as its metadata says: ``units`` (since summaries
    carry it), else ``counted`` (an older summary: its rows, exact unless it counted summaries)."""
    n = str(meta.get("units") or meta.get("counted") or "0")
    return int(n) if n.isascii() and n.isdigit() and len(n) <= 9 else 0


def _clean(text: str) -> str:
    return " ".join(str(text or "").split())[:200]


def _settle_summaries(
    records: RecordSpool,
    roster: Roster | None,
    findings: list[Finding],
    skipped: list[tuple[str, str]],
    served: bool = False,
) -> None:
    """Summaries among the inputs: never counted twice. A summary whose units are also here
    directly is DOUBLE-COUNTED (the direct files count); a summary not in the roster (our own
    output where agencies' reports are expected) is skipped with a note. ``served``: the
    summaries are regions' 上报 in ``xxgk serve`` (no inbox to take a file out of)."""
    summaries = [r for r in records if r.kind == "summary"]  # few: held while they are settled
    if not summaries:
        return
    try:
        _settle(summaries, records, roster, findings, skipped, served)
    finally:
        records.save(summaries)


def _settle(
    summaries: list[AgencyRecord],
    records: RecordSpool,
    roster: Roster | None,
    findings: list[Finding],
    skipped: list[tuple[str, str]],
    served: bool = False,
) -> None:
    # the direct files that are units of some summary (by code, by name: the last one wins)
    codes = {c for s in summaries for c, _n in summary_members(s.meta) if c}
    names = {norm_name(n) for s in summaries for _c, n in summary_members(s.meta)}
    by_code: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for r in records:
        if r.kind == "summary" or r.values is None:
            continue
        if r.code and r.code in codes:
            by_code[r.code] = r.name
        for n in (r.agency, r.roster_name):
            if n and (k := norm_name(n)) in names:
                by_name[k] = r.name
    counted: list[AgencyRecord] = []  # summaries counted so far, and their units
    for s in summaries:
        members = summary_members(s.meta)
        both = []
        for mcode, mname in members:
            hit = (by_code.get(mcode) if mcode else None) or by_name.get(norm_name(mname))
            if hit is not None:
                both.append(hit)
        if not both:  # two summaries counting the same unit
            for other in counted:
                own = {(c or norm_name(n)) for c, n in summary_members(other.meta)}
                both += [n for c, n in members if (c or norm_name(n)) in own]
        if both:
            _drop_unexpected(s, findings)
            shown = "、".join(sorted(set(both))[:5]) + ("等" if len(set(both)) > 5 else "")
            s.status = DUPLICATE
            s.note = (
                f"汇总表中的 {len(set(both))} 个单位（{shown}）也单独计入了，此汇总表未计入，以免重复计算"
            )
            findings.append(
                Finding(
                    "DOUBLE-COUNTED",
                    ERROR,
                    f"汇总表“{s.agency}”（{Path(s.file or '').name}）包含的 {len(set(both))} 个单位"
                    f"（{shown}）也单独报送或包含在另一份汇总表中：此汇总表未计入，以免重复计算；"
                    + (
                        f"请{s.roster_name or s.agency}查看其名单后重新上报"
                        if served
                        else "请把它移出收件文件夹"
                    ),
                    s.file,
                )
            )
            continue
        if roster is not None and not s.roster_name:
            _drop_unexpected(s, findings)
            s.status = SKIPPED
            skipped.append(
                (
                    s.file or "",
                    f"本工具生成的汇总表（{s.agency}，计入 {units_of(s.meta)} 个单位），"
                    "不在名单内，不是单位的报表，未计入",
                )
            )
            continue
        counted.append(s)


def _drop_unexpected(r: AgencyRecord, findings: list[Finding]) -> None:
    findings[:] = [f for f in findings if not (f.code == "UNEXPECTED-AGENCY" and f.file == r.file)]


def _values_of(sub: Submission) -> tuple[Number, ...] | None:
    """A submission as the tuple of its inputs in ``numeric_keys`` order (totals as 0): what the
    merge keeps of a file. None when a sheet could not be read. Whole amounts as ints: exact
    either way, and the detail writes them faster."""
    if sub.meta.get("incomplete"):
        return None
    keys, amounts, counts = _input_slots(sub.spec)  # a total's slot holds a key no submission has: 0
    out = list(map(sub.values.get, keys, itertools.repeat(0, len(keys))))
    for i in amounts:  # the amount cells hold Decimals as read
        v = out[i]
        if type(v) is Decimal and v == v.to_integral_value():
            out[i] = int(v)
    try:
        array("q", counts(out))  # every count an int (one call in C): nothing more to do
    except (TypeError, OverflowError):  # a count read as a Decimal (rare), None, a huge one: the same rule
        out = [int(v) if type(v) is Decimal and v == v.to_integral_value() else v for v in out]
    return tuple(out)


_NO_KEY = object()


@functools.lru_cache(maxsize=8)
def _input_slots(spec: FormSpec) -> tuple[tuple[Any, ...], tuple[int, ...], Callable[[list[Any]], Any]]:
    """The keys to take in ``numeric_keys`` order (a total's as _NO_KEY), the positions of the
    amount (decimal) inputs, and a getter of all the other positions."""
    cells = spec.cells
    keys = tuple(_NO_KEY if cells[k].kind == "total" else k for k in spec.numeric_keys)
    amounts = tuple(
        i
        for i, k in enumerate(spec.numeric_keys)
        if cells[k].kind != "total" and cells[k].type and cells[k].type.kind == "decimal"
    )
    rest = [i for i in range(len(keys)) if i not in amounts]
    counts = operator.itemgetter(*rest) if len(rest) > 1 else (lambda seq: tuple(seq[i] for i in rest))
    return keys, amounts, counts


def _name_from_covers(parents: Counter[str]) -> tuple[str, str]:
    """The summary's name without --agency or a roster's 上级: the 上级/所属地区 the counted files'
    covers name, when they name one; else 汇总. With a sentence saying which it is and why."""
    blank = parents.pop("", 0)
    if not parents:
        if not blank:  # nothing counted: nothing to say about names
            return "汇总", ""
        return "汇总", (
            "未指定 --agency，计入汇总的文件封面均未填写“上级/所属地区”，汇总单位名称暂为“汇总”；"
            "请用 --agency 指定"
        )
    if len(parents) == 1:
        (name,) = parents
        unfilled = f"（另有 {blank} 个文件的封面未填写）" if blank else ""
        return name, (
            f"未指定 --agency，汇总单位按计入汇总的文件封面所填“上级/所属地区”定为“{name}”{unfilled}；"
            "如需其他名称，请用 --agency 指定"
        )
    named = "、".join(f"{n} {c} 个" for n, c in parents.most_common(5))
    more = f"等 {len(parents)} 个名称" if len(parents) > 5 else ""
    unfilled = f"，{blank} 个未填写" if blank else ""
    return "汇总", (
        f"未指定 --agency，计入汇总的文件封面所填“上级/所属地区”不一致（{named}{more}{unfilled}），"
        "汇总单位名称暂为“汇总”；请用 --agency 指定"
    )


def _district_name(roster: Roster | None) -> str:
    """The summary's name from its roster's 上级 column: the level every agency shares where the
    column holds paths (示例市/青川区 and 示例市/东湖区: 示例市, a city's; all 示例市/青川区:
    青川区), else the most common name (a plain district roster)."""
    if roster is None:
        return ""
    parents = Counter(e.parent for e in roster.entries if e.parent)
    if not parents:
        return ""
    paths = [parent_path(p) for p in parents]
    if any(len(p) > 1 for p in paths):
        common = paths[0]
        for p in paths[1:]:
            n = next(
                (i for i, (a, b) in enumerate(zip(common, p, strict=False)) if a != b),
                min(len(common), len(p)),
            )
            common = common[:n]
        if common:
            return common[-1]
    return parents.most_common(1)[0][0]


class _OtherFormat(Exception):
    """Most files declare another format than the one they were read in."""

    def __init__(self, spec: FormSpec) -> None:
        super().__init__(spec.id)
        self.spec = spec


def _format_said(checked: Checked) -> str:
    """The format a file declares (its ``xxgk.format`` property), as the worker read it; read
    here only for a file whose worker died on it."""
    if "format" in checked.declared:
        return checked.declared["format"]
    from toolkit.validate import declared_property

    return declared_property(checked.report.file, "format")


def _declared_format(said: Counter[str]) -> FormSpec:
    """The format most files declare (of equally many, the first seen); the default if none does
    or this version does not ship it (then its files get their findings)."""
    from toolkit.spec import SpecError

    if said:
        try:
            return load_spec(said.most_common(1)[0][0])
        except SpecError:
            pass
    return load_spec()


def _format_for(year: int | None) -> FormSpec:
    """The summary's format: that of ``year``; with no year, the format most of the toolkit's
    workbooks declare (their ``xxgk.format`` property: a folder of 2020 reports is summed in the
    2019 format, not refused file by file as the wrong template: :func:`_declared_format`, from
    what the workers read), until then the default."""
    from toolkit.spec import spec_for_year

    return spec_for_year(year) if year is not None else load_spec()


def _by_file_name(roster: Roster, stem: str) -> RosterEntry | None:
    """The one roster agency whose name, made a file name (``xxgk template --roster`` names its
    files so: ``<`` ``/`` ``:`` … become ``_``), is ``stem``."""
    from toolkit.paths import safe_filename

    hits = [e for e in roster.entries if safe_filename(e.name) == stem]
    return hits[0] if len(hits) == 1 else None


def _match_roster(
    records: RecordSpool,
    roster: Roster | None,
    findings: list[Finding],
    assign: Mapping[str, tuple[RosterEntry, list[Finding]]] | None = None,
) -> None:
    if roster is None:
        return
    seen: set[int] = set()  # the roster lines that have a file
    for r in records.updating():
        entry: RosterEntry | None = None
        if assign and r.file in assign:  # bound by the caller: never matched by its cover
            entry, extra = assign[r.file]
            if extra and r.report is not None:
                r.report.findings.extend(extra)
                r.errors, r.warnings = r.report.errors, r.report.warnings
                if any(f.code == "RETURNED" for f in extra):  # sent back: 已退回, whatever it holds
                    r.status, r.included = RETURNED, False
                elif r.status == SUBMITTED and not r.report.valid:
                    r.status, r.included = INVALID, False
            # its identity is the roster entry's (duplicates are grouped by it, not by the cover)
            r.roster_name, r.roster_type, r.code = entry.name, entry.type, entry.code
            seen.add(entry.line)
            continue
        if r.values is not None or r.agency:
            entry = attribute(roster, r.agency, r.code)  # the agency the cover names
        if entry is None and r.file and not r.agency:  # unreadable: the file name may say who sent it
            entry = roster.find(Path(r.file).stem, "") or _by_file_name(roster, Path(r.file).stem)
        if entry is None:
            if r.values is not None or r.agency:
                r.status = UNEXPECTED
                r.note = "不在名单内，未计入汇总"
                who = r.agency or Path(r.file or "").stem
                near = roster.similar(who)  # "示例市青川区民政局" for the roster's "青川区民政局"
                hint = f"；是否为“{near.name}”？（请统一名称或填写统一社会信用代码）" if near else ""
                if near:
                    r.note += f"；是否为“{near.name}”？"
                findings.append(
                    Finding(
                        "UNEXPECTED-AGENCY",
                        WARNING,
                        f"“{who}”不在名单内，未计入汇总{hint}",
                        r.file,
                        key="cover.agency",
                        expected=near.name if near else None,
                        actual=who,
                    )
                )
            continue
        r.roster_name, r.roster_type = entry.name, entry.type
        if r.agency and r.report is not None:
            # what the cover says against the agency it names: serve's rule (toolkit.identity),
            # so a file is its agency's, an error or a 提示 alike in both
            extra, _mine = cover_verdict(
                entry,
                r.agency,
                r.code,
                roster_others(roster, entry, r.agency, r.code),
                r.file,
                again="重新报送",
            )
            if extra:
                r.report.findings.extend(extra)
                r.errors, r.warnings = r.report.errors, r.report.warnings
                if r.status == SUBMITTED and any(f.severity == ERROR for f in extra):
                    r.status, r.included = INVALID, False
        if (
            not r.code
        ):  # a cover without a code (judged above as it is): the row shows the roster's, as serve does
            r.code = entry.code
        seen.add(entry.line)
    for e in roster.entries:
        if e.line not in seen:
            # a sub-region's row (xxgk serve's 名单.csv, a city's summary): its summary did not come,
            # and it is no agency of the roster
            region = e.type == REGION_TYPE
            records.append(
                AgencyRecord(
                    MISSING,
                    roster_name=e.name,
                    code=e.code,
                    roster_type=e.type,
                    note="未收到该地区的汇总表" if region else "未收到报送文件",
                )
            )
            findings.append(
                Finding(
                    "MISSING-SUBMISSION",
                    ERROR,
                    f"下级地区“{e.name}”未上报，也未收到其汇总表"
                    if region
                    else f"名单内单位“{e.name}”未报送",
                    None,
                    key="cover.agency",
                    expected=e.name,
                )
            )


def _content(r: AgencyRecord) -> tuple:
    """What a report says (cover + values), whatever wrote the file: the same report re-saved by
    LibreOffice or sent as .xls has other bytes but the same content."""
    if r.values is None:
        return ("bytes", r.sha256 or r.file)
    return (norm_name(r.agency), r.code, r.year, r.values)


def _keep_one(group: list[AgencyRecord], keep: AgencyRecord, note: str, message: str) -> Finding:
    """Count ``keep`` and mark the other files of the group as its duplicates (a warning)."""
    for r in group:
        if r is not keep:
            r.status, r.copy_of_counted = DUPLICATE, True
            r.note = note
    return Finding("DUPLICATE-SUBMISSION", WARNING, message, keep.file)


def _mark_duplicates(records: RecordSpool, findings: list[Finding], prefer: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Several files for one agency (same code or same name: :func:`_dup_ids`): judged by
    content. The same report twice is counted once, with a note; of different reports, the one
    passing validation is counted when exactly one does (a corrected resubmission), with a note
    naming the others; otherwise they need the coordinator's choice (``--prefer FILE``, the hint
    quoted for a shell), until then none is counted."""
    for group in records.groups():
        try:
            _judge_group(group, findings, prefer)
        finally:
            records.save(group)


def _judge_group(group: list[AgencyRecord], findings: list[Finding], prefer: set[str]) -> None:
    """One agency's files, by the rule shared with the archive (:func:`toolkit.counting.judge`)."""
    from toolkit.counting import CHOSEN, PASSING, SAME, judge, undecided_reason

    names = "、".join(Path(r.file or "").name for r in group)
    contents: dict[tuple, list[AgencyRecord]] = {}
    for r in group:
        contents.setdefault(_content(r), []).append(r)
    chosen = [r for r in group if r.file and str(Path(r.file).resolve()) in prefer]
    picked = {id(r) for r in chosen}
    verdict = judge((_content(r), r.status == SUBMITTED, id(r) in picked) for r in group)
    if verdict.how == SAME:  # the same report more than once: count it once
        keep = chosen[0] if chosen else _best_copy(group)
        findings.append(
            _keep_one(
                group,
                keep,
                f"与 {Path(keep.file or '').name} 内容相同（封面和数字一致），只计一次",
                f"“{group[0].name}”的同一份报表收到 {len(group)} 份（{names}），内容相同，只计一次",
            )
        )
        return
    if verdict.how == CHOSEN:  # the coordinator chose
        keep = next(r for r in chosen if _content(r) == verdict.content)
        findings.append(
            _keep_one(
                group,
                keep,
                f"按 --prefer 以 {Path(keep.file or '').name} 为准，此文件未计入",
                f"“{group[0].name}”报送了 {len(group)} 个内容不同的文件（{names}），"
                f"按 --prefer 以 {Path(keep.file or '').name} 为准",
            )
        )
        return
    if verdict.how == PASSING:  # a corrected resubmission beside its faulty original(s)
        keep = _best_copy(contents[verdict.content])  # type: ignore[index]
        faulty = "、".join(Path(r.file or "").name for r in group if r.status != SUBMITTED)
        findings.append(
            _keep_one(
                group,
                keep,
                f"同一单位另有通过校验的 {Path(keep.file or '').name}，以其为准，此文件未计入",
                f"“{group[0].name}”报送了 {len(group)} 个内容不同的文件（{names}），只有 "
                f"{Path(keep.file or '').name} 通过校验，以其为准计入汇总；有错误的 {faulty} 未计入"
                "（如应以其他文件为准，用 --prefer 指定）",
            )
        )
        for r in group:
            if r is not keep and r.status == DUPLICATE and _content(r) != _content(keep):
                r.note = f"有错误，已由通过校验的 {Path(keep.file or '').name} 代替，未计入汇总"
        return
    import shlex

    hint = " 或 ".join(f"--prefer {shlex.quote(r.file or '')}" for r in group)
    why = undecided_reason(len(group), sum(1 for r in group if r.status == SUBMITTED))
    for r in group:
        r.status = DUPLICATE
        r.note = f"同一单位有 {len(group)} 个内容不同的文件，均未计入汇总；请确认以哪个为准，用 --prefer 指定"

    findings.append(
        Finding(
            "DUPLICATE-SUBMISSION",
            ERROR,
            f"“{group[0].name}”报送了 {len(group)} 个内容不同的文件（{names}），{why}，均未计入汇总；"
            f"请确认以哪个为准，再用 --prefer 指定：{hint}",
            group[0].file,
        )
    )


def _best_copy(group: list[AgencyRecord]) -> AgencyRecord:
    """Of identical reports, count a readable, valid .xlsx first (then the first by name)."""
    return min(
        group,
        key=lambda r: (r.values is None, r.status != SUBMITTED, Path(r.file or "").suffix.lower() != ".xlsx"),
    )


def previous_of(sub: Submission, index: PreviousIndex) -> Submission | None:
    """Last year's counterpart of ``sub`` (:func:`previous_with_note` without its sentence)."""
    return previous_with_note(sub, index)[0]


def previous_with_note(sub: Submission, index: PreviousIndex) -> tuple[Submission | None, str]:
    """Last year's counterpart of ``sub`` and what it is, in one Chinese sentence. For an agency's
    report: its own last year's report. For a summary the toolkit wrote, always the same units as
    the ones it counts (its members): last year's reports of every one of them, added up; or last
    year's summary when that summary counted exactly these units. When neither covers every member,
    None, and the sentence says why (a district's 12 agencies are never compared with last year's
    19, nor with 10 of them)."""
    if sub.meta.get("kind") != "summary":
        hit = index.match(sub)
        return hit, "" if hit is not None else "上年数据中没有本报告对应的单位，不写同比变化"
    members = summary_members(sub.meta)
    if sub.meta.get("members_partial"):
        return None, (
            "本汇总表计入的单位太多，表内只列出了其中一部分，无法确认与上年比较的是同一批单位，不写同比变化"
        )
    if not members:
        return None, (
            "本汇总表没有列出计入汇总的单位（较早版本生成），无法确定与上年比较的是否同一批单位，"
            "不写同比变化；请用本工具重新汇总后再生成"
        )
    n = len(members)
    subs = list({id(s): s for s in (*index.by_code.values(), *index.by_name.values())}.values())
    summaries = [s for s in subs if s.meta.get("kind") == "summary"]
    for old in summaries:  # last year's summary that counted exactly these units
        theirs = summary_members(old.meta)
        if theirs and _same_units(members, theirs):
            return old, f"同比：与上年汇总表的合计比较（两年计入汇总的是同一批 {n} 个单位）"
    # last year's reports of the units: an agency's, or a member district's summary (a city's)
    own, whole = index.match(sub), {id(s) for s in summaries}
    mcodes, mnames = {c for c, _n in members if c}, {norm_name(n): c for c, n in members if n}
    reports = PreviousIndex(
        s
        for s in subs
        if s is not own and (id(s) not in whole or _unit_in(s.code or "", s.agency or "", mcodes, mnames))
    )
    rnames = {k: s.code or "" for k, s in reports.by_name.items()}
    found = [m for m in members if _unit_in(*m, set(reports.by_code), rnames)]
    if len(found) == n:
        last = _sum_previous(reports, members)
        if last is not None:
            return last, f"同比：与上年同一批单位（{n} 个）的合计比较"
    said = []
    if summaries:
        counted = "、".join(str(len(summary_members(s.meta)) or "?") for s in summaries)
        said.append(f"上年汇总表计入 {counted} 个单位，本年计入汇总 {n} 个单位，两年不是同一批单位")
    got = set(found)
    missing = [name or code for code, name in members if (code, name) not in got]
    if len(reports):
        shown = "、".join(missing[:5]) + (f"等 {len(missing)} 个单位" if len(missing) > 5 else "")
        said.append(f"上年各单位的报告中没有本年计入汇总的 {shown}")
    why = "；".join(said) or f"上年数据中没有本年计入汇总的 {n} 个单位"
    return None, (
        f"{why}：不写同比变化。要按同一批单位比较，请用 --previous 给出这些单位上年的填报表（目录），"
        "或用 --archive 给出存有它们的档案库"
    )


def _unit_in(code: str, name: str, codes: set[str], names: dict[str, str]) -> bool:
    """By its code; by its name only where one of the two has no code (the code is the identity)."""
    if code and code in codes:
        return True
    key = norm_name(name) if name else ""
    return bool(key) and key in names and not (code and names[key])


def _same_units(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> bool:
    """The same units: as many, and each of ``a`` among ``b``."""
    if len(a) != len(b):
        return False
    codes, names = {c for c, _n in b if c}, {norm_name(n): c for c, n in b if n}
    return all(_unit_in(c, n, codes, names) for c, n in a)


def _sum_previous(
    index: PreviousIndex, members: Iterable[tuple[str, str]] | None = None
) -> Submission | None:
    """Last year's district sum, in last year's format (the one most of its reports are in): a
    report in the other format adds the inputs the two formats share, and those the YAML's
    ``comparison`` states as sums of its own. What this year's summary may compare with it is
    decided by the comparison mapping (:func:`previous_figure`), never by a key's name alone.
    ``members`` ((code, name) of this year's counted units): only their reports are added, so the
    two years compare the same agencies; the sum's ``meta["compared"]`` says how many."""
    subs = list({id(s): s for s in (*index.by_code.values(), *index.by_name.values())}.values())
    if members is not None:
        members = list(members)
        codes = {c for c, _n in members if c}
        names = {norm_name(n) for _c, n in members if n}
        same = [s for s in subs if (s.code and s.code in codes) or norm_name(s.agency) in names]
        # last year's summary given (no agency's report of last year): compared as it stands
        whole = [s for s in subs if s.meta.get("kind") == "summary"]
        subs, basis = (same, "") if same or not whole else (whole, "summary")
    else:
        basis = ""
    if not subs:
        return None
    spec = Counter(s.spec for s in subs).most_common(1)[0][0]
    inputs = [k for k in spec.numeric_keys if spec.cells[k].kind != "total"]
    total: dict[str, Number] = {}
    # a report's numbers its import did not find (unknown) or derived (not read) make the sum's
    # inputs they are part of unknown or derived too: never a 0 added in, never said as read
    marks: dict[str, dict[str, None]] = {"unknown": {}, "derived": {}}
    for s in subs:
        vals = s.values if s.spec is spec else s.all_values()
        derived = spec.comparison.get(s.spec.id, {}) if s.spec is not spec else {}
        marked = {m: frozenset((s.meta.get(m) or "").split(",")) - {""} for m in marks}
        for k in inputs:
            if k in s.spec.cells:
                v = vals.get(k, 0)
                parts: tuple[str, ...] = (k,)
            elif k in derived:
                v = sum((vals.get(p, 0) for p in derived[k]), 0)
                parts = tuple(derived[k])
            else:
                continue
            if v:
                total[k] = total.get(k, 0) + v
            for m, keys in marked.items():
                if keys and keys.intersection(parts):
                    marks[m][k] = None
    years = Counter(s.year for s in subs if s.year)
    return Submission(
        spec=spec,
        cover={"agency": "上年", "year": years.most_common(1)[0][0] if years else None},
        values=total,
        meta={
            "compared": str(len(subs)),
            "previous_files": str(len(index)),
            "basis": basis,
            # a total of the sum over a derived number is derived too (no total of it was read)
            **(
                {"derived": ",".join(sorted(with_dependent_totals(spec, marks["derived"])))}
                if marks["derived"]
                else {}
            ),
            **({"unknown": ",".join(marks["unknown"])} if marks["unknown"] else {}),
        },
    )


def comparison_note(previous: Submission | None) -> str:
    """What a year-on-year comparison compares, in one Chinese sentence ("" without last year)."""
    if previous is None:
        return ""
    counted, found = previous.meta.get("counted", ""), previous.meta.get("compared", "")
    if previous.meta.get("basis") == "summary":
        return (
            f"同比口径：本年计入汇总 {counted or '?'} 个单位，与上年汇总表的合计比较"
            "（上年汇总表计入的单位可能与本年不同）"
        )
    if not counted or not found:
        return ""
    if counted == found:
        return f"同比口径：本年计入汇总的 {counted} 个单位与其上年报告比较"
    return (
        f"同比口径：本年计入汇总 {counted} 个单位，上年数据中只有其中 {found} 个单位的报告；"
        f"上年数字为这 {found} 个单位的合计，其余单位没有上年数据"
    )


def previous_figure(spec: FormSpec, previous: Submission, key: str) -> Number | None:
    """Last year's value of this year's figure ``key``, or None where the formats' comparison
    mapping says the two are not comparable (a 2021 key the 2019 format lacks)."""
    from toolkit.spec import comparison_map

    pair = comparison_map(spec, previous.spec).get(key)
    if pair is None or pair[0] != (key,):
        return None
    vals = previous.all_values()
    return sum((vals.get(p, 0) for p in pair[1]), 0)


def texts_of(path: str | os.PathLike[str], year: int | None = None) -> tuple[dict[str, str], str]:
    """The texts typed into a workbook's 文字 sheet (the coordinator's words in a summary), to carry
    into the summary that replaces it: (texts, "") or ({}, why not). Never raises for a bad file;
    a workbook of another report year gives none."""
    from toolkit.reader import read_file

    r = read_file(path, whole=False)  # a national summary's 明细 is hundreds of MB: not read
    if r.submission is None:
        return {}, f"{Path(path).name} 无法读取，其中的文字未能保留"
    sub = r.submission
    if year is not None and sub.year is not None and sub.year != year:
        return {}, f"{Path(path).name} 是 {sub.year} 年度的，其中的文字不带入 {year} 年度的汇总表"
    return {k: v for k, v in sub.texts.items() if v and v.strip()}, ""
