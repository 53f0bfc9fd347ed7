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
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

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
    r = xxgk(
        "validate", tmp_path / "in", out / "x.xlsx", out / "x_批注.xlsx", "--annotate", out, "--annotate-all"
    )
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
    import openpyxl

    wb = openpyxl.Workbook()  # the same roster as xlsx: an agency called 名单 would be 名单.xlsx
    for row in rows:
        wb.active.append(row.split(","))
    roster = tmp_path / "名单.xlsx"
    wb.save(roster)
    before = sha(roster)
    r = xxgk("template", "--roster", roster, "-o", tmp_path)
    clean_ok(r)
    assert sha(roster) == before
    made = [p for p in tmp_path.iterdir() if p.suffix == ".xlsx" and p != roster]
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
    # invisible characters that disguise a name: right-to-left override, zero-width, C1, BOM
    for hidden in ("\u202e", "\u200b", "\u2066", "\x85", "\ufeff", "\uffff"):
        assert safe_filename(f"戊{hidden}局") == "戊_局"
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
    r = xxgk("validate", tmp_path / "in", "--annotate", tmp_path / "out", "--annotate-all")
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
    for delay in (0.7, 1.0, 1.3, 1.6, 2.0, 2.5):
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
    p = start("merge", inbox, "-o", out, "--jobs", "2", "--force")
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
    if p.returncode == 130 and "完整写出" in err:  # Ctrl-C just after the summary was renamed in
        assert str(out) in err and zipfile.ZipFile(out).testzip() is None
    elif p.returncode == 130:
        assert "已中断：未写入新的输出文件" in err
        assert out.read_bytes() == b"previous output"
    else:  # the run had finished when the signal came (or came as the interpreter exited)
        assert p.returncode in (0, 1, -signal.SIGINT), (p.returncode, err)
        assert out.read_bytes() == b"previous output" or out.read_bytes()[:2] == b"PK"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(TEMP_PREFIX)]
    time.sleep(0.2)
    assert not _children(p.pid)


@pytest.fixture(scope="module")
def big_inbox(tmp_path_factory, filled) -> Path:
    """2,000 workbooks (hard links to one): a --jobs 2 validate long enough (~1 s even at 0.5 ms a
    file) that a worker killed 0.15 s in still holds a file, however fast reading has become."""
    d = tmp_path_factory.mktemp("big_inbox")
    for i in range(2000):
        try:
            os.link(filled, d / f"{i:04d}.xlsx")
        except OSError:  # a file system without hard links
            shutil.copy(filled, d / f"{i:04d}.xlsx")
    return d


def test_killed_worker_costs_only_its_file(tmp_path, big_inbox):
    inbox = big_inbox
    for _attempt in range(5):
        p = start("validate", inbox, "--jobs", "2", "--format", "json")
        kids = _wait_workers(p)
        assert kids, "no worker processes seen"
        time.sleep(0.15)  # past start-up: the worker holds files (killed before, it loses none)
        with contextlib.suppress(ProcessLookupError):
            os.kill(kids[0], signal.SIGKILL)
        stdout, err = p.communicate(timeout=60)
        assert "Traceback" not in err and "BrokenProcessPool" not in err, err
        doc = json.loads(stdout)
        files = doc["files"]
        assert len(files) == 2000
        died = [f for f in files if any("进程异常退出" in x["message"] for x in f["findings"])]
        if died:
            assert len(died) == 1
            assert [x["code"] for x in died[0]["findings"]] == ["FILE-UNREADABLE"]
            assert p.returncode == 1
            ok = [f for f in files if f is not died[0]]
            assert all(f["valid"] for f in ok)
            return
    pytest.fail("the worker was never killed while holding a file")


def test_merge_after_kill_of_worker_mid_run_is_not_broken(tmp_path, big_inbox):
    """merge --jobs 2: a killed worker's file is reported, the summary is still written (the big
    inbox: 200 files are merged before a kill 0.15 s in, now that reading is fast)."""
    inbox = big_inbox
    for _attempt in range(5):
        out = tmp_path / f"sum{_attempt}.json"
        p = start("merge", inbox, "-o", out, "--jobs", "2", "--format", "json")
        kids = _wait_workers(p)
        time.sleep(0.15)
        with contextlib.suppress(ProcessLookupError):
            os.kill(kids[-1], signal.SIGKILL)
        stdout, err = p.communicate(timeout=60)
        assert "Traceback" not in err and "BrokenProcessPool" not in err, err
        if "进程异常退出" in stdout:
            assert p.returncode == 1 and out.is_file()
            return
    pytest.fail("the worker was never killed while holding a file")


# -- 5. resource bounds ---------------------------------------------------------------------------
def _ods_bomb(src: Path, dest: Path, sheet: str = "表三") -> Path:
    """A real LibreOffice .ods whose 表三 gains a row repeated 95,000 times of 1,024 repeated
    cells with a value: ~38 KB on disk, 97 million cells for python-calamine."""
    import zipfile

    bomb = (
        '<table:table-row table:number-rows-repeated="95000"><table:table-cell '
        'table:number-columns-repeated="1024" office:value-type="float" office:value="1">'
        "<text:p>1</text:p></table:table-cell></table:table-row>"
    )
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "content.xml":
                text = data.decode()
                i = text.index(f'<table:table table:name="{sheet}"')
                j = text.index("<table:table-row", i)
                data = (text[:j] + bomb + text[j:]).encode()
            z.writestr(info, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype" else 8)
    return dest


def test_ods_cell_bomb_is_refused_before_parsing(tmp_path, filled):
    src = ROOT / "tests" / "fixtures" / "pass" / "clean_lo.ods"
    bomb = _ods_bomb(src, tmp_path / "炸弹.ods")
    assert bomb.stat().st_size < 100_000
    for i in range(4):
        shutil.copy(filled, tmp_path / f"ok{i}.xlsx")
    shutil.copy(src, tmp_path / "ok.ods")
    for jobs in ("1", "2"):
        r = xxgk("validate", tmp_path, "--format", "json", "--jobs", jobs, timeout=60)
        clean_ok(r)
        doc = {Path(f["file"]).name: f for f in json.loads(r.stdout)["files"]}
        assert len(doc) == 6
        assert [(f["code"], f["cell"]) for f in doc["炸弹.ods"]["findings"]] == [("FILE-UNREADABLE", None)]
        assert "4,000,000" in doc["炸弹.ods"]["findings"][0]["message"]
        assert doc["ok.ods"]["valid"] and doc["ok0.xlsx"]["valid"]


def test_xls_far_cell_is_refused_and_normal_xls_read(tmp_path, soffice, filled):
    import openpyxl

    from tests.office import convert

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表三"
    ws["A1"] = 1
    ws["IV65536"] = 2  # the last cell of an .xls sheet: 16.7 million cells, 540 MB in calamine
    wb.save(tmp_path / "far.xlsx")
    shutil.copy(filled, tmp_path / "normal.xlsx")
    xls = convert([tmp_path / "far.xlsx", tmp_path / "normal.xlsx"], tmp_path / "xls", to="xls", recalc=False)
    r = xxgk("validate", *xls, "--format", "json", timeout=60)
    clean_ok(r)
    doc = {Path(f["file"]).name: f for f in json.loads(r.stdout)["files"]}
    assert [f["code"] for f in doc["far.xls"]["findings"]] == ["FILE-UNREADABLE"]
    assert "上限" in doc["far.xls"]["findings"][0]["message"]
    assert doc["normal.xls"]["agency"] == "甲局"
    # the same bound for a roster
    r = xxgk("template", "--roster", xls[0], "-o", tmp_path / "out", timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("错误：") and "Traceback" not in r.stderr


def test_roster_bounds(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["name"])
    ws.append(["甲局"])
    ws["XFD1048576"] = "x"  # calamine would allocate 549,755,813,888 bytes
    wb.save(tmp_path / "far.xlsx")
    big = tmp_path / "big.csv"
    big.write_text("name\n" + '"' + "长" * 200_000 + '"\n', encoding="utf-8")  # over csv's field limit
    many = tmp_path / "many.csv"
    many.write_text("name\n" + "".join(f"单位{i}\n" for i in range(100_001)), encoding="utf-8")
    odsb = _ods_bomb(
        ROOT / "tests" / "fixtures" / "pass" / "clean_lo.ods", tmp_path / "r.ods", sheet="填报说明"
    )
    for roster in (tmp_path / "far.xlsx", big, many, odsb):
        r = xxgk("template", "--roster", roster, "-o", tmp_path / "out", timeout=60)
        assert r.returncode == 2, (roster, r.returncode, r.stderr)
        assert r.stderr.startswith("错误：") and "Traceback" not in r.stderr
        assert len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_roster_xlsx_streamed(tmp_path):
    import openpyxl
    import xlsxwriter

    from toolkit.roster import read_roster

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某区机关名单"])  # a title above the header
    ws.append(["机关名称", "统一社会信用代码", "上级"])
    ws.append(["甲局", code(1), "某区"])
    ws.append(["乙局", None, "某区"])
    wb.save(tmp_path / "a.xlsx")
    w = xlsxwriter.Workbook(tmp_path / "b.xlsx")  # shared strings, as Excel writes them
    s = w.add_worksheet()
    s.write_row(0, 0, ["name", "code"])
    s.write_row(1, 0, ["丙局", code(3)])
    s.write_string(2, 0, "=丁局")
    w.close()
    a = read_roster(tmp_path / "a.xlsx")
    assert [(e.name, e.code, e.parent, e.line) for e in a.entries] == [
        ("甲局", code(1), "某区", 3),
        ("乙局", "", "某区", 4),
    ]
    b = read_roster(tmp_path / "b.xlsx")
    assert [(e.name, e.code) for e in b.entries] == [("丙局", code(3)), ("=丁局", "")]


def _big_unused_sheet(src: Path, dest: Path, rows: int) -> Path:
    """``src`` plus a sheet 附表 of ``rows`` x 8 numbers that no rule reads (its XML written
    directly: openpyxl would take half a minute to build it)."""
    import zipfile

    import openpyxl

    wb = openpyxl.load_workbook(src)
    wb.create_sheet("附表")["A1"] = 0
    wb.save(dest.with_suffix(".tmp.xlsx"))
    part = f"xl/worksheets/sheet{len(wb.sheetnames)}.xml"
    body = "".join(
        f'<row r="{i}">' + "".join(f'<c r="{c}{i}"><v>{i}</v></c>' for c in "ABCDEFGH") + "</row>"
        for i in range(1, rows + 1)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(dest.with_suffix(".tmp.xlsx")) as zin, zipfile.ZipFile(dest, "w", 8) as z:
        for info in zin.infolist():
            z.writestr(info.filename, xml if info.filename == part else zin.read(info.filename))
    dest.with_suffix(".tmp.xlsx").unlink()
    return dest


def test_annotate_never_opens_refused_or_huge_files(tmp_path, filled):
    import zipfile

    (tmp_path / "in").mkdir()
    big = _big_unused_sheet(filled, tmp_path / "in" / "大.xlsx", 30_000)  # ~7 MB of XML
    assert read_file(big).submission is not None  # the reader reads it (the sheet is unused)
    with zipfile.ZipFile(
        tmp_path / "in" / "炸.xlsx", "w", zipfile.ZIP_DEFLATED
    ) as z:  # refused by the reader
        with zipfile.ZipFile(filled) as zin:
            for info in zin.infolist():
                z.writestr(info.filename, zin.read(info.filename))
        z.writestr("xl/media/pad.bin", b"\0" * (8 * 1024 * 1024))  # compressed 1000:1
    shutil.copy(filled, tmp_path / "in" / "好.xlsx")
    t = time.monotonic()
    r = xxgk(
        "validate",
        tmp_path / "in",
        "--annotate",
        tmp_path / "out",
        "--annotate-all",
        "--format",
        "json",
        timeout=120,
    )
    clean_ok(r)
    assert time.monotonic() - t < 30
    doc = {Path(f["file"]).name: f for f in json.loads(r.stdout)["files"]}
    assert [f["code"] for f in doc["炸.xlsx"]["findings"]] == ["FILE-UNREADABLE"]
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made == ["大_问题清单.xlsx", "好_批注.xlsx", "炸_问题清单.xlsx"], made
    assert "批注副本 1 份；另有 2 个文件无法读取或过大，不能复制，为其生成问题清单 2 份" in r.stderr


def test_annotate_merged_cell(tmp_path, filled):
    import openpyxl

    wb = openpyxl.load_workbook(filled)
    wb["表四"].merge_cells("D6:E6")  # E6 (a total) becomes a read-only MergedCell
    wb.save(tmp_path / "合并.xlsx")
    r = xxgk("validate", tmp_path / "合并.xlsx", "--annotate", tmp_path / "out", "--format", "json")
    clean_ok(r)
    cells = [(f["code"], f["sheet"], f["cell"]) for f in json.loads(r.stdout)["files"][0]["findings"]]
    assert ("FORMULA-OVERWRITTEN", "表四", "E6") in cells
    out = openpyxl.load_workbook(tmp_path / "out" / "合并_批注.xlsx")
    assert "FORMULA-OVERWRITTEN" in out["表四"]["D6"].comment.text


# -- 6. roster matching ---------------------------------------------------------------------------
def test_roster_similar_name_hint(tmp_path):
    make_template(
        tmp_path / "in" / "a.xlsx", Submission(cover={"agency": "示例市青川区民政局", "year": 2025})
    )
    make_template(tmp_path / "in" / "b.xlsx", Submission(cover={"agency": "青川区财政局", "year": 2025}))
    roster = tmp_path / "roster.csv"
    roster.write_text("name\n青川区民政局\n示例市青川区财政局\n", encoding="utf-8")
    r = xxgk("merge", tmp_path / "in", "--roster", roster, "-o", tmp_path / "s.json", "--format", "json")
    clean_ok(r)
    doc = json.loads(r.stdout)
    # a place-prefix variant of one roster name, no code: that agency's report, as serve files it
    # through its link, with a COVER-MISMATCH 提示 (it was 不在名单内, 是否为“青川区民政局”？)
    assert not [f for f in doc["findings"] if f["code"] == "UNEXPECTED-AGENCY"]
    hints = [f for f in doc["findings"] if f["code"] == "COVER-MISMATCH"]
    assert sorted(f["expected"] for f in hints) == ["示例市青川区财政局", "青川区民政局"]
    assert {f["severity"] for f in hints} == {"warning"}
    assert {a["name"]: a["status"] for a in doc["agencies"]} == {
        "青川区民政局": "已报送",
        "示例市青川区财政局": "已报送",
    }
    # a variant of two roster names is neither's: 不在名单内, no guess
    roster.write_text("name\n青川区民政局\n东湖区民政局\n", encoding="utf-8")
    make_template(tmp_path / "in2" / "c.xlsx", Submission(cover={"agency": "民政局", "year": 2025}))
    r = xxgk("merge", tmp_path / "in2", "--roster", roster, "-o", tmp_path / "s2.json", "--format", "json")
    doc = json.loads(r.stdout)
    assert [f["actual"] for f in doc["findings"] if f["code"] == "UNEXPECTED-AGENCY"] == ["民政局"]


def test_roster_index_matches_like_a_scan(tmp_path):
    from toolkit.roster import Roster, RosterEntry

    entries = [RosterEntry(f"单位{i}", code(i) if i % 2 else "", line=i + 2) for i in range(2000)]
    entries.append(RosterEntry("单位7", "", line=9999))  # a name twice: never matched by name
    ro = Roster("r", entries)
    assert ro.find("单位4", "") is entries[4]
    assert ro.find("x", code(5)) is entries[5]
    assert ro.find("单位7", "") is None
    assert ro.find("单位 4", code(4)) is entries[4]  # a code no entry has: by name
    ro.entries.append(RosterEntry("新单位", line=10000))
    assert ro.find("新单位", "") is ro.entries[-1]


@pytest.mark.parametrize("when", ["after", "before"])
def test_an_interrupt_says_whether_the_output_was_already_written(tmp_path, inbox, monkeypatch, when):
    """Ctrl-C a moment after the summary was renamed into place said 未写入新的输出文件（原有文件
    保持不变） — of a file it had just replaced (caught by the Ctrl-C test above, one run in ten under
    load). The interrupt now names what was written whole before it; one before the rename still
    leaves the old file and says so."""
    import toolkit.cli as cli_mod
    import toolkit.outputs.summary as summary_mod
    from toolkit.cli import main

    out = tmp_path / "sum.xlsx"
    out.write_bytes(b"previous output")

    def stop(*_a, **_k):
        raise KeyboardInterrupt

    if when == "after":  # the summary is written; Ctrl-C while its lines are printed
        monkeypatch.setattr(cli_mod, "_merge_text", stop)
    else:  # Ctrl-C while the summary is being written
        monkeypatch.setattr(summary_mod, "_splice", stop)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        r = CliRunner().invoke(main, ["merge", str(inbox), "-o", str(out), "--force"])
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    assert r.exit_code == 130, r.output
    if when == "after":
        assert f"已中断：{out} 在中断前已完整写出" in r.output
        assert zipfile.ZipFile(out).testzip() is None
    else:
        assert "已中断：未写入新的输出文件（原有文件保持不变）" in r.output
        assert out.read_bytes() == b"previous output"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(TEMP_PREFIX)]
