"""Never crash, never hang, never lose a file (issue 9): outputs never replace inputs, unique and
portable output names, no debris after a kill, interrupts and dying workers, bounded inputs.

Every test runs the real command in a real subprocess (under a memory limit where it matters)
and sends real signals."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from toolkit.model import Submission
from toolkit.paths import TEMP_PREFIX, check_outputs, clean_debris, safe_filename, unique_name
from toolkit.reader import read_file
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

GIB = 1024**3


def code(i: int) -> str:
    body = f"11110999MB{i:07d}"
    return body + uscc_check_char(body)


def _limits(mem: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def xxgk(*args, cwd=None, mem: int = GIB, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """The real command in a subprocess, under a memory limit (RLIMIT_AS) and a time limit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *[str(a) for a in args]],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=lambda: _limits(mem),
        **kw,
    )


def start(*args, cwd=None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", *[str(a) for a in args]],
        cwd=cwd or ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=lambda: _limits(2 * GIB),
    )


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def tree(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): sha(p) for p in sorted(d.rglob("*")) if p.is_file()}


def clean_ok(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 1, 2), (r.returncode, r.stderr)


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("filled")
    make_template(d / "甲局.xlsx", Submission(cover={"agency": "甲局", "code": code(1), "year": 2025}))
    return d / "甲局.xlsx"


# -- 1. outputs never replace inputs --------------------------------------------------------------
def test_outputs_that_are_inputs_are_refused(tmp_path, filled):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(filled, inbox / "a.xlsx")
    shutil.copy(filled, inbox / "b.xlsx")
    (inbox / "x_批注.xlsx").write_bytes(filled.read_bytes())
    (tmp_path / "r.txt").write_text("示例区政府信息公开工作年度报告\n", encoding="utf-8")
    (tmp_path / "v.json").write_text('{"values": {}}', encoding="utf-8")
    (tmp_path / "roster.csv").write_text("name\n甲局\n", encoding="utf-8")
    before = tree(tmp_path)
    cases = [
        ("merge", inbox, "-o", inbox / "a.xlsx"),
        ("merge", inbox, "-o", inbox / "new.xlsx"),  # would be read by the next run
        ("merge", inbox / "*.xlsx", "-o", inbox / "c.xlsx"),
        ("merge", inbox / "a.xlsx", "--roster", tmp_path / "roster.csv", "-o", tmp_path / "roster.csv"),
        ("validate", inbox, "--report", inbox / "b.xlsx"),
        ("validate", inbox, "--annotate", inbox),
        ("validate", inbox, "--annotate", inbox / "退回"),
        ("export", inbox / "a.xlsx", "-o", inbox / "a.xlsx"),
        ("export", inbox / "a.xlsx", "-o", tmp_path / "in" / ".." / "in" / "a.xlsx"),
        ("import", tmp_path / "r.txt", "-o", tmp_path / "r.txt"),
        ("template", "--values", tmp_path / "v.json", "-o", tmp_path / "v.json"),
        ("render", inbox / "a.xlsx", "-o", inbox / "a.xlsx"),
    ]
    for args in cases:
        r = xxgk(*args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr.startswith("错误："), r.stderr
        assert "Traceback" not in r.stderr
    assert tree(tmp_path) == before
    # said explicitly: allowed
    r = xxgk("export", inbox / "a.xlsx", "-o", inbox / "a.json", "--force")
    assert r.returncode == 0, r.stderr
    r = xxgk("merge", inbox / "a.xlsx", "-o", inbox / "sum.xlsx", "--force")
    clean_ok(r)
    assert (inbox / "sum.xlsx").is_file()


def test_check_outputs_hard_link_and_case(tmp_path):
    a = tmp_path / "a.xlsx"
    a.write_bytes(b"x")
    os.link(a, tmp_path / "link.xlsx")
    with pytest.raises(ValueError):
        check_outputs([tmp_path / "link.xlsx"], [a])
    check_outputs([tmp_path / "other.xlsx"], [a])
    check_outputs([tmp_path / "link.xlsx"], [a], force=True)


def test_annotate_names_unique_and_never_an_input(tmp_path, filled):
    for folder in ("甲", "乙"):
        (tmp_path / "in" / folder).mkdir(parents=True)
    make_template(tmp_path / "in" / "甲" / "报告.xlsx", Submission(cover={"agency": "甲局", "code": code(1)}))
    make_template(tmp_path / "in" / "乙" / "报告.xlsx", Submission(cover={"agency": "乙局", "code": code(2)}))
    out = tmp_path / "out"
    out.mkdir()
    # an agency's own file called like a copy, named explicitly, sitting in the annotate folder
    shutil.copy(filled, out / "x_批注.xlsx")
    shutil.copy(filled, out / "x.xlsx")
    before = sha(out / "x_批注.xlsx")
    r = xxgk("validate", tmp_path / "in", out / "x.xlsx", out / "x_批注.xlsx", "--annotate", out)
    clean_ok(r)
    assert sha(out / "x_批注.xlsx") == before
    made = sorted(p.name for p in out.iterdir() if p.name not in ("x.xlsx", "x_批注.xlsx"))
    assert len(made) == 4, made  # one per input file, the count printed is the count written
    assert "4 份" in r.stderr
    agencies = {read_file(out / n).submission.agency for n in made if "报告" in n}
    assert agencies == {"甲局", "乙局"}


def test_roster_template_names(tmp_path):
    roster = tmp_path / "名单.csv"
    long = "示例省示例市示例区" + "长" * 70  # 79 characters, 237 bytes
    rows = [
        "name,code",
        f"A,{code(220)}",
        "A_000220,",
        f"A,{code(1220)}",
        "CON,",
        "nul,",
        "COM1,",
        "AUX.,",
        "LPT1.txt,",
        "a/b:c*d?,",
        " 尾点. ,",
        f"{long},",
        f"{long}甲,",
        f"{long}乙,",
        "名单,",  # named like the roster, in the same folder
    ]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = sha(roster)
    r = xxgk("template", "--roster", roster, "-o", tmp_path)
    clean_ok(r)
    assert sha(roster) == before
    made = [p for p in tmp_path.iterdir() if p.suffix == ".xlsx"]
    printed = int(r.stdout.split("已生成 ")[1].split(" ")[0])
    assert printed == len(made) == len(rows) - 1, (r.stdout, r.stderr, sorted(p.name for p in made))
    for p in made:
        stem = p.name.split(".")[0].rstrip(" ")
        assert stem.upper() not in {"CON", "NUL", "COM1", "AUX", "LPT1", "PRN"}, p.name
        assert not p.stem.endswith((" ", ".")), p.name
        assert len(p.name.encode()) <= 255
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_safe_filename_and_unique_name():
    assert safe_filename("CON") == "CON_"
    assert safe_filename("lpt1.txt") == "lpt1_.txt"
    assert safe_filename("AUX.") == "AUX_"
    assert safe_filename("com¹") == "com¹_"
    assert safe_filename("console") == "console"
    assert len(safe_filename("长" * 300).encode()) <= 240
    assert len(safe_filename("x" * 300, limit=300).encode()) <= 240
    used: set[str] = set()
    names = [unique_name("长" * 84, "_批注.xlsx", used) for _ in range(3)]
    assert len(set(names)) == 3 and all(len(n.encode()) <= 255 for n in names)
    assert unique_name("A", ".xlsx", {"a.xlsx"}) == "A_2.xlsx"


def test_annotate_long_input_name(tmp_path, filled):
    # a legal 247-byte name: the copy's name (+ "_批注") must still fit, and the run succeed
    name = "长" * 80 + "x.xlsx"
    assert len(name.encode()) <= 255
    (tmp_path / "in").mkdir()
    shutil.copy(filled, tmp_path / "in" / name)
    r = xxgk("validate", tmp_path / "in", "--annotate", tmp_path / "out")
    clean_ok(r)
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "out").iterdir())) == 1


# -- 3. debris ------------------------------------------------------------------------------------
def test_clean_debris_only_dead_owners(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    (tmp_path / f"{TEMP_PREFIX}{dead_pid}-abcdef.tmp").write_bytes(b"")
    (tmp_path / f"{TEMP_PREFIX}{dead_pid}-abcdef.tmp.stage.xlsx").write_bytes(b"")
    (tmp_path / f"{TEMP_PREFIX}{os.getpid()}-abcdef.tmp").write_bytes(b"")  # alive: kept
    (tmp_path / ".~xxgk-notes.txt").write_bytes(b"")  # not ours: kept
    removed = clean_debris(tmp_path)
    assert len(removed) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{TEMP_PREFIX}{os.getpid()}-abcdef.tmp", ".~xxgk-notes.txt"]
    )


@pytest.fixture(scope="module")
def inbox(tmp_path_factory, filled) -> Path:
    """200 workbooks: a run of a second or two with --jobs 2."""
    d = tmp_path_factory.mktemp("inbox")
    for i in range(200):
        shutil.copy(filled, d / f"{i:03d}.xlsx")
    return d


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait_workers(p: subprocess.Popen, n: int = 2, timeout: float = 30) -> list[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end and p.poll() is None:
        kids = _children(p.pid)
        if len(kids) >= n:
            return kids
        time.sleep(0.01)
    return _children(p.pid)


def test_sigkill_during_merge_leaves_only_recognisable_debris(tmp_path, inbox):
    out = tmp_path / "out"
    out.mkdir()
    r = xxgk("merge", inbox, "-o", out / "sum.xlsx")
    clean_ok(r)
    first = sha(out / "sum.xlsx")
    # kill at spread-out moments: reading, writing the summary, renaming
    for delay in (0.6, 0.9, 1.1, 1.3, 1.5, 1.8, 2.2, 2.6):
        p = start("merge", inbox, "-o", out / "sum.xlsx")
        time.sleep(delay)
        p.kill()
        p.communicate()
        for f in out.iterdir():
            assert f.name == "sum.xlsx" or f.name.startswith(TEMP_PREFIX), f.name
        assert sha(out / "sum.xlsx") == first  # the previous output is intact (or replaced whole)
    r = xxgk("merge", inbox / "000.xlsx", "-o", out / "sum2.xlsx")  # the next run cleans up
    clean_ok(r)
    assert sorted(f.name for f in out.iterdir()) == ["sum.xlsx", "sum2.xlsx"]


# -- 4. interrupts and dying workers --------------------------------------------------------------
@pytest.mark.parametrize("repeat", range(10))
def test_two_ctrl_c_stop_merge_jobs_2(tmp_path, inbox, repeat):
    out = tmp_path / "sum.xlsx"
    out.write_bytes(b"previous output")
    p = start("merge", inbox, "-o", out, "--jobs", "2")
    _wait_workers(p)
    time.sleep(0.05 * (repeat % 5))
    os.killpg(p.pid, signal.SIGINT)  # a terminal sends Ctrl-C to the whole foreground group
    time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)
    try:
        _stdout, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail("merge --jobs 2 hung after two Ctrl-C")
    assert "Traceback" not in err, err
    assert "InvalidStateError" not in err and "BrokenProcessPool" not in err
    if p.returncode == 130:
        assert "已中断" in err
        assert out.read_bytes() == b"previous output"
    else:  # the run had already finished when the signal came
        assert p.returncode in (0, 1), (p.returncode, err)
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(TEMP_PREFIX)]
    time.sleep(0.2)
    assert not _children(p.pid)


def test_killed_worker_costs_only_its_file(tmp_path, inbox):
    for _attempt in range(3):
        p = start("validate", inbox, "--jobs", "2", "--format", "json")
        kids = _wait_workers(p)
        assert kids, "no worker processes seen"
        with contextlib.suppress(ProcessLookupError):
            os.kill(kids[0], signal.SIGKILL)
        stdout, err = p.communicate(timeout=60)
        assert "Traceback" not in err and "BrokenProcessPool" not in err, err
        doc = json.loads(stdout)
        files = doc["files"]
        assert len(files) == 200
        died = [f for f in files if any("进程异常退出" in x["message"] for x in f["findings"])]
        if died:
            assert len(died) == 1
            assert [x["code"] for x in died[0]["findings"]] == ["FILE-UNREADABLE"]
            assert p.returncode == 1
            ok = [f for f in files if f is not died[0]]
            assert all(f["valid"] for f in ok)
            return
    pytest.fail("the worker was never killed while holding a file")
