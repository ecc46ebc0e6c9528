"""Backups: every record of the plugin as JSON, and writing them back.

A dump is a dict ``key -> JSON value`` (the key without the plugin-id
namespace, the value the stored JSON decoded). Records are stored as compact
msgspec JSON, and re-encoding a decoded value with msgspec gives the same
bytes, so a restore puts back exactly what was dumped.

A dump reads values in MGET batches of 5000 keys, each an atomic read; with
commands running meanwhile, a large store may be caught mid-change, so stop
them (or run ``check`` after restoring) when that matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from lotto.errors import InputError, StateError
from lotto.maintenance.snapshot import all_keys, read_values, record_type
from lotto.model.record import decode

__all__ = ["dump", "restore", "encode_value"]

_MAX_KEY = 150  # Mattermost's (and kvstore's) key length limit


def dump(kv: Any) -> dict[str, Any]:
    """Every key of the plugin with its decoded JSON value, sorted by key.

    Raises StateError naming the key if a stored value is not JSON.
    """
    out: dict[str, Any] = {}
    for key, raw in read_values(kv, all_keys(kv)).items():
        try:
            out[key] = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            raise StateError(
                f"the value of {key} is not JSON, so it cannot be dumped; look at it with "
                f"redis-cli GET '{kv.plugin_id}:{key}', then fix or delete it and dump again.",
                key=key,
            ) from None
    return dict(sorted(out.items()))


def encode_value(value: Any) -> bytes:
    """The stored bytes of a dumped JSON value."""
    return msgspec.json.encode(value)


def _validate(data: Any) -> dict[str, bytes]:
    """Encode every record of a dump, or raise InputError naming every bad one."""
    if not isinstance(data, Mapping):
        raise InputError(
            f"a dump must be a JSON object of key -> record, not {type(data).__name__}.",
        )
    encoded: dict[str, bytes] = {}
    errors: list[str] = []
    bad_keys: list[object] = []
    for key, value in data.items():
        if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
            errors.append(f"{key!r} is not a valid key")
            bad_keys.append(key)
            continue
        kind_type = record_type(key)
        if kind_type is None:
            errors.append(f"{key} is not a key of any Solar Lottery record")
            bad_keys.append(key)
            continue
        try:
            raw = encode_value(value)
            decode(kind_type, raw)
        except (
            msgspec.EncodeError,
            msgspec.DecodeError,
            msgspec.ValidationError,
            TypeError,
        ) as exc:
            errors.append(f"{key} is not a valid {kind_type.__name__}: {exc}")
            bad_keys.append(key)
            continue
        encoded[key] = raw
    if errors:
        shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
        raise InputError(
            f"the dump has {len(errors)} bad record(s), so nothing was restored: {shown}.",
            keys=bad_keys,
        )
    return encoded


def restore(kv: Any, data: Mapping[str, Any], *, replace: bool = False) -> int:
    """Write every record of the dump ``data`` in ONE unit of work; return how many.

    Every record is validated first (a bad dump changes nothing). A store that
    already holds keys is refused with StateError unless ``replace``, which
    deletes the keys the dump does not have in that same unit of work.
    """
    encoded = _validate(data)

    def fn(uow: Any) -> int:
        existing = all_keys(kv)
        if existing and not replace:
            raise StateError(
                f"the store already holds {len(existing)} key(s) of plugin {kv.plugin_id}, so "
                "nothing was restored; restore into an empty store, or replace its contents "
                "with --replace.",
                keys=len(existing),
            )
        # Reading the keys makes the commit fail (and the unit start over) if
        # a command writes one of them meanwhile, instead of being overwritten.
        uow.get_many([*existing, *encoded])
        for key in existing:
            if key not in encoded:
                uow.delete(key)
        for key, raw in encoded.items():
            uow.set(key, raw)
        return len(encoded)

    return kv.run(fn)
