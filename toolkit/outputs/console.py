"""Validation results as text for a terminal, and as the JSON document of ``--format json``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def summary_line(reports: Iterable[FileReport] | dict[str, Any], skipped: int = 0) -> str:
    """The closing line; ``reports`` may be their :func:`summary_dict` already."""
    s = reports if isinstance(reports, dict) else summary_dict(reports)
    return (
        f"共 {s['files']} 个文件：{s['valid']} 个通过，{s['invalid']} 个有错误；"
        f"错误 {s['errors']} 条，提示 {s['warnings']} 条" + (f"；跳过 {skipped} 个文件" if skipped else "")
    )


class Tally:
    """The counts of :func:`summary_dict`, kept while the reports stream past."""

    def __init__(self) -> None:
        self.files = self.valid = self.errors = self.warnings = 0

    def count(self, reports: Iterable[FileReport]) -> Iterator[FileReport]:
        for r in reports:
            e = r.errors
            self.files += 1
            self.valid += e == 0
            self.errors += e
            self.warnings += r.warnings
            yield r

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "valid": self.valid,
            "invalid": self.files - self.valid,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def render_text(
    reports: Iterable[FileReport],
    *,
    verbose_warnings: bool = True,
    skipped: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> str:
    return "\n".join(render_lines(reports, verbose_warnings=verbose_warnings, skipped=skipped))


def render_lines(
    reports: Iterable[FileReport],
    *,
    verbose_warnings: bool = True,
    skipped: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> Iterator[str]:
    """:func:`render_text` line by line, reading the reports once (they may be streamed)."""
    tally = Tally()
    for r in tally.count(reports):
        who = " ".join(str(x) for x in (r.agency, r.year) if x)
        if r.valid and not r.warnings:
            yield term_text(f"✓ {r.file}  {who}  通过")
            continue
        mark = "✓" if r.valid else "✗"
        counts = f"{r.errors} 个错误，{r.warnings} 个提示" if r.errors else f"通过（{r.warnings} 个提示）"
        yield term_text(f"{mark} {r.file}  {who}  {counts}")
        for f in sorted(r.findings, key=lambda f: (f.severity != ERROR,)):
            if f.severity != ERROR and not verbose_warnings:
                continue
            ref = f" {f.ref}" if f.ref else ""
            yield term_text(f"    {SEVERITY_ZH[f.severity]} [{f.code}]{ref} {f.told if ref else f.message}")
    for f, why in skipped:
        yield term_text(f"- {f}  跳过：{why}")
    # names from files never drive the terminal
    yield term_text(summary_line(tally.as_dict(), len(skipped)))


def json_doc_chunks(
    reports: Iterable[FileReport],
    skipped: list[tuple[str, str]] = (),  # type: ignore[assignment]
    year: int | None = None,
) -> Iterator[str]:
    """``json_text(to_json_doc(...), indent=2)`` piece by piece: each file's entry is written as
    it is read, the counts after them."""
    from toolkit.textsafe import json_text

    tally = Tally()
    yield '{\n  "files": '
    first = True
    for r in tally.count(reports):
        yield ("[\n    " if first else ",\n    ") + json_text(r.to_dict(), indent=2).replace("\n", "\n    ")
        first = False
    yield "[]" if first else "\n  ]"
    doc: dict[str, Any] = {"files": [], "summary": tally.as_dict()}
    doc["summary"]["skipped"] = len(skipped)
    doc["year"] = year
    doc["skipped"] = [{"file": f, "reason": why} for f, why in skipped]
    text = json_text(doc, indent=2)
    head = '{\n  "files": []'
    assert text.startswith(head)
    yield text[len(head) :]
