"""Row heights for wrapped text (toolkit/textfit.py): the estimate the print test relies on."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from toolkit.textfit import col_px, line_count, page_scale, row_height, row_heights


def test_cjk_takes_twice_the_width_of_latin():
    px = col_px(20)  # 145 px: ~10 CJK characters of 10 pt, ~19 Latin
    assert line_count("政府信息公开", px, 10) == 1
    assert line_count("政府信息公开" * 3, px, 10) == 2
    assert line_count("t3.new_received" * 1, px, 10) == 1
    assert line_count("第一行\n第二行", px, 10) == 2


def test_latin_words_wrap_whole_and_a_long_word_breaks():
    px = col_px(10)
    assert line_count("abcdefgh abcdefgh", px, 10) == 2
    assert line_count("x" * 60, px, 10) >= 3


def test_merged_range_shares_its_growth_and_rows_keep_their_minimum():
    widths = {0: 10, 1: 10}
    text = "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    one = row_heights(widths, [(0, 0, 0, 0, text, 10)])
    assert one[0] == row_height(line_count(text, col_px(10), 10), 10)
    wide = row_heights(widths, [(0, 0, 0, 1, text, 10)])
    assert wide[0] < one[0]  # two columns wide: fewer lines
    merged = row_heights(widths, [(0, 0, 2, 0, text, 10)])
    assert sum(merged.values()) >= one[0] - 1 and len(merged) == 3
    assert row_heights(widths, [(5, 0, 5, 0, "短", 10)], {5: 120}) == {5: 120}


def test_page_scale_fits_the_width_and_never_enlarges():
    assert page_scale([10, 10], landscape=False) == 100
    portrait, landscape = page_scale([30] * 8, False), page_scale([30] * 8, True)
    assert portrait < landscape < 100
    assert sum(col_px(30) for _ in range(8)) * 0.75 * portrait / 100 <= 595 - 57.6


_TEXT = st.text(alphabet=st.sampled_from([*"政府信息公开（）abcXYZ il.,0129 \n\r&<", "\u3000"]), max_size=120)


def _edge_rows() -> list[tuple[str, str, str, int]]:
    """Texts of every length around each column's one-line bound: all CJK, all Latin, mixed."""
    out = []
    for k in range(0, 45):
        out.append(("政" * k, "a" * k, "i" * k, 0))
        out.append(("a" * k, "政" * k, "政a" * (k // 2), 1))
        out.append(("政府 " * (k // 3), "x" * k, "政" * k, 2))
    return out


@settings(max_examples=300, deadline=None)
@example(rows=_edge_rows())
@given(rows=st.lists(st.tuples(_TEXT, _TEXT, _TEXT, st.integers(0, 3)), min_size=1, max_size=8))
def test_the_status_sheets_rows_are_as_tall_as_row_heights_finds(rows):
    """报送情况's rows are fitted by a shortcut (a text of n characters is at most n em wide): the
    heights it writes are the ones row_heights finds for the same cells, whatever the text."""
    import re

    from toolkit.outputs.summary import STATUS_WIDTHS, STATUS_WRAP, _cols, _fitted

    _cols(len(STATUS_WIDTHS) - 1)
    cells = []
    for a, b, c, k in rows:
        row: list = ["", "", "", "", "", "", "", "", None, 0, k, ""]
        row[STATUS_WRAP[0]], row[STATUS_WRAP[1]], row[STATUS_WRAP[2]] = a, b, c
        cells.append(row)
    xml = b"".join(block for block, _ in _fitted(iter(cells), STATUS_WIDTHS, STATUS_WRAP, 3, 7)).decode()
    got = [(int(r), int(h) if h else None) for r, h in re.findall(r'<row r="(\d+)"(?: ht="(\d+)")?', xml)]
    widths = dict(enumerate(STATUS_WIDTHS))
    want = []
    for i, row in enumerate(cells):
        texts = [(0, c, 0, c, str(row[c]), 10.0) for c in STATUS_WRAP if row[c]]
        want.append((7 + i, row_heights(widths, texts).get(0)))
    assert got == want
