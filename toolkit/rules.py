"""Submission (+ last year's) -> findings. Every rule of the spec; all findings, never the first.

Arithmetic rules read their operands from the spec (``compare`` rules and the ``total`` rule each
total cell names), so a second format needs no code here. Totals are recomputed from the inputs;
what the source reported for a total is checked against that, never trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from toolkit.cells import MAX_COUNT, implausible
from toolkit.findings import Finding
from toolkit.formulas import format_diff
from toolkit.model import Number, Submission, unknown_keys
from toolkit.narrative import narrative_findings
from toolkit.spec import CellSpec, CheckSpec, FormSpec
from toolkit.uscc import uscc_problem

__all__ = ["check_previous", "check_submission", "outlier_findings", "value_findings"]


def _f(
    spec: FormSpec,
    code: str,
    message: str,
    file: str | None,
    cell: CellSpec | None = None,
    *,
    severity: str | None = None,
    expected: Any = None,
    actual: Any = None,
) -> Finding:
    return Finding(
        code,
        severity or spec.rules[code].severity,
        message,
        file,  # type: ignore[arg-type]
        cell.sheet if cell else None,
        cell.a1 if cell else None,
        cell.key if cell else None,
        expected,
        actual,
    )


def check_submission(
    sub: Submission, *, expected_year: int | None = None, file: str | None = None
) -> list[Finding]:
    spec = sub.spec
    file = file if file is not None else sub.source
    out: list[Finding] = []
    cells = spec.cells
    complete = not sub.meta.get("incomplete")

    # -- cover ---------------------------------------------------------------------------------
    if "cover.agency" in sub.where or sub.cover:
        if not sub.agency:
            out.append(
                _f(spec, "COVER-MISSING", "封面“机关名称”未填写，应填写机关全称", file, cells["cover.agency"])
            )
        year_raw = str(sub.cover.get("year") or "").strip()
        if not year_raw:
            out.append(
                _f(
                    spec,
                    "COVER-MISSING",
                    "封面“报告年度”未填写，应填写四位年份，如2025",
                    file,
                    cells["cover.year"],
                )
            )
        elif sub.year is None or not 2000 <= sub.year <= 2100:
            out.append(
                _f(
                    spec,
                    "COVER-MISSING",
                    f"封面“报告年度”为“{year_raw}”，应为四位年份，如2025"
                    if sub.year is None or not 1000 <= sub.year <= 9999
                    else f"封面“报告年度”为 {sub.year}，不在 2000 至 2100 年之间，请填写报告所属年度，如2025",
                    file,
                    cells["cover.year"],
                    actual=year_raw,
                )
            )
        elif expected_year is not None and sub.year != expected_year:
            out.append(
                _f(
                    spec,
                    "YEAR-MISMATCH",
                    f"报告年度为 {sub.year}，应为 {expected_year}",
                    file,
                    cells["cover.year"],
                    expected=expected_year,
                    actual=sub.year,
                )
            )
        if sub.code and (problem := uscc_problem(sub.code)):
            out.append(
                _f(
                    spec,
                    "CODE-INVALID",
                    f"统一社会信用代码“{_clip(sub.code)}”不正确：{problem}",
                    file,
                    cells["cover.code"],
                    actual=_clip(sub.code),
                )
            )

    rare = _rare(sub.values)
    out.extend(value_findings(sub, file, rare))
    out.extend(outlier_findings(sub, file, rare))
    if not complete:
        return out  # a sheet was not read: arithmetic on missing numbers would only mislead
    values = sub.all_values()
    # an imported report's numbers not found are unknown (VALUE-MISSING / IMPORT-NOT-FOUND at their
    # cells): arithmetic over them would report errors that are not in the published report
    unknown = unknown_keys(sub)

    # -- totals as reported vs recomputed -----------------------------------------------------
    for k in spec.total_keys:
        rep = sub.reported.get(k)
        if rep is None or rep == values[k] or k in unknown:
            continue
        c = cells[k]
        published = bool(sub.meta.get("imported")) or k in sub.meta.get("published_totals", "").split(",")
        out.append(
            _f(
                spec,
                c.rule or "",
                f"{c.label}：公开报告印出的合计为 {rep}，不等于报告所印各项之和 {values[k]}"
                "（公开文本本身的计算错误，各项按原文读取）"
                if published
                else f"{c.label}：报告值为 {rep}，应为各项之和 {values[k]}",
                file,
                c,
                expected=values[k],
                actual=rep,
            )
        )

    # -- compare rules ------------------------------------------------------------------------
    # an implausible number (1E+400 applications) is a likely cause too: named first, like a blank
    suspect = dict(sub.suspect)
    for k, v in rare:
        c = cells.get(k)
        common = type(v) is int and 0 <= v < MAX_COUNT
        if (
            c is not None
            and k not in suspect
            and not common
            and implausible(v, c.type.kind if c.type else "int")
        ):
            suspect[k] = "数值超出合理范围"
    checks = spec.checks
    found = [
        f
        for i in _failing(spec)(values)  # the checks that do not hold: only those are worded
        if not (unknown and unknown.intersection((*checks[i].lhs, *checks[i].rhs, checks[i].cell)))
        and (f := _compare(spec, checks[i], values, file, suspect))
    ]
    # a rule broken in a column is broken in the 总计 column too (totals are sums): report it at
    # the cells the clerk can edit, not again at a locked total cell
    on_inputs = {f.code for f in found if cells[f.key or ""].kind != "total"}
    out.extend(f for f in found if cells[f.key or ""].kind != "total" or f.code not in on_inputs)
    # -- the report's own words against its tables ------------------------------------------------
    out.extend(f for f in narrative_findings(sub, file) if f.key not in unknown)  # none over unknowns
    if looks_unfilled(sub, values):
        out.append(
            _f(
                spec,
                "REPORT-UNFILLED",
                "填报表看起来尚未填写：所有数字均为0（表二、表三、表四和信息处理费），“文字”表也是空的；"
                "请确认上传的是填写后的文件。如本年度确实没有这些事项，可忽略此提示",
                file,
            )
        )
    return out


def looks_unfilled(sub: Submission, values: dict[str, Number] | None = None) -> bool:
    """An agency's workbook as the template left it: every number 0 and every text empty
    (REPORT-UNFILLED). Not a summary (its texts are the coordinator's, written later), not a
    published report read by import (REPORT-ALL-ZERO is ``xxgk inspect``'s, for those)."""
    if (
        sub.meta.get("kind") not in ("template", "")
        or sub.meta.get("imported")
        or "REPORT-UNFILLED" not in sub.spec.rules
    ):
        return False
    if any(str(t or "").strip() for t in sub.texts.values()):
        return False
    values = sub.all_values() if values is None else values
    return not any(values.values())


# VALUE-OUTLIER: what one agency reports in a year stays far below these (a summary adds many
# agencies: not checked). (key prefix, bound, why it is unusual)
OUTLIERS: tuple[tuple[str, int, str], ...] = (
    (
        "t2.admin_fees.amount",
        10_000,
        "即{yi}亿元，远超一个单位一年通常的行政事业性收费；本格单位为万元，若按元填写，应除以10000（即{wan}万元）",
    ),
    ("t3.", 100_000, "一个单位一年的政府信息公开申请最多不过数万件，这一格远超此数"),
    ("t4.", 10_000, "一个单位一年因政府信息公开引起的行政复议、行政诉讼通常为数件至数百件，这一格远超此数"),
    ("s6.fee_notices", 100_000, "一个单位一年发出的信息处理费收费通知通常为数件至数千件，这一格远超此数"),
    (
        "s6.fee_",
        1_000_000,
        "信息处理费按件、按量计收（国办函〔2020〕109号），一个单位一年通常不过数万元，这一格远超此数；"
        "本格单位为元，请核对",
    ),
)
_OUTLIER_FLOOR = min(bound for _, bound, _ in OUTLIERS)
_COMMON_BELOW = 10_000  # a count below this is no finding of any value rule: the usual cell
assert min(_OUTLIER_FLOOR, MAX_COUNT) >= _COMMON_BELOW  # what _rare leaves out no rule reports


def _rare(values: dict[str, Number]) -> list[tuple[str, Number]]:
    """The values the value rules look at: all but plain counts below ``_COMMON_BELOW`` (one
    pass, shared by them), and but whole numbers below it held as Decimal (a money cell read as
    the clerk typed it: 12 万元): neither is negative, fractional, implausible or an outlier."""
    out = [kv for kv in values.items() if type(kv[1]) is not int or not 0 <= kv[1] < _COMMON_BELOW]
    if out:
        out = [kv for kv in out if not _common_decimal(kv[1])]
    return out


def _common_decimal(v: object) -> bool:
    return type(v) is Decimal and v.is_finite() and v == v.to_integral_value() and 0 <= v < _COMMON_BELOW


def outlier_findings(
    sub: Submission, file: str | None = None, rare: list[tuple[str, Number]] | None = None
) -> list[Finding]:
    """VALUE-OUTLIER (a warning): in one agency's report, a number far beyond what one agency
    reports in a year (35000 in 表二's 万元 fee cell: 3.5 亿元), each saying why it is unusual. A
    summary (many agencies added up) is not checked; nor is a value already refused."""
    if sub.meta.get("kind") == "summary" or "VALUE-OUTLIER" not in sub.spec.rules:
        return []
    spec = sub.spec
    file = file if file is not None else sub.source
    out: list[Finding] = []
    for k, v in _rare(sub.values) if rare is None else rare:
        if type(v) is int and v < _OUTLIER_FLOOR:
            continue
        c = spec.cells.get(k)
        if c is None or k in sub.suspect or not isinstance(v, int | Decimal) or v < _OUTLIER_FLOOR:
            continue
        if implausible(v, "decimal"):
            continue
        for prefix, bound, why in OUTLIERS:
            if k.startswith(prefix):
                if v >= bound:
                    shown = sub.raw.get(k) or format_diff(v)
                    text = why.format(yi=format_diff(Decimal(v) / 10000), wan=format_diff(Decimal(v) / 10000))
                    unit = c.type.unit if c.type and c.type.unit else ""
                    out.append(
                        _f(spec, "VALUE-OUTLIER", f"{c.label}：{shown}{unit}，{text}", file, c, actual=v)
                    )
                break
    return out


def value_findings(
    sub: Submission, file: str | None = None, rare: list[tuple[str, Number]] | None = None
) -> list[Finding]:
    """Sign, integrality and plausibility of every value read, whatever its source (workbook,
    published report, values JSON); cells whose reading was already reported are skipped."""
    spec = sub.spec
    file = file if file is not None else sub.source
    out: list[Finding] = []
    for k, v in _rare(sub.values) if rare is None else rare:
        if type(v) is int and 0 <= v < MAX_COUNT:
            continue  # the common case
        c = spec.cells.get(k)
        if c is None or k in sub.suspect or not isinstance(v, int | Decimal):
            continue
        kind = c.type.kind if c.type else "int"
        if v < 0 and not (c.type and c.type.signed):  # signed: 本年增/减 (2019), a decrease
            out.append(
                _f(
                    spec,
                    "VALUE-NEGATIVE",
                    f"{c.label}：{_shown(sub, k, v)} 是负数，应为不小于0的数",
                    file,
                    c,
                    actual=v,
                )
            )
        elif kind == "int" and isinstance(v, Decimal) and v != v.to_integral_value():
            out.append(
                _f(
                    spec,
                    "VALUE-NOT-INTEGER",
                    f"{c.label}：{_shown(sub, k, v)} 不是整数，件数应为整数",
                    file,
                    c,
                    actual=v,
                )
            )
        why = implausible(v, kind)
        if why:
            out.append(
                _f(
                    spec,
                    "VALUE-IMPLAUSIBLE",
                    f"{c.label}：{_shown(sub, k, v)} {why}，请核实",
                    file,
                    c,
                    actual=v,
                )
            )
    return out


def _shown(sub: Submission, k: str, v: Number) -> str:
    """A value as a finding quotes it: as the clerk typed it where known."""
    return sub.raw.get(k) or (f"{Decimal(v):.6E}" if abs(v) >= 10**15 else format_diff(v))


def _feasible(spec: FormSpec, key: str, v: Number) -> bool:
    c = spec.cells[key]
    if c.kind == "total" or v < 0:
        return False
    kind = c.type.kind if c.type else "int"
    if implausible(v, kind):
        return False  # never propose 1E+400 applications
    return kind != "int" or v == int(v)


def _parts(spec: FormSpec, key: str) -> list[str]:
    """The input cells a value is made of (itself, or every input under a total)."""
    c = spec.cells[key]
    if c.kind != "total":
        return [key]
    return [p for part in c.parts for p in _parts(spec, part)]


@lru_cache(maxsize=8)
def _failing(spec: FormSpec) -> Callable[[dict[str, Number]], list[int]]:
    """The indices of ``spec.checks`` that do not hold for the values, as one function compiled
    once per spec: the arithmetic of :func:`_compare` (sums from 0, left to right; ``when_zero``)
    without its wording, which only a check that fails needs."""
    ops = {"==": "d == 0", "<=": "d <= 0", ">=": "d >= 0"}
    lines = ["def failing(v):", "    g = v.get", "    bad = []"]
    for i, chk in enumerate(spec.checks):
        lhs = "0" + "".join(f" + g({k!r}, 0)" for k in chk.lhs)
        rhs = "0" + "".join(f" + g({k!r}, 0)" for k in chk.rhs) if chk.rhs else f"{chk.const!r}"
        pad = "    "
        if chk.when_zero:
            lines.append(f"    if g({chk.when_zero!r}, 0) == 0:")
            pad = "        "
        lines.append(f"{pad}d = ({lhs}) - ({rhs})")
        lines.append(f"{pad}if not ({ops[chk.op]}):")
        lines.append(f"{pad}    bad.append({i})")
    lines.append("    return bad")
    scope: dict[str, Any] = {"Decimal": Decimal}
    exec(compile("\n".join(lines) + "\n", f"<checks of {spec.id}>", "exec"), scope)  # repr() literals only
    return scope["failing"]


def _compare(
    spec: FormSpec,
    chk: CheckSpec,
    values: dict[str, Number],
    file: str | None,
    suspect: dict[str, str] | None = None,
) -> Finding | None:
    if chk.when_zero and values.get(chk.when_zero, 0) != 0:
        return None
    lhs = sum((values.get(k, 0) for k in chk.lhs), 0)
    rhs = sum((values.get(k, 0) for k in chk.rhs), 0) if chk.rhs else chk.const
    d = lhs - rhs
    if {"==": d == 0, "<=": d <= 0, ">=": d >= 0}[chk.op]:
        return None
    cell = spec.cells[chk.cell]
    actual = values.get(chk.cell, 0)

    def fix(k: str) -> Number:  # the value of cell k that satisfies the rule (<=/>= at the bound)
        return values.get(k, 0) - d if k in chk.lhs else values.get(k, 0) + d

    # the first editable cell whose change can satisfy the rule with a possible value (never a
    # negative or fractional count): the rule's own cell, else another operand
    candidates = [chk.cell, *(k for k in (*chk.lhs, *chk.rhs) if k != chk.cell)]
    target = next((k for k in candidates if _feasible(spec, k, fix(k))), None)
    expected = fix(chk.cell) if target == chk.cell else None
    keys = (*chk.lhs, *chk.rhs, chk.cell)
    same_col = len({spec.cells[k].col_key for k in keys}) == 1 and spec.cells[chk.cell].table is not None

    def name(k: str) -> str:
        c = spec.cells[k]
        return c.label.split(" ", 1)[-1].rsplit("／", 1)[0] if same_col else _short(spec, k)

    def side(ks: tuple[str, ...], const: int) -> str:
        if not ks:
            return str(const)
        terms = " + ".join(f"{name(k)} {format_diff(values.get(k, 0))}" for k in ks)
        total = sum((values.get(k, 0) for k in ks), 0)
        return terms if len(ks) == 1 else f"{terms} = {format_diff(total)}"

    rel = {"==": "应等于", "<=": "不应大于", ">=": "不应小于"}[chk.op]
    first = ""
    if suspect:  # a blank, text or non-number cell among the operands: the likely cause, named first
        bad = [k for k in dict.fromkeys(p for k in keys for p in _parts(spec, k)) if k in suspect]
        if bad:
            first = (
                "请先核对 "
                + "、".join(f"{spec.cells[k].ref}（{suspect[k]}）" for k in bad[:3])
                + ("等" if len(bad) > 3 else "")
                + "："
            )
    if target is None:
        advice = "请核对以上各项的数字"
    else:
        advice = f"“{name(target)}”为 {format_diff(values.get(target, 0))}，应为 {format_diff(fix(target))}"
        if target != chk.cell:
            advice += "（或核对其他各项）"
    gap = "" if chk.label.endswith(("）", "”")) else " "  # “…之和）不成立”, “…”列 不成立”
    msg = (
        f"{first}{chk.label}{gap}不成立：{side(chk.lhs, 0)}，{rel} {side(chk.rhs, chk.const)}"
        f"（相差 {format_diff(d)}）；{advice}"
    )
    return Finding(chk.code, chk.severity, msg, file, cell.sheet, cell.a1, cell.key, expected, actual)


def _clip(text: str, n: int = 40) -> str:
    """A clerk's text as a message quotes it: at most ``n`` characters."""
    return text if len(text) <= n else text[:n] + "…"


def _short(spec: FormSpec, key: str) -> str:
    c = spec.cells[key]
    return c.label.split(" ", 1)[-1]


# -- last year ----------------------------------------------------------------------------------
_STOCK_COLS = ("in_force",)
_STOCK_ROWS = ("carried_in",)


def check_previous(sub: Submission, prev: Submission, *, file: str | None = None) -> list[Finding]:
    """``PREV-*``: carry-over, stock of documents in force, and copied (identical) reports."""
    spec = sub.spec
    file = file if file is not None else sub.source
    if sub.meta.get("incomplete") or prev.meta.get("incomplete"):
        return []
    if sub.year is not None and prev.year is not None and prev.year != sub.year - 1:
        # not the year before this report's own (last year's file checked against itself, with
        # --year of this year: YEAR-MISMATCH says it): a comparison would only invent problems
        return []
    cur, old = sub.all_values(), prev.all_values()
    # numbers an import did not find are unknown, never 0: nothing is compared with them
    gone = unknown_keys(sub) | unknown_keys(prev)
    out: list[Finding] = []
    py = prev.year or "上"
    for k, c in spec.cells.items():
        if c.table == "t3" and c.row_key == "carried_in":
            pk = k.replace(".carried_in.", ".carried_out.")
            if k not in gone and pk not in gone and cur[k] != old.get(pk, 0):
                out.append(
                    _f(
                        spec,
                        "PREV-CARRYOVER",
                        f"{c.label}：本年“上年结转”为 {cur[k]}，上年（{py}年）报告“结转下年度继续办理”为 {old.get(pk, 0)}，应一致",
                        file,
                        c,
                        expected=old.get(pk, 0),
                        actual=cur[k],
                    )
                )
        if c.table == "t2" and c.col_key == "in_force" and k in prev.spec.cells:  # same format's stock
            base = k.rsplit(".", 1)[0]
            want = old.get(k, 0) + cur.get(f"{base}.issued", 0) - cur.get(f"{base}.repealed", 0)
            if not gone.intersection((k, f"{base}.issued", f"{base}.repealed")) and cur[k] != want:
                out.append(
                    _f(
                        spec,
                        "PREV-IN-FORCE",
                        f"{c.label}：现行有效 {cur[k]} 件，按上年现行有效 {old.get(k, 0)} + 本年制发 "
                        f"{cur.get(f'{base}.issued', 0)} − 本年废止 {cur.get(f'{base}.repealed', 0)} 应为 {want} 件",
                        file,
                        c,
                        expected=want,
                        actual=cur[k],
                    )
                )
    flows = [
        k
        for k, c in spec.cells.items()
        if c.kind == "input"
        and c.col_key not in _STOCK_COLS
        and c.row_key not in _STOCK_ROWS
        and not k.startswith("s6.")
    ]
    if not gone and all(cur[k] == old.get(k, 0) for k in spec.numeric_keys) and any(cur[k] for k in flows):
        out.append(
            Finding(
                "PREV-IDENTICAL",
                spec.rules["PREV-IDENTICAL"].severity,
                f"所有数字与上年（{py}年）报告完全相同，请核实是否照抄了上年数据",
                file,
            )
        )
    return out
