"""HMAC signatures with the shim secret: calendar feed URLs and message-button contexts.

A signature is the hex HMAC-SHA256 of the given fields joined by newlines, so
no field can run into the next; checks compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "signed"]


def sign(secret: str, *fields: str) -> str:
    """The hex HMAC-SHA256 of ``fields`` (newline-joined) under ``secret``."""
    message = "\n".join(fields).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed(secret: str, sig: str, *fields: str) -> bool:
    """Whether ``sig`` is the signature of ``fields`` (False without a secret or a sig)."""
    if not secret or not sig:
        return False
    expected = sign(secret, *fields)
    return hmac.compare_digest(expected.encode("ascii"), sig.strip().lower().encode("utf-8"))
