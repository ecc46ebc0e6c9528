"""The one base class of every stored record, and its codec.

Stored records are JSON objects whose keys are the original Go plugin's
PascalCase field names (``RotationID``, ``MattermostUserIDs``), so an operator
can read them with ``redis-cli GET`` and compare them with what the Go plugin
stored. Python code uses snake_case attribute names; the mapping is done once,
here, by :func:`go_name`.

Rules for every subclass (they keep old records decodable):

- new fields get a default and go at the end of the class;
- times are timezone-aware ``datetime`` in UTC (encoded RFC 3339; typed
  :data:`StoredTime`, so a stored time without a zone is refused), or ``None``
  when unset; durations are ``timedelta`` (encoded ISO 8601, e.g. ``PT30M``);
  ``LastServed`` keeps the original's unix seconds;
- records are decoded only at the store boundary (``lotto.store``), with the
  per-type decoders built once by :func:`decoder`.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, TypeVar

import msgspec

__all__ = ["Record", "StoredTime", "go_name", "encode", "decoder", "decode"]

_ACRONYMS = {"id": "ID", "ids": "IDs"}


def go_name(name: str) -> str:
    """Map a snake_case attribute name to the Go field name (``task_ids`` → ``TaskIDs``)."""
    return "".join(_ACRONYMS.get(part, part.capitalize()) for part in name.split("_"))


# A stored time must carry its zone: a naive time read back from a hand-edited
# record would break every later comparison with the aware times the service
# works in, so it is refused when the record is decoded.
StoredTime = Annotated[datetime, msgspec.Meta(tz=True)]


class Record(msgspec.Struct, kw_only=True, rename=go_name, omit_defaults=False):
    """Base of every stored record: PascalCase JSON keys, keyword-only construction."""


R = TypeVar("R", bound=msgspec.Struct)

_ENCODER = msgspec.json.Encoder()


def encode(record: msgspec.Struct) -> bytes:
    """Encode a record (or any msgspec-encodable value) as stored JSON bytes."""
    return _ENCODER.encode(record)


@functools.cache
def decoder(kind: type[R]) -> msgspec.json.Decoder[R]:
    """The cached JSON decoder for one record type (built once per type)."""
    return msgspec.json.Decoder(kind)


def decode(kind: type[R], data: bytes) -> R:
    """Decode stored JSON bytes into a record of ``kind``."""
    return decoder(kind).decode(data)
