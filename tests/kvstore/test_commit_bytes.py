"""A commit does not carry the values it read: on a real Redis it sends a digest of each.

Measured from outside, by what Redis itself counts as received
(``INFO stats`` ``total_net_input_bytes``), around the commit alone.
"""

from __future__ import annotations

from typing import Any

import redis

import kvstore

RECORD = 50_000  # bytes per record read: ten of them, half a megabyte
WRITTEN = b'{"RotationID":"BIG","Note":"small"}'


def _received(client: redis.Redis) -> int:
    return int(client.info("stats")["total_net_input_bytes"])


def _commit_bytes(kv: kvstore.KVStore, probe: redis.Redis, reads: list[str]) -> int:
    sent: list[int] = []
    run_script = kv.backend.eval

    def measured(script: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("op") != "commit":
            return run_script(script, *args, **kwargs)
        before = _received(probe)
        result = run_script(script, *args, **kwargs)
        sent.append(_received(probe) - before)
        return result

    kv.backend.eval = measured  # type: ignore[method-assign]
    try:

        def unit(uow: kvstore.UnitOfWork) -> None:
            uow.get_many(reads)
            uow.set("rotation:BIG", WRITTEN)

        kv.run(unit)
    finally:
        del kv.backend.eval
    assert len(sent) == 1
    return sent[0]


def test_commit_bytes_do_not_grow_with_the_records_read(redis_url, plugin_id):
    kv = kvstore.open(redis_url, plugin_id)
    probe = redis.Redis.from_url(redis_url)
    try:
        kv.delete_all()
        names = [f"task:BIG#{i}" for i in range(10)]
        kv.run(lambda uow: [uow.set(n, bytes([65 + i]) * RECORD) for i, n in enumerate(names)])
        small = _commit_bytes(kv, probe, names[:1])
        big = _commit_bytes(kv, probe, names)
        # Each record read costs its key and a 40-byte digest, not its 50 KB.
        print(f"commit bytes: 1 record read {small}, 10 records read {big}")
        assert small < 1_000, small
        assert big < small + 9 * 200, (small, big)
        assert kv.get("rotation:BIG") == WRITTEN
        # ...and the digest still catches a change: a record read, then changed, conflicts.
        calls = []

        def unit(uow: kvstore.UnitOfWork) -> None:
            uow.get_many(names)
            if not calls:
                kv.set(names[3], b"D" * (RECORD - 1) + b"!")  # same length, last byte changed
            calls.append(uow.attempt)
            uow.set("rotation:BIG", WRITTEN + b" again")

        kv.run(unit)
        assert calls == [1, 2]
    finally:
        kv.delete_all()
        kv.close()
        probe.close()
