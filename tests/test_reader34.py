"""What a clerk and a coordinator read, checked on the real outputs (reader34's review).

Each test failed before its fix: a merge without --roster/--agency named its summary 汇总 though
every cover named one 上级; …
"""

from __future__ import annotations

import openpyxl

from tests.conftest import ROOT, run_cli
from tests.fixtures.build import clean_values
from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template

SPEC = load_spec()
SAMPLES = ROOT / "samples"


def _agency_file(folder, name: str, parent: str) -> None:
    folder.mkdir(exist_ok=True)
    cover = {"agency": name, "year": 2025, "parent": parent}
    make_template(folder / f"{name}.xlsx", Submission(cover=cover, values=clean_values()))


def test_merge_without_roster_names_the_summary_after_the_covers_parent(tmp_path):
    """No --roster, no --agency: the summary is the body every counted cover names as 上级/所属地区
    (it was 汇总: `汇总：汇总 2025 年度`, 汇总单位：汇总 on its cover), and the console says where the
    name came from."""
    inbox = tmp_path / "收到"
    for name in ("青川区甲局", "青川区乙局"):
        _agency_file(inbox, name, "示例市青川区")
    _agency_file(inbox, "青川区丙局", "")  # a cover that leaves it empty does not stand in the way
    r = run_cli("merge", inbox, "-o", tmp_path / "区汇总.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "汇总：示例市青川区 2025 年度" in r.stdout
    assert "示例市青川区" in r.stderr and "--agency" in r.stderr and "1 个" in r.stderr
    from toolkit.reader import read_workbook

    assert read_workbook(tmp_path / "区汇总.xlsx").agency == "示例市青川区"


def test_merge_says_when_the_covers_parents_disagree(tmp_path):
    """Covers naming two 上级: no name is guessed (汇总, neutral) and the console says which names
    and how many, and that --agency names the summary."""
    inbox = tmp_path / "收到"
    _agency_file(inbox, "青川区甲局", "示例市青川区")
    _agency_file(inbox, "东湖区乙局", "示例市东湖区")
    r = run_cli("merge", inbox, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "汇总：汇总 2025 年度" in r.stdout
    assert "不一致" in r.stderr and "示例市青川区" in r.stderr and "示例市东湖区" in r.stderr
    assert "--agency" in r.stderr
    r = run_cli("merge", inbox, "-o", tmp_path / "汇总2.xlsx", "--agency", "示例市", cwd=tmp_path)
    assert "汇总：示例市 2025 年度" in r.stdout and "不一致" not in r.stderr


def _on_one_line(doc, text: str) -> tuple[int, int]:
    """How many times ``text`` is printed, and how many of them on one line (its characters at
    one height): a code wrapped in a narrow column is printed in two pieces, one above the other."""
    from tests import pdfcheck

    want, seen, whole = pdfcheck.norm(text), 0, 0
    for p in doc.pages:
        chars = "".join(pdfcheck.norm(c["text"]) or "?" for c in p.chars)
        if len(chars) != len(p.chars):  # a glyph of several letters: index by hand
            chars, owner = pdfcheck._indexed(p)
        else:
            owner = list(range(len(p.chars)))
        at = chars.find(want)
        while at >= 0:
            seen += 1
            tops = {round(p.chars[owner[k]]["top"]) for k in range(at, at + len(want))}
            whole += max(tops) - min(tops) <= 2
            at = chars.find(want, at + 1)
    return seen, whole


def test_findings_list_prints_a_credit_code_on_one_line(soffice, tmp_path):
    """问题清单 printed (A4, LibreOffice): its 应为 and 实际 columns, 10 wide, broke an 18-character
    统一社会信用代码 over two lines (“11110999MB / 0000001T”), the one value a clerk copies."""
    import shutil

    from tests import pdfcheck
    from tests.office import convert
    from toolkit.merge import merge
    from toolkit.outputs.findings_xlsx import write_findings_workbook
    from toolkit.uscc import uscc_check_char

    inbox = tmp_path / "收到"
    inbox.mkdir()
    shutil.copy(SAMPLES / "青川区司法局.xlsx", inbox / "青川区司法局.xlsx")
    wb = openpyxl.load_workbook(inbox / "青川区司法局.xlsx")
    c = SPEC.cells["cover.code"]
    other = "11110999MB0000999" + uscc_check_char("11110999MB0000999")
    wb[c.sheet][c.a1] = other
    wb.save(inbox / "青川区司法局.xlsx")
    s = merge([inbox], roster=SAMPLES / "roster.csv", year=2025)
    (f,) = [f for rep in s.reports for f in rep.findings if f.code == "COVER-MISMATCH"]
    assert f.actual == other and len(str(f.expected)) == 18
    out = write_findings_workbook(tmp_path / "问题清单.xlsx", s.reports, year=2025)
    (pdf,) = convert([out], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    for code in (str(f.expected), other):
        seen, whole = _on_one_line(doc, code)
        assert seen >= 2 and whole == seen, (code, seen, whole)  # in 问题说明 and in its column
    assert pdfcheck.faults(doc) == []


def test_inspect_names_skipped_files_as_it_names_reports(tmp_path):
    """xxgk inspect of one folder named each report inside it by its name there (a/甲.txt) but each
    skipped file by the path as typed (/tmp/…/收到/照片.jpg): one way now, in the console, the JSON
    and the workbook's 说明 sheet."""
    import json
    import shutil

    d = tmp_path / "收到"
    (d / "乙").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "reference" / "000_f97a9d76fb144919.txt", d / "甲.txt")
    (d / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    (d / "乙" / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    (d / "乙" / "归档.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    out = tmp_path / "检查.xlsx"
    r = run_cli("inspect", d.resolve(), "-o", out, cwd=ROOT)
    assert "  甲.txt（读出" in r.stdout, r.stdout
    skipped = [line.strip() for line in r.stderr.splitlines() if line.strip().startswith("跳过：")]
    assert sorted(s.split("：")[1] for s in skipped) == ["乙/归档.zip", "乙/照片.jpg", "照片.jpg"], skipped
    assert str(tmp_path) not in r.stderr
    doc = json.loads(run_cli("inspect", d.resolve(), "--format", "json", cwd=ROOT).stdout)
    assert [rep["file"] for rep in doc["reports"]] == ["甲.txt"]
    assert sorted(s.split("：")[0] for s in doc["skipped"]) == ["乙/归档.zip", "乙/照片.jpg", "照片.jpg"]
    ws = openpyxl.load_workbook(out, read_only=True)["说明"]
    said = [r[1] for r in ws.iter_rows(values_only=True) if r[0] == "跳过的文件"]
    assert sorted(s.split("：")[0] for s in said) == ["乙/归档.zip", "乙/照片.jpg", "照片.jpg"]


def test_trends_csv_says_comparable_in_chinese_and_json_keeps_booleans(tmp_path):
    """trend's CSV (what `-o 全部.csv` gives a clerk to open in Excel) wrote Python's True/False in
    its comparable column; it says 是/否 now. The JSON keeps true/false (for programs)."""
    import csv
    import io
    import json

    from tests.test_format_2019 import sub_2019

    d = tmp_path / "in"
    d.mkdir()
    make_template(d / "2020.xlsx", sub_2019(year=2020, agency="青川区测试局"))
    cover = {"agency": "青川区测试局", "year": 2021, "parent": "示例市青川区"}
    make_template(d / "2021.xlsx", Submission(cover=cover, values=clean_values()))
    db = tmp_path / "x.db"
    assert run_cli("archive", "add", "in", "--db", db, cwd=tmp_path).returncode == 0
    r = run_cli("trend", "--all", "--db", db, "-o", "全部.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "全部.csv").read_text(encoding="utf-8-sig"))))
    assert {row["comparable"] for row in rows} == {"是", "否"}
    js = json.loads(run_cli("trend", "--all", "--db", db, "--format", "json", cwd=tmp_path).stdout)
    assert {row["comparable"] for row in js["rows"]} == {True, False}


OFFICIAL_BALANCE = (
    "第一项加第二项之和，等于第三项加第四项之和"  # 表三's corner note (国办公开办函〔2021〕30号)
)


def test_the_balance_rule_is_said_in_the_forms_own_words(soffice, tmp_path):
    """表三's rule was said as the toolkit's shorthand “一+二 = 七+四” (validate, the 校验 sheet) and in
    a third wording in the guide; the form's corner note says 第一项加第二项之和，等于第三项加第四项之和.
    Now that wording wherever the rule is said — the code T3-BALANCE unchanged — and the 校验 sheet
    prints it whole."""
    from tests import pdfcheck
    from tests.office import convert
    from toolkit.importers.derive import identities
    from toolkit.validate import check_file

    c = check_file(ROOT / "tests" / "fixtures" / "fail" / "t3_balance.xlsx", year=2025)
    msgs = [f.message for f in c.report.findings if f.code == "T3-BALANCE"]
    assert msgs and all(OFFICIAL_BALANCE in m and "一+二" not in m for m in msgs), msgs
    for fmt in ("gov-2021", "gov-2019"):
        spec = load_spec(fmt)
        labels = [chk.label for chk in spec.checks if chk.code == "T3-BALANCE"]
        assert labels and all(OFFICIAL_BALANCE in x for x in labels)
        assert any(OFFICIAL_BALANCE in i.how for i in identities(spec) if i.kind == "balance")
    guide = (ROOT / "docs" / "用户指南.md").read_text(encoding="utf-8")
    assert OFFICIAL_BALANCE in guide
    make_template(tmp_path / "模板.xlsx", Submission(cover={"agency": "测试局", "year": 2025}))
    wb = openpyxl.load_workbook(tmp_path / "模板.xlsx", read_only=True)
    said = [str(v) for r in wb["填报说明"].iter_rows(values_only=True) for v in r if v]
    assert any(OFFICIAL_BALANCE in s for s in said) and not any("一+二" in s for s in said)
    checks = [r[1] for r in wb["校验"].iter_rows(values_only=True) if r[0] == "T3-BALANCE"]
    assert len(checks) == 7 and all(OFFICIAL_BALANCE in x for x in checks)
    (pdf,) = convert([tmp_path / "模板.xlsx"], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    sheet = pdfcheck.Doc(doc.path, [p for p in doc.pages if p.footer().startswith("校验")])
    assert sheet.pages and pdfcheck.missing(sheet, checks) == []
    assert pdfcheck.faults(sheet) == []


def _own_handlers():
    import signal

    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def _restore(saved) -> None:
    import signal

    signal.signal(signal.SIGINT, saved[0])
    signal.signal(signal.SIGTERM, saved[1])


def test_a_second_ctrl_c_while_the_first_unwinds_does_not_cut_its_clean_up_short(tmp_path):
    """The race behind test_two_ctrl_c_stop_merge_jobs_2's rare leftover ``.~xxgk-*.tmp``: a second
    Ctrl-C landing in the ``except`` block that removes a temp file (before anything marked
    interrupts.cleaning()) raised a second KeyboardInterrupt there, and the removal never ran.
    Deterministic: the second signal is sent from inside that very block."""
    import os
    import signal

    import pytest

    from toolkit import interrupts
    from toolkit.paths import atomic_output

    saved = _own_handlers()
    out = tmp_path / "汇总.xlsx"
    out.write_bytes(b"previous output")
    steps: list[str] = []
    try:
        interrupts.install()
        with pytest.raises(KeyboardInterrupt), atomic_output(out) as tmp:
            tmp.write_bytes(b"half a workbook")
            try:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the summary is written
                steps.append("not interrupted")
            except KeyboardInterrupt:
                os.kill(os.getpid(), signal.SIGINT)  # the second, while the first unwinds
                steps.append("clean-up went on")
                raise
        assert interrupts.pending()  # nothing marked cleaning(): a waiting loop's check() still stops
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
    finally:
        _restore(saved)
    assert steps == ["clean-up went on"]
    assert [p.name for p in tmp_path.iterdir()] == ["汇总.xlsx"] and out.read_bytes() == b"previous output"


def test_a_ctrl_c_long_after_a_lost_one_still_stops_the_run(tmp_path):
    """A first interrupt swallowed (raised inside a __del__, which Python ignores) is not a reason
    to ignore the next Ctrl-C for good: one more than two seconds later raises again."""
    import os
    import signal
    import time

    import pytest

    from toolkit import interrupts

    saved = _own_handlers()
    try:
        interrupts.install()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler raises at once; never reached
        except KeyboardInterrupt:
            pass  # swallowed
        start = time.monotonic()
        while time.monotonic() - start <= interrupts.GRACE + 0.1:
            time.sleep(0.05)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
    finally:
        _restore(saved)


def test_detail_prints_its_included_heading_as_words(soffice, tmp_path):
    """明细 printed: the 6-wide 是否计入汇总 column broke its heading as “是否计 / 入汇总” (the
    报送情况 sheet, 7 wide, prints “是否计入 / 汇总”)."""
    from tests import pdfcheck
    from tests.office import convert
    from toolkit.merge import merge
    from toolkit.outputs.summary import write_summary

    s = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)
    xlsx = write_summary(s, tmp_path / "汇总.xlsx")
    (pdf,) = convert([xlsx], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    detail = pdfcheck.Doc(
        doc.path,
        [p for p in doc.pages if p.footer().startswith("明细") and not p.footer().startswith("明细（长表）")],
    )
    assert detail.pages
    assert pdfcheck.broken(detail, ["是否计入", "报送状态", "统一社会信用代码"]) == []
    assert pdfcheck.faults(detail) == []


def test_a_drafts_title_keeps_its_bracket_whole_on_a_phone(tmp_path, chromium):
    """The draft web page on a phone (390 px): its title broke inside the bracket,
    “…年度报告（草” over “稿）”."""
    from playwright.sync_api import sync_playwright

    out = tmp_path / "报告.html"
    r = run_cli("render", SAMPLES / "青川区财政局.xlsx", "-o", out, "--draft", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            ctx = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
            page = ctx.new_page()
            page.goto(out.as_uri())
            tops = page.evaluate(
                """() => {
                    const small = document.querySelector('h1 small');
                    const walk = document.createTreeWalker(small, NodeFilter.SHOW_TEXT);
                    const tops = [];
                    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                        for (let i = 0; i < n.length; i++) {
                            const r = document.createRange();
                            r.setStart(n, i); r.setEnd(n, i + 1);
                            tops.push([n.data[i], Math.round(r.getBoundingClientRect().top)]);
                        }
                    }
                    return tops;
                }"""
            )
        finally:
            browser.close()
    text = "".join(ch for ch, _ in tops)
    assert text.endswith("（草稿）"), text
    assert len({top for _, top in tops}) > 1  # the title wraps at this width (what the test is about)
    assert len({top for _, top in tops[-4:]}) == 1, tops[-6:]


def test_the_logs_short_columns_print_on_one_line(tmp_path, chromium):
    """操作记录 in a desktop browser (1180 px): beside a long 说明 (a 单位更名's 原名称…), the short
    columns broke as “第1 / 版” and “名单：单位更 / 名”."""
    from playwright.sync_api import sync_playwright

    from tests.serve_process import PASSWORD, links, make_workbook, start_server, write_roster
    from tests.test_serve_season31 import _return_version, _session, _upload
    from tests.test_serve_season33 import _agency_id, _roster

    names = ["青川区民政局", "青川区司法局"]
    codes = write_roster(tmp_path / "r1.csv", names)
    new = "青川区民政和社会事务局"
    renamed = _roster(tmp_path / "r2.csv", [(new, codes[0]), (names[1], codes[1])])
    db = tmp_path / "x.db"
    start_server(db, roster=tmp_path / "r1.csv").stop()  # the agencies under their first names
    srv = start_server(db, roster=renamed)
    try:
        s = _session(srv, "", PASSWORD)
        _upload(
            srv, links(db)[new], make_workbook(tmp_path / "b.xlsx", new, codes[0]).read_bytes(), "民政.xlsx"
        )
        assert _return_version(s, srv.url, _agency_id(s, srv.url, new), "请核对").status_code == 200
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                ctx = browser.new_context(viewport={"width": 1180, "height": 760})
                ctx.add_cookies([{"name": c.name, "value": c.value, "url": srv.url} for c in s.cookies])
                page = ctx.new_page()
                page.goto(srv.url + "/coord/log")
                cells = page.evaluate(CELL_LINES)
                phone = browser.new_context(
                    viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True
                )
                phone.add_cookies([{"name": c.name, "value": c.value, "url": srv.url} for c in s.cookies])
                page = phone.new_page()
                page.goto(srv.url + "/coord/log")
                on_phone = page.evaluate(CELL_LINES)
                box = page.evaluate(
                    """() => { const b = document.querySelector('#log').parentElement;
                        return [b.scrollWidth > b.clientWidth, document.documentElement.scrollWidth]; }"""
                )
            finally:
                browser.close()
    finally:
        srv.stop()
    ops = {row[4][0]: row for row in cells}
    assert {"名单：单位更名", "退回"} <= set(ops), cells
    for row in cells:
        for text, lines in (row[4], row[5]):
            assert lines <= 1, (text, row)
    # on a phone the table scrolls in its box; it stood one character a line (单位 eleven lines tall)
    assert box == [True, 390], box
    for row in on_phone:  # 说明, a sentence, wraps as it needs
        assert all(lines <= 2 for _text, lines in row[:6]), row


CELL_LINES = """() => [...document.querySelectorAll('#log tbody tr')].map(tr =>
    [...tr.cells].map(td => {
        const r = document.createRange(); r.selectNodeContents(td);
        const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
        return [td.textContent.trim(), tops.size];
    }))"""


def test_findings_lists_expected_and_actual_read_apart(tmp_path):
    """问题清单: a number in 应为 stood right-aligned against a text in 实际, left-aligned — “66 66件”
    read as one value. Both columns start at their left edge now, numbers too (in the summary's list
    as well)."""
    from toolkit.merge import merge
    from toolkit.outputs.findings_xlsx import HEADERS, write_findings_workbook
    from toolkit.outputs.summary import write_summary
    from toolkit.validate import validate

    bad = SAMPLES / "青川区住房和城乡建设委员会.xlsx"
    lists = [
        (write_findings_workbook(tmp_path / "问题清单.xlsx", validate([bad], year=2025)), "问题清单"),
        (write_summary(merge([bad], year=2025), tmp_path / "汇总.xlsx"), "问题清单"),
    ]
    for path, sheet in lists:
        ws = openpyxl.load_workbook(path)[sheet]
        cols = [HEADERS.index("应为") + 1, HEADERS.index("实际") + 1]
        cells = [ws.cell(r, c) for r in range(2, ws.max_row + 1) for c in cols]
        numbers = [c for c in cells if isinstance(c.value, int | float)]
        assert numbers, path
        assert all(c.alignment.horizontal == "left" for c in cells if c.value is not None), path
