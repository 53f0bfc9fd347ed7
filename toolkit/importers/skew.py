"""Skewed PDF text (a scan straightened badly, a print turned on the glass): levelled or refused.

A page whose text runs at an angle puts a table row's numbers on the band of the row above or
below: read as it stands, a total would come from another row. The angle is fitted from the
characters' boxes: each pair of neighbouring characters of one word gives the slope of its
baseline (through their origins), and the median over the page is the page's angle. When the pairs agree, every
character box is turned back about the page centre before words and lines are formed; when they
do not (text at several angles), the page is refused rather than read across its rows.

The corrections made while a file is read are collected in :data:`corrections` (a context
variable the importer sets), to be said in the import's notes.
"""

from __future__ import annotations

import ctypes
import math
import statistics
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

__all__ = [
    "MAX_SKEW_DEGREES",
    "MIN_SKEW_DEGREES",
    "SkewUnreadable",
    "corrections",
    "level",
    "page_angle",
    "quarter_turn",
]

MIN_SKEW_DEGREES = 0.3  # below this a row's numbers stay within its band across a page
MAX_SKEW_DEGREES = 15.0  # beyond this it is a rotated table or a stamp, not a skew
AGREEMENT = 0.6  # the share of character pairs within 0.5° of the median to trust the angle
MIN_PAIRS = 20
SAMPLE_PAIRS = 150  # pairs of neighbouring characters looked at per page, spread over it
_NOT_CHAR = "\ufffe\uffff\x00"

corrections: ContextVar[list[tuple[int, float]] | None] = ContextVar("skew_corrections", default=None)


class SkewUnreadable(Exception):
    """Text at several angles on one page: no angle to level it by."""


class _Levelled:
    """A text page whose character boxes are turned back by the page's angle."""

    def __init__(self, tp: Any, degrees: float, centre: tuple[float, float]) -> None:
        self.tp = tp
        t = math.radians(degrees)
        self.cos, self.sin = math.cos(t), math.sin(t)
        self.cx, self.cy = centre

    def get_text_range(self, *args: Any, **kw: Any) -> str:
        return self.tp.get_text_range(*args, **kw)

    def get_charbox(self, i: int, *args: Any, **kw: Any) -> tuple[float, float, float, float]:
        left, bottom, right, top = self.tp.get_charbox(i, *args, **kw)
        x, y = (left + right) / 2 - self.cx, (bottom + top) / 2 - self.cy
        # the box of a turned glyph is wider and taller by the turn: its own size, back upright
        w = max(0.0, (right - left) * self.cos - (top - bottom) * abs(self.sin))
        h = max(0.0, (top - bottom) * self.cos - (right - left) * abs(self.sin))
        w = w or (right - left)
        h = h or (top - bottom)
        nx = self.cx + x * self.cos + y * self.sin
        ny = self.cy - x * self.sin + y * self.cos
        return nx - w / 2, ny - h / 2, nx + w / 2, ny + h / 2


def _origins(tp: Any) -> Any:
    """A function giving a character's origin on its baseline (pdfium), else None."""
    try:
        import pypdfium2.raw as pdfium_c

        get = pdfium_c.FPDFText_GetCharOrigin
        raw = tp.raw
    except (ImportError, AttributeError):
        return None
    x, y = ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.byref(x), ctypes.byref(y)

    def origin(i: int) -> tuple[float, float] | None:
        return (x.value, y.value) if get(raw, i, px, py) else None

    return origin


class _Turned:
    """A text page turned back by a quarter turn (90°, 180° or 270°) about the page centre:
    a landscape table placed sideways on a portrait page, a page printed upside down. Exact:
    a glyph's box only swaps its width and height."""

    def __init__(self, tp: Any, quarters: int, centre: tuple[float, float]) -> None:
        self.tp, self.q = tp, quarters % 4
        self.cx, self.cy = centre
        self.raw_origin = _origins(tp)

    def get_text_range(self, *args: Any, **kw: Any) -> str:
        return self.tp.get_text_range(*args, **kw)

    def _back(self, x: float, y: float) -> tuple[float, float]:
        dx, dy = x - self.cx, y - self.cy
        for _ in range(self.q):  # each quarter: (dx, dy) -> (dy, -dx), a clockwise quarter turn
            dx, dy = dy, -dx
        return self.cx + dx, self.cy + dy

    def get_charbox(self, i: int, *args: Any, **kw: Any) -> tuple[float, float, float, float]:
        left, bottom, right, top = self.tp.get_charbox(i, *args, **kw)
        (x0, y0), (x1, y1) = self._back(left, bottom), self._back(right, top)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def origin(self, i: int) -> tuple[float, float] | None:
        o = self.raw_origin(i) if self.raw_origin is not None else None
        return self._back(*o) if o is not None else None


def quarter_turn(tp: Any, count: int) -> int:
    """How many quarter turns (counter-clockwise, 0 to 3) the page's text runs at: the direction
    most neighbouring characters of one word go from one to the next (right: 0, up: 1, left: 2,
    down: 3), when at least :data:`AGREEMENT` of them agree; else 0. A few characters set one
    under the other (a narrow column's header) do not turn a page."""
    text = tp.get_text_range(0, count) if count else ""
    if len(text) != count:
        return 0
    origin = _origins(tp)
    if origin is None:
        return 0
    votes = [0, 0, 0, 0]
    for dx, dy in _pairs(text, count, origin):
        d = math.hypot(dx, dy)
        if not 0.5 < d < 40.0:
            continue
        a_deg = math.degrees(math.atan2(dy, dx)) % 360.0
        k = round(a_deg / 90.0) % 4
        if abs((a_deg - 90.0 * k + 180.0) % 360.0 - 180.0) < MAX_SKEW_DEGREES:
            votes[k] += 1
    total = sum(votes)
    best = max(range(4), key=lambda k: votes[k])
    if total < MIN_PAIRS or best == 0 or votes[best] < AGREEMENT * total:
        return 0
    return best


def _pairs(text: str, count: int, origin: Any) -> Iterator[tuple[float, float]]:
    """(dx, dy) from one character's origin to the next one's, for :data:`SAMPLE_PAIRS` pairs of
    neighbouring printed characters spread over the page (spaces and non-characters skipped)."""
    step = max(1, count // SAMPLE_PAIRS)
    for i in range(0, count - 1, step):
        a, b = text[i], text[i + 1]
        if a.isspace() or b.isspace() or a in _NOT_CHAR or b in _NOT_CHAR:
            continue
        p, q = origin(i), origin(i + 1)
        if p is not None and q is not None:
            yield q[0] - p[0], q[1] - p[1]


def page_angle(tp: Any, count: int, origin: Any = None) -> tuple[float | None, float]:
    """(the page's text angle in degrees, the share of character pairs that agree with it within
    0.5°); None when too few pairs of neighbouring characters tell it. Each pair of neighbouring
    characters of one word gives the slope of the line through their origins (on the baseline);
    :data:`SAMPLE_PAIRS` pairs spread over the page are looked at. ``origin``: a character's
    origin (default: pdfium's, of ``tp``)."""
    text = tp.get_text_range(0, count) if count else ""
    if len(text) != count:
        return None, 0.0
    origin = origin or _origins(tp)
    if origin is None:
        return None, 0.0
    slopes: list[float] = []
    for dx, dy in _pairs(text, count, origin):
        # neighbours in one word: the next character a little to the right, on about the same
        # baseline (within 15°): a line's end and the next line's start are never such a pair
        if 0.5 < dx < 40.0 and abs(dy) < 0.27 * dx:
            slopes.append(math.degrees(math.atan2(dy, dx)))
    if len(slopes) < MIN_PAIRS:
        return None, 0.0
    angle = statistics.median(slopes)
    agree = sum(1 for s in slopes if abs(s - angle) <= 0.5) / len(slopes)
    return angle, agree


def level(tp: Any, count: int, page_no: int, centre: tuple[float, float]) -> Any:
    """The text page as is, or levelled when its text runs at an angle (said in
    :data:`corrections`): turned back first by the quarter turns it runs at (a sideways or
    upside-down page), then by its skew. Raises :class:`SkewUnreadable` when the angle cannot be
    trusted."""
    quarters = quarter_turn(tp, count)
    if quarters:
        turned = _Turned(tp, quarters, centre)
        angle, agree = page_angle(turned, count, turned.origin)
        if angle is None or abs(angle) > MAX_SKEW_DEGREES:
            angle, agree = 0.0, 1.0
        got = corrections.get()
        if got is not None:
            got.append((page_no, 90.0 * quarters + angle))
        if agree < AGREEMENT:
            raise SkewUnreadable(
                f"第{page_no}页的文字是斜的，且各处倾斜角度不一，无法矫正后按行读取表格；"
                "为免把别的行的数字读到这一行，未读取，请使用未倾斜的 PDF 原件或网页版本"
            )
        return turned if abs(angle) < MIN_SKEW_DEGREES else _Levelled(turned, angle, centre)
    angle, agree = page_angle(tp, count)
    if angle is None or abs(angle) > MAX_SKEW_DEGREES:
        return tp
    if agree < AGREEMENT:  # text at several angles: no one angle levels the page's rows
        raise SkewUnreadable(
            f"第{page_no}页的文字是斜的，且各处倾斜角度不一，无法矫正后按行读取表格；"
            "为免把别的行的数字读到这一行，未读取，请使用未倾斜的 PDF 原件或网页版本"
        )
    if abs(angle) < MIN_SKEW_DEGREES:
        return tp
    got = corrections.get()
    if got is not None:
        got.append((page_no, angle))
    return _Levelled(tp, angle, centre)
