"""TEXT-TABLE-MISMATCH: what a report's text says against what its tables say.

A workbook's 文字 sheet and a published report's sections state a few figures in words ("共收到
政府信息公开申请35件", "本年度没有收取信息处理费"). When a sentence contradicts the table, the
published report would carry both; this module finds such sentences, for every source (workbook,
imported report) alike. Text is split into sentences first and each sentence is bounded, so every
pattern runs in linear time whatever the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from toolkit.findings import Finding
from toolkit.model import Number, Submission

__all__ = ["narrative_findings"]

MAX_SENTENCE = 400  # characters of one sentence looked at
MAX_TEXT = 200_000  # characters of one section looked at

_SPLIT = re.compile(r"[。；;！!？?\n]")
_NUM = r"(\d+(?:\.\d+)?)"

# (pattern on one sentence, key, unit of the figure in the sentence): the first match per key
_FIGURES: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"(?:收到|受理|新收|共收)[^\d]{0,12}?政府信息公开申请[^\d]{0,4}?" + _NUM + r"\s*件"),
        "t3.new_received.total",
        "件",
    ),
    (re.compile(r"政府信息公开申请[^\d]{0,4}?" + _NUM + r"\s*件"), "t3.new_received.total", "件"),
    (re.compile(r"行政复议[^\d]{0,4}?" + _NUM + r"\s*件"), "t4.review_total", "件"),
    (re.compile(r"(?:发出|发送)收费通知[^\d]{0,4}?" + _NUM + r"\s*件"), "s6.fee_notices", "件"),
    (re.compile(r"实际收取[^\d]{0,12}?" + _NUM + r"\s*(万元|元)"), "s6.fee_collected", "元"),
    (re.compile(r"收取(?:了)?信息处理费[^\d]{0,6}?" + _NUM + r"\s*(万元|元)"), "s6.fee_collected", "元"),
]
# "没有收取信息处理费", "未收取信息处理费", "不收取…": said to be zero
_NONE_COLLECTED = re.compile(r"(?:没有|未|无|不|均未|并未)[^\d，,]{0,4}收取[^\d，,]{0,6}信息处理费")


def _sentences(texts: dict[str, str]) -> Iterator[str]:
    for key in ("overview", "other_matters", "problems"):
        text = unicodedata.normalize("NFKC", (texts.get(key) or "")[:MAX_TEXT])
        for s in _SPLIT.split(text):
            s = s.strip()
            if s:
                yield s[:MAX_SENTENCE]


def narrative_findings(sub: Submission, file: str | None = None) -> list[Finding]:
    """Every sentence whose figure contradicts the tables (warning TEXT-TABLE-MISMATCH)."""
    if not any(sub.texts.values()):
        return []
    spec = sub.spec
    values = sub.all_values()
    rep: dict[str, Number] = {**values, **{k: v for k, v in sub.reported.items() if v is not None}}
    sev = spec.rules["TEXT-TABLE-MISMATCH"].severity
    out: list[Finding] = []
    seen: set[str] = set()

    def add(key: str, sentence: str, said: Number, unit: str) -> None:
        seen.add(key)
        table = rep.get(key, 0)
        if said == table:
            return
        c = spec.cells[key]
        out.append(
            Finding(
                "TEXT-TABLE-MISMATCH",
                sev,
                f"正文说“{sentence[:80]}”（{said}{unit}），但表中“{c.label}”为 {table}；请核对文字或表格",
                file if file is not None else sub.source,  # type: ignore[arg-type]
                c.sheet,
                c.a1,
                key,
                table,
                said,
            )
        )

    for sentence in _sentences(sub.texts):
        for pat, key, unit in _FIGURES:
            if key in seen or key not in spec.cells:
                continue
            m = pat.search(sentence)
            if m is None:
                continue
            try:
                said: Number = Decimal(m.group(1))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                continue
            if unit == "元" and m.lastindex and m.lastindex >= 2 and m.group(2) == "万元":
                said = said * 10000
            said = int(said) if said == int(said) else said
            add(key, sentence, said, unit)
        if (
            "s6.fee_collected" not in seen
            and "s6.fee_collected" in spec.cells
            and _NONE_COLLECTED.search(sentence)
        ):
            add("s6.fee_collected", sentence, 0, "元")
    return out
