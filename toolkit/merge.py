"""Many agencies' submissions (+ roster) -> a district summary.

The summary is a :class:`Submission` of the district (cover = the district, values = the exact
cell-wise sum of the included agencies' inputs, totals recomputed), so it validates like any
agency's report and merges upward (district -> city -> province) unchanged. Around it: the
submission status against the roster, the per-agency detail and every finding.

Reading streams: each file is read and checked (in worker processes with ``jobs``) and only a
compact record is kept (status, counts, hash and a tuple of its values), never the workbook.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.findings import ERROR, WARNING, FileReport, Finding
from toolkit.model import Number, Submission
from toolkit.roster import Roster, RosterEntry, norm_name, read_roster
from toolkit.spec import FormSpec, load_spec
from toolkit.validate import PreviousIndex, collect_paths, iter_checked

if TYPE_CHECKING:  # pandas is imported lazily: the CLI must start fast
    import pandas as pd

__all__ = ["AgencyRecord", "Summary", "merge"]

SUBMITTED, MISSING, INVALID, DUPLICATE, UNEXPECTED = "已报送", "未报送", "有错误", "重复", "名单外"


@dataclass
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
    values: tuple[Number, ...] | None = field(default=None, repr=False)  # in spec.numeric_keys order
    copy_of_counted: bool = False  # a byte-identical re-send of a file that is counted
    note: str = ""

    @property
    def name(self) -> str:
        return self.roster_name or self.agency or (Path(self.file).stem if self.file else "")


@dataclass
class Summary:
    spec: FormSpec = field(repr=False)
    submission: Submission  # the district's report: a valid input to a higher-level merge
    records: list[AgencyRecord]
    reports: list[FileReport]
    findings: list[Finding]  # merge-level: MISSING / DUPLICATE / UNEXPECTED / left out
    roster: Roster | None = None
    previous: Submission | None = None  # last year's district sum, when --previous was given

    @property
    def included(self) -> list[AgencyRecord]:
        return [r for r in self.records if r.included]

    @property
    def complete(self) -> bool:
        """Every expected agency counted, nothing left out, no errors anywhere."""
        left_out = any(r.file and not r.included and not r.copy_of_counted for r in self.records)
        return (
            not left_out
            and not any(f.severity == ERROR for f in self.findings)
            and all(r.valid for r in self.reports)
        )

    def status_counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.records))

    def to_frame(self) -> pd.DataFrame:
        """The per-agency detail (wide): one row per file or missing agency, one column per key."""
        import pandas as pd

        keys = self.spec.numeric_keys
        rows = []
        for r in self.records:
            row: dict[str, Any] = {
                "agency": r.name,
                "code": r.code,
                "type": r.roster_type,
                "status": r.status,
                "included": r.included,
                "file": r.file,
            }
            if r.values is not None:
                row.update(zip(keys, r.values, strict=True))
            rows.append(row)
        return pd.DataFrame(rows, columns=["agency", "code", "type", "status", "included", "file", *keys])

    def to_json(self) -> dict[str, Any]:
        from toolkit.outputs.console import summary_dict

        return {
            "summary": self.submission.to_values_json(),
            "complete": self.complete,
            "status": self.status_counts(),
            "agencies": [
                {
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
                for r in self.records
            ],
            "findings": [f.to_dict() for f in self.findings]
            + [f.to_dict() for rep in self.reports for f in rep.findings],
            "files": summary_dict(self.reports),
        }


def _sum_into(total: list[Number], values: tuple[Number, ...]) -> None:
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
    previous: Iterable[str | os.PathLike[str]] | None = None,
    jobs: int = 1,
    spec: FormSpec | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Read, check and add up workbooks into a district summary (never raises for bad files)."""
    spec = spec or load_spec()
    keys = spec.numeric_keys
    if roster is not None and not isinstance(roster, Roster):
        roster = read_roster(roster)
    files, _ = collect_paths(paths)
    if roster is not None:  # the roster itself may sit in the folder being merged
        files = [f for f in files if Path(f).resolve() != Path(roster.path).resolve()]
    prev_index = None
    prev_sum = None
    if previous:
        prev_index, _ = PreviousIndex.from_paths(previous, spec)
        prev_sum = _sum_previous(prev_index, spec)

    records: list[AgencyRecord] = []
    reports: list[FileReport] = []
    for checked in iter_checked(
        files, year=year, previous=prev_index, jobs=jobs, project=_values_of, spec=spec, progress=progress
    ):
        rep = checked.report
        reports.append(rep)
        rec = AgencyRecord(
            INVALID,
            file=rep.file,
            sha256=checked.sha256,
            agency=rep.agency or "",
            code=rep.code or "",
            year=rep.year,
            errors=rep.errors,
            warnings=rep.warnings,
        )
        if checked.payload is not None:
            rec.values = checked.payload
            rec.status = SUBMITTED if rep.valid else INVALID
        records.append(rec)

    findings: list[Finding] = []
    _match_roster(records, roster, findings)
    _mark_duplicates(records, findings)
    for r in records:
        if r.status == SUBMITTED:
            r.included = True
        elif r.status == INVALID and include_invalid and r.values is not None:
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
        elif r.file and r.status == INVALID:
            left = "有错误，未计入汇总（改正后重新报送，或使用 --include-invalid）"
            r.note = f"{r.note}；{left}" if r.note else left

    total: list[Number] = [
        Decimal(0) if spec.cells[k].type and spec.cells[k].type.kind == "decimal" else 0 for k in keys
    ]
    years: Counter[int] = Counter()
    for r in records:
        if r.included and r.values is not None:
            _sum_into(total, r.values)
            if r.year:
                years[r.year] += 1
    cover = {
        "agency": agency or _district_name(roster) or "汇总",
        "code": (code or "").upper(),
        "year": year or (years.most_common(1)[0][0] if years else None),
        "parent": "",
    }
    summary_sub = Submission(
        spec=spec,
        cover=cover,
        values={k: v for k, v in zip(keys, total, strict=True) if spec.cells[k].kind == "input"},
    )
    summary_sub.meta["kind"] = "summary"
    return Summary(spec, summary_sub, records, reports, findings, roster, prev_sum)


def _values_of(sub: Submission) -> tuple[Number, ...] | None:
    """A submission as the tuple of its inputs in ``numeric_keys`` order (totals as 0): what the
    merge keeps of a file. None when a sheet could not be read."""
    if sub.meta.get("incomplete"):
        return None
    cells = sub.spec.cells
    out = []
    for k in sub.spec.numeric_keys:
        v = sub.values.get(k, 0) if cells[k].kind != "total" else 0
        if type(v) is Decimal and v == v.to_integral_value():
            v = int(v)  # whole amounts as ints: exact either way, and the detail writes them faster
        out.append(v)
    return tuple(out)


def _district_name(roster: Roster | None) -> str:
    if roster is None:
        return ""
    parents = Counter(e.parent for e in roster.entries if e.parent)
    return parents.most_common(1)[0][0] if parents else ""


def _match_roster(records: list[AgencyRecord], roster: Roster | None, findings: list[Finding]) -> None:
    if roster is None:
        return
    seen: dict[int, list[AgencyRecord]] = {}
    for r in records:
        entry: RosterEntry | None = None
        if r.values is not None or r.agency:
            entry = roster.find(r.agency, r.code)
        if entry is None and r.file and not r.agency:  # unreadable: the file name may say who sent it
            entry = roster.find(Path(r.file).stem, "")
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
        if r.code and entry.code and r.code != entry.code:
            r.note = f"统一社会信用代码 {r.code} 与名单中的 {entry.code} 不一致，按名称匹配"
        seen.setdefault(entry.line, []).append(r)
    for e in roster.entries:
        if e.line not in seen:
            records.append(
                AgencyRecord(
                    MISSING, roster_name=e.name, code=e.code, roster_type=e.type, note="未收到报送文件"
                )
            )
            findings.append(
                Finding(
                    "MISSING-SUBMISSION",
                    ERROR,
                    f"名单内单位“{e.name}”未报送",
                    None,
                    key="cover.agency",
                    expected=e.name,
                )
            )


def _mark_duplicates(records: list[AgencyRecord], findings: list[Finding]) -> None:
    """Two files for one agency (same code, else same name): never counted silently."""
    groups: dict[str, list[AgencyRecord]] = {}
    for r in records:
        if not r.file or r.status == UNEXPECTED or (r.values is None and not r.roster_name):
            continue
        ident = r.code or "name:" + norm_name(r.roster_name or r.agency)
        groups.setdefault(ident, []).append(r)
    for group in groups.values():
        if len(group) < 2:
            continue
        names = "、".join(Path(r.file or "").name for r in group)
        if len({r.sha256 for r in group}) == 1:  # the very same file sent twice: count it once
            for r in group[1:]:
                r.status, r.note = DUPLICATE, f"与 {Path(group[0].file or '').name} 内容完全相同，只计一次"
                r.copy_of_counted = True
            findings.append(
                Finding(
                    "DUPLICATE-SUBMISSION",
                    WARNING,
                    f"“{group[0].name}”的同一文件报送了 {len(group)} 次（{names}），只计一次",
                    group[0].file,
                )
            )
            continue
        for r in group:
            r.status, r.note = (
                DUPLICATE,
                f"同一单位有 {len(group)} 个不同的文件，均未计入汇总，请确认以哪个为准",
            )
        findings.append(
            Finding(
                "DUPLICATE-SUBMISSION",
                ERROR,
                f"“{group[0].name}”报送了 {len(group)} 个内容不同的文件（{names}），均未计入汇总，请确认以哪个为准",
                group[0].file,
            )
        )


def _sum_previous(index: PreviousIndex, spec: FormSpec) -> Submission | None:
    subs = list({id(s): s for s in (*index.by_code.values(), *index.by_name.values())}.values())
    if not subs:
        return None
    total: dict[str, Number] = {}
    for s in subs:
        for k, v in s.values.items():
            total[k] = total.get(k, 0) + v
    years = Counter(s.year for s in subs if s.year)
    return Submission(
        spec=spec,
        cover={"agency": "上年", "year": years.most_common(1)[0][0] if years else None},
        values=total,
    )
