"""The pictures of the Chinese user guide (docs/用户指南.md), made with the real tools: ``xxgk serve``
on a throw-away archive with a small city roster (示例市 › 青川区, 东湖区), driven in Chromium
by Playwright as an agency clerk and a coordinator would; and the template and a merged summary
printed to PDF by LibreOffice, first pages rendered by pdftoppm.

    python scripts/make_guide_images.py                 # -> docs/images/guide/
    python scripts/make_guide_images.py --out /tmp/g    # elsewhere

Needs playwright, /usr/bin/chromium (or --chromium), soffice and pdftoppm. Every PNG is reduced to
a palette of 256 colours so that each stays small (the guide's test checks under 150 KB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's toolkit and test helpers, not an installed one

YEAR = 2025
# (name, roster 上级 column): a city with two districts, so the accounts page has a tree
ROSTER = [
    ("青川区财政局", "示例市/青川区"),
    ("青川区教育委员会", "示例市/青川区"),
    ("青川区民政局", "示例市/青川区"),
    ("青川区司法局", "示例市/青川区"),
    ("青川区交通局", "示例市/青川区"),
    ("东湖区财政局", "示例市/东湖区"),
    ("东湖区民政局", "示例市/东湖区"),
]
VIEW = {"width": 1180, "height": 760}
MAX_BYTES = 150 * 1024


def _roster(path: Path) -> dict[str, str]:
    """The roster CSV (名称, 统一社会信用代码, 上级); returns each name's code."""
    import csv

    from toolkit.uscc import uscc_check_char

    codes = {}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["机关名称", "统一社会信用代码", "上级"])
        for i, (name, parent) in enumerate(ROSTER, 1):
            base = f"11110999MB{i:07d}"
            codes[name] = base + uscc_check_char(base)
            w.writerow([name, codes[name], parent])
    return codes


def _workbook(path: Path, name: str, code: str, parent: str, *, k: int = 0, valid: bool = True) -> Path:
    """A filled workbook as an agency sends it; ``valid=False`` breaks 表三's balance."""
    from decimal import Decimal

    from tests.fixtures.build import clean_values
    from toolkit.model import Submission
    from toolkit.spec import load_spec
    from toolkit.template import make_template

    v = clean_values()
    v["t2.admin_licensing.decisions"] = 1000 + 37 * k
    v["t2.admin_fees.amount"] = Decimal("12.35")
    if not valid:
        v["t3.carried_out.natural_person"] = v.get("t3.carried_out.natural_person", 0) + 1
    cover = {"agency": name, "code": code, "parent": parent.replace("/", ""), "year": YEAR,
             "contact": "张三 010-00000000"}  # fmt: skip
    return make_template(path, Submission(spec=load_spec(), cover=cover, values=v))


def _small(png: Path) -> None:
    """A 256-colour palette PNG: screenshots and pages keep their look at a fraction of the size."""
    from PIL import Image

    with Image.open(png) as im:
        im = im.convert("RGB")
        im = im.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        im.save(png, optimize=True)
    if png.stat().st_size > MAX_BYTES:
        print(f"警告：{png.name} 大于 150 KB（{png.stat().st_size // 1024} KB）", file=sys.stderr)


def screenshots(out: Path, tmp: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.serve_process import PASSWORD, links, start_server

    roster = tmp / "名单.csv"
    codes = _roster(roster)
    parent = dict(ROSTER)
    files = tmp / "files"
    files.mkdir()

    def wb(name: str, file: str, **kw) -> Path:
        return _workbook(files / file, name, codes[name], parent[name], **kw)

    made: list[Path] = []
    srv = start_server(tmp / "xxgk.db", roster=roster, year=YEAR)
    try:
        url, tokens = srv.url, links(srv.db, YEAR)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--lang=zh-CN"])
            try:

                def page():
                    return browser.new_context(
                        viewport=VIEW, accept_downloads=True, locale="zh-CN"
                    ).new_page()

                def shot(pg, name: str, full: bool = False) -> None:
                    target = out / f"{name}.png"
                    pg.screenshot(path=str(target), full_page=full)
                    _small(target)
                    made.append(target)

                def upload(pg, path: Path) -> None:
                    pg.set_input_files("#file", str(path))
                    pg.click("#upload")
                    pg.wait_for_selector("#verdict, #error")

                # 填报人: a first upload with an error, then the corrected one
                cz = page()
                cz.goto(f"{url}/a/{tokens['青川区财政局']}")
                shot(cz, "01-单位页面")
                upload(cz, wb("青川区财政局", "财政局.xlsx", valid=False))
                shot(cz, "02-单位页面-有错误")
                upload(cz, wb("青川区财政局", "财政局（改正）.xlsx"))
                cz.goto(f"{url}/a/{tokens['青川区财政局']}")
                shot(cz, "03-单位页面-通过")

                # more agencies report: two pass, one will be sent back
                for i, name in enumerate(("青川区教育委员会", "青川区民政局", "东湖区财政局"), 1):
                    pg = page()
                    pg.goto(f"{url}/a/{tokens[name]}")
                    upload(pg, wb(name, f"{name}.xlsx", k=i))
                    pg.context.close()
                sf = page()
                sf.goto(f"{url}/a/{tokens['青川区司法局']}")
                upload(sf, wb("青川区司法局", "司法局.xlsx", valid=False))

                # 协调人 (the city's root account)
                coord = page()
                coord.goto(f"{url}/login")
                shot(coord, "04-协调人登录")
                coord.fill("#password", PASSWORD)
                coord.click("#login")
                due = dt.date.today() + dt.timedelta(days=30)  # a deadline still ahead
                coord.fill("#deadline", due.isoformat())
                coord.click("form.deadline button")
                coord.goto(f"{url}/coord")
                coord.click('#regions tr[data-region="青川区"] td:first-child a')
                coord.wait_for_selector("#status-table")
                district = coord.url
                shot(coord, "06-报送情况-区级", full=True)

                # 退回 民政局's version with a note
                coord.click('#status-table tr[data-agency="青川区民政局"] a')
                coord.fill("form.return input[name=note] >> nth=-1", "第五部分收费情况请补充说明")
                coord.click("form.return button >> nth=-1")
                coord.wait_for_selector("#versions")
                shot(coord, "07-单位详情-退回", full=True)
                mz = page()
                mz.goto(f"{url}/a/{tokens['青川区民政局']}")
                shot(mz, "08-单位页面-已退回")

                coord.goto(f"{url}/coord/remind")
                shot(coord, "09-催报")
                # 账号管理: an account for 青川区's coordinator (a 上报 is the district's own act)
                coord.goto(f"{url}/coord/accounts")
                coord.select_option(
                    "#region", coord.locator("#region option", has_text="青川区").get_attribute("value")
                )
                coord.fill("#new-login", "qingchuan")
                coord.fill("#new-password", "青川区-初始密码-2025")
                coord.click("#create")
                coord.wait_for_selector('#accounts tr[data-login="qingchuan"]')
                shot(coord, "12-账号管理")

                # 青川区's coordinator: the district's summary, then 上报 to the city
                qc = page()
                qc.goto(f"{url}/login")
                qc.fill("#login-name", "qingchuan")
                qc.fill("#password", "青川区-初始密码-2025")
                qc.click("#login")
                qc.goto(district)
                qc.click("#submit-line a")
                qc.wait_for_selector("#figures", timeout=600_000)
                shot(qc, "10-汇总", full=True)
                qc.click("#submit-up")
                qc.wait_for_selector("#figures", timeout=600_000)
                coord.goto(f"{url}/coord")
                shot(coord, "05-报送情况-市级")
                coord.goto(f"{url}/coord/links")
                shot(coord, "11-报送链接")
                coord.goto(f"{url}/coord/log")
                shot(coord, "13-操作记录")
            finally:
                browser.close()
    finally:
        srv.stop()
    # the workbooks of the same season, for the printed pictures
    (tmp / "inbox").mkdir()
    for name in ("青川区财政局", "青川区教育委员会", "青川区民政局"):
        shutil.copy(files / f"{name}.xlsx" if name != "青川区财政局" else files / "财政局（改正）.xlsx",
                    tmp / "inbox" / f"{name}.xlsx")  # fmt: skip
    return made


def _xxgk(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=ROOT, env=env, check=False, capture_output=True
    )


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")


def _footer_sheet(page: str) -> str:
    """The sheet a printed page belongs to: its footer's first word (the toolkit's page footer)."""
    lines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
    return lines[-1].split()[0] if lines else ""


def _png(pdf: Path, page: int, target: Path, width: int) -> Path:
    subprocess.run(
        ["pdftoppm", "-png", "-scale-to", str(width), "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(target.with_suffix(""))],
        check=True,
    )  # fmt: skip
    _small(target)
    return target


def workbooks(out: Path, tmp: Path) -> list[Path]:
    """The template's pages a clerk fills and the summary's cover and 报送情况, as printed."""
    from tests.office import convert

    roster = tmp / "青川区名单.csv"
    roster.write_text(
        "机关名称,统一社会信用代码,上级\n"
        + "".join(f"{n},,示例市青川区\n" for n, p in ROSTER if p.endswith("青川区")),
        encoding="utf-8",
    )
    _xxgk("template", "-o", str(tmp / "填报表.xlsx"), "--year", str(YEAR), "--agency", "示例市青川区财政局",
          "--contact", "区政务公开办 张三 010-00000000")  # fmt: skip
    _xxgk("merge", str(tmp / "inbox"), "--roster", str(roster), "--year", str(YEAR),
          "--agency", "示例市青川区人民政府", "-o", str(tmp / "汇总表.xlsx"))  # fmt: skip
    pdfs = convert([tmp / "填报表.xlsx", tmp / "汇总表.xlsx"], tmp / "pdf", to="pdf", recalc=True)
    made = []
    wanted = {
        0: [("封面", "21-填报表-封面"), ("表三", "22-填报表-表三"), ("校验", "23-填报表-校验")],
        1: [("汇总封面", "24-汇总表-封面"), ("报送情况", "25-汇总表-报送情况")],
    }
    for i, pdf in enumerate(pdfs):
        pages = _pages(pdf)
        for needle, name in wanted[i]:
            no = next((n for n, t in enumerate(pages, 1) if _footer_sheet(t) == needle), 1)
            made.append(_png(pdf, no, out / f"{name}.png", 900))
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "guide")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xxgk-guide-") as d:
        tmp = Path(d)
        made = screenshots(args.out, tmp, args.chromium)
        made += workbooks(args.out, tmp)
    for p in made:
        print(f"{p.stat().st_size // 1024:4d} KB  {p}")


if __name__ == "__main__":
    main()
