"""A province on one server (loopback only, bounded): about 15,000 reporting units under ~100
districts in ~13 cities, one ``xxgk serve`` on this machine, 20 coordinators and 50 agencies
active at once.

    python benchmarks/bench_province.py [UNITS] [UPLOADED]

Built in-process first (not timed as load): the roster with 省/市/区 paths, ``UPLOADED`` agencies'
workbooks received through ``toolkit.season.receive`` (one in ten with an error), an account per
city and per district, every district of one city submitting upward. Then the server, and at once:
20 coordinator clients (the province, cities and districts) walking their region pages, dashboards
with filters, 催报 and the log; 50 agency clients opening their page and uploading; every client
reads each page for 0.5–2 s before the next click, as people do. Printed: p50 /
p95 / max per page kind, the server's peak memory, and the time of one city's summary made from its
districts' submitted summaries (the upward merge) against one district's summary of its own files.
"""

from __future__ import annotations

import csv
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.serve_process import CODE_PREFIX, PASSWORD, csrf_of, links, make_workbook, start_server
from toolkit.uscc import uscc_check_char

YEAR = 2025


def build(tmp: Path, units: int, uploaded: int) -> dict:
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys, hash_password

    cities, districts_per_city = 13, 8
    per_district = max(1, units // (cities * districts_per_city))
    rows, where = [], {}
    n = 0
    for c in range(cities):
        for d in range(districts_per_city):
            for a in range(per_district):
                n += 1
                base = f"{CODE_PREFIX}{n:07d}"
                name = f"第{c + 1}市第{d + 1}区第{a + 1}局"
                rows.append(
                    (name, base + uscc_check_char(base), f"示例省/第{c + 1}市/第{c + 1}市第{d + 1}区")
                )
                where[name] = (c, d)
    with (tmp / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        w.writerows(rows)
    db = tmp / "xxgk.db"
    keys = Keys.for_db(db)
    t0 = time.perf_counter()
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp / "roster.csv").entries, keys.fresh_token)
        root = regions.ensure_root_account(st, hash_password(PASSWORD))
        t = regions.tree(st, YEAR)
        accounts = []
        for node in t.nodes.values():
            if node.region.path.count("/") <= 1 and node.region.path:
                login = "acc" + str(node.region.id)
                regions.create_account(
                    st, t, root, login, hash_password("密码-" + login), node.region.id, YEAR
                )
                accounts.append((login, node.region.path))
        print(f"registered {len(rows)} units, {len(t.nodes)} regions, {len(accounts)} accounts "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)  # fmt: skip
        t0 = time.perf_counter()
        by_name = {a.name: a for a in st.web_agencies(YEAR)}
        step = max(1, len(rows) // max(1, uploaded))
        done = 0
        for i in range(0, len(rows), step):
            if done >= uploaded:
                break
            name, code, _ = rows[i]
            p = make_workbook(tmp / "wb.xlsx", name, code, k=i, valid=i % 10 != 9)
            season.receive(st, by_name[name], p.read_bytes(), f"{name}.xlsx", year=YEAR)
            done += 1
        print(f"received {done} workbooks in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        # one city's districts submit upward; its summary is then made from theirs
        t = regions.tree(st, YEAR)
        city = t.node_at("第1市")
        states_by_id = {s.agency.id: s for s in season.states(st, YEAR)}
        from toolkit.spec import spec_for_year

        spec = spec_for_year(YEAR)
        t0 = time.perf_counter()
        for ch in city.children:
            s = regions.region_summary(st, YEAR, t, ch, spec=spec, states_by_id=states_by_id)
            regions.submit(st, YEAR, ch, s, root)
        district_s = (time.perf_counter() - t0) / len(city.children)
        t0 = time.perf_counter()
        city_summary = regions.region_summary(st, YEAR, t, city, spec=spec, states_by_id=states_by_id)
        city_s = time.perf_counter() - t0
    return {
        "rows": rows,
        "accounts": accounts,
        "district_s": district_s,
        "city_s": city_s,
        "city_members": len(city.children),
        "city_complete": city_summary.complete,
    }


def run(
    url: str,
    accounts: list[tuple[str, str]],
    tokens: dict[str, str],
    rows,
    tmp: Path,
    rounds: int,
    spread: float = 0.0,
):
    import requests

    times: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def timed(kind: str, fn):
        t0 = time.perf_counter()
        r = fn()
        dt = time.perf_counter() - t0
        with lock:
            times.setdefault(kind, []).append(dt)
            if r.status_code != 200:
                errors.append(f"{kind} {r.status_code}")
        return r

    import random

    rnd = random.Random(7)

    def think() -> None:  # a person reads the page before the next click
        time.sleep(rnd.uniform(0.5, 2.0))

    def coordinator(login: str) -> None:
        s = requests.Session()
        csrf = csrf_of(s.get(f"{url}/login", timeout=120).text)
        pw = PASSWORD if login == "admin" else "密码-" + login
        s.post(f"{url}/login", data={"csrf": csrf, "login": login, "password": pw}, timeout=120)
        for _ in range(rounds):
            page = timed("dashboard", lambda: s.get(f"{url}/coord", timeout=120)).text
            think()
            kids = re.findall(r'href="/coord\?region=(\d+)"', page)
            if kids:
                timed("region page", lambda k=kids[0]: s.get(f"{url}/coord?region={k}", timeout=120))
                think()
            timed("filtered", lambda: s.get(f"{url}/coord?status=有错误&sort=name", timeout=120))
            think()
            timed("催报", lambda: s.get(f"{url}/coord/remind", timeout=120))
            think()
            timed("log", lambda: s.get(f"{url}/coord/log", timeout=120))
            think()

    def agency(i: int) -> None:
        name, _code, _ = rows[(i * 97) % len(rows)]
        s = requests.Session()
        tok = tokens[name]
        data = prepared[i]
        if spread:  # agencies upload over the run, not all in its first seconds
            time.sleep(rnd.uniform(0, spread))
        think()
        page = timed("agency page", lambda: s.get(f"{url}/a/{tok}", timeout=120)).text
        think()
        timed(
            "upload",
            lambda: s.post(
                f"{url}/a/{tok}/upload",
                data={"csrf": csrf_of(page)},
                files={"file": (f"{i}.xlsx", data)},
                timeout=300,
            ),
        )
        for _ in range(rounds):
            think()
            timed("agency page", lambda: s.get(f"{url}/a/{tok}", timeout=120))

    prepared = []  # the agencies' workbooks, made before the clock starts
    for i in range(50):
        name, code, _ = rows[(i * 97) % len(rows)]
        prepared.append(make_workbook(tmp / f"a{i}.xlsx", name, code, k=10_000 + i).read_bytes())
    logins = ["admin"] + [a for a, _ in accounts]
    chosen = logins[:1] + logins[1:14] + [a for a, p in accounts if "/" in p][:6]
    threads = [threading.Thread(target=coordinator, args=(lg,)) for lg in chosen[:20]]
    threads += [threading.Thread(target=agency, args=(i,)) for i in range(50)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors, time.perf_counter() - t0, len(chosen[:20])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(units: int = 15_000, uploaded: int = 3_000, rounds: int = 5) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-province-") as d:
        tmp = Path(d)
        info = build(tmp, units, uploaded)
        tokens = links(tmp / "xxgk.db", YEAR)
        results = []
        for label, spread in (
            ("uploads spread over the run", 25.0),
            ("all 50 uploads in the first seconds", 0.0),
        ):
            srv = start_server(tmp / "xxgk.db", extra=("--threads", "4"))
            try:
                t0 = cpu_seconds(srv.proc.pid)
                times, errors, wall, coords = run(
                    srv.url, info["accounts"], tokens, info["rows"], tmp, rounds, spread
                )
                cpu = cpu_seconds(srv.proc.pid) - t0
                rss = peak_rss_mb(srv.proc.pid)
            finally:
                srv.stop()
            results.append((label, times, errors, wall, coords, cpu, rss))
    worst = 0.0
    all_errors = []
    for label, times, errors, wall, coords, cpu, rss in results:
        print(f"{label}: {len(info['rows'])} units, {uploaded} uploaded before; {coords} coordinators + 50 "
              f"agencies at once, {wall:.1f} s wall, server CPU {cpu:.1f} s ({cpu / wall:.0%} of one core), "
              f"peak memory {rss:.0f} MB, {os.cpu_count()} cores")  # fmt: skip
        for kind, ts in sorted(times.items()):
            ts = sorted(ts)
            p95 = ts[min(len(ts) - 1, int(0.95 * len(ts)))]
            if kind not in ("upload",) and label.startswith("uploads spread"):
                worst = max(worst, p95)
            print(f"  {kind:12s} n={len(ts):4d}  p50 {statistics.median(ts) * 1000:6.0f} ms  "
                  f"p95 {p95 * 1000:6.0f} ms  max {ts[-1] * 1000:6.0f} ms")  # fmt: skip
        all_errors += errors
    errors = all_errors
    print(f"one district's summary of its own files: {info['district_s']:.2f} s; the city's summary from its "
          f"{info['city_members']} districts' submitted summaries: {info['city_s']:.2f} s "
          f"(complete: {info['city_complete']})")  # fmt: skip
    print(f"errors: {len(errors)} {errors[:5]}")
    print(f"pages p95 worst, uploads spread: {worst * 1000:.0f} ms (target < 300 ms)")
    return 1 if errors else 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    sys.exit(main(*args))
