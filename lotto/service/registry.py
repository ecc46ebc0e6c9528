"""The one registration of each operation: request type -> service method.

Every :class:`lotto.service.Service` operation is declared with
``@operation(api.XRequest)`` above its method. The decorator

- records the method as THE handler of ``XRequest`` (a second handler of the
  same type fails at import time), so :func:`dispatch` needs no table of
  method names that could be forgotten or misspelt;
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
from typing import Any, ParamSpec, TypeVar, cast

import msgspec

from lotto.api import Request
from lotto.errors import BadTimeError
from lotto.service import access
from lotto.store import operation_time

__all__ = ["operation", "handlers", "handler_for", "dispatch"]

P = ParamSpec("P")
R = TypeVar("R")

# Request type -> the (unbound) method that handles it, checks included.
_HANDLERS: dict[type, Callable[..., Any]] = {}


def operation(
    request_type: type[Request[R]],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare the decorated service method as the handler of ``request_type``.

    The method has the shape ``method(self, req, *, actor_id, now) -> Result``, and
    its ``Result`` must be the one the request type names (``Request[Result]``: the
    type checker holds the two together); the registered (and returned) function
    checks and normalises the times first.
    """

    def register(method: Callable[P, R]) -> Callable[P, R]:
        """Wrap ``method`` with the time check and record it for ``request_type``."""
        if request_type in _HANDLERS:
            raise TypeError(
                f"{request_type.__name__} already has a handler "
                f"({_HANDLERS[request_type].__qualname__}); one operation per request type"
            )

        call: Callable[..., R] = method

        @functools.wraps(method)
        def checked(self: object, req: Request[R], *, actor_id: str, now: datetime) -> R:
            utc_now = _as_utc(now, "now")
            with operation_time(utc_now):
                return call(self, _utc_request(req), actor_id=actor_id, now=utc_now)

        _HANDLERS[request_type] = checked
        return cast(Callable[P, R], checked)

    return register


def handlers() -> dict[type, Callable[..., Any]]:
    """A copy of the registry: request type -> handler (for tests and tooling)."""
    return dict(_HANDLERS)


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
    actor_id: str,
    now: datetime,
    owners_only: bool = False,
) -> R:
    """Run ``req`` through ``service``'s operation for its type and return the result.

    ``owners_only``: the actor is not a plugin admin, so the operation may only
    concern a rotation the actor owns (:mod:`lotto.service.access` applies the rule
    where the rotation is resolved).
    """
    handler = handler_for(type(req))
    if not owners_only:
        return cast(R, handler(service, req, actor_id=actor_id, now=now))
    with access.owners_only(actor_id):
        return cast(R, handler(service, req, actor_id=actor_id, now=now))


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
