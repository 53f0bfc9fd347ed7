"""Several instances of the report's tables in one document, told apart before any number is read.

A comparison rendering prints two years side by side (2023's 表三 on the left, 2024's on the
right, as a PDF page or a web page's table): every line then carries two labels and two sets of
numbers. Read as one table, the right-hand numbers land in the left-hand columns. Here such a
document is split into its instances **by geometry**: the labels that open the report's rows and
sections (:data:`ANCHORS`) printed twice on one line at two x positions give the gutter between
the instances; every positioned word goes to the instance on its side of the gutter. Each
instance's year comes from its own words (its title, or a year heading over its table).

Lines without positions (plain text) cannot be split by geometry: they are shared by the
instances (a title or a paragraph over both).
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
import unicodedata
from dataclasses import dataclass, field

from toolkit.importers.sources import Line, Word
from toolkit.importers.titles import title_of

__all__ = ["ANCHORS", "Instance", "side_by_side"]

# words that open the report's rows and sections; each occurs once in one instance
ANCHORS = (
    "本年新收",
    "上年结转",
    "结转下年度",
    "予以公开",
    "部分公开",
    "总体情况",
    "主动公开政府信息情况",
    "存在的主要问题",
)
_STRIP = re.compile(r"[\s\u3000（）()、.．,，:：]")
_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


def _norm(s: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", s))


@dataclass
class Instance:
    lines: list[Line] = field(default_factory=list)
    side: str = ""  # 左侧 / 右侧
    year: int | None = None
    year_from: str = ""  # where the year was read: 标题 / 表头


def _doubled(ln: Line) -> tuple[float, float] | None:
    """On a line that prints one anchor twice side by side (the left-hand copy ending before the
    right-hand one begins): where the left copy ends and the right one begins; else None."""
    flat = ln.text.replace(" ", "")
    if not any(flat.count(a) >= 2 for a in ANCHORS):  # most lines: no anchor printed twice
        return None
    hits: dict[str, list[Word]] = {}
    for w in ln.words:
        if w.x0 is None or w.x1 is None:
            continue
        n = _norm(w.text)
        for a in ANCHORS:
            if a in n:
                hits.setdefault(a, []).append(w)
                break
    for ws in hits.values():
        if len(ws) != 2:
            continue
        left, right = sorted(ws, key=lambda w: w.x0 or 0.0)
        if (left.x1 or 0.0) < (right.x0 or 0.0):
            return left.x1 or 0.0, right.x0 or 0.0
    return None


def _gutter(words: list[Word], lo: float, hi: float) -> float:
    """The x between ``lo`` and ``hi`` that the fewest words cross, in the widest such gap: the
    empty strip between two pages or two tables printed side by side. One sort and one sweep
    (a difference array over the gaps between word edges): n log n in the words."""
    boxes = [(w.x0 or 0.0, w.x1 or 0.0) for w in words if w.x0 is not None and w.x1 is not None]
    edges = sorted({lo, hi, *(x for b in boxes for x in b if lo < x < hi)})
    if len(edges) < 2:
        return hi
    diff = [0] * len(edges)
    for a, b in boxes:  # a box crosses the gaps [e_k, e_k+1] that lie within [a, b]
        k0 = bisect.bisect_left(edges, a)
        k1 = bisect.bisect_right(edges, b) - 2
        if k0 <= k1:
            diff[k0] += 1
            diff[k1 + 1] -= 1
    best: tuple[int, float, float] | None = None
    crossing = 0
    for k, (x0, x1) in enumerate(itertools.pairwise(edges)):
        crossing += diff[k]
        key = (crossing, -(x1 - x0), (x0 + x1) / 2)
        if best is None or key < best:
            best = key
    return best[2] if best is not None else hi


def side_by_side(lines: list[Line]) -> list[Instance] | None:
    """The document's side-by-side instances (left, right), or None when it has one. Two lines or
    more must print an anchor twice: an ordinary report, whose anchors stand once on a line, is
    never split. The gutter is found per page: between the anchors' copies, the strip the fewest
    words cross (the widest such strip)."""
    pairs: dict[int, list[tuple[float, float]]] = {}
    for ln in lines:
        if ln.geometric:
            d = _doubled(ln)
            if d is not None:
                pairs.setdefault(ln.page, []).append(d)
    if sum(len(v) for v in pairs.values()) < 2:
        return None
    split: dict[int, float] = {}
    for page, ps in pairs.items():
        lo, hi = max(p[0] for p in ps), min(p[1] for p in ps)
        if lo >= hi:
            lo = min(p[0] for p in ps)
        words = [w for ln in lines if ln.page == page and ln.geometric for w in ln.words]
        split[page] = _gutter(words, lo, hi)
    split_all = statistics.median(split.values())
    left, right = Instance(side="左侧"), Instance(side="右侧")
    for ln in lines:
        if not ln.geometric:
            left.lines.append(ln)
            right.lines.append(ln)
            continue
        x = split.get(ln.page, split_all)
        lw = [w for w in ln.words if ((w.x0 or 0.0) + (w.x1 or 0.0)) / 2 < x]
        rw = [w for w in ln.words if ((w.x0 or 0.0) + (w.x1 or 0.0)) / 2 >= x]
        if lw:
            left.lines.append(Line(lw, ln.page, True, ln.table_row))
        if rw:
            right.lines.append(Line(rw, ln.page, True, ln.table_row))
    for inst in (left, right):
        inst.year, inst.year_from = _year_of(inst.lines)
    return [left, right]


def _year_of(lines: list[Line]) -> tuple[int | None, str]:
    """An instance's year: a year printed over its 表三 in its own (positioned) words — a heading
    "2023年" / "2023年度" — else the title among its own words. A title shared by both instances
    (a line without positions) says nothing about either."""
    own = [ln for ln in lines if ln.geometric]
    first = next((i for i, ln in enumerate(own) if "本年新收" in _norm(ln.text)), None)
    if first is not None:
        for ln in reversed(own[max(0, first - 12) : first]):  # the nearest year heading above
            t = _norm(ln.text)
            years = _YEAR.findall(unicodedata.normalize("NFKC", ln.text))
            if len(set(years)) == 1 and len(t) <= 24:
                return int(years[0]), "表头"
    _, year, _ = title_of([ln.text for ln in own], limit=60)
    return (year, "标题") if year is not None else (None, "")
