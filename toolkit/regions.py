"""Reports travel up a tree: agencies → 区/县 → 市 → 省. The region tree of ``xxgk serve``, its
coordinator accounts and the summary upward, without HTTP.

- **The tree** comes from the roster's 上级/所属地区 column: ``示例省/示例市/青川区`` (``/``, ``／``, ``>``
  or ``＞`` between levels) puts an agency three levels down; a plain name (``示例市青川区``) is one
  level, or is placed by a tree file (``--regions``: 地区, 上级地区). The root is the level every
  path shares (a district's own roster: the district), else 全部单位.
- **Accounts** are bound to a node and act on its subtree only; an account creates and disables the
  accounts of the nodes below it; the root account is made at start-up. Every change is in the
  audit log with the account's name.
- **Upward**: a region's summary is ``xxgk merge`` of its own agencies' reports and its sub-regions'
  summaries — the one a sub-region submitted, else its current one (incomplete when it is) — with
  the same completeness and double-counting rules as ``merge``.
- **A 上报 is a snapshot.** What it was made of (every agency below: its status, counted version
  and newest upload; the sub-regions' 上报) is kept with it, so the level above sees when it is out
  of date (:func:`changes_since_submit`): a new upload, a 退回 or a choice (the city's own too), a
  sub-region's new 上报, an agency that joined or left the region (a roster move). An out-of-date
  上报 is still what the level above counts while the region's agencies are the same (its
  figures are the region's, as submitted; the snapshot can be downloaded), but it is
  ``SUMMARY-INCOMPLETE`` — the level above is never 汇总完整 over it — with the changes and
  “请…重新上报” in its 报送情况 note. After a roster move the snapshot counts agencies that are no
  longer the region's (counted twice, or not the region's at all): the region's current summary is
  counted instead, said so, and still ``SUMMARY-INCOMPLETE`` until the region submits again.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from toolkit import season
from toolkit.findings import WARNING, Finding
from toolkit.roster import Roster, RosterEntry, parent_path, value_problem
from toolkit.store import WebAccount, WebAgency, WebEvent, WebRegion, WebStore, WebSubmit

__all__ = [
    "ROOT_LOGIN",
    "Changes",
    "Node",
    "Registered",
    "Tree",
    "account_can_manage",
    "changes_since_submit",
    "create_account",
    "disable_account",
    "region_paths",
    "region_standing",
    "region_summary",
    "register",
    "submit",
    "submit_reminder",
    "submit_state",
    "tree",
]

ROOT_LOGIN = "admin"  # the root account (the 本级 coordinator): its login may be left empty
LOGIN_RE = re.compile(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}")


ALL_UNITS = "全部单位"  # the root of a roster with several top regions (no one place above them)


def region_paths(parents: list[str], tree: dict[str, str] | None = None) -> tuple[str, list[tuple[str, ...]]]:
    """The root's name and each parent's path below it."""
    tree = tree or {}
    full: list[tuple[str, ...]] = []
    for p in parents:
        parts = parent_path(p)
        if len(parts) == 1 and parts[0] in tree:  # placed by the tree file
            chain = [parts[0]]
            seen = {parts[0]}
            while (up := tree.get(chain[-1])) and up not in seen and len(chain) < 20:
                chain.append(up)
                seen.add(up)
            parts = tuple(reversed(chain))
        full.append(parts)
    firsts = {f[0] for f in full if f}
    if len(firsts) == 1 and all(f for f in full):
        root = next(iter(firsts))
        return root, [f[1:] for f in full]
    if len(firsts) == 1:  # some agencies name no region: they are the root's own
        root = next(iter(firsts))
        return root, [f[1:] for f in full]
    return ALL_UNITS, full


@dataclass
class Registered:
    """What registering a roster did: links made, agencies the roster no longer lists (out of the
    dashboard, the summary and 催报; their uploads kept), and what to tell the coordinator."""

    new: int = 0
    removed: list[WebAgency] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    regions_renamed: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    root_renamed: tuple[str, str] | None = None  # (old name, new name) of the top region
    recoded: list[str] = field(default_factory=list)  # each agency whose code the roster changed, said


def _rename_regions(
    store: WebStore,
    year: int,
    entries: list[RosterEntry],
    paths: list[tuple[str, ...]],
    by_key: dict[tuple[str, str], WebAgency],
    had: set[int],
) -> list[tuple[str, str]]:
    """区划调整 as a coordinator means it: a region the new roster no longer names, all of whose
    agencies still listed are now in one region the tree did not have, beside it (the same 上级),
    holding no agency of another region, is that region renamed — the same node under its new
    name (:meth:`WebStore.web_rename_region`): its accounts keep working, its 上报 stays its own
    (counted while what it counts is unchanged). Anything else (a district split, two merged, a
    move to another city) is no rename: the old region is left out and said so
    (:func:`gone_messages`). Logged; returns (old path, new path) of each."""
    old = {r.id: r for r in store.web_regions(year)}
    where = {a.id: old[a.region_id].path for a in by_key.values() if a.id in had and a.region_id in old}
    now: dict[int, str] = {}
    for e, path in zip(entries, paths, strict=True):
        wa = by_key.get((e.name, e.code))
        if wa is not None:
            now[wa.id] = "/".join(path)
    named = {"/".join(p[:n]) for p in paths for n in range(1, len(p) + 1)}
    known = {r.path for r in old.values()}

    def under(path: str, top: str) -> bool:
        return path == top or path.startswith(top + "/")

    def parent(path: str) -> str:
        return path.rsplit("/", 1)[0] if "/" in path else ""

    out: list[tuple[str, str]] = []
    for top in sorted(known - {""}, key=lambda x: (x.count("/"), x)):
        if top in named or top not in known:  # still listed, or moved along with a renamed parent
            continue
        depth = top.count("/") + 1
        members = [a for a, p in where.items() if under(p, top) and a in now]
        if not members or any(now[a].count("/") + 1 < depth for a in members):
            continue
        targets = {"/".join(now[a].split("/")[:depth]) for a in members}
        if len(targets) != 1:
            continue
        (target,) = targets
        if target in known or parent(target) != parent(top):
            continue
        if any(a in where and not under(where[a], top) for a, p in now.items() if under(p, target)):
            continue  # it takes in another region's agencies: not the same region
        logins = store.web_rename_region(year, top, target)
        rid = next(r.id for r in old.values() if r.path == top)
        was, name = top.rsplit("/", 1)[-1], target.rsplit("/", 1)[-1]
        _log_rename(
            store, year, rid, f"地区“{was}”更名为“{name}”（名单中的上级地区改变，所属单位未变）", logins,
            "，已上报的汇总仍归本地区",
        )  # fmt: skip
        out.append((top, target))
        known = {target + p[len(top) :] if under(p, top) else p for p in known}
        where = {a: target + p[len(top) :] if under(p, top) else p for a, p in where.items()}
    return out


def _rename_root(store: WebStore, year: int, root: str) -> tuple[str, str] | None:
    """The roster names the top region otherwise (示例市 → 示例新市): the same root renamed, as a
    district's 区划调整 — the root row is the one place it can be (its accounts, bound to it, keep
    working; the regions below are placed relative to it). Not when either name is the made-up
    全部单位 (a roster of several tops: the tree itself changed). Logged; returns (old, new)."""
    old = next((r for r in store.web_regions(year) if r.path == ""), None)
    if old is None or old.name == root or ALL_UNITS in (old.name, root):
        return None
    store.web_rename_root(year, root)
    logins = [a.login for a in store.web_accounts() if a.region_path == "" and not a.disabled_at]
    _log_rename(
        store,
        year,
        old.id,
        f"最上级地区“{old.name}”更名为“{root}”（名单中的上级地区改变，下级地区和单位未变）",
        logins,
    )
    return old.name, root


def _log_rename(
    store: WebStore, year: int, region_id: int, what: str, logins: list[str], tail: str = ""
) -> None:
    """操作记录 of a region renamed by the roster: what changed and which accounts go on working."""
    kept = f"协调人账号 {'、'.join(logins)} 沿用" if logins else "尚无协调人账号"
    store.web_log(
        year, "region-rename", season.ROSTER_ACTOR, note=f"{what}：{kept}{tail}", region_id=region_id
    )


def register(
    store: WebStore,
    year: int,
    entries: list[RosterEntry],
    token_for: Any,
    tree_file: dict[str, str] | None = None,
) -> Registered:
    """The year's roster is ``entries``: links for its agencies (each placed in the region tree),
    and the agencies an earlier roster had and this one does not are off the roster (the
    dashboard, the summary and 催报 list exactly this roster's agencies). An agency renamed with
    its code kept is the same agency under its new name (same link, same uploads), said in a
    finding; never a second entry sharing its code."""
    from toolkit.findings import WARNING
    from toolkit.roster import norm_name

    out = Registered()
    root, paths = region_paths([e.parent for e in entries], tree_file)
    with store.transaction():
        before = store.web_agencies(year, removed=True)
        had = {a.id for a in store.web_agencies(year)}  # on the roster before this one
        names = {norm_name(e.name) for e in entries}
        known = {norm_name(a.name) for a in before}
        by_code: dict[str, list[WebAgency]] = {}
        for a in before:
            if a.code:
                by_code.setdefault(a.code.upper(), []).append(a)
        for e in entries:
            held = [a for a in by_code.get(e.code.upper(), []) if norm_name(a.name) != norm_name(e.name)]
            if not e.code or norm_name(e.name) in known or not held:
                continue
            old = held[0]
            where = f"名单第{e.line}行" if e.line else "名单中"
            if norm_name(old.name) in names:  # still listed (under another code): not a rename
                continue
            store.web_rename(old.id, e.name)
            store.web_log(
                year,
                "rename",
                season.ROSTER_ACTOR,
                web_agency_id=old.id,
                note=f"原名称“{old.name}”（统一社会信用代码相同）",
            )
            known.add(norm_name(e.name))
            out.findings.append(
                Finding(
                    "DUPLICATE-SUBMISSION",
                    WARNING,
                    f"{where}“{e.name}”的统一社会信用代码 {e.code} 与原名单中的“{old.name}”相同，"
                    f"按同一单位更名处理：沿用“{old.name}”的报送链接；已报送的文件按新名称重新校验，"
                    "封面仍为原名称（且不是新名称的其他写法）的按有错误计，请通知该单位改正封面后重新上传"
                    "（如不是更名，请改正名单后重新启动）",
                    key="cover.code",
                    expected=old.name,
                    actual=e.name,
                )
            )
        out.root_renamed = _rename_root(store, year, root)
        out.new = store.web_register(year, entries, token_for)
        out.recoded = _log_codes(store, year, entries, before)
        by_key = {(a.name, a.code): a for a in store.web_agencies(year, removed=True)}
        out.regions_renamed = _rename_regions(store, year, entries, paths, by_key, had)
        keep: list[int] = []
        for e, path in zip(entries, paths, strict=True):
            wa = by_key.get((e.name, e.code))
            if wa is not None:
                keep.append(wa.id)
                store.web_set_agency_region(wa.id, store.web_region_for(year, path, root))
        if before:  # a roster registered again: those it leaves out are off the roster
            out.removed = store.web_set_roster(year, keep)
            # the roster's changes in the 操作记录 beside the coordinators' (who is counted, and why)
            earlier = {a.id for a in before}  # once: per agency, a new roster of 16,000 took 10 s
            for wid in keep:
                if wid in had:
                    continue
                note = "列入名单"
                if wid in earlier:  # an earlier roster's, left out and listed again
                    note = "重新列入名单：原报送链接、已上传的文件和协调人的处理（退回、指定版本）仍有效"
                store.web_log(year, "roster-add", season.ROSTER_ACTOR, web_agency_id=wid, note=note)
            for a in out.removed:
                store.web_log(
                    year,
                    "roster-remove",
                    season.ROSTER_ACTOR,
                    web_agency_id=a.id,
                    note=f"“{a.name}”不在新名单中，移出本年度的报送、催报和汇总（已上传的文件仍保存）",
                )
    return out


def _log_codes(store: WebStore, year: int, entries: list[RosterEntry], before: list[WebAgency]) -> list[str]:
    """The agencies whose code the roster changed (the same name, another code: a corrected code,
    two codes exchanged): the same agency, its link and uploads kept, in the 操作记录 and said
    (a swap as a swap, not as two agencies left out and two new ones)."""
    from toolkit.roster import norm_name

    now = {a.id: a for a in store.web_agencies(year, removed=True)}
    changed = [(a, now[a.id].code) for a in before if a.id in now and now[a.id].code != a.code]
    by_move = {(a.code, code): a for a, code in changed}
    line = {norm_name(e.name): e.line for e in entries}
    said = []
    for a, code in changed:
        other = by_move.get((code, a.code))
        swap = f"（与“{other.name}”互换）" if other is not None and other.code else ""
        if not a.code:  # the roster gives it a code, or takes it away: no "（空）" either side
            what, of = f"补充统一社会信用代码 {code}", ""
        elif not code:
            what, of = f"删去统一社会信用代码（原为 {a.code}）", ""
        else:
            what, of = f"统一社会信用代码由 {a.code} 改为 {code}{swap}", "的"
        store.web_log(year, "code", season.ROSTER_ACTOR, web_agency_id=a.id, note=f"{what}，按同一单位处理")
        where = f"名单第{n}行" if (n := line.get(norm_name(now[a.id].name))) else "名单中"
        said.append(
            f"{where}“{now[a.id].name}”{of}{what}：按同一单位处理，沿用原报送链接和已上传的文件，"
            "已上传文件的封面按新代码重新核对（如代码有误，请改正名单后重新启动）"
        )
    return said


MAX_TREE_BYTES = 4 * 1024 * 1024  # a province's places: a few thousand rows


def read_tree_file(path: str | Path) -> dict[str, str]:
    """A tree file (CSV, UTF-8, GBK or UTF-16): columns 地区 and 上级地区 (or region, parent).
    Raises ValueError (Chinese, with the line and column) for what cannot be a tree: a place
    whose name a roster could not hold (control characters, markup, “..”, too long), a place
    given two different 上级, a place above itself, and a cycle (甲 above 乙 above 甲)."""
    import csv

    from toolkit.cells import decode_text
    from toolkit.inputs import InputError, check_input

    try:
        check_input(Path(path), what="地区树文件", max_bytes=MAX_TREE_BYTES)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    text = decode_text(Path(path).read_bytes())
    if text is None:
        raise ValueError("无法识别文件编码（应为 UTF-8 或 GBK）")
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise ValueError(f"CSV 格式有误：{exc}") from None
    if not rows:
        return {}
    head = [h.strip().lstrip("\ufeff") for h in rows[0]]
    try:
        i = next(n for n, h in enumerate(head) if h in ("地区", "region", "名称"))
        j = next(n for n, h in enumerate(head) if h in ("上级地区", "上级", "parent"))
    except StopIteration:
        raise ValueError("表头应为：地区,上级地区") from None
    out: dict[str, str] = {}
    where: dict[str, int] = {}
    for line, r in enumerate(rows[1:], start=2):
        if len(r) <= max(i, j) or not r[i].strip():
            continue
        place, up = r[i].strip(), r[j].strip()
        for col, value in ((i, place), (j, up)):
            if value and (why := value_problem("parent", value)):
                raise ValueError(f"第{line}行第{col + 1}列（{head[col]}）“{value[:40]}”{why}")
        if parent_path(place) != (place,):
            raise ValueError(
                f"第{line}行第{i + 1}列（{head[i]}）“{place}”：地区应为一个地区的名称，不含“/”或“>”"
            )
        if up == place:
            raise ValueError(f"第{line}行：“{place}”的上级地区是它自己")
        if place in out and out[place] != up:
            raise ValueError(
                f"第{line}行：“{place}”的上级地区为“{up}”，与第{where[place]}行的“{out[place]}”不同"
            )
        out.setdefault(place, up)
        where.setdefault(place, line)
    for start in out:  # every chain must end at a top place, never come back to itself
        chain, seen = [start], {start}
        while (up := out.get(chain[-1])) is not None and up:
            if up in seen:
                loop = [*chain[chain.index(up) :], up]
                lines = "、".join(f"第{where[x]}行" for x in loop[:-1])
                raise ValueError(
                    f"地区上下级成环：{' → '.join(loop)}（{lines}）；每个地区只能有一条通向最上级的路径"
                )
            chain.append(up)
            seen.add(up)
    return out


# -- the tree ---------------------------------------------------------------------------------
@dataclass
class Node:
    region: WebRegion
    children: list[Node] = field(default_factory=list)
    agencies: list[WebAgency] = field(default_factory=list)

    def walk(self) -> Iterable[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class Tree:
    root: Node | None
    nodes: dict[int, Node]

    def node_at(self, path: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.region.path == path), None)

    def subtree_ids(self, region_id: int) -> set[int]:
        n = self.nodes.get(region_id)
        return {x.region.id for x in n.walk()} if n else set()

    def ancestors(self, region_id: int) -> list[Node]:
        """From the root down to the node itself."""
        out = []
        n = self.nodes.get(region_id)
        while n is not None:
            out.append(n)
            n = self.nodes.get(n.region.parent_id or 0)
        return list(reversed(out))

    def agencies_below(self, region_id: int) -> list[WebAgency]:
        n = self.nodes.get(region_id)
        return [a for x in n.walk() for a in x.agencies] if n else []


def tree(store: WebStore, year: int) -> Tree:
    """The year's tree; agencies registered before regions existed sit at the root."""
    regions = store.web_regions(year)
    if not regions:
        with store.transaction():
            store.web_region_for(year, (), _root_name(store, year))
        regions = store.web_regions(year)
    nodes = {r.id: Node(r) for r in regions}
    root = next((n for n in nodes.values() if n.region.parent_id is None), None)
    for n in nodes.values():
        if n.region.parent_id is not None and n.region.parent_id in nodes:
            nodes[n.region.parent_id].children.append(n)
    for wa in store.web_agencies(year):
        home = nodes.get(wa.region_id or 0) or root
        if home is not None:
            home.agencies.append(wa)
    first: dict[int, int] = {}  # each region's first roster line (its own or below it)

    def line_of(n: Node) -> int:
        if n.region.id not in first:
            own = [a.line for a in n.agencies if a.line]
            first[n.region.id] = min([*own, *(line_of(c) for c in n.children)], default=10**9)
        return first[n.region.id]

    for n in nodes.values():  # in the roster's order (the coordinator's own list), not by code points
        n.children.sort(key=lambda c: (line_of(c), c.region.name))

    def empty(n: Node) -> bool:  # a region a later roster emptied (its agencies removed)
        return not n.agencies and all(empty(c) for c in n.children)

    gone = {x.region.id for n in nodes.values() if n is not root and empty(n) for x in n.walk()}
    for n in nodes.values():
        n.children = [c for c in n.children if c.region.id not in gone]
    return Tree(root, {i: n for i, n in nodes.items() if i not in gone})


def _root_name(store: WebStore, year: int) -> str:
    parents = {a.parent for a in store.web_agencies(year) if a.parent}
    return next(iter(parents)) if len(parents) == 1 else ALL_UNITS


def rollup(t: Tree, states: list[season.AgencyState]) -> dict[int, dict[str, int]]:
    """Per region, how many agencies of its subtree are in each status."""
    by_agency = {s.agency.id: s.status for s in states}
    out: dict[int, dict[str, int]] = {}

    def visit(n: Node) -> dict[str, int]:
        c = dict.fromkeys(season.STATUSES, 0)
        for a in n.agencies:
            c[by_agency.get(a.id, season.NOT_SUBMITTED)] += 1
        for ch in n.children:
            for k, v in visit(ch).items():
                c[k] += v
        out[n.region.id] = c
        return c

    if t.root is not None:
        visit(t.root)
    return out


# -- accounts -----------------------------------------------------------------------------------
class AccountError(Exception):
    """A request about accounts that cannot be done (one Chinese line)."""


def account_region(t: Tree, acc: WebAccount) -> Node | None:
    return t.node_at(acc.region_path)


def may_submit(t: Tree, acc: WebAccount, node: Node) -> bool:
    """A 上报 is the region's own act: only an account of that very region makes it (the level
    above sees, counts, sends back and chooses below, but never submits in the region's place —
    its page would say the region submitted what it never did)."""
    return node.region.parent_id is not None and acc.region_path == node.region.path


def has_own_account(store: WebStore, node: Node) -> bool:
    """Whether the region has an account that can log in (and so 上报)."""
    return any(a.region_path == node.region.path and not a.disabled_at for a in store.web_accounts())


def actor_label(t: Tree, accounts: dict[str, WebAccount], login: str, place: str | None = None) -> str:
    """An actor as the pages name it: an account with its region (``admin（示例市）``), so an act of
    the level above is told from the region's own; anything else (换用名单) as it is. ``place``:
    its region's name when it acted (an 操作记录 entry keeps it: a 区划调整 since renames the
    region, not what was done under the old name)."""
    if place:
        return f"{login}（{place}）"
    acc = accounts.get(login)
    node = t.node_at(acc.region_path) if acc is not None else None
    return f"{login}（{node.region.name}）" if node is not None else login


# what a 区划调整's entry says (:func:`_rename_regions`, :func:`_rename_root`): 地区“旧”更名为“新”（…;
# a name may hold ” itself (东湖“新城”区), so a name is never taken to end at the first ”: the
# entry is read by its fixed words around the names, and by the name after (see _names_before)
_RENAMED = re.compile(r"地区“(.*?)”更名为“(.*)”（")
# what a 单位更名's entry says (:func:`register`): 原名称“旧”（统一社会信用代码相同）
_AGENCY_RENAMED = re.compile(r"原名称“(.*)”（统一社会信用代码相同）")


def _names_before(
    store: WebStore,
    year: int,
    action: str,
    pattern: re.Pattern[str],
    column: str,
    now: dict[int, str] | None = None,
):
    """Each region's (or agency's) renames in the log, oldest first: (entry id, the name before).
    ``now`` (a region's name today, by id): a 地区更名 entry is read from the newest back, each by
    the name it renamed to (today's, then the name the next entry renamed from), so a name holding
    ” or even the words ”更名为“ is recovered whole; without it, by the entry's fixed words."""
    notes: dict[int, list[tuple[int, str]]] = {}
    for eid, oid, note in store.db.execute(
        f"SELECT id, {column}, note FROM web_events WHERE year = ? AND action = ? ORDER BY id", (year, action)
    ):
        if oid is not None and note:
            notes.setdefault(oid, []).append((eid, note))
    out: dict[int, list[tuple[int, str]]] = {}
    for oid, entries in notes.items():
        after = (now or {}).get(oid)
        got: list[tuple[int, str]] = []
        for eid, note in reversed(entries):
            name = None
            if after is not None and (at := note.rfind(f"”更名为“{after}”（")) > 0:
                head = note.find("地区“")
                name = note[head + 3 : at] if 0 <= head < at else None
            if name is None and (m := pattern.search(note)):
                name = m.group(1)
            if name is not None:
                got.append((eid, name))
            after = name
        if got:
            out[oid] = got[::-1]
    return out


def _was(renames: dict[int, list[tuple[int, str]]], oid: int | None, eid: int) -> str | None:
    """The name before the first rename after entry ``eid``, if any."""
    return next((name for at, name in renames.get(oid, ()) if at > eid), None) if oid is not None else None


def with_names_then(store: WebStore, t: Tree, events: list[WebEvent]) -> list[WebEvent]:
    """``events`` with the names of their time where the log did not keep them (entries of a serve
    of before: :attr:`WebEvent.region_name` and ``actor_place`` None, or ``agency_name`` None):
    the region's, the actor's region's and the agency's name as it was, from the log's own
    地区更名 entries since (each says 地区“旧”更名为“新”) and 单位更名 entries (原名称“旧”) — the
    name before the first rename after the entry, else today's. Entries that kept theirs are as
    they are."""
    places = [e for e in events if e.region_name is None and e.actor_place is None]
    agencies = [e for e in events if e.agency_name is None and e.web_agency_id is not None]
    if not places and not agencies:
        return events
    year = events[0].year
    names_now = {rid: n.region.name for rid, n in t.nodes.items()}
    renames = _names_before(store, year, "region-rename", _RENAMED, "region_id", names_now) if places else {}
    renamed = _names_before(store, year, "rename", _AGENCY_RENAMED, "web_agency_id") if agencies else {}
    accounts = {a.login: a for a in store.web_accounts()} if places else {}
    now = {a.id: a.name for a in store.web_agencies(year, removed=True)} if agencies else {}

    def then(rid: int | None, eid: int) -> str | None:
        node = t.nodes.get(rid) if rid is not None else None
        return _was(renames, rid, eid) or (node.region.name if node is not None else None)

    out = []
    for e in events:
        if e.region_name is None and e.actor_place is None:
            acc = accounts.get(e.actor)
            node = t.node_at(acc.region_path) if acc is not None else None
            place = then(node.region.id, e.id) if node is not None else None
            e = replace(e, region_name=then(e.region_id, e.id), actor_place=place)
        if e.agency_name is None and e.web_agency_id is not None:
            e = replace(e, agency_name=_was(renamed, e.web_agency_id, e.id) or now.get(e.web_agency_id))
        out.append(e)
    return out


def account_can_manage(t: Tree, acc: WebAccount, region_path: str) -> bool:
    """An account manages the accounts of the nodes strictly below its own."""
    own = acc.region_path
    return region_path != own and (own == "" or region_path.startswith(own + "/"))


def create_account(
    store: WebStore, t: Tree, by: WebAccount, login: str, password_hash: str, region_id: int, year: int
) -> int:
    node = t.nodes.get(region_id)
    if node is None or not account_can_manage(t, by, node.region.path):
        raise AccountError("只能为本级以下的地区建立账号")
    if not LOGIN_RE.fullmatch(login):
        raise AccountError("账号名应为 2–40 个字母、数字、汉字或 _ . -")
    if store.web_account(login=login) is not None:
        raise AccountError(f"账号“{login}”已存在")
    with store.transaction():
        aid = store.web_add_account(login, password_hash, node.region.path, by.id)
        store.web_log(year, "account-create", by.login, note=login, region_id=node.region.id)
    return aid


def _account_below(
    store: WebStore, t: Tree, by: WebAccount, account_id: int, *, own: bool = False
) -> tuple[WebAccount, Node | None]:
    """The account ``by`` may manage (one below it; with ``own``, itself too) and its region's node."""
    acc = store.web_account(id=account_id)
    if acc is None or not ((own and acc.id == by.id) or account_can_manage(t, by, acc.region_path)):
        raise AccountError("没有这个账号，或不是本级以下的账号")
    return acc, t.node_at(acc.region_path)


def disable_account(
    store: WebStore, t: Tree, by: WebAccount, account_id: int, year: int, on: bool = True
) -> None:
    acc, node = _account_below(store, t, by, account_id)
    _change_account(store, by, acc, node, year, "account-disable" if on else "account-enable", disabled=on)


def _change_account(
    store: WebStore, by: WebAccount, acc: WebAccount, node: Node | None, year: int, event: str, **change: Any
) -> None:
    """Change an account and say so in the 操作记录 (who, which account, its region), at once."""
    with store.transaction():
        store.web_set_account(acc.id, **change)
        store.web_log(year, event, by.login, note=acc.login, region_id=node.region.id if node else None)


def set_password(
    store: WebStore, t: Tree, by: WebAccount, account_id: int, password_hash: str, year: int
) -> None:
    """A new password for an account below ``by`` (重设密码: a district coordinator who forgot
    theirs keeps the account, its region and its place in the 操作记录), or for ``by`` itself
    (修改密码: the caller has checked the old one). Sessions opened with the old password end
    (they are bound to it). Logged without the password."""
    acc, node = _account_below(store, t, by, account_id, own=True)
    event = "account-password-own" if acc.id == by.id else "account-password"
    _change_account(store, by, acc, node, year, event, password=password_hash)


def ensure_root_account(store: WebStore, password_hash: str | None = None) -> WebAccount | None:
    """The root account: made from an earlier single password, or set anew."""
    acc = store.web_account(login=ROOT_LOGIN)
    legacy = store.setting("password")
    with store.transaction():
        if acc is None and (password_hash or legacy):
            store.web_add_account(ROOT_LOGIN, password_hash or legacy or "", "", None)
        elif acc is not None and password_hash:
            store.web_set_account(acc.id, password=password_hash)
        if legacy is not None:
            store.set_setting("password", None)
    return store.web_account(login=ROOT_LOGIN)


# -- upward ---------------------------------------------------------------------------------------
def _local(iso: str) -> str:
    """A stored UTC time as the server's local time (the pages' way), to the minute."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(iso)


def _state_key(year: int, region_id: int) -> str:
    return f"submitted-state:{year}:{region_id}"


def submit_state(
    store: WebStore, year: int, t: Tree, node: Node, states_by_id: dict[int, season.AgencyState]
) -> dict[str, Any]:
    """What the region's summary is made of now: every agency below it (name, status, counted
    version, newest upload) and its sub-regions' 上报. The same state is the same summary."""
    subs = store.web_submits(year)
    below = t.subtree_ids(node.region.id) - {node.region.id}
    agencies = {}
    for a in t.agencies_below(node.region.id):
        st = states_by_id.get(a.id)
        cur = st.current.id if st is not None and st.current is not None else None
        latest = st.latest.id if st is not None and st.latest is not None else None
        status = st.status if st is not None else season.NOT_SUBMITTED
        top = max((v.id for v in st.versions), default=None) if st is not None else None
        agencies[str(a.id)] = [a.name, status, cur, latest, _counted_file(st), top]
    regions_ = {str(r): x.id for r, x in subs.items() if r in below}
    names = {str(r): t.nodes[r].region.name for r in below if r in t.nodes}
    return {"agencies": agencies, "regions": regions_, "names": names}


def _counted_file(st: season.AgencyState | None) -> str | None:
    """The file whose figures the summary counts for the agency (:func:`season.summary_inputs`):
    its current version, else its newest upload when 已退回; nothing when 有错误 or 未报送."""
    if st is None or st.status in (season.INVALID, season.NOT_SUBMITTED):
        return None
    if st.current is not None:
        return st.current.file_sha256
    return st.latest.file_sha256 if st.latest is not None else None


def submitted_state(store: WebStore, year: int, region_id: int) -> dict[str, Any] | None:
    """The state kept with the region's last 上报 (None: none kept, a 上报 of an earlier version)."""
    raw = store.setting(_state_key(year, region_id))
    try:
        got = json.loads(raw) if raw else None
    except ValueError:
        return None
    return got if isinstance(got, dict) and isinstance(got.get("agencies"), dict) else None


def submit(
    store: WebStore, year: int, node: Node, summary: Any, by: WebAccount, state: dict[str, Any] | None = None
) -> int:
    """The region's summary submitted upward (its workbook kept, with ``state``: what it was made
    of, :func:`submit_state`); the level above counts it."""
    from toolkit.outputs.summary import write_summary

    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        data = write_summary(summary, Path(d) / "s.xlsx").read_bytes()
    with store.transaction():
        sid = store.web_add_submit(
            node.region.id, data, f"{node.region.name}_{year}汇总.xlsx", summary.complete, by.login
        )
        store.set_setting(
            _state_key(year, node.region.id), json.dumps(state, ensure_ascii=False) if state else None
        )
        store.web_log(
            year,
            "submit",
            by.login,
            note="完整" if summary.complete else "不完整",
            region_id=node.region.id,
        )
    return sid


@dataclass
class Changes:
    """What changed below a region since its last 上报 (each item one Chinese phrase)."""

    moved: list[str] = field(default_factory=list)  # agencies that joined or left the region
    changed: list[str] = field(default_factory=list)  # new uploads, statuses, counted versions
    resubmitted: list[str] = field(default_factory=list)  # sub-regions that submitted again
    # agencies a roster renamed (code kept): the 上报 names them as they were; its figures stand
    renamed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.moved or self.changed or self.resubmitted or self.renamed)

    def counted_upward(self) -> str:
        """How the level above counts the region's 上报 now (as :func:`region_summary` does): after
        a roster move, its current summary; otherwise the 上报 as it was."""
        if self.moved:
            return "上级汇总不再计入上报的汇总，按本地区当前的汇总计入"
        return "上级汇总仍按上报时的计入"

    def text(self, most: int = 5) -> str:
        """``青川区民政局 有新的上传；青川区司法局 已不在本地区 等 7 项``."""
        items = [*self.moved, *self.renamed, *self.changed, *self.resubmitted]
        shown = "；".join(items[:most])
        return shown + (f" 等 {len(items)} 项" if len(items) > most else "")


def submit_reminder(
    name: str, submitted: WebSubmit | None, changes: Changes | None, *, has_account: bool = True
) -> str:
    """What the level above sends a sub-region that has not submitted, or whose 上报 is out of date;
    to a region that has not submitted and has no account that can log in (nobody there can 上报)
    nothing to send yet: what the level above has to do first."""
    if submitted is None and not has_account:
        return (
            f"（{name}还没有可用的协调人账号，无法上报：请先在“账号”页面为{name}建立协调人账号，"
            "把账号名和初始密码告知该地区后再催报）"
        )
    if submitted is None:
        return f"{name}：尚未上报本地区的汇总，请在各单位报送完成后查看汇总并上报。"
    what = f"（{changes.text()}）" if changes else ""
    counted = changes.counted_upward() if changes is not None else Changes().counted_upward()
    return f"{name}：{_local(submitted.submitted_at)} 上报的汇总此后有变动{what}，{counted}；请查看汇总后重新上报。"


def changes_since_submit(
    store: WebStore,
    year: int,
    t: Tree,
    node: Node,
    states_by_id: dict[int, season.AgencyState],
    submitted: WebSubmit | None = None,
) -> Changes | None:
    """What changed below ``node`` since its last 上报; None when it has not submitted. A 上报
    kept without its state (an earlier version's) is compared by upload time alone."""
    sub = submitted if submitted is not None else store.web_submits(year).get(node.region.id)
    if sub is None:
        return None
    out = Changes()
    then = submitted_state(store, year, node.region.id)
    if then is None:
        for a in t.agencies_below(node.region.id):
            st = states_by_id.get(a.id)
            if st is not None and st.latest is not None and st.latest.uploaded_at > sub.submitted_at:
                out.changed.append(f"{a.name} 有新的上传")
        return out
    now = submit_state(store, year, t, node, states_by_id)
    old_a, new_a = then["agencies"], now["agencies"]
    for k, (name, *_rest) in old_a.items():
        if k not in new_a:
            out.moved.append(f"{name} 已不在本地区")
    for k, (name, status, cur, latest, counted, _top) in new_a.items():
        if k not in old_a:
            out.moved.append(f"{name} 新列入本地区")
            continue
        name0, status0, cur0, latest0, *kept = old_a[k]
        # only what changes what is counted: the file counted, or the status (the summary's
        # completeness); a faulty upload beside a counted version, or the same bytes again after
        # a 退回, changes neither. A 上报 kept before the counted file was: by the versions.
        same = counted == kept[0] if kept else cur == cur0 and (cur is not None or latest == latest0)
        st = states_by_id.get(int(k))
        if st is None or st.latest is None or latest == latest0:
            fresh = False
        elif st.current is None:  # 已退回: its newest upload is what is read
            fresh = True
        elif len(kept) > 1 and kept[1] is not None:  # a version filed after the 上报 (anew too)
            fresh = st.current.id > kept[1] or st.filed.get(st.current.id, 0) > (latest0 or 0)
        else:
            fresh = st.current.id == st.latest.version_id
        if name != name0:  # the 上报 names it as it was (the city's 报送情况, 明细)
            same_figures = same and status == status0
            out.renamed.append(f"{name0} 更名为{name}" + ("（数字未变）" if same_figures else ""))
        if not same and fresh:
            out.changed.append(f"{name} 有新的上传，现为{status}")
        elif status != status0:
            out.changed.append(f"{name} 由{status0}变为{status}")
        elif not same:
            out.changed.append(f"{name} 计入的版本有变")
    old_r, new_r = then.get("regions") or {}, now["regions"]
    for k, sid in new_r.items():
        if old_r.get(k) != sid:
            out.resubmitted.append(f"{now['names'].get(k, k)} 重新上报")
    return out


def moved_since_submit(store: WebStore, year: int) -> dict[str, tuple[str, Changes]]:
    """The regions (by path) whose 上报 a roster has put out of date: agencies joined or left them
    since, so the level above counts their current summary instead (:func:`region_summary`), or
    were renamed, so the 上报 still names them as they were (its figures still counted)."""
    subs = store.web_submits(year)
    if not subs:
        return {}
    t = tree(store, year)
    by_id = {s.agency.id: s for s in season.states(store, year)}
    out = {}
    for rid, sub in subs.items():
        node = t.nodes.get(rid)
        if node is None or node.region.parent_id is None:
            continue
        ch = changes_since_submit(store, year, t, node, by_id, sub)
        if ch is not None and (ch.moved or ch.renamed):
            out[node.region.path] = (node.region.name, ch)
    return out


def moved_messages(
    before: dict[str, tuple[str, Changes]], after: dict[str, tuple[str, Changes]]
) -> list[str]:
    """What ``xxgk serve`` says when a roster it registers moves agencies between regions that
    had 上报, or renames theirs: each region whose 上报 this roster put out of date (or further)."""
    out = []
    for path, (name, ch) in after.items():
        was = before.get(path)
        if was is not None and (was[1].moved, was[1].renamed) == (ch.moved, ch.renamed):
            continue  # out of date before this roster already, and no further
        if ch.moved:
            out.append(
                f"名单：{name}上报后名单有变动（{ch.text()}），其上报的汇总已过时，上级汇总不再计入，"
                f"按其当前的汇总计入；请{name}查看汇总后重新上报"
            )
        else:  # renamed only: the figures stand, the names the level above sees do not
            out.append(
                f"名单：{name}上报后有单位更名（{'；'.join(ch.renamed)}），其上报的汇总中仍为原名称；"
                f"上级汇总仍按上报时的数字计入，但不再是完整的汇总；请{name}查看汇总后重新上报"
            )
    return out


def gone_messages(store: WebStore, year: int, before: Tree, after: Tree) -> list[str]:
    """What ``xxgk serve`` says when a roster it registers leaves a region out (its 上级 renamed,
    区划调整): where its agencies went, that its 上报 no longer counts, that its coordinators'
    accounts no longer log in — so the level above can make accounts for the new region."""
    subs = store.web_submits(year)
    accounts = [a for a in store.web_accounts() if not a.disabled_at]
    place = {a.id: n.region.name for n in after.nodes.values() for a in n.agencies}
    out = []
    for rid, n in before.nodes.items():
        now = after.nodes.get(rid)
        if n.region.parent_id is None and now is not None and now.region.name != n.region.name:
            # the top region renamed (:func:`_rename_root`): the same city, its accounts kept
            logins = [a.login for a in accounts if a.region_path == ""]
            said = f"名单：最上级地区“{n.region.name}”更名为“{now.region.name}”（下级地区和单位未变，按同一地区处理）"
            out.append(said + (f"：协调人账号 {'、'.join(logins)} 沿用" if logins else ""))
            continue
        if now is not None and now.region.path != n.region.path and n.region.parent_id is not None:
            # 区划调整 (:func:`_rename_regions`): the same region, its account and 上报 carried over
            logins = [a.login for a in accounts if a.region_path == now.region.path]
            said = f"名单：地区“{n.region.name}”更名为“{now.region.name}”（所属单位未变，按同一地区处理）"
            said += f"：其协调人账号 {'、'.join(logins)} 沿用" if logins else "：尚无协调人账号"
            if rid in subs:
                by_id = {s.agency.id: s for s in season.states(store, year)}
                ch = changes_since_submit(store, year, after, now, by_id, subs[rid])
                said += (
                    "；其上报的汇总仍计入"
                    if not (ch and ch.moved)
                    else "；其上报后名单有变动，上报的汇总不再计入"
                )
            out.append(said)
            continue
        if rid in after.nodes or n.region.parent_id is None:
            continue
        went = sorted({place[a.id] for a in before.agencies_below(rid) if a.id in place})
        said = f"名单：地区“{n.region.name}”已不在本名单中" + (
            f"（其单位现属“{'”“'.join(went)}”）" if went else ""
        )
        if rid in subs:
            said += "，其上报的汇总不再计入"
        logins = [a.login for a in accounts if a.region_path == n.region.path]
        if logins:
            said += (
                f"，其协调人账号 {'、'.join(logins)} 无法登录；请上级协调人在“账号”页面为现在的地区建立账号"
            )
        out.append(said)
    return out


def region_summary(
    store: WebStore,
    year: int,
    t: Tree,
    node: Node,
    *,
    spec: Any,
    previous: Any = None,
    progress: Any = None,
    states_by_id: dict[int, season.AgencyState] | None = None,
) -> Any:
    """``xxgk merge`` of the region's own agencies and its sub-regions' summaries (submitted, else
    current), each file bound to its roster entry."""
    if states_by_id is None:
        states_by_id = {s.agency.id: s for s in season.states(store, year)}
    inputs, children, notes = region_inputs(store, year, t, node, spec=spec, states_by_id=states_by_id)
    summary = season.summarize(
        store,
        year,
        spec=spec,
        previous=previous,
        progress=progress,
        inputs=inputs,
        extra=children,
        name=node.region.name,
        notes=notes,
    )
    summary.made_of = (inputs, children, notes)  # what write_counted puts in the zip: not summed again
    return summary


def region_inputs(
    store: WebStore,
    year: int,
    t: Tree,
    node: Node,
    *,
    spec: Any,
    states_by_id: dict[int, season.AgencyState],
) -> tuple[list, list[tuple[RosterEntry, bytes | None, list[Finding]]], dict[str, str]]:
    """What the region's summary reads: its own agencies' files (``season.summary_inputs``), each
    sub-region's summary as counted (the one it submitted, else its current one; None: nothing
    below it) with its roster entry and findings, and the notes for those rows."""
    from toolkit.outputs.summary import write_summary

    submits = store.web_submits(year)
    inputs = season.summary_inputs(store, year, [states_by_id[a.id] for a in node.agencies])
    children: list[tuple[RosterEntry, bytes | None, list[Finding]]] = []
    notes: dict[str, str] = {}
    base_line = 10**9  # roster lines of the sub-regions: apart from the agencies' file rows
    for k, ch in enumerate(node.children):
        sub = submits.get(ch.region.id)
        data: bytes | None
        found: list[Finding] = []
        changes = changes_since_submit(store, year, t, ch, states_by_id, sub) if sub is not None else None
        if changes:
            found.append(
                Finding(
                    "SUMMARY-INCOMPLETE",
                    WARNING,
                    f"{ch.region.name}上报后其下有变动（{changes.text()}），上报的汇总已不是当前情况；"
                    f"请{ch.region.name}查看后重新上报",
                    None,
                )
            )
        if sub is not None and changes is not None and changes.moved:
            # the snapshot counts agencies no longer the region's (a roster move): its current
            # summary instead, never the whole region dropped as counted twice
            s = region_summary(store, year, t, ch, spec=spec, states_by_id=states_by_id)
            with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
                data = write_summary(s, Path(d) / "s.xlsx").read_bytes()
            notes[ch.region.name] = (
                f"{_local(sub.submitted_at)} 上报后名单有变动（{changes.text()}），"
                f"上报的汇总不再计入，按其当前的汇总计入；请{ch.region.name}重新上报"
            )
        elif sub is not None:
            data = store.file_bytes(sub.file_sha256) or b""
            if changes:
                notes[ch.region.name] = (
                    f"计入的是 {_local(sub.submitted_at)} 上报的汇总；上报后有变动"
                    f"（{changes.text()}），请{ch.region.name}重新上报"
                )
        elif not any(
            (s := states_by_id.get(a.id)) is not None and s.latest is not None
            for a in t.agencies_below(ch.region.id)
        ):  # not 上报 and nothing uploaded below: 未报送, as its row on the dashboard says
            data = None
            notes[ch.region.name] = "未上报，且其下各单位均未报送"
        else:
            s = region_summary(store, year, t, ch, spec=spec, states_by_id=states_by_id)
            with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
                data = write_summary(s, Path(d) / "s.xlsx").read_bytes()
            notes[ch.region.name] = "未上报，按其当前的汇总计入"
        children.append(
            (RosterEntry(ch.region.name, "", node.region.name, "地区", base_line + k), data, found)
        )
    return inputs, children, notes


def region_standing(summary: Any, children: list[tuple[str, bool, bool]]) -> str:
    """A region's 报送情况 as its coordinator means it, from its summary and its sub-regions
    ``(name, 上报, 上报后有变动)``: a district's is the merge's (its agencies); a region with
    sub-regions says them apart — how many 上报 — and its own agencies in the merge's words,
    never the merge's rows, which count a district as one 已报送 beside an agency."""
    if not children:  # the merge's own line, as xxgk merge prints it and the summary carries it upward
        return summary.status_line()
    from toolkit.merge import COUNTED, DUPLICATE, INVALID, MISSING, RETURNED, SUBMITTED, UNEXPECTED

    names = {name for name, _s, _c in children}
    sent = sum(1 for _n, s, _c in children if s)
    stale = sum(1 for _n, s, c in children if s and c)
    said = f"下级地区 {len(children)} 个（已上报 {sent}"
    said += f"，其中上报后有变动 {stale}" if stale else ""
    said += f"，未上报 {len(children) - sent}）" if len(children) > sent else "）"
    tally = dict.fromkeys((SUBMITTED, COUNTED, INVALID, RETURNED, DUPLICATE, MISSING, UNEXPECTED), 0)
    rows = 0
    for r in summary.records:
        if r.roster_name in names:  # a sub-region's row: said above
            continue
        if r.status == UNEXPECTED:
            tally[UNEXPECTED] += 1
            continue
        rows += 1
        if not r.file:
            tally[MISSING] += 1
            continue
        tally[SUBMITTED] += 1
        key = COUNTED if r.included else r.status if r.status in (DUPLICATE, RETURNED) else INVALID
        tally[key] += 1
    if rows:
        inner = "，".join(f"{k} {tally[k]}" for k in (COUNTED, INVALID, RETURNED, DUPLICATE) if tally[k])
        own = f"本级单位 {rows - tally[DUPLICATE]} 个：{SUBMITTED} {tally[SUBMITTED]}"
        own += f"（{inner}）" if inner else ""
        own += f"，{MISSING} {tally[MISSING]}" if tally[MISSING] else ""
        said += f"；{own}"
    if tally[UNEXPECTED]:
        said += f"；{UNEXPECTED} {tally[UNEXPECTED]}"
    return said


def scope(t: Tree, acc: WebAccount) -> set[int]:
    node = account_region(t, acc)
    return t.subtree_ids(node.region.id) if node else set()


def roster_of(node: Node) -> Roster:
    return Roster("", [RosterEntry(a.name, a.code, a.parent, a.type, a.line) for a in node.agencies])


def write_counted(
    store: WebStore,
    year: int,
    t: Tree,
    node: Node,
    zf: Any,
    *,
    spec: Any,
    progress: Any = None,
    summary: Any = None,
) -> tuple[int, int]:
    """The files the region's summary counts, into the zip ``zf``: each agency's counted version
    as uploaded (the original, unchanged), each sub-region's summary as counted, a 名单.csv of the
    region's agencies and sub-regions, and a 说明.txt saying what is left out and how ``xxgk merge``
    of them gives the same summary. ``summary``: the region's summary as :func:`region_summary`
    made it over the same inputs (the summary page's: the region is not summed again). Returns
    (agency files, sub-region summaries)."""
    import csv
    import io

    from toolkit.template import safe_filename
    from toolkit.textsafe import csv_cell
    from toolkit.validate import COMPANION_HEAD, SPREADSHEET_EXT

    if summary is None or getattr(summary, "made_of", None) is None:
        summary = region_summary(store, year, t, node, spec=spec, progress=progress)
    inputs, children, notes = summary.made_of
    counted = season.counted_names(summary)
    used: set[str] = set()

    def unique(stem: str, suffix: str) -> str:
        name, k = f"{stem}{suffix}", 1
        while name.casefold() in used:
            k += 1
            name = f"{stem}_{k}{suffix}"
        used.add(name.casefold())
        return name

    files = regions_n = 0
    left: list[str] = []
    for st, pick, _found in inputs:
        if st.agency.name in counted and pick is not None:
            sha, shown = pick
            suffix = Path(shown).suffix.lower()
            name = unique(safe_filename(st.agency.name), suffix if suffix in SPREADSHEET_EXT else ".xlsx")
            zf.writestr(name, store.file_bytes(sha) or b"")
            files += 1
        else:
            left.append(f"{st.agency.name}：{st.standing}")
    for entry, data, _found in children:
        if entry.name in counted and data is not None:
            zf.writestr(unique(f"{safe_filename(entry.name)}_汇总表", ".xlsx"), data)
            regions_n += 1
        else:
            left.append(f"{entry.name}（下级地区）：{notes.get(entry.name) or '未计入'}")
    roster = io.StringIO()
    w = csv.writer(roster)
    w.writerow(["name", "code", "parent", "type"])
    for st, _pick, _found in inputs:
        a = st.agency
        w.writerow([csv_cell(x) for x in (a.name, a.code, node.region.name, a.type)])
    for entry, _data, _found in children:
        w.writerow([csv_cell(entry.name), "", csv_cell(node.region.name), "地区"])
    zf.writestr(unique("名单", ".csv"), "\ufeff" + roster.getvalue())
    lines = [
        COMPANION_HEAD.format(region=node.region.name, year=year),  # a merge's scan knows it by this
        f"- 各单位计入汇总的版本 {files} 份（单位上传的原件，未作改动，按单位名称命名）；",
    ]
    if children:
        lines.append(f"- 下级地区的汇总表 {regions_n} 份（已上报的为上报时的汇总，未上报的为当前汇总）；")
    lines.append("- 名单.csv：本级的单位和下级地区。")
    if left:
        lines += ["", f"未计入汇总、不在包中的 {len(left)} 个："] + [f"  {x}" for x in left]
    lines += [
        "",
        "用命令行复核：解压到一个文件夹后运行",
        f"  xxgk merge 该文件夹 --roster 该文件夹/名单.csv --year {year} -o 汇总表.xlsx",
        "得到的各项数字与网页上的汇总相同；未计入的单位在报送情况中列为“未报送”（网页上的状态见上）。",
    ]
    zf.writestr(unique("说明", ".txt"), "\ufeff" + "\r\n".join(lines) + "\r\n")
    return files, regions_n
