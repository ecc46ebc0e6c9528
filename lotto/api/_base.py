"""Shared types of requests and results: rotation references, notices, bases."""

from __future__ import annotations

import msgspec

from lotto.model.notice import NOTICE_KINDS, Notice
from lotto.model.risks import Risk

__all__ = [
    "RotationRef",
    "Notice",
    "NOTICE_KINDS",
    "Risk",
]


class _Msg(msgspec.Struct, kw_only=True):
    """Base of requests and results: keyword-only, JSON-encodable with ``msgspec``."""


class RotationRef(_Msg, kw_only=True):
    """A rotation as the user named it.

    ``exact=False`` (a positional argument): ``name`` is an exact active
    rotation id, else a substring matching exactly one active rotation id.
    ``exact=True`` (``--rotation/-r ID``): ``name`` must be an exact id.
    """

    name: str
    exact: bool = False


class _Result(_Msg, kw_only=True):
    notices: list[Notice] = msgspec.field(default_factory=list)
