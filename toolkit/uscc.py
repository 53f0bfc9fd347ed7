"""统一社会信用代码 (GB 32100-2015): format and check digit."""

from __future__ import annotations

__all__ = ["is_valid_uscc", "uscc_check_char", "uscc_problem"]

_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(_CHARS)}


def uscc_check_char(first17: str) -> str:
    """The 18th character for the given first 17 (which must use the code's alphabet)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHARS[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when valid, else a Chinese description of what is wrong."""
    c = code.strip().upper()
    if len(c) != 18:
        return f"应为18位，实际为{len(c)}位"
    bad = sorted({ch for ch in c if ch not in _VALUE})
    if bad:
        return f"含有不允许的字符：{'、'.join(bad)}（不使用I、O、Z、S、V）"
    want = uscc_check_char(c[:17])
    if c[17] != want:
        return f"校验位应为 {want}，实际为 {c[17]}"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None
