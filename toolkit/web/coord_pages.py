"""The coordinator's pages: the dashboard (filters, sorting, deadline), each agency's versions
(choose, 退回 with a note, its link withdrawn or made anew), 催报, the audit log, the summary and
the bulk downloads (in the background, with progress). A thin layer over :mod:`toolkit.season`."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import secrets
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, send_file, session, url_for

from toolkit import regions, season
from toolkit.store import WebAccount, WebAgency, WebStore
from toolkit.template import safe_filename
from toolkit.textsafe import csv_cell, typed_text
from toolkit.validate import SPREADSHEET_EXT, named_report
from toolkit.web.agency_pages import annotated_copy, finding, send
from toolkit.web.app import Job, current_account, season_app, whole_number
from toolkit.web.security import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    check_password,
    hash_password,
    password_fingerprint,
    password_problem,
)

bp = Blueprint("coord", __name__)

MAIN_FIGURES = (
    ("t3.new_received.total", "本年新收申请"),
    ("t3.carried_in.total", "上年结转"),
    ("t3.result_total.total", "办理完结"),
    ("t3.carried_out.total", "结转下年"),
    ("t4.review_total", "行政复议"),
)
SUIT_KEYS = ("t4.suit_direct_total", "t4.suit_after_review_total")
REMIND_SHOWN = 500  # rows on the page; the CSV has them all
PAGE_ROWS = 200  # agencies a dashboard page lists (filters and sorting apply to all of them first)

SORTS = {
    "roster": lambda s: s.agency.line,
    "name": lambda s: s.agency.name,
    "status": lambda s: (season.STATUSES.index(s.status), s.agency.line),
    "time": lambda s: s.latest.uploaded_at if s.latest else "",
}


def need_coord() -> WebAccount:
    acc = current_account()
    if acc is None:
        abort(403, "请先以协调人身份登录")
    return acc


def the_tree() -> regions.Tree:
    return snapshot()[0]


def snapshot() -> tuple[regions.Tree, dict[int, season.AgencyState], dict[int, dict[str, int]]]:
    if "snapshot" not in g:
        g.snapshot = season_app().snapshot(g.store)
    return g.snapshot


def states_of(agencies: list[WebAgency]) -> list[season.AgencyState]:
    by_id = snapshot()[1]
    return [by_id[a.id] for a in agencies]


def my_scope() -> set[int]:
    """The regions the logged-in account sees and acts on: its node and everything below."""
    return regions.scope(the_tree(), need_coord())


def my_node() -> regions.Node:
    node = regions.account_region(the_tree(), need_coord())
    if node is None:
        abort(403, "本账号所属的地区不在本年度的名单中")
    return node


def in_scope(wa: WebAgency) -> bool:
    t = the_tree()
    home = wa.region_id if wa.region_id in t.nodes else (t.root.region.id if t.root else None)
    return home in my_scope()


def my_agencies() -> list[WebAgency]:
    return the_tree().agencies_below(my_node().region.id)


def region_arg() -> regions.Node:
    """The region a page is about: ``?region=`` within the account's subtree, else its own."""
    raw = request.values.get("region", "")
    if raw == "":
        return my_node()
    rid = whole_number(raw)
    if rid is None or rid not in my_scope() or rid not in the_tree().nodes:
        abort(404)
    return the_tree().nodes[rid]


def coord_agency_or_404(agency_id: int) -> WebAgency:
    need_coord()
    wa = g.store.web_agency(id=agency_id)
    if wa is None or wa.year != season_app().year or not in_scope(wa):
        abort(404)
    return wa


def actor() -> str:
    return need_coord().login


@bp.app_context_processor
def _who() -> dict[str, Any]:
    def who(login: str, place: str | None = None) -> str:
        """An actor with its region (admin（示例市）): who did what, at which level; ``place``: the
        region's name when it acted (a log entry's)."""
        if "accounts" not in g:
            g.accounts = {a.login: a for a in g.store.web_accounts()}
        return regions.actor_label(the_tree(), g.accounts, login, place)

    return {"who": who}


def safe_cell(v: str) -> str:
    """A CSV cell that Excel never takes for a formula, without control characters (a note
    stored before they were removed on input: NUL and ESC never go out in remind.csv)."""
    return csv_cell(v)


# -- login -------------------------------------------------------------------------------------
@bp.get("/login")
def login():
    return render_template("login.html", error=None)


@bp.post("/login")
def login_post():
    ctx = season_app()
    client = request.remote_addr or "?"
    if not ctx.login_allowed(client):
        abort(429, "本机密码错误次数过多，请一分钟后再试")
    login = request.form.get("login", "").strip() or regions.ROOT_LOGIN
    acc = g.store.web_account(login=login[:80])
    ok = check_password(request.form.get("password", ""), acc.password if acc else None)
    if not ok or acc is None or acc.disabled_at is not None:
        ctx.login_failed(client)
        msg = "账号已停用，请联系上级协调人" if ok and acc and acc.disabled_at else "账号或密码不正确"
        return render_template("login.html", error=msg), 403
    session.clear()
    session["account"] = acc.id
    session["fp"] = password_fingerprint(acc.password, ctx.keys.secret)
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(url_for("coord.dashboard"), 303)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("coord.login"), 303)


# -- the dashboard -------------------------------------------------------------------------------
@bp.get("/coord")
def dashboard():
    acc = need_coord()
    ctx = season_app()
    t = the_tree()
    node = region_arg()
    # a region with no agencies of its own (a city of districts): its page lists everyone below
    everyone = request.args.get("all", "0" if node.agencies or not node.children else "1") == "1"
    agencies = t.agencies_below(node.region.id) if everyone else node.agencies
    by_id = snapshot()[1]
    rows = [by_id[a.id] for a in agencies]
    counts = {s: sum(1 for r in rows if r.status == s) for s in season.STATUSES}
    want = request.args.get("status", "")
    shown = [r for r in rows if r.status == want] if want in season.STATUSES else rows
    sort = request.args.get("sort", "roster")
    shown = sorted(shown, key=SORTS.get(sort, SORTS["roster"]), reverse=request.args.get("desc") == "1")
    pages = max(1, (len(shown) + PAGE_ROWS - 1) // PAGE_ROWS)  # a province lists 15,000: a page at a time
    raw = request.args.get("page", "1")
    if not (0 < len(raw) <= 100 and raw.isascii() and raw.isdigit()):  # "²", "1e3", "-1": no page
        abort(400, "页码应为正整数，如 page=2")
    page = max(1, min(pages, int(raw)))  # any page past the end: the last
    matching = len(shown)
    shown = shown[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    roll = snapshot()[2]
    submits = g.store.web_submits(ctx.year)
    scope = my_scope()
    return render_template(
        "coord.html",
        rows=shown,
        first=(page - 1) * PAGE_ROWS,
        page=page,
        pages=pages,
        matching=matching,
        total=len(rows),
        counts=counts,
        want=want if want in season.STATUSES else "",
        sort=sort if sort in SORTS else "roster",
        desc=request.args.get("desc") == "1",
        statuses=season.STATUSES,
        deadline=season.deadline(g.store, ctx.year),
        node=node,
        trail=[n for n in t.ancestors(node.region.id) if n.region.id in scope],
        children=[
            (c, roll.get(c.region.id, {}), submits.get(c.region.id), _changed_since(t, c, submits))
            for c in node.children
        ],
        submitted=submits.get(node.region.id),
        changed_since=_changed_since(t, node, submits),
        everyone=everyone,
        places={n.region.id: n.region.name for n in t.nodes.values()},
        is_root=acc.region_path == "",
        can_submit=regions.may_submit(t, acc, node),
        has_tree=len(t.nodes) > 1,
    )


def _changed_since(t: regions.Tree, node: regions.Node, submits: dict) -> regions.Changes | None:
    """What changed below the region since its 上报 (a new upload, a 退回 or choice, a roster
    move, a sub-region's new 上报); None or empty: nothing, or not submitted."""
    sub = submits.get(node.region.id)
    if sub is None:
        return None
    return regions.changes_since_submit(g.store, season_app().year, t, node, snapshot()[1], sub)


@bp.post("/coord/deadline")
def set_deadline():
    if need_coord().region_path != "":
        abort(403, "截止日期由最上级协调人设置")
    day = _deadline_arg(request.form.get("deadline", "").strip(), season_app().year)
    season.set_deadline(g.store, season_app().year, day, actor(), my_node().region.id)
    back = url_for("coord.remind") if request.form.get("next") == "remind" else url_for("coord.dashboard")
    return redirect(back, 303)


def _deadline_arg(raw: str, year: int) -> dt.date | None:
    """The deadline as the date field sends it (YYYY-MM-DD, ASCII digits), after the report year
    has ended and within the two years after it (reports of a year are due early the next: a
    day of the report year itself, like 2025-06-01 for 2025, comes before there is a year to
    report; 0001-01-01 or 9999-12-31 is a typing slip). Empty: no deadline."""
    if not raw:
        return None
    example = f"{year + 1}-01-20"
    if len(raw) != 10 or not raw.isascii() or raw[4] != "-" or raw[7] != "-":
        abort(400, f"截止日期的格式应为 年-月-日，如 {example}")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        abort(400, f"截止日期的格式应为 年-月-日，如 {example}")
    if not year + 1 <= day.year <= year + 2:
        abort(
            400,
            f"截止日期 {day.year}年{day.month}月{day.day}日 不在 {year} 年度报告的报送期内："
            f"年度报告在 {year} 年结束后报送，截止日期应在 {year + 1}年1月1日 至 {year + 2}年12月31日 之间，"
            f"如 {example}",
        )
    return day


# -- one agency ----------------------------------------------------------------------------------
@bp.get("/coord/agency/<int:agency_id>")
def agency(agency_id: int):
    need_coord()
    wa = coord_agency_or_404(agency_id)
    st = season.state(g.store, wa, g.store.web_uploads(wa.id))
    uploads = [st.judged(u) for u in g.store.web_uploads(wa.id)]  # against the roster of now
    shown = uploads[0] if uploads else None
    findings = [finding(d) for d in shown.findings] if shown else []
    if st.current is not None:
        shown = next((u for u in uploads if u.version_id == st.current.id), None)
        if shown is None:  # a version the coordinator chose from the archive: no upload of it
            shown = st.current
            findings = season.version_findings(g.store, st, st.current.id)
        else:
            findings = [finding(d) for d in shown.findings]
    # the version shown was sent back: 已退回 with the note, never its checks' 未发现问题
    vid = getattr(shown, "version_id", getattr(shown, "id", None)) if shown is not None else None
    returned = (st.numbers.get(vid), *st.returned[vid]) if vid in st.returned else None
    return render_template(
        "coord_agency.html",
        wa=wa,
        st=st,
        uploads=uploads,
        shown=shown,
        findings=findings,
        returned=returned,
        returned_of=season.returned_uploads(st, uploads),
        same_as=season.same_content(uploads),
        other_agencys=season.other_agencys,
        events=regions.with_names_then(g.store, the_tree(), g.store.web_events(wa.year, wa.id, 50)),
        link=_link(wa),
    )


def _link(wa: WebAgency) -> str | None:
    ctx = season_app()
    token = season.link_of(ctx.keys, wa)
    return f"{ctx.link_base()}/a/{token}" if token else None


def _version_arg(name: str = "version") -> int:
    v = whole_number(request.form.get(name, ""))
    if v is None:
        abort(400, "没有这个版本")
    return v


@bp.post("/coord/agency/<int:agency_id>/choose")
def choose(agency_id: int):
    need_coord()
    wa = coord_agency_or_404(agency_id)
    choice = request.form.get("version", "")
    try:
        season.choose(g.store, wa, None if choice == "rule" else _version_arg(), actor())
    except KeyError:
        abort(400, "没有这个版本")
    except season.NotOwnVersion as e:
        abort(400, str(e))
    return redirect(url_for("coord.agency", agency_id=agency_id), 303)


@bp.post("/coord/agency/<int:agency_id>/return")
def return_version(agency_id: int):
    need_coord()
    wa = coord_agency_or_404(agency_id)
    note = typed_text(request.form.get("note", ""))  # no NUL, ESC, bidi override stored
    if not note:
        abort(400, "请写明退回的原因，单位会在其报送页面看到")
    try:
        season.return_version(g.store, wa, _version_arg(), note, actor())
    except KeyError:
        abort(400, "没有这个版本")
    except season.NotReturnable as e:
        abort(400, str(e))
    return redirect(url_for("coord.agency", agency_id=agency_id), 303)


@bp.post("/coord/agency/<int:agency_id>/link")
def link(agency_id: int):
    need_coord()
    wa = coord_agency_or_404(agency_id)
    action = request.form.get("action", "")
    if action == "revoke":
        season.revoke_link(g.store, wa, actor())
    elif action == "regenerate":
        season.regenerate_link(g.store, season_app().keys, wa, actor())
    else:
        abort(400, "不支持此操作")
    return redirect(url_for("coord.agency", agency_id=agency_id), 303)


@bp.get("/coord/upload/<int:upload_id>/<kind>")
def upload_file(upload_id: int, kind: str):
    need_coord()
    u = g.store.web_upload(upload_id)
    wa = g.store.web_agency(id=u.web_agency_id) if u else None
    if u is None or wa is None or wa.year != season_app().year or not in_scope(wa):
        abort(404)
    if kind == "annotated":
        return annotated_copy(wa, upload_id)
    if kind == "original":
        data = g.store.file_bytes(u.file_sha256) or b""
        return send(data, safe_filename(u.file_name), "application/octet-stream")
    abort(404)


# -- links, reminders, the audit log -------------------------------------------------------------
def _links() -> list[tuple[WebAgency, str | None]]:
    return [(a, _link(a)) for a in my_agencies()]


def _link_places() -> dict[int, str] | None:
    """Each agency's region name by agency id, for a coordinator who sees more than one region
    (a city hands its links out district by district); None for a single region's own list."""
    t = the_tree()
    if len(my_scope()) < 2:
        return None
    root = t.root.region.id if t.root else None
    names = {n.region.id: n.region.name for n in t.nodes.values()}
    return {a.id: names.get(a.region_id or 0) or names.get(root or 0, "") for a in my_agencies()}


@bp.get("/coord/links")
def links():
    need_coord()
    ctx = season_app()
    return render_template(
        "links.html",
        links=_links(),
        places=_link_places(),
        base=ctx.link_base(),
        configured=bool(ctx.base_url),
        loopback_only=not ctx.lan,
    )


@bp.get("/coord/links.csv")
def links_csv():
    need_coord()
    buf = io.StringIO()
    w = csv.writer(buf)
    places = _link_places()
    w.writerow(["机关名称", "统一社会信用代码", *(["地区"] if places is not None else []), "报送链接"])
    for a, url in _links():
        place = [safe_cell(places.get(a.id, ""))] if places is not None else []
        w.writerow([safe_cell(a.name), a.code, *place, url or "（链接已停用）"])
    return send(
        ("\ufeff" + buf.getvalue()).encode("utf-8"), f"{season_app().year}年度报送链接.csv", "text/csv"
    )


def _reminders(limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The agencies not yet 通过 (the first ``limit`` of them written out) and how many there are."""
    ctx = season_app()
    day = season.deadline(g.store, ctx.year)
    out = []
    due = [st for st in states_of(my_agencies()) if st.status != season.PASSED]
    shown = due if limit is None else due[:limit]
    who = season.contacts(g.store, shown)
    for st in shown:
        contact, phone = who[st.agency.id]
        url = _link(st.agency)
        out.append(
            {
                "st": st,
                "contact": contact,
                "phone": phone,
                "link": url,
                "text": season.reminder_text(ctx.year, st, day, url),
            }
        )
    return out, len(due)


def _regions_due() -> list[tuple[regions.Node, str, str]]:
    """The sub-regions to ask for a 上报 (none yet, or one out of date): node, state, the text."""
    t, subs = the_tree(), g.store.web_submits(season_app().year)
    active = {a.region_path for a in g.store.web_accounts() if not a.disabled_at}  # who can 上报
    ask = []
    for ch in my_node().children:
        sub, changes = subs.get(ch.region.id), _changed_since(t, ch, subs)
        if sub is None or changes:
            ask.append(
                (
                    ch,
                    "未上报" if sub is None else "上报后有变动",
                    regions.submit_reminder(
                        ch.region.name, sub, changes, has_account=ch.region.path in active
                    ),
                )
            )
    return ask


@bp.get("/coord/remind")
def remind():
    need_coord()
    ctx = season_app()
    day = season.deadline(g.store, ctx.year)
    today = dt.date.today()
    rows, due = _reminders(REMIND_SHOWN)
    return render_template(
        "remind.html",
        regions_due=_regions_due(),
        rows=rows,
        more=due - len(rows),
        due=due,
        deadline=day,
        days_left=(day - today).days if day else None,
    )


@bp.get("/coord/remind.csv")
def remind_csv():
    need_coord()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["机关名称", "状态", "联系人", "联系电话", "报送链接", "催报内容"])
    for node, state, text in _regions_due():  # the full list: the 上报 asked for too, as on the page
        w.writerow([safe_cell(x) for x in (node.region.name, state, "", "", "", text)])
    for r in _reminders()[0]:
        st = r["st"]
        w.writerow(
            [
                safe_cell(x)
                for x in (st.agency.name, st.status, r["contact"], r["phone"], r["link"] or "", r["text"])
            ]
        )
    return send(
        ("\ufeff" + buf.getvalue()).encode("utf-8"), f"{season_app().year}年度催报名单.csv", "text/csv"
    )


LOG_ROWS = 200


@bp.get("/coord/log")
def log():
    """The audit log, newest first, ``LOG_ROWS`` a page (``?page=``, as the dashboard's: a page
    past the end is the last, anything but ASCII digits a 400 — never quietly page 1)."""
    need_coord()
    ctx = season_app()
    raw = request.args.get("page", "1")
    if not (0 < len(raw) <= 100 and raw.isascii() and raw.isdigit()) or int(raw) < 1:  # "²", "٣", "-1", "1e3"
        abort(400, "页码应为正整数，如 page=2")
    asked = min(int(raw), 10**6)  # any page past the end: the last (the rows read within SQLite's integers)
    rows = g.store.web_events(ctx.year, None, asked * LOG_ROWS + 1, regions=my_scope())
    pages = max(1, (min(len(rows), asked * LOG_ROWS) + LOG_ROWS - 1) // LOG_ROWS)
    page = min(asked, pages)
    events = regions.with_names_then(g.store, the_tree(), rows[(page - 1) * LOG_ROWS : page * LOG_ROWS])
    states = snapshot()[1].values()
    names = {s.agency.id: s.agency.name for s in states}
    numbers = {vid: n for s in states for vid, n in s.numbers.items()}  # each agency's own 第n版
    places = {n.region.id: n.region.name for n in the_tree().nodes.values()}
    return render_template(
        "log.html",
        events=events,
        names=names,
        numbers=numbers,
        places=places,
        page=page,
        more=len(rows) > page * LOG_ROWS,
    )


# -- the summary ----------------------------------------------------------------------------------
def _inputs_key(inputs: list) -> tuple:
    return tuple((st.agency.id, pick, tuple(f.code for f in extra)) for st, pick, extra in inputs)


def _summary_key(store: WebStore, node: regions.Node) -> tuple[int, tuple]:
    """(files uploaded below the region, what its summary is a function of: every agency's state
    below it and the 上报s within it)."""
    t = the_tree()
    sts = states_of(t.agencies_below(node.region.id))
    submits = store.web_submits(season_app().year)
    key = (
        node.region.id,
        tuple(
            (s.agency.id, s.status, s.current.id if s.current else None, s.latest.id if s.latest else None)
            for s in sts
        ),
        tuple(sorted((r, x.id) for r, x in submits.items() if r in t.subtree_ids(node.region.id))),
    )
    return sum(1 for s in sts if s.latest is not None), key


def _summary_job(store: WebStore, node: regions.Node):
    """The region's summary as things are now: at once for a small district, else in the
    background (its page shows progress and reloads itself)."""
    ctx = season_app()
    prev_mark, previous = ctx.previous_marked(store)
    files, key = _summary_key(store, node)
    key = (*key, prev_mark)  # last year's data changed (xxgk archive add while serving): summed anew
    db_path, year, spec = ctx.db_path, ctx.year, ctx.spec

    def work(job: Job):
        progress = _progress_of(job)
        with WebStore(db_path, create=False) as st:
            tt = regions.tree(st, year)
            return regions.region_summary(
                st, year, tt, tt.nodes[node.region.id], spec=spec, previous=previous, progress=progress
            )

    job = ctx.job(f"summary-{node.region.id}", key, work, background=files > ctx.limits.summary_sync_files)
    if not job.total:
        job.total = files
    return job


def _job_failed(job: Job):
    """A background job's failure as its page (507 for a full disk: werkzeug has no such abort);
    said once, the next request tries again."""
    job.told = True
    return render_template("error.html", code=job.status, message=job.error, back=None), job.status


def _finished_summary(node: regions.Node):
    """The region's summary when it is done; else the progress page to return instead."""
    job = _summary_job(g.store, node)
    if not job.done:
        return None, render_template("progress.html", read=job.read, total=job.total, what="正在汇总")
    if job.error:
        return None, _job_failed(job)
    return job.result, None


@bp.get("/coord/summary")
def summary():
    need_coord()
    node = region_arg()
    summary, wait = _finished_summary(node)
    if wait is not None:
        return wait
    figures = _figures(summary.submission.all_values())
    same = _same_agencies(summary, season_app().previous(g.store))
    bars = [(r.name, _new_received(summary, r)) for r in summary.records if r.included]
    top = max((b for _, b in bars), default=0) or 1
    submits = g.store.web_submits(season_app().year)
    recs = {r.roster_name: r for r in summary.records if r.kind == "summary" and r.roster_name}
    t = the_tree()
    children = []
    for ch in node.children:
        rec = recs.get(ch.region.name)
        incomplete = rec is None or (
            rec.report is not None and any(f.code == "SUMMARY-INCOMPLETE" for f in rec.report.findings)
        )
        changes = _changed_since(t, ch, submits)
        children.append((ch, submits.get(ch.region.id), not incomplete, rec, changes))
    return render_template(
        "summary.html",
        node=node,
        children=children,
        submitted=submits.get(node.region.id),
        changed_since=_changed_since(t, node, submits),
        can_submit=regions.may_submit(t, need_coord(), node),
        submit_by=_submit_by(node) if node.region.parent_id is not None else "",
        summary=summary,
        figures=figures,
        same=same,
        bars=[(n, b, round(100 * b / top)) for n, b in bars],
        standing=regions.region_standing(
            summary,
            [(ch.region.name, sub is not None, bool(changes)) for ch, sub, _c, _r, changes in children],
        ),
        counted=_counted_phrase(summary),
    )


def _counted_phrase(summary: Any) -> str:
    """What a summary counts, in words (:meth:`toolkit.merge.Summary.counted_of`: the rule of
    ``xxgk merge`` too)."""
    return summary.counted_of().phrase()


def _submit_by(node: regions.Node) -> str:
    """Who 上报s a region's summary, as the level above is told."""
    name = node.region.name
    said = f"上报由{name}的协调人在本地区的汇总页面进行，上级协调人不能代为上报"
    if not regions.has_own_account(g.store, node):
        said += f"；{name}还没有可用的协调人账号，请在“账号”页面为其建立"
    return said + "。未上报时，上级汇总按其当前情况计入。"


def _same_agencies(summary: Any, previous: Any) -> dict[str, Any] | None:
    """Year-on-year over the same agencies: those counted this year that have last year's report
    in the archive; this year's and last year's figures of exactly those."""
    if previous is None:
        return None
    from toolkit.merge import previous_figure
    from toolkit.model import Submission, derived_keys, unknown_keys
    from toolkit.roster import norm_name
    from toolkit.spec import comparison_map

    keys = summary.spec.numeric_keys
    now_total: dict[str, Any] = {}
    prev_total: dict[str, Any] = {}
    comparable: dict[str, bool] = {}
    # last year's published report read in part (archived imports): a figure over a number not
    # found is 未知, never 0; one over a number derived from its table's sums (由合计推算) is marked
    unknown: dict[str, bool] = {}
    derived: dict[str, bool] = {}
    counted = matched = 0
    for r in summary.records:
        if not r.included or r.values is None:
            continue
        counted += 1
        prev = previous.by_code.get(r.code) if r.code else None
        prev = prev or previous.by_name.get(norm_name(r.roster_name or r.agency))
        if prev is None:
            continue
        matched += 1
        now = Submission(spec=summary.spec, values=dict(zip(keys, r.values, strict=True))).all_values()
        gone, guessed = unknown_keys(prev), derived_keys(prev)
        for k, _ in [*MAIN_FIGURES, *((s, "") for s in SUIT_KEYS)]:
            now_total[k] = now_total.get(k, 0) + now.get(k, 0)
            p = previous_figure(summary.spec, prev, k)
            comparable[k] = comparable.get(k, True) and p is not None
            prev_total[k] = prev_total.get(k, 0) + (p or 0)
            if gone or guessed:
                pair = comparison_map(summary.spec, prev.spec).get(k)
                theirs = set(pair[1]) if pair is not None else set()
                unknown[k] = unknown.get(k, False) or bool(gone & theirs)
                derived[k] = derived.get(k, False) or bool(guessed & theirs)
    if not matched:
        return {"counted": counted, "matched": 0, "rows": []}
    rows = []

    def said(ks: tuple[str, ...]) -> str:
        """How last year's figure over ``ks`` stands: 未知, 推算 (derived, not read) or read ("")."""
        if any(unknown.get(k) for k in ks):
            return "未知"
        return "推算" if any(derived.get(k) for k in ks) else ""

    for k, label in MAIN_FIGURES:
        how = said((k,))
        a, b = now_total[k], (prev_total[k] if comparable[k] and how != "未知" else None)
        rows.append((label, a, b, None if b is None else a - b, how))
    a = sum(now_total[k] for k in SUIT_KEYS)
    how = said(SUIT_KEYS)
    b = (
        sum(prev_total[k] for k in SUIT_KEYS)
        if all(comparable[k] for k in SUIT_KEYS) and how != "未知"
        else None
    )
    rows.append(("行政诉讼", a, b, None if b is None else a - b, how))
    return {
        "counted": counted,
        "matched": matched,
        "rows": rows,
        "derived": any(r[4] == "推算" for r in rows),
    }


@bp.get("/coord/summary.xlsx")
def summary_xlsx():
    from toolkit.outputs.summary import write_summary

    need_coord()
    summary, wait = _finished_summary(region_arg())
    if wait is not None:
        return wait
    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        out = write_summary(summary, Path(d) / "summary.xlsx")
        data = out.read_bytes()
    return send(data, f"{safe_filename(summary.submission.agency)}_{season_app().year}年度汇总表.xlsx")


@bp.get("/coord/region/<int:region_id>/submitted.xlsx")
def submitted_xlsx(region_id: int):
    """The summary a region submitted (上报), byte for byte: what the level above counts."""
    need_coord()
    if region_id not in my_scope():
        abort(404)
    sub = g.store.web_submits(season_app().year).get(region_id)
    data = g.store.file_bytes(sub.file_sha256) if sub is not None else None
    if sub is None or data is None:  # said so, not the general "找不到此页面"
        name = the_tree().nodes[region_id].region.name if region_id in the_tree().nodes else "该地区"
        msg = f"{name}尚未上报汇总：上级汇总时按其当前的汇总计入"
        return render_template("error.html", code=404, message=msg, back=None), 404
    name = the_tree().nodes[region_id].region.name
    return send(data, f"{safe_filename(name)}_{season_app().year}年度汇总表（上报）.xlsx")


@bp.get("/coord/bulk/<kind>.zip")
def bulk(kind: str):
    """Every agency's annotated copy (of its current version, else its latest upload), or every
    current valid version rendered as the publishable report (.docx), in one zip: built in the
    background with progress (the Word reports take seconds each)."""
    need_coord()
    if kind not in ("annotated", "reports", "originals"):
        abort(404)
    ctx = season_app()
    node = region_arg()  # the summary page's region (?region=), within the account's own
    mine = the_tree().agencies_below(node.region.id)
    inputs = season.summary_inputs(g.store, ctx.year, states_of(mine))
    db_path, year = ctx.db_path, ctx.year
    ids = {a.id for a in mine}

    name = f"bulk-{kind}-{need_coord().id}-{node.region.id}"

    region_id, spec = node.region.id, ctx.spec
    summed = None
    if kind == "originals":  # the region's summary over the same inputs: summed once for both
        summed, wait = _finished_summary(node)
        if wait is not None:
            return wait

    def work(job: Job) -> Path:
        out = ctx.job_file(".zip")
        try:
            if kind == "originals":  # what the summary counts, as uploaded: for xxgk merge
                with (
                    WebStore(db_path, create=False) as st,
                    zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf,
                ):
                    t = regions.tree(st, year)
                    regions.write_counted(
                        st,
                        year,
                        t,
                        t.nodes[region_id],
                        zf,
                        spec=spec,
                        progress=_progress_of(job),
                        summary=summed,
                    )
            else:
                _bulk_zip(db_path, year, kind, job, ids, out)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        if ctx.jobs.get(name) is not job:  # replaced while it ran (the inputs changed): nobody fetches it
            out.unlink(missing_ok=True)
        return out

    key = (node.region.id, _inputs_key(inputs) if kind != "originals" else _summary_key(g.store, node)[1])
    old = ctx.jobs.get(name)
    job = ctx.job(name, key, work, background=True)
    if old is not None and old is not job and old.done and isinstance(old.result, Path):
        with contextlib.suppress(OSError):  # (Windows: still being sent; removed when serve ends)
            old.result.unlink(missing_ok=True)
    if not job.done:
        what = {"reports": "正在生成各单位公开报告（Word）", "annotated": "正在生成各单位批注版"}.get(
            kind, "正在汇总并收集计入汇总的原件"
        )
        return render_template("progress.html", read=job.read, total=job.total, what=what, unit="个单位")
    if job.error:
        return _job_failed(job)
    try:
        fh = open(job.result, "rb")  # noqa: SIM115 - closed by the response once sent
    except FileNotFoundError:  # replaced by a newer one this very moment: ask for that one
        return redirect(request.full_path, 303)
    label = {"annotated": "批注版", "reports": "公开报告"}.get(kind, "计入汇总的原件")
    return send_file(
        fh,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{safe_filename(node.region.name)}_{year}年度各单位{label}.zip",
    )


def _progress_of(job: Job):
    """A merge's progress callback that shows on the job's progress page."""

    def said(i: int, n: int) -> None:
        job.read, job.total = i, n

    return said


def _bulk_zip(db_path: str, year: int, kind: str, job: Job, ids: set[int], out: Path) -> None:
    from toolkit.outputs.annotate import annotate_copy
    from toolkit.outputs.render import ReportBundle

    used: set[str] = set()
    with (
        WebStore(db_path, create=False) as store,
        tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        rows = [s for s in season.states(store, year) if s.agency.id in ids]
        job.total = len(rows)
        bundle = ReportBundle(zf, year, d)  # the rule of xxgk render: finished, or marked 草稿
        for i, st in enumerate(rows):
            job.read = i
            stem = safe_filename(st.agency.name)
            stem = stem if stem not in used else f"{stem}_{i + 1}"
            used.add(stem)
            if kind == "reports":
                if st.status != season.PASSED or st.current is None:
                    bundle.leave_out(st.agency.name, st.standing)
                    continue
                bundle.add(stem, store.submission(st.current.id))
                continue
            u = next(
                (x for x in store.web_uploads(st.agency.id) if st.current and x.version_id == st.current.id),
                st.latest,
            )
            if u is None:
                continue
            suffix = Path(u.file_name).suffix.lower()
            src = Path(d) / f"{i}{suffix if suffix in SPREADSHEET_EXT else '.xlsx'}"
            src.write_bytes(store.file_bytes(u.file_sha256) or b"")
            report = named_report(src, u.file_name, [finding(x) for x in st.judged(u).findings])
            out = annotate_copy(src, report, Path(d) / "out")
            if st.not_own is not None:  # its only upload: another agency's report, not its own with errors
                stem += "_另一单位的报告"
            zf.writestr(f"{stem}{out.name.removeprefix(str(i))}", out.read_bytes())
        if kind == "reports":
            bundle.finish()
        job.read = job.total


@bp.post("/coord/region/<int:region_id>/submit")
def submit(region_id: int):
    """上报: the region's summary as it is now, kept for the level above."""
    acc = need_coord()
    if region_id not in my_scope():
        abort(404)
    node = the_tree().nodes[region_id]
    if node.region.parent_id is None:
        abort(400, "最上级的汇总无需上报")
    if not regions.may_submit(the_tree(), acc, node):
        abort(403, _submit_by(node))
    job = _summary_job(g.store, node)
    if not job.done:
        return render_template("progress.html", read=job.read, total=job.total, what="正在汇总")
    if job.error:
        return _job_failed(job)
    # idempotent within its state: a double click (or eight at once) records one 上报
    year = season_app().year
    # what the summary is made of (kept with the 上报: the level above sees when it is out of
    # date) and last year's data: the same state is the same summary
    state = regions.submit_state(g.store, year, the_tree(), node, snapshot()[1])
    state["previous"] = list(season_app().previous_marked(g.store)[0])  # as JSON keeps it
    with g.store.transaction():  # BEGIN IMMEDIATE: concurrent posts see each other's record
        if regions.submitted_state(g.store, year, region_id) != state or region_id not in g.store.web_submits(
            year
        ):
            regions.submit(g.store, year, node, job.result, acc, state)
    return redirect(url_for("coord.summary", region=region_id), 303)


# -- accounts ---------------------------------------------------------------------------------------
@bp.get("/coord/accounts")
def accounts():
    acc = need_coord()
    t = the_tree()
    walk = t.root.walk() if t.root is not None else ()  # the roster's order, as every other page
    below = [n for n in walk if regions.account_can_manage(t, acc, n.region.path)]
    paths = {n.region.path: n for n in t.nodes.values()}
    mine = [a for a in g.store.web_accounts() if regions.account_can_manage(t, acc, a.region_path)]
    place = {n.region.path: i for i, n in enumerate(t.root.walk() if t.root is not None else ())}
    mine.sort(key=lambda a: (place.get(a.region_path, len(place)), a.login))
    return render_template(
        "accounts.html",
        accounts=[(a, paths.get(a.region_path)) for a in mine],
        below=below,
        error=request.args.get("error", "")[:200],
        done=request.args.get("done", "")[:200],
        min_password=MIN_PASSWORD,
        max_password=MAX_PASSWORD,
        me=acc,
    )


@bp.get("/coord/password")
def password():
    need_coord()
    return render_template(
        "password.html",
        error=request.args.get("error", "")[:200],
        done="done" in request.args,
        min_password=MIN_PASSWORD,
        max_password=MAX_PASSWORD,
    )


@bp.post("/coord/password")
def password_post():
    """修改密码: an account's own, with the old one (the root's forgotten one: xxgk serve --set-password)."""
    acc = need_coord()
    old, new, again = (request.form.get(k, "") for k in ("old", "new", "again"))
    why = (
        "当前密码不正确"
        if not check_password(old, acc.password)
        else password_problem(new, "新密码")
        if password_problem(new)
        else "两次输入的新密码不一致"
        if new != again
        else ""
    )
    if why:
        return redirect(url_for("coord.password", error=why), 303)
    digest = hash_password(new)
    regions.set_password(g.store, the_tree(), acc, acc.id, digest, season_app().year)
    session["fp"] = password_fingerprint(digest, season_app().keys.secret)  # this session stays
    return redirect(url_for("coord.password", done=1), 303)


@bp.post("/coord/accounts")
def accounts_post():
    acc = need_coord()
    t = the_tree()
    ctx = season_app()
    try:
        if request.form.get("action") in ("disable", "enable"):
            aid = whole_number(request.form.get("account", ""))
            if aid is None:
                abort(400, "没有这个账号")
            regions.disable_account(g.store, t, acc, aid, ctx.year, request.form.get("action") == "disable")
        elif request.form.get("action") == "password":  # 重设密码 of an account below
            aid = whole_number(request.form.get("account", ""))
            if aid is None or aid == acc.id:
                abort(400, "没有这个账号")
            pw = request.form.get("password", "")
            if why := password_problem(pw, "新密码"):
                raise regions.AccountError(why)
            regions.set_password(g.store, t, acc, aid, hash_password(pw), ctx.year)
            target = g.store.web_account(id=aid)
            done = f"已为账号“{target.login if target else aid}”重设密码；请把新密码告知该协调人"
            return redirect(url_for("coord.accounts", done=done), 303)
        else:
            pw = request.form.get("password", "")
            if why := password_problem(pw):
                raise regions.AccountError(why)
            rid = whole_number(request.form.get("region", ""))
            if rid is None:
                raise regions.AccountError("请选择地区")
            regions.create_account(
                g.store, t, acc, request.form.get("login", "").strip(), hash_password(pw), rid, ctx.year
            )
    except regions.AccountError as exc:
        return redirect(url_for("coord.accounts", error=str(exc)), 303)
    return redirect(url_for("coord.accounts"), 303)


def _figures(v: dict[str, Any]) -> list[tuple[str, Any]]:
    out = [(label, v.get(k, 0)) for k, label in MAIN_FIGURES]
    out.append(("行政诉讼", sum(v.get(k, 0) for k in SUIT_KEYS)))
    return out


def _new_received(summary: Any, rec: Any) -> int:
    keys = summary.spec.numeric_keys
    cells = summary.spec.cells
    cols = [i for i, k in enumerate(keys) if k.startswith("t3.new_received.") and cells[k].kind == "input"]
    return sum(int(rec.values[i] or 0) for i in cols) if rec.values is not None else 0
