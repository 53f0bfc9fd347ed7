"""Past SPOOL_AFTER files a run keeps its per-file data (the files to read, validate's reports,
merge's records) in a temporary SQLite database: the outputs are the same byte for byte, sorted
and grouped the same, and nothing is left behind however the run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import toolkit.spool
from tests.conftest import ROOT, run_cli
from toolkit.merge import DUPLICATE, INVALID, MISSING, SUBMITTED, UNEXPECTED, AgencyRecord, merge, new_records
from toolkit.validate import scan_paths

SAMPLES = ROOT / "samples"
LINUX = Path("/proc/self/fd").is_dir()


def _open_dbs(pid: int | str, folder: Path) -> list[str]:
    """The temporary databases a process has open in ``folder`` (their names already removed)."""
    out = []
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir() if fds.is_dir() else ():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)) and "xxgk-" in target:
            out.append(target)
    return out


def test_cli_outputs_identical_in_memory_and_spilled(tmp_path, monkeypatch):
    roster = SAMPLES / "roster.csv"
    runs = {
        "validate-json": ["validate", SAMPLES, "--format", "json", "--jobs", "2"],
        "validate-text": ["validate", SAMPLES],
        "merge-json": [
            "merge",
            SAMPLES,
            "--roster",
            roster,
            "--year",
            "2025",
            "--format",
            "json",
            "--jobs",
            "2",
        ],
        "merge-text": ["merge", SAMPLES, "--roster", roster],
    }
    for name, args in runs.items():
        got = []
        for keep in ("100000", "1"):
            out = tmp_path / keep / f"{name}.xlsx"
            out.parent.mkdir(exist_ok=True)
            monkeypatch.setenv("XXGK_SPOOL_AFTER", keep)
            r = run_cli(*args, *(["-o", out] if args[0] == "merge" else []))
            text = r.stdout.replace(str(out), "<out>")
            got.append((r.returncode, text, r.stderr, out.read_bytes() if out.exists() else None))
        assert got[0][0] == 1  # the samples have errors, missing and duplicate agencies
        assert got[0] == got[1], name


def test_merge_records_spilled_same_summary_and_closed_on_interrupt(tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(toolkit.spool, "SPOOL_AFTER", 2)
    seen: list[list[str]] = []

    def stop(i: int, total: int) -> None:
        if LINUX:
            seen.append(_open_dbs("self", tmp))
        if i == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025, progress=stop)
    assert list(tmp.iterdir()) == []  # never a file left in the temporary folder
    if LINUX:
        assert any(seen[-1]) and all("(deleted)" in t for t in seen[-1])  # spilled, name removed
        assert _open_dbs("self", tmp) == []  # and closed when the run stopped

    spilled = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)
    held = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025, spool_after=10_000)
    assert spilled.records.spilled and not held.records.spilled
    assert spilled.to_json() == held.to_json()
    assert "".join(spilled.json_chunks()) == "".join(held.json_chunks())
    assert spilled.complete is held.complete is False
    del spilled
    if LINUX:
        import gc

        gc.collect()
        assert _open_dbs("self", tmp) == []


def test_spools_spill_by_their_bytes_too(tmp_path, monkeypatch):
    """Up to SPOOL_AFTER items a run is held in memory, but never more than about SPOOL_BYTES of
    them (a few thousand files with hundreds of findings each, very long paths): past that each
    spool goes to its database, with the same outputs."""
    from toolkit.spool import FileSet, ItemSpool

    held = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)
    assert not held.records.spilled
    monkeypatch.setattr(toolkit.spool, "SPOOL_BYTES", 20_000)  # a few records' worth
    spilled = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)
    assert spilled.records.spilled and len(spilled.records) < toolkit.spool.SPOOL_AFTER
    assert "".join(spilled.json_chunks()) == "".join(held.json_chunks())

    items = ItemSpool(weigh=lambda item: 4_000)
    for i in range(5):
        items.append(("f", i))
    assert not items.spilled
    items.append(("f", 5))  # 24,000 bytes
    assert items.spilled and [i for _, i in items] == list(range(6))
    items.close()

    files = FileSet()
    names = [tmp_path / ("长" * 40 + f"{i:02d}.xlsx") for i in range(40)]
    for p in reversed(names):
        files.add(str(p), p, str(p).encode("utf-32-be"))
    files.finish()
    assert files.spilled and list(files) == names
    files.close()


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_killed_merge_leaves_no_temporary_file(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp), "XXGK_SPOOL_AFTER": "1"}
    cmd = [sys.executable, "-m", "toolkit", "merge", SAMPLES, "-o", tmp_path / "s.xlsx", "--year", "2025"]
    p = subprocess.Popen(list(map(str, cmd)), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # the database counts once its name is gone (between mkstemp and the unlink a few hundred
        # microseconds later, a kill leaves the file: that window is not what is tested here)
        def spilled() -> bool:
            return any(t.endswith("(deleted)") for t in _open_dbs(p.pid, tmp))

        deadline = time.monotonic() + 60
        while not spilled() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert spilled(), "the run should have spilled to a temporary database"
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(30)
    assert list(tmp.iterdir()) == []


def _rec(status: str, name: str, file: str | None, code: str = "") -> AgencyRecord:
    return AgencyRecord(status, file=file, agency=name, code=code, values=(1, 0, 2) if file else None)


def test_spilled_reports_read_back_whole_when_read_and_changed_as_held():
    """A spilled record's report (its findings) is read back when the record's report is read: the
    same report as held, and one changed in a pass (or taken away) is written back as changed."""
    from toolkit.findings import ERROR, WARNING, FileReport, Finding

    def report(i: int) -> FileReport:
        found = [Finding("T3-BALANCE", ERROR, f"表三第{i}行不平衡", f"/in/{i}.xlsx", "表三", f"B{i}", "t3.x")]
        found += [Finding("VALUE-OUTLIER", WARNING, "数值偏大", f"/in/{i}.xlsx")] * (i % 3)
        return FileReport(f"/in/{i}.xlsx", found)

    recs = [_rec(INVALID, f"单位{i}", f"/in/{i}.xlsx") for i in range(7)]
    for i, r in enumerate(recs):
        r.report = report(i) if i != 3 else None
    spool = new_records(0)
    spool.extend(recs)
    assert spool.spilled
    back = list(spool)
    assert [r.report for r in back] == [r.report for r in recs]
    assert [r == h for r, h in zip(list(spool), back, strict=True)] == [True] * 7  # each read anew
    for r in spool.updating():
        if r.name == "单位2":
            r.report.findings.append(Finding("CODE-INVALID", ERROR, "代码不正确", r.file))
        elif r.name == "单位5":
            r.report = None
    again = {r.name: r.report for r in spool}
    assert [f.code for f in again["单位2"].findings] == [
        "T3-BALANCE",
        "VALUE-OUTLIER",
        "VALUE-OUTLIER",
        "CODE-INVALID",
    ]
    assert again["单位5"] is None and again["单位3"] is None and again["单位6"] == report(6)
    spool.close()


def test_sql_sort_and_groups_are_pythons():
    """SQLite sorts text as Python does (code points, also past the BMP and for undecodable
    file names) and groups duplicates in the order of their first file."""
    names = ["b", "a-b", "a", "A", "é", "😀", "\uffff", "青川区", "", "a b"]
    recs = []
    for i, n in enumerate(names):
        file = None if i % 4 == 3 else f"/in/{n}\udcff{i}.xlsx"
        status = [SUBMITTED, INVALID, DUPLICATE, MISSING, UNEXPECTED][i % 5]
        recs.append(_rec(status, n, file, code="X" if i in (1, 5, 8) else ""))
    recs += [_rec(SUBMITTED, "b", "/in/b2.xlsx"), _rec(INVALID, "a", "/in/a0.xlsx")]
    # joined transitively: 甲 (code Y) and 甲 (code Z) by name, then 乙 (code Z) by code
    chain = [_rec(SUBMITTED, "甲", "/in/j1.xlsx", "Y"), _rec(INVALID, "丙", "/in/c.xlsx", "W")]
    chain += [_rec(SUBMITTED, "甲", "/in/j2.xlsx", "Z"), _rec(SUBMITTED, "乙", "/in/y.xlsx", "Z")]
    recs += chain
    rank = {MISSING: 0, INVALID: 1, DUPLICATE: 2, UNEXPECTED: 3, SUBMITTED: 4}
    out = {}
    for keep in (100, 0):
        spool = new_records(keep)
        spool.extend(recs)
        assert spool.spilled is (keep == 0)
        out[keep] = (
            [(r.status, r.name, r.file) for r in spool.sorted(rank, 9, by_name=True)],
            [(r.status, r.file) for r in spool.sorted({UNEXPECTED: 0, INVALID: 1}, 9, by_name=False)],
            [[r.file for r in g] for g in spool.groups()],
            [(r.name, None if r.values is None else tuple(r.values)) for r in spool],
        )
        spool.close()
    assert out[0] == out[100]
    assert out[0][0] == [
        (r.status, r.name, r.file)
        for r in sorted(recs, key=lambda r: (rank.get(r.status, 9), r.name, r.file or ""))
    ]
    assert ["/in/j1.xlsx", "/in/j2.xlsx", "/in/y.xlsx"] in out[0][2]
    assert len(out[0][2]) >= 3 and all(len(g) > 1 for g in out[0][2])


def test_file_list_spilled_same_order_and_first_found(tmp_path, monkeypatch):
    """The sorted list of files (path text order, not part by part), hidden folders and lock
    files left out, a file reached by two names taken once: the same from the database."""
    root = tmp_path / "in"
    for rel in ["a-b/x.xlsx", "a/x.xlsx", "a b.xlsx", "A.xlsx", "é.xlsx", "z.xlsx", ".hid/x.xlsx",
                "~$z.xlsx", "notes.txt", "a/b/c/deep.xls", "青川区.xlsx"]:  # fmt: skip
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    (root / "link.xlsx").symlink_to(root / "z.xlsx")  # one file, two names: the first found stays
    got = {}
    for keep in (100_000, 1):
        monkeypatch.setattr(toolkit.spool, "SPOOL_AFTER", keep)
        c = scan_paths([root, root / "a" / "x.xlsx", str(root / "*.xlsx")])
        got[keep] = ([str(f) for f in c.files], c.skipped, c.missing, len(c.files))
    assert got[1] == got[100_000]
    files = got[1][0]
    assert files == sorted(files)
    assert str(root / "a-b" / "x.xlsx") in files and str(root / "link.xlsx") in files
    assert str(root / "z.xlsx") not in files and not any(".hid" in f or "~$" in f for f in files)


def _limited(limit: int):
    def pre() -> None:  # in the child: files it writes may not grow past ``limit`` (SIGXFSZ is
        import resource  # ignored by Python, so the write fails with EFBIG instead)

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


@pytest.mark.skipif(not LINUX, reason="RLIMIT_FSIZE")
def test_a_temporary_folder_that_fills_up_is_one_chinese_line(tmp_path):
    """The spilled records' database cannot grow (a full disk, a size limit): one Chinese line
    naming the temporary folder, exit 2, no traceback, no output and nothing left behind."""
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(tmp),
        "XXGK_SPOOL_AFTER": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cmd = [sys.executable, "-m", "toolkit", "merge", SAMPLES, "--roster", SAMPLES / "roster.csv"]
    r = subprocess.run(
        [*map(str, cmd), "-o", str(out / "s.xlsx")],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_limited(48 * 1024),
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and str(tmp) in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert list(tmp.iterdir()) == [] and list(out.iterdir()) == []


def test_no_usable_temporary_folder_is_a_spool_error(tmp_path, monkeypatch):
    """The temporary folder is gone when the records spill: SpoolError (the command's one line),
    not FileNotFoundError naming an xxgk-….sqlite file."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    with pytest.raises(toolkit.spool.SpoolError, match="gone"):
        merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025, spool_after=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not LINUX, reason="file names of arbitrary bytes")
def test_odd_names_give_the_same_outputs_spilled(tmp_path, monkeypatch):
    """Agency names that sort or compare subtly (identical, full-width, decomposed accents, a
    character outside the BMP, 3,000 characters, a right-to-left mark) in files whose names are
    undecodable bytes, very long or identical but for a space: merge and validate give the same
    bytes held in memory and spilled to SQLite."""
    import shutil

    from toolkit.model import Submission
    from toolkit.spec import load_spec
    from toolkit.template import make_template

    spec = load_spec()
    src = tmp_path / "in"
    src.mkdir()
    names = [
        "青川区甲局",
        "青川区甲局",
        "Ａ局",
        "A局",
        "é局",
        "e\u0301局",
        "😀局",
        "局" * 3000,
        "\u202e乙局",
        "丙局 ",
    ]
    for i, name in enumerate(names):
        make_template(
            src / f"f{i:02}.xlsx",
            Submission(
                spec=spec, cover={"agency": name, "year": 2025}, values={"t3.granted.natural_person": i}
            ),
        )
    shutil.copy(src / "f00.xlsx", os.fsencode(src) + b"/\xff\xfe\xb0\xa1.xlsx")
    shutil.copy(src / "f01.xlsx", src / ("长" * 80 + ".xlsx"))
    shutil.copy(src / "f02.xlsx", src / "f02 .xlsx")
    runs = {
        "merge": ["merge", src, "--year", "2025", "--format", "json"],
        "validate": ["validate", src, "--year", "2025", "--format", "json", "--jobs", "2"],
    }
    for name, args in runs.items():
        got = []
        for keep in ("100000", "1"):
            out = tmp_path / keep / "m.json"
            out.parent.mkdir(exist_ok=True)
            monkeypatch.setenv("XXGK_SPOOL_AFTER", keep)
            r = run_cli(*args, *(["-o", out] if name == "merge" else []))
            got.append(
                (
                    r.returncode,
                    r.stdout.replace(str(out), "<out>"),
                    r.stderr,
                    out.read_bytes() if out.exists() else None,
                )
            )
        assert got[0][0] in (0, 1) and "Traceback" not in got[0][2], got[0][2]
        assert got[0] == got[1], name
