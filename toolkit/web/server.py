"""Run the application with waitress (a production WSGI server in pure Python, Windows too)."""

from __future__ import annotations

import html
import sys
from pathlib import Path

from toolkit.web.app import Limits, create_app

__all__ = ["LOOPBACK", "make_server"]

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
    _chinese_errors(srv, limits.max_upload_bytes)
    return srv


CONNECTION_LIMIT = 2000
CHANNEL_TIMEOUT = 20  # seconds without a byte from a client before its connection is closed


def _raise_fd_limit(want: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard > 0 else want, hard))
    except (ImportError, ValueError, OSError):  # Windows, or not allowed: keep what there is
        pass


def _chinese_errors(srv, max_upload: int) -> None:
    """What waitress itself answers (a body over its limit, a malformed request) as a Chinese page."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    from toolkit.web.app import too_large_message

    class ChineseErrorTask(ErrorTask):
        def execute(self) -> None:
            e = self.request.error
            msg = too_large_message(max_upload) if e.code == 413 else _WAITRESS_ERRORS.get(e.code, "请求有误")
            body = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                f"<title>出错了（{e.code}）</title></head><body><h1>出错了（{e.code}）</h1>"
                f'<p id="error">{html.escape(msg)}</p><p>请返回上一页。</p></body></html>'
            ).encode()
            self.status = f"{e.code} {e.reason}"
            self.response_headers.extend(
                [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
            )
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        error_task_class = ChineseErrorTask

    for server in [srv, *getattr(srv, "map", {}).values()]:
        if hasattr(server, "channel_class"):
            server.channel_class = Channel


_WAITRESS_ERRORS = {400: "请求有误", 431: "请求头过大", 500: "服务器内部错误，请稍后重试"}


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
