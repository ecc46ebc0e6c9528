"""Shared types of requests and results: rotation references, notices, bases."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from lotto.model.notice import NOTICE_KINDS, Notice
from lotto.model.risks import Risk

__all__ = [
    "Request",
    "RotationRef",
    "Notice",
    "NOTICE_KINDS",
    "Risk",
]


class _Msg(msgspec.Struct, kw_only=True):
    """Base of requests and results: keyword-only, JSON-encodable with ``msgspec``."""


#: The result type a request names.
R = TypeVar("R", covariant=True)


class Request(_Msg, Generic[R], kw_only=True):
    """Base of every request: ``class XRequest(Request[XResult])`` names the result its
    operation returns, so ``dispatch(req)`` and ``ctx.call(req)`` are typed by it."""


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
