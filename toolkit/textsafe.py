"""One cleaner per output kind: text that came from a file never becomes code anywhere.

Agency names, file names, typed cell text and report paragraphs come from strangers' files. Each
writer passes such text through the function for its output kind, at the write site:

==============  ===============================================================================
``xlsx_text``   xlsx cells written with xlsxwriter's ``write_string`` (never a formula): characters
                XML 1.0 cannot hold (C0 controls but TAB/LF, U+FFFE/U+FFFF, lone surrogates)
                removed, CR/CRLF made LF, at most 32,767 characters (Excel's cell limit) with a
                marker. xlsxwriter itself keeps a literal ``_x000D_`` literal (``_x005F_x000D_``).
``xlsx_xml``    the same, XML-escaped for sheet XML the toolkit streams itself (the summary's
                明细 rows), including the literal-``_xHHHH_`` escape Excel uses.
``csv_cell``    a CSV field: a text starting with ``= + - @`` TAB or CR gets a leading ``'``
                (OWASP's advice against CSV injection), control characters (C0, DEL, C1) removed first.
``md_text``     Markdown: HTML markup (``< > &``) and Markdown-active characters escaped, one line.
``html_text``   HTML: ``html.escape`` plus control characters removed.
``docx_text``   python-docx run text: characters XML cannot hold removed (they made it raise).
``term_text``   the terminal: ESC, C0/C1 controls, DEL and bidi overrides made visible as ``\\x1b``
                style escapes, so a name cannot move the cursor, retitle the window or hide text.
``json_text``   ``json.dumps`` whose output is also safe on a terminal (C1, DEL, U+2028/9, bidi
                and lone surrogates as ``\\uXXXX``; still the same JSON value).
``shown_text``  text a page shows (Jinja's finalize): controls and bidi overrides removed.
``typed_text``  what a person typed into a page (a 退回 note), before it is stored: control
                characters, bidi embeddings/overrides/isolates and invisible format characters
                removed, whitespace runs made one space, bounded.
``excel_unescape``  Excel's ``_xHHHH_`` escapes decoded (``_x000D_`` is a CR): for read text that
                goes into a report.
==============  ===============================================================================
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "XLSX_MAX_CHARS",
    "csv_cell",
    "docx_text",
    "excel_unescape",
    "html_text",
    "json_text",
    "md_text",
    "shown_text",
    "term_text",
    "typed_text",
    "xlsx_text",
    "xlsx_xml",
]

XLSX_MAX_CHARS = 32_767  # Excel's limit for one cell; xlsxwriter refuses longer strings (-2)
TRUNCATED = "…（以下已截断）"

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
# what a terminal may act on: C0 (TAB kept), DEL, C1 (0x9b is CSI on 8-bit terminals), line and
# paragraph separators, bidi embeddings/overrides/isolates (text that reads other than it is)
_TERM_BAD = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_JSON_BAD = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CSV_ACTIVE = ("=", "+", "-", "@", "\t", "\r")


def _newlines(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n") if "\r" in s else s


def xlsx_text(v: Any, limit: int = XLSX_MAX_CHARS) -> str:
    """Text for an xlsx string cell (xlsxwriter ``write_string`` or openpyxl); ``limit``: a
    shorter bound where Excel has one (a page footer holds 255 characters with its codes)."""
    s = _XML_BAD.sub("", _newlines(str(v)))
    if len(s) > limit:
        s = s[: limit - len(TRUNCATED)] + TRUNCATED
    return s


def xlsx_xml(v: Any) -> str:
    """``xlsx_text`` as the content of ``<t>`` in sheet XML written by hand: markup escaped, and a
    literal ``_xHHHH_`` written as ``_x005F_xHHHH_`` so Excel shows it as typed."""
    s = xlsx_text(v)
    if "_x" in s:
        s = _EXCEL_ESCAPE.sub(r"_x005F_x\1_", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def csv_cell(v: Any) -> Any:
    """A CSV field: numbers unchanged; text that a spreadsheet would run as a formula gets a
    leading single quote (OWASP), control characters removed (C0 but TAB/CR/LF, which csv quotes;
    DEL, C1: a CSV printed to a terminal moves no cursor)."""
    if v is None or (isinstance(v, int | float) and not isinstance(v, bool)):
        return v
    s = _CONTROLS.sub("", str(v))  # first: "\x1b=cmd" must not become "=cmd" after the check
    if s.startswith(_CSV_ACTIVE):
        s = "'" + s
    return s


def excel_unescape(s: str) -> str:
    """Decode Excel's ``_xHHHH_`` escapes (``_x000D_`` → CR; ``_x005F_x000D_`` → ``_x000D_``)."""
    if "_x" not in s:
        return s
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def docx_text(v: Any) -> str:
    """Text for a python-docx run: what XML cannot hold is removed; CR made LF (a line break)."""
    return _XML_BAD.sub("", _newlines(str(v)))


def html_text(v: Any) -> str:
    """Text for HTML element content or a quoted attribute."""
    s = _CONTROLS.sub("", _newlines(str(v)))
    # html.escape(s, quote=True), spelled out: the html module imports its 2,000 entities (start-up)
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


_MD_ANYWHERE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^()([#>+=-]|[0-9]+(?=[.)]))")


def md_text(v: Any) -> str:
    """Text for one Markdown line or table cell: HTML markup escaped as entities, Markdown's
    active characters backslash-escaped (emphasis, links, code, tables, and at the start of the
    line headings, quotes, lists), newlines made spaces."""
    s = _CONTROLS.sub("", _newlines(str(v)).replace("\n", " ").replace("\t", " ")).strip(" ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_ANYWHERE.sub(r"\\\1", s)
    m = _MD_LINE_START.match(s)
    if m:
        if m.group(2)[0].isdigit():  # "1. " would start a list: escape the dot
            end = m.end()
            s = s[:end] + "\\" + s[end:]
        elif m.group(2) == ">":
            pass  # already "&gt;"
        else:
            s = s[: m.start(2)] + "\\" + s[m.start(2) :]
    return s


# typed text: C0/C1/DEL, zero-width and direction marks, line/paragraph separators, bidi
# embeddings/overrides/isolates, invisible operators and deprecated format characters, BOM,
# surrogates and noncharacters
_TYPED_BAD = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ud800-\udfff\ufffe\uffff]"
)


def typed_text(v: Any, limit: int = 2000) -> str:
    """One line of what a person typed into a form, as it is stored and later shown in pages,
    CSVs and reports: nothing that moves a cursor, reverses the reading order or hides itself
    (NUL, ESC, U+202E …); TAB and newlines made spaces; at most ``limit`` characters."""
    return " ".join(_TYPED_BAD.sub("", str(v)).split())[:limit]


_SHOWN_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def shown_text(v: str) -> str:
    """Text as a page shows it, whatever was stored before input was cleaned: C0 controls (but
    TAB/LF/CR), DEL, C1, bidi embeddings/overrides/isolates and lone surrogates removed; layout
    and everything else as it is."""
    return _SHOWN_BAD.sub("", v) if _SHOWN_BAD.search(v) else v


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def term_text(v: Any) -> str:
    """One line for the terminal: control characters (ESC, OSC, C1, newlines) and bidi overrides
    shown as escapes (``\\x1b``), never acted on."""
    return _TERM_BAD.sub(_visible, str(v))


def term_lines(v: Any) -> str:
    """Several lines for the terminal: each line as ``term_text``, LF kept between them."""
    return "\n".join(term_text(line) for line in str(v).split("\n"))


def json_text(obj: Any, **kwargs: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, **kwargs)``, with the characters a terminal acts on
    (C1, DEL, line separators, bidi) and lone surrogates (not encodable) written as ``\\uXXXX``.
    ``json.dumps`` already escapes C0; outside strings its output is ASCII, so this stays the
    same JSON value."""
    s = json.dumps(obj, ensure_ascii=False, **kwargs)
    return _JSON_BAD.sub(lambda m: f"\\u{ord(m.group(0)):04x}", s)
