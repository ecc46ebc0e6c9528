"""Units of work: optimistic transactions over the KV store.

``KVStore.run(fn)`` calls ``fn(uow)`` with a :class:`UnitOfWork` (one per
attempt; the retries are ``kvstore.retry``'s). Inside, ``uow.get`` and
``uow.get_many`` read through a per-attempt cache (each key is read from the
store at most once), and ``uow.set``/``uow.delete``/``uow.enqueue`` only
buffer. When ``fn`` returns, one script (:data:`COMMIT`) checks that every key
read still holds exactly the bytes that were read ("absent" is a distinct
state) and applies all buffered writes, or reports the first key that changed
and writes nothing. If ``fn`` raises, nothing is written.

The commit does not carry the values it read: on a real Redis it names each
by its SHA-1 digest, which the script compares with ``redis.sha1hex`` of what
the key holds now (41 bytes a key, whatever the record's size); in process
(fakeredis, SQLite) nothing crosses a network and it compares the bytes. The
records stay plain values (``redis-cli GET`` shows them), and a store written
before digests, or by hand, validates the same way: nothing is kept beside the
values.

Fencing: a fenced commit (``run(fn, fence=lock)``) also checks that ``lock``
(a ``kvstore.Lock``) is still held with its token, in the same script as
the read validation; if it is not, nothing is written and ``FenceError`` is
raised.

Round-trip cost of an attempt: one per ``get`` of an uncached key, one per
``get_many`` with any uncached keys (a single MGET, or one :data:`READ_FOLLOW`
script with ``follow``), plus one for the commit if anything was written. A
read-only unit ends without a commit; its reads are then not re-validated, so
reads spread over several round trips may come from slightly different moments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .backend import Backend
from .errors import FenceError, KVError
from .keys import Namespace, as_bytes, check_key
from .lock import Lock
from .scripts import Data, Script

__all__ = ["Follow", "UnitOfWork", "COMMIT_MARKER_TTL_MS", "COMMIT", "READ_FOLLOW"]

#: Milliseconds a commit marker lives: long enough to outlive a commit resent after a lost reply.
COMMIT_MARKER_TTL_MS = 120_000

# The unit-of-work commit: validate every read, then apply every write.
# KEYS[1..n]     keys the unit read (the first one a fence's lock key, if fenced)
# KEYS[n+1..m-1] keys the unit writes (these need not have been read)
# KEYS[m]        this commit's marker key (<plugin id>/commit:<random token>)
# ARGV[1]        n, the number of read keys
# ARGV[2]        marker lifetime in milliseconds
# ARGV[3..2n+2]  per read key a pair: 'H' + the SHA-1 hex digest of the value read,
#                '1' + the exact value read (in process, where sending costs nothing,
#                and a fence's token), or '0' + '' if it was absent (so "was absent,
#                now present" and "was present, now gone" both conflict)
# ARGV[2n+3..]   per written key a pair: 'S' + value, 'D' + '' (delete), or 'Q' + value
#                (append the value to the list at that key: a durable queue, see kvstore.queue)
# Returns 0 when applied, or i > 0 = index of the first read key that changed
# (then nothing was written).
#
# The marker makes the commit idempotent: if the client library resends the
# same call after a lost reply, the second run sees the marker and reports
# success instead of a conflict that would make the caller apply its change
# twice. Validation issues only reads, so a failure there writes nothing; the
# first write is the only point where Redis can refuse (out of memory), so the
# writes land all together or not at all.
_COMMIT = """
local marker = KEYS[#KEYS]
if redis.call('EXISTS', marker) == 1 then
  return 0
end
local n = tonumber(ARGV[1])
for i = 1, n do
  local current = redis.call('GET', KEYS[i])
  local kind, expected = ARGV[2 * i + 1], ARGV[2 * i + 2]
  if current == false then
    if kind ~= '0' then
      return i
    end
  elseif kind == 'H' then
    if redis.sha1hex(current) ~= expected then
      return i
    end
  elseif kind ~= '1' or current ~= expected then
    return i
  end
end
local a = 2 * n + 3
for k = n + 1, #KEYS - 1 do
  if ARGV[a] == 'S' then
    redis.call('SET', KEYS[k], ARGV[a + 1])
  elseif ARGV[a] == 'Q' then
    redis.call('RPUSH', KEYS[k], ARGV[a + 1])
  else
    redis.call('DEL', KEYS[k])
  end
  a = a + 2
end
redis.call('SET', marker, '1', 'PX', ARGV[2])
return 0
"""


def _digest(value: bytes) -> bytes:
    return hashlib.sha1(value).hexdigest().encode()


def _commit(data: Data, keys: list[str], args: list[bytes]) -> int:
    marker = keys[-1]
    if data.exists(marker):
        return 0
    n = int(args[0])
    for i in range(1, n + 1):
        current = data.get(keys[i - 1])
        kind, expected = args[2 * i], args[2 * i + 1]
        if current is None:
            if kind != b"0":
                return i
        elif kind == b"H":
            if _digest(current) != expected:
                return i
        elif kind != b"1" or current != expected:
            return i
    a = 2 * n + 2
    for k in range(n, len(keys) - 1):
        if args[a] == b"S":
            data.set(keys[k], args[a + 1])
        elif args[a] == b"Q":
            data.rpush(keys[k], args[a + 1])
        else:
            data.delete(keys[k])
        a += 2
    data.set(marker, b"1", px=int(args[1]))
    return 0


COMMIT = Script("commit", _COMMIT, _commit)

# A read that follows a list: the values of some keys, of a key holding a JSON
# object with an array of names, and of the keys those names stand for — all in
# one round trip, so a caller that must look a name up in an index first does
# not pay a second read for what the index points at.
# KEYS[1..n]  keys to read as they are; KEYS[n] is the list key
# ARGV[1]     n
# ARGV[2]     the field of the list key's JSON object holding the array of names
# ARGV[3]     only follow names containing this text ('' = every name)
# ARGV[4]     '1': ignore ASCII case when matching ARGV[3] (a superset of the exact matches)
# ARGV[5]     the namespace prefix to put before followed keys (<plugin id>:)
# ARGV[6..]   key prefixes to follow: for a name N and prefix P the key read is ARGV[5]..P..N
# Returns {v1, …, vn, N1, v(P1 N1), v(P2 N1), …, N2, …}; an absent key is false (nil).
# The followed keys are not in KEYS, which standalone Redis allows (this store
# does not support Redis Cluster); a list key that is absent or not such an
# object follows nothing.
_READ_FOLLOW = """
local n = tonumber(ARGV[1])
local out = {}
for i = 1, n do
  out[i] = redis.call('GET', KEYS[i])
end
local listed = out[n]
if not listed then
  return out
end
local ok, doc = pcall(cjson.decode, listed)
if not ok or type(doc) ~= 'table' or type(doc[ARGV[2]]) ~= 'table' then
  return out
end
local fold = ARGV[4] == '1'
local wanted = ARGV[3]
if fold then
  wanted = string.lower(wanted)
end
for _, name in ipairs(doc[ARGV[2]]) do
  if type(name) == 'string' then
    local seen = name
    if fold then
      seen = string.lower(name)
    end
    if wanted == '' or string.find(seen, wanted, 1, true) then
      out[#out + 1] = name
      for p = 6, #ARGV do
        out[#out + 1] = redis.call('GET', ARGV[5] .. ARGV[p] .. name)
      end
    end
  end
end
return out
"""


def _read_follow(data: Data, keys: list[str], args: list[bytes]) -> list[bytes | None]:
    n = int(args[0])
    out: list[bytes | None] = [data.get(key) for key in keys[:n]]
    listed = out[n - 1]
    if listed is None:
        return out
    try:
        doc = json.loads(listed)
    except ValueError:
        return out
    names = doc.get(args[1].decode()) if isinstance(doc, dict) else None
    if not isinstance(names, list):  # a JSON object there is a Lua table ipairs walks as empty
        return out
    fold = args[3] == b"1"
    wanted = args[2].lower() if fold else args[2]  # bytes.lower, like Lua's, is ASCII only
    prefix = args[4].decode()
    for name in names:
        if isinstance(name, str):
            seen = name.encode().lower() if fold else name.encode()
            if wanted == b"" or wanted in seen:
                out.append(name.encode())
                out.extend(data.get(prefix + p.decode() + name) for p in args[5:])
    return out


READ_FOLLOW = Script("read_follow", _READ_FOLLOW, _read_follow, writes=False)


@dataclass(frozen=True)
class Follow:
    """Read the keys an index names along with the index, in the same round trip.

    ``list_key`` holds a JSON object whose ``field`` is an array of names; for
    every name that contains ``containing`` (all names when empty) the keys
    ``prefix + name`` for each of ``prefixes`` are read too (see
    ``scripts.READ_FOLLOW``); with ``ignore_case`` ASCII letters match either case.
    """

    list_key: str
    field: str
    prefixes: Sequence[str]
    containing: str = ""
    ignore_case: bool = False


class UnitOfWork:
    """One attempt of a unit of work: cached reads, buffered writes."""

    def __init__(self, backend: Backend, namespace: Namespace, attempt: int) -> None:
        self._backend = backend
        self._namespace = namespace
        #: 1 for the first run of ``fn``, 2 for the first retry, …
        self.attempt = attempt
        #: Round trips of this attempt so far, the commit included.
        self.round_trips = 0
        self._read: dict[str, bytes | None] = {}  # what the store returned, to validate at commit
        self._written: dict[str, bytes | None] = {}  # None = delete
        self._queued: list[tuple[str, bytes]] = []  # (full queue key, entry), in order
        self._open = True

    def _check_open(self) -> None:
        if not self._open:
            raise KVError(
                "this unit of work has finished; use the uow passed to the current fn call"
            )

    def _view(self, key: str) -> bytes | None:
        return self._written[key] if key in self._written else self._read[key]

    def get(self, key: str) -> bytes | None:
        """The value of ``key`` as this unit sees it (its own writes included)."""
        self._check_open()
        check_key(key)
        if key not in self._written and key not in self._read:
            self.round_trips += 1
            self._read[key] = self._backend.get(self._namespace.data(key), subject=key)
        return self._view(key)

    def get_many(
        self, keys: Iterable[str], *, follow: Follow | None = None
    ) -> dict[str, bytes | None]:
        """Values of ``keys`` (uncached ones in one MGET round trip).

        With ``follow``, the list key and the keys it names are read in that
        same round trip (one script) and returned too; every value read is
        validated at commit like any other read.
        """
        self._check_open()
        wanted = [check_key(k) for k in keys]
        if follow is not None:
            return self._get_following(wanted, follow)
        missing = [
            k for k in dict.fromkeys(wanted) if k not in self._written and k not in self._read
        ]
        if missing:
            self.round_trips += 1
            values = self._backend.mget([self._namespace.data(k) for k in missing])
            self._read.update(zip(missing, values, strict=True))
        return {k: self._view(k) for k in wanted}

    def _get_following(self, wanted: list[str], follow: Follow) -> dict[str, bytes | None]:
        plain = list(dict.fromkeys([*wanted, check_key(follow.list_key)]))
        plain.remove(follow.list_key)
        plain.append(follow.list_key)  # the script expects the list key last
        prefixes = list(follow.prefixes)
        ns = self._namespace
        args: list[bytes | int | str] = [len(plain), follow.field, follow.containing]
        args.append("1" if follow.ignore_case else "0")
        args += [ns.prefix, *prefixes]
        self.round_trips += 1
        flat = self._backend.eval(
            READ_FOLLOW,
            [ns.data(k) for k in plain],
            args,
            op="get_many",
            subject=follow.list_key,
        )
        fetched = dict(zip(plain, flat[: len(plain)], strict=True))
        rest = flat[len(plain) :]
        step = 1 + len(prefixes)
        for i in range(0, len(rest), step):
            name = rest[i].decode() if isinstance(rest[i], bytes) else str(rest[i])
            for prefix, value in zip(prefixes, rest[i + 1 : i + step], strict=True):
                fetched[check_key(prefix + name)] = value
        for key, value in fetched.items():
            # A key read earlier keeps its first value: that is what the commit
            # validates, so a change in between still shows up as a conflict.
            if key not in self._read and key not in self._written:
                self._read[key] = value
        return {k: self._view(k) for k in fetched}

    def set(self, key: str, value: bytes | None) -> None:
        """Buffer a write of ``value`` to ``key`` (None deletes); later reads see it."""
        self._check_open()
        check_key(key)
        self._written[key] = None if value is None else as_bytes(value)

    def delete(self, key: str) -> None:
        """Buffer the deletion of ``key``; later reads see it absent."""
        self._check_open()
        check_key(key)
        self._written[key] = None

    def enqueue(self, queue: str, value: bytes) -> None:
        """Buffer appending ``value`` to the durable queue ``queue`` (see ``kvstore.queue``).

        The entry lands in the same commit as the unit's writes, so a change
        and the messages it causes are stored together or not at all. A unit
        that only enqueues still commits (and validates its reads).
        """
        self._check_open()
        self._queued.append((self._namespace.queue(queue), as_bytes(value)))

    def close(self) -> None:
        """End this attempt: a uow leaked out of ``fn`` must not buffer into a later commit."""
        self._open = False

    def commit(self, fence: Lock | None = None) -> str | None:
        """Apply the buffered writes if every read is unchanged; return the changed key, if any.

        Called by ``kvstore.retry`` once ``fn`` returned (``fn`` never calls
        it). One round trip (:data:`COMMIT`, with a marker that lives
        ``COMMIT_MARKER_TTL_MS``, so resending it is safe). With ``fence`` the
        lock's key is validated first, as one more read that must still hold
        the lock's token; FenceError (nothing written) if not.
        """
        self._open = False
        if not self._written and not self._queued:
            return None
        ns = self._namespace
        reads = list(self._read.items())
        keys = [] if fence is None else [fence.full_key]
        args: list[bytes | int] = [len(keys) + len(reads), COMMIT_MARKER_TTL_MS]
        if fence is not None:
            args += [b"1", fence.token]
        by_digest = self._backend.digest_reads
        for key, value in reads:
            keys.append(ns.data(key))
            if value is None:
                args += [b"0", b""]
            else:
                args += [b"H", _digest(value)] if by_digest else [b"1", value]
        for key, value in self._written.items():
            keys.append(ns.data(key))
            args += [b"D", b""] if value is None else [b"S", value]
        for full, entry in self._queued:
            keys.append(full)
            args += [b"Q", entry]
        keys.append(ns.marker())
        self.round_trips += 1
        changed = int(self._backend.eval(COMMIT, keys, args, op="commit"))
        if fence is not None and changed == 1:
            raise FenceError(
                f"the lock {fence.name!r} expired or was taken over before this unit of work "
                "could commit; nothing was written",
                lock=fence.name,
            )
        if fence is not None and changed:
            changed -= 1
        return reads[changed - 1][0] if changed else None
