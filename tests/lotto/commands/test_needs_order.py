"""Needs are listed in one order everywhere: replies, rotation details and the fill error."""

from __future__ import annotations

from tests.lotto.commands.helpers import Script


def test_replies_list_needs_in_the_order_of_the_insufficient_fill_error(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-06 --now 2020-01-01
        rotation set require R --count 2
        user qualify @ann --skill TEAM
    """)
    # Replies read as people say it, head count first, the same everywhere (issue 13)...
    set_reply = s.run("rotation set require R --skill TEAM --count 1").text
    assert set_reply.startswith("Updated requirements of rotation **R**: 2 people, at least 1 TEAM")
    assert "- Require: 2 people, at least 1 TEAM" in s.run("rotation show R").text.splitlines()
    s.run("task new shift R --now 2020-01-01")
    assert "- Require: 2 people, at least 1 TEAM" in s.run("task show R#0").text.splitlines()
    # ...while the insufficient-fill error keeps the original's form: "TEAM-◉" sorts
    # before "any" (plain id order, as the original listed needs).
    failed = s.try_("task fill R#0 --now 2020-01-01")
    assert not failed.ok and "unfilled needs 1 TEAM-◉, 2 any: insufficient" in failed.text
