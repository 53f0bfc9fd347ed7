"""``xxgk serve``'s roster registered again when it is large: what serve does at start-up with
``--roster`` (:func:`toolkit.regions.register`), in a child under a memory and a CPU-time limit."""

from __future__ import annotations

import pytest

from tests.hostile.proc import run_python

pytest.importorskip("resource", reason="POSIX only: RLIMIT_AS, RLIMIT_CPU")

_REGISTER = """
import sys, tempfile
from pathlib import Path
from toolkit.regions import register
from toolkit.roster import RosterEntry
from toolkit.store import WebStore
from toolkit.web.security import Keys

n = int(sys.argv[1])
db = Path(sys.argv[2])
keys = Keys.for_db(db)


def roster(tag):
    return [
        RosterEntry(f"{tag}单位{i}局", "", f"示例省/市{i % 10}/区{(i // 10) % 20}", "", i + 2) for i in range(n)
    ]


with WebStore(db, create=True) as st:
    register(st, 2025, roster("甲"), keys.fresh_token)
    out = register(st, 2025, roster("乙"), keys.fresh_token)  # every agency new, every old one gone
    print(out.new, len(out.removed), len(st.web_agencies(2025)))
"""


def test_a_large_roster_replaced_by_another_registers_in_linear_time(tmp_path):
    """A province's roster of 60,000 replaced by another (a new year's codes and names): each new
    agency's 操作记录 line built a set of every earlier agency — 32,000 took 100 s, 100,000
    (the roster's limit) would hold serve's start-up for 7 minutes. Here 60,000 under a CPU-time
    limit of 90 s (a hang guard: about 10 s of processor time are needed)."""
    code = f"import sys; sys.argv = ['x', '60000', r'{tmp_path / 'x.db'}']\n" + _REGISTER
    r = run_python(code, memory=2 << 30, cpu=90)
    assert r.returncode == 0, f"exit {r.returncode} (-24 or -9: the CPU limit)\n{r.stderr[-2000:]}"
    assert r.stdout.split() == ["60000", "60000", "60000"]
