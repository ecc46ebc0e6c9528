"""The lanes of a queue: the scripts that route entries into lanes and take fair turns.

``kvstore.queue`` (its "Lanes and fair turns") is the consumer's view; these are the
atomic steps it runs, each as Lua for Redis and the same steps in Python beside it
for engines without Lua (``kvstore.scripts``). Storage: a queue is its intake list
(``<plugin id>/queue:<name>``) plus, once its consumer routes entries, one list per
lane at ``<queue key>.lane:<name>``, the *ring* ``<queue key>.lanes`` (the names of
the lanes that hold entries, each once, in turn order) and the attempts, a hash at
``<queue key>.attempts`` (tag -> Unix ms of the first attempt).
"""

from __future__ import annotations

import re
from typing import Any

from .scripts import Data, Script

__all__ = [
    "QUEUE_LENGTH",
    "QUEUE_HEADS",
    "QUEUE_ROUTE",
    "QUEUE_PEEK_FAIR",
    "QUEUE_NOTE_ATTEMPTS",
    "QUEUE_POP_FAIR",
]


def _lane(prefix: bytes, name: bytes) -> str:
    """A lane's key: the lanes' key prefix and the lane's name, as the Lua ``..`` joins them."""
    return (prefix + name).decode()


# A queue is its intake list (kvstore.queue.QUEUE_POP_HEAD's KEYS[1]) plus, once its consumer routes
# entries, lanes: one list per lane at <queue key>.lane:<name>, and the ring
# <queue key>.lanes, the names of the lanes that hold entries, each once, in turn order.
# Invariant: a lane holds entries exactly when its name is in the ring.
#
# QUEUE_LENGTH, QUEUE_HEADS and QUEUE_PEEK_FAIR read the lanes the ring names, keys not
# in KEYS (their names are only known inside Redis): as READ_FOLLOW, which standalone
# Redis allows (this store does not support Redis Cluster). They only read. The scripts
# that write declare every key they touch.

# How many entries wait, in the intake and in every lane.
# KEYS[1] = the intake, KEYS[2] = the ring
# ARGV[1] = the lanes' key prefix (a lane's key is ARGV[1] .. its name)
# Returns the total.
_QUEUE_LENGTH = """
local n = redis.call('LLEN', KEYS[1])
for _, name in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  n = n + redis.call('LLEN', ARGV[1] .. name)
end
return n
"""


def _queue_length(data: Data, keys: list[str], args: list[bytes]) -> int:
    n = data.llen(keys[0])
    for name in data.lrange(keys[1], 0, -1):
        n += data.llen(_lane(args[0], name))
    return n


QUEUE_LENGTH = Script("queue_length", _QUEUE_LENGTH, _queue_length, writes=False)

# The first entry of the intake and of each lane: each the oldest of its list.
# KEYS[1] = the intake, KEYS[2] = the ring
# ARGV[1] = the lanes' key prefix
# Returns {the intake's first entry or false, then each lane's first entry, in ring order}.
_QUEUE_HEADS = """
local out = {redis.call('LINDEX', KEYS[1], 0)}
for _, name in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  out[#out + 1] = redis.call('LINDEX', ARGV[1] .. name, 0)
end
return out
"""


def _queue_heads(data: Data, keys: list[str], args: list[bytes]) -> list[bytes | None]:
    out = [data.lindex(keys[0], 0)]
    for name in data.lrange(keys[1], 0, -1):
        out.append(data.lindex(_lane(args[0], name), 0))
    return out


QUEUE_HEADS = Script("queue_heads", _QUEUE_HEADS, _queue_heads, writes=False)

# Move the intake's first entries to the end of their lanes, if the caller holds the lease.
# KEYS[1] = the lease key, KEYS[2] = the intake, KEYS[3] = the ring,
# KEYS[4..3+m] = the lanes' lists (each lane once)
# ARGV[1] = the caller's lease token, ARGV[2] = m,
# ARGV[3..2+m] = the names of those lanes (for KEYS[4..3+m]),
# ARGV[3+m..] = one per entry to move, in intake order: the index (1..m) of its lane
# A lane that was empty joins the end of the ring. Under the lease nobody else takes
# from the intake (producers only append), so its first entries are the ones the
# caller read to choose their lanes.
# Returns how many entries moved (fewer when the intake ran short), or -1 when the
# lease is not the caller's (nothing done).
_QUEUE_ROUTE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local m = tonumber(ARGV[2])
local moved = 0
for i = 3 + m, #ARGV do
  local entry = redis.call('LPOP', KEYS[2])
  if not entry then
    break
  end
  local lane = tonumber(ARGV[i])
  if redis.call('RPUSH', KEYS[3 + lane], entry) == 1 then
    redis.call('RPUSH', KEYS[3], ARGV[2 + lane])
  end
  moved = moved + 1
end
return moved
"""


def _queue_route(data: Data, keys: list[str], args: list[bytes]) -> int:
    if data.get(keys[0]) != args[0]:
        return -1
    m = int(args[1])
    moved = 0
    for i in range(2 + m, len(args)):
        entry = data.lpop(keys[1])
        if entry is None:
            break
        lane = int(args[i])
        if data.rpush(keys[2 + lane], entry) == 1:
            data.rpush(keys[2], args[1 + lane])
        moved += 1
    return moved


QUEUE_ROUTE = Script("queue_route", _QUEUE_ROUTE, _queue_route)

# The next entries in fair turns: the first entry of each lane in ring order, then the
# second of each, and so on, up to a count; optionally followed by intake entries.
# KEYS[1] = the ring, KEYS[2] = the intake
# ARGV[1] = count (>= 1), ARGV[2] = the lanes' key prefix,
# ARGV[3] = how many intake entries to add after the picks at most ('0': none)
# Only the first `count` lanes of the ring can take a turn within `count` picks.
# Returns {the intake's length, p = the number of picks, lane 1, entry 1, ..., lane p,
# entry p, then the intake entries}.
_QUEUE_PEEK_FAIR = """
local count = tonumber(ARGV[1])
local names = redis.call('LRANGE', KEYS[1], 0, count - 1)
local left, take = {}, {}
for i, name in ipairs(names) do
  left[i] = redis.call('LLEN', ARGV[2] .. name)
  take[i] = 0
end
local picked, most, more = 0, 0, true
while more and picked < count do
  more = false
  for i = 1, #names do
    if picked < count and take[i] < left[i] then
      take[i] = take[i] + 1
      picked = picked + 1
      more = true
      if take[i] > most then
        most = take[i]
      end
    end
  end
end
local rows = {}
for i, name in ipairs(names) do
  if take[i] > 0 then
    rows[i] = redis.call('LRANGE', ARGV[2] .. name, 0, take[i] - 1)
  end
end
local out = {redis.call('LLEN', KEYS[2]), picked}
for turn = 1, most do
  for i, name in ipairs(names) do
    if take[i] >= turn then
      out[#out + 1] = name
      out[#out + 1] = rows[i][turn]
    end
  end
end
local extra = tonumber(ARGV[3])
if extra > 0 then
  for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, extra - 1)) do
    out[#out + 1] = entry
  end
end
return out
"""


def _queue_peek_fair(data: Data, keys: list[str], args: list[bytes]) -> list[Any]:
    count = int(args[0])
    names = data.lrange(keys[0], 0, count - 1)
    left = [data.llen(_lane(args[1], name)) for name in names]
    take = [0] * len(names)
    picked, most, more = 0, 0, True
    while more and picked < count:
        more = False
        for i in range(len(names)):
            if picked < count and take[i] < left[i]:
                take[i] += 1
                picked += 1
                more = True
                most = max(most, take[i])
    rows = {
        i: data.lrange(_lane(args[1], name), 0, take[i] - 1)
        for i, name in enumerate(names)
        if take[i] > 0
    }
    out: list[Any] = [data.llen(keys[1]), picked]
    for turn in range(1, most + 1):
        for i, name in enumerate(names):
            if take[i] >= turn:
                out += [name, rows[i][turn - 1]]
    extra = int(args[2])
    if extra > 0:
        out += data.lrange(keys[1], 0, extra - 1)
    return out


QUEUE_PEEK_FAIR = Script("queue_peek_fair", _QUEUE_PEEK_FAIR, _queue_peek_fair, writes=False)

# Note that the caller is about to handle some entries, and learn which were tried before.
# KEYS[1] = the lease key, KEYS[2] = the attempts (a hash: tag -> Unix ms of the first
# attempt), KEYS[3] = the attempt key of older versions (a string '<tag> <ms>', or absent)
# ARGV[1] = the caller's lease token, ARGV[2] = the lease's new lifetime in ms,
# ARGV[3] = now in Unix ms, ARGV[4..] = the entries' tags
# Renews the lease. For each tag: the time of its first attempt if one is on record
# (in the hash, or in the older key when that names the tag), else now is recorded.
# Returns {1, then per tag that time or -1 (first attempt)}, or {0} when the lease is
# not the caller's (nothing done).
_QUEUE_NOTE_ATTEMPTS = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {0}
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local old_tag, old_ms = nil, nil
local old = redis.call('GET', KEYS[3])
if old then
  old_tag, old_ms = string.match(old, '^(.*) (%d+)$')
end
local out = {1}
for i = 4, #ARGV do
  local seen = redis.call('HGET', KEYS[2], ARGV[i])
  if not seen and old_tag == ARGV[i] then
    seen = old_ms
    redis.call('HSET', KEYS[2], ARGV[i], seen)
  end
  if seen then
    out[#out + 1] = tonumber(seen)
  else
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[3])
    out[#out + 1] = -1
  end
end
return out
"""


_OLD_ATTEMPT = re.compile(rb"(.*) ([0-9]+)", re.DOTALL)  # Lua's '^(.*) (%d+)$'


def _queue_note_attempts(data: Data, keys: list[str], args: list[bytes]) -> list[int]:
    if data.get(keys[0]) != args[0]:
        return [0]
    data.pexpire(keys[0], int(args[1]))
    old_tag = old_ms = None
    old = data.get(keys[2])
    if old is not None:
        found = _OLD_ATTEMPT.fullmatch(old)
        if found:
            old_tag, old_ms = found.group(1), found.group(2)
    out = [1]
    for tag in args[3:]:
        seen = data.hget(keys[1], tag)
        if seen is None and old_tag == tag and old_ms is not None:
            seen = old_ms
            data.hset(keys[1], tag, seen)
        if seen is not None:
            out.append(int(seen))
        else:
            data.hset(keys[1], tag, args[2])
            out.append(-1)
    return out


QUEUE_NOTE_ATTEMPTS = Script("queue_note_attempts", _QUEUE_NOTE_ATTEMPTS, _queue_note_attempts)

# Finish a batch: remove the handled entries from their lanes (moving some elsewhere),
# forget their attempts, send the visited lanes to the end of the ring, renew the lease.
# KEYS[1] = the lease key, KEYS[2] = the ring, KEYS[3] = the attempts hash,
# KEYS[4] = the list entries marked 'M' move to (any key when none is),
# KEYS[5..4+m] = the visited lanes' lists: the first m lanes of the ring, in ring order
# ARGV[1] = the caller's lease token, ARGV[2] = the lease's new lifetime in ms, ARGV[3] = m,
# ARGV[4..3+m] = the visited lanes' names,
# ARGV[4+m..] = per handled entry four values: its lane's index (1..m), 'D' (drop it) or
# 'M' (move it to the end of KEYS[4]), the entry, its tag
# Checks everything first (the lease is the caller's, the ring starts with the visited
# lanes, every entry is still in its lane) and only then changes anything. A visited
# lane left empty leaves the ring; the others go to its end, in the same order.
# Returns 1 when done, 0 when a check failed (nothing done).
_QUEUE_POP_FAIR = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local m = tonumber(ARGV[3])
local front = redis.call('LRANGE', KEYS[2], 0, m - 1)
if #front ~= m then
  return 0
end
for i = 1, m do
  if front[i] ~= ARGV[3 + i] then
    return 0
  end
end
for a = 4 + m, #ARGV, 4 do
  if not redis.call('LPOS', KEYS[4 + tonumber(ARGV[a])], ARGV[a + 2]) then
    return 0
  end
end
for a = 4 + m, #ARGV, 4 do
  redis.call('LREM', KEYS[4 + tonumber(ARGV[a])], 1, ARGV[a + 2])
  if ARGV[a + 1] == 'M' then
    redis.call('RPUSH', KEYS[4], ARGV[a + 2])
  end
  redis.call('HDEL', KEYS[3], ARGV[a + 3])
end
redis.call('LTRIM', KEYS[2], m, -1)
for i = 1, m do
  if redis.call('LLEN', KEYS[4 + i]) > 0 then
    redis.call('RPUSH', KEYS[2], ARGV[3 + i])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


def _queue_pop_fair(data: Data, keys: list[str], args: list[bytes]) -> int:
    if data.get(keys[0]) != args[0]:
        return 0
    m = int(args[2])
    front = data.lrange(keys[1], 0, m - 1)
    if len(front) != m:
        return 0
    for i in range(1, m + 1):
        if front[i - 1] != args[2 + i]:
            return 0
    for a in range(3 + m, len(args), 4):
        if data.lpos(keys[3 + int(args[a])], args[a + 2]) is None:
            return 0
    for a in range(3 + m, len(args), 4):
        data.lrem(keys[3 + int(args[a])], args[a + 2])
        if args[a + 1] == b"M":
            data.rpush(keys[3], args[a + 2])
        data.hdel(keys[2], args[a + 3])
    data.ltrim(keys[1], m, -1)
    for i in range(1, m + 1):
        if data.llen(keys[3 + i]) > 0:
            data.rpush(keys[1], args[2 + i])
    data.pexpire(keys[0], int(args[1]))
    return 1


QUEUE_POP_FAIR = Script("queue_pop_fair", _QUEUE_POP_FAIR, _queue_pop_fair)
