"""Fast generation of many distinct filled workbooks for the benchmarks.

200 different filled workbooks are written by the real template writer; the rest are clones in
which only the agency name and code are rewritten in xl/sharedStrings.xml, so that every file is
a different agency (a merge must not see them as duplicates) without paying the writer each time.
"""

from __future__ import annotations

import random
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.model import Submission
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

BASES = 200


def code(i: int) -> str:
    body = f"11110999{i:09d}"
    return body + uscc_check_char(body)


def balanced(rng: random.Random) -> dict:
    v: dict = {}
    for col in ("natural_person", "business", "legal_service"):
        granted, held, denied = rng.randint(0, 40), rng.randint(0, 20), rng.randint(0, 5)
        out = rng.randint(0, 3)
        v[f"t3.granted.{col}"] = granted
        v[f"t3.unable_not_held.{col}"] = held
        v[f"t3.denied_process.{col}"] = denied
        v[f"t3.carried_out.{col}"] = out
        v[f"t3.new_received.{col}"] = granted + held + denied + out
    v["t2.admin_licensing.decisions"] = rng.randint(0, 5000)
    v["t2.normative_documents.in_force"] = rng.randint(0, 60)
    v["t4.review_upheld"] = rng.randint(0, 3)
    return v


def make_corpus(folder: Path, n: int, seed: int = 7) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    bases = []
    for b in range(min(BASES, n)):
        name = f"基准单位{b:06d}"
        p = folder / f"{b:06d}.xlsx"
        make_template(
            p, Submission(cover={"agency": name, "code": code(b), "year": 2025}, values=balanced(rng))
        )
        bases.append((p, name, code(b)))
    out = [p for p, _, _ in bases]
    for i in range(len(bases), n):
        src, name, c = bases[i % len(bases)]
        dst = folder / f"{i:06d}.xlsx"
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "xl/sharedStrings.xml":
                    data = data.replace(name.encode(), f"克隆单位{i:06d}".encode()).replace(
                        c.encode(), code(i).encode()
                    )
                zout.writestr(info, data)
        out.append(dst)
    return out


if __name__ == "__main__":
    files = make_corpus(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"{len(files)} workbooks in {sys.argv[1]}")
