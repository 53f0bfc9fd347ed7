"""The values JSON: ``{"format": "gov-2021", "cover": {...}, "values": {"<key>": n}, "texts": {...}}``.

It is what ``xxgk template --values`` takes and ``xxgk export`` gives. Loading is strict: an
unknown key, a bad number or a wrong format is an error naming the key, never silently dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolkit.cells import parse_number
from toolkit.model import Submission
from toolkit.spec import FormSpec, load_spec

__all__ = ["ValuesError", "load_values", "submission_from_values"]


class ValuesError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_values(path: str | Path, spec: FormSpec | None = None) -> Submission:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ValuesError([f"找不到数值文件：{p}"]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValuesError([f"{p.name} 不是有效的 JSON：{exc}"]) from None
    sub = submission_from_values(data, spec)
    sub.source = str(p)
    return sub


def submission_from_values(data: Any, spec: FormSpec | None = None) -> Submission:
    spec = spec or load_spec()
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ValuesError(['数值文件应为 JSON 对象：{"format", "cover", "values"}'])
    unknown_top = set(data) - {"format", "cover", "values", "texts", "where"}
    if unknown_top:
        problems.append(f"未知的顶层字段：{'、'.join(sorted(unknown_top))}")
    fmt = data.get("format", spec.id)
    if fmt != spec.id:
        problems.append(f"format 为 {fmt!r}，应为 {spec.id!r}")
    sub = Submission(spec=spec)
    cover_keys = {f.key.split(".", 1)[1] for f in spec.cover}
    cover = data.get("cover") or {}
    if not isinstance(cover, dict):
        problems.append("cover 应为对象")
        cover = {}
    for k, v in cover.items():
        short = k.removeprefix("cover.")
        if short not in cover_keys:
            problems.append(f"cover 中未知的字段 {k!r}（可用：{'、'.join(sorted(cover_keys))}）")
        elif v is not None and not isinstance(v, str | int):
            problems.append(f"cover.{short} 应为文字或整数")
        else:
            sub.cover[short] = v
    values = data.get("values") or {}
    if not isinstance(values, dict):
        problems.append("values 应为对象")
        values = {}
    for k, v in values.items():
        cell = spec.cells.get(k)
        if cell is None or cell.kind not in ("input", "total"):
            problems.append(f"未知的数值键 {k!r}")
            continue
        kind = cell.type.kind if cell.type else "int"
        if isinstance(v, float) and kind == "int" and not v.is_integer():
            problems.append(f"{k}：{v!r} 不是整数")
            continue
        parsed = parse_number(v if not isinstance(v, float) else repr(v), kind)
        if parsed.value is None or parsed.problem in ("not_number", "placeholder"):
            problems.append(f"{k}：{v!r} 不是数字")
        elif parsed.problem == "negative" and cell.type is not None and cell.type.signed:
            if kind == "int" and not isinstance(parsed.value, int):
                problems.append(f"{k}：{v!r} 不是整数")
            else:
                sub.values[k] = parsed.value  # 本年增/减: a decrease is negative
        elif parsed.problem == "negative":
            problems.append(f"{k}：{v!r} 是负数")
        elif parsed.problem == "not_integer":
            problems.append(f"{k}：{v!r} 不是整数")
        elif cell.kind == "total":
            sub.reported[k] = parsed.value
        else:
            sub.values[k] = parsed.value
    texts = data.get("texts") or {}
    text_keys = {f.key for f in spec.texts}
    for k, v in texts.items() if isinstance(texts, dict) else []:
        if k not in text_keys:
            problems.append(f"texts 中未知的键 {k!r}（可用：{'、'.join(sorted(text_keys))}）")
        else:
            sub.texts[k] = str(v)
    if problems:
        raise ValuesError(problems)
    return sub
