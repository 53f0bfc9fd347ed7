"""``xxgk serve`` under a January rush, on loopback: UPLOADS uploads from CLIENTS concurrent
clients (default 200 from 20) to a real ``xxgk serve`` process on 127.0.0.1, two clients per agency
link, one upload in five with an error (T3-BALANCE), each upload a different workbook.

    python benchmarks/bench_serve.py [UPLOADS] [CLIENTS]

The load runs twice: alone, and with ``xxgk archive add`` of 300 last-year workbooks writing to
the same archive at the same time (the coordinator filing last year's reports mid-season):
p50/p95 of both, and no upload lost in either.

Measured, in this run:
  * upload-to-verdict time per upload as a client sees it (POST of the file until the verdict
    page has arrived): p50, p95, max; and the server's own read+check+store time per upload;
  * the baseline in the same run: ``check_file`` of the same workbooks in this process, one after
    another (what ``xxgk validate`` does per file) — the ratio says what the web layer, the
    database and the concurrency add;
  * then checked: every submission stored once, under its own link; as many archive versions as
    different files; the status table right (the latest valid upload current per agency).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.serve_process import check_stored, links, make_workbook, run_load, start_server, write_roster
from toolkit.store import WebStore
from toolkit.validate import check_file

YEAR = 2025


def main(uploads: int = 200, clients: int = 20) -> int:
    per_client = max(1, uploads // clients)
    agencies = max(1, clients // 2)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as d:
        tmp = Path(d)
        names = [f"青川区第{i + 1}局" for i in range(agencies)]
        codes = write_roster(tmp / "roster.csv", names)
        files = []
        t0 = time.perf_counter()
        for c in range(clients):
            i = c % agencies
            files.append(
                [
                    (
                        make_workbook(
                            tmp / f"c{c:02d}_{k:02d}.xlsx",
                            names[i],
                            codes[i],
                            k=c * 1000 + k,
                            valid=k % 5 != 4,
                        ),
                        k % 5 != 4,
                    )
                    for k in range(per_client)
                ]
            )
        print(
            f"{clients * per_client} workbooks written in {time.perf_counter() - t0:.1f} s", file=sys.stderr
        )

        every = [p for fl in files for p, _ in fl]
        t0 = time.perf_counter()
        base = []
        for p in every[:40]:
            t1 = time.perf_counter()
            check_file(p, year=YEAR)
            base.append(time.perf_counter() - t1)
        base_med = statistics.median(base)

        srv = start_server(tmp / "xxgk.db", roster=tmp / "roster.csv", extra=("--threads", "4"))
        try:
            res = run_load(srv.url, [a for a in _tokens(tmp / "xxgk.db", names)], files, clients=clients)
        finally:
            srv.stop()
        problems = check_stored(tmp / "xxgk.db", YEAR, res)
        with_add, add_s, add_rc, problems_add = _with_archive_add(tmp, names, codes, files, clients)
        with WebStore(tmp / "xxgk.db", create=False) as st:
            server_s = [u.seconds for u in st.web_uploads()]
        print(
            f"uploads: {len(res.latencies)} answered of {res.uploads} sent by {clients} clients ({agencies} links)"
        )
        print(f"wall time: {res.seconds:.1f} s  ({len(res.latencies) / res.seconds:.1f} uploads/s)")
        print(
            f"upload-to-verdict (client): p50 {res.p50 * 1000:.0f} ms, p95 {res.p95 * 1000:.0f} ms, "
            f"max {max(res.latencies) * 1000:.0f} ms"
        )
        print(f"server read+check+store per upload: median {statistics.median(server_s) * 1000:.0f} ms")
        print(
            f"baseline check_file in-process, one at a time: median {base_med * 1000:.0f} ms  "
            f"({1 / base_med:.0f} files/s); served {len(res.latencies) / res.seconds:.1f} uploads/s = "
            f"{len(res.latencies) / res.seconds * base_med:.2f}x of that, p50 = {res.p50 / base_med:.0f}x one check "
            f"({clients} clients queue on 2 cores and 4 server threads)"
        )
        print(f"failures: {len(res.failures)} {res.failures[:3]}")
        print("stored once, status table right: " + ("yes" if not problems else f"NO: {problems[:5]}"))
        print(
            f"with `xxgk archive add` of 300 files at the same time ({add_s:.1f} s, exit {add_rc}): "
            f"p50 {with_add.p50 * 1000:.0f} ms, p95 {with_add.p95 * 1000:.0f} ms "
            f"({with_add.p50 / res.p50:.2f}x / {with_add.p95 / res.p95:.2f}x alone); "
            f"failures {len(with_add.failures)}; stored once, status right: "
            + ("yes" if not problems_add else f"NO: {problems_add[:3]}")
        )
        bad = problems or res.failures or problems_add or with_add.failures or add_rc != 0
        return 1 if bad else 0


def _with_archive_add(tmp: Path, names: list[str], codes: list[str], files, clients: int):
    """The same load on a fresh archive while ``xxgk archive add`` writes 300 workbooks to it."""
    import os
    import subprocess

    d = tmp / "with-add"
    inbox = d / "inbox"
    inbox.mkdir(parents=True)
    (d / "roster.csv").write_bytes((tmp / "roster.csv").read_bytes())
    for i in range(300):
        make_workbook(inbox / f"{i:03d}.xlsx", f"青川区去年{i}局", "", year=YEAR - 1, k=50_000 + i)
    srv = start_server(d / "xxgk.db", roster=d / "roster.csv", extra=("--threads", "4"))
    try:
        root = Path(__file__).resolve().parent.parent
        t0 = time.perf_counter()
        add = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "archive", "add", "--db", str(d / "xxgk.db"), str(inbox)],
            env={**os.environ, "PYTHONPATH": str(root)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        res = run_load(srv.url, _tokens(d / "xxgk.db", names), files, clients=clients)
        rc = add.wait()
        add_s = time.perf_counter() - t0
    finally:
        srv.stop()
    return res, add_s, rc, check_stored(d / "xxgk.db", YEAR, res)


def _tokens(db: Path, names: list[str]) -> list[str]:
    by_name = links(db, YEAR)
    return [by_name[n] for n in names]


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(main(*args))
