"""``xxgk inspect`` of a large folder: the inspection workbook written under a memory limit, and
the problem list past Excel's last row said, not cut unsaid."""

from __future__ import annotations

import pytest

from tests.hostile.proc import run_python

pytest.importorskip("resource", reason="POSIX only: RLIMIT_AS")

_BUILD = """
import sys
from toolkit.findings import Finding
from toolkit.inspection import Inspected, write_workbook
from toolkit.model import Submission
from toolkit.spec import load_spec
import toolkit.inspection as ins

n, per, out, cap = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
if cap:
    ins.MAX_LIST_ROWS = cap  # Excel's row limit lowered to reach it with a few rows
spec = load_spec()
msg = "表三“第{}行”一行未找到，未读取的数字为未知（不按0计，也不会用别的行的数字顶替）"
fs = [Finding("IMPORT-NOT-FOUND", "warning", msg.format(i), "x.txt") for i in range(per)]
results = []
for i in range(n):  # what inspect holds for a folder of files that are no report: 36 problems each
    r = Inspected(f"报告/{i:05d}.txt", Submission(spec=spec), "text", 0, 203, 0.0)
    r.findings = fs
    results.append(r)
write_workbook(results, out)
"""


def _write(tmp_path, n: int, per: int, cap: int, memory: int):
    out = tmp_path / f"检查{n}.xlsx"
    code = f"import sys; sys.argv = ['x', '{n}', '{per}', r'{out}', '{cap}']\n" + _BUILD
    return run_python(code, memory=memory), out


def test_the_inspection_workbook_of_many_reports_is_written_in_bounded_memory(tmp_path):
    """20,000 files of a folder that are no report (36 problems each): the workbook held every
    cell until it was closed (700 MB for 720,000 problem rows), and inspect ended in a
    MemoryError under 1 GiB. Here 4,000 such results (144,000 rows; 170 MB held whole) are
    written in 128 MB of address space: rows go to disk as they are written."""
    r, out = _write(tmp_path, 4000, 36, 0, 128 * 1024 * 1024)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    import openpyxl

    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb["检查结论"].max_row == 4001
    assert wb["问题清单"].max_row == 4000 * 36 + 1
    wb.close()


def test_problems_past_the_last_row_are_said_not_dropped(tmp_path):
    """Past Excel's last row xlsxwriter drops a row without a word: the list ended there and
    nothing said that problems were left out. Now its last row says how many, and where to find
    them all (the row limit lowered to 50 to reach it)."""
    r, out = _write(tmp_path, 3, 36, 50, 1 << 30)
    assert r.returncode == 0, r.stderr[-2000:]
    import openpyxl

    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["问题清单"].iter_rows(values_only=True))
    wb.close()
    assert len(rows) == 1 + 50 + 1
    assert rows[-1][0] == "其余 58 条问题超出 Excel 的行数上限，未列出；完整清单请用 --format json 输出"


_COPIES = """
import sys
from toolkit.inspection import Inspected, _duplicates
from toolkit.model import Submission
from toolkit.spec import load_spec

n = int(sys.argv[1])
spec = load_spec()
subs = [Submission(spec=spec, values={"t2.regulations.issued": 1 + (i % 3 == 0)}) for i in range(2)]
group = [Inspected(f"镜像/第{i:05d}份.txt", subs[i % 3 == 0], "text", 203, 203, 1.0) for i in range(n)]
_duplicates(group)
longest = max(len(f.message) for g in group for f in g.findings)
print(len(group), sum(len(g.findings) for g in group), longest)
print(group[0].findings[0].severity, group[0].findings[0].message)
print(group[1].findings[0].severity, group[1].findings[0].message)
"""


def test_a_folder_of_many_copies_of_one_report_is_told_in_bounded_words():
    """A crawl that saved one agency's report 20,000 times (a mirror, a paginated listing): each
    copy's DUPLICATE-SUBMISSION named all the others — 20,000 × 20,000 file names (~8 GB of
    messages, and as many comparisons of all 203 numbers): MemoryError under 1 GiB. Each copy now
    says how many others there are and names a few."""
    code = "import sys; sys.argv = ['x', '20000']\n" + _COPIES
    r = run_python(code, memory=1 << 30, cpu=300)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    n, said, longest = map(int, lines[0].split())
    assert n == 20_000 and said == 20_000 and longest < 400, lines[0]
    # copy 0 is among the one-in-three with other numbers; copy 1 among the rest
    assert lines[1].startswith("error 同一机关同一年度还有 13333 份数字不同的报告（镜像/第00001份.txt、"), (
        lines[1]
    )
    assert "等）" in lines[1], lines[1]
    assert lines[2].startswith("error 同一机关同一年度还有 6667 份数字不同的报告（镜像/第00000份.txt、"), (
        lines[2]
    )
    assert "等）" in lines[2], lines[2]


_KEPT = """
import gc, sys, tracemalloc
from pathlib import Path
from toolkit.inspection import inspect_reports

files = sorted(Path(sys.argv[1]).iterdir())
inspect_reports(files[:20])  # the importer's caches made
gc.collect()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
results = inspect_reports(files[20:])
gc.collect()
print((tracemalloc.get_traced_memory()[0] - before) / len(results), len(results))
"""


def test_what_inspect_keeps_of_each_report_is_a_few_kilobytes(tmp_path):
    """inspect holds every report's result until the workbook is written: a national run of
    40,000 reports keeps 40,000. Each held ~45 KB (where each number stood, the totals as printed,
    every key a fresh string): 1.8 GB. Measured here as Python's own allocations kept per report
    (tracemalloc, not time): under 12 KB (~6 KB now). The RSS of a 40,000-report run is in
    the hostile32 report."""
    from tests.fixtures.build import clean_values
    from tests.report_texts import make_report

    d = tmp_path / "reports"
    d.mkdir()
    for i in range(220):
        text = make_report(clean_values(), agency=f"示例市第{i}局", year=2024)
        (d / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    r = run_python(f"import sys; sys.argv = ['x', r'{d}']\n" + _KEPT)
    assert r.returncode == 0, r.stderr[-2000:]
    per, n = r.stdout.split()
    assert int(n) == 200
    assert float(per) < 12 * 1024, per
