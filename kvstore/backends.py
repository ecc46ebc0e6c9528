"""Turn a store URL into a redis-py client.

``redis://``, ``rediss://`` and ``unix://`` reach a real Redis through
redis-py (hiredis parses replies when installed). ``memory://`` and
``memory://NAME`` use an in-process fakeredis server with Lua support; every
open of the same NAME in one process shares one server, and a bare
``memory://`` is the process-wide default server (NAME ``""``).
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .errors import InvalidArgumentError

__all__ = ["connect", "redact", "is_memory_url", "discard_memory", "REAL_SCHEMES"]

REAL_SCHEMES = ("redis", "rediss", "unix")

_memory_lock = threading.Lock()
_memory_servers: dict[str, object] = {}


def is_memory_url(url: str) -> bool:
    """True if ``url`` names an in-process fakeredis server."""
    return urlsplit(url).scheme == "memory"


def _memory_name(url: str) -> str:
    # memory://NAME keeps NAME in the netloc; memory:///NAME or memory://a/b
    # would be easy typos that silently share a different server, so the whole
    # remainder after the scheme is the name.
    return url[len("memory://") :]


def _memory_server(name: str):
    import fakeredis  # imported lazily: production processes may never need it

    with _memory_lock:
        server = _memory_servers.get(name)
        if server is None:
            server = fakeredis.FakeServer(version=(7,))
            _memory_servers[name] = server
        return server


def discard_memory(url_or_name: str) -> None:
    """Forget a ``memory://NAME`` server so its data can be freed (tests use this)."""
    name = _memory_name(url_or_name) if url_or_name.startswith("memory://") else url_or_name
    with _memory_lock:
        _memory_servers.pop(name, None)


# scheme://user:password@host — the password runs to the last "@" before the
# path, as urlsplit reads it, so a password holding "@" is masked whole. When
# in doubt (a stray "?" or "@" in the URL) it masks more, never less.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:]*:)[^/\s]*@")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URL in it as ``***``.

    For messages and logs: ``text`` may be one URL or a sentence quoting several.
    """
    return _URL_PASSWORD.sub(r"\1***@", text)


def connect(url: str) -> redis.Redis:
    """Return a client for ``url``; raises InvalidArgumentError for unknown schemes."""
    if not isinstance(url, str) or not url:
        raise InvalidArgumentError("store URL must be a non-empty string", url=url)
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        if not url.startswith("memory://"):
            raise InvalidArgumentError(
                f"memory store URL must look like memory://NAME, got {url!r}", url=url
            )
        import fakeredis

        return fakeredis.FakeRedis(server=_memory_server(_memory_name(url)), version=(7,))
    if scheme in REAL_SCHEMES:
        try:
            # Options given in the URL query (socket_timeout=…) override these
            # defaults. Retries are few and quick so a lost reply is resent
            # well within the commit marker's lifetime (see scripts.COMMIT).
            return redis.Redis.from_url(
                url,
                socket_connect_timeout=5,
                socket_timeout=10,
                health_check_interval=30,
                retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
            )
        except ValueError as exc:
            raise InvalidArgumentError(
                f"bad store URL {redact(url)!r}: {exc}", url=redact(url)
            ) from exc
    raise InvalidArgumentError(
        f"unsupported store URL {redact(url)!r}: use redis://, rediss://, unix:// or memory://",
        url=redact(url),
    )
