"""Shared types of requests and results: rotation references, notices, bases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

import msgspec

from lotto.api.mentions import distinct, of_notices
from lotto.model.notice import NOTICE_KINDS, Notice
from lotto.model.risks import Risk

__all__ = [
    "Actor",
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


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who calls an operation: the acting user's id and whether they are a plugin admin.

    Every operation is called with one (``op(req, actor=..., now=...)``) and decides
    from it and its declared access level (:mod:`lotto.service.access`) whether the
    call may proceed. The caller vouches for ``is_admin`` (the command layer knows the
    user's Mattermost roles and the plugin's admin list; in-process tools act with
    full rights).
    """

    user_id: str
    is_admin: bool = False


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

    def user_ids(self) -> list[str]:
        """Every user id the result mentions (its rendering may show), each once: the
        command layer resolves them in ONE directory call before rendering
        (:mod:`lotto.api.mentions`). Its notices' people come last (delivery renders them)."""
        return distinct([*self._mentions(), *of_notices(self.notices)])

    def _mentions(self) -> Iterable[str]:
        """The ids this result type shows (every result type declares its own)."""
        raise NotImplementedError(f"{type(self).__name__} does not declare the users it mentions")
