"""信息处理费 figures from a published report's sentences (六、其他需要报告的事项).

The national form asks for three figures; reports write them in sentences of a few common forms:

* ``发出收费通知3件，总金额500元，实际收取的总金额380元`` (the form's own words; ``为``/``共计``,
  ``通知书``/``份``, ``万元`` and thousands separators allowed);
* ``共收取信息处理费共计380元`` / ``收取信息处理费0.038万元`` (the amount collected);
* ``无收取信息处理费情况`` / ``未收取信息处理费`` / ``没有产生信息处理费`` / ``未发出收费通知``:
  nothing collected (and no notice), read as 0 where no sentence gives the figure itself.

Amounts in 万元 are converted to 元 (the form's unit). A figure no sentence states is not read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["FeeReading", "read_fees"]

_N = r"([0-9][0-9,，]{0,20}(?:\.[0-9]{1,6})?)"  # bounded: no backtracking over a run of digits
_IS = r"(?:为|是|共|共计|合计|总计|达|约)?"
_PATS: dict[str, list[str]] = {
    "s6.fee_notices": [
        rf"发出(?:了)?(?:信息处理费)?(?:的)?收费通知(?:书|单)?(?:件数|数量)?{_IS}{_N}(?:件|份|次|张|个)",
    ],
    "s6.fee_collected": [
        rf"实际收取(?:的)?(?:信息处理费)?(?:总)?金额{_IS}{_N}(万?)元",
        rf"实际收(?:取|到)(?:了)?(?:信息处理费)?{_IS}{_N}(万?)元",
        rf"(?<!未)(?<!没有)(?<!无)收取(?:了)?(?:政府信息公开)?信息处理费(?:用)?(?:金额)?{_IS}{_N}(万?)元",
        rf"收取(?:了)?(?:政府信息公开)?信息处理费(?:用)?\d{{1,6}}(?:笔|次|件)?{_IS}{_N}(万?)元",
    ],
    "s6.fee_notified": [
        rf"收费通知(?:书|单)?(?:的)?(?:总)?金额{_IS}{_N}(万?)元",
        rf"(?<!实际收取的)(?<!实际收取)(?<!收取的)总金额{_IS}{_N}(万?)元",
    ],
}
_NONE = re.compile(
    r"(?:无|未|没有|不存在|未发生|未曾|均未|均无|并未)(?:任何)?(?:收取|产生|发生|涉及)(?:任何)?(?:政府信息公开)?信息处理费"
    r"|(?:无|未|没有|不存在)(?:政府信息公开)?信息处理费(?:收取|收费)?(?:情况|情形|事项)"
    r"|信息处理费(?:收取)?(?:情况)?(?:为|：|:)?(?:无|0元|零元|0\.00元)(?![0-9])"
    r"|(?:未|没有|无)(?:发出|出具|开具)(?:任何)?(?:信息处理费)?收费通知"
)


@dataclass(frozen=True)
class FeeReading:
    value: Decimal
    sentence: str  # the words it was read from
    implied: bool = False  # 0 from a "nothing collected" sentence, not a printed figure


def _compact(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", t)


def _amount(num: str, wan: str) -> Decimal | None:
    try:
        v = Decimal(num.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    return v * 10000 if wan == "万" else v


def read_fees(text: str, keys: list[str]) -> dict[str, FeeReading]:
    """The fee figures of ``keys`` that the text states (or implies as 0, said so)."""
    t = _compact(text)
    out: dict[str, FeeReading] = {}
    taken: list[tuple[int, int]] = []  # spans read as one figure are no other figure
    for key in ("s6.fee_notices", "s6.fee_collected", "s6.fee_notified"):
        if key not in keys:
            continue
        for pat in _PATS[key]:
            m = next(
                (
                    m
                    for m in re.finditer(pat, t)
                    if not any(a < m.end(1) and m.start(1) < b for a, b in taken)
                ),
                None,
            )
            if m is None:
                continue
            wan = m.group(2) if m.lastindex and m.lastindex >= 2 else ""
            v = _amount(m.group(1), wan or "")
            if v is None:
                continue
            out[key] = FeeReading(v, m.group(0))
            taken.append((m.start(1), m.end(1)))
            break
    none = _NONE.search(t)
    if none is not None:
        for key in keys:
            if key not in out:
                out[key] = FeeReading(Decimal(0), none.group(0), implied=True)
    return out
