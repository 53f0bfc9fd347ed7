"""A folder of published reports for the yearly inspection, with the errors it must find planted.

Thirteen agencies × three years (2022–2024) and one agency with a single year: 40 reports, as
text (the layout of PDF text), Markdown saved as .txt, web pages and Word files (``xxgk render``),
and a scanned PDF. Each agency's years follow from one another (carry-over: this year's 上年结转 is
last year's 结转下年度; documents in force: last year's + issued − repealed), every table balances,
the text states the tables' figures, and each report closes with a date before 1月31日.

Planted, one report each (:data:`PLANTED`: file -> the codes the inspection must give it):
a printed total that is not the sum of its parts, a column that does not balance, text that
contradicts the table, carry-over and documents in force that do not follow from the previous
year, a report identical to last year's, an all-zero report, a missing section, a late date, and
a scanned PDF that cannot be read.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from tests.report_texts import make_report
from toolkit.model import Submission, compute_totals
from toolkit.outputs.render import render
from toolkit.spec import load_spec

SPEC = load_spec()
APPLICANTS = ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org")
RESULTS = [
    c.row_key
    for c in SPEC.cells.values()
    if c.table == "t3" and c.col_key == "natural_person" and c.row_key not in ("new_received", "carried_in")
]
RESULTS = RESULTS[: RESULTS.index("result_total")]
T2_STOCK = ("regulations", "normative_documents")
YEARS = (2022, 2023, 2024)
AGENCIES = [f"示例市青川区第{n}局" for n in range(1, 14)]


def _year_values(rnd: random.Random, prev: dict | None, *, steady: bool = False) -> dict:
    """One year's inputs that balance and follow from ``prev`` (None: a first year). ``steady``:
    carried out = carried in, issued = repealed (a year that a copy of it would follow from)."""
    v: dict = {}
    for k in SPEC.input_keys:
        c = SPEC.cells[k]
        if c.table == "t3":
            v[k] = rnd.choice([0, rnd.randint(1, 6), rnd.randint(5, 40)])
        elif c.table == "t4":
            v[k] = rnd.choice([0, rnd.randint(1, 5)])
        elif c.table == "t2":
            v[k] = (
                rnd.randint(0, 30) if c.type and c.type.kind == "int" else Decimal(rnd.randint(0, 9999)) / 100
            )
    for col in APPLICANTS:
        done = sum(v[f"t3.{r}.{col}"] for r in RESULTS)
        carried_in = prev[f"t3.carried_out.{col}"] if prev else rnd.randint(0, 5)
        carried_out = carried_in if steady else rnd.randint(0, 5)
        v[f"t3.carried_in.{col}"] = carried_in
        v[f"t3.carried_out.{col}"] = carried_out
        new = done + carried_out - carried_in
        if new < 0:  # more carried in than done and carried out: do more
            v[f"t3.{RESULTS[0]}.{col}"] -= new
            new = 0
        v[f"t3.new_received.{col}"] = new
    for row in T2_STOCK:
        before = prev[f"t2.{row}.in_force"] if prev else rnd.randint(10, 200)
        issued = rnd.randint(0, 10)
        repealed = issued if steady else rnd.randint(0, min(10, before + issued))
        v[f"t2.{row}.issued"], v[f"t2.{row}.repealed"] = issued, repealed
        v[f"t2.{row}.in_force"] = before + issued - repealed
    unpaid = sum(v[f"t3.other_fee_unpaid.{c}"] for c in APPLICANTS)
    v["s6.fee_notices"] = unpaid + rnd.randint(0, 3)
    v["s6.fee_notified"] = Decimal(rnd.randint(0, 500)) if v["s6.fee_notices"] else Decimal(0)
    v["s6.fee_collected"] = min(v["s6.fee_notified"], Decimal(rnd.randint(0, 500)))
    return v


def _overview(v: dict) -> str:
    total = sum(v[f"t3.new_received.{c}"] for c in APPLICANTS)
    return f"本机关认真贯彻落实《条例》。全年共收到政府信息公开申请{total}件，均依法按时答复。"


def _write(
    folder: Path,
    name: str,
    agency: str,
    year: int,
    v: dict,
    kind: str,
    *,
    overview: str | None = None,
    closing: str | None = None,
    reported: dict | None = None,
    drop_section_5: bool = False,
) -> Path:
    closing = closing or f"{year + 1}年1月{15 + len(name) % 10}日"
    overview = overview if overview is not None else _overview(v)
    if kind in ("html", "docx"):
        sub = Submission(
            spec=SPEC,
            cover={"agency": agency, "year": year},
            values=v,
            reported=dict(reported or {}),
            texts={
                "overview": overview,
                "problems": "主动公开的及时性还需提高。",
                "other_matters": f"{agency}\n{closing}",
            },
        )
        path = folder / f"{name}.{kind}"
        render(sub, path)
        return path
    text = make_report(v, layout="columns", agency=agency, year=year, overview=overview, reported=reported)
    if drop_section_5:
        text = text.replace("五、存在的主要问题及改进情况\n主动公开的及时性还需提高。\n", "")
    text += f"{agency}\n{closing}\n"
    path = folder / f"{name}.txt"
    if kind == "md":
        from tests.test_import_layouts import to_markdown

        text = to_markdown(text)
    path.write_text(text, encoding="utf-8")
    return path


def make_folder(folder: Path, seed: int = 19) -> dict[str, set[str]]:
    """The 40 reports; returns each file's name (relative to ``folder``) -> the codes planted."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = ["text", "md", "html", "docx"]
    planted: dict[str, set[str]] = {}
    for a, agency in enumerate(AGENCIES):
        prev = None
        chain = []
        for year in YEARS:
            steady = a == 5 and year == 2023  # agency 6 copies its 2023 report for 2024
            v = _year_values(rnd, prev, steady=steady)
            if a == 5 and year == 2024:
                v = dict(chain[-1])
            chain.append(v)
            prev = v
        for y, year in enumerate(YEARS):
            v = dict(chain[y])
            name = f"{year}/{agency}{year}年报告"
            (folder / str(year)).mkdir(exist_ok=True)
            kind = kinds[(a + y) % len(kinds)]
            kw: dict = {}
            codes: set[str] = set()
            if a == 0 and year == 2023:  # a printed total that is not the sum of its parts
                t = compute_totals(SPEC, v)
                kw["reported"] = {"t3.granted.total": t["t3.granted.total"] + 3}
                kind, codes = "text", {"T3-ROW-TOTAL"}
            elif a == 1 and year == 2022:  # a column that does not balance
                v["t3.granted.business"] += 4
                kind, codes = "html", {"T3-BALANCE"}
            elif a == 2 and year == 2023:  # text that contradicts the table
                kw["overview"] = "本机关认真贯彻落实《条例》。全年共受理政府信息公开申请17件。"
                if sum(v[f"t3.new_received.{c}"] for c in APPLICANTS) == 17:
                    v["t3.new_received.natural_person"] += 1
                    v["t3.granted.natural_person"] += 1
                kind, codes = "text", {"TEXT-TABLE-MISMATCH"}
            elif a == 3 and year == 2024:  # carry-over that does not follow from 2023
                v["t3.carried_in.business"] += 2
                v["t3.granted.business"] += 2  # the column still balances
                kind, codes = "docx", {"PREV-CARRYOVER"}
            elif a == 4 and year == 2024:  # documents in force that do not follow from 2023
                v["t2.regulations.in_force"] += 2
                kind, codes = "md", {"PREV-IN-FORCE"}
            elif a == 5 and year == 2024:
                codes = {"PREV-IDENTICAL"}
            elif a == 6 and year == 2023:  # no 五、 section
                kind, codes = "text", {"SECTION-MISSING"}
                kw["drop_section_5"] = True
            elif a == 7 and year == 2024:  # published in March
                kw["closing"] = "2025年3月5日"
                kind, codes = "text", {"PUBLISHED-LATE"}
            elif a == 8 and year == 2023:  # a scan: no text to read
                import pypdfium2 as pdfium

                doc = pdfium.PdfDocument.new()
                doc.new_page(595, 842)
                path = folder / f"{name}.pdf"
                doc.save(str(path))
                doc.close()
                planted[str(path.relative_to(folder))] = {"FILE-UNREADABLE"}
                continue
            path = _write(folder, name, agency, year, v, kind, **kw)
            planted[str(path.relative_to(folder))] = codes
    zero = {k: 0 for k in SPEC.input_keys}
    path = _write(
        folder,
        "2024/示例市青川区第14局2024年报告",
        "示例市青川区第14局",
        2024,
        zero,
        "text",
        overview="本机关认真贯彻落实《条例》。本年度未收到政府信息公开申请。",
    )
    planted[str(path.relative_to(folder))] = {"REPORT-ALL-ZERO"}
    return planted
