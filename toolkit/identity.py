"""Whose report a file is, by what its cover says: the one rule ``xxgk serve`` (an upload through
an agency's link, :func:`toolkit.season.cover_findings`) and ``xxgk merge`` (a file in a folder,
matched to a roster line) both apply, so the two never disagree about a file's agency.

- **Which agency** (``merge`` only: in ``serve`` the link says it): the roster agency the cover
  names — its name exactly (unique in the roster), else the one agency whose name it is a variant
  of, else its code (:func:`attribute`). A cover with the agency's own name (or a variant of it)
  and another roster agency's code is the named agency's report with a wrong code, not the other
  agency's.
- **What the cover says against that agency** (:func:`cover_verdict`): its own name (exact) or a
  variant of it (:func:`toolkit.roster.name_variant`) with its own code is its report — a variant
  with a ``COVER-MISMATCH`` 提示; its own name with another code is a ``COVER-MISMATCH`` error
  (a 提示 only when the roster's code is itself invalid: the agency cannot be asked to copy a broken
  code); an unrelated body's name with its own code is a ``COVER-MISMATCH`` error; another roster
  agency's name is not its report, whatever the code (``DUPLICATE-SUBMISSION``: with its own code
  the other agency's file was most likely copied, or its name typed — in a folder the file is the
  named agency's, with a wrong code); neither its name nor its code: not its report
  (``DUPLICATE-SUBMISSION`` when the cover names another roster agency by name or code, else
  ``UNEXPECTED-AGENCY``). An error means the file is not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from toolkit.findings import ERROR, WARNING, Finding
from toolkit.roster import _ALSO_CALLED, Roster, RosterEntry, name_variant, norm_name

__all__ = ["Named", "attribute", "cover_verdict", "roster_others", "variant_of"]


class Named(Protocol):
    """A roster agency as the rule sees it (a roster line, a season's link agency)."""

    @property
    def name(self) -> str: ...

    @property
    def code(self) -> str: ...


def cover_verdict(
    own: Named,
    agency: str,
    code: str,
    others: Iterable[Named],
    file: str | None,
    *,
    again: str = "重新上传",
) -> tuple[list[Finding], bool]:
    """The findings on a cover (``agency``, ``code``) read as ``own``'s report, and whether it
    is ``own``'s report at all. ``others``: the other roster agencies the cover may name (those
    with its name, a place-prefix variant of it, or its code; ``own`` left out). ``again``: how
    the message asks for the corrected file (重新上传 on the web, 重新报送 for a folder)."""
    agency = (agency or "").strip()
    code = (code or "").strip().upper()
    own_code_s = (own.code or "").strip().upper()
    others = list(others)
    code_of = next((a for a in others if code and a.code and a.code.upper() == code), None)
    # another roster agency the cover names: by its very name, else by a variant of exactly one's
    name_of = next((a for a in others if agency and norm_name(a.name) == norm_name(agency)), None)
    exact = bool(agency) and norm_name(agency) == norm_name(own.name)
    own_name = exact or (name_of is None and name_variant(agency, own.name))  # its own, as written
    if name_of is None and not own_name:
        near = [a for a in others if name_variant(agency, a.name)]
        name_of = near[0] if len(near) == 1 else None
    own_code = bool(own_code_s) and code == own_code_s
    out: list[Finding] = []

    def say(rule: str, message: str, key: str = "cover.agency", severity: str = ERROR) -> None:
        expected, actual = (own.code, code) if key == "cover.code" else (own.name, agency)
        out.append(Finding(rule, severity, message, file, "封面", key=key, expected=expected, actual=actual))  # type: ignore[arg-type]

    if not agency:
        return out, True  # COVER-MISSING says it; the link (or the roster line) says whose it is
    if not own_name and name_of is not None and own_code:
        # another roster agency's very name with this agency's code: whose report is it? The name
        # says it, as it does in a folder (:func:`attribute`: the named agency's report with a wrong
        # code) — most likely that agency's file copied, or its name typed. Not this agency's report
        say(
            "DUPLICATE-SUBMISSION",
            f"此文件封面的机关名称为“{name_of.name}”（名单中的另一单位），统一社会信用代码却是本单位的："
            f"可能是复制了“{name_of.name}”的报告，或机关名称填错了。此文件不算本单位（{own.name}）的报告，"
            f"不计入汇总；请上传本单位的报告（如确是本单位的，请把机关名称改为“{own.name}”后{again}）",
        )
        return out, False
    if not own_name and not own_code:
        other = name_of or code_of
        if other is not None:
            say(
                "DUPLICATE-SUBMISSION",
                f"此文件封面为“{other.name}”（名单中的另一单位），不是本单位（{own.name}）的报告，"
                "不计入任何单位；请上传本单位的报告。如果是用其他单位的表改填的，"
                "请把封面的机关名称和统一社会信用代码改为本单位的",
            )
        else:
            say(
                "UNEXPECTED-AGENCY",
                f"此文件封面的机关名称为“{agency}”，不是本链接的单位“{own.name}”；"
                f"请在封面填写本单位名称（与名单一致）后{again}",
            )
        return out, False
    from toolkit.uscc import is_valid_uscc

    if code and own_code_s and code != own_code_s and not is_valid_uscc(own_code_s):
        say(  # the roster is what is wrong: the agency cannot be asked to copy a broken code
            "COVER-MISMATCH",
            f"名单中本单位的统一社会信用代码 {own.code} 本身有误（校验位不对），封面的 {code} 未与之比对；"
            "已按本单位计，请协调人改正名单",
            key="cover.code",
            severity=WARNING,
        )
    elif code and own_code_s and code != own_code_s:
        whose = f"是名单中“{code_of.name}”的代码，" if code_of is not None else ""
        say(
            "COVER-MISMATCH",
            f"封面的统一社会信用代码 {code} {whose}与名单中本单位（{own.name}）的 {own.code} 不一致；"
            f"请改正封面的统一社会信用代码后{again}",
            key="cover.code",
        )
    if not own_name:  # an unrelated body: the code alone does not make it this agency's report
        say(
            "COVER-MISMATCH",
            f"封面的机关名称“{agency}”不是本单位（{own.name}），也不是本单位名称的其他写法，"
            f"不计入汇总（统一社会信用代码虽是本单位的）；请把机关名称改为“{own.name}”后{again}",
        )
    elif not exact:
        # why it is still this agency's: its code when the cover has it; else the name alone
        why = "统一社会信用代码相同" if own_code else "封面未填统一社会信用代码" if not code else "名称相近"
        say(
            "COVER-MISMATCH",
            f"封面的机关名称“{agency}”与名单中的“{own.name}”写法不同（{why}，"
            "按本单位计）；公开的报告以封面为准，请核实",
            severity=WARNING,
        )
    return out, True


def attribute(roster: Roster, agency: str, code: str) -> RosterEntry | None:
    """The roster line a file in a folder is the report of, by its cover: the agency its name
    names exactly (when unique in the roster), else the one agency whose name it is a variant of
    (:func:`toolkit.roster.name_variant`, as the roster's index finds it: a place prefix more or
    less, a trailing bracketed other name left off), else the one with its code — the report
    ``xxgk serve`` files under that agency's link, with the same ``COVER-MISMATCH`` 提示 (or error,
    for a code not its own) from :func:`cover_verdict`. None: none of these, or a variant of
    several agencies' names (merge says 是否为…？)."""
    if agency and (by_name := roster.find(agency, "")) is not None:
        return by_name
    # a variant of one agency's name is that agency's report whatever code it carries (another
    # roster agency's code too: an error of its own), as through that agency's link
    if (by_variant := variant_of(roster, agency)) is not None:
        return by_variant
    return roster.find(agency, code) if code else None


def variant_of(roster: Roster, agency: str) -> RosterEntry | None:
    """The one roster agency whose name ``agency`` (a cover's) is a variant of, found by the
    roster's indexed look-ups (never a pass over the roster: a folder's foreign files cost little);
    None unless exactly one."""
    n = norm_name(agency)
    if not n:
        return None
    bare = _ALSO_CALLED.sub("", n)  # "青川区司法局（法制办）": the agency's name, its other name left off
    hits = {e.line: e for name in dict.fromkeys((n, bare)) if name for e in roster.like(name, "")}
    found = [e for e in hits.values() if name_variant(agency, e.name)]
    return found[0] if len(found) == 1 else None


def roster_others(roster: Roster, entry: RosterEntry, agency: str, code: str) -> list[RosterEntry]:
    """The roster lines other than ``entry`` that a cover may name (for :func:`cover_verdict`):
    by name, place-prefix variant or code (indexed look-ups, never a pass over the roster)."""
    return [e for e in roster.like(agency, code) if e.line != entry.line]
