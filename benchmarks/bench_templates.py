"""Templates from a roster: time per workbook, against xlsxwriter writing a bare workbook with
the same cells (no formatting, validation, checks or protection) in the same run.

    python benchmarks/bench_templates.py [N=1000]

Target: 1,000 templates in under 15 s on one core.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.spec import load_spec
from toolkit.template import make_roster_templates
from toolkit.uscc import uscc_check_char


def main(n: int) -> None:
    spec = load_spec()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        roster = d / "roster.csv"
        with roster.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["name", "code", "parent", "type"])
            for i in range(n):
                body = f"11110999{i:09d}"
                w.writerow([f"示例单位{i:05d}", body + uscc_check_char(body), "示例区", "部门"])
        t = time.perf_counter()
        files, findings = make_roster_templates(roster, d / "out", year=2025)
        ours = (time.perf_counter() - t) / n
        assert len(files) == n and not findings
        t = time.perf_counter()
        for i in range(min(n, 200)):
            wb = xlsxwriter.Workbook(str(d / f"bare{i}.xlsx"), {"in_memory": True})
            sheets = {name: wb.add_worksheet(name) for name in spec.sheets.values()}
            for c in spec.cells.values():
                sheets[c.sheet].write(c.row, c.col, 0)
            for lab in spec.labels:
                sheets[lab.sheet].write(lab.row, lab.col, lab.text)
            wb.close()
        bare = (time.perf_counter() - t) / min(n, 200)
    print(
        f"templates: {n} in {ours * n:.1f} s = {ours * 1000:.1f} ms each (target: 1,000 in < 15 s -> "
        f"{'met' if ours * 1000 < 15 else 'NOT met'}: {ours * 1000:.1f} ms vs 15 ms)"
    )
    print(
        f"baseline (bare xlsxwriter, same cells): {bare * 1000:.1f} ms each; ratio ours/baseline = {ours / bare:.2f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
