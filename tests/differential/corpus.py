"""A corpus of perturbed workbooks for the differential reader test (toolkit vs LibreOffice).

Every workbook starts as a filled template of our own; then the sheet XML is rewritten in ways
that are still well-formed XML and still a workbook an application opens, but that a hand-made
reader could get wrong: XML comments (holding stale cells), CDATA, processing instructions,
prefixed namespaces, inline strings, character references, formulas without cached values, a
stale cell outside sheetData, numbers in odd lexical forms (``+12``, ``1.2E1``, ``012``, `` 12 ``,
``1_000``, full-width digits), and numbers stored as text. Seeded: the same seed gives the same corpus.

    python -m tests.differential.corpus OUTDIR [N] [SEED]
"""

from __future__ import annotations

import random
import re
import sys
import zipfile
from pathlib import Path

from toolkit.model import Submission
from toolkit.spec import FormSpec, load_spec
from toolkit.template import make_template

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# how one number cell's content may be written: (name, function of the integer -> (attrs, inner))
NUMBER_FORMS = [
    ("plain", lambda n: (b"", b"<v>%d</v>" % n)),
    ("plus", lambda n: (b"", b"<v>+%d</v>" % n)),
    ("exp", lambda n: (b"", b"<v>%sE1</v>" % (str(n / 10).encode()))),
    ("leading_zero", lambda n: (b"", b"<v>0%d</v>" % n)),
    ("spaces", lambda n: (b"", b"<v> %d </v>" % n)),
    ("decimal_zero", lambda n: (b"", b"<v>%d.0</v>" % n)),
    ("char_ref", lambda n: (b"", b"<v>&#%d;%s</v>" % (ord(str(n)[0]), str(n)[1:].encode()))),
    ("cdata", lambda n: (b"", b"<v><![CDATA[%d]]></v>" % n)),
    ("explicit_n", lambda n: (b' t="n"', b"<v>%d</v>" % n)),
    ("underscore", lambda n: (b"", b"<v>%s_0</v>" % str(n).encode())),
    (
        "fullwidth",
        lambda n: (b"", "<v>{}</v>".format("".join(chr(ord(c) + 0xFEE0) for c in str(n))).encode()),
    ),
    ("inline_text", lambda n: (b' t="inlineStr"', b"<is><t>%d</t></is>" % n)),
    ("str_result", lambda n: (b' t="str"', b"<v>%d</v>" % n)),
    ("formula_no_value", lambda n: (b"", b"<f>%d+0</f>" % n)),
    ("formula_value", lambda n: (b"", b"<f>%d*1</f><v>%d</v>" % (n, n))),
    ("comment_inside", lambda n: (b"", b"<!-- <v>999</v> --><v>%d</v>" % n)),
    ("empty", lambda n: (b"", b"")),
]


def _inputs(spec: FormSpec) -> list[str]:
    return [k for k, c in spec.cells.items() if c.kind == "input" and c.sheet in ("表二", "表三", "表四")]


def _sheet_part(names: list[str], sheet: str) -> str:
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def perturb_cell(xml: bytes, a1: str, n: int, form: str) -> bytes:
    """Rewrite the content of cell ``a1`` (written by our template as <c r=".." s=".."><v>..</v></c>)."""
    attrs, inner = dict(NUMBER_FORMS)[form](n)
    pat = re.compile(
        rb'<c r="'
        + a1.encode()
        + rb'"( s="[0-9]+")?(?: t="\w+")?>.*?</c>|<c r="'
        + a1.encode()
        + rb'"( s="[0-9]+")?/>',
        re.S,
    )
    m = pat.search(xml)
    if m is None:
        raise ValueError(a1)
    style = m.group(1) or m.group(2) or b""
    return (
        xml[: m.start()]
        + b'<c r="'
        + a1.encode()
        + b'"'
        + style
        + attrs
        + b">"
        + inner
        + b"</c>"
        + xml[m.end() :]
    )


def perturb_document(xml: bytes, how: str) -> bytes:
    if how == "comment_stale_row":  # a stale copy of a row inside a comment
        return xml.replace(
            b"<sheetData>", b'<sheetData><!-- <row r="6"><c r="D6"><v>777</v></c></row> -->', 1
        )
    if how == "pi":
        return xml.replace(b"<sheetData>", b"<sheetData><?xxgk note?>", 1)
    if how == "prefixed":  # every element in the x: prefix bound to the main namespace
        xml = re.sub(rb"<(/?)(?!\?)([A-Za-z][\w]*)([\s>/])", rb"<\1x:\2\3", xml)
        return xml.replace(b'xmlns="' + MAIN_NS + b'"', b'xmlns:x="' + MAIN_NS + b'"', 1)
    if how == "newlines":
        return xml.replace(b"<c ", b"\n  <c ").replace(b"<row ", b"\n<row ")
    if how == "attr_order":  # s= before r=
        return re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', xml)
    if how == "cell_outside":  # a stale cell in an extension list: not a cell to the applications
        ext = b'<ext uri="{xxgk-stale}"><c r="D6"><v>777</v></c></ext>'
        if b"</extLst>" in xml:
            return xml.replace(b"</extLst>", ext + b"</extLst>", 1)
        return xml.replace(b"</worksheet>", b"<extLst>" + ext + b"</extLst></worksheet>", 1)
    return xml


DOC_FORMS = ["none", "comment_stale_row", "pi", "prefixed", "newlines", "attr_order", "cell_outside"]


def build(outdir: Path, n: int = 200, seed: int = 20261126) -> list[tuple[Path, dict[str, str]]]:
    """Write ``n`` workbooks; returns (path, {key: form}) for every perturbed cell."""
    spec = load_spec()
    rng = random.Random(seed)
    keys = _inputs(spec)
    outdir.mkdir(parents=True, exist_ok=True)
    base_dir = outdir / "_base"
    base_dir.mkdir(exist_ok=True)
    out = []
    for i in range(n):
        values = {k: rng.randint(1, 98) for k in rng.sample(keys, 30)}
        base = make_template(
            base_dir / f"b{i}.xlsx",
            Submission(spec=spec, cover={"agency": f"差分局{i}", "year": 2025}, values=values),
        )
        chosen = rng.sample(keys, 8)
        forms = {k: NUMBER_FORMS[(i * 8 + j) % len(NUMBER_FORMS)][0] for j, k in enumerate(chosen)}
        doc = DOC_FORMS[i % len(DOC_FORMS)]
        z = zipfile.ZipFile(base)
        names = [s for s in spec.sheets.values()]
        # the sheet order our template writes is the spec's sheet order
        parts: dict[str, bytes] = {}
        for k, form in forms.items():
            c = spec.cells[k]
            part = _sheet_part(names, c.sheet)
            xml = parts.get(part) or z.read(part)
            parts[part] = perturb_cell(xml, c.a1, values.get(k, rng.randint(1, 98)) or 7, form)
            values[k] = values.get(k) or 7
        for part in {_sheet_part(names, s) for s in ("表二", "表三", "表四")}:
            parts[part] = perturb_document(parts.get(part) or z.read(part), doc)
        dst = outdir / f"d{i:03d}.xlsx"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
            for item in z.infolist():
                zo.writestr(item, parts.get(item.filename, z.read(item.filename)))
        z.close()
        out.append((dst, forms))
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    built = build(
        Path(args[0]), int(args[1]) if len(args) > 1 else 200, int(args[2]) if len(args) > 2 else 20261126
    )
    print(f"{len(built)} workbooks in {args[0]}")
