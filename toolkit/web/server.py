"""Run the application with waitress (a production WSGI server in pure Python, Windows too)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from toolkit.web.app import Limits, create_app

__all__ = ["LOOPBACK", "LockProblem", "ServeLock", "log_path_of", "log_to_file", "make_server"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def make_server(
    db_path: str | Path,
    *,
    year: int,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 4,
    limits: Limits | None = None,
    base_url: str | None = None,
):
    """A waitress server bound to ``host:port`` (port 0: a free port, see ``effective_port``);
    ``run()`` serves until the process is stopped.

    Slow clients cannot starve it: waitress reads whole requests asynchronously before a worker
    thread sees them, idle connections are closed after ``CHANNEL_TIMEOUT`` seconds, and the
    connection limit is far above what an office needs (poll(), not select(): no 1,024 cap)."""
    from waitress import create_server

    limits = limits or Limits()
    app = create_app(db_path, year=year, limits=limits, base_url=base_url, lan=host not in LOOPBACK)
    log_to_file(db_path)
    _raise_fd_limit(CONNECTION_LIMIT + 256)
    srv = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        # above Flask's own limit, so that Flask refuses (with the Chinese page, from the
        # Content-Length alone); waitress refuses what is far larger, with ours too (below)
        max_request_body_size=limits.max_upload_bytes + 1024 * 1024,
        max_request_header_size=64 * 1024,
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=5,
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,
        clear_untrusted_proxy_headers=True,
        ident="xxgk",
        expose_tracebacks=False,
        _start=True,
    )
    _chinese_errors(srv, limits.max_upload_bytes, app)
    return srv


CONNECTION_LIMIT = 2000
CHANNEL_TIMEOUT = 20  # seconds without a byte from a client before its connection is closed


LOGGERS = ("waitress", "toolkit.web")  # toolkit.web.app: the Flask app's own logger


class _Chinese(logging.Filter):
    """The console (a coordinator's terminal window) gets only what was said for a person: a
    record's ``zh`` text; the rest (waitress's queue depth, tracebacks, SQLite's words) goes to
    the log file only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return bool(getattr(record, "zh", ""))


def log_path_of(db_path: str | Path) -> Path:
    """The server's log file: beside the archive, as its key file is (``xxgk.db.log``)."""
    return Path(f"{os.fspath(db_path)}.log")


def log_to_file(db_path: str | Path) -> Path:
    """Details for maintainers (tracebacks, SQLite errors, waitress's warnings) into the log file
    beside the archive (rotated at 5 MB, three kept); one Chinese line on the console for what a
    person should know. Returns the log file's path."""
    from logging.handlers import RotatingFileHandler

    class Quiet(RotatingFileHandler):
        def handleError(self, record: logging.LogRecord) -> None:  # a full disk: no English traceback
            pass

    path = log_path_of(db_path)
    handlers: list[logging.Handler] = []
    folder = path.parent if str(path.parent) else Path(".")
    where = ""  # a folder it cannot write to (a read-only archive): the console only
    if os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK)):
        fh = Quiet(path, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8", delay=True)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(fh)
        where = f"（详情已记入日志 {path}）"
    con = logging.StreamHandler(sys.stderr)
    con.addFilter(_Chinese())
    con.setFormatter(logging.Formatter(f"%(asctime)s xxgk serve：%(zh)s{where}", "%Y-%m-%d %H:%M:%S"))
    handlers.append(con)
    for name in LOGGERS:
        lg = logging.getLogger(name)
        for h in [h for h in lg.handlers if getattr(h, "_xxgk", False)]:  # an earlier server in this process
            lg.removeHandler(h)
            h.close()
        for h in handlers:
            h._xxgk = True  # type: ignore[attr-defined]
            lg.addHandler(h)
        lg.setLevel(logging.INFO)
        lg.propagate = False  # never Python's last-resort handler (English on the console)
    from flask.logging import default_handler

    logging.getLogger("toolkit.web.app").removeHandler(default_handler)
    sys.unraisablehook = _unraisable_to_log
    return path


def _unraisable_to_log(u) -> None:
    """An error Python can only report (a library's file object closed by the garbage collector
    on a full disk: "Exception ignored in ZipFile.__del__"): into the log file, never an English
    traceback on the coordinator's console."""
    logging.getLogger("toolkit.web").warning(
        "xxgk serve: exception ignored in %r: %r", getattr(u, "object", None), getattr(u, "exc_value", None)
    )


def _raise_fd_limit(want: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard > 0 else want, hard))
    except (ImportError, ValueError, OSError):  # Windows, or not allowed: keep what there is
        pass


def _chinese_errors(srv, max_upload: int, app=None) -> None:
    """What waitress itself answers (a body over its limit, a malformed request) as a Chinese page:
    the pages' own error page (stylesheet, 返回 link to the agency's page or the dashboard)."""
    import errno

    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.task import ErrorTask
    from waitress.utilities import Error

    from toolkit.web.app import plain_error_page, too_large_message

    def page(code: int, msg: str, path: str) -> bytes:
        if app is not None:
            try:
                from flask import render_template

                from toolkit.web.app import way_back

                safe = path if path.startswith("/") and path.isprintable() and len(path) < 2000 else "/"
                with app.test_request_context(safe):
                    return render_template("error.html", code=code, message=msg, back=way_back()).encode()
            except Exception:  # a path werkzeug cannot take: the plain page below
                logging.getLogger("toolkit.web").exception("xxgk serve: error page")
        return plain_error_page(code, msg)

    class ChineseErrorTask(ErrorTask):
        def execute(self) -> None:
            e = self.request.error
            path = str(getattr(self.request, "path", "") or "/")
            msg = (
                too_large_message(max_upload, path)
                if e.code == 413
                else _WAITRESS_ERRORS.get(e.code, "请求有误")
            )
            body = page(e.code, msg, path)
            self.status = f"{e.code} {e.reason}"
            self.response_headers.extend(
                [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
            )
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class DiskFull(Error):
        code = 507
        reason = "Insufficient Storage"

    class Parser(HTTPRequestParser):
        """A body over 512 KB is buffered by waitress in a temporary file: a full temporary folder
        failed that write outside any request, and the channel was closed without an answer (the
        clerk's browser: 连接已重置). Now the request ends there, answered 507 in Chinese."""

        def received(self, data: bytes) -> int:
            try:
                return super().received(data)
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                    raise
                logging.getLogger("toolkit.web").warning(
                    "xxgk serve: request body: %s",
                    exc,
                    extra={"zh": "临时文件夹所在磁盘空间已满，上传的文件无法接收：请清理磁盘"},
                )
                self.error = DiskFull(str(exc))
                self.completed = True
                return len(data)

    class Channel(HTTPChannel):
        error_task_class = ChineseErrorTask
        parser_class = Parser

    for server in [srv, *getattr(srv, "map", {}).values()]:
        if hasattr(server, "channel_class"):
            server.channel_class = Channel


_WAITRESS_ERRORS = {
    400: "请求有误",
    431: "请求头过大",
    500: "服务器内部错误，请稍后重试",
    507: "服务器磁盘空间已满（临时文件夹），本次上传未保存；请告知协调人清理磁盘后重新提交",
}


class LockProblem(Exception):
    """The lock file's place holds something else (one Chinese line)."""


class ServeLock:
    """One ``xxgk serve`` per archive: an exclusive lock on a file beside it (``xxgk.db.lock``),
    held while the process lives and released by the system however it ends (no stale lock).

    A second serve on the same archive — the EADDRINUSE message suggests ``--port 8001``, and a
    new roster is given at a start — would register its roster, reset the password and judge
    every upload again under the running server, whose pages then show the old roster."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(f"{os.fspath(db_path)}.lock")
        self.fh = None

    def acquire(self) -> str | None:
        """Take the lock; None when taken (or when the folder cannot hold a lock file: the
        archive's own open says why), else who holds it, for the message."""
        import stat

        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        odd = f"{self.path} 不是 xxgk serve 的锁文件（是符号链接、文件夹或设备），请移走它后再启动"
        try:  # never through a link (its target would be overwritten), never blocked by a FIFO
            fd = os.open(self.path, flags, 0o644)
        except OSError:
            if os.path.islink(self.path) or os.path.isdir(self.path):
                raise LockProblem(odd) from None
            return None  # a folder it cannot write to: the archive's own open says so
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise LockProblem(odd)
        fh = os.fdopen(fd, "r+b")
        try:
            if not _lock(fh):
                try:
                    fh.seek(0)
                    holder = fh.read(200).decode("utf-8", "replace").strip()
                except OSError:  # unreadable: still held by another
                    holder = ""
                fh.close()
                return holder or "另一个进程"
            fh.seek(0)
            fh.truncate()
            fh.write(f"进程 {os.getpid()}".encode())
            fh.flush()
        except OSError:
            fh.close()
            return None
        self.fh = fh
        return None

    def note(self, url: str) -> None:
        """Where this server listens: said to a second serve that is refused."""
        if self.fh is None:
            return
        try:
            self.fh.seek(0)
            self.fh.truncate()
            self.fh.write(f"进程 {os.getpid()}，{url}/".encode())
            self.fh.flush()
        except OSError:
            pass


_WINDOWS_LOCK_AT = 1 << 20


def _lock(fh) -> bool:
    """An exclusive, non-blocking lock on ``fh``: False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:  # a byte far past the text (where the holder is written): the text stays readable
            fh.seek(_WINDOWS_LOCK_AT)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        finally:
            fh.seek(0)
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def warn_exposed(host: str) -> None:
    if host not in LOOPBACK:
        bar = "!" * 72
        print(
            f"{bar}\n警告：服务绑定在 {host}，不只是本机（127.0.0.1）：局域网内的其他电脑都能访问。\n"
            "请确认这台电脑所在的网络可信、防火墙只对本单位开放；单位链接即凭证，请勿公开。\n"
            "不需要时请用默认的 --host 127.0.0.1。\n" + bar,
            file=sys.stderr,
            flush=True,
        )
