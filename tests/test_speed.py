"""What the speed work (issue 22) must not change: a merge's outputs, byte for byte, on a
2,000-file inbox with the optimisations on and off; the spilled roster answers as the one in
memory. (Timings are in benchmarks/, never here.)

Off means the code path as it was: the format settled by reading every file's declared property
in the main process before the pool (now the workers report it), the roster in memory (now in a
temporary database past ``roster.SPILL_AFTER`` agencies)."""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.corpus import code, make_corpus
from toolkit import roster as roster_mod
from toolkit.merge import merge
from toolkit.model import Submission
from toolkit.outputs.summary import write_summary
from toolkit.roster import read_roster
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.validate import declared_property, scan_paths


def _format_the_old_way(folder: Path):
    """What merge did before: every file's ``xxgk.format`` read in the main process first."""
    said = Counter(f for f in (declared_property(p, "format") for p in scan_paths([folder]).files) if f)
    return load_spec(said.most_common(1)[0][0]) if said else load_spec()


def _merged(folder: Path, out: Path, *, optimised: bool, roster: Path | None, jobs: int) -> bytes:
    spill = roster_mod.SPILL_AFTER
    roster_mod.SPILL_AFTER = 10 if optimised else 10**9
    try:
        r = read_roster(roster) if roster else None
        assert r is None or isinstance(r.entries, list) != optimised
        spec = None if optimised else _format_the_old_way(folder)
        summary = merge([folder], roster=r, jobs=jobs, spec=spec, spool_after=300)
        write_summary(summary, out)
        summary.records.close()
    finally:
        roster_mod.SPILL_AFTER = spill
    return out.read_bytes()


def _roster(path: Path, n: int) -> Path:
    rows = []
    for i in range(n):  # the corpus's agencies, half with their code; some expected but missing
        name = f"基准单位{i:06d}" if i < 200 else f"克隆单位{i:06d}"
        rows.append([name, code(i) if i % 2 else "", "基准区"])
    rows.append(["示例市其他局", "", "基准区"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    """2,000 workbooks of distinct agencies, plus what a real inbox holds: a damaged file, a copy,
    a report of another year, one in the 2019 format, a file that is no workbook."""
    d = tmp_path_factory.mktemp("inbox")
    files = make_corpus(d / "in", 2000)
    folder = files[0].parent
    (folder / "损坏.xlsx").write_bytes(files[5].read_bytes()[:3000])
    shutil.copy(files[7], folder / "重复报送.xlsx")
    make_template(folder / "上一年.xlsx", Submission(cover={"agency": "上年单位", "year": 2024}))
    old = load_spec("gov-2019")
    make_template(folder / "旧格式.xlsx", Submission(spec=old, cover={"agency": "旧格式单位", "year": 2020}))
    (folder / "说明.txt").write_text("不是报表", encoding="utf-8")
    return folder


@pytest.mark.parametrize("jobs", [2])
def test_merge_of_2000_files_is_byte_identical_with_and_without_the_optimisations(inbox, tmp_path, jobs):
    roster = _roster(tmp_path / "名单.csv", 2100)
    for with_roster in (None, roster):
        a = _merged(inbox, tmp_path / "old.xlsx", optimised=False, roster=with_roster, jobs=jobs)
        b = _merged(inbox, tmp_path / "new.xlsx", optimised=True, roster=with_roster, jobs=jobs)
        assert a == b, f"outputs differ (roster: {with_roster})"
        with zipfile.ZipFile(tmp_path / "new.xlsx") as zf:  # a real summary, not two empty ones
            assert "xl/worksheets/sheet1.xml" in zf.namelist()


def test_a_folder_mostly_in_another_format_is_merged_in_that_format(tmp_path):
    """The format most files declare is only known once the workers have read them: merged again
    in it, with the outputs of reading it first."""
    folder = tmp_path / "in"
    folder.mkdir()
    old = load_spec("gov-2019")
    for i in range(5):
        make_template(
            folder / f"旧{i}.xlsx", Submission(spec=old, cover={"agency": f"旧单位{i}", "year": 2020})
        )
    for i in range(2):
        make_template(folder / f"新{i}.xlsx", Submission(cover={"agency": f"新单位{i}", "year": 2020}))
    (folder / "坏.xlsx").write_bytes(b"PK\x03\x04 broken")
    for jobs in (1, 2):
        a = _merged(folder, tmp_path / "old.xlsx", optimised=False, roster=None, jobs=jobs)
        b = _merged(folder, tmp_path / "new.xlsx", optimised=True, roster=None, jobs=jobs)
        assert a == b
    assert merge([folder]).spec.id == "gov-2019"


def test_each_file_is_read_once_when_the_format_is_the_default(tmp_path):
    """Without --year a folder in the default format is read once: by the workers, who also
    report the declared format (the progress counts each file read)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        make_template(folder / f"{i}.xlsx", Submission(cover={"agency": f"单位{i}", "year": 2025}))
    for jobs in (1, 2):
        seen: list[tuple[int, int]] = []
        summary = merge([folder], jobs=jobs, progress=lambda i, n, seen=seen: seen.append((i, n)))
        assert summary.spec.id == "gov-2021" and summary.submission.year == 2025
        assert seen == [(i, 6) for i in range(1, 7)]


def test_spilled_roster_answers_as_in_memory(tmp_path):
    names = [
        "青川区民政局",
        "示例市青川区民政局",
        "示例省示例市青川区民政局",
        "民政局",
        "青川县财政局",
        "（示例）办公室",
    ]
    rows = [["name", "code", "parent", "type"]]
    for i in range(400):
        rows.append(
            [f"{names[i % len(names)]}{i // 7 or ''}", code(i) if i % 3 == 0 else "", f"区{i % 4}", ""]
        )
    rows.append(["重名局", "", "", ""])
    rows.append(["重名局", code(9999), "", ""])
    p = tmp_path / "r.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    mem, disk = read_roster(p), read_roster(p)
    disk.spill()
    assert not isinstance(disk.entries, list)
    assert list(disk.entries) == list(mem.entries) and len(disk.entries) == len(mem.entries)
    assert disk.entries[3] == mem.entries[3] and disk.entries[-1] == mem.entries[-1]
    queries = {r[0] for r in rows[1:]} | {n + "9" for n in names} | {"不在名单", "示例市民政局", ""}
    queries |= {"示例省" + r[0] for r in rows[1:]} | {r[0][3:] for r in rows[1:]}
    codes = ["", code(0), code(3), code(9999), "X"]
    hits = 0
    for q in queries:
        for c in codes:
            assert disk.find(q, c) == mem.find(q, c), (q, c)
        assert disk.similar(q) == mem.similar(q), q
        hits += mem.similar(q) is not None
    assert hits > 5  # the place-prefix look-up was exercised
