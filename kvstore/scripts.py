"""Lua scripts run atomically inside Redis (one round trip each).

Each constant documents its KEYS/ARGV layout and return value. Keys arrive
already namespaced (``<plugin id>:<key>``); values are raw bytes.
"""

from __future__ import annotations

__all__ = [
    "COMPARE_AND_SET",
    "COMPARE_AND_DELETE",
    "COMMIT",
    "READ_FOLLOW",
    "QUEUE_POP_HEAD",
    "LEASE_EXTEND",
    "QUEUE_LENGTH",
    "QUEUE_HEADS",
    "QUEUE_ROUTE",
    "QUEUE_PEEK_FAIR",
    "QUEUE_NOTE_ATTEMPTS",
    "QUEUE_POP_FAIR",
]

# KEYS[1] = key
# ARGV[1] = expected current value, ARGV[2] = new value,
# ARGV[3] = expiry in milliseconds ('0' = none; a plain SET also drops an old TTL,
#           matching Mattermost where a CAS write replaces the expiry).
# Returns 1 if the value matched and was replaced, else 0.
# (Insert-if-absent needs no script: it is SET NX.)
COMPARE_AND_SET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local px = tonumber(ARGV[3])
if px > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', px)
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""

# KEYS[1] = key
# ARGV[1] = expected current value
# Returns 1 if the value matched and the key was deleted, else 0.
# Also releases locks: ARGV[1] is then the holder's random token, so a holder
# whose lease ran out can never delete a lock someone else now holds.
COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# The unit-of-work commit: validate every read, then apply every write.
# KEYS[1..n]     keys the unit read from Redis
# KEYS[n+1..m-1] keys the unit writes (these need not have been read)
# KEYS[m]        this commit's marker key (<plugin id>/commit:<random token>)
# ARGV[1]        n, the number of read keys
# ARGV[2]        marker lifetime in milliseconds
# ARGV[3..2n+2]  per read key a pair: '1' + the exact value read, or '0' + '' if it was
#                absent (so "was absent, now present" and "was present, now gone" both
#                conflict). Exact bytes rather than a digest: EVAL has no portable hash
#                (fakeredis lacks redis.sha1hex) and records are small.
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
COMMIT = """
local marker = KEYS[#KEYS]
if redis.call('EXISTS', marker) == 1 then
  return 0
end
local n = tonumber(ARGV[1])
for i = 1, n do
  local current = redis.call('GET', KEYS[i])
  if current == false then
    if ARGV[2 * i + 1] ~= '0' then
      return i
    end
  elseif ARGV[2 * i + 1] ~= '1' or current ~= ARGV[2 * i + 2] then
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
READ_FOLLOW = """
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

# Remove a queue's first entry, but only if it is still the one the caller
# handled and the caller still holds the queue's lease (a fencing check: a
# deliverer whose lease ran out and was taken over can never pop an entry the
# new holder is handling).
# KEYS[1] = the queue (a list), KEYS[2] = the lease key
# ARGV[1] = the entry the caller handled, ARGV[2] = the caller's lease token
# ARGV[3] = '' to drop the entry, or a list key (KEYS[3]) to move it to
# Returns 1 when removed, 0 when the head or the lease changed (nothing done).
QUEUE_POP_HEAD = """
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return 0
end
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then
  return 0
end
redis.call('LPOP', KEYS[1])
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[1])
end
return 1
"""

# Extend a lease (a lock key) while the caller still holds it.
# KEYS[1] = the lease key
# ARGV[1] = the holder's token, ARGV[2] = the new lifetime in milliseconds
# Returns 1 when extended, 0 when the lease is gone or held by someone else.
LEASE_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# --- Lanes of a queue (kvstore.queue: "Lanes and fair turns") --------------------------
# A queue is its intake list (KEYS of the scripts above) plus, once its consumer routes
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
QUEUE_LENGTH = """
local n = redis.call('LLEN', KEYS[1])
for _, name in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  n = n + redis.call('LLEN', ARGV[1] .. name)
end
return n
"""

# The first entry of the intake and of each lane: each the oldest of its list.
# KEYS[1] = the intake, KEYS[2] = the ring
# ARGV[1] = the lanes' key prefix
# Returns {the intake's first entry or false, then each lane's first entry, in ring order}.
QUEUE_HEADS = """
local out = {redis.call('LINDEX', KEYS[1], 0)}
for _, name in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  out[#out + 1] = redis.call('LINDEX', ARGV[1] .. name, 0)
end
return out
"""

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
QUEUE_ROUTE = """
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

# The next entries in fair turns: the first entry of each lane in ring order, then the
# second of each, and so on, up to a count; optionally followed by intake entries.
# KEYS[1] = the ring, KEYS[2] = the intake
# ARGV[1] = count (>= 1), ARGV[2] = the lanes' key prefix,
# ARGV[3] = how many intake entries to add after the picks at most ('0': none)
# Only the first `count` lanes of the ring can take a turn within `count` picks.
# Returns {the intake's length, p = the number of picks, lane 1, entry 1, ..., lane p,
# entry p, then the intake entries}.
QUEUE_PEEK_FAIR = """
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

# Note that the caller is about to handle some entries, and learn which were tried before.
# KEYS[1] = the lease key, KEYS[2] = the attempts (a hash: tag -> Unix ms of the first
# attempt), KEYS[3] = the attempt key of older versions (a string '<tag> <ms>', or absent)
# ARGV[1] = the caller's lease token, ARGV[2] = the lease's new lifetime in ms,
# ARGV[3] = now in Unix ms, ARGV[4..] = the entries' tags
# Renews the lease. For each tag: the time of its first attempt if one is on record
# (in the hash, or in the older key when that names the tag), else now is recorded.
# Returns {1, then per tag that time or -1 (first attempt)}, or {0} when the lease is
# not the caller's (nothing done).
QUEUE_NOTE_ATTEMPTS = """
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
QUEUE_POP_FAIR = """
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
