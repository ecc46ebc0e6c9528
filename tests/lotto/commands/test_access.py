"""Access control inside ``execute``: public, self-only and admin commands (issue 3)."""

from __future__ import annotations

import pytest

from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump


@pytest.fixture
def pair(kv_memory):
    """An admin script and a non-admin script on the same store."""
    admin = Script(kv_memory, actor="boss")
    admin.multi("""
        rotation new ICE --beginning 2020-01-01
        user join ICE @ann @bob
        task new shift ICE --number 0
        rotation new TIX --task-type ticket
    """)
    member = Script(kv_memory, actor="ann", admins=False)
    return admin, member


PUBLIC = [
    "info",
    "help",
    "rotation help",
    "rotation list",
    "rotation show ICE",
    "task show ICE#0",
    "user show",
    "user show @bob",
    "skill list",
    "task fill help",
]
SELF = [
    "user join ICE",
    "user join ICE @ann",
    "user leave ICE",
    "user leave ICE @ann",
    "user unavailable --start 2020-02-01 --finish 2020-02-02",
    "user unavailable @ann --start 2020-02-01 --finish 2020-02-02 --clear",
]
ADMIN = [
    "rotation new X",
    "rotation archive ICE",
    "rotation autopilot ICE",
    "rotation set fill ICE --seed 3",
    "rotation set require ICE --count 2",
    "rotation set limit ICE --count 2",
    "rotation set task ICE --grace 1h",
    "rotation set autopilot ICE --off",
    "task new shift ICE --number 1",
    "task new ticket TIX",
    "task fill ICE#0",
    "task assign ICE#0 @ann",
    "task unassign ICE#0 @ann",
    "task schedule ICE#0",
    "user qualify @ann -s webapp",
    "user disqualify @ann -s webapp",
    "skill new webapp",
    "skill delete webapp",
    # self-only commands aimed at someone else
    "user join ICE @bob",
    "user leave ICE @ann @bob",
    "user unavailable @bob --start 2020-02-01 --finish 2020-02-02",
]


@pytest.mark.parametrize("line", PUBLIC + SELF)
def test_anyone_may(pair, line):
    _, member = pair
    assert member.try_(line).ok, member.try_(line).text


@pytest.mark.parametrize("line", ADMIN)
def test_admins_only(pair, line):
    admin, member = pair
    before = dump(admin.kv)
    out = member.try_(line)
    assert_clean_error(out)
    assert "admins" in out.text and "Nothing was changed" in out.text
    assert dump(admin.kv) == before
    assert member.poster.sent == []


def test_admin_only_false_lets_everyone_in(kv_memory):
    s = Script(kv_memory, actor="ann", admins=False, admin_only=False)
    assert s.try_("rotation new X").ok
    assert s.try_("user join X @bob").ok


def test_unknown_actor_is_refused(kv_memory):
    out = Script(kv_memory, actor="no such user").try_("rotation list")
    assert_clean_error(out)
    assert "not known" in out.text
