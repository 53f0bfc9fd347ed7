"""What a printed page shows, checked from the PDF a real application makes (LibreOffice for the
workbooks and the .docx, Chromium for the .html): every character's box from pdfplumber.

A fault a person would see on paper is one of: two characters printed over each other (a wrapped
label in a row too short for it, a header overprinting its neighbour); a character outside the page
(a line running past the margin); a character cut by a table rule (text spilling out of its cell);
a label that does not appear whole in the page's text; too many pages.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font descriptors LibreOffice writes sparsely

# full-width punctuation: its glyph fills half its box, and Chromium squeezes two in a row
_PUNCT = set("《》（）「」『』“”‘’，。、；：！？【】〔〕·—…")
_FOOTER = re.compile(r"第(\d+)页[，,]?共(\d+)页")


def norm(text: str) -> str:
    """NFKC (Chromium's text layer names some glyphs by their Kangxi radicals), no whitespace."""
    # ✓ and ✗ come from a fallback font, drawn after the rest of their line
    return re.sub(r"[\s✓✗]+", "", unicodedata.normalize("NFKC", text))


@dataclass
class Page:
    number: int
    width: float
    height: float
    chars: list[dict[str, Any]]
    edges: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """The characters in the order they were drawn: a wrapped cell's lines stay together."""
        return norm("".join(c["text"] for c in self.chars))

    def footer(self) -> str:
        """The text of the bottom margin (the last 7% of the page)."""
        low = [c for c in self.chars if c["top"] > self.height * 0.93]
        return norm("".join(c["text"] for c in sorted(low, key=lambda c: (round(c["top"]), c["x0"]))))


@dataclass
class Doc:
    path: Path
    pages: list[Page] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pages)


def load(path: Path) -> Doc:
    import pdfplumber

    doc = Doc(path)
    with pdfplumber.open(path) as pdf:
        for i, p in enumerate(pdf.pages, 1):
            chars = [
                {k: c[k] for k in ("text", "x0", "x1", "top", "bottom", "size")}
                for c in p.chars
                if c["text"].strip()
            ]
            edges = [{k: e[k] for k in ("orientation", "x0", "x1", "top", "bottom")} for e in p.edges]
            doc.pages.append(Page(i, float(p.width), float(p.height), chars, edges))
    return doc


def overlaps(page: Page, frac: float = 0.3) -> list[str]:
    """Pairs of characters whose boxes share more than ``frac`` of the smaller box."""
    boxes = page.chars
    grid: dict[tuple[int, int], list[int]] = {}
    for i, b in enumerate(boxes):
        for gx in range(int(b["x0"] // 24), int(b["x1"] // 24) + 1):
            for gy in range(int(b["top"] // 24), int(b["bottom"] // 24) + 1):
                grid.setdefault((gx, gy), []).append(i)
    seen: set[tuple[int, int]] = set()
    out = []
    for members in grid.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                A, B = boxes[i], boxes[j]
                w = min(A["x1"], B["x1"]) - max(A["x0"], B["x0"])
                h = min(A["bottom"], B["bottom"]) - max(A["top"], B["top"])
                if w <= 0 or h <= 0:
                    continue
                area = min(
                    (A["x1"] - A["x0"]) * (A["bottom"] - A["top"]),
                    (B["x1"] - B["x0"]) * (B["bottom"] - B["top"]),
                )
                limit = 0.55 if (A["text"] in _PUNCT or B["text"] in _PUNCT) else frac
                if area > 0 and w * h / area > limit:
                    out.append(f"“{A['text']}”×“{B['text']}” at ({A['x0']:.0f},{A['top']:.0f})")
    return out


def outside(page: Page, tol: float = 1.0) -> list[str]:
    return [
        f"“{c['text']}” at ({c['x0']:.0f},{c['top']:.0f})"
        for c in page.chars
        if c["x0"] < -tol or c["x1"] > page.width + tol or c["top"] < -tol or c["bottom"] > page.height + tol
    ]


def cut_by_rules(page: Page) -> list[str]:
    """Characters with a table rule through their middle: text spilling out of its cell."""
    hs = [e for e in page.edges if e["orientation"] == "h"]
    vs = [e for e in page.edges if e["orientation"] == "v"]
    out = []
    for c in page.chars:
        h, w = c["bottom"] - c["top"], c["x1"] - c["x0"]
        t, b, left, right = c["top"] + 0.3 * h, c["bottom"] - 0.3 * h, c["x0"] + 0.3 * w, c["x1"] - 0.3 * w
        hit = any(t < e["top"] < b and e["x0"] < right and e["x1"] > left for e in hs) or any(
            left < e["x0"] < right and e["top"] < b and e["bottom"] > t for e in vs
        )
        if hit:
            out.append(f"“{c['text']}” at ({c['x0']:.0f},{c['top']:.0f})")
    return out


def faults(doc: Doc) -> list[str]:
    """Every overprint, off-page character and rule through a character, per page.

    On a page of charts (its footer names 图表) only the tables left of the charts are checked:
    pdfminer places text inside a chart's drawing (a form XObject) at the wrong position; the
    charts themselves are checked by their anchors in the workbook."""
    out = []
    for p in doc.pages:
        if p.footer().startswith(norm("图表")):
            left = p.width * 0.33
            p = Page(p.number, p.width, p.height, [c for c in p.chars if c["x1"] < left],
                     [e for e in p.edges if e["x1"] < left])  # fmt: skip
        for kind, found in (("overprint", overlaps(p)), ("off page", outside(p)), ("cut", cut_by_rules(p))):
            if found:
                out.append(f"{doc.path.name} p{p.number} {kind}: {len(found)}, e.g. {'; '.join(found[:3])}")
    return out


def missing(doc: Doc, labels: list[str]) -> list[str]:
    """Labels that do not appear whole (in one piece, in drawing order) in the PDF's text."""
    text = doc.text
    return [lab for lab in labels if norm(lab) and norm(lab) not in text]


def pages_by_footer(doc: Doc, names: list[str]) -> dict[str, int]:
    """Pages per sheet, from the sheet name every page's footer carries; None: a page without."""
    count: dict[str, int] = {}
    for p in doc.pages:
        foot = p.footer()
        name = next((n for n in sorted(names, key=len, reverse=True) if norm(n) in foot), None)
        count[name or "（无页脚）"] = count.get(name or "（无页脚）", 0) + 1
    return count


def broken(doc: Doc, labels: list[str]) -> list[str]:
    """Short labels that are not printed on one line (a column too narrow for 商业企业)."""
    out = []
    for lab in labels:
        want = norm(lab)
        ok = False
        for p in doc.pages:
            text, owner = _indexed(p)
            start = text.find(want)
            while start >= 0 and not ok:
                tops = {round(p.chars[owner[k]]["top"]) for k in range(start, start + len(want))}
                ok = max(tops) - min(tops) <= 2
                start = text.find(want, start + 1)
            if ok:
                break
        if not ok:
            out.append(lab)
    return out


def gap_above(doc: Doc, heading: str) -> float | None:
    """Distance from the nearest rule above ``heading`` (a table's bottom) to the heading's text."""
    want = norm(heading)
    for p in doc.pages:
        text, owner = _indexed(p)
        i = text.find(want)
        if i < 0:
            continue
        cs = [p.chars[owner[k]] for k in range(i, i + len(want))]
        top, x0, x1 = min(c["top"] for c in cs), min(c["x0"] for c in cs), max(c["x1"] for c in cs)
        above = [
            e["bottom"]
            for e in p.edges
            if e["orientation"] == "h" and e["bottom"] <= top + 0.5 and e["x0"] < x1 and e["x1"] > x0
        ]
        return top - max(above) if above else float("inf")
    return None


def _indexed(page: Page) -> tuple[str, list[int]]:
    """The page's normalised text and, for each of its characters, the index of the char drawn."""
    parts, owner = [], []
    for i, c in enumerate(page.chars):
        t = norm(c["text"]) or "?"
        parts.append(t)
        owner += [i] * len(t)
    return "".join(parts), owner
