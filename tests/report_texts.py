"""Published-report texts in the layouts real reports use, written for the import tests.

``flat``: one cell per line, as web pages flatten (the seed report's layout).
``columns``: a row per line with its numbers (text extracted from a PDF), half-width brackets,
``1、`` numbering. Variants: ``subtotals`` (（三）–（六） subtotal rows), ``xiaoji`` (a 法人或其他组织
小计 column), ``single_other`` (one （六）其他处理 row, 2019 style), ``drop:<row>`` (a row missing).
"""

from __future__ import annotations

from decimal import Decimal

from toolkit.model import compute_totals
from toolkit.spec import load_spec

SPEC = load_spec()
T3_COLS = ["natural_person", "business", "research", "public_welfare", "legal_service", "other_org", "total"]
GROUPS = {  # row key -> (group label, item label) as printed
    "granted": ("", "（一）予以公开"),
    "partly_granted": ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
}


def _fmt(v) -> str:
    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else str(v)
    return str(v)


def _t3_rows() -> list[tuple[str, list[str]]]:
    """(row key, its label path) in table order, from the spec's layout."""
    out = []
    for c in SPEC.cells.values():
        if c.table == "t3" and c.col_key == "natural_person":
            path = [
                lab.text
                for lab in sorted(SPEC.labels_on("表三"), key=lambda lab: lab.col)
                if lab.role == "row" and lab.row <= c.row <= lab.last_row
            ]
            out.append((c.row_key, path))
    return out


def make_report(
    values: dict,
    *,
    layout: str = "flat",
    variants: frozenset[str] = frozenset(),
    reported: dict | None = None,
    agency: str = "示例市青川区测试局",
    year: int = 2025,
    overview: str = "本机关认真贯彻落实《条例》。",
    fee_text: str | None = None,
) -> str:
    allv = {
        **{k: values.get(k, 0) for k in SPEC.input_keys},
        **compute_totals(SPEC, values),
        **(reported or {}),
    }
    half = layout == "columns"

    def lab(s: str) -> str:
        if half:
            s = s.replace("（", "(").replace("）", ")")
            for n in "12345678":
                s = s.replace(f"{n}.", f"{n}、")
        return s

    out = [
        agency,
        f"{year}年政府信息公开工作年度报告",
        "依据《条例》第五十条规定，编制本报告。",
        "一、总体情况",
        overview,
        "二、主动公开政府信息情况",
    ]

    def row(label: str, nums: list[str]) -> None:
        if half:
            out.append(" ".join([lab(label), *nums]))
        else:
            out.extend([lab(label), *nums])

    t2 = [
        (
            "第二十条第（一）项",
            ["本年制发件数", "本年废止件数", "现行有效件数"],
            [
                ("规章", "regulations", ["issued", "repealed", "in_force"]),
                ("行政规范性文件", "normative_documents", ["issued", "repealed", "in_force"]),
            ],
        ),
        ("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "admin_licensing", ["decisions"])]),
        (
            "第二十条第（六）项",
            ["本年处理决定数量"],
            [("行政处罚", "admin_penalty", ["decisions"]), ("行政强制", "admin_coercion", ["decisions"])],
        ),
        (
            "第二十条第（八）项",
            ["本年收费金额（单位：万元）"],
            [("行政事业性收费", "admin_fees", ["amount"])],
        ),
    ]
    for caption, heads, rows in t2:
        out.extend([lab(caption), "信息内容", *heads])
        for label, rk, cols in rows:
            row(label, [_fmt(allv[f"t2.{rk}.{c}"]) for c in cols])
    out += [
        "三、收到和处理政府信息公开申请情况",
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
        "申请人情况",
        "自然人",
        "法人或其他组织",
        "总计",
        "商业",
        "企业",
        "科研",
        "机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    if "xiaoji" in variants:
        out.append("小计")
    last_group = None
    for rk, path in _t3_rows():
        if f"drop:{rk}" in variants:
            continue
        if rk in ("other_no_correction", "other_fee_unpaid") and "single_other" in variants:
            continue
        nums = [_fmt(allv[f"t3.{rk}.{c}"]) for c in T3_COLS]
        if rk == "other_misc" and "single_other" in variants:
            nums = [
                _fmt(
                    sum(
                        allv[f"t3.{k}.{c}"] for k in ("other_no_correction", "other_fee_unpaid", "other_misc")
                    )
                )
                for c in T3_COLS
            ]
            path = [path[0], "（六）其他处理"]
        if "xiaoji" in variants:
            nums = [*nums[:6], str(sum(int(n) for n in nums[1:6])), *nums[6:]]
        if len(path) == 3 and path[1] != last_group:
            out.append(lab(path[1]))
            if "subtotals" in variants:  # a local variant prints the group's subtotal here
                members = [k for k, p in _t3_rows() if len(p) == 3 and p[1] == path[1]]
                sub = [_fmt(sum(allv[f"t3.{k}.{c}"] for k in members)) for c in T3_COLS]
                if "xiaoji" in variants:
                    sub = [*sub[:6], str(sum(int(n) for n in sub[1:6])), *sub[6:]]
                out.extend(sub if not half else [" ".join(sub)])
            last_group = path[1]
        if len(path) >= 2 and path[0] == "三、本年度办理结果" and rk == "granted":
            out.append("三、本年度办理结果")
        row(path[-1], nums)
    out += [
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议",
        "行政诉讼",
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
        "总计",
        "未经复议直接起诉",
        "复议后起诉",
    ] + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2
    t4 = [_fmt(allv[c.key]) for c in SPEC.cells.values() if c.table == "t4"]
    out.extend([" ".join(t4)] if half else t4)
    out += [
        "五、存在的主要问题及改进情况",
        "主动公开的及时性还需提高。",
        "六、其他需要报告的事项",
        fee_text
        if fee_text is not None
        else f"本年度发出收费通知{_fmt(allv['s6.fee_notices'])}件，总金额{_fmt(allv['s6.fee_notified'])}元，"
        f"实际收取的总金额{_fmt(allv['s6.fee_collected'])}元。",
    ]
    return "\n".join(out) + "\n"
