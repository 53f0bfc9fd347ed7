"""A province's own 2021 form: the national YAML (workbook_templates/gov-2021.yaml) with rows added
to 表三's 办理结果, as provinces add them (9.其他依法不予公开的情形, 4.申请人撤回申请 …), each counted
in （七）总计. Built from the repository's own YAML, so the national rows stay exactly as they are."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

_GROUPS = {
    "denied_inquiry": "（三）不予公开",
    "unable_unclear": "（四）无法提供",
    "rejected_confirmation": "（五）不予处理",
    "other_misc": "（六）其他处理",
}
# (the national row they follow, their label); past these, more of （六） numbered on
_ADDED = [
    ("denied_inquiry", "9.其他依法不予公开的情形"),
    ("unable_unclear", "4.其他无法提供的情形"),
    ("rejected_confirmation", "6.其他不予处理的情形"),
    ("other_misc", "4.申请人撤回申请"),
    ("other_misc", "5.转送有权机关办理"),
    ("other_misc", "6.告知通过其他途径办理"),
    ("other_misc", "7.合并办理的申请"),
    ("other_misc", "8.咨询类申请"),
]


def province_form(folder: Path, rows: int, labels: dict[int, str] | None = None) -> tuple[Path, list[str]]:
    """The province's form with ``rows`` rows added to 表三, written in ``folder``; returns its path
    and the added rows' keys (``t3.<key>.{col}``). ``labels``: the i-th added row's own label."""
    text = (ROOT / "workbook_templates" / "gov-2021.yaml").read_text(encoding="utf-8")
    text = text.replace("id: gov-2021", "id: sheng-2021", 1).replace(
        "name: 政府信息公开工作年度报告（2021年版格式）",
        "name: 政府信息公开工作年度报告（示例省2021年版格式）",
        1,
    )
    added: dict[str, list[tuple[str, str]]] = {}
    for i in range(rows):
        after, label = _ADDED[i] if i < len(_ADDED) else ("other_misc", f"{i + 1}.其他处理情形（{i + 1}）")
        label = (labels or {}).get(i, label)
        added.setdefault(after, []).append((f"added_{i}", label))
    for after, new in added.items():
        m = re.search(r"( +)- \{key: " + after + r", path: \[[^\n]*\]\}\n", text)
        assert m, after
        lines = "".join(
            f"{m.group(1)}- {{key: {key}, path: [三、本年度办理结果, {_GROUPS[after]}, {label}]}}\n"
            for key, label in new
        )
        text = text[: m.end()] + lines + text[m.end() :]
    start = text.index("sum: [granted")
    end = text.index("]", start)
    parts = [p.strip() for p in text[start + len("sum: [") : end].replace("\n", " ").split(",")]
    summed = [k for p in parts for k in (p, *(key for key, _ in added.get(p, [])))]
    text = text[:start] + "sum: [" + ", ".join(summed) + text[end:]
    path = folder / "示例省格式.yaml"
    path.write_text(text, encoding="utf-8")
    return path, [f"added_{i}" for i in range(rows)]
