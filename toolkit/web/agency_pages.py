"""An agency's pages, behind its own link: download the template, upload, see the verdict, what
counts and what the coordinator said. A thin layer over :mod:`toolkit.season`."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from toolkit import season
from toolkit.findings import Finding
from toolkit.model import Submission
from toolkit.store import WebAgency
from toolkit.template import safe_filename
from toolkit.validate import SPREADSHEET_EXT, named_report
from toolkit.web.app import XLSX, season_app, whole_number
from toolkit.web.security import display_name, valid_token

bp = Blueprint("agency", __name__)


def finding(d: dict[str, Any]) -> Finding:
    return Finding(**{k: d.get(k) for k in Finding.__slots__})


def send(data: bytes, name: str, mimetype: str = XLSX):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def link_agency(token: str) -> WebAgency:
    wa = g.store.web_agency(token=token) if valid_token(token) else None
    if wa is None or wa.year != season_app().year:
        abort(404)
    return wa


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/a/<token>")
def page(token: str):
    wa = link_agency(token)
    st = season.state(g.store, wa, g.store.web_uploads(wa.id))
    uploads = [st.judged(u) for u in g.store.web_uploads(wa.id)]  # against the roster of now
    shown = uploads[0] if uploads else None
    if (raw := request.args.get("u")) is not None:  # one upload's verdict (after an upload: its own)
        u = whole_number(raw)
        if u is None:
            abort(404)
        shown = next((x for x in uploads if x.id == u), shown)
    by_version: dict[int, Any] = {}  # a version's newest upload: the name every view gives it
    for u in uploads:
        if u.version_id is not None:
            by_version.setdefault(u.version_id, u)
    return render_template(
        "agency.html",
        wa=wa,
        token=token,
        uploads=uploads,
        shown=shown,
        findings=[finding(d) for d in shown.findings] if shown else [],
        st=st,
        counted_upload=by_version.get(st.current.id) if st.current else None,
        returned_of=season.returned_uploads(st, uploads),
        events=season.agency_events(g.store, wa)[:20],
        deadline=season.deadline(g.store, wa.year),
        same_as=season.same_content(uploads),
        other_agencys=season.other_agencys,
    )


@bp.get("/a/<token>/template.xlsx")
def template(token: str):
    from toolkit.template import make_template

    wa = link_agency(token)
    ctx = season_app()
    from toolkit.uscc import is_valid_uscc

    code = wa.code if is_valid_uscc(wa.code or "") else ""  # a broken roster code is not handed on
    cover: dict[str, Any] = {"agency": wa.name, "code": code, "parent": wa.parent, "year": ctx.year}
    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        p = make_template(Path(d) / "t.xlsx", Submission(spec=ctx.spec, cover=cover))
        data = p.read_bytes()
    return send(data, f"{safe_filename(wa.name)}_{ctx.year}年度报告填报表.xlsx")


@bp.post("/a/<token>/upload")
def upload(token: str):
    wa = link_agency(token)
    ctx = season_app()
    f = request.files.get("file")
    if f is None or not f.filename:
        abort(400, "请选择要上传的文件")
    limit = ctx.limits.max_uploads_per_agency
    if g.store.web_upload_count(wa.id) >= limit:
        abort(429, f"本单位已上传 {limit} 次，达到上限，请联系协调人")
    data = f.stream.read(ctx.limits.max_upload_bytes + 1)
    if len(data) > ctx.limits.max_upload_bytes:
        raise RequestEntityTooLarge()
    try:
        uid = season.receive(
            g.store,
            wa,
            data,
            display_name(f.filename),
            year=ctx.year,
            previous=ctx.previous(g.store),
            max_uploads=limit,
        )
    except season.LimitReached:
        abort(429, f"本单位已上传 {limit} 次，达到上限，请联系协调人")
    return redirect(url_for("agency.page", token=token, u=uid), 303)


@bp.get("/a/<token>/u/<int:upload_id>/annotated.xlsx")
def annotated(token: str, upload_id: int):
    wa = link_agency(token)
    return annotated_copy(wa, upload_id)


def annotated_copy(wa: WebAgency, upload_id: int):
    from toolkit.outputs.annotate import annotate_copy

    u = g.store.web_upload(upload_id)
    if u is None or u.web_agency_id != wa.id:
        abort(404)
    u = season.state(g.store, wa).judged(u)  # the findings the pages show
    data = g.store.file_bytes(u.file_sha256) or b""
    suffix = Path(u.file_name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        src = Path(d) / ("upload" + (suffix if suffix in SPREADSHEET_EXT else ".xlsx"))
        src.write_bytes(data)
        # named as xxgk validate names it: the footer says the cover's agency and year
        report = named_report(src, u.file_name, [finding(d) for d in u.findings])
        out = annotate_copy(src, report, Path(d) / "out")
        body = out.read_bytes()
        kind = out.name.removeprefix("upload")
    stem = safe_filename(Path(u.file_name).stem)
    return send(body, f"{stem}{kind}")
