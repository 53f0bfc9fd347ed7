"""Row heights for wrapped text (toolkit/textfit.py): the estimate the print test relies on."""

from __future__ import annotations

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
