"""``xxgk serve`` as a real process on a free loopback port, and a load of concurrent uploads
against it: shared by tests/test_serve.py and benchmarks/bench_serve.py."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "协调人-test-密码-2025"
CODE_PREFIX = "11110999MB"


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    db: Path
    stderr: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.drain is not None:
            self.drain.join(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def start_server(
    db: Path,
    *,
    roster: Path | None = None,
    year: int = 2025,
    extra: tuple[str, ...] = (),
    password: str = PASSWORD,
    preexec_fn=None,
    env_extra: dict[str, str] | None = None,
) -> Server:
    """Start ``python -m toolkit serve`` on 127.0.0.1 and a free port; the password is piped.
    ``preexec_fn`` runs in the child before the server starts (resource limits); ``env_extra``
    is added to its environment (TMPDIR)."""
    cmd = [sys.executable, "-m", "toolkit", "serve", "--db", str(db), "--year", str(year)]
    cmd += ["--host", "127.0.0.1", "--port", "0", "--set-password", *extra]
    if roster is not None:
        cmd += ["--roster", str(roster)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        preexec_fn=preexec_fn,
    )
    assert proc.stdin and proc.stderr
    proc.stdin.write(password + "\n")
    proc.stdin.close()
    lines: list[str] = []
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if m := re.search(r"已启动 (http://127\.0\.0\.1:\d+)/", line):
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        raise RuntimeError("xxgk serve did not start:\n" + "".join(lines) + (proc.stderr.read() or ""))
    srv = Server(proc, url, db, lines)
    # keep draining stderr so the server never blocks on a full pipe
    srv.drain = threading.Thread(target=lambda: srv.stderr.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    srv.drain.start()
    return srv


def write_roster(path: Path, names: list[str], *, parent: str = "示例市青川区") -> list[str]:
    """A roster CSV of ``names`` with valid codes; returns the codes."""
    import csv

    from toolkit.uscc import uscc_check_char

    codes = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        for i, n in enumerate(names, 1):
            base = f"{CODE_PREFIX}{i:07d}"
            code = base + uscc_check_char(base)
            codes.append(code)
            w.writerow([n, code, parent])
    return codes


def clean_values() -> dict:
    from tests.fixtures.build import clean_values as cv

    return cv()


def make_workbook(
    path: Path, agency: str, code: str, *, year: int = 2025, k: int = 0, valid: bool = True
) -> Path:
    """A filled workbook of ``agency``; ``k`` makes its bytes different, ``valid=False`` breaks the
    表三 balance (T3-BALANCE)."""
    from toolkit.model import Submission
    from toolkit.spec import load_spec
    from toolkit.template import make_template

    v = clean_values()
    v["t2.admin_licensing.decisions"] = 1000 + k
    v["t2.admin_fees.amount"] = Decimal("12.35")
    if not valid:
        v["t3.carried_out.natural_person"] = v.get("t3.carried_out.natural_person", 0) + 1
    cover = {"agency": agency, "code": code, "parent": "示例市青川区", "year": year, "contact": "张三"}
    return make_template(path, Submission(spec=load_spec(), cover=cover, values=v))


def links(db: Path, year: int = 2025) -> dict[str, str]:
    """Each agency's link token by name: derived from the key file beside the archive (the
    archive itself keeps only their hashes)."""
    from toolkit.season import link_of
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    keys = Keys.for_db(db)
    with WebStore(db, create=False) as st:
        return {a.name: link_of(keys, a) or "" for a in st.web_agencies(year)}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


@dataclass
class LoadResult:
    uploads: int
    seconds: float
    latencies: list[float]
    failures: list[str]
    sent: list[tuple[str, str, bool]]  # (token, sha256, valid) in send order per client

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        return (
            statistics.quantiles(self.latencies, n=20)[18]
            if len(self.latencies) >= 20
            else max(self.latencies)
        )


def run_load(
    url: str, tokens: list[str], files: list[list[tuple[Path, bool]]], *, clients: int
) -> LoadResult:
    """``clients`` concurrent browsers; client ``i`` uploads ``files[i]`` in turn through the link
    ``tokens[i % len(tokens)]`` and waits for each verdict page (upload-to-verdict latency)."""
    import hashlib

    import requests

    latencies: list[float] = []
    failures: list[str] = []
    sent: list[tuple[str, str, bool]] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        token = tokens[i % len(tokens)]
        s = requests.Session()
        page = s.get(f"{url}/a/{token}", timeout=60)
        csrf = csrf_of(page.text)
        for path, valid in files[i]:
            data = path.read_bytes()
            t0 = time.perf_counter()
            r = s.post(
                f"{url}/a/{token}/upload",
                data={"csrf": csrf},
                files={"file": (path.name, data, "application/octet-stream")},
                timeout=120,
            )
            dt = time.perf_counter() - t0
            ok = r.status_code == 200 and 'id="verdict"' in r.text
            with lock:
                if ok:
                    latencies.append(dt)
                    sent.append((token, hashlib.sha256(data).hexdigest(), valid))
                else:
                    failures.append(f"{path.name}: HTTP {r.status_code}")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return LoadResult(sum(len(f) for f in files), time.perf_counter() - t0, latencies, failures, sent)


def check_stored(db: Path, year: int, result: LoadResult) -> list[str]:
    """Every submission stored once, under its own link, the status table right: problems."""
    from toolkit.season import INVALID, PASSED, states
    from toolkit.store import WebStore

    problems = []
    with WebStore(db, create=False) as st:
        by_id = {a.id: a for a in st.web_agencies(year)}
        tok = links(db, year)
        by_token = {tok[a.name]: a for a in by_id.values()}
        uploads = st.web_uploads()
        got = [(u.web_agency_id, u.file_sha256) for u in uploads]
        want = [(by_token[t].id, sha) for t, sha, _ in result.sent]
        if sorted(got) != sorted(want):
            problems.append(f"uploads stored {len(got)}, sent {len(want)}, or under another link")
        if len({sha for _, sha in got}) != len(got):
            problems.append("an upload stored twice")
        versions = st.versions(year=year)
        if len(versions) != len(want):
            problems.append(f"{len(versions)} archive versions for {len(want)} different files")
        valid = {sha: ok for _, sha, ok in result.sent}
        for row in states(st, year):
            mine = sorted((u for u in uploads if u.web_agency_id == row.agency.id), key=lambda u: u.id)
            good = [u for u in mine if valid[u.file_sha256]]
            expect_sha = (good or mine)[-1].file_sha256 if mine else None
            expect_status = PASSED if good else INVALID
            if row.current is None or row.current.file_sha256 != expect_sha or row.status != expect_status:
                problems.append(
                    f"{row.agency.name}: {row.status} {row.current}, expected {expect_status} {expect_sha}"
                )
    return problems
