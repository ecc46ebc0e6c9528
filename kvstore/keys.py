"""Keys and values as the store takes them: the key rules, bytes, and the namespace scheme.

Key scheme, the same in every engine (what ``redis-cli --scan`` lists, or
``sqlite3 lotto.db 'SELECT key FROM kv'``)::

    <plugin id>:<key>              a KV key, e.g. com.mattermost.solar-lottery:rotation:SET
    <plugin id>/lock:<name>        a lock taken with KVStore.lock (kvstore.lock)
    <plugin id>/commit:<token>     a unit-of-work commit marker (lives two minutes, kvstore.unit)
    <plugin id>/queue:<name>       a durable queue (a list, kvstore.queue)

Plugin ids may only contain letters, digits, ``.``, ``-`` and ``_`` (as in
Mattermost), so ``:`` and ``/`` after the id cannot be part of another
plugin's id: two plugins on one store never see each other's keys, and locks,
markers and queues never show up in ``list_keys``.
"""

from __future__ import annotations

import random
import re
import time

from .errors import InvalidArgumentError, InvalidKeyError, KeyTooLongError

__all__ = ["MAX_KEY_LENGTH", "Namespace", "check_key", "check_plugin_id", "as_bytes"]

#: Mattermost refuses keys longer than this many characters.
MAX_KEY_LENGTH = 150

_PLUGIN_ID = re.compile(r"[A-Za-z0-9._-]{1,190}")


def check_plugin_id(plugin_id: object) -> str:
    """Return ``plugin_id`` if it is a valid plugin id, else raise InvalidArgumentError."""
    if not isinstance(plugin_id, str) or not _PLUGIN_ID.fullmatch(plugin_id):
        raise InvalidArgumentError(
            f"invalid plugin id {plugin_id!r}: use 1-190 letters, digits, '.', '-' or '_'",
            plugin_id=plugin_id,
        )
    return plugin_id


def check_key(key: object) -> str:
    """Return ``key`` if it is a valid KV key, else raise InvalidKeyError/KeyTooLongError."""
    if not isinstance(key, str):
        raise InvalidKeyError(f"KV key must be a string, got {type(key).__name__}", key=key)
    if not key:
        raise InvalidKeyError("KV key must not be empty", key=key)
    if len(key) > MAX_KEY_LENGTH:
        raise KeyTooLongError(
            f"KV key is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}: {key[:40]!r}…",
            key=key,
            length=len(key),
            limit=MAX_KEY_LENGTH,
        )
    return key


def as_bytes(value: object) -> bytes:
    """Return ``value`` as bytes; only bytes-like values can be stored."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"KV values must be bytes, got {type(value).__name__}")


class Namespace:
    """The full keys of one plugin id (see the module docstring for the scheme)."""

    def __init__(self, plugin_id: str) -> None:
        self.plugin_id = check_plugin_id(plugin_id)
        #: What every KV key of this plugin starts with: ``<plugin id>:``.
        self.prefix = plugin_id + ":"

    def data(self, key: str) -> str:
        """The full key of the KV key ``key`` (checked)."""
        return self.prefix + check_key(key)

    def lock(self, name: str) -> str:
        """The full key of the lock ``name``."""
        return f"{self.plugin_id}/lock:{name}"

    def queue(self, name: str) -> str:
        """The full key of the durable queue ``name`` (checked like a KV key)."""
        return f"{self.plugin_id}/queue:{check_key(name)}"

    def marker(self) -> str:
        """A fresh commit-marker key: unique across processes and time."""
        return f"{self.plugin_id}/commit:{time.time_ns():x}-{random.getrandbits(64):016x}"
