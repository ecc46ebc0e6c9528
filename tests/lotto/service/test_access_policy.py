"""The service applies who may do what, whoever calls it (issue 14, step 4).

Every registered operation is called directly on the service, with no command layer,
as a plain member, as an owner of the rotation and as a plugin admin, for another user
and for themselves; the outcome (refused with nothing changed, or not refused) must be
the one the README's "Who may do what" states for the commands running it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lotto import api
from lotto.commands.tree import ROOT, Command, Group
from lotto.errors import AccessError, LottoError
from lotto.service import Service
from lotto.service.access import ADMIN, OWNER, PUBLIC, SELF, SELF_OR_OWNER
from lotto.service.registry import access_of, handlers
from tests.lotto.commands.helpers import Script
from tests.lotto.helpers import dump

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
NOW = datetime(2020, 1, 2, 12, tzinfo=UTC)

MEMBER = api.Actor(user_id="ann")
OWNER_ACTOR = api.Actor(user_id="lead")
ADMIN_ACTOR = api.Actor(user_id="boss", is_admin=True)


def _commands(node: Group | Command) -> list[Command]:
    if isinstance(node, Command):
        return [node]
    return [cmd for child in node.children.values() for cmd in _commands(child)]


def _expand(item: str) -> set[str]:
    """``rotation list|show`` -> {"rotation list", "rotation show"}."""
    *head, last = item.split()
    return {" ".join([*head, alt]) for alt in last.split("|")}


def _listed(text: str) -> set[str]:
    return set().union(*map(_expand, re.findall(r"`([^`]+)`", text)))


def readme_policy() -> dict[str, str]:
    """Command path -> access level, as the README's "Who may do what" states it."""
    text = " ".join(README[README.index("### Who may do what") :].split())
    anyone = re.search(r"Anyone may run (`info`.*?) for themselves;", text)
    owners = re.search(r"may also run, on that rotation only, (.*?), and (.*?) for others;", text)
    assert anyone and owners, "README: Who may do what has lost its sentences"
    public_text, _, self_text = anyone.group(1).rpartition(", and ")
    self_or_owner = _listed(owners.group(2))
    policy = dict.fromkeys(_listed(owners.group(1)), OWNER)
    policy |= dict.fromkeys(_listed(public_text), PUBLIC)
    policy |= {p: SELF_OR_OWNER if p in self_or_owner else SELF for p in _listed(self_text)}
    # "everything else ... needs a plugin admin"
    return {" ".join(c.path): policy.get(" ".join(c.path), ADMIN) for c in _commands(ROOT)}


def expected_levels() -> dict[type, str]:
    """Request type -> the level the README states for the commands calling it."""
    policy = readme_policy()
    levels: dict[type, set[str]] = {}
    for cmd in _commands(ROOT):
        if cmd.request is not None:
            levels.setdefault(cmd.request, set()).add(policy[" ".join(cmd.path)])
    for request_type, found in levels.items():
        assert len(found) == 1, f"README gives {request_type.__name__} two levels: {found}"
    return {t: found.pop() for t, found in levels.items()}


# A value for each required request field (optional fields keep their defaults): every
# request about users names `bob`, someone else than the caller (but see _for_self).
_VALUES: dict[str, Any] = {
    "rotation": api.RotationRef(name="ICE"),
    "task_id": "ICE#0",
    "user_ids": ["bob"],
    "user_id": "bob",
    "from_user_id": "bob",
    "cover_user_id": "ann",
    "holder_id": "",
    "name": "NEW",
    "skill": "webapp",
    "skills": [],
    "level": 1,
    "count": 1,
    "state": "scheduled",
    "summary": "a ticket",
    "channel_id": "ice-team",
    "channel_name": "ice-team",
    "start": NOW + timedelta(days=30),
    "finish": NOW + timedelta(days=31),
    "days": 7,
    "shifts": 2,
    "samples": 10,
}


# Values of optional fields some requests need to be valid at all.
_OVERRIDES: dict[type, dict[str, Any]] = {
    api.RotationSetHoursRequest: {"days": [0, 1, 2, 3, 4], "start": "09:00", "finish": "17:00"},
    api.RotationSetHolidaysRequest: {"dates": ["2020-12-24"]},
    api.RotationSetChannelRequest: {"channel_id": "ice-team", "channel_name": "ice-team"},
    api.RotationSetHeaderRequest: {"group": "ops-oncall"},
}


def sample(request_type: type, *, for_self: str = "") -> Any:
    """A valid request of ``request_type`` (about ``for_self`` when given, else about bob)."""
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(request_type):
        # The users a request is about are always given (they decide a self level).
        if field.required or field.name in ("user_ids", "user_id"):
            assert field.name in _VALUES, (
                f"{request_type.__name__}.{field.name}: give it a sample value in _VALUES"
            )
            values[field.name] = _VALUES[field.name]
    values |= _OVERRIDES.get(request_type, {})
    if for_self and "user_ids" in values:
        values["user_ids"] = [for_self]
    if for_self and "user_id" in values:
        values["user_id"] = for_self
    return request_type(**values)


@pytest.fixture
def store(kv_memory):
    """@boss (admin) made ICE with @lead as another owner; @ann, @bob members; ICE#0 has @bob."""
    boss = Script(kv_memory, actor="boss")
    boss.multi("""
        rotation new ICE --beginning 2020-01-06 --period weekly
        rotation set owners ICE @lead
        user join ICE @ann @bob
        skill new webapp
        task new shift ICE --number 0
        task assign ICE#0 @bob
    """)
    return kv_memory, boss


def _refused(level: str, actor: api.Actor, *, for_self: bool) -> bool:
    if actor.is_admin or level == PUBLIC:
        return False
    if level in (SELF, SELF_OR_OWNER) and for_self:
        return False
    if level in (OWNER, SELF_OR_OWNER):
        return actor.user_id != OWNER_ACTOR.user_id
    return True  # ADMIN, or SELF for someone else


def _about_users(request_type: type) -> bool:
    return bool({"user_ids", "user_id"} & set(request_type.__struct_fields__))


@pytest.mark.parametrize("request_type", list(handlers()), ids=lambda t: t.__name__)
def test_every_operation_called_directly_follows_the_readme(store, request_type):
    kv, boss = store
    level = expected_levels()[request_type]
    service: Service = boss.env.service
    op = getattr(service, handlers()[request_type].__name__)
    cases = [
        (actor, for_self)
        for actor in (MEMBER, OWNER_ACTOR, ADMIN_ACTOR)
        for for_self in ((False, True) if _about_users(request_type) else (False,))
    ]
    # The refusals first: each must change nothing, so every case meets the same store.
    cases.sort(key=lambda case: not _refused(level, case[0], for_self=case[1]))
    for actor, for_self in cases:
        req = sample(request_type, for_self=actor.user_id if for_self else "")
        who = f"{request_type.__name__} ({level}) for {actor}, {'self' if for_self else 'bob'}"
        before = dump(kv)
        if _refused(level, actor, for_self=for_self):
            with pytest.raises(AccessError) as refusal:
                op(req, actor=actor, now=NOW)
            assert refusal.value.context.get("user_id") == actor.user_id, who
            assert "Nothing was changed" in str(refusal.value), who
            assert dump(kv) == before, who
            continue
        try:
            op(req, actor=actor, now=NOW)
        except AccessError as err:
            pytest.fail(f"{who} was refused: {err}")
        except LottoError:
            pass  # any other refusal (a state, a limit, a user not in it) is the op's own


def test_every_operation_declares_the_level_the_readme_states():
    expected = expected_levels()
    declared = {t: access_of(t) for t in handlers()}
    missing = sorted(t.__name__ for t, level in declared.items() if level is None)
    assert not missing, f"declare @operation(..., access=LEVEL) for: {', '.join(missing)}"
    assert {t.__name__: lv for t, lv in declared.items()} == {
        t.__name__: expected.get(t) for t in declared
    }


def test_a_command_states_the_level_of_its_operation():
    for cmd in _commands(ROOT):
        if cmd.request is not None and cmd.declared_access is not None:
            assert cmd.declared_access == access_of(cmd.request), " ".join(cmd.path)


def test_autopilot_of_every_rotation_is_for_admins(store):
    kv, boss = store
    before = dump(kv)
    with pytest.raises(AccessError):
        boss.env.service.autopilot_all(actor=OWNER_ACTOR, now=NOW)
    assert dump(kv) == before
    boss.env.service.autopilot_all(actor=ADMIN_ACTOR, now=NOW)
