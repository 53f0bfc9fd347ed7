"""Passwords, CSRF tokens, link tokens and upload names for ``xxgk serve``.

Passwords are kept as ``scrypt$n$r$p$salt$hash`` (hashlib.scrypt, 16-byte random salt) and compared
in constant time; link tokens are derived from the key file's secret (:class:`Keys`), CSRF tokens come from :mod:`secrets`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from pathlib import Path

from toolkit.oswords import os_reason

__all__ = [
    "Keys",
    "check_password",
    "display_name",
    "hash_password",
    "password_fingerprint",
    "password_problem",
    "valid_token",
]

_N, _R, _P = 2**14, 8, 1
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
MIN_PASSWORD = 8
MAX_PASSWORD = 256  # a pass phrase fits; what no one types into a login page does not


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${h.hex()}"


def password_problem(password: str, what: str = "密码") -> str | None:
    """Why ``password`` cannot be set (Chinese, ``what`` names it: 密码, 新密码); None if it can.
    Refused besides the too short: what the login page cannot take back — control characters
    (a NUL, an escape: a crafted form or a piped line), characters that were not UTF-8 (a GBK
    line piped to ``--set-password``: hashing them failed with a traceback) — and the too long."""
    if len(password) < MIN_PASSWORD:
        return f"{what}至少 {MIN_PASSWORD} 个字符"
    if len(password) > MAX_PASSWORD:
        return f"{what}过长（{len(password):,} 个字符），最多 {MAX_PASSWORD} 个字符"
    if any("\ud800" <= c <= "\udfff" for c in password):
        return f"{what}中有无法识别的字符（输入的不是 UTF-8 编码的文字），请在命令行窗口中直接输入"
    if _UNSAFE.search(password) or any("\x80" <= c <= "\x9f" for c in password):
        return f"{what}中不能有控制字符（换行、制表符、NUL 等）：登录页面无法输入它们"
    return None


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        algo, n, r, p, salt, want = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got.hex(), want)


def password_fingerprint(stored: str, secret: str) -> str:
    """What a coordinator's session holds: changes when the password changes (old sessions end)."""
    return hmac.new(secret.encode(), stored.encode(), hashlib.sha256).hexdigest()[:32]


def valid_token(token: str) -> bool:
    return bool(TOKEN_RE.fullmatch(token))


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def display_name(filename: str | None, limit: int = 120) -> str:
    """The name a browser sent for a file, as a label only: no folders, no control characters,
    bounded. Files are stored by hash, never under this name."""
    s = unicodedata.normalize("NFC", filename or "")
    s = s.replace("\\", "/").rsplit("/", 1)[-1]
    s = _UNSAFE.sub("", s).strip()
    if len(s) > limit:
        stem, dot, ext = s.rpartition(".")
        s = (stem[: limit - len(ext) - 1] + dot + ext) if dot and len(ext) <= 8 else s[:limit]
    return s or "未命名文件"


class KeyFileError(Exception):
    """The key file beside the archive cannot be read or written (one Chinese line)."""


class Keys:
    """The server's secrets, kept in a file beside the archive (``xxgk.db.key``, mode 0600), never
    in the archive: a copy of the database grants no session and holds no usable link.

    - ``secret`` signs session cookies and derives every agency's link token:
      ``token = HMAC(secret, "link:<id>:<gen>")`` (192 bits); the archive keeps only its SHA-256,
      so a link can be shown again to the coordinator but not recovered from the database.
    - ``legacy``: links made before tokens were derived (kept working, moved out of the database).
    """

    def __init__(self, path: Path, secret: str, legacy: dict[str, str]) -> None:
        self.path, self.secret, self.legacy = path, secret, legacy

    @classmethod
    def for_db(cls, db_path: str | os.PathLike[str]) -> Keys:
        """The key file of ``db_path``: read, or created (atomically, 0600) on first use."""
        path = Path(f"{os.fspath(db_path)}.key")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            secret = str(data["secret"])
            if len(secret) < 32:
                raise ValueError
            return cls(path, secret, {str(k): str(v) for k, v in dict(data.get("legacy") or {}).items()})
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyFileError(f"密钥文件 {path} 无法读取或已损坏（{type(exc).__name__}）") from None
        keys = cls(path, secrets.token_hex(32), {})
        try:
            keys.save(exclusive=True)
        except FileExistsError:  # another process made it first: use theirs
            return cls.for_db(db_path)
        return keys

    def save(self, *, exclusive: bool = False) -> None:
        body = json.dumps({"secret": self.secret, "legacy": self.legacy}, ensure_ascii=False).encode()
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            if exclusive:
                os.link(tmp, self.path)  # fails if another process made the file meanwhile
            else:
                os.replace(tmp, self.path)
        except FileExistsError:
            raise
        except OSError as exc:
            raise KeyFileError(f"无法写入密钥文件 {self.path}（{os_reason(exc)}）") from None
        finally:
            if tmp.exists():
                tmp.unlink()

    def link_token(self, web_agency_id: int, gen: int) -> str:
        """The link token of an agency's link of generation ``gen`` (a legacy one where kept)."""
        if gen == 0 and (old := self.legacy.get(str(web_agency_id))):
            return old
        return self.fresh_token(web_agency_id, gen)

    def fresh_token(self, web_agency_id: int, gen: int) -> str:
        """The derived token, ignoring any legacy one (a newly made or regenerated link)."""
        mac = hmac.new(self.secret.encode(), f"link:{web_agency_id}:{gen}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode()
