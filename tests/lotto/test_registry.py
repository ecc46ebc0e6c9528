"""One registration per operation: every request type has exactly one handler and a command.

A request struct added to :mod:`lotto.api` without an ``@operation`` handler, or
without a command that builds it, fails here instead of failing a user with
"internal error".
"""

from __future__ import annotations

import inspect
import types
import typing
from datetime import datetime

import msgspec
import pytest

from lotto import api
from lotto.commands import tree
from lotto.errors import BadTimeError
from lotto.service import Service, registry
from tests.lotto.service.helpers import ACTOR, NOW, make_service

REQUEST_TYPES = {
    obj
    for name in api.__all__
    if name.endswith("Request")
    and isinstance(obj := getattr(api, name), type)
    and issubclass(obj, msgspec.Struct)
}


def test_there_are_request_types():
    assert len(REQUEST_TYPES) >= 30


def test_every_request_type_has_exactly_one_handler_and_nothing_else_does():
    handlers = registry.handlers()
    assert set(handlers) == REQUEST_TYPES
    # one handler each: no function serves two request types
    assert len({id(h) for h in handlers.values()}) == len(handlers)


@pytest.mark.parametrize("req_type", sorted(REQUEST_TYPES, key=lambda t: t.__name__))
def test_each_handler_is_the_service_method_taking_its_request(req_type):
    handler = registry.handler_for(req_type)
    assert getattr(Service, handler.__name__) is handler
    hints = typing.get_type_hints(inspect.unwrap(handler))
    assert hints["req"] is req_type
    assert hints["now"] is datetime


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


def _names_reached(fn: types.FunctionType, seen: set[int]) -> set[str]:
    """Every global or attribute name used by ``fn`` and the command-layer functions it calls."""
    if id(fn) in seen:
        return set()
    seen.add(id(fn))
    names: set[str] = set()
    codes = [fn.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    modules = [m for n in names if isinstance(m := fn.__globals__.get(n), types.ModuleType)]
    # Globals, and attributes of modules (``render.x``), that are command-layer functions.
    targets = [fn.__globals__.get(n) for n in names]
    targets += [getattr(m, n, None) for m in modules for n in names]
    for target in targets:
        if isinstance(target, types.FunctionType) and target.__module__.startswith(
            "lotto.commands"
        ):
            names |= _names_reached(target, seen)
    return names


def test_every_request_type_is_built_by_a_command():
    commands = _commands(tree.ROOT)
    assert commands
    built: set[str] = set()
    for cmd in commands:
        built |= _names_reached(cmd.run, set())
    missing = sorted(t.__name__ for t in REQUEST_TYPES if t.__name__ not in built)
    assert missing == []
