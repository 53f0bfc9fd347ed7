"""The collection season's rules, without HTTP: whose upload this is, which version counts,
what an agency's status is, what the summary reads. ``xxgk serve``'s pages are thin layers over
these functions, and the property tests drive them directly.

The invariant (tested with generated sequences of uploads, choices and returns):

- **Identity by link.** An upload through an agency's link belongs to that roster agency and to
  no other: it is filed (when it is a readable report of the year) as a version of the archive
  agency bound to the link at registration, whatever its cover says. A cover that names another
  roster agency, or carries another code, is a finding on that upload — never a re-filing under
  another agency, never a rename. Correcting a code is one more version of the same agency.
- **One verdict per version, against the roster of now.** A version passes when its file's own
  findings (as checked when it came in) and its cover judged against the roster as it is now have
  no error: a corrected code or a renamed agency changes every view at once, no new upload needed.
- **What counts.** An agency's *current* version is the one the coordinator chose in serve (kept
  in ``web_settings``, logged; it stands until changed, sent back, or replaced by a passing upload
  the agency sends after it — its own correction), else — among the versions that came through its
  link in an upload sent after the last 退回 and not sent back themselves (退回 asks for a new file:
  what was sent before it, the version the coordinator passed over too, never comes back by
  itself) — its latest version without errors, else its latest, "latest" by its newest upload (the
  same bytes sent again are filed anew: A, B, then A again, A counts). Versions put in the archive otherwise (``xxgk archive add``)
  are listed for the coordinator and count only when chosen; ``xxgk archive choose`` leaves a
  season's agency alone (:meth:`toolkit.store.Store.served`). Its status is 通过 when the current version
  has no error, 有错误 when it has one (or when its newest upload could not be filed), 已退回 when
  a version was sent back and nothing has been filed since, 未报送 without an upload. The summary counts an agency exactly when its status is 通过, under its
  roster name, and its 报送情况 row says the same status (已退回 too): the dashboard, the agency's
  page and the summary agree by construction. The roster is the one last registered
  (:func:`toolkit.regions.register`): agencies it no longer lists are in none of them.
- **One name per file.** The same bytes sent again are the same version; it is named and timed by
  its newest upload through the link (else as the archive has it) in the version table, the
  dashboard, the agency's page, the summary and the archive's listing alike.
- **An upload not filed** because its cover named another agency (by the roster of then) is judged
  again when the roster changes, and filed when it is its link's report now (:func:`refile`).
- **A cover's name** is the agency's own when it is the roster's name or a variant of it
  (:func:`toolkit.roster.name_variant`, a 提示); another roster agency's name makes it that
  agency's report, not this one's, its code notwithstanding (:func:`toolkit.identity.cover_verdict`);
  any other name is an error.

  This differs on purpose from the rule of ``xxgk merge`` and ``xxgk archive add``
  (:mod:`toolkit.counting`: two different files of one agency that both pass count neither until
  someone chooses): files in a folder carry no order and no sender, while here every upload comes
  through the agency's own link, one after another, and is shown on its page and the
  coordinator's, so a later upload that passes is the agency's own replacement of its earlier one;
  the coordinator sees it and can choose another or send it back. Its choice is written to the
  archive as the current version (:func:`_settle`), and the archive reads it by this rule anyway
  (:meth:`toolkit.store.Store.current`), so ``archive list`` and ``trend`` agree at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from toolkit.findings import ERROR, WARNING, Finding
from toolkit.identity import cover_verdict
from toolkit.model import Submission
from toolkit.roster import Roster, RosterEntry, norm_name
from toolkit.store import Version, WebAgency, WebEvent, WebStore, WebUpload
from toolkit.validate import SPREADSHEET_EXT, PreviousIndex, check_file

__all__ = [
    "INVALID",
    "NOT_SUBMITTED",
    "PASSED",
    "RETURNED",
    "AgencyState",
    "LimitReached",
    "NotOwnVersion",
    "choose",
    "cover_findings",
    "deadline",
    "link_of",
    "mend_split_links",
    "other_agencys",
    "prepare_keys",
    "receive",
    "refile",
    "regenerate_link",
    "reminder_text",
    "return_version",
    "returned_uploads",
    "revoke_link",
    "same_content",
    "set_deadline",
    "settle_all",
    "state",
    "states",
    "summarize",
]

NOT_SUBMITTED, INVALID, PASSED, RETURNED = "未报送", "有错误", "通过", "已退回"
OTHER_AGENCYS = "另一单位的报告"  # what a badge says for 有错误 that is another agency's report
STATUSES = (PASSED, INVALID, RETURNED, NOT_SUBMITTED)
COORDINATOR = "协调人"
ROSTER_ACTOR = "换用名单"  # the 操作人 of what a new roster at serve start changed (操作记录)


class LimitReached(Exception):
    """The agency has used up its uploads for the year (checked inside the write transaction)."""


class NotReturnable(ValueError):
    """The version is not the one that stands (the current one; else the newest): a 退回 makes every
    version sent so far stop counting, so sending back another (a stale page's, a hand-made
    request's) would un-count the one that stands. The message says which stands."""


class NotOwnVersion(ValueError):
    """The version is not the agency's report by the roster of now (its cover names another
    agency): it cannot be chosen as the agency's current version. The message says why."""


# -- keys and links -----------------------------------------------------------------------------
def prepare_keys(store: WebStore, keys: Any) -> None:
    """Move what an older archive kept in clear into the key file: the session secret is dropped
    from the database, link tokens kept in clear become their hashes (the links stay valid)."""
    legacy = [
        (wid, tok)
        for wid, tok in store.db.execute("SELECT id, token FROM web_agencies")
        if not re.fullmatch(r"[0-9a-f]{64}", tok or "") and not str(tok).startswith(("pending:", "revoked:"))
    ]
    if not legacy and store.setting("secret_key") is None:
        return
    from toolkit.store import token_hash

    for wid, tok in legacy:
        keys.legacy[str(wid)] = tok
    keys.save()
    store.db.execute("PRAGMA secure_delete = ON")  # the old values are overwritten, not just freed
    with store.transaction():
        for wid, tok in legacy:
            store.db.execute("UPDATE web_agencies SET token = ? WHERE id = ?", (token_hash(tok), wid))
        store.db.execute("DELETE FROM web_settings WHERE key = 'secret_key'")


MEND_ACTOR = "档案库整理"  # the 操作人 of a repair made when serve opens an archive


def mend_split_links(store: WebStore) -> list[tuple[str, int, int]]:
    """Repair an archive an older serve split: a roster exchanging two agencies' codes gave each
    a second link (and archive agency) under its name, the first one off the roster, and the swap
    back the reverse — each agency's uploads, versions and the coordinator's 退回 divided between
    two links, only one shown. Every such agency is one link again (the one on the roster), with
    every upload and version it had; each repair is logged once in the 操作记录 (none when there is
    nothing to repair: running it again changes nothing). Returns (agency, uploads, versions
    joined) of each, for the serve start to say."""
    out: list[tuple[str, int, int]] = []
    if store.readonly:
        return out
    with store.transaction():
        for keep, dups in store.web_split_links():
            wa = store.web_agency(id=keep)
            if wa is None:
                continue
            ups = vers = 0
            codes = []
            for dup in dups:
                other = store.web_agency(id=dup)
                if other is not None and other.code and other.code != wa.code:
                    codes.append(other.code)
                u, v = store.web_merge_link(keep, dup)
                ups, vers = ups + u, vers + v
            was = f"（代码 {'、'.join(dict.fromkeys(codes))}）" if codes else ""
            store.web_log(
                wa.year,
                "mend",
                MEND_ACTOR,
                web_agency_id=keep,
                note=f"旧版 xxgk serve 更换名单（如互换代码）时为本单位另建的报送记录{was}已并回本单位："
                f"上传记录 {ups} 个、版本 {vers} 个，均保留",
            )
            _settle(store, store.web_agency(id=keep) or wa)
            out.append((wa.name, ups, vers))
    return out


def link_of(keys: Any, wa: WebAgency) -> str | None:
    """The agency's link token (None: withdrawn)."""
    return None if wa.revoked_at else keys.link_token(wa.id, wa.gen)


def regenerate_link(store: WebStore, keys: Any, wa: WebAgency, actor: str = COORDINATOR) -> str:
    """A new link for the agency; the old one stops working at once."""
    gen = wa.gen + 1
    token = keys.fresh_token(wa.id, gen)
    with store.transaction():
        store.web_set_link(wa.id, token, gen)
        store.web_log(wa.year, "regenerate", actor, web_agency_id=wa.id)
    if keys.legacy.pop(str(wa.id), None) is not None:
        keys.save()
    return token


def revoke_link(store: WebStore, wa: WebAgency, actor: str = COORDINATOR) -> None:
    """Withdraw the agency's link (404 from now on) until a new one is made."""
    with store.transaction():
        store.web_set_link(wa.id, None, wa.gen)
        store.web_log(wa.year, "revoke", actor, web_agency_id=wa.id)


# -- one upload ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cover:
    """A filed version's cover (its name and code as written), judged again by :func:`cover_findings`."""

    agency: str
    code: str


class RosterNow:
    """The year's roster as it is now (one query), looked up as :meth:`WebStore.web_agencies_like`
    does, for judging every version's cover without a query per version."""

    def __init__(self, agencies: Iterable[WebAgency]) -> None:
        from toolkit.roster import place_tails

        self._tails = place_tails
        self.all = [(norm_name(a.name), a) for a in agencies]
        self.by_name: dict[str, list[WebAgency]] = {}
        self.by_code: dict[str, list[WebAgency]] = {}
        for n, a in self.all:
            self.by_name.setdefault(n, []).append(a)
            if a.code:
                self.by_code.setdefault(a.code.upper(), []).append(a)

    def like(self, wa: WebAgency, name: str, code: str) -> list[WebAgency]:
        n = norm_name(name)
        hits = [a for t in (n, *self._tails(n)) for a in self.by_name.get(t, [])]
        if len(n) >= 2 and n != norm_name(wa.name):  # its own exact name needs no suffix search
            hits += [a for an, a in self.all if an != n and an.endswith(n)][:50]
        if code:
            hits += self.by_code.get(code.strip().upper(), [])
        return list({a.id: a for a in hits}.values())


def cover_findings(
    wa: WebAgency, sub: Submission | Cover | None, others: Iterable[WebAgency], name: str
) -> tuple[list[Finding], bool]:
    """What the cover says against the link's roster entry, and whether the upload is this
    agency's report (filed as its version). Another roster agency's report is not. The rule is
    :func:`toolkit.identity.cover_verdict`, the one ``xxgk merge`` applies to a folder's file. Judged
    again against the roster of the moment whenever a status is read (:func:`state`): a corrected
    code or a renamed agency changes the verdict without a new upload."""
    if sub is None:
        return [], False
    others = [a for a in others if a.id != wa.id]
    return cover_verdict(wa, sub.agency or "", sub.code or "", others, name)


def receive(
    store: WebStore,
    wa: WebAgency,
    data: bytes,
    name: str,
    *,
    year: int,
    previous: PreviousIndex | None = None,
    max_uploads: int | None = None,
) -> int:
    """Check one upload as ``xxgk validate`` does and file it under the link's agency; returns
    its upload id. :class:`LimitReached` when the agency has ``max_uploads`` already (counted in
    the same transaction that stores it: parallel uploads never pass the limit)."""
    t0 = time.perf_counter()
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        p = Path(d) / ("upload" + (suffix if suffix in SPREADSHEET_EXT else ".xlsx"))
        p.write_bytes(data)
        checked = check_file(p, year=year, previous=previous, display=name)
    findings = list(checked.report.findings)
    sub = checked.submission
    others = store.web_agencies_like(year, sub.agency or "", sub.code or "") if sub is not None else []
    extra, mine = cover_findings(wa, sub, others, name)
    findings.extend(extra)
    status = PASSED if sub is not None and not any(x.severity == ERROR for x in findings) else INVALID
    agency_id = store.web_link_agency(wa)
    with store.transaction():
        if max_uploads is not None and store.web_upload_count(wa.id) >= max_uploads:
            raise LimitReached
        vid = None
        if sub is not None and mine and sub.year == year:
            vid = store.add_submission(
                sub, data=data, file_name=name, source="workbook", findings=findings, agency_id=agency_id
            ).version_id
        uid = store.web_add_upload(
            wa.id,
            data=data,
            file_name=name,
            status=status,
            findings=findings,
            version_id=vid,
            seconds=time.perf_counter() - t0,
        )
        _settle(store, wa)
    return uid


def refile(store: WebStore, year: int) -> list[tuple[str, str]]:
    """After a roster change: each upload not filed when it came in because its cover named
    another agency, or a body not on the roster (DUPLICATE-SUBMISSION, UNEXPECTED-AGENCY), is
    judged again against the roster of now; one that is its link's report now is filed as any
    upload would be (a version of the link's agency: its file's own findings as checked when it
    came in, its cover's judged now; its place among the versions by its upload). Returns (agency,
    file name) of each filed, for the serve start to say."""
    out: list[tuple[str, str]] = []
    by_id = {wa.id: wa for wa in store.web_agencies(year)}
    for u in store.web_unfiled(year):
        wa = by_id.get(u.web_agency_id)
        if wa is None or not any(
            d.get("code") in ("DUPLICATE-SUBMISSION", "UNEXPECTED-AGENCY") for d in u.findings
        ):
            continue
        data = store.file_bytes(u.file_sha256)
        if data is None:
            continue
        suffix = Path(u.file_name).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
            p = Path(d) / ("upload" + (suffix if suffix in SPREADSHEET_EXT else ".xlsx"))
            p.write_bytes(data)
            sub = check_file(p, year=year, display=u.file_name).submission
        if sub is None or sub.year != year:
            continue
        others = store.web_agencies_like(year, sub.agency or "", sub.code or "")
        extra, mine = cover_findings(wa, sub, others, u.file_name)
        own = [_finding(d) for d in u.findings if d.get("code") not in _SEASON_CODES]
        if not mine:  # still no report of this agency: what its cover is now ("名单中的另一单位")
            was = [(d.get("code"), d.get("message")) for d in u.findings if d.get("code") in _SEASON_CODES]
            if was != [(f.code, f.message) for f in extra]:
                with store.transaction():
                    store.web_judged_again(u.id, own + extra)
            continue
        with store.transaction():
            vid = store.add_submission(
                sub,
                data=data,
                file_name=u.file_name,
                source="workbook",
                findings=own + extra,
                agency_id=store.web_link_agency(wa),
            ).version_id
            if vid is None:
                continue
            store.web_file_later(u.id, vid)
            store.web_log(
                year,
                "refile",
                ROSTER_ACTOR,
                web_agency_id=wa.id,
                version_id=vid,
                note=f"此前未归档的上传文件“{u.file_name}”按新名单为本单位的报告，已归档",
            )
            _settle(store, wa)
        out.append((wa.name, u.file_name))
    return out


# -- what counts ---------------------------------------------------------------------------------
# a version that came without an upload (``xxgk archive add``): times are to the second, so in the
# second of an upload it is put after it (it was added by hand beside the season, not before it)
_NO_UPLOAD = sys.maxsize


@dataclass
class AgencyState:
    """One roster agency's standing in the season. ``versions`` are judged against the roster of
    the moment (``valid``, ``errors``, ``warnings``, ``current``, ``chosen_by`` are the season's,
    not what the archive stored when the file came in)."""

    agency: WebAgency
    status: str
    current: Version | None  # the version that counts (when 通过) or would (有错误)
    latest: WebUpload | None
    uploads: int
    versions: list[Version] = field(default_factory=list)
    returned: dict[int, tuple[str, str]] = field(default_factory=dict)  # version id -> (note, at)
    chosen: bool = False  # the coordinator chose the current version
    cover: dict[int, list[Finding]] = field(default_factory=dict)  # version id -> cover findings now
    linked: frozenset[int] = frozenset()  # versions that came through the agency's link
    # version id -> (newest upload id at its 退回, the 退回's order)
    marks: dict[int, tuple[int, int]] = field(default_factory=dict)
    filed: dict[int, int] = field(default_factory=dict)  # version id -> its newest upload's id
    # version id -> when it reached the agency: its first upload (time, id), else the archive's time
    arrived: dict[int, tuple[str, int]] = field(default_factory=dict)
    # versions that are no report of this agency by the roster of now (their cover names another
    # agency: filed by an older rule, or before the roster listed that agency): listed, never current
    strays: frozenset[int] = frozenset()

    @property
    def last_returned(self) -> Version | None:
        """The version sent back last (its 退回 is the one the agency has to answer)."""
        if not self.returned:
            return None
        vid = max(self.returned, key=lambda v: (*self.marks.get(v, (0, 0)), self.returned[v][1], v))
        return next((v for v in self.versions if v.id == vid), None)

    @property
    def returnable(self) -> int | None:
        """The version a 退回 is about: the one that stands (current; else the newest upload's),
        None when that was sent back already (nothing stands until a new upload)."""
        vid = self.current.id if self.current is not None else self.latest.version_id if self.latest else None
        return vid if vid is not None and vid not in self.returned else None

    @property
    def counted(self) -> bool:
        return self.status == PASSED

    @property
    def label(self) -> str:
        """Its status as a badge says it (the agency's own page, the dashboard's row, the
        coordinator's page of it): 另一单位的报告 where the agency stands by another agency's report
        (:attr:`not_own`: nothing of its own to correct, so not 有错误; counted as 有错误 among the four
        statuses), else the status."""
        return OTHER_AGENCYS if self.not_own is not None else self.status

    @property
    def standing(self) -> str:
        """Its status as a list of agencies says it (说明.txt of the bulk zips): 有错误 is no word for
        an upload that is another agency's report — the agency has sent nothing of its own; 已退回
        comes with the coordinator's reason."""
        if (wrong := self.not_own) is not None:
            return f"上传的“{wrong.file_name}”是另一单位的报告（封面为其他单位），尚未报送本单位的报告"
        if self.status == RETURNED:  # with the coordinator's reason, as the summary says it
            last = self.last_returned
            return returned_words(self, last.id if last is not None else None)
        return self.status

    @property
    def numbers(self) -> dict[int, int]:
        """Each version's number as the agency's own (第1版 its first this year, 第2版 …): what a
        coordinator sees; the archive-wide ids stay in forms and URLs. In the order the versions
        reached the agency (its first upload of each): an upload a new roster filed later (it
        named another agency when it came) keeps its place, not 第2版 before 第1版."""
        order = sorted(self.versions, key=lambda v: (*self.arrived.get(v.id, (v.added_at, _NO_UPLOAD)), v.id))
        return {v.id: k for k, v in enumerate(order, 1)}

    @property
    def not_own(self) -> WebUpload | None:
        """The newest upload, when it is what the agency stands by and is no report of its own
        (its cover names another agency, or a body not on the roster: filed nowhere)."""
        u = self.latest
        if u is None or self.current is not None or self.status != INVALID:
            return None
        if u.version_id is not None and u.version_id not in self.strays:
            return None
        return u if other_agencys(u) else None

    @property
    def superseded(self) -> bool:
        """The newest upload is not what counts (a later upload with errors, or not filed)."""
        return self.latest is not None and (self.current is None or self.latest.version_id != self.current.id)

    def judged(self, u: WebUpload) -> WebUpload:
        """The upload's verdict against the roster of the moment: its file's own findings as
        checked when it came in, its cover's judged now (a filed upload; an unfiled one keeps its
        verdict: it is no report of this agency and year)."""
        if u.version_id is None or u.version_id not in self.cover:
            return u
        own = [d for d in u.findings if d.get("code") not in _SEASON_CODES]
        if len(own) == len(u.findings) and not self.cover[u.version_id]:
            return u  # nothing about the cover then or now: as it was
        found = own + [f.to_dict() for f in self.cover[u.version_id]]
        errors = sum(1 for d in found if d.get("severity") == ERROR)
        status = PASSED if errors == 0 else INVALID
        return replace(u, findings=found, errors=errors, warnings=len(found) - errors, status=status)


_SEASON_CODES = ("DUPLICATE-SUBMISSION", "UNEXPECTED-AGENCY", "COVER-MISMATCH")
_NOT_OWN_CODES = frozenset(("DUPLICATE-SUBMISSION", "UNEXPECTED-AGENCY"))


def other_agencys(u: WebUpload) -> bool:
    """The upload (as judged: :meth:`AgencyState.judged`) is no report of the link's agency — its
    cover names another agency or a body not on the roster: a list of uploads says
    另一单位的报告, not 有错误 (there is nothing of its own to correct)."""
    return u.status != PASSED and any(d.get("code") in _NOT_OWN_CODES for d in u.findings)


def returned_uploads(st: AgencyState, uploads: Iterable[WebUpload]) -> dict[int, tuple[str, str, int]]:
    """Upload id -> (the 退回's note, its time, the first upload of that version) for each upload
    of a version sent back: every list of uploads (the agency's 上传记录, the coordinator's) says
    已退回 with the note for it, not the check's 通过 — the file was checked and then sent back."""
    uploads = list(uploads)
    first: dict[int, int] = {}
    for u in sorted(uploads, key=lambda x: x.id):
        if u.version_id is not None:
            first.setdefault(u.version_id, u.id)
    return {
        u.id: (*st.returned[u.version_id], first[u.version_id])
        for u in uploads
        if u.version_id is not None and u.version_id in st.returned
    }


def same_content(uploads: Iterable[WebUpload]) -> dict[int, WebUpload]:
    """Upload id -> the first earlier upload of the same bytes (the same SHA-256), for each
    upload that sent again a file already received: the archive keeps one version of them (the
    same version filed anew, :func:`_state_of`), and the pages say so rather than show a new
    file."""
    first: dict[str, WebUpload] = {}
    out: dict[int, WebUpload] = {}
    for u in sorted(uploads, key=lambda x: x.id):
        if (was := first.setdefault(u.file_sha256, u)) is not u:
            out[u.id] = was
    return out


def _choices(store: WebStore, ids: Iterable[int]) -> dict[int, tuple[int, int] | None]:
    """The coordinator's standing choice by link id: (version id, the newest upload id when it was
    made), None for 'by the rule'; a link without a recorded choice is absent."""
    import json

    ids = set(ids)
    out: dict[int, tuple[int, int] | None] = {}
    for key, raw in store.db.execute("SELECT key, value FROM web_settings WHERE key LIKE 'choice:%'"):
        try:
            wid, d = int(key.split(":", 1)[1]), json.loads(raw)
        except ValueError:
            continue
        if wid in ids:
            out[wid] = (int(d["version"]), int(d["after"])) if d.get("version") else None
    legacy = ids - set(out)  # choices made before they were recorded so: the log says
    if legacy:
        rows = store.db.execute(
            "SELECT e.web_agency_id, e.action, e.version_id, e.at FROM web_events e WHERE e.id IN"
            " (SELECT MAX(id) FROM web_events WHERE action IN ('choose', 'rule') GROUP BY web_agency_id)"
        ).fetchall()
        for wid, action, vid, at in rows:
            if wid in legacy and action == "choose" and vid is not None:
                after = store.db.execute(
                    "SELECT COALESCE(MAX(id), 0) FROM web_uploads WHERE web_agency_id = ? AND uploaded_at <= ?",
                    (wid, at),
                ).fetchone()[0]
                out[wid] = (int(vid), int(after))
    return out


def _set_choice(store: WebStore, wa: WebAgency, version_id: int | None) -> None:
    import json

    after = store.db.execute(
        "SELECT COALESCE(MAX(id), 0) FROM web_uploads WHERE web_agency_id = ?", (wa.id,)
    ).fetchone()[0]
    store.set_setting(f"choice:{wa.id}", json.dumps({"version": version_id, "after": after}))


Up = tuple[int, int | None, str, str]  # an upload of a link: (id, version id, file name, time)


def _link_uploads(store: WebStore, year: int) -> dict[int, list[Up]]:
    """(upload id, version id, file name, time) of every upload of the year's links, oldest
    first, by link."""
    out: dict[int, list[Up]] = {}
    for wid, uid, vid, name, at in store.db.execute(
        f"SELECT web_uploads.web_agency_id, web_uploads.id, {store._FILED}, web_uploads.file_name,"
        " web_uploads.uploaded_at FROM web_uploads JOIN web_agencies a ON a.id = web_uploads.web_agency_id"
        " WHERE a.year = ? ORDER BY web_uploads.id",
        (year,),
    ):
        out.setdefault(wid, []).append((uid, vid, name, at))
    return out


def _last_upload(store: WebStore) -> int:
    """The newest upload's id (of any link): what a choice or a 退回 was made after."""
    return int(store.db.execute("SELECT COALESCE(MAX(id), 0) FROM web_uploads").fetchone()[0])


def _return_marks(store: WebStore, returned: dict[int, tuple[str, str]]) -> dict[int, tuple[int, int]]:
    """For each version sent back, the newest upload id when it was sent back (only uploads after
    it count again: 退回 asks for a new file) and the 退回's order among the others. A 退回
    recorded before the mark was kept: the newest upload no later than its time."""
    import json

    marks: dict[int, tuple[int, int]] = {}
    if not returned:
        return marks
    for key, raw in store.db.execute("SELECT key, value FROM web_settings WHERE key LIKE 'return:%'"):
        try:
            d = json.loads(raw)
            vid, after, seq = int(key.split(":", 1)[1]), int(d["after"]), int(d.get("seq") or 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if vid in returned:
            marks[vid] = (after, seq)
    legacy = set(returned) - set(marks)
    if legacy:  # one read of the uploads' times for all of them, not a scan per 退回
        import bisect

        rows = store.db.execute("SELECT id, uploaded_at FROM web_uploads ORDER BY uploaded_at, id").fetchall()
        times = [at for _id, at in rows]
        best = list(itertools.accumulate((uid for uid, _at in rows), max))
        for vid in legacy:
            n = bisect.bisect_right(times, returned[vid][1])
            marks[vid] = (int(best[n - 1]) if n else 0, 0)
    return marks


def _version_facts(store: WebStore, ids: list[int]) -> tuple[dict[int, Cover], dict[int, tuple[int, int]]]:
    """Each version's cover (name, code) and its file's own errors and 提示 (the cover's left out:
    they are judged again), in a few queries whatever the number."""
    import json

    covers: dict[int, Cover] = {}
    counts: dict[int, tuple[int, int]] = {}
    skip = ",".join(f"'{c}'" for c in _SEASON_CODES)
    for chunk in range(0, len(ids), 900):
        part = ids[chunk : chunk + 900]
        marks = ",".join("?" * len(part))
        for vid, raw in store.db.execute(f"SELECT id, cover FROM versions WHERE id IN ({marks})", part):
            try:
                c = json.loads(raw) if raw else {}
            except ValueError:
                c = {}
            c = c if isinstance(c, dict) else {}
            covers[vid] = Cover(str(c.get("agency") or "").strip(), str(c.get("code") or "").strip().upper())
        for vid, errors, warnings in store.db.execute(
            f"SELECT version_id, SUM(severity = 'error'), SUM(severity <> 'error') FROM findings"
            f" WHERE version_id IN ({marks}) AND code NOT IN ({skip}) GROUP BY version_id",
            part,
        ):
            counts[vid] = (int(errors or 0), int(warnings or 0))
    return covers, counts


def _judge(
    wa: WebAgency,
    versions: list[Version],
    like: Callable[[WebAgency, str, str], list[WebAgency]],
    covers: dict[int, Cover],
    counts: dict,
) -> tuple[list[Version], dict[int, list[Finding]], frozenset[int]]:
    """The versions with their verdict against the roster of the moment, and those that are no
    report of this agency now (never its current version)."""
    out, found, strays = [], {}, set()
    for v in versions:
        c = covers.get(v.id, Cover("", ""))
        own_code = not c.code or not wa.code or c.code == wa.code.upper()
        if not c.agency or (own_code and norm_name(c.agency) == norm_name(wa.name)):
            extra, mine = [], True  # its own name and code: what cover_findings says, without look-ups
        else:
            extra, mine = cover_findings(wa, c, like(wa, c.agency, c.code), v.file_name)
        if not mine:  # another agency's report by today's roster: an error, whatever it said then
            strays.add(v.id)
            extra = extra or [
                Finding("UNEXPECTED-AGENCY", ERROR, "此文件封面不是本单位的报告", v.file_name, "封面")
            ]
        e, w = counts.get(v.id, (0, 0))
        e += sum(1 for f in extra if f.severity == ERROR)
        w += sum(1 for f in extra if f.severity != ERROR)
        found[v.id] = extra
        same = (v.valid, v.errors, v.warnings) == (e == 0, e, w)
        out.append(v if same else replace(v, valid=e == 0, errors=e, warnings=w))
    return out, found, frozenset(strays)


def version_findings(store: WebStore, st: AgencyState, version_id: int) -> list[Finding]:
    """A version's findings as the season judges them now: its file's own, its cover's against
    the roster of the moment (for a version that came in without an upload to show them)."""
    own = [f for f in store.findings(version_id) if f.code not in _SEASON_CODES]
    return own + list(st.cover.get(version_id, []))


def _state_of(
    wa: WebAgency,
    latest: WebUpload | None,
    ups: list[Up],
    versions: list[Version],
    returned: dict[int, tuple[str, str]],
    choice: tuple[int, int] | None,
    cover: dict[int, list[Finding]],
    marks: dict[int, tuple[int, int]] | None = None,
    strays: frozenset[int] = frozenset(),
) -> AgencyState:
    """What counts: the coordinator's choice (unless sent back, or replaced by a passing upload
    sent after it), else by the rule among the versions that came through the link in an upload
    sent after the last 退回 (a 退回 asks for a new file: the versions sent before it, chosen or
    not, never come back by themselves) and not sent back: the latest without errors, else the
    latest. Versions added to the archive otherwise (``xxgk archive add``) count only when the
    coordinator chooses one; ``strays`` (no report of this agency by the roster of now) never
    count, chosen or not. ``marks``: the newest upload id when each returned version was sent
    back. A version is *filed* by each upload of its bytes through the link: the same bytes sent
    again are the same version, filed anew — the newest (its place among the versions, its time,
    its name: the upload's) — so "latest" is by the newest filing, not the first; a version the
    archive had otherwise keeps the archive's time and name."""
    filed: dict[int, tuple[int, str, str]] = {}  # version id -> its newest upload (id, name, time)
    arrived: dict[int, tuple[str, int]] = {v.id: (v.added_at, _NO_UPLOAD) for v in versions}
    for uid, vid, name, at in ups:
        if vid is not None:
            if vid not in filed and vid in arrived:
                arrived[vid] = (at, uid)
            filed[vid] = (uid, name, at)
    by_id = {v.id: v for v in versions}
    linked = frozenset(vid for vid in filed if vid in by_id)

    def when(v: Version) -> tuple[str, int, int]:  # the order of filing: time, then upload, then id
        return (filed[v.id][2], filed[v.id][0], v.id) if v.id in filed else (v.added_at, 0, v.id)

    versions = sorted(
        (
            v
            if v.id not in filed or (v.file_name, v.added_at) == filed[v.id][1:]
            else replace(v, file_name=filed[v.id][1], added_at=filed[v.id][2])
            for v in versions
        ),
        key=when,
    )
    by_id = {v.id: v for v in versions}
    cur, chosen = None, False
    if choice is not None:
        vid, after = choice
        replaced = any(
            uid > after and uv is not None and uv in by_id and by_id[uv].valid and uv not in returned
            for uid, uv, _n, _at in ups
        )
        if vid in by_id and vid not in returned and vid not in strays and not replaced:
            cur, chosen = by_id[vid], True
    marks = {vid: m for vid, m in (marks or {}).items() if vid in returned}
    if cur is None:
        cut = max((marks.get(vid, (0, 0))[0] for vid in returned), default=0)
        fresh = {uv for uid, uv, _n, _at in ups if uid > cut}
        # by the newest filing (an upload id orders what came through the link, to the upload)
        live = sorted(
            (
                v
                for v in versions
                if v.id in linked and v.id in fresh and v.id not in returned and v.id not in strays
            ),
            key=lambda v: filed[v.id][0],
        )
        valid = [v for v in live if v.valid]
        cur = valid[-1] if valid else live[-1] if live else None
    how = "explicit" if chosen else "rule"
    versions = [
        v
        if (v.current, v.chosen_by) == (is_cur := cur is not None and v.id == cur.id, how)
        else replace(v, current=is_cur, chosen_by=how)
        for v in versions
    ]
    cur = next((v for v in versions if v.current), None)
    if cur is not None:
        status = PASSED if cur.valid else INVALID
    elif latest is None:
        status = NOT_SUBMITTED
    elif returned and latest.version_id is not None:
        status = RETURNED  # sent back, and nothing filed since
    else:
        status = INVALID  # uploads, none filed as a report of this agency and year
    newest = {vid: uid for vid, (uid, _n, _at) in filed.items()}
    st = AgencyState(
        wa,
        status,
        cur,
        latest,
        len(ups),
        versions,
        returned,
        chosen,
        cover,
        linked,
        marks,
        newest,
        arrived,
        strays,
    )
    st.latest = st.judged(latest) if latest is not None else None
    return st


def state(store: WebStore, wa: WebAgency, uploads: list[WebUpload] | None = None) -> AgencyState:
    """The agency's status and the version that counts (``uploads``: its uploads, newest first,
    when the caller has them already)."""
    return states(store, wa.year, [wa], uploads={wa.id: uploads} if uploads is not None else None)[0]


def states(
    store: WebStore,
    year: int,
    agencies: Iterable[WebAgency] | None = None,
    *,
    uploads: dict[int, list[WebUpload]] | None = None,
) -> list[AgencyState]:
    """Every agency's state (or those given), in a fixed number of queries whatever their number,
    each version judged against the roster of the moment."""
    agencies = list(store.web_agencies(year) if agencies is None else agencies)
    if any(wa.agency_id is None for wa in agencies):  # links made before links had an agency
        for wa in agencies:
            store.web_link_agency(wa)
        ids = {wa.id for wa in agencies}
        agencies = [wa for wa in store.web_agencies(year, removed=True) if wa.id in ids]
    if len(agencies) == 1 and uploads is None:
        uploads = {agencies[0].id: store.web_uploads(agencies[0].id)}
    if uploads is not None and set(uploads) >= {wa.id for wa in agencies}:
        latest = {wid: us[0] for wid, us in uploads.items() if us}
        link_ups = {
            wid: [(u.id, u.version_id, u.file_name, u.uploaded_at) for u in reversed(us)]
            for wid, us in uploads.items()
        }
    else:
        latest = store.web_latest(year)
        link_ups = _link_uploads(store, year)
    if len(agencies) == 1:
        wa = agencies[0]
        versions = {wa.agency_id or 0: store.web_versions(wa)}
        returned = store.web_returns(v.id for v in versions[wa.agency_id or 0])
    else:
        versions = store.web_year_versions(year)
        returned = store.web_year_returns(year)
    if len(agencies) > 20:  # the whole roster once (when a cover needs it), looked up in memory
        held: list[RosterNow] = []

        def like(wa: WebAgency, name: str, code: str) -> list[WebAgency]:
            if not held:
                held.append(RosterNow(store.web_agencies(year)))
            return held[0].like(wa, name, code)

    else:  # one agency's page or upload: a few indexed look-ups, not a province's roster

        def like(_wa: WebAgency, name: str, code: str) -> list[WebAgency]:
            return store.web_agencies_like(year, name, code)

    ids = [v.id for wa in agencies for v in versions.get(wa.agency_id or 0, [])]
    covers, counts = _version_facts(store, ids)
    choices = _choices(store, [wa.id for wa in agencies])
    marks = _return_marks(store, returned)
    out = []
    for wa in agencies:
        vs, cover, strays = _judge(wa, versions.get(wa.agency_id or 0, []), like, covers, counts)
        mine = {v.id: returned[v.id] for v in vs if v.id in returned}
        ups = link_ups.get(wa.id, [])
        out.append(_state_of(wa, latest.get(wa.id), ups, vs, mine, choices.get(wa.id), cover, marks, strays))
    return out


def _settle(store: WebStore, wa: WebAgency) -> None:
    """Keep the archive's current version equal to the season's (inside the caller's transaction),
    so ``archive list`` and ``trend`` say what the season counts."""
    sid = store.web_submission_id(store.web_link_agency(wa), wa.year)
    if sid is None:
        return
    st = state(store, wa)
    store.set_current(sid, st.current.id if st.current else None, "explicit" if st.chosen else "rule")


def settle_all(
    store: WebStore, year: int, before: dict[int, str] | None = None
) -> list[tuple[str, str, str]]:
    """After a roster change: every agency's archive current version follows the season's verdict
    (judged against the new roster); returns (agency, status before, status now) of each agency
    whose status changed, ``before`` being the statuses by link id under the old roster."""
    sts = states(store, year)
    with store.transaction():
        for st in sts:
            sid = store.web_submission_id(st.agency.agency_id or 0, year)
            if sid is not None:
                cur = st.current.id if st.current else None
                store.set_current(sid, cur, "explicit" if st.chosen else "rule")
    before = before or {}
    return [
        (st.agency.name, before[st.agency.id], st.status)
        for st in sts
        if st.agency.id in before and before[st.agency.id] != st.status
    ]


def _version_of(store: WebStore, wa: WebAgency, version_id: int) -> Version:
    v = next((v for v in store.web_versions(wa) if v.id == version_id), None)
    if v is None:
        raise KeyError(version_id)
    return v


def choose(store: WebStore, wa: WebAgency, version_id: int | None, actor: str = COORDINATOR) -> None:
    """The coordinator's choice of the version that counts (None: back to the rule). Choosing a
    version that was sent back takes the 退回 back. The choice stands until the coordinator changes
    it, sends it back, or the agency sends a file that passes after it (its own correction).
    :class:`NotOwnVersion` for a version that is no report of this agency by the roster of now."""
    if version_id is not None and version_id in (st := state(store, wa)).strays:
        v = next(v for v in st.versions if v.id == version_id)
        raise NotOwnVersion(
            f"第{st.numbers[version_id]}版（{v.file_name}）的封面为其他单位，不是“{wa.name}”的报告，"
            "不能设为本单位的当前版本；请让该单位上传本单位的报告"
        )
    with store.transaction():
        sid = store.web_submission_id(store.web_link_agency(wa), wa.year)
        if sid is None:
            raise KeyError(version_id)
        if version_id is None:
            _set_choice(store, wa, None)
            store.web_log(wa.year, "rule", actor, web_agency_id=wa.id)
        else:
            _version_of(store, wa, version_id)
            store.web_set_return(version_id, None)
            store.set_setting(f"return:{version_id}", None)
            _set_choice(store, wa, version_id)
            store.web_log(wa.year, "choose", actor, web_agency_id=wa.id, version_id=version_id)
        _settle(store, wa)


def return_version(
    store: WebStore, wa: WebAgency, version_id: int, note: str, actor: str = COORDINATOR
) -> None:
    """退回: the version no longer counts (nor stays chosen), nor does any version the agency sent
    before (a 退回 asks for a new file): the agency is 已退回 until it uploads again; it sees the
    note on its page. Only the version that stands (:attr:`AgencyState.returnable`) is sent back:
    :class:`NotReturnable` for another, nothing changed."""
    import json

    note = " ".join(note.split())[:2000]
    with store.transaction():
        _version_of(store, wa, version_id)
        st = state(store, wa)
        if version_id != (stands := st.returnable) and version_id not in st.returned:
            n = st.numbers
            now = f"当前为第{n[stands]}版" if stands is not None else "其后已退回"
            raise NotReturnable(
                f"第{n[version_id]}版不是“{wa.name}”当前的版本（{now}）：退回会使此前上传的各版都不计入，"
                "未退回；请刷新页面，按当前版本处理"
            )
        store.web_set_return(version_id, note or "请修改后重新上传")
        mark = {"after": _last_upload(store), "seq": time.time_ns()}
        store.set_setting(f"return:{version_id}", json.dumps(mark))
        if (_choices(store, [wa.id]).get(wa.id) or (None,))[0] == version_id:
            _set_choice(store, wa, None)
        store.web_log(wa.year, "return", actor, web_agency_id=wa.id, version_id=version_id, note=note)
        _settle(store, wa)


def agency_events(store: WebStore, wa: WebAgency) -> list[WebEvent]:
    """What the coordinator did about this agency (shown on its page)."""
    return [e for e in store.web_events(wa.year, wa.id) if e.action in ("choose", "rule", "return")]


# -- deadline and reminders ------------------------------------------------------------------------
def deadline(store: WebStore, year: int) -> dt.date | None:
    v = store.setting(f"deadline:{year}")
    try:
        return dt.date.fromisoformat(v) if v else None
    except ValueError:
        return None


def set_deadline(
    store: WebStore, year: int, day: dt.date | None, actor: str = COORDINATOR, region_id: int | None = None
) -> None:
    with store.transaction():
        store.set_setting(f"deadline:{year}", day.isoformat() if day else None)
        store.web_log(year, "deadline", actor, note=day.isoformat() if day else "", region_id=region_id)


def contacts(store: WebStore, sts: Iterable[AgencyState]) -> dict[int, tuple[str, str]]:
    """Contact person and phone by agency id, from each agency's newest cover that names one
    (one query for all of them)."""
    import json

    newest: dict[int, list[int]] = {st.agency.id: [v.id for v in reversed(st.versions)] for st in sts}
    ids = [vid for vs in newest.values() for vid in vs]
    covers: dict[int, tuple[str, str]] = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk : chunk + 900]
        for vid, raw in store.db.execute(
            f"SELECT id, cover FROM versions WHERE id IN ({','.join('?' * len(part))})", part
        ):
            try:
                cover = json.loads(raw) if raw else {}
            except ValueError:
                cover = {}
            c, p = str(cover.get("contact") or "").strip(), str(cover.get("phone") or "").strip()
            if c or p:
                covers[vid] = (c, p)
    return {aid: next((covers[v] for v in vs if v in covers), ("", "")) for aid, vs in newest.items()}


def reminder_text(
    year: int,
    st: AgencyState,
    day: dt.date | None,
    link: str | None,
    sender: str = "",
    today: dt.date | None = None,
) -> str:
    """A ready-to-send 催报 message for one agency (the deadline, or that it has passed; the
    coordinator's note when a version was sent back)."""
    today = today or dt.date.today()

    def said(note: str) -> str:  # inside brackets mid-sentence: without its own full stop
        return note.rstrip("。．.！!；; ")

    if st.status == NOT_SUBMITTED:
        what = f"贵单位尚未报送{year}年度政府信息公开工作年度报告填报表"
    elif st.status == RETURNED:
        last = st.last_returned
        note = st.returned[last.id][0] if last is not None else ""
        what = f"贵单位报送的{year}年度政府信息公开工作年度报告填报表已被退回" + (
            f"（{said(note)}）" if note else ""
        )
        what += "，尚未重新报送"
    elif (wrong := st.not_own) is not None:  # not an error to look for: another agency's report
        what = (
            f"贵单位上传的文件“{wrong.file_name}”不是本单位的报告（封面为其他单位），"
            f"尚未报送本单位的{year}年度政府信息公开工作年度报告填报表"
        )
    else:
        what = f"贵单位报送的{year}年度政府信息公开工作年度报告填报表校验有错误，尚未通过"
        if st.returned:  # sent back before: the coordinator's reason still applies
            last = st.last_returned
            note = st.returned[last.id][0] if last is not None else ""
            what += f"（协调人退回说明：{said(note)}）" if note else ""
    due = f"{day.year}年{day.month}月{day.day}日" if day else ""
    if day is None:
        when = "请尽快"
    elif day < today:
        when = f"报送截止日期（{due}）已过，请尽快"
    else:
        when = f"请于{due}前"
    if link:
        text = f"{st.agency.name}：{what}。{when}通过以下链接完成报送：{link}"
    else:  # the link was withdrawn: nothing to send it to, the coordinator has to give a new one
        passed = f"报送截止日期（{due}）已过。" if day is not None and day < today else ""
        by = f"于{due}前" if day is not None and day >= today else "尽快"
        text = f"{st.agency.name}：{what}。{passed}贵单位的报送链接已停用，请联系协调人获取新的报送链接，{by}完成报送。"
    return text + (f"（{sender}）" if sender else "")


# -- the summary -------------------------------------------------------------------------------
def summary_inputs(
    store: WebStore, year: int, sts: list[AgencyState] | None = None
) -> list[tuple[AgencyState, tuple[str, str] | None, list[Finding]]]:
    """For each roster agency (or those of ``sts``), the file the summary reads and the season's
    findings on it (its cover judged against the roster of the moment, as on every page): the
    current version, else its newest upload (shown 有错误, never counted), else none."""
    out = []
    for st in states(store, year) if sts is None else sts:
        if st.current is not None:
            extra = list(st.cover.get(st.current.id, []))
            out.append((st, (st.current.file_sha256, st.current.file_name), extra))
        elif st.status == RETURNED and (back := st.last_returned) is not None:
            # the file sent back (not a file sent before it): the merge's 已退回, a 提示 here (its
            # file may well pass)
            extra = list(st.cover.get(back.id, []))
            extra.append(Finding("RETURNED", WARNING, returned_words(st, back.id), back.file_name))
            out.append((st, (back.file_sha256, back.file_name), extra))
        elif st.latest is not None:
            extra = [_finding(d) for d in st.judged(st.latest).findings if d.get("code") in _SEASON_CODES]
            if st.status == RETURNED:  # the merge's 已退回 (a 提示 here: its file may well pass)
                last = st.last_returned
                said = returned_words(st, last.id if last is not None else None)
                extra.append(Finding("RETURNED", WARNING, said, st.latest.file_name))
            out.append((st, (st.latest.file_sha256, st.latest.file_name), extra))
        else:
            out.append((st, None, []))
    return out


def returned_words(st: AgencyState, version_id: int | None) -> str:
    """``协调人已退回（<its note>），待重新报送``: the reason travels with the summary (its page, its
    问题清单, the level above), not only to the agency."""
    note = " ".join((st.returned.get(version_id or 0, ("", ""))[0] or "").split())
    note = note.rstrip("。．.！!；; ")
    if len(note) > 200:
        note = note[:199] + "…"
    return f"协调人已退回（{note}），待重新报送" if note else "协调人已退回，待重新报送"


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(**{k: d.get(k) for k in Finding.__slots__})


def summarize(
    store: WebStore,
    year: int,
    *,
    spec: Any,
    previous: PreviousIndex | None = None,
    progress: Callable[[int, int], None] | None = None,
    inputs: list | None = None,
    extra: Iterable[tuple[RosterEntry, bytes | None, list[Finding]]] = (),
    name: str | None = None,
    notes: dict[str, str] | None = None,
):
    """``xxgk merge`` over what counts for each roster agency, each file bound to its agency (the
    merge never re-attributes a file by its cover); ``extra``: more files with their roster entry
    (a region's sub-regions' summaries, merged upward; no file: 未报送); ``name``: the summary's
    own name; ``notes``: a note for the row of an entry (by its name), after the merge's own."""
    from toolkit.merge import merge

    inputs = summary_inputs(store, year) if inputs is None else inputs
    # each agency its own line (the merge tells roster entries apart by it; two links' roster
    # rows may share a number when they came from two roster files)
    entries = [
        RosterEntry(st.agency.name, st.agency.code, st.agency.parent, st.agency.type, i + 1)
        for i, (st, _, _) in enumerate(inputs)
    ]
    extra = list(extra)
    roster = Roster("", entries + [e for e, _, _ in extra])
    names: dict[str, str] = {}
    assign: dict[str, tuple[RosterEntry, list[Finding]]] = {}
    from toolkit.template import safe_filename

    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as d:
        for i, ((st, pick, found), entry) in enumerate(zip(inputs, entries[: len(inputs)], strict=True)):
            if pick is None:
                continue
            sha, shown = pick
            suffix = Path(shown).suffix.lower()
            p = (
                Path(d)
                / f"{i:05d}"
                / f"{safe_filename(st.agency.name)}{suffix if suffix in SPREADSHEET_EXT else '.xlsx'}"
            )
            p.parent.mkdir()
            p.write_bytes(store.file_bytes(sha) or b"")
            names[str(p)] = f"{st.agency.name}：{shown}"
            names[p.name] = names[str(p)]
            assign[str(p)] = (entry, found)
        for k, (entry, data, found) in enumerate(extra):
            if data is None:  # nothing to read: the merge lists it 未报送
                continue
            p = Path(d) / f"r{k:05d}" / f"{safe_filename(entry.name)}.xlsx"
            p.parent.mkdir()
            p.write_bytes(data)
            names[str(p)] = f"{entry.name}：汇总表"
            names[p.name] = names[str(p)]
            assign[str(p)] = (entry, found)
        summary = merge(
            [d],
            roster=roster,
            year=year,
            spec=spec,
            previous=previous,
            progress=progress,
            assign=assign,
            agency=name,
        )

    def shown_in(text: str) -> str:  # a message naming temp files (00003.xlsx) names the uploads
        for tmp, real in names.items():
            if "/" not in tmp and "\\" not in tmp and tmp in text:
                text = text.replace(tmp, real)
        return text

    def fix(f: Finding, file: str | None) -> Finding:
        return replace(f, file=file, message=shown_in(f.message))

    # an agency standing by another agency's report: what it is, as the dashboard says it (not the
    # merge's 有错误，改正后重新报送: there is nothing of its own to correct)
    strays = {st.agency.name: st.standing for st, _pick, _found in inputs if st.not_own is not None}
    for rec in summary.records.updating():
        rec.file = names.get(rec.file or "", rec.file)
        rec.note = shown_in(rec.note or "") if rec.note else rec.note
        back = next((f for f in rec.report.findings if f.code == "RETURNED"), None) if rec.report else None
        if back is not None:  # not “有错误”: its file may well pass
            rec.note = f"{back.message}；未计入汇总"
        elif rec.roster_name in strays and not rec.included:
            rec.note = f"{strays[rec.roster_name]}；未计入汇总"
        if notes and rec.roster_name in notes:
            rec.note = "；".join(x for x in (notes[rec.roster_name], rec.note) if x)
        if (rep := rec.report) is not None:
            name = names.get(rep.file, rep.file)
            rep.findings = [fix(f, name) for f in rep.findings]
            rep.file = name
    summary.findings[:] = [fix(f, names.get(f.file or "", f.file)) for f in summary.findings]
    return summary


def counted_names(summary: Any) -> set[str]:
    """The roster names the summary counts."""
    return {r.roster_name for r in summary.records if r.included and r.roster_name}


def previous_of(store: WebStore, year: int) -> PreviousIndex | None:
    """Last year's reports of the roster's agencies from the archive (a workbook before a
    published report; district summaries and agencies off the roster left out)."""
    if year - 1 not in store.years():
        return None
    from toolkit.store import SOURCES

    agencies = store.web_agencies(year)
    roster = Roster("", [RosterEntry(a.name, a.code, a.parent, a.type, i) for i, a in enumerate(agencies, 1)])
    keep: dict[int, int] = {}
    for v in sorted(store.current(year=year - 1), key=lambda v: SOURCES.index(v.source)):
        e = roster.find(v.agency, v.code or "") if v.source != "summary" else None
        if e is not None:
            keep.setdefault(id(e), v.id)
    return PreviousIndex(store.submissions(keep.values()))
