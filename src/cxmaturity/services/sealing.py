"""Seal and open short secrets kept for later (a respondent's link token, for reminders) with a key derived from
CXM_SECRET_KEY: a copy of the database alone does not give the links away.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``): authenticated, so a tampered value is refused.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


def _fernet(secret_key: str) -> Fernet:
    # A key of its own, derived for this one use, so that it never equals a key used to sign sessions.
    key = hashlib.sha256(b"cxm-sealing-v1:" + secret_key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, value: str) -> str:
    return _fernet(secret_key).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(secret_key: str, sealed: str) -> str | None:
    """Return the value, or None when it was sealed with another key (CXM_SECRET_KEY changed) or tampered with."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
