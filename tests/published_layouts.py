"""Published reports in the layouts real sites print, for the import tests: the reference report's
own layout (tests/fixtures/reference: a Beijing district page, saved from Word), with numbers of
one's own so a number read at the wrong label shows.

``word_html``: the page as Word's 另存为网页 writes it — every cell a ``<p class=MsoNormal>``
with spans, headers merged (表二's 第二十条第（一）项 across its four columns, 本年处理决定数量 and
its number across three; 表三's corner note over three columns and three rows, 申请人情况 over
seven, 商业<br>企业 broken inside its cell), ``&nbsp;`` where Word leaves one. Options: numbers
in full-width digits (``fullwidth``), 表三's header repeated in a ``<thead>`` (a browser prints it
again on each page: ``thead``), text before 表三 (``lead``) to push it over a page break.

``docx_nested`` / ``docx_textbox``: the same tables in a .docx, 表三 nested in a layout table's
cell, or 表二–表四 each in a text box (``w:txbxContent``, as Word draws one), written with
python-docx and its XML.
"""

from __future__ import annotations

import html
from decimal import Decimal
from pathlib import Path

from tests.report_texts import T3_COLS, _t3_rows
from toolkit.model import compute_totals
from toolkit.spec import load_spec

SPEC = load_spec()
FULL = str.maketrans("0123456789.", "０１２３４５６７８９．")
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T2 = [
    (
        "第二十条第（一）项",
        ["本年制发件数", "本年废止件数", "现行有效件数"],
        [("规章", "regulations", ["issued", "repealed", "in_force"]),
         ("行政规范性文件", "normative_documents", ["issued", "repealed", "in_force"])],
    ),
    ("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "admin_licensing", ["decisions"])]),
    ("第二十条第（六）项", ["本年处理决定数量"],
     [("行政处罚", "admin_penalty", ["decisions"]), ("行政强制", "admin_coercion", ["decisions"])]),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", "admin_fees", ["amount"])]),
]  # fmt: skip
T4_HEADS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def truth(values: dict) -> dict:
    """Every number the report prints, by key (inputs and totals)."""
    return {**{k: values.get(k, 0) for k in SPEC.input_keys}, **compute_totals(SPEC, values)}


def _fmt(v, fullwidth: bool) -> str:
    s = str(int(v)) if isinstance(v, Decimal) and v == v.to_integral_value() else str(v)
    return s.translate(FULL) if fullwidth else s


def _p(text: str, *, center: bool = True, lang: bool = False) -> str:
    """A cell's text as Word writes it: a MsoNormal paragraph with a span (``<br>`` kept)."""
    body = "<br>\n".join(html.escape(t) for t in text.split("\n")) if text else "&nbsp;"
    attr = " lang=EN-US" if lang else ""
    align = " align=center style='text-align:center'" if center else ""
    return (
        f"<p class=MsoNormal{align}><span{attr} style='font-size:10.5pt;"
        f"font-family:仿宋_GB2312;color:#333333'>{body}</span></p>"
    )


def _td(text: str, *, rows: int = 1, cols: int = 1, num: bool = False) -> str:
    span = (f" rowspan={rows}" if rows > 1 else "") + (f" colspan={cols}" if cols > 1 else "")
    return f"<td{span} valign=middle style='border:solid windowtext 1.0pt;padding:0cm 5.4pt'>{_p(text, lang=num)}</td>"


def t2_table(v: dict, fullwidth: bool = False) -> str:
    rows = []
    for caption, heads, items in T2:
        rows.append(_td(caption, cols=4))
        if len(heads) == 3:
            rows.append(_td("信息内容") + "".join(_td(h) for h in heads))
        else:
            rows.append(_td("信息内容") + _td(heads[0], cols=3))
        for label, rk, cols in items:
            nums = [_fmt(v[f"t2.{rk}.{c}"], fullwidth) for c in cols]
            if len(nums) == 3:
                rows.append(_td(label) + "".join(_td(n, num=True) for n in nums))
            else:
                rows.append(_td(label) + _td(nums[0], cols=3, num=True))
    body = "".join(f"<tr>{r}</tr>\n" for r in rows)
    return f"<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>\n{body}</table>"


def t3_head() -> list[str]:
    return [
        _td(CORNER, rows=3, cols=3) + _td("申请人情况", cols=7),
        _td("自然人", rows=2) + _td("法人或其他组织", cols=5) + _td("总计", rows=2),
        "".join(_td(h) for h in ("商业\n企业", "科研\n机构", "社会公益组织", "法律服务机构", "其他")),
    ]


def t3_body(v: dict, fullwidth: bool = False) -> list[str]:
    rows_ = _t3_rows()
    result_rows = sum(1 for _rk, p in rows_ if p[0] == "三、本年度办理结果")
    groups: dict[str, int] = {}
    for _rk, p in rows_:
        if len(p) == 3:
            groups[p[1]] = groups.get(p[1], 0) + 1
    out, seen = [], set()
    for rk, path in rows_:
        nums = "".join(_td(_fmt(v[f"t3.{rk}.{c}"], fullwidth), num=True) for c in T3_COLS)
        if len(path) == 1:
            out.append(_td(path[0], cols=3) + nums)
            continue
        lead = ""
        if path[0] not in seen:
            seen.add(path[0])
            lead += _td(path[0], rows=result_rows)
        if len(path) == 2:
            out.append(lead + _td(path[1], cols=2) + nums)
            continue
        if path[1] not in seen:
            seen.add(path[1])
            lead += _td(path[1], rows=groups[path[1]])
        out.append(lead + _td(path[2]) + nums)
    return out


def t3_table(v: dict, fullwidth: bool = False, thead: bool = False) -> str:
    head = "".join(f"<tr>{r}</tr>\n" for r in t3_head())
    body = "".join(f"<tr>{r}</tr>\n" for r in t3_body(v, fullwidth))
    if thead:
        head, body = f"<thead>\n{head}</thead>\n", f"<tbody>\n{body}</tbody>\n"
    return f"<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>\n{head}{body}</table>"


def t4_table(v: dict, fullwidth: bool = False, break_before_numbers: bool = False) -> str:
    rows = [
        _td("行政复议", cols=5) + _td("行政诉讼", cols=10),
        "".join(_td(h, rows=2) for h in T4_HEADS)
        + _td("未经复议直接起诉", cols=5)
        + _td("复议后起诉", cols=5),
        "".join(_td(h) for h in T4_HEADS * 2),
        "".join(_td(_fmt(v[c.key], fullwidth), num=True) for c in SPEC.cells.values() if c.table == "t4"),
    ]
    brk = ["", "", "", " style='break-before:page'" if break_before_numbers else ""]
    body = "".join(f"<tr{b}>{r}</tr>\n" for b, r in zip(brk, rows, strict=True))
    return f"<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>\n{body}</table>"


def word_html(
    values: dict,
    *,
    agency: str = "北京市密云区测试局",
    year: int = 2023,
    fullwidth: bool = False,
    thead: bool = False,
    lead: int = 0,
    t4_break: bool = False,
) -> str:
    v = truth(values)
    fee = (
        f"本年度发出收费通知{_fmt(v['s6.fee_notices'], fullwidth)}件，总金额{_fmt(v['s6.fee_notified'], fullwidth)}元，"
        f"实际收取的总金额{_fmt(v['s6.fee_collected'], fullwidth)}元。"
    )
    para = "".join(
        _p(f"（{n}）本机关认真贯彻落实《条例》，持续推进政务公开工作。" * 3, center=False)
        for n in "一二三四五"
    )
    filler = "".join(
        _p("依申请公开办理严格按照法定程序和时限执行，答复规范。" * 4, center=False) for _ in range(lead)
    )
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head><meta http-equiv=Content-Type '
        'content="text/html; charset=utf-8"><title>政府信息公开工作年度报告</title>\n'
        "<style>@page WordSection1 {size:595.3pt 841.9pt;} td p {margin:0}</style></head>\n"
        "<body lang=ZH-CN><div class=WordSection1>\n"
        f"{_p(agency)}\n{_p(f'{year}年政府信息公开工作年度报告')}\n"
        f"{_p('依据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，编制本报告。', center=False)}\n"
        f"{_p('一、总体情况', center=False)}\n{para}\n"
        f"{_p('二、主动公开政府信息情况', center=False)}\n{t2_table(v, fullwidth)}\n"
        f"{_p('三、收到和处理政府信息公开申请情况', center=False)}\n{filler}\n{t3_table(v, fullwidth, thead)}\n"
        f"{_p('四、政府信息公开行政复议、行政诉讼情况', center=False)}\n{t4_table(v, fullwidth, t4_break)}\n"
        f"{_p('五、存在的主要问题及改进情况', center=False)}\n{_p('主动公开的及时性还需提高。', center=False)}\n"
        f"{_p('六、其他需要报告的事项', center=False)}\n{_p(fee, center=False)}\n"
        "</div></body></html>\n"
    )


def check(res, values: dict) -> tuple[dict, list[str]]:
    """(numbers read wrong: key -> (printed, read), keys neither read nor unknown). Every number
    of 表二–表四 and the fees must be read as printed or be unknown."""
    t = truth(values)
    sub = res.submission
    got = {**sub.values, **{k: x for k, x in sub.reported.items() if x is not None}}
    unknown = set(res.unknown)
    wrong = {k: (t[k], got[k]) for k in SPEC.numeric_keys if k in got and k in t and got[k] != t[k]}
    lost = [k for k in SPEC.numeric_keys if k in t and k not in got and k not in unknown]
    return wrong, lost


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- .docx: 表三 nested in a layout table, or the tables in text boxes -----------------------------
def _fill(table, grid, fullwidth: bool) -> None:
    """A python-docx table filled from :func:`toolkit.outputs.render.table_grid`, merges made."""
    for r, row in enumerate(grid):
        for c, g in enumerate(row):
            if g is None:
                continue
            cell = table.cell(r, c)
            if g.rowspan > 1 or g.colspan > 1:
                cell = cell.merge(table.cell(r + g.rowspan - 1, c + g.colspan - 1))
            text = g.text if g.header else g.text.translate(FULL) if fullwidth else g.text
            cell.text = text


def _grids(values: dict) -> dict[str, list]:
    from toolkit.outputs.render import table_grid

    v = truth(values)
    return {sheet: table_grid(SPEC, sheet, v) for sheet in ("表二", "表三", "表四")}


def _doc_start(doc, agency: str, year: int) -> None:
    doc.add_paragraph(agency)
    doc.add_paragraph(f"{year}年政府信息公开工作年度报告")
    doc.add_paragraph("依据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，编制本报告。")
    doc.add_paragraph("一、总体情况")
    doc.add_paragraph("本机关认真贯彻落实《条例》，持续推进政务公开工作。")


def _doc_end(doc, values: dict, fullwidth: bool) -> None:
    v = truth(values)
    doc.add_paragraph("五、存在的主要问题及改进情况")
    doc.add_paragraph("主动公开的及时性还需提高。")
    doc.add_paragraph("六、其他需要报告的事项")
    fee = (
        f"本年度发出收费通知{_fmt(v['s6.fee_notices'], fullwidth)}件，总金额{_fmt(v['s6.fee_notified'], fullwidth)}元，"
        f"实际收取的总金额{_fmt(v['s6.fee_collected'], fullwidth)}元。"
    )
    doc.add_paragraph(fee)


HEADINGS = {
    "表二": "二、主动公开政府信息情况",
    "表三": "三、收到和处理政府信息公开申请情况",
    "表四": "四、政府信息公开行政复议、行政诉讼情况",
}


def docx_nested(values: dict, path: Path, *, agency: str = "北京市密云区测试局", year: int = 2023,
                fullwidth: bool = False) -> Path:  # fmt: skip
    """The report with each table nested in the one cell of a layout table (a page framed by a
    bordered table, as some offices lay their reports out), 表三 two levels deep."""
    from docx import Document

    doc = Document()
    _doc_start(doc, agency, year)
    for sheet, grid in _grids(values).items():
        doc.add_paragraph(HEADINGS[sheet])
        outer = doc.add_table(rows=1, cols=1)
        host = outer.cell(0, 0)
        if sheet == "表三":  # one level more: a frame inside the frame
            host = host.add_table(rows=1, cols=1).cell(0, 0)
        width = max(sum(g.colspan for g in row if g) for row in grid)
        _fill(host.add_table(rows=len(grid), cols=width), grid, fullwidth)
    _doc_end(doc, values, fullwidth)
    doc.save(str(path))
    return path


def docx_textbox(values: dict, path: Path, *, agency: str = "北京市密云区测试局", year: int = 2023,
                 fullwidth: bool = False) -> Path:  # fmt: skip
    """The report with each table in a text box as Word saves one: ``mc:AlternateContent``, its
    ``wps:txbx`` choice and its VML ``v:textbox`` fallback, each holding the table (the same
    table twice in the XML, once shown)."""
    import copy

    from docx import Document
    from docx.oxml import parse_xml

    doc = Document()
    _doc_start(doc, agency, year)
    ns = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"'
    )
    for i, (sheet, grid) in enumerate(_grids(values).items(), 1):
        doc.add_paragraph(HEADINGS[sheet])
        width = max(sum(g.colspan for g in row if g) for row in grid)
        scratch = Document()
        t = scratch.add_table(rows=len(grid), cols=width)
        t.style = None
        _fill(t, grid, fullwidth)
        box = parse_xml(
            f'<w:r {ns}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
            f'<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{i}" '
            'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
            '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
            '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
            '<wp:extent cx="5400000" cy="3600000"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
            f'<wp:wrapTopAndBottom/><wp:docPr id="{i}" name="文本框 {i}"/><wp:cNvGraphicFramePr/>'
            '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
            '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" '
            'cy="3600000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
            "<wps:txbx><w:txbxContent/></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic>"
            '</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape type="#_x0000_t202" '
            'style="width:425pt;height:283pt"><v:textbox><w:txbxContent/></v:textbox></v:shape></w:pict>'
            "</mc:Fallback></mc:AlternateContent></w:r>"
        )
        for content in box.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}txbxContent"):
            content.append(copy.deepcopy(t._tbl))
            content.append(parse_xml(f"<w:p {ns}/>"))  # a text box's content ends with a paragraph
        doc.add_paragraph()._p.append(box)
    _doc_end(doc, values, fullwidth)
    doc.save(str(path))
    return path
