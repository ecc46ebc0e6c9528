"""One registration per operation: every request type has exactly one handler and a command.

A request struct added to :mod:`lotto.api` without an ``@operation`` handler, or
without a command declaring it (``@command(request=…)``), fails here instead of
failing a user with "internal error". Coverage is read from the registrations
themselves, and ``ctx.call`` refuses a request other than the one its command
declared, so a declaration cannot lie.
"""

from __future__ import annotations

import inspect
import typing
from datetime import datetime

import msgspec
import pytest

from lotto import api
from lotto.commands import tree
from lotto.errors import BadTimeError
from lotto.service import Service, registry
from tests.lotto.service.helpers import ACTOR, NOW, make_service

REQUEST_TYPES: set[type[api.Request[object]]] = {
    obj
    for name in api.__all__
    if isinstance(obj := getattr(api, name), type)
    and issubclass(obj, api.Request)
    and obj is not api.Request
}


def _named_result(req_type: type) -> type:
    """The result type a request type names: ``XRequest(Request[XResult])``."""
    for klass in req_type.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is api.Request:
                (arg,) = typing.get_args(base)
                if isinstance(arg, typing.ForwardRef):
                    arg = getattr(api, arg.__forward_arg__)
                return arg
    raise AssertionError(f"{req_type.__name__} names no result")


def test_there_are_request_types():
    assert len(REQUEST_TYPES) >= 30


def test_every_request_type_has_exactly_one_handler_and_nothing_else_does():
    handlers = registry.handlers()
    assert set(handlers) == REQUEST_TYPES
    # one handler each: no function serves two request types
    assert len({id(h) for h in handlers.values()}) == len(handlers)


def _name(req_type: type) -> str:
    return req_type.__name__


_BY_NAME = sorted(REQUEST_TYPES, key=_name)


@pytest.mark.parametrize("req_type", _BY_NAME)
def test_each_handler_is_the_service_method_taking_its_request(req_type):
    handler = registry.handler_for(req_type)
    assert getattr(Service, handler.__name__) is handler
    hints = typing.get_type_hints(inspect.unwrap(handler))
    assert hints["req"] is req_type
    assert hints["now"] is datetime
    # The result the request type names is the one its operation returns.
    assert hints["return"] is _named_result(req_type)


def test_a_second_handler_for_a_request_type_fails_at_declaration():
    with pytest.raises(TypeError, match="RotationListRequest already has a handler"):

        @registry.operation(api.RotationListRequest)
        def again(self, req, *, actor_id, now):  # pragma: no cover - never registered
            raise AssertionError


def test_a_request_type_without_a_handler_is_named():
    class OrphanRequest(msgspec.Struct):
        pass

    with pytest.raises(LookupError, match="OrphanRequest"):
        registry.handler_for(OrphanRequest)


def test_dispatch_checks_times_at_the_door(kv_memory):
    svc = make_service(kv_memory)
    with pytest.raises(BadTimeError, match="now"):
        registry.dispatch(
            svc, api.RotationListRequest(), actor_id=ACTOR, now=NOW.replace(tzinfo=None)
        )
    with pytest.raises(BadTimeError, match="beginning"):
        registry.dispatch(
            svc,
            api.RotationNewRequest(name="R", beginning=NOW.replace(tzinfo=None)),
            actor_id=ACTOR,
            now=NOW,
        )


def _commands(node: tree.Group | tree.Command) -> list[tree.Command]:
    if isinstance(node, tree.Command):
        return [node]
    return [cmd for child in node.children.values() for cmd in _commands(child)]


def test_every_request_type_is_declared_by_a_command():
    declared = {cmd.request for cmd in _commands(tree.ROOT)} - {None}
    missing = sorted(t.__name__ for t in REQUEST_TYPES - declared)
    assert missing == []
    assert declared <= REQUEST_TYPES


def test_a_command_may_call_only_the_request_it_declared(kv_memory):
    from tests.lotto.commands.helpers import Script

    s = Script(kv_memory)
    (cmd, _) = tree.lookup(["rotation", "list"])
    assert isinstance(cmd, tree.Command) and cmd.request is api.RotationListRequest
    real = cmd.run
    cmd.run = lambda ctx: (ctx.call(api.SkillListRequest()), "")
    try:
        out = s.try_("rotation list")
    finally:
        cmd.run = real
    assert not out.ok and "internal error" in out.text
