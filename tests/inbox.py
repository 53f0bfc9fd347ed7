"""A generated district inbox: 30 agencies' valid 2025 workbooks, their 2024 ones and a roster.

Deterministic (a fixed seed per agency); every rule holds in every file and this year's 上年结转
is last year's 结转下年度, so a merge of it is complete. Tests add defects to copies of it.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from toolkit.model import Submission
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

YEAR = 2025
DISTRICT = "示例市东湖区"
BUREAUS = [
    "发展和改革委员会",
    "教育委员会",
    "公安分局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "规划和自然资源分局",
    "生态环境局",
    "住房和城乡建设委员会",
    "交通局",
    "农业农村局",
    "水务局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "城市管理委员会",
    "体育局",
    "信访办公室",
    "城关街道办事处",
    "新华街道办事处",
    "河西镇人民政府",
    "北山镇人民政府",
    "南湖乡人民政府",
]
AGENCIES = [f"东湖区{b}" for b in BUREAUS]
APPLICANTS = ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org")
RESULTS = (
    "granted",
    "partly_granted",
    "unable_not_held",
    "rejected_petition",
    "denied_process",
    "other_misc",
)


def code_for(i: int) -> str:
    body = f"11110888MB{i:07d}"
    return body + uscc_check_char(body)


def values_for(i: int, year: int, carried_in: dict[str, int] | None = None) -> dict:
    """Plausible, balanced values of agency ``i`` in ``year`` (every rule holds)."""
    rng = random.Random(i * 10000 + year)
    v: dict = {}
    for col in APPLICANTS:
        new = rng.randint(0, 12) if col == "natural_person" else rng.randint(0, 2)
        cin = (carried_in or {}).get(col, 0) if carried_in is not None else rng.randint(0, 1)
        out = rng.randint(0, min(1, new + cin))
        v[f"t3.new_received.{col}"] = new
        v[f"t3.carried_in.{col}"] = cin
        v[f"t3.carried_out.{col}"] = out
        for _ in range(new + cin - out):
            k = f"t3.{rng.choice(RESULTS)}.{col}"
            v[k] = v.get(k, 0) + 1
    v["t2.normative_documents.issued"] = rng.randint(0, 3)
    v["t2.normative_documents.in_force"] = rng.randint(5, 30)
    v["t2.admin_licensing.decisions"] = rng.randint(0, 200)
    v["t2.admin_penalty.decisions"] = rng.randint(0, 60)
    v["t2.admin_coercion.decisions"] = rng.randint(0, 5)
    v["t2.admin_fees.amount"] = Decimal(rng.randint(0, 3000)) / 100
    if i % 7 == 0:
        v["t4.review_upheld"] = rng.randint(1, 2)
        v["t4.review_corrected"] = 1
        v["t4.suit_direct_upheld"] = 1
    return v


@dataclass
class Inbox:
    folder: Path  # this year's workbooks
    previous: Path  # last year's
    roster: Path
    files: dict[str, Path]  # agency -> this year's file
    values: dict[str, dict]  # agency -> this year's values


def make_inbox(root: Path, n: int = 30) -> Inbox:
    folder, previous = root / "收到", root / "上年"
    folder.mkdir(parents=True)
    previous.mkdir(parents=True)
    roster = root / "名单.csv"
    files: dict[str, Path] = {}
    values: dict[str, dict] = {}
    with roster.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent", "type"])
        for i, name in enumerate(AGENCIES[:n], 1):
            w.writerow([name, code_for(i), DISTRICT, "部门"])
    for i, name in enumerate(AGENCIES[:n], 1):
        last = values_for(i, YEAR - 1)
        carried = {c: last.get(f"t3.carried_out.{c}", 0) for c in APPLICANTS}
        this = values_for(i, YEAR, carried_in=carried)
        this["t2.normative_documents.in_force"] = (
            last["t2.normative_documents.in_force"] + this["t2.normative_documents.issued"]
        )
        for year, vals, where in ((YEAR - 1, last, previous), (YEAR, this, folder)):
            cover = {"agency": name, "code": code_for(i), "parent": DISTRICT, "year": year}
            path = make_template(where / f"{name}.xlsx", Submission(cover=cover, values=vals))
        files[name], values[name] = path, this
    return Inbox(folder, previous, roster, files, values)
