"""Random tokens and their stored digests. A token is shown once; the database keeps only its SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: 24 random bytes = 192 bits, well above the 128 bits a guessing attack would need to beat.
TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
