"""``--now`` is for plugin admins on every command that changes records (issue 19 item 6).

Before, a member could date their own changes: ``user leave OTHER --now 2001-01-01`` then
``user join OTHER --now 2000-01-01`` stored a history that ran backwards. Commands that only
look (``Command.read_only``) keep ``--now`` for everyone, and a test below checks that each
of them really changes nothing.
"""

from __future__ import annotations

import pytest

from lotto.commands.tree import ROOT, Command, Group
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged
from tests.lotto.helpers import dump


def _commands(node: Group | Command = ROOT) -> list[Command]:
    if isinstance(node, Command):
        return [node]
    return [c for child in node.children.values() for c in _commands(child)]


CHANGING = sorted(" ".join(c.path) for c in _commands() if not c.read_only)
# One run of every read-only command, as a member, with --now.
LOOKING = {
    "info": "info",
    "rotation list": "rotation list",
    "rotation show": "rotation show OTHER",
    "rotation stats": "rotation stats OTHER",
    "rotation forecast": "rotation forecast OTHER --shifts 2 --samples 5",
    "rotation calendar": "rotation calendar OTHER",
    "rotation now": "rotation now OTHER",
    "user show": "user show @ann",
    "user forecast": "user forecast OTHER --shifts 2 --samples 5",
    "user shifts": "user shifts",
    "task show": "task show OTHER#0",
    "skill list": "skill list",
}


@pytest.fixture
def team(kv_memory):
    """@boss (admin) made OTHER, where @carol and @ann are members; @carol is on OTHER#0."""
    boss = Script(kv_memory, actor="boss")
    boss.multi("""
        rotation new OTHER --beginning 2020-01-06
        user join OTHER @carol @ann
        task new shift OTHER --number 0
        task assign OTHER#0 @carol
    """)
    carol = Script(kv_memory, actor="carol", admins=False)
    return boss, carol


def test_the_issues_history_rewrite_is_refused_and_changes_nothing(team):
    _, carol = team
    for line in ("user leave OTHER --now 2001-01-01", "user join OTHER --now 2000-01-01"):
        out = assert_rejected_unchanged(carol, line)
        assert out.text.startswith("only plugin admins may use `--now` with `/lotto user "), out
        assert "run it without `--now`. Nothing was changed." in out.text


@pytest.mark.parametrize("path", CHANGING)
def test_now_on_a_changing_command_is_for_plugin_admins(team, path):
    _, carol = team
    out = assert_rejected_unchanged(carol, f"{path} --now 2001-01-01")
    assert "only plugin admins may" in out.text, out.text


@pytest.mark.parametrize("path", sorted(LOOKING))
def test_now_on_a_command_that_only_looks_is_for_everyone_and_changes_nothing(team, path):
    _, carol = team
    before = dump(carol.env.kv)
    out = carol.run(f"{LOOKING[path]} --now 2001-01-01")
    assert "only plugin admins" not in out.text
    assert dump(carol.env.kv) == before


def test_every_read_only_command_is_checked():
    assert sorted(" ".join(c.path) for c in _commands() if c.read_only) == sorted(LOOKING)


def test_an_admin_may_still_date_a_change_and_help_says_who_may(team):
    boss, _ = team
    before = dump(boss.env.kv)
    boss.run("user leave OTHER @ann --now 2031-01-01")
    assert dump(boss.env.kv) != before
    now = "- `--now TIME`: run as if the time were TIME (default: now)"
    assert f"{now} (plugin admins only)" in boss.run("user leave help").text
    assert f"{now}\n" in boss.run("rotation show help").text
