"""Index records: the active rotations and the known skills."""

from __future__ import annotations

import msgspec

from lotto.model.record import Record

__all__ = ["Index"]


class Index(Record):
    """A sorted set of ids stored as one record (``index:active_rotations``, ``index:skills``)."""

    ids: list[str] = msgspec.field(default_factory=list)
