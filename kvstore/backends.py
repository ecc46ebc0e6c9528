"""Turn a store URL into a redis-py client.

``redis://``, ``rediss://`` and ``unix://`` reach a real Redis through
redis-py (hiredis parses replies when installed). ``memory://`` and
``memory://NAME`` use an in-process fakeredis server with Lua support; every
open of the same NAME in one process shares one server, and a bare
``memory://`` is the process-wide default server (NAME ``""``).

A real URL may carry the kvstore option ``timeout`` (seconds, e.g.
``redis://host:6379/0?timeout=2``): the default deadline of each operation
(see ``kvstore.deadline``). Other query options go to redis-py as usual.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from .deadline import CONNECTION_CLASSES
from .errors import InvalidArgumentError

__all__ = [
    "connect",
    "connect_async",
    "split_options",
    "redact",
    "is_memory_url",
    "discard_memory",
    "REAL_SCHEMES",
    "DEFAULT_TIMEOUT",
]

REAL_SCHEMES = ("redis", "rediss", "unix")
#: Seconds an operation (a call, or a whole unit of work) may wait for Redis by default.
DEFAULT_TIMEOUT = 5.0
_OPTIONS = ("timeout",)

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


def split_options(url: str) -> tuple[str, dict[str, float]]:
    """``url`` without the kvstore options in its query, and those options' values.

    Raises InvalidArgumentError for a bad value. ``memory://`` URLs take no options.
    """
    if not isinstance(url, str) or not url:
        raise InvalidArgumentError("store URL must be a non-empty string", url=url)
    parts = urlsplit(url)
    if parts.scheme not in REAL_SCHEMES or not parts.query:
        return url, {}
    ours: dict[str, float] = {}
    rest: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in _OPTIONS:
            rest.append((name, value))
            continue
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not 0 < seconds < math.inf:
            raise InvalidArgumentError(
                f"store URL option {name} must be a number of seconds > 0, got {value!r}",
                url=redact(url),
            )
        ours[name] = seconds
    if not ours:
        return url, ours
    # Rebuilt by hand: urlsplit drops the "//" of unix:///path URLs.
    base = url.split("?", 1)[0]
    return (base + "?" + urlencode(rest) if rest else base), ours


def connect(url: str) -> redis.Redis:
    """Return a client for ``url``; raises InvalidArgumentError for unknown schemes.

    Real connections time every step out by the current deadline
    (``kvstore.deadline``); redis-py's own retries are off, since the store
    retries within the deadline itself.
    """
    url, _ = split_options(url)
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
            # defaults; within a store operation the deadline shortens them.
            return redis.Redis.from_url(
                url,
                socket_connect_timeout=5,
                socket_timeout=10,
                health_check_interval=30,
                retry=Retry(NoBackoff(), 0),
                connection_class=CONNECTION_CLASSES[scheme],
            )
        except ValueError as exc:
            raise InvalidArgumentError(
                f"bad store URL {redact(url)!r}: {exc}", url=redact(url)
            ) from exc
    raise InvalidArgumentError(
        f"unsupported store URL {redact(url)!r}: use redis://, rediss://, unix:// or memory://",
        url=redact(url),
    )


def connect_async(url: str) -> Any:
    """An asyncio client for ``url`` (for health probes; the caller bounds each call).

    Bound to the event loop it is first used in; ``memory://`` gives a fakeredis one.
    """
    url, _ = split_options(url)
    if is_memory_url(url):
        import fakeredis

        return fakeredis.FakeAsyncRedis(server=_memory_server(_memory_name(url)), version=(7,))
    return redis.asyncio.Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=10, retry=Retry(NoBackoff(), 0)
    )
