"""The one registration of each operation: request type -> service method.

Every :class:`lotto.service.Service` operation is declared with
``@operation(api.XRequest, access=LEVEL)`` above its method. The decorator

- records the method as THE handler of ``XRequest`` (a second handler of the
  same type fails at import time), so :func:`dispatch` needs no table of
  method names that could be forgotten or misspelt;
- records who may call it (``access``: a level of :mod:`lotto.service.access`) and
  applies that for the :class:`lotto.api.Actor` of every call, whoever calls: the
  registered function takes ``actor=`` and hands the method ``actor_id``. A call
  with only ``actor_id=`` is in-process code acting with full rights (tests, a tool
  at the console), as before actors; lotto and shim always pass an Actor (a test
  checks). An operation that declares no level is not checked, and fails a test;
- checks the times at the door, before the unit of work: ``now`` and every
  ``datetime`` field of the request must be time-zone aware, and are turned
  into UTC (a naive time would be stored ambiguously and, read back, break
  every comparison with the aware times everything else uses).

- stamps the operation's ``now`` as the time of the changes its sessions save
  (:func:`lotto.store.operation_time`: a revised task's calendar event).

This module imports nothing of the service but the access rule, so the mixins can import it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast, overload

import msgspec

from lotto.api import Actor, Request
from lotto.errors import BadTimeError
from lotto.service import access as policy  # `access` is the decorator's argument
from lotto.store import operation_time

__all__ = [
    "operation",
    "Operation",
    "BoundOperation",
    "handlers",
    "handler_for",
    "access_of",
    "dispatch",
    "actor_of",
]

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

# Request type -> the (unbound) method that handles it, checks included.
_HANDLERS: dict[type, Callable[..., Any]] = {}
# Request type -> its declared access level (absent: none declared).
_ACCESS: dict[type, str] = {}


class BoundOperation(Protocol[R_co]):
    """An operation of a service object: ``op(req, *, actor, now) -> Result``."""

    def __call__(
        self,
        req: Any,
        /,
        *,
        actor: Actor | None = None,
        actor_id: str | None = None,
        now: datetime,
    ) -> R_co:
        """Run the operation for ``actor`` at ``now``."""
        ...


class Operation(Protocol[R_co]):
    """A registered operation as a class attribute (bound: a :class:`BoundOperation`)."""

    def __call__(
        self,
        service: Any,
        req: Any,
        /,
        *,
        actor: Actor | None = None,
        actor_id: str | None = None,
        now: datetime,
    ) -> R_co:
        """Run the operation of ``service`` for ``actor`` at ``now``."""
        ...

    @overload
    def __get__(self, obj: None, owner: Any) -> Operation[R_co]: ...
    @overload
    def __get__(self, obj: object, owner: Any) -> BoundOperation[R_co]: ...


def operation(
    request_type: type[Request[R]], *, access: str | None = None
) -> Callable[[Callable[..., R]], Operation[R]]:
    """Declare the decorated service method as the handler of ``request_type``, callable
    as ``access`` says (:mod:`lotto.service.access`).

    The method has the shape ``method(self, req, *, actor_id, now) -> Result``, and
    its ``Result`` must be the one the request type names (``Request[Result]``: the
    type checker holds the two together); the registered (and returned) function is
    called with ``actor=`` (or, in-process with full rights, ``actor_id=``), applies
    the access level and checks and normalises the times first.
    """
    if access is not None:
        policy.check_level(access, request_type)

    def register(method: Callable[..., R]) -> Operation[R]:
        """Wrap ``method`` with the access and time checks and record it for ``request_type``."""
        if request_type in _HANDLERS:
            raise TypeError(
                f"{request_type.__name__} already has a handler "
                f"({_HANDLERS[request_type].__qualname__}); one operation per request type"
            )

        @functools.wraps(method)
        def checked(
            self: object,
            req: Request[R],
            *,
            actor: Actor | None = None,
            actor_id: str | None = None,
            now: datetime,
        ) -> R:
            who = actor_of(actor, actor_id)
            grant = None if access is None else policy.admit(access, who, req)
            utc_now = _as_utc(now, "now")
            with operation_time(utc_now), policy.granted(grant):
                return method(self, _utc_request(req), actor_id=who.user_id, now=utc_now)

        _HANDLERS[request_type] = checked
        if access is not None:
            _ACCESS[request_type] = access
        return cast(Operation[R], checked)

    return register


def actor_of(actor: Actor | None, actor_id: str | None) -> Actor:
    """The Actor of a call given ``actor=`` or (in-process, full rights) ``actor_id=``."""
    if actor is not None:
        if actor_id is not None and actor_id != actor.user_id:
            raise TypeError("give actor= or actor_id=, not two different users")
        return actor
    if actor_id is None:
        raise TypeError("an operation needs actor= (the calling user)")
    return Actor(user_id=actor_id, is_admin=True)


def handlers() -> dict[type, Callable[..., Any]]:
    """A copy of the registry: request type -> handler (for tests and tooling)."""
    return dict(_HANDLERS)


def access_of(request_type: type) -> str | None:
    """The access level the operation of ``request_type`` declared (None: none)."""
    return _ACCESS.get(request_type)


def handler_for(request_type: type) -> Callable[..., Any]:
    """The handler of ``request_type`` (LookupError naming the type when there is none)."""
    try:
        return _HANDLERS[request_type]
    except KeyError:
        raise LookupError(
            f"no service operation handles {request_type.__name__}; "
            "declare one with @operation in lotto.service"
        ) from None


def dispatch(
    service: object,
    req: Request[R],
    *,
    actor: Actor | None = None,
    actor_id: str | None = None,
    now: datetime,
) -> R:
    """Run ``req`` through ``service``'s operation for its type, as ``actor``, and return
    the result (the operation applies its access level: AccessError when refused)."""
    handler = handler_for(type(req))
    return cast(R, handler(service, req, actor=actor, actor_id=actor_id, now=now))


def _as_utc(value: datetime, what: str) -> datetime:
    """``value`` in UTC; BadTimeError for a naive time (it would be stored ambiguously)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadTimeError(
            f"The time {what} ({value.isoformat()}) has no time zone, so it is ambiguous: "
            "give an aware datetime (e.g. with tzinfo=timezone.utc); nothing was changed.",
            field=what,
        )
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _utc_request(req: Any) -> Any:
    """``req`` with every datetime field in UTC (a copy if anything changed)."""
    if not isinstance(req, msgspec.Struct):
        return req
    changes = {
        name: _as_utc(value, name)
        for name in req.__struct_fields__
        if isinstance(value := getattr(req, name), datetime)
    }
    changes = {name: value for name, value in changes.items() if value is not getattr(req, name)}
    return msgspec.structs.replace(req, **changes) if changes else req
