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
