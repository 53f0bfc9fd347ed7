"""Findings: what a check found, with structured position, and reports of them.

A finding is data (frictionless-style): a stable ``code``, a ``severity``, where it is (``file``,
``sheet``, ``cell`` as Excel shows it, ``key``), a Chinese ``message`` in "X，应为 Y" style, and the
``expected`` / ``actual`` values. Validation never raises on bad data: it returns findings.
"""

from __future__ import annotations

import operator
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any, Literal

__all__ = ["ERROR", "WARNING", "FileReport", "Finding", "Severity", "json_value"]

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


def json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    return v


# what follows a sheet name that opens a message: ``表二 行政处罚／…``, ``表三“自然人”列``, ``信息处理费：…``
_AFTER_SHEET = frozenset(" “：")


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None  # A1 as Excel shows it, e.g. "J12"
    key: str | None = None
    expected: Any = None
    actual: Any = None

    @property
    def ref(self) -> str:
        """``表三!J12`` (or just the sheet, or nothing) for people."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    @property
    def told(self) -> str:
        """The message as it reads after :attr:`ref` (a console line, a 问题清单 row beside its
        工作表 column): without the sheet name it opens with, so ``表二!B12 行政处罚／…`` says the
        sheet once. The JSON and everything that shows the message alone keep it whole."""
        m, s = self.message, self.sheet
        if s and m.startswith(s) and m[len(s) : len(s) + 1] in _AFTER_SHEET:
            rest = m[len(s) :].lstrip(" ：")
            if rest:
                return rest
        return m

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["expected"] = json_value(self.expected)
        d["actual"] = json_value(self.actual)
        d["ref"] = self.ref or None
        return d


@dataclass
class FileReport:
    """The result of reading and checking one file."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    agency: str | None = None
    code: str | None = None
    year: int | None = None
    format: str | None = None
    parent: str | None = None  # the cover's 上级/所属地区 (what a merge without a roster is named after)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "agency": self.agency,
            "code": self.code,
            "year": self.year,
            "format": self.format,
            "valid": self.valid,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
        }


# A report as plain tuples, for a spool's pickle: pickle rebuilds a FileReport and its findings
# several times slower than the tuples they are made of (dataclasses go through __reduce_ex__).
_report_fields = operator.attrgetter(*(f.name for f in fields(FileReport)))
_finding_fields = operator.attrgetter(*(f.name for f in fields(Finding)))


def report_tuple(rep: FileReport) -> tuple[Any, ...]:
    """``rep`` as a tuple of plain values (its findings as tuples): see :func:`report_from_tuple`."""
    file, found, *rest = _report_fields(rep)
    return (file, [_finding_fields(f) for f in found], *rest)


def report_from_tuple(t: tuple[Any, ...]) -> FileReport:
    """The FileReport :func:`report_tuple` made ``t`` of."""
    file, found, *rest = t
    return FileReport(file, [Finding(*f) for f in found], *rest)
