"""Every command under hostile input: the real CLI in a subprocess, 1 GiB of address space, a
time limit. For each case (tests/hostile/cases.py): the expected finding or exit code, no
traceback, no abort or signal death, every input byte-identical afterwards, nothing written
outside the case's output paths (TMPDIR included), no temp files left behind.

The inputs are generated once per session; the calls run two at a time in the background while
the tests collect their results in order.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.cases import CASES, Case

resource = pytest.importorskip("resource", reason="POSIX only: RLIMIT_AS, FIFOs")

ROOT = Path(__file__).resolve().parents[2]
MEMORY = 1 << 30  # RLIMIT_AS: 1 GiB
WORKERS = 2
DEBRIS = (".tmp", ".stage.xlsx", ".stage")


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _snapshot(d: Path) -> dict[str, str]:
    """Every path under ``d`` -> sha256 for regular files, the type for anything else."""
    out: dict[str, str] = {}
    for root, dirs, names in os.walk(d):
        for n in dirs + names:
            p = Path(root) / n
            rel = str(p.relative_to(d))
            st = p.lstat()
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        h.update(chunk)
                out[rel] = h.hexdigest()
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = "dir"
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(p)
            else:
                out[rel] = f"special:{stat.S_IFMT(st.st_mode):o}"
    return out


# root without the capabilities that let it ignore file permissions: a plain user's view
_DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def _plain_user(c: Case) -> list[str]:
    if not c.plain_user or os.geteuid() != 0:
        return []
    return _DROP_DAC


@dataclass
class Outcome:
    returncode: int | None
    stdout: str
    stderr: str
    before: dict[str, str]
    after: dict[str, str]
    timed_out: bool


def _run(c: Case, d: Path) -> Outcome:
    d.mkdir()
    c.build(d)
    (d / "tmp").mkdir()
    before = _snapshot(d)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(d / "tmp"),
        "OPENBLAS_NUM_THREADS": "1",
    }
    proc = subprocess.Popen(
        [*_plain_user(c), sys.executable, "-m", "toolkit", *c.argv],
        cwd=d,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=c.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    return Outcome(
        None if timed_out else proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        before,
        _snapshot(d),
        timed_out,
    )


class _Runner:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.pool = ThreadPoolExecutor(WORKERS)
        self.futures: dict[str, Future[Outcome]] = {}
        self.lock = threading.Lock()

    def start(self, ids: list[str]) -> None:
        by_id = {c.id: c for c in CASES}
        # the cases expected to hang or run into their limit go first: they overlap the rest
        ids = sorted(
            ids, key=lambda i: (by_id[i].xfail is None, -by_id[i].timeout) if i in by_id else (True, 0)
        )
        with self.lock:
            for i in ids:
                if i in by_id and i not in self.futures:
                    c = by_id[i]
                    self.futures[i] = self.pool.submit(_run, c, self.base / c.id)

    def result(self, c: Case) -> Outcome:
        self.start([c.id])
        return self.futures[c.id].result()


@pytest.fixture(scope="session")
def runner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    r = _Runner(tmp_path_factory.mktemp("hostile"))
    selected = [
        item.callspec.params["c"].id
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("c"), Case)
    ]
    r.start(selected)
    yield r
    r.pool.shutdown(cancel_futures=True)


def _params():
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        yield pytest.param(c, id=c.id, marks=marks)


def test_enough_cases() -> None:
    assert len(CASES) >= 100
    commands = {c.argv[0] for c in CASES}
    assert {"validate", "merge", "export", "template", "render", "import"} <= commands


@pytest.mark.parametrize("c", list(_params()))
def test_hostile(c: Case, runner: _Runner) -> None:
    if c.plain_user and os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: file permissions do not apply")
    o = runner.result(c)
    d = runner.base / c.id
    both = o.stdout + o.stderr
    assert not o.timed_out, f"no answer within {c.timeout} s (hang)\n{o.stderr[-2000:]}"
    assert "Traceback" not in o.stderr, o.stderr[-3000:]
    assert o.returncode is not None and o.returncode >= 0, f"killed by signal {-(o.returncode or 0)}"
    assert o.returncode in c.exit, f"exit {o.returncode}, expected {sorted(c.exit)}\n{both[-3000:]}"
    if o.returncode == 2:
        assert o.stderr.strip(), "exit 2 without a message"
    if c.codes:
        assert any(f"[{code}]" in both or f'"code": "{code}"' in both for code in c.codes), (
            f"none of {c.codes} reported\n{both[-3000:]}"
        )
    # inputs untouched
    for rel, digest in o.before.items():
        if rel == "tmp":
            continue
        assert o.after.get(rel) == digest, f"input {rel} was modified or removed"
    # nothing written outside the outputs, no debris anywhere
    new = [rel for rel in o.after if rel not in o.before]
    allowed = tuple(c.outputs)
    stray = [rel for rel in new if not any(rel == a or rel.startswith(a.rstrip("/") + "/") for a in allowed)]
    assert not stray, f"written outside the output paths: {stray}"
    debris = [rel for rel in o.after if rel.endswith(DEBRIS) or "/.~" in rel or ".tmp." in Path(rel).name]
    assert not debris, f"temp files left behind: {debris}"
    if c.check is not None:
        c.check(d, both)
