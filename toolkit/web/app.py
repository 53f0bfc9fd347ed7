"""The collection season in a browser: agencies upload, see their findings at once, the
coordinator reviews and downloads the district summary (``xxgk serve``).

Flask, server-rendered Jinja2 pages (autoescaped), one stylesheet shipped in the package, no
JavaScript. Everything is kept in the archive database (:class:`toolkit.store.WebStore`): every
upload by its hash, readable uploads of the link's own agency and year as archive versions (the
current one is the latest valid version unless the coordinator chose another).

Safety: each agency's pages sit behind its own unguessable link token; coordinator pages behind a
password (scrypt hash in the database) and a signed session cookie; every form carries a CSRF
token; uploads are bounded in size (the request is refused before it is read) and in number per
agency, and are read by the toolkit's bounded reader (zip/XML bombs are findings).
"""

from __future__ import annotations

import hmac
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, send_file, session, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from toolkit.findings import ERROR, FileReport, Finding
from toolkit.model import Submission
from toolkit.roster import Roster, RosterEntry, norm_name
from toolkit.spec import spec_for_year
from toolkit.store import Version, WebAgency, WebStore, WebUpload
from toolkit.template import safe_filename
from toolkit.validate import SPREADSHEET_EXT, PreviousIndex, check_file
from toolkit.web.security import check_password, display_name, password_fingerprint, valid_token

__all__ = ["Limits", "create_app", "status_table"]

NOT_SUBMITTED, INVALID, PASSED, DUPLICATE = "未报送", "有错误", "通过", "重复"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN_FIGURES = (
    ("t3.new_received.total", "本年新收申请"),
    ("t3.carried_in.total", "上年结转"),
    ("t3.result_total.total", "办理完结"),
    ("t3.carried_out.total", "结转下年"),
    ("t4.review_total", "行政复议"),
)

SUIT_KEYS = ("t4.suit_direct_total", "t4.suit_after_review_total")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one client can make the server do."""

    max_upload_bytes: int = 5 * 1024 * 1024  # a filled form is ~30 KB
    max_uploads_per_agency: int = 200  # per report year
    max_login_failures: int = 10  # then logins wait ``login_lockout`` seconds
    login_lockout: float = 60.0
    # a summary over more files than this runs in the background; its page shows progress
    summary_sync_files: int = 40


@dataclass
class Row:
    """One roster agency in the coordinator's table."""

    agency: WebAgency
    status: str
    latest: WebUpload | None
    current: Version | None
    uploads: int


def status_of(store: WebStore, wa: WebAgency, latest: WebUpload | None) -> tuple[str, Version | None]:
    """未报送 (no upload), 通过 / 有错误 (the current version of the link's archive submission),
    else the latest upload's verdict (有错误, or 重复: another agency's report)."""
    cur = next((v for v in store.web_versions(wa.id) if v.current and v.year == wa.year), None)
    if cur is not None:
        return (PASSED if cur.valid else INVALID), cur
    if latest is None:
        return NOT_SUBMITTED, None
    return latest.status, None


def status_table(store: WebStore, year: int) -> list[Row]:
    latest = store.web_latest(year)
    rows = []
    for wa in store.web_agencies(year):
        st, cur = status_of(store, wa, latest.get(wa.id))
        rows.append(Row(wa, st, latest.get(wa.id), cur, store.web_upload_count(wa.id)))
    return rows


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(**{k: d.get(k) for k in Finding.__slots__})


def create_app(
    db_path: str | Path,
    *,
    year: int,
    limits: Limits | None = None,
) -> Flask:
    """The WSGI application over the archive ``db_path`` for report year ``year``."""
    limits = limits or Limits()
    db_path = str(db_path)
    with WebStore(db_path) as store:
        secret = store.setting_default("secret_key", lambda: secrets.token_hex(32))
        prev_year = [y for y in store.years() if y == year - 1]
    spec = spec_for_year(year)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME="xxgk_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=limits.max_upload_bytes + 64 * 1024,  # the file plus the form around it
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        MAX_FORM_PARTS=20,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True  # every template, whatever its name
    state: dict[str, Any] = {"previous": None, "failures": [], "lock": threading.Lock()}

    def previous_index(store: WebStore | None = None) -> PreviousIndex | None:
        """Last year's figures from the archive (PREV-* findings, as validate --archive)."""
        if not prev_year:
            return None
        with state["lock"]:
            if state["previous"] is None:
                state["previous"] = _previous(store or g.store, year)
        return state["previous"]

    # -- every request ---------------------------------------------------------------------------
    @app.before_request
    def _open() -> None:
        g.store = WebStore(db_path, create=False)
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            want = session.get("csrf", "")
            if not want or not hmac.compare_digest(str(sent), str(want)):
                abort(403, "表单已失效（缺少或错误的校验码），请刷新页面后重试")

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        st = g.pop("store", None)
        if st is not None:
            st.close()

    @app.after_request
    def _headers(resp):
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"  # links carry tokens: never leak them
        resp.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.template_filter("localtime")
    def _localtime(iso: str, width: int = 19) -> str:
        """Stored times are UTC; pages show the server's local time (an office PC: Beijing time)."""
        from datetime import datetime

        try:
            return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")[:width]
        except (TypeError, ValueError):
            return str(iso)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        def csrf_token() -> str:
            if "csrf" not in session:
                session["csrf"] = secrets.token_urlsafe(32)
            return session["csrf"]

        return {
            "csrf_token": csrf_token,
            "year": year,
            "is_coord": _is_coord(),
            "limits": limits,
            "basis": spec.basis,  # the year's format: 〔2019〕60号 for 2019 and 2020
        }

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException):
        if isinstance(exc, RequestEntityTooLarge):
            msg = f"文件过大：上传的文件不能超过 {limits.max_upload_bytes // (1024 * 1024)} MB（填报表通常只有几十 KB）"
        else:
            msg = (
                exc.description  # ours (Chinese); werkzeug's own English defaults are replaced
                if exc.description and exc.description != type(exc).description
                else _ERRORS.get(exc.code or 0, "出错了")
            )
        return render_template("error.html", code=exc.code, message=msg), exc.code or 500

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        """A bug must not show a traceback to a browser: logged on the server, one line in the page."""
        app.logger.exception("xxgk serve: %s %s", request.method, request.path)
        return render_template(
            "error.html", code=500, message="服务器内部错误，已记录；请稍后重试或联系协调人"
        ), 500

    def _is_coord() -> bool:
        stored = g.store.setting("password") if "store" in g else None
        fp = session.get("coord")
        return bool(stored and fp and hmac.compare_digest(fp, password_fingerprint(stored, secret)))

    def _agency(token: str) -> WebAgency:
        wa = g.store.web_agency(token=token) if valid_token(token) else None
        if wa is None or wa.year != year:
            abort(404)
        return wa

    def _coord() -> None:
        if not _is_coord():
            abort(403, "请先以协调人身份登录")

    # -- agency pages ----------------------------------------------------------------------------
    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/a/<token>")
    def agency(token: str):
        wa = _agency(token)
        uploads = g.store.web_uploads(wa.id)
        shown = uploads[0] if uploads else None
        if (u := request.args.get("u", "")).isdigit():
            shown = next((x for x in uploads if x.id == int(u)), shown)
        st, cur = status_of(g.store, wa, uploads[0] if uploads else None)
        return render_template(
            "agency.html",
            wa=wa,
            token=token,
            uploads=uploads,
            shown=shown,
            findings=[_finding(d) for d in shown.findings] if shown else [],
            status=st,
            current=cur,
        )

    @app.get("/a/<token>/template.xlsx")
    def agency_template(token: str):
        from toolkit.template import make_template

        wa = _agency(token)
        cover: dict[str, Any] = {"agency": wa.name, "code": wa.code, "parent": wa.parent, "year": year}
        with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
            p = make_template(Path(d) / "t.xlsx", Submission(spec=spec, cover=cover))
            data = p.read_bytes()
        return _send(data, f"{safe_filename(wa.name)}_{year}年度报告填报表.xlsx")

    @app.post("/a/<token>/upload")
    def agency_upload(token: str):
        wa = _agency(token)
        f = request.files.get("file")
        if f is None or not f.filename:
            abort(400, "请选择要上传的文件")
        if g.store.web_upload_count(wa.id) >= limits.max_uploads_per_agency:
            abort(429, f"本单位已上传 {limits.max_uploads_per_agency} 次，达到上限，请联系协调人")
        data = f.stream.read(limits.max_upload_bytes + 1)
        if len(data) > limits.max_upload_bytes:
            raise RequestEntityTooLarge()
        uid = receive(g.store, wa, data, display_name(f.filename))
        return redirect(url_for("agency", token=token, u=uid), 303)

    def receive(store: WebStore, wa: WebAgency, data: bytes, name: str) -> int:
        """Check one upload as ``xxgk validate`` does, file it, return its upload id."""
        t0 = time.perf_counter()
        suffix = Path(name).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
            p = Path(d) / ("upload" + (suffix if suffix in SPREADSHEET_EXT else ".xlsx"))
            p.write_bytes(data)
            checked = check_file(p, year=year, previous=previous_index(), display=name)
        findings = list(checked.report.findings)
        sub = checked.submission
        status, mine = _own(store, wa, sub, name, findings)
        if status != DUPLICATE:
            status = PASSED if not any(x.severity == ERROR for x in findings) else INVALID
        with store.transaction():
            vid = None
            if sub is not None and mine and sub.year == year:
                vid = store.add_submission(
                    sub, data=data, file_name=name, source="workbook", findings=findings
                ).version_id
            seconds = time.perf_counter() - t0
            uid = store.web_add_upload(
                wa.id,
                data=data,
                file_name=name,
                status=status,
                findings=findings,
                version_id=vid,
                seconds=seconds,
            )
        return uid

    def _own(
        store: WebStore, wa: WebAgency, sub: Submission | None, name: str, findings: list[Finding]
    ) -> tuple[str, bool]:
        """Is the workbook the link's own agency's? Another roster agency's report is 重复."""
        if sub is None or not sub.agency:
            return "", False
        code = (sub.code or "").upper()
        if norm_name(sub.agency) == norm_name(wa.name) or (wa.code and code == wa.code):
            return "", True
        others = [a for a in store.web_agencies(year) if a.id != wa.id]
        other = next((a for a in others if a.code and a.code == code), None) or next(
            (a for a in others if norm_name(a.name) == norm_name(sub.agency)), None
        )
        if other is not None:
            findings.append(
                Finding(
                    "DUPLICATE-SUBMISSION",
                    ERROR,
                    f"此文件封面为“{other.name}”，是名单中另一单位的报告，与该单位的报送重复；"
                    f"请上传本单位（{wa.name}）的报告",
                    name,
                    "封面",
                    key="cover.agency",
                    expected=wa.name,
                    actual=sub.agency,
                )
            )
            return DUPLICATE, False
        findings.append(
            Finding(
                "UNEXPECTED-AGENCY",
                ERROR,
                f"此文件封面的机关名称为“{sub.agency}”，不是本链接的单位“{wa.name}”；请上传本单位的报告，"
                "或在封面填写本单位名称",
                name,
                "封面",
                key="cover.agency",
                expected=wa.name,
                actual=sub.agency,
            )
        )
        return "", False

    @app.get("/a/<token>/u/<int:upload_id>/annotated.xlsx")
    def agency_annotated(token: str, upload_id: int):
        wa = _agency(token)
        return _annotated(wa, upload_id)

    def _annotated(wa: WebAgency, upload_id: int):
        from toolkit.outputs.annotate import annotate_copy

        u = g.store.web_upload(upload_id)
        if u is None or u.web_agency_id != wa.id:
            abort(404)
        data = g.store.file_bytes(u.file_sha256) or b""
        report = FileReport(u.file_name, [_finding(d) for d in u.findings])
        suffix = Path(u.file_name).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
            src = Path(d) / ("upload" + (suffix if suffix in SPREADSHEET_EXT else ".xlsx"))
            src.write_bytes(data)
            out = annotate_copy(src, report, Path(d) / "out")
            body = out.read_bytes()
            kind = out.name.removeprefix("upload")
        stem = safe_filename(Path(u.file_name).stem)
        return _send(body, f"{stem}{kind}")

    # -- coordinator pages -----------------------------------------------------------------------
    @app.get("/login")
    def login():
        return render_template("login.html", error=None)

    @app.post("/login")
    def login_post():
        now = time.monotonic()
        with state["lock"]:
            fails = [t for t in state["failures"] if now - t < limits.login_lockout]
            state["failures"] = fails
        if len(fails) >= limits.max_login_failures:
            abort(429, "密码错误次数过多，请稍后再试")
        stored = g.store.setting("password")
        if not check_password(request.form.get("password", ""), stored):
            with state["lock"]:
                state["failures"].append(now)
            return render_template("login.html", error="密码不正确"), 403
        session.clear()
        session["coord"] = password_fingerprint(stored or "", secret)
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(url_for("coord"), 303)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"), 303)

    @app.get("/coord")
    def coord():
        _coord()
        rows = status_table(g.store, year)
        counts = {
            s: sum(1 for r in rows if r.status == s) for s in (PASSED, INVALID, DUPLICATE, NOT_SUBMITTED)
        }
        return render_template("coord.html", rows=rows, counts=counts)

    @app.get("/coord/agency/<int:agency_id>")
    def coord_agency(agency_id: int):
        _coord()
        wa = g.store.web_agency(id=agency_id)
        if wa is None or wa.year != year:
            abort(404)
        uploads = g.store.web_uploads(wa.id)
        st, cur = status_of(g.store, wa, uploads[0] if uploads else None)
        shown = uploads[0] if uploads else None
        if cur is not None:
            shown = next((u for u in uploads if u.version_id == cur.id), shown)
        versions = [v for v in g.store.web_versions(wa.id) if v.year == year]
        return render_template(
            "coord_agency.html",
            wa=wa,
            status=st,
            current=cur,
            uploads=uploads,
            shown=shown,
            findings=[_finding(d) for d in shown.findings] if shown else [],
            versions=versions,
        )

    @app.post("/coord/agency/<int:agency_id>/choose")
    def coord_choose(agency_id: int):
        _coord()
        wa = g.store.web_agency(id=agency_id)
        if wa is None or wa.year != year:
            abort(404)
        versions = {v.id: v for v in g.store.web_versions(wa.id) if v.year == year}
        choice = request.form.get("version", "")
        if choice == "rule" and versions:
            g.store.choose(rule_for=next(iter(versions.values())).submission_id)
        elif choice.isdigit() and int(choice) in versions:
            g.store.choose(int(choice))
        else:
            abort(400, "没有这个版本")
        return redirect(url_for("coord_agency", agency_id=agency_id), 303)

    @app.get("/coord/upload/<int:upload_id>/<kind>")
    def coord_upload_file(upload_id: int, kind: str):
        _coord()
        u = g.store.web_upload(upload_id)
        wa = g.store.web_agency(id=u.web_agency_id) if u else None
        if u is None or wa is None:
            abort(404)
        if kind == "annotated":
            return _annotated(wa, upload_id)
        if kind == "original":
            data = g.store.file_bytes(u.file_sha256) or b""
            return _send(data, safe_filename(u.file_name), "application/octet-stream")
        abort(404)

    @app.get("/coord/links")
    def coord_links():
        _coord()
        base = request.url_root.rstrip("/")
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        return render_template(
            "links.html",
            agencies=g.store.web_agencies(year),
            base=base,
            loopback=host in ("127.0.0.1", "localhost", "::1"),
        )

    @app.get("/coord/links.csv")
    def coord_links_csv():
        import csv
        import io

        _coord()
        base = request.url_root.rstrip("/")
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["机关名称", "统一社会信用代码", "报送链接"])
        for a in g.store.web_agencies(year):
            name = "'" + a.name if a.name[:1] in "=+-@\t\r" else a.name  # never a formula in Excel
            w.writerow([name, a.code, f"{base}/a/{a.token}"])
        return _send(("\ufeff" + buf.getvalue()).encode("utf-8"), f"{year}年度报送链接.csv", "text/csv")

    @app.get("/coord/summary")
    def coord_summary():
        _coord()
        from toolkit.merge import Summary

        summary = _summary_or_progress()
        if not isinstance(summary, Summary):
            return summary  # the progress page: it reloads itself until the summary is done
        v = summary.submission.all_values()
        figures = _figures(v)
        prev = None
        if summary.previous is not None:  # last year in its own format: only comparable figures
            from toolkit.merge import previous_figure

            prev = [(label, previous_figure(summary.spec, summary.previous, k)) for k, label in MAIN_FIGURES]
            suits = [previous_figure(summary.spec, summary.previous, k) for k in SUIT_KEYS]
            prev.append(("行政诉讼", None if None in suits else sum(suits)))
        # applications received per counted agency (inputs only in the detail: add the columns)
        bars = [(r.name, _new_received(summary, r)) for r in summary.records if r.included]
        top = max((b for _, b in bars), default=0) or 1
        return render_template(
            "summary.html",
            summary=summary,
            figures=figures,
            previous=prev,
            changes=[None if b[1] is None else a[1] - b[1] for a, b in zip(figures, prev, strict=True)]
            if prev
            else None,
            bars=[(n, b, round(100 * b / top)) for n, b in bars],
            counts=summary.status_counts(),
        )

    @app.get("/coord/summary.xlsx")
    def coord_summary_xlsx():
        from toolkit.outputs.summary import write_summary

        _coord()
        summary = _summary(done_only=True)
        with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
            out = write_summary(summary, Path(d) / "summary.xlsx")
            data = out.read_bytes()
        return _send(data, f"{safe_filename(summary.submission.agency)}_{year}年度汇总表.xlsx")

    @app.get("/coord/bulk/<kind>.zip")
    def coord_bulk(kind: str):
        """Every agency's annotated copy (of its current version, else its latest upload), or
        every current valid version rendered as the publishable report (.docx), in one zip."""
        import io
        import zipfile

        from toolkit.outputs.annotate import annotate_copy
        from toolkit.outputs.render import render

        _coord()
        if kind not in ("annotated", "reports"):
            abort(404)
        buf = io.BytesIO()
        used: set[str] = set()
        with (
            tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d,
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        ):
            for i, r in enumerate(status_table(g.store, year)):
                stem = safe_filename(r.agency.name)
                stem = stem if stem not in used else f"{stem}_{i + 1}"
                used.add(stem)
                if kind == "reports":
                    if r.current is None or not r.current.valid:
                        continue
                    out = render(g.store.submission(r.current.id), Path(d) / f"{i}.docx")
                    zf.writestr(f"{stem}_{year}年度报告.docx", out.read_bytes())
                    continue
                u = next(
                    (
                        x
                        for x in g.store.web_uploads(r.agency.id)
                        if r.current and x.version_id == r.current.id
                    ),
                    r.latest,
                )
                if u is None:
                    continue
                suffix = Path(u.file_name).suffix.lower()
                src = Path(d) / f"{i}{suffix if suffix in SPREADSHEET_EXT else '.xlsx'}"
                src.write_bytes(g.store.file_bytes(u.file_sha256) or b"")
                out = annotate_copy(
                    src, FileReport(u.file_name, [_finding(x) for x in u.findings]), Path(d) / "out"
                )
                zf.writestr(f"{stem}{out.name.removeprefix(str(i))}", out.read_bytes())
        label = "批注版" if kind == "annotated" else "公开报告"
        return _send(buf.getvalue(), f"{year}年度各单位{label}.zip", "application/zip")

    def _inputs(store: WebStore) -> tuple[list[Row], list[tuple[str, str] | None]]:
        """The status rows and, for each, the (sha256, name) of the file the summary reads: the
        current version, else the agency's own latest upload (with errors), else none."""
        rows = status_table(store, year)
        picked: list[tuple[str, str] | None] = []
        for r in rows:
            if r.current is not None:
                picked.append((r.current.file_sha256, r.current.file_name))
            elif r.latest is not None and r.latest.status != DUPLICATE:
                # its own report with errors (listed as 有错误); never another agency's report
                # sent through this link: not this agency's, and it would count its agency twice
                picked.append((r.latest.file_sha256, r.latest.file_name))
            else:
                picked.append(None)
        return rows, picked

    def _summary_or_progress():
        """The summary of the files as they are now: at once for a small district; for a large
        one a background run, and meanwhile a page with its progress that reloads itself."""
        rows, picked = _inputs(g.store)
        key = tuple(picked)
        with state["lock"]:
            job = state.get("job")
            if job is not None and job["key"] == key and job["done"]:
                if job["error"]:
                    state["job"] = None
                    abort(500, job["error"])
                return job["summary"]
            files = sum(1 for x in picked if x is not None)
            if job is None or job["key"] != key:
                if files <= limits.summary_sync_files:
                    job = None
                else:
                    job = {"key": key, "done": False, "error": "", "summary": None, "read": 0, "total": files}
                    state["job"] = job
                    threading.Thread(target=_run_job, args=(job,), daemon=True).start()
        if job is None:
            summary = _summary_of(g.store, rows, picked)
            with state["lock"]:
                state["job"] = {"key": key, "done": True, "error": "", "summary": summary}
            return summary
        return render_template("progress.html", read=job["read"], total=job["total"])

    def _run_job(job: dict[str, Any]) -> None:
        def progress(i: int, n: int) -> None:
            job["read"], job["total"] = i, n

        try:
            with WebStore(db_path, create=False) as store:
                rows, picked = _inputs(store)
                job["summary"] = _summary_of(store, rows, picked, progress)
        except Exception as exc:  # a page must say it, never a thread dying silently
            job["error"] = f"汇总失败：{exc}"
        finally:
            job["done"] = True

    def _summary(done_only: bool = False):
        """The summary (the finished one of the summary page when it is still current)."""
        rows, picked = _inputs(g.store)
        with state["lock"]:
            job = state.get("job")
            if (
                done_only
                and job is not None
                and job["key"] == tuple(picked)
                and job["done"]
                and job["summary"]
            ):
                return job["summary"]
        return _summary_of(g.store, rows, picked)

    def _summary_of(store: WebStore, rows: list[Row], picked: list, progress: Any = None):
        """``xxgk merge`` over the current version of every agency (or its latest upload)."""
        from toolkit.merge import merge

        roster = Roster(
            "",
            [
                RosterEntry(r.agency.name, r.agency.code, r.agency.parent, r.agency.type, r.agency.line)
                for r in rows
            ],
        )
        with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
            names: dict[str, str] = {}
            for i, (r, pick) in enumerate(zip(rows, picked, strict=True)):
                if pick is None:
                    continue
                sha, shown = pick
                suffix = Path(shown).suffix.lower()
                # named by the agency (one folder each): an unreadable file is still matched to
                # its roster agency by its name, as xxgk merge matches 青川区南湖乡人民政府.xlsx
                p = (
                    Path(d)
                    / f"{i:05d}"
                    / f"{safe_filename(r.agency.name)}{suffix if suffix in SPREADSHEET_EXT else '.xlsx'}"
                )
                p.parent.mkdir()
                p.write_bytes(store.file_bytes(sha) or b"")
                names[str(p)] = f"{r.agency.name}：{shown}"
                names[p.name] = names[str(p)]
            prev = previous_index(store)
            summary = merge([d], roster=roster, year=year, spec=spec, previous=prev, progress=progress)

        def shown_in(text: str) -> str:  # a message naming temp files (00003.xlsx) names the uploads
            for tmp, real in names.items():
                if "/" not in tmp and "\\" not in tmp and tmp in text:
                    text = text.replace(tmp, real)
            return text

        def fix(f: Finding, file: str | None) -> Finding:
            return replace(f, file=file, message=shown_in(f.message))

        for rec in summary.records:  # temp paths out, the agencies' file names in
            rec.file = names.get(rec.file or "", rec.file)
            rec.note = shown_in(rec.note or "") if rec.note else rec.note
        for rep in summary.reports:
            name = names.get(rep.file, rep.file)
            rep.findings = [fix(f, name) for f in rep.findings]
            rep.file = name
        summary.findings[:] = [fix(f, names.get(f.file or "", f.file)) for f in summary.findings]
        return summary

    def _send(data: bytes, name: str, mimetype: str = XLSX):
        import io

        return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)

    return app


def _previous(store: WebStore, year: int) -> PreviousIndex:
    """Last year's reports of the roster's agencies from the archive (a workbook before a
    published report; district summaries and agencies off the roster left out, so last year's
    district figures add up the same agencies)."""
    from toolkit.store import SOURCES

    agencies = store.web_agencies(year)
    roster = Roster("", [RosterEntry(a.name, a.code, a.parent, a.type, a.line) for a in agencies])
    keep: dict[int, int] = {}
    for v in sorted(store.current(year=year - 1), key=lambda v: SOURCES.index(v.source)):
        e = roster.find(v.agency, v.code or "") if v.source != "summary" else None
        if e is not None:
            keep.setdefault(id(e), v.id)
    return PreviousIndex(store.submissions(keep.values()))


def _figures(v: dict[str, Any]) -> list[tuple[str, Any]]:
    out = [(label, v.get(k, 0)) for k, label in MAIN_FIGURES]
    out.append(("行政诉讼", sum(v.get(k, 0) for k in SUIT_KEYS)))
    return out


def _new_received(summary: Any, rec: Any) -> int:
    keys = summary.spec.numeric_keys
    cells = summary.spec.cells
    cols = [i for i, k in enumerate(keys) if k.startswith("t3.new_received.") and cells[k].kind == "input"]
    return sum(int(rec.values[i] or 0) for i in cols) if rec.values is not None else 0


_ERRORS = {
    400: "请求有误",
    403: "没有权限访问此页面",
    404: "找不到此页面：链接不正确或已失效，请向协调人索取本单位的报送链接",
    405: "不支持此操作",
    413: "文件过大",
    429: "请求过于频繁，请稍后再试",
}
