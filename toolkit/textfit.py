"""How tall a row must be for its wrapped text: xlsxwriter cannot autofit, and neither Excel nor
LibreOffice fits a merged cell, so the writers estimate it from the text, the width of the (merged)
columns and the font size. CJK characters are one em wide, Latin letters and digits about half.

The estimate is on the generous side: LibreOffice draws the CJK fallback fonts (Noto CJK) with a
line height of ~1.45 em, taller than SimSun's 1.15 em in Excel; a row a little too tall in Excel
looks fine, a row too short overprints its neighbour.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

__all__ = ["col_px", "line_count", "row_height", "text_pt"]

LINE = 1.45  # line height in em (Noto CJK, LibreOffice's fallback for 宋体/仿宋/黑体)
PAD_PT = 4.0  # a cell's top and bottom padding together
PAD_PX = 8  # a cell's left and right padding together, in pixels


def col_px(width: float) -> int:
    """A column's width in pixels, as xlsxwriter writes it (Excel's default font, 7 px a digit)."""
    return int(width * 7 + 5) if width >= 1 else int(width * 12 + 0.5)


def _em_of(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F", "A") and ord(ch) > 0x2000:
        return 1.0
    if ch in "ilI.,:;|!'`()[] ":
        return 0.3
    if ch.isupper() or ch in "mwMW@%&":
        return 0.7
    return 0.56


class _Ems(dict):
    """A character's width in em, measured once (bounded): looked up from C by ``map``, twice as
    fast as a cached function (a summary measures every name and note of its 报送情况)."""

    def __missing__(self, ch: str) -> float:
        if len(self) >= 1 << 16:
            self.clear()
        em = self[ch] = _em_of(ch)
        return em


_EMS = _Ems()
_char_em = _EMS.__getitem__


def text_pt(text: str, size: float) -> float:
    """The width of ``text`` on one line, in points."""
    return sum(map(_char_em, text)) * size


def line_count(text: str, width_px: float, size: float) -> int:
    """Lines ``text`` takes in a cell ``width_px`` wide: greedy, CJK breaks anywhere, Latin at spaces."""
    avail = max(width_px - PAD_PX, 10) * 0.75 * 0.97  # px -> pt, and a little slack for rounding
    total = 0
    if "\r" in text:  # a CR is a line break as written (textsafe.xlsx_text makes it LF)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for para in text.split("\n"):
        if text_pt(para, size) <= avail:  # the whole paragraph fits: one line, as the greedy fill says
            total += 1
            continue
        lines, cur = 1, 0.0
        for word in _words(para):
            w = text_pt(word, size)
            if cur + w <= avail:
                cur += w
            elif w <= avail:
                lines, cur = lines + 1, w
            else:  # longer than a line: broken anywhere
                for ch in word:
                    cw = text_pt(ch, size)
                    if cur + cw > avail:
                        lines, cur = lines + 1, 0.0
                    cur += cw
        total += lines
    return total


def _words(text: str) -> Iterable[str]:
    """Units that wrap together: a run of Latin letters/digits with its trailing space, or one CJK char."""
    word = ""
    for ch in text:
        if _char_em(ch) == 1.0:
            if word:
                yield word
                word = ""
            yield ch
        else:
            word += ch
            if ch == " ":
                yield word
                word = ""
    if word:
        yield word


def row_height(lines: int, size: float) -> float:
    """Points for ``lines`` lines of ``size``-point text."""
    return math.ceil(lines * size * LINE + PAD_PT)


def row_heights(
    widths: dict[int, float],
    texts: Iterable[tuple[int, int, int, int, str, float]],
    minimum: dict[int, float] | None = None,
    default: float = 15,
) -> dict[int, float]:
    """Row heights (points) that hold every (first row, first col, last row, last col, text, size):
    a single row grows to its tallest text; a merged range shares its growth over its rows."""
    heights: dict[int, float] = dict(minimum or {})
    spans = []
    for r0, c0, r1, c1, text, size in texts:
        px = sum(col_px(widths.get(c, 8.43)) for c in range(c0, c1 + 1))
        need = row_height(line_count(text, px, size), size)
        if r0 == r1:
            heights[r0] = max(heights.get(r0, default), need)
        else:
            spans.append((r0, r1, need))
    for r0, r1, need in sorted(spans, key=lambda s: s[1] - s[0]):
        rows = range(r0, r1 + 1)
        have = sum(heights.get(r, default) for r in rows)
        if have < need:
            extra = (need - have) / len(rows)
            for r in rows:
                heights[r] = heights.get(r, default) + extra
    # 409 points: the tallest row Excel keeps (a longer text scrolls inside its cell)
    return {r: min(MAX_ROW_PT, math.ceil(h)) for r, h in heights.items() if h != default}


MAX_ROW_PT = 409  # the tallest row Excel keeps


A4 = (595.0, 842.0)  # points
MARGINS = 0.8 * 72  # left + right, as the writers set them (0.4 inch each)


def page_scale(widths: Iterable[float], landscape: bool) -> int:
    """The print scale (%) that fits columns of these widths on one A4 page's width.

    Used instead of "fit to 1 page wide": LibreOffice reads fitToHeight=0 (any height) as no
    fitting at all, and prints the right-hand columns on pages of their own."""
    pt = sum(col_px(w) for w in widths) * 0.75
    usable = ((A4[1] if landscape else A4[0]) - MARGINS) * 0.94  # LibreOffice rounds widths up
    return max(10, min(100, int(100 * usable / pt))) if pt else 100


FOOTER_LIMIT = 255  # characters of a header or footer, its codes included (Excel's limit)


def footer_words(who: str, room: int) -> str:
    """``who`` as the text of a footer part: each ``&`` doubled (printed as itself, not read as a
    code) and cut to at most ``room`` characters, the cut marked …: a name of many ``&`` doubled
    past Excel's 255 made xlsxwriter drop the footer with a warning on the console (and Excel
    calls a workbook with a longer one damaged)."""
    out = who.replace("&", "&&")
    if len(out) <= room:
        return out
    kept, n = [], 0
    for ch in who:
        n += 2 if ch == "&" else 1
        if n > room - 1:
            break
        kept.append(ch)
    return "".join(kept).replace("&", "&&") + "…"


def footer(who: str) -> str:
    """Sheet name, agency and year, page x of y: on every printed page."""
    # "&9" is the font size: digits right after it would be read as part of it ("&92025年度" is a
    # size of 92025 and prints 年度), so a text opening with a digit is set off by a space
    gap = " " if who[:1].isdigit() else ""
    head, tail = f"&L&9&A&C&9{gap}", "&R&9第 &P 页，共 &N 页"
    # room for 3 spaces more: openpyxl (a 批注版 copy) writes each font size followed by one
    return f"{head}{footer_words(who, FOOTER_LIMIT - 3 - len(head) - len(tail))}{tail}"
