"""Store URLs: what each scheme names, its options, and passwords kept out of messages.

- ``redis://``, ``rediss://`` and ``unix://`` reach a real Redis through
  redis-py (hiredis parses replies when installed; ``kvstore.redis_backend``).
- ``memory://`` and ``memory://NAME`` use an in-process fakeredis server with
  Lua support; every open of the same NAME in one process shares one server,
  and a bare ``memory://`` is the process-wide default server (NAME ``""``).
- ``sqlite://PATH`` is one SQLite file shared by every process that opens it
  (``kvstore.sqlite_backend``): everything after ``sqlite://`` is the path, so
  ``sqlite:///var/lib/lotto.db`` is absolute, ``sqlite://~/lotto.db`` is in
  the home directory and ``sqlite://lotto.db`` is relative to the working
  directory. The file is created on first use; its directory must exist.

A URL may carry the kvstore option ``timeout`` (seconds, e.g.
``redis://host:6379/0?timeout=2``, ``sqlite:///tmp/l.db?timeout=2``): the
default deadline of each operation (see ``kvstore.deadline``). Other query
options of a Redis URL go to redis-py as usual; a SQLite URL takes no others.
"""

from __future__ import annotations

import math
import os
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .errors import InvalidArgumentError

__all__ = [
    "split_options",
    "redact",
    "is_memory_url",
    "is_sqlite_url",
    "memory_server",
    "discard_memory",
    "sqlite_path",
    "REAL_SCHEMES",
    "SCHEMES",
    "DEFAULT_TIMEOUT",
]

#: Schemes of a real Redis.
REAL_SCHEMES = ("redis", "rediss", "unix")
#: Every scheme ``kvstore.open`` takes.
SCHEMES = (*REAL_SCHEMES, "sqlite", "memory")
#: Seconds an operation (a call, or a whole unit of work) may wait for Redis by default.
DEFAULT_TIMEOUT = 5.0
_OPTIONS = ("timeout",)

_memory_lock = threading.Lock()
_memory_servers: dict[str, object] = {}


def is_memory_url(url: str) -> bool:
    """True if ``url`` names an in-process fakeredis server."""
    return urlsplit(url).scheme == "memory"


def is_sqlite_url(url: str) -> bool:
    """True if ``url`` names a SQLite file."""
    return urlsplit(url).scheme == "sqlite"


def _memory_name(url: str) -> str:
    # memory://NAME keeps NAME in the netloc; memory:///NAME or memory://a/b
    # would be easy typos that silently share a different server, so the whole
    # remainder after the scheme is the name.
    return url[len("memory://") :]


def memory_server(url: str) -> Any:
    """The fakeredis server ``url`` (``memory://NAME``) names, made on first use."""
    if not url.startswith("memory://"):
        raise InvalidArgumentError(
            f"memory store URL must look like memory://NAME, got {url!r}", url=url
        )
    name = _memory_name(url)
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
    if parts.scheme not in (*REAL_SCHEMES, "sqlite") or not parts.query:
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


def sqlite_path(url: str) -> str:
    """The file a ``sqlite://PATH`` URL names, ``~`` expanded (see the module docstring).

    Raises InvalidArgumentError for a URL without a path or with options other
    than ``timeout``.
    """
    base, _ = split_options(url)
    if not base.startswith("sqlite://"):
        raise InvalidArgumentError(f"not a sqlite:// URL: {redact(url)!r}", url=redact(url))
    path = base[len("sqlite://") :]
    if "?" in path:
        raise InvalidArgumentError(
            f"a sqlite:// URL takes only the timeout option, got {url!r}", url=url
        )
    if not path or path.endswith("/"):
        raise InvalidArgumentError(
            f"a sqlite:// URL names a file, e.g. sqlite:///var/lib/lotto.db or "
            f"sqlite://~/lotto.db; got {url!r}",
            url=url,
        )
    return os.path.abspath(os.path.expanduser(path))
