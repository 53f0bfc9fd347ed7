"""Regenerate ``samples/`` and ``samples-previous/``: an invented district and its submissions.

    python scripts/make_samples.py

Everything is invented (names, codes, numbers) except the workbook of 北京市密云区融媒体中心,
which carries exactly the numbers of its published 2023 report. Deterministic: a fixed seed.
Defective files are made the way people make them: numbers typed over formulas, text in number
cells (WPS style), a broken carry-over, a renamed CSV. samples/README.md lists every defect.
"""

from __future__ import annotations

import csv
import random
from decimal import Decimal
from pathlib import Path

import openpyxl

from toolkit.model import Submission, compute_totals
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
PREVIOUS = ROOT / "samples-previous"
YEAR = 2025
DISTRICT = "示例市青川区"
REGION = "110999"  # an invented 行政区划代码

# (name, type, scale): scale drives the number of applications
AGENCIES = [
    ("青川区发展和改革委员会", "部门", 6),
    ("青川区教育委员会", "部门", 8),
    ("青川区公安分局", "部门", 20),
    ("青川区民政局", "部门", 6),
    ("青川区司法局", "部门", 4),
    ("青川区财政局", "部门", 10),
    ("青川区人力资源和社会保障局", "部门", 12),
    ("青川区规划和自然资源分局", "部门", 30),
    ("青川区生态环境局", "部门", 6),
    ("青川区住房和城乡建设委员会", "部门", 25),
    ("青川区交通局", "部门", 5),
    ("青川区卫生健康委员会", "部门", 7),
    ("青川区市场监督管理局", "部门", 9),
    ("青川区城市管理委员会", "部门", 5),
    ("青川区城关街道办事处", "街道", 3),
    ("青川区新华街道办事处", "街道", 3),
    ("青川区河西镇人民政府", "乡镇", 4),
    ("青川区北山镇人民政府", "乡镇", 2),
    ("青川区南湖乡人民政府", "乡镇", 1),
]

RESULT_WEIGHTS = {
    "granted": 40, "partly_granted": 10, "denied_state_secret": 0, "denied_by_law": 1,
    "denied_security": 1, "denied_third_party": 2, "denied_internal": 2, "denied_process": 3,
    "denied_enforcement_file": 1, "denied_inquiry": 1, "unable_not_held": 22,
    "unable_needs_creation": 3, "unable_unclear": 2, "rejected_petition": 3, "rejected_duplicate": 2,
    "rejected_publication": 1, "rejected_excessive": 1, "rejected_confirmation": 1,
    "other_no_correction": 2, "other_fee_unpaid": 0, "other_misc": 2,
}
APPLICANT_WEIGHTS = {"natural_person": 80, "business": 12, "research": 1, "public_welfare": 1,
                     "legal_service": 3, "other_org": 3}


def code_for(i: int) -> str:
    body = f"11{REGION}MB{i:07d}"[:17]
    return body + uscc_check_char(body)


def fill(rng: random.Random, scale: int, carried_in: dict[str, int] | None = None) -> dict:
    """Balanced plausible values for one agency-year (every rule holds)."""
    v: dict = {}
    for col, w in APPLICANT_WEIGHTS.items():
        expected = scale * 4 * w / 100
        new = max(0, int(rng.gauss(expected, max(1.0, expected / 3)))) if expected >= 0.5 else int(rng.random() < expected)
        cin = carried_in.get(col, 0) if carried_in is not None else (rng.randint(0, 2) if new > 3 else 0)
        out = rng.randint(0, min(2, new + cin)) if new + cin > 4 else 0
        v[f"t3.new_received.{col}"] = new
        v[f"t3.carried_in.{col}"] = cin
        v[f"t3.carried_out.{col}"] = out
        todo = new + cin - out
        keys, weights = zip(*RESULT_WEIGHTS.items(), strict=True)
        for k in rng.choices(keys, weights=weights, k=todo):
            v[f"t3.{k}.{col}"] = v.get(f"t3.{k}.{col}", 0) + 1
    issued = rng.randint(0, scale // 3)
    repealed = rng.randint(0, 1)
    v["t2.normative_documents.issued"] = issued
    v["t2.normative_documents.repealed"] = repealed
    v["t2.normative_documents.in_force"] = rng.randint(5, 40) + issued
    v["t2.admin_licensing.decisions"] = rng.randint(0, scale * 40)
    v["t2.admin_penalty.decisions"] = rng.randint(0, scale * 15)
    v["t2.admin_coercion.decisions"] = rng.randint(0, scale * 2)
    v["t2.admin_fees.amount"] = Decimal(rng.randint(0, 5000)) / 100 if scale > 8 else Decimal(0)
    if scale >= 20 and rng.random() < 0.5:
        v["t4.review_upheld"] = rng.randint(1, 3)
        v["t4.review_corrected"] = rng.randint(0, 1)
        v["t4.suit_direct_upheld"] = rng.randint(0, 2)
        v["t4.suit_direct_pending"] = rng.randint(0, 1)
    return v


def texts(name: str) -> dict[str, str]:
    return {
        "overview": f"{YEAR}年，{name}认真贯彻落实《中华人民共和国政府信息公开条例》，"
                    "坚持以公开为常态、不公开为例外，主动公开、依申请公开、政府信息管理、平台建设、监督保障等工作稳步推进。（示例文字）",
        "problems": "政策解读的形式还不够丰富，依申请公开答复的规范性有待提高。下一步将加强培训，完善工作流程。（示例文字）",
        "other_matters": "本年度没有收取信息处理费。（示例文字）",
    }


def set_text(path: Path, cells: dict[str, object]) -> None:
    """Type into an existing workbook the way a user of WPS does (text, not numbers)."""
    wb = openpyxl.load_workbook(path)
    spec = load_spec()
    for key, val in cells.items():
        c = spec.cells[key]
        wb[c.sheet][c.a1].value = val
    wb.save(path)
    _fixed_stamps(path)


def _fixed_stamps(path: Path) -> None:
    """openpyxl stamps a save with the time (the members' dates, docProps' modified): put fixed
    ones back, so that running this script again gives the same bytes."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                created = re.search(rb"<dcterms:created[^>]*>([^<]*)<", data)
                stamp = created.group(1) if created else b"2026-01-01T00:00:00Z"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", data)
            member = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(member, data)
    path.write_bytes(out.getvalue())


def main() -> None:
    spec = load_spec()
    rng = random.Random(20260101)
    for d in (SAMPLES, PREVIOUS):
        for f in d.glob("*.xlsx"):
            f.unlink()
        d.mkdir(exist_ok=True)
    for f in SAMPLES.glob("*.csv"):
        f.unlink()
    roster = []
    prev_values: dict[str, dict] = {}
    for i, (name, typ, scale) in enumerate(AGENCIES, 1):
        roster.append({"name": name, "code": code_for(i), "parent": DISTRICT, "type": typ})
        prev = fill(random.Random(i), scale)
        prev_values[name] = prev
    # the header a coordinator sees, as the guide shows it (the reader also takes name,code,parent,type)
    with (SAMPLES / "roster.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["机关名称", "统一社会信用代码", "上级", "类型"])
        w.writerows([r["name"], r["code"], r["parent"], r["type"]] for r in roster)

    def write(name: str, values: dict, *, year: int = YEAR, code: str | None = None, fname: str | None = None,
              reported: dict | None = None, folder: Path = SAMPLES, **cover) -> Path:
        entry = next((r for r in roster if r["name"] == name), {"code": "", "parent": DISTRICT})
        sub = Submission(spec=spec, cover={"agency": name, "code": entry["code"] if code is None else code,
                                           "parent": entry["parent"], "year": year, "contact": "张三",
                                           "phone": "010-00000000", "date": f"{year + 1}-01-15", **cover},
                         values=dict(values), reported=dict(reported or {}), texts=texts(name))
        return make_template(folder / f"{fname or name}.xlsx", sub)

    # last year: the invented 2024 reports of every agency (for --previous)
    for name, vals in prev_values.items():
        write(name, vals, year=YEAR - 1, folder=PREVIOUS)

    for name, _typ, scale in AGENCIES:
        prev = prev_values[name]
        carried = {k.rsplit(".", 1)[1]: v for k, v in prev.items() if k.startswith("t3.carried_out.")}
        vals = fill(rng, scale, carried_in=carried)
        vals["t2.normative_documents.in_force"] = (prev["t2.normative_documents.in_force"]
                                                   + vals["t2.normative_documents.issued"]
                                                   - vals["t2.normative_documents.repealed"])
        if name == "青川区交通局":
            continue  # MISSING-SUBMISSION: never sent
        if name == "青川区公安分局":  # T3-BALANCE: 结转下年度 typed one too many
            vals["t3.carried_out.natural_person"] += 1
        if name == "青川区民政局":  # FORMULA-OVERWRITTEN + T3-ROW-TOTAL: 总计 typed over the formula
            tot = compute_totals(spec, vals)
            write(name, vals, reported={"t3.granted.total": tot["t3.granted.total"] + 2})
            continue
        if name == "青川区司法局":  # S6-FEES: collected more than notified (warning only)
            vals["s6.fee_notices"] = 1
            vals["s6.fee_notified"] = Decimal("100")
            vals["s6.fee_collected"] = Decimal("120")
            vals["t3.other_fee_unpaid.natural_person"] = 0
        if name == "青川区北山镇人民政府":  # CODE-INVALID: check digit typed wrong
            good = code_for(18)
            bad = good[:17] + ("0" if good[17] != "0" else "1")
            write(name, vals, code=bad)
            continue
        if name == "青川区人力资源和社会保障局":  # PREV-CARRYOVER (warning): 上年结转 not last year's 结转
            vals["t3.carried_in.business"] += 1
            vals["t3.granted.business"] += 1
        if name == "青川区生态环境局":  # PREV-IN-FORCE (warning): 现行有效 does not follow from last year
            vals["t2.normative_documents.in_force"] += 2
        if name == "青川区城市管理委员会":  # PREV-IDENTICAL (warning): last year's report copied
            vals = dict(prev)
        if name == "青川区财政局":  # DUPLICATE-SUBMISSION: sent twice, a corrected copy
            write(name, vals)
            vals2 = dict(vals)
            vals2["t2.admin_licensing.decisions"] += 3
            write(name, vals2, fname=f"{name}（修改版）")
            continue
        if name == "青川区南湖乡人民政府":  # FILE-UNREADABLE: a CSV renamed to .xlsx
            (SAMPLES / f"{name}.xlsx").write_text(
                "项目,自然人,法人或其他组织,总计\n本年新收,1,0,1\n", encoding="utf-8")
            continue
        path = write(name, vals)
        if name == "青川区住房和城乡建设委员会":  # WPS style: numbers as text, full-width, placeholders
            k1, k2 = "t3.new_received.natural_person", "t3.granted.natural_person"
            set_text(path, {k1: "".join(chr(ord(ch) + 0xFEE0) for ch in str(vals[k1])),  # full-width
                            k2: f" {vals[k2]} ",
                            "t2.admin_penalty.decisions": f"{vals['t2.admin_penalty.decisions']:,}件",
                            "t4.review_other": "/", "t4.suit_after_review_pending": "—"})
        if name == "青川区河西镇人民政府":  # COVER-MISSING + VALUE-NOT-NUMBER + VALUE-NEGATIVE
            set_text(path, {"cover.year": None, "t2.admin_coercion.decisions": "若干",
                            "t2.admin_licensing.decisions": -3})

    # the real published report of 北京市密云区融媒体中心 (2023), numbers exactly as published;
    # in this district's folder it is a file from outside the roster, and of another year
    ref = ROOT / "tests" / "fixtures" / "reference" / "000_f97a9d76fb144919.txt"
    mt = {}
    if ref.exists():
        text = ref.read_text(encoding="utf-8")
        for key, head, nxt in (("overview", "一、总体情况", "二、主动公开政府信息情况"),
                               ("problems", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")):
            a, b = text.index(head) + len(head), text.index(nxt)
            mt[key] = text[a:b].strip()
        mt["other_matters"] = text[text.index("六、其他需要报告的事项") + len("六、其他需要报告的事项"):].strip()
    miyun = Submission(spec=spec, cover={"agency": "北京市密云区融媒体中心", "parent": "北京市密云区", "year": 2023},
                       values={"t2.normative_documents.in_force": 16}, texts=mt)
    make_template(SAMPLES / "北京市密云区融媒体中心_2023.xlsx", miyun)
    print(f"samples written to {SAMPLES} and {PREVIOUS}")


if __name__ == "__main__":
    main()
