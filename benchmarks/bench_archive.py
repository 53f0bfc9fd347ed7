"""The archive at scale: six report years (2019–2020 in the 2019 format, 2021–2024 in the 2021
format) of generated reports loaded into one SQLite archive, then the queries a coordinator runs.

    python benchmarks/bench_archive.py [AGENCIES_PER_YEAR]     (default 20000: 120,000 agency-years)

Measured, in this run:
  * insert rate (agency-years per second) through ``Store.add_submission`` — the same call
    ``xxgk archive add`` makes after reading a file — in transactions of 1,000, per year loaded
    (so a slowdown as the database grows shows), and the database size per agency-year;
  * end to end ``xxgk archive add`` of real workbooks (read + check + store) on a small folder,
    against ``xxgk validate`` of the same folder (reading is the cost; storing should add little);
  * a trend for one agency, the district x year table for one district (120 agencies), and a
    full cross-year check (PREV-*) of one year against the previous one.
Then an honest linear extrapolation to >= 1,000,000 agency-years (a national year is ~400,000
reports): the measured per-row costs times the row counts, stated as such.

The "source file" of each generated report is its values JSON (~6 KB, zeros included); real workbooks are ~20 KB,
so the files table of a real archive is larger: the script states the size both ways.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import run_measured, xxgk
from benchmarks.corpus import code, make_corpus
from toolkit.model import Submission
from toolkit.rules import check_previous
from toolkit.spec import load_spec
from toolkit.store import Store
from toolkit.trend import MAIN_FIGURES, trend_data

YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
PER_DISTRICT = 120


def values(rng: random.Random, year: int, fmt: str) -> dict:
    if rng.random() < 0.08:  # bodies that report 0 every year
        return {}
    v: dict = {}
    carried = 0
    for col in ("natural_person", "business", "legal_service"):
        granted, held, denied = rng.randint(0, 40), rng.randint(0, 20), rng.randint(0, 5)
        other, out = rng.randint(0, 2), rng.randint(0, 3)
        other_key = "other_processing" if fmt == "gov-2019" else "other_misc"
        v[f"t3.granted.{col}"] = granted
        v[f"t3.unable_not_held.{col}"] = held
        v[f"t3.denied_process.{col}"] = denied
        v[f"t3.{other_key}.{col}"] = other
        v[f"t3.carried_out.{col}"] = out
        v[f"t3.new_received.{col}"] = granted + held + denied + other + out
        carried += out
    v["t2.admin_licensing.decisions"] = rng.randint(0, 5000)
    if fmt == "gov-2019":
        v["t2.normative_documents.total_published"] = rng.randint(0, 60)
        v["t2.admin_licensing.items_change"] = rng.randint(-5, 5)
    else:
        v["t2.normative_documents.in_force"] = rng.randint(0, 60)
    v["t4.review_upheld"] = rng.randint(0, 3)
    return v


def load(store: Store, n: int) -> list[tuple[int, int, float]]:
    """(year, rows, seconds spent in the store) per year loaded; generating the reports (building
    Submissions and their JSON) is not counted."""
    out = []
    rng = random.Random(11)
    for year in YEARS:
        fmt = "gov-2019" if year <= 2020 else "gov-2021"
        spec = load_spec(fmt)
        spent = 0.0
        for start in range(0, n, 1000):
            batch = []
            for i in range(start, min(n, start + 1000)):
                cover = {
                    "agency": f"基准县{i // PER_DISTRICT:05d}单位{i:07d}",
                    "code": code(i),
                    "year": year,
                    "parent": f"基准县{i // PER_DISTRICT:05d}",
                }
                sub = Submission(spec=spec, cover=cover, values=values(rng, year, fmt))
                batch.append(
                    (sub, json.dumps(sub.to_values_json(), ensure_ascii=False).encode(), f"{i}.json")
                )
            t = time.perf_counter()
            with store.transaction():
                for sub, data, name in batch:
                    store.add_submission(sub, data=data, file_name=name, source="workbook")
            spent += time.perf_counter() - t
        out.append((year, n, spent))
    return out


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cross_year(store: Store, year: int) -> int:
    """PREV-* for every agency of ``year`` against its previous year, all from the archive."""
    prev = store.previous_index(year - 1)
    n = 0
    for sub in store.submissions(v.id for v in store.current(year=year)):
        p = prev.match(sub)
        if p is not None:
            n += len(check_previous(sub, p))
    return n


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        db = d / "bench.db"
        with Store(db) as store:
            per_year = load(store, n)
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            rows = sum(r for _, r, _ in per_year)
            secs = sum(s for _, _, s in per_year)
            size = db.stat().st_size
            files_bytes = store.db.execute("SELECT SUM(size) FROM files").fetchone()[0]
            print(f"loaded {rows:,} agency-years ({n:,} agencies x {len(YEARS)} years) in {secs:.1f} s")
            for year, r, s in per_year:
                print(f"  {year}: {r / s:,.0f} agency-years/s")
            print(
                f"database {size / 1e6:.0f} MB = {size / rows / 1024:.2f} KB per agency-year "
                f"(of which source files {files_bytes / rows / 1024:.2f} KB: values JSON standing in for the file)"
            )
            agency = code(n // 2)
            district = f"基准县{(n // 2) // PER_DISTRICT:05d}"
            t_agency = timed(lambda: trend_data(store, agency=agency))
            t_district = timed(lambda: trend_data(store, district=district))
            dd = trend_data(store, district=district)
            t0 = time.perf_counter()
            found = cross_year(store, 2024)
            t_cross = time.perf_counter() - t0
            print(f"trend for one agency (6 years, {len(MAIN_FIGURES)} figures): {t_agency * 1000:.1f} ms")
            print(
                f"district x year table, one district ({len(dd.units) - 1} agencies x {len(dd.years)} years + total): "
                f"{t_district * 1000:.0f} ms"
            )
            print(
                f"cross-year check 2024 against 2023 ({n:,} agencies, {found:,} PREV-* findings): {t_cross:.1f} s "
                f"= {t_cross / n * 1000:.2f} ms per agency"
            )
        # end to end: real workbooks through xxgk archive add, against xxgk validate of the same files
        files = make_corpus(d / "real", 400)
        avg = sum(f.stat().st_size for f in files) / len(files)
        m_val = run_measured([*xxgk(), "validate", str(d / "real")])
        m_add = run_measured([*xxgk(), "archive", "add", str(d / "real"), "--db", str(d / "real.db")])
        real_size = (d / "real.db").stat().st_size
        print(
            f"xxgk archive add, {len(files)} real workbooks ({avg / 1024:.1f} KB each): {m_add['wall']:.2f} s "
            f"({len(files) / m_add['wall']:.0f}/s; xxgk validate of the same: {m_val['wall']:.2f} s), "
            f"db {real_size / len(files) / 1024:.1f} KB per workbook; exit {m_add['rc']}"
        )
        # extrapolation
        big = 1_000_000
        rate = per_year[-1][1] / per_year[-1][2]  # the rate of the last year loaded: the slowest so far
        per_row = size / rows - files_bytes / rows
        print(
            f"extrapolated to {big:,} agency-years at the rate of the last year loaded (an extrapolation "
            f"beyond the size measured, not a measurement): load {big / rate / 60:.0f} min through the store API; "
            f"database {(per_row * big) / 1e9:.1f} GB without source files, "
            f"+{avg * big / 1e9:.0f} GB with real workbooks kept; cross-year check of a 400,000-report year "
            f"{t_cross / n * 400_000 / 60:.0f} min; the one-agency and one-district queries use indexes "
            f"and do not grow with the archive"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
