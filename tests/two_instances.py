"""Documents holding two instances of 表三 (two years), in the layouts comparisons are printed in.

Every number of both instances is distinct (drawn without replacement), so a number read at a
label of the wrong instance, or at another label, can never pass for the right one.

Layouts: ``pdf-sides`` (positioned words as a PDF gives them: the two reports side by side, the
right one a little higher or lower), ``html-sides`` (one web table: label and seven numbers of
one year, then label and seven numbers of the other), ``html-nested`` (a layout table holding
the two tables: one after the other in reading order), ``text-sequence`` (two tables one after
the other under a year caption each), ``text-header`` (one label column, the years over two
groups of seven columns).
"""

from __future__ import annotations

import random

from tests.report_texts import make_report
from toolkit.importers.sources import Line, Word, _group_lines
from toolkit.model import compute_totals
from toolkit.spec import load_spec

SPEC = load_spec()
COLS = ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org", "total")
ROWS = [c.row_key for c in SPEC.cells.values() if c.table == "t3" and c.col_key == "natural_person"]
T3_KEYS = [k for k in SPEC.numeric_keys if k.startswith("t3.")]
LAYOUTS = ("pdf-sides", "html-sides", "html-nested", "text-sequence", "text-header")


def unique_values(rnd: random.Random, pool: list[int]) -> dict:
    """Input values, each taken from ``pool`` (numbers used once in the whole document)."""
    v = {k: pool.pop() for k in SPEC.input_keys if not k.startswith("s6.")}
    v.update({"s6.fee_notices": 0, "s6.fee_notified": 0, "s6.fee_collected": 0})
    return v


def truth(values: dict) -> dict:
    return {**{k: values.get(k, 0) for k in SPEC.input_keys}, **compute_totals(SPEC, values)}


def label(row: str) -> str:
    return SPEC.cells[f"t3.{row}.natural_person"].label.split(" ", 1)[-1].rsplit("／", 1)[0]


def _positioned_words(text: str, x_off: float, y_off: float) -> list[Word]:
    """A 'columns' report's words as a PDF places them: labels at the left, numbers in columns."""
    words = []
    for y, ln in enumerate(text.split("\n")):
        parts = ln.split()
        if not parts:
            continue
        nums: list[str] = []
        while parts and parts[-1].isdigit():
            nums.insert(0, parts.pop())
        top = y * 14.0 + y_off
        if parts:
            words.append(
                Word(
                    "".join(parts),
                    x_off + 10.0,
                    x_off + 10 + 9.0 * min(len("".join(parts)), 20),
                    top,
                    top + 10,
                )
            )
        for k, n in enumerate(nums):
            x = x_off + 220.0 + 42 * k
            words.append(Word(n, x, x + 6 * len(n), top, top + 10))
    return words


def make(layout: str, years: tuple[int, int], vals: tuple[dict, dict], rnd: random.Random):
    """(file suffix, content as str) or, for ``pdf-sides``, a list of Lines as the PDF reader gives."""
    ta, tb = truth(vals[0]), truth(vals[1])
    agency = "示例市青川区测试局"
    if layout == "pdf-sides":
        left = make_report(vals[0], layout="columns", year=years[0], agency=agency)
        right = make_report(vals[1], layout="columns", year=years[1], agency=agency)
        words = _positioned_words(left, 0.0, 0.0) + _positioned_words(right, 900.0, rnd.uniform(-2.5, 2.5))
        return _group_lines(words, 1, None)
    if layout in ("html-sides", "html-nested"):
        head = "<tr><td>项目</td>" + "".join(
            f"<td>{h}</td>"
            for h in ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
        )
        if layout == "html-sides":
            rows = [
                f'<tr><td colspan="8">{years[0]}年</td><td colspan="8">{years[1]}年</td></tr>',
                head + head[4:] + "</tr>",
            ]
            for r in ROWS:
                cells = "".join(
                    f"<td>{label(r)}</td>" + "".join(f"<td>{t[f't3.{r}.{c}']}</td>" for c in COLS)
                    for t in (ta, tb)
                )
                rows.append(f"<tr>{cells}</tr>")
            table = "<table>" + "".join(rows) + "</table>"
        else:
            inner = []
            for y, t in zip(years, (ta, tb), strict=True):
                rows = [head + "</tr>"] + [
                    f"<tr><td>{label(r)}</td>"
                    + "".join(f"<td>{t[f't3.{r}.{c}']}</td>" for c in COLS)
                    + "</tr>"
                    for r in ROWS
                ]
                inner.append(f"<td><p>{y}年度</p><table>{''.join(rows)}</table></td>")
            table = "<table><tr>" + "".join(inner) + "</tr></table>"
        title = f"{agency}{max(years)}年政府信息公开工作年度报告（含{min(years)}年对比）"
        html = (
            f"<html><body><h1>{title}</h1><p>一、总体情况</p><p>略。</p>"
            f"<p>三、收到和处理政府信息公开申请情况</p>{table}"
            "<p>四、政府信息公开行政复议、行政诉讼情况</p><p>略。</p></body></html>"
        )
        return ".html", html
    # text: 表三 twice, or its numbers in two groups under a year header
    base = make_report(vals[1], layout="columns", year=max(years), agency=agency).split("\n")
    at = base.index("三、收到和处理政府信息公开申请情况")
    end = base.index("四、政府信息公开行政复议、行政诉讼情况")
    t3 = base[at + 1 : end]
    first_row = next(i for i, ln in enumerate(t3) if ln.startswith("一、本年新收"))

    def table(t: dict) -> list[str]:
        out = list(t3[:first_row])
        rows = iter(ROWS)  # make_report prints the rows in the form's order
        for ln in t3[first_row:]:
            parts = ln.split()
            if parts and parts[-1].isdigit():
                lab = " ".join(parts[: len(parts) - 7])
                row = next(rows)
                out.append(f"{lab} " + " ".join(str(t[f"t3.{row}.{c}"]) for c in COLS))
            else:
                out.append(ln)
        return out

    if layout == "text-sequence":
        body = [f"{years[0]}年度", *table(ta), f"{years[1]}年度", *table(tb)]
    else:
        a, b = table(ta), table(tb)
        body = [f"{years[0]}年 {years[1]}年", *a[:first_row]]
        for la, lb in zip(a[first_row:], b[first_row:], strict=True):
            pa, pb = la.split(), lb.split()
            if pa and pa[-1].isdigit():
                body.append(" ".join(pa + pb[-7:]))
            else:
                body.append(la)
    return ".txt", "\n".join(base[: at + 1] + body + base[end:]) + "\n"


def lines_of(pdf_lines: list[Line]) -> list[Line]:
    for ln in pdf_lines:
        ln.geometric = True
    return pdf_lines
