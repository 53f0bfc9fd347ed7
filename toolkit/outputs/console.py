"""Validation results as text for a terminal, and as the JSON document of ``--format json``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from toolkit.findings import ERROR, FileReport
from toolkit.textsafe import term_text

SEVERITY_ZH = {"error": "错误", "warning": "提示"}


def summary_dict(reports: Iterable[FileReport]) -> dict[str, Any]:
    """Counts over the reports, in one pass (they may be streamed from a merge's database)."""
    files = valid = errors = warnings = 0
    for r in reports:
        e = r.errors
        files += 1
        valid += e == 0
        errors += e
        warnings += r.warnings
    return {"files": files, "valid": valid, "invalid": files - valid, "errors": errors, "warnings": warnings}


def to_json_doc(
    reports: list[FileReport],
    skipped: list[tuple[str, str]] = (),
    year: int | None = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    doc: dict[str, Any] = {"files": [r.to_dict() for r in reports], "summary": summary_dict(reports)}
    doc["summary"]["skipped"] = len(skipped)
    doc["year"] = year
    doc["skipped"] = [{"file": f, "reason": why} for f, why in skipped]
    return doc


def summary_line(reports: list[FileReport], skipped: int = 0) -> str:
    s = summary_dict(reports)
    return (
        f"共 {s['files']} 个文件：{s['valid']} 个通过，{s['invalid']} 个有错误；"
        f"错误 {s['errors']} 条，提示 {s['warnings']} 条" + (f"；跳过 {skipped} 个文件" if skipped else "")
    )


def render_text(
    reports: list[FileReport],
    *,
    verbose_warnings: bool = True,
    skipped: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> str:
    lines: list[str] = []
    for r in reports:
        who = " ".join(str(x) for x in (r.agency, r.year) if x)
        if r.valid and not r.warnings:
            lines.append(f"✓ {r.file}  {who}  通过")
            continue
        mark = "✓" if r.valid else "✗"
        counts = f"{r.errors} 个错误，{r.warnings} 个提示" if r.errors else f"通过（{r.warnings} 个提示）"
        lines.append(f"{mark} {r.file}  {who}  {counts}")
        for f in sorted(r.findings, key=lambda f: (f.severity != ERROR,)):
            if f.severity != ERROR and not verbose_warnings:
                continue
            ref = f" {f.ref}" if f.ref else ""
            lines.append(f"    {SEVERITY_ZH[f.severity]} [{f.code}]{ref} {f.message}")
    for f, why in skipped:
        lines.append(f"- {f}  跳过：{why}")
    lines.append(summary_line(reports, len(skipped)))
    return "\n".join(term_text(line) for line in lines)  # names from files never drive the terminal
