"""A Redis-backed key-value store shaped like the Mattermost plugin KV API.

CONTRACT (implementation in progress; see issue 2 and SPEC §7):

- ``open(url, plugin_id) -> KVStore``; urls ``redis://``, ``rediss://``,
  ``unix://`` (real Redis) and ``memory://`` / ``memory://NAME`` (in-process
  fakeredis; the same NAME within a process shares one server).
- ``KVStore`` methods mirror KVGet/KVSet/...: ``get``, ``set``,
  ``set_with_expiry``, ``compare_and_set``, ``compare_and_delete``,
  ``set_with_options``, ``delete``, ``delete_all``, ``list_keys``, plus
  ``ping()``, ``close()``, ``lock(name, ttl_seconds)`` and ``run(fn)``.
- ``KVStore.run(fn, *, attempts=5)`` runs ``fn(uow: UnitOfWork)`` as a unit
  of work and returns its result. ``UnitOfWork`` has ``get(key)``,
  ``get_many(keys) -> dict[str, bytes | None]`` (one MGET for uncached keys),
  ``set(key, value)``, ``delete(key)``, and ``round_trips``; reads are cached,
  writes are buffered, and on return they are committed in one Lua script
  that first checks every key read is unchanged. On a conflict ``fn`` is re-run
  from scratch; after ``attempts`` it raises ``kvstore.ConflictError``. If
  ``fn`` raises, nothing is written.
"""
