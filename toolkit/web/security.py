"""Passwords, CSRF tokens, link tokens and upload names for ``xxgk serve``.

Passwords are kept as ``scrypt$n$r$p$salt$hash`` (hashlib.scrypt, 16-byte random salt) and compared
in constant time; link tokens and CSRF tokens come from :mod:`secrets`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

__all__ = [
    "check_password",
    "display_name",
    "hash_password",
    "new_token",
    "password_fingerprint",
    "valid_token",
]

_N, _R, _P = 2**14, 8, 1
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${h.hex()}"


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


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits: unguessable


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
