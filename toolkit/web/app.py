"""The collection season in a browser: agencies upload, see their findings at once, the
coordinator reviews and downloads the district summary (``xxgk serve``).

Flask, server-rendered Jinja2 pages (autoescaped), one stylesheet shipped in the package, no
JavaScript. The season's rules (whose upload this is, which version counts, statuses, the summary's
inputs) are in :mod:`toolkit.season`; the pages are two thin blueprints over it:
:mod:`toolkit.web.agency_pages` (an agency's link) and :mod:`toolkit.web.coord_pages` (the
coordinator). Everything is kept in the archive database (:class:`toolkit.store.WebStore`).

Safety: each agency's pages sit behind its own unguessable link (only its hash is stored; the
token is derived from a secret kept in a key file beside the archive, never in it); coordinator
pages behind a password (scrypt hash) and a session cookie signed with that secret; every form
carries a CSRF token; uploads are bounded in size (refused before they are read) and in number per
agency (counted inside the write transaction), and read by the toolkit's bounded reader; failed
logins are throttled per client.
"""

from __future__ import annotations

import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, g, render_template, request, session
from werkzeug.exceptions import BadHost, ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, ValidationError

from toolkit.spec import spec_for_year
from toolkit.store import StoreError, WebStore
from toolkit.web.security import Keys, password_fingerprint

__all__ = ["Limits", "SeasonApp", "create_app", "season_app", "whole_number", "write_failure"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# set when the server has stopped serving (Ctrl+C, SIGTERM): a background job still running then
# meets its temporary files removed under it as the process ends; that is the stop, not a fault
STOPPED = threading.Event()


@dataclass(frozen=True)
class Limits:
    """Bounds on what one client can make the server do."""

    max_upload_bytes: int = 5 * 1024 * 1024  # a filled form is ~30 KB; with a seal image ~0.4 MB
    max_uploads_per_agency: int = 200  # per report year
    max_login_failures: int = 10  # per client, then its logins wait ``login_lockout`` seconds
    login_lockout: float = 60.0
    # a summary over more files than this runs in the background; its page shows progress
    summary_sync_files: int = 40
    busy_wait: float = 60.0  # seconds a write waits for another writer (xxgk archive add) to finish


@dataclass
class Job:
    """A long piece of work (a large summary, the Word zip) running in a background thread."""

    key: Any
    done: bool = False
    error: str = ""
    status: int = 500  # the HTTP status its error is said with (507: a full disk)
    told: bool = False  # its error was shown on a page (until then the job stays: a reload says it)
    result: Any = None
    read: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)


class SeasonApp:
    """What the two blueprints share: the archive's path, the year, the keys, the limits, the
    background jobs and the per-client login throttle."""

    def __init__(
        self, db_path: str, year: int, limits: Limits, keys: Keys, base_url: str | None, lan: bool
    ) -> None:
        self.db_path, self.year, self.limits, self.keys = db_path, year, limits, keys
        self.base_url = base_url.rstrip("/") if base_url else None
        self.lan = lan  # bound to more than this machine
        self.spec = spec_for_year(year)
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self._previous: Any = None
        self._failures: dict[str, list[float]] = {}
        self._snapshot: Any = None
        self._building = threading.Lock()
        self._building_previous = threading.Lock()
        self._files: str | None = None  # this server's folder for the bulk zips (files_folder)

    # last year's figures from the archive (PREV-* findings, the summary's 同比)
    def previous(self, store: WebStore) -> Any:
        """Last year's reports of the roster's agencies, kept between requests and built anew
        when last year's part of the archive changed (``xxgk archive add`` of last year's files,
        ``xxgk archive choose``, while the server runs): no restart needed."""
        return self.previous_marked(store)[1]

    def previous_marked(self, store: WebStore) -> tuple[tuple, Any]:
        """(what last year's data looked like, :meth:`previous`): the mark goes into the keys of
        what is built from it (the summary)."""
        from toolkit.season import previous_of

        mark = store.db.execute(  # cheap: last year's submissions by the (year, agency) index
            "SELECT (SELECT COUNT(*) FROM submissions WHERE year = ?),"
            " (SELECT TOTAL(current_version) FROM submissions WHERE year = ?),"
            " (SELECT MAX(id) FROM submissions WHERE year = ?),"
            " (SELECT MAX(id) FROM agencies), (SELECT MAX(id) FROM web_agencies)",
            (self.year - 1,) * 3,
        ).fetchone()
        with self.lock:
            cached = self._previous
        if cached is not None and cached[0] == mark:
            return mark, cached[1] or None
        with self._building_previous:  # one thread builds; the others wait for it
            with self.lock:
                cached = self._previous
            if cached is None or cached[0] != mark:
                cached = (mark, previous_of(store, self.year) or False)
                with self.lock:
                    self._previous = cached
        return mark, cached[1] or None

    # the year's tree and every agency's state, shared by requests until something changes
    def snapshot(self, store: WebStore) -> tuple[Any, dict[int, Any], dict[int, dict[str, int]]]:
        """(tree, state by agency id, status counts by region), kept between requests: rebuilt
        when the roster or the tree changed, else refreshed for the agencies whose uploads,
        versions or coordinator actions are new — a province's dashboard after an upload costs
        that agency's state, not 15,000 agencies' states."""

        marks = store.db.execute(
            "SELECT (SELECT MAX(id) FROM web_uploads), (SELECT MAX(id) FROM web_events),"
            " (SELECT MAX(id) FROM versions), (SELECT COUNT(*) FROM web_returns),"
            " (SELECT MAX(id) FROM web_agencies), (SELECT MAX(id) FROM web_regions),"
            " (SELECT TOTAL(current_version) FROM submissions WHERE year = ?),"
            " (SELECT COUNT(*) FROM web_agencies WHERE revoked_at IS NOT NULL),"
            " (SELECT TOTAL(gen) FROM web_agencies WHERE year = ?)",
            (self.year, self.year),
        ).fetchone()
        with self.lock:
            cached = self._snapshot
        if cached is not None and cached[0] == marks:
            return cached[1]
        with self._building:  # one thread builds; the others wait for it, then use it
            with self.lock:
                cached = self._snapshot
            if cached is not None and cached[0] == marks:
                return cached[1]
            return self._rebuild(store, marks, cached)

    def _rebuild(self, store: WebStore, marks: tuple, cached: Any) -> Any:
        from toolkit import regions, season

        old = cached[0] if cached is not None else None
        if old is not None and old[4:6] == marks[4:6] and old[7:] == marks[7:]:  # same roster, links, tree
            t, by_id, _ = cached[1]
            changed: set[int] = set()
            q = store.db.execute
            changed |= {
                r[0] for r in q("SELECT DISTINCT web_agency_id FROM web_uploads WHERE id > ?", (old[0] or 0,))
            }
            changed |= {
                r[0]
                for r in q(
                    "SELECT DISTINCT web_agency_id FROM web_events WHERE id > ? AND web_agency_id IS NOT NULL",
                    (old[1] or 0,),
                )
            }
            changed |= {
                r[0]
                for r in q(
                    "SELECT w.id FROM web_agencies w JOIN submissions s ON s.agency_id = w.agency_id"
                    " JOIN versions v ON v.submission_id = s.id WHERE v.id > ? AND w.year = ?",
                    (old[2] or 0, self.year),
                )
            }
            if len(changed) <= 200 and (old[3] == marks[3] or changed) and (old[6] == marks[6] or changed):
                by_id = dict(by_id)
                roll = dict(cached[1][2])  # counts moved along each changed agency's ancestors
                for wid in changed:
                    wa = store.web_agency(id=wid)
                    if wa is None or wa.year != self.year:
                        continue
                    new = season.state(store, wa)
                    before = by_id[wid].status if wid in by_id else None
                    by_id[wid] = new
                    if before != new.status:
                        home = (
                            wa.region_id
                            if wa.region_id in t.nodes
                            else (t.root.region.id if t.root else None)
                        )
                        for n in t.ancestors(home) if home is not None else []:
                            c = roll[n.region.id] = dict(roll.get(n.region.id, {}))
                            if before is not None:
                                c[before] = c.get(before, 0) - 1
                            c[new.status] = c.get(new.status, 0) + 1
                value = (t, by_id, roll)
                with self.lock:
                    self._snapshot = (marks, value)
                return value
        t = regions.tree(store, self.year)
        sts = season.states(store, self.year)
        value = (t, {s.agency.id: s for s in sts}, regions.rollup(t, sts))
        with self.lock:
            self._snapshot = (marks, value)
        return value

    # failed logins, per client address
    def login_allowed(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            for k in [
                k for k, v in self._failures.items() if not v or now - v[-1] > self.limits.login_lockout
            ]:
                del self._failures[k]
            fails = [t for t in self._failures.get(client, []) if now - t < self.limits.login_lockout]
            return len(fails) < self.limits.max_login_failures

    def login_failed(self, client: str) -> None:
        with self.lock:
            if len(self._failures) > 10000:  # bounded whatever the number of clients
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(client, []).append(time.monotonic())

    # links
    def link_base(self) -> str:
        """Where agencies open their links: ``--base-url``, else this request's own address
        (loopback only: a LAN page never trusts the Host header)."""
        if self.base_url:
            return self.base_url
        return request.url_root.rstrip("/")

    # background work
    def files_folder(self) -> str:
        """This server's own temporary folder, where a bulk zip (a province's agencies: ~1 GB)
        waits on disk to be downloaded: removed when the server goes away or the process ends,
        made again if something else removed it; two servers of one process never share it.
        Its name carries the process id: the folders of a server that was killed (kill -9, a
        power cut: nothing of it ran to remove them) are removed when the next one makes its own
        — they filled the temporary folder, one province's zips at a time."""
        import os
        import shutil
        import tempfile
        import weakref

        with self.lock:
            if self._files is None or not os.path.isdir(self._files):
                _remove_killed_folders()
                self._files = tempfile.mkdtemp(prefix=f"{FILES_PREFIX}{os.getpid()}-")
                weakref.finalize(self, shutil.rmtree, self._files, True)
            return self._files

    def job_file(self, suffix: str) -> Path:
        """A new file for a background job's output, in :meth:`files_folder`."""
        import os
        import tempfile

        fd, path = tempfile.mkstemp(suffix=suffix, dir=self.files_folder())
        os.close(fd)
        return Path(path)

    def job(self, name: str, key: Any, work: Callable[[Job], Any], background: bool) -> Job:
        """The job ``name`` for ``key``: the finished or running one, else a new one (run at once
        when not ``background``). A job that failed is tried again only once a page has said its
        error (:attr:`Job.told`): the progress page reloads itself, and a reload that started it
        again never showed the failure (正在生成… 已处理 0 / 1 for ever, on a full disk)."""
        with self.lock:
            job = self.jobs.get(name)
            if job is not None and job.key == key and not (job.done and job.error and job.told):
                return job
            job = Job(key)
            self.jobs[name] = job
        if not background:
            self._run(job, work)
            return job
        threading.Thread(target=self._run, args=(job, work), daemon=True).start()
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
        except Exception as exc:  # a page must say it, never a thread dying silently
            if STOPPED.is_set():  # the server stopped under it: nobody waits for it, no traceback
                job.error = "服务器已停止，处理未完成"
                return
            import logging

            from toolkit.spool import SpoolError

            why = "服务器磁盘空间已满（临时文件夹）" if isinstance(exc, SpoolError) else write_failure(exc)
            if why is not None:  # a full disk: said as that, not as a fault to report
                logging.getLogger("toolkit.web").warning(
                    "xxgk serve: background job: %s",
                    exc,
                    extra={"zh": f"后台处理（汇总或批量下载）失败：{why}，请清理磁盘"},
                )
                job.error = f"{why}，未能完成；请清理磁盘（或告知协调人）后刷新本页重试"
                job.status = 507
            else:
                logging.getLogger("toolkit.web").exception(
                    "xxgk serve: background job failed", extra={"zh": "后台处理（汇总或批量下载）失败"}
                )
                job.error = "处理失败，已记录在服务器日志中；请稍后重试或联系技术支持"
        finally:
            job.done = True


FILES_PREFIX = "xxgk-serve-files-"  # + the server's process id + "-": SeasonApp.files_folder


def _remove_killed_folders() -> None:
    """The bulk-zip folders (:meth:`SeasonApp.files_folder`) of servers whose process is gone."""
    import os
    import re
    import shutil
    import tempfile

    from toolkit.paths import _pid_alive

    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return
    for e in entries:
        m = re.match(rf"{FILES_PREFIX}(\d+)-", e.name)
        if m and not _pid_alive(int(m.group(1))) and e.is_dir(follow_symlinks=False):
            shutil.rmtree(e.path, ignore_errors=True)


def season_app() -> SeasonApp:
    return current_app.extensions["xxgk"]


MAX_DIGITS = 18  # an id or a page number: below SQLite's INTEGER limit whatever the digits


def whole_number(raw: object) -> int | None:
    """A number in a URL or a form, written as the pages write it: 1 to 18 ASCII digits; else
    None. ``str.isdigit`` is not enough: it accepts "²" (which ``int`` then refuses: a 500) and
    "٣" (which ``int`` reads as 3); a sign, "1e3", spaces and a number beyond SQLite's INTEGER
    are no id either."""
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


class IdConverter(BaseConverter):
    """``<int:...>`` in the pages' routes: ASCII digits only, at most ``MAX_DIGITS`` (werkzeug's
    own takes any Unicode digit and any length: "/coord/agency/٣" was agency 3, a 20-digit id a
    500 from SQLite). Anything else: no such page (404)."""

    regex = f"[0-9]{{1,{MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        n = whole_number(value)
        if n is None:
            raise ValidationError()
        return n

    def to_url(self, value: Any) -> str:
        return str(int(value))


def create_app(
    db_path: str | Path,
    *,
    year: int,
    limits: Limits | None = None,
    base_url: str | None = None,
    lan: bool = False,
) -> Flask:
    """The WSGI application over the archive ``db_path`` for report year ``year``."""
    from toolkit.season import prepare_keys

    limits = limits or Limits()
    db_path = str(db_path)
    keys = Keys.for_db(db_path)
    with WebStore(db_path) as store:
        prepare_keys(store, keys)
        from toolkit.season import mend_split_links

        mend_split_links(store)  # an older serve's split of an agency (serve's start has said it)
        from toolkit.regions import ensure_root_account

        ensure_root_account(store)  # an archive of the single-password serve: its password
    ctx = SeasonApp(db_path, year, limits, keys, base_url, lan)
    with WebStore(db_path) as store:  # built before the first page asks: a province takes seconds
        ctx.snapshot(store)
    app = Flask(__name__)
    app.extensions["xxgk"] = ctx
    app.config.update(
        SECRET_KEY=keys.secret,
        SESSION_COOKIE_NAME="xxgk_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=limits.max_upload_bytes + 64 * 1024,  # the file plus the form around it
        # werkzeug applies the form-memory limit to the buffered multipart stream too: it must
        # admit the file, or the real limit is 64 KB whatever the page says
        MAX_FORM_MEMORY_SIZE=limits.max_upload_bytes + 64 * 1024,
        MAX_FORM_PARTS=20,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.jinja_env.finalize = _shown  # no control character or bidi override reaches a page
    app.url_map.converters["int"] = IdConverter  # before the routes are added

    from toolkit.web.agency_pages import bp as agency_bp
    from toolkit.web.coord_pages import bp as coord_bp

    app.register_blueprint(agency_bp)
    app.register_blueprint(coord_bp)

    @app.before_request
    def _open() -> None:
        try:
            # a write waits busy_wait for another writer (xxgk archive add), from the first statement
            g.store = WebStore(db_path, create=False, wait_seconds=limits.busy_wait)
        except Exception as exc:
            app.logger.warning(
                "xxgk serve: %s %s: cannot open the archive: %s",
                request.method,
                request.path,
                exc,
                extra={"zh": f"档案库暂时无法打开（{request.method} {request.path}）"},
            )
            abort(503, "档案库暂时无法打开，请稍后重试")
        if request.method == "POST":
            try:
                sent = request.form.get("csrf", "")
            except RequestEntityTooLarge:
                cl = request.content_length
                if cl is not None and cl <= (app.config["MAX_CONTENT_LENGTH"] or cl):
                    # within the size limit: it is the number of parts (MAX_FORM_PARTS), not a file
                    abort(
                        413,
                        f"表单中的项目太多（上限 {app.config['MAX_FORM_PARTS']} 项），不是报送页面的表单发出的请求；"
                        "请在报送页面用“上传并校验”按钮上传",
                    )
                raise
            except ClientDisconnected:  # fewer bytes than announced: the sender went away
                abort(400, UPLOAD_CUT_SHORT)
            if cut_short():
                abort(400, UPLOAD_CUT_SHORT)
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

    @app.template_filter("paper")
    def _paper(note: str | None) -> str | None:
        """A note as a person in the browser reads it: no command-line options."""
        from toolkit.outputs.findings_xlsx import paper_note

        return paper_note(note)

    @app.template_test("marked_up")
    def _marked_up(u: Any) -> bool:
        """Whether an upload's copy is its own workbook marked up (批注版), not the list of problems
        alone (问题清单: a PDF, a .xls, a file that cannot be read), as ``annotate_copy`` makes it."""
        name = str(getattr(u, "file_name", "") or "").lower()
        found = getattr(u, "findings", None) or []
        unreadable = any(
            (d.get("code") if isinstance(d, dict) else d.code) == "FILE-UNREADABLE" for d in found
        )
        return name.endswith((".xlsx", ".xlsm")) and not unreadable

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
            "is_coord": is_coord(),
            "account": current_account(),
            "limits": limits,
            "basis": ctx.spec.basis,  # the year's format: 〔2019〕60号 for 2019 and 2020
        }

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException):
        if isinstance(exc, RequestEntityTooLarge) and exc.description == RequestEntityTooLarge.description:
            msg = too_large_message(limits.max_upload_bytes, request.path)
        elif isinstance(exc, BadHost):
            msg = "请求中的主机名（Host）无效；请用协调人给出的地址打开页面"
        elif exc.code == 404 and request.path.startswith("/coord"):
            msg = "找不到此页面，或它不在本账号管辖的地区之内"
        else:
            msg = (
                exc.description  # ours (Chinese); werkzeug's own English defaults are replaced
                if exc.description and exc.description != type(exc).description
                else _ERRORS.get(exc.code or 0, "出错了")
            )
        return error_page(exc.code or 500, msg)

    @app.errorhandler(sqlite3.OperationalError)
    @app.errorhandler(StoreError)
    @app.errorhandler(OSError)
    def _busy(exc: Exception):
        """Another writer held the archive past ``busy_wait``: nothing was stored; say so. A full
        disk (SQLite's SQLITE_FULL, ENOSPC, a file-size limit) is said as that: waiting and
        trying again, as a busy archive asks, does not help until someone frees space."""
        why = write_failure(exc)
        if why is None and not isinstance(exc, sqlite3.Error | StoreError):
            return _crash(exc)  # any other OSError is a bug: logged, 500 (never back here: why is None)
        if why is not None:
            app.logger.warning(
                "xxgk serve: %s %s: %s",
                request.method,
                request.path,
                exc,
                extra={"zh": f"{why}，请求未完成（{request.method} {request.path}）：请检查并清理磁盘"},
            )
            msg = f"{why}，本次操作未保存；请告知协调人检查并清理磁盘后重新提交"
            return error_page(507, msg)
        busy = "locked" in str(exc) or "busy" in str(exc) or isinstance(exc, StoreError)
        zh = "档案库正忙，请求未完成" if busy else "档案库读写出错，请求未完成"
        app.logger.warning(
            "xxgk serve: %s %s: %s",
            request.method,
            request.path,
            exc,
            extra={"zh": f"{zh}（{request.method} {request.path}）"},
        )
        msg = "档案库正忙（可能正在执行 xxgk archive add），本次操作未保存，请稍后重新提交"
        return error_page(503, msg)

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        """A bug must not show a traceback to a browser: logged on the server, one line in the page."""
        if write_failure(exc) is not None:  # a full disk under a library's own exception
            return _busy(exc)
        app.logger.exception(
            "xxgk serve: %s %s",
            request.method,
            request.path,
            extra={
                "zh": f"服务器内部错误（{request.method} {request.path}），已向浏览器显示“服务器内部错误”"
            },
        )
        return error_page(500, "服务器内部错误，已记录；请稍后重试或联系协调人")

    return app


def write_failure(exc: BaseException, _depth: int = 0) -> str | None:
    """What a failed write says to a person when the disk is at fault (None: it is not): SQLite's
    SQLITE_FULL and the system's ENOSPC, EDQUOT, EFBIG (a file-size limit) are a full disk;
    SQLite's SQLITE_IOERR (how it reports a write cut short by a size limit, or a failing disk)
    is a failed write. Neither is "busy": trying again later does not help until someone acts."""
    import errno

    inner_errors = (exc.__cause__, exc.__context__, *(a for a in exc.args if isinstance(a, BaseException)))
    for inner in inner_errors if _depth < 4 else ():
        if isinstance(inner, OSError) and inner is not exc and (why := write_failure(inner, _depth + 1)):
            return why  # a library's own error around the system's (xlsxwriter's FileCreateError)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if (code is not None and (code & 0xFF) == sqlite3.SQLITE_FULL) or "disk is full" in str(exc):
            return "服务器磁盘空间已满"
        if (code is not None and (code & 0xFF) == sqlite3.SQLITE_IOERR) or "disk I/O error" in str(exc):
            return "服务器无法写入档案库（磁盘空间已满或磁盘出错）"
        return None
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "服务器磁盘空间已满"
    return None


def _shown(v: Any) -> Any:
    """Every value a template writes: text without control characters or bidi overrides (a note
    or a name stored before input was cleaned); markup stays markup."""
    if isinstance(v, str):
        from markupsafe import Markup

        from toolkit.textsafe import shown_text

        clean = shown_text(v)
        if clean is not v:
            return Markup(clean) if isinstance(v, Markup) else clean
    return v


def error_page(code: int, message: str) -> tuple[str, int]:
    """The error page: the pages' template, or the same page without links the request cannot
    build — a Host header werkzeug cannot bind (a label over 63 characters: BadHost) leaves no
    URL adapter, and ``url_for`` in the template would fail inside the error handler (a 500)."""
    from flask.globals import request_ctx

    if request_ctx.url_adapter is None:
        return plain_error_page(code, message).decode(), code
    return render_template("error.html", code=code, message=message, back=way_back()), code


def plain_error_page(code: int, message: str) -> bytes:
    """The error page without the template: for answers given outside a request's routing."""
    import html

    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="/static/style.css">'
        f"<title>出错了（{code}）</title></head><body><main><h1>出错了（{code}）</h1>"
        f'<p class="message" id="error">{html.escape(message)}</p>'
        '<p><a class="button secondary" id="back" href="/">返回</a></p></main></body></html>'
    ).encode()


def way_back() -> str | None:
    """Where the error page's 返回 link goes: the agency's own page for its link's requests (the
    pages send no Referer), the coordinator's dashboard for theirs."""
    parts = request.path.split("/")
    if len(parts) > 3 and parts[1] == "a":
        return f"/a/{parts[2]}"
    if request.path.startswith("/coord"):
        # not signed in (a session ended, a bookmark): 返回 to /coord would be this page again
        return "/coord" if current_account() is not None else "/login"
    return None


UPLOAD_CUT_SHORT = (
    "上传未完成，请重新上传：文件没有完整送达服务器（可能是网络中断或上传时关闭了页面），本次上传未保存"
)


def cut_short() -> bool:
    """A multipart body that ended before its closing boundary (the connection dropped, a proxy
    cut it): werkzeug reads such a body as an empty form, which would otherwise be taken for a
    form without its check code (表单已失效) — the clerk would send it again not knowing why."""
    if request.mimetype != "multipart/form-data" or request.form or request.files:
        return False
    sent = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(sent) or chunked


def too_large_message(limit: int, path: str = "/a/-/upload") -> str:
    """What a request over the size limit is told: on the upload page, about the file; on any other
    page (a password, a note: no page of serve sends more than a few KB there) that it was no
    form of that page."""
    mb = limit / (1024 * 1024)
    shown = f"{mb:g}" if mb >= 1 else f"{mb:.2f}"
    if not _UPLOAD_PATH.fullmatch(path or ""):
        return (
            f"提交的内容过大（超过 {shown} MB），不是本页面的表单发出的请求；请回到页面，正常填写后再提交。"
        )
    return (
        f"文件过大：上传的文件不能超过 {shown} MB（填报表通常只有几十 KB，带图片的也不过几百 KB）。"
        "请删除表中多余的图片或工作表后重新上传；或把文件发给协调人。"
    )


_UPLOAD_PATH = re.compile(r"/a/[^/]+/upload/?")  # the one page that takes a file (agency_pages.upload)


def current_account():
    """The logged-in coordinator account (None: not logged in, disabled, or its password changed)."""
    if "store" not in g:
        return None
    if "account" in g:
        return g.account
    acc = None
    aid, fp = session.get("account"), session.get("fp")
    if isinstance(aid, int) and isinstance(fp, str):
        a = g.store.web_account(id=aid)
        want = password_fingerprint(a.password, season_app().keys.secret) if a else ""
        if a is not None and a.disabled_at is None and hmac.compare_digest(fp, want):
            acc = a
    g.account = acc
    return acc


def is_coord() -> bool:
    return current_account() is not None


_ERRORS = {
    400: "请求有误",
    403: "没有权限访问此页面",
    404: "找不到此页面：链接不正确或已失效，请向协调人索取本单位的报送链接",
    405: "不支持此操作",
    413: "文件过大",
    429: "请求过于频繁，请稍后再试",
    503: "服务器忙，请稍后重试",
}
