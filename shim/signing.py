"""Keys and HMAC signatures of the shim: signed links (feeds, pages, charts), button
contexts and dialog state.

One secret (``LOTTO_SECRET``) is configured; it authenticates the plugin hooks
as a bearer token and is never used as a signing key itself. Each kind of
signature has its own key, derived from the secret with HMAC-SHA256 under a
label naming its purpose (:data:`PURPOSES`), so a signature made for one
purpose (a chart image) never passes for another (a calendar feed), and
neither the signatures nor their keys authenticate a hook.

A signature is the hex HMAC-SHA256 of the given fields joined by newlines
under the purpose's key, so no field can run into the next; checks compare in
constant time. Signed links (:func:`signed_query`, :func:`check_query`) carry
their parameters and an expiry (``exp``, unix seconds) under the signature.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

__all__ = [
    "PURPOSES",
    "FEED",
    "PAGE",
    "CHART",
    "ACTION",
    "DIALOG",
    "SWAP",
    "MAX_PARAM",
    "signing_key",
    "sign",
    "signed",
    "expiry",
    "signed_query",
    "check_query",
]

FEED = "feed"  # calendar feed URLs (shim.calendar)
PAGE = "page"  # rotation page URLs (shim.page)
CHART = "chart"  # chart image URLs embedded in chat replies (shim.page)
ACTION = "action"  # message-button contexts (shim.actions)
DIALOG = "dialog"  # interactive dialogs' state (shim.dialogs)
SWAP = "swap"  # "Accept swap" button contexts (shim.swapbutton)
PURPOSES = (FEED, PAGE, CHART, ACTION, DIALOG, SWAP)

#: Characters of any one signed parameter accepted before any work is done.
MAX_PARAM = 256


@functools.lru_cache(maxsize=32)
def signing_key(secret: str, purpose: str) -> bytes:
    """The key of ``purpose`` derived from ``secret`` (HMAC-SHA256 of a fixed label)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown signing purpose {purpose!r}")
    label = f"solar-lottery signing key\n{purpose}".encode()
    return hmac.new(secret.encode("utf-8"), label, hashlib.sha256).digest()


def sign(secret: str, purpose: str, *fields: str) -> str:
    """The hex HMAC-SHA256 of ``fields`` (newline-joined) under ``purpose``'s key."""
    message = "\n".join(fields).encode("utf-8")
    return hmac.new(signing_key(secret, purpose), message, hashlib.sha256).hexdigest()


def signed(secret: str, purpose: str, sig: str, *fields: str) -> bool:
    """Whether ``sig`` is ``purpose``'s signature of ``fields`` (False without secret or sig)."""
    if not secret or not sig:
        return False
    expected = sign(secret, purpose, *fields)
    return hmac.compare_digest(expected.encode("ascii"), sig.strip().lower().encode("utf-8"))


def expiry(now: datetime, lifetime: timedelta) -> str:
    """The ``exp`` value of a link made at ``now`` that lasts ``lifetime`` (unix seconds)."""
    return str(int((now + lifetime).timestamp()))


def _fields(purpose: str, subject: tuple[str, ...], params: Mapping[str, str]) -> list[str]:
    # The purpose and the subject first, then every parameter by name: adding, dropping
    # or renaming any of them changes the message.
    return [purpose, *subject, *(f"{k}={params[k]}" for k in sorted(params))]


def signed_query(
    secret: str, purpose: str, subject: tuple[str, ...], params: Mapping[str, str]
) -> dict[str, str]:
    """``params`` with their ``sig``: the query of a link to ``subject`` (e.g. a rotation id).

    ``params`` should hold an ``exp`` (see :func:`expiry`); empty values are left out.
    """
    kept = {k: v for k, v in params.items() if v}
    return {**kept, "sig": sign(secret, purpose, *_fields(purpose, subject, kept))}


def check_query(
    secret: str,
    purpose: str,
    subject: tuple[str, ...],
    query: Mapping[str, str],
    names: tuple[str, ...],
    now: float,
) -> dict[str, str] | None:
    """The signed parameters ``names`` of a link's ``query``, or None when it is not ours.

    None for: no secret, a parameter or subject longer than :data:`MAX_PARAM`, a
    wrong or missing signature, and a missing or past ``exp``. Parameters not in
    ``names`` (view options such as ``tz``) are neither signed nor returned.
    """
    if not secret or any(len(s) > MAX_PARAM for s in subject):
        return None
    params = {n: query[n] for n in names if query.get(n)}
    if any(len(v) > MAX_PARAM for v in params.values()):
        return None
    sig = query.get("sig", "")
    if not signed(secret, purpose, sig, *_fields(purpose, subject, params)):
        return None
    exp = params.get("exp", "")
    if not exp.isdigit() or int(exp) <= now:
        return None
    return params
