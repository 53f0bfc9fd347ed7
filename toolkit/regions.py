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
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit import season
from toolkit.findings import Finding
from toolkit.roster import Roster, RosterEntry, parent_path, value_problem
from toolkit.store import WebAccount, WebAgency, WebRegion, WebStore

__all__ = [
    "ROOT_LOGIN",
    "Node",
    "Registered",
    "Tree",
    "account_can_manage",
    "create_account",
    "disable_account",
    "region_paths",
    "region_summary",
    "register",
    "submit",
    "tree",
]

ROOT_LOGIN = "admin"  # the root account (the 本级 coordinator): its login may be left empty
LOGIN_RE = re.compile(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}")


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
    return "全部单位", full


@dataclass
class Registered:
    """What registering a roster did: links made, agencies the roster no longer lists (out of the
    dashboard, the summary and 催报; their uploads kept), and what to tell the coordinator."""

    new: int = 0
    removed: list[WebAgency] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


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
        out.new = store.web_register(year, entries, token_for)
        by_key = {(a.name, a.code): a for a in store.web_agencies(year, removed=True)}
        keep: list[int] = []
        for e, path in zip(entries, paths, strict=True):
            wa = by_key.get((e.name, e.code))
            if wa is not None:
                keep.append(wa.id)
                store.web_set_agency_region(wa.id, store.web_region_for(year, path, root))
        if before:  # a roster registered again: those it leaves out are off the roster
            out.removed = store.web_set_roster(year, keep)
    return out


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
    for n in nodes.values():
        n.children.sort(key=lambda c: c.region.name)

    def empty(n: Node) -> bool:  # a region a later roster emptied (its agencies removed)
        return not n.agencies and all(empty(c) for c in n.children)

    gone = {x.region.id for n in nodes.values() if n is not root and empty(n) for x in n.walk()}
    for n in nodes.values():
        n.children = [c for c in n.children if c.region.id not in gone]
    return Tree(root, {i: n for i, n in nodes.items() if i not in gone})


def _root_name(store: WebStore, year: int) -> str:
    parents = {a.parent for a in store.web_agencies(year) if a.parent}
    return next(iter(parents)) if len(parents) == 1 else "全部单位"


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


def disable_account(
    store: WebStore, t: Tree, by: WebAccount, account_id: int, year: int, on: bool = True
) -> None:
    acc = store.web_account(id=account_id)
    if acc is None or not account_can_manage(t, by, acc.region_path):
        raise AccountError("没有这个账号，或不是本级以下的账号")
    node = t.node_at(acc.region_path)
    with store.transaction():
        store.web_set_account(acc.id, disabled=on)
        store.web_log(
            year,
            "account-disable" if on else "account-enable",
            by.login,
            note=acc.login,
            region_id=node.region.id if node else None,
        )


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
def submit(store: WebStore, year: int, node: Node, summary: Any, by: WebAccount) -> int:
    """The region's summary submitted upward (its workbook kept); the level above counts it."""
    from toolkit.outputs.summary import write_summary

    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        data = write_summary(summary, Path(d) / "s.xlsx").read_bytes()
    with store.transaction():
        sid = store.web_add_submit(
            node.region.id, data, f"{node.region.name}_{year}汇总.xlsx", summary.complete, by.login
        )
        store.web_log(
            year,
            "submit",
            by.login,
            note="完整" if summary.complete else "不完整",
            region_id=node.region.id,
        )
    return sid


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
    from toolkit.outputs.summary import write_summary

    if states_by_id is None:
        states_by_id = {s.agency.id: s for s in season.states(store, year)}
    submits = store.web_submits(year)
    inputs = season.summary_inputs(store, year, [states_by_id[a.id] for a in node.agencies])
    children: list[tuple[RosterEntry, bytes | None, list[Finding]]] = []
    notes: dict[str, str] = {}
    base_line = 10**9  # roster lines of the sub-regions: apart from the agencies' file rows
    for k, ch in enumerate(node.children):
        sub = submits.get(ch.region.id)
        data: bytes | None
        if sub is not None:
            data = store.file_bytes(sub.file_sha256) or b""
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
        children.append((RosterEntry(ch.region.name, "", node.region.name, "地区", base_line + k), data, []))
    return season.summarize(
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


def scope(t: Tree, acc: WebAccount) -> set[int]:
    node = account_region(t, acc)
    return t.subtree_ids(node.region.id) if node else set()


def roster_of(node: Node) -> Roster:
    return Roster("", [RosterEntry(a.name, a.code, a.parent, a.type, a.line) for a in node.agencies])
