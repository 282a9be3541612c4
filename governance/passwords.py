"""One-time passwords waiting in the county administrator's session for their one download.

The passwords of the school accounts just created or reset are offered once, as a workbook.
Until then they wait in the user's session, which the session store keeps in a database table:
there they are sealed (AES-256-GCM, with a key derived from SECRET_KEY, which is never in the
database or its backups) and bound to the user, so a copy of the table shows no password. The
download takes them out of the session; logging out, the session's end or an hour without a
download takes them too. Nothing here is logged, and the usernames waiting are kept beside
the sealed passwords in clear: the page says whose are waiting.
"""

import base64
import functools
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SESSION_KEY = "aidcase_pending_passwords"
KEEP_SECONDS = 60 * 60
NONCE_BYTES = 12


@dataclass(frozen=True)
class PendingPassword:
    school_code: str
    school_name: str
    username: str
    role: str
    name: str
    password: str


@functools.cache
def _key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"aidcase pending passwords"
    ).derive(secret.encode())


def _seal(rows: list[PendingPassword], *, user_pk: int) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    plain = json.dumps([asdict(row) for row in rows], ensure_ascii=False).encode()
    sealed = AESGCM(_key(settings.SECRET_KEY)).encrypt(nonce, plain, str(user_pk).encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _open(session: Any, *, user_pk: int) -> list[PendingPassword]:
    """The rows waiting for this user; an entry that is another user's, expired or does not
    open (SECRET_KEY changed) is dropped."""
    entry = session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return []
    fresh = entry.get("at", 0) > time.time() - KEEP_SECONDS
    if entry.get("user") != user_pk or not fresh:
        del session[SESSION_KEY]
        return []
    try:
        raw = base64.urlsafe_b64decode(entry["sealed"].encode())
        plain = AESGCM(_key(settings.SECRET_KEY)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], str(user_pk).encode()
        )
    except (InvalidTag, KeyError, ValueError):
        del session[SESSION_KEY]
        return []
    return [PendingPassword(**row) for row in json.loads(plain)]


def passwords_add(session: Any, *, user_pk: int, rows: Iterable[PendingPassword]) -> None:
    """Adds rows to those waiting; a second password of the same account replaces the first
    (only the latest one opens it). The hour starts again."""
    new = list(rows)
    replaced = {row.username for row in new}
    kept = [row for row in _open(session, user_pk=user_pk) if row.username not in replaced]
    waiting = kept + new
    session[SESSION_KEY] = {
        "user": user_pk,
        "at": time.time(),
        "usernames": [row.username for row in waiting],
        "sealed": _seal(waiting, user_pk=user_pk),
    }


def passwords_waiting(session: Any, *, user_pk: int) -> list[str]:
    """The usernames whose passwords wait for the download, without opening them."""
    entry = session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return []
    if entry.get("user") != user_pk or entry.get("at", 0) <= time.time() - KEEP_SECONDS:
        del session[SESSION_KEY]
        return []
    return list(entry.get("usernames", []))


def passwords_take(session: Any, *, user_pk: int) -> list[PendingPassword]:
    """The rows waiting, removed from the session: they are given out this once."""
    rows = _open(session, user_pk=user_pk)
    session.pop(SESSION_KEY, None)
    return rows
