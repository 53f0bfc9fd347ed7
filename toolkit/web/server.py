"""Run the application with waitress (a production WSGI server in pure Python, Windows too)."""

from __future__ import annotations

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
):
    """A waitress server bound to ``host:port`` (port 0: a free port, see ``effective_port``);
    ``run()`` serves until the process is stopped."""
    from waitress import create_server

    limits = limits or Limits()
    app = create_app(db_path, year=year, limits=limits)
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=limits.max_upload_bytes + 128 * 1024,  # refused before Flask reads
        max_request_header_size=64 * 1024,
        channel_timeout=60,
        connection_limit=200,
        clear_untrusted_proxy_headers=True,
        ident="xxgk",
        expose_tracebacks=False,
        _start=True,
    )


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
