"""Command output: help at every level, --json, --now, DMs after success, leading /lotto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lotto.commands import execute
from lotto.commands.tree import ROOT, Command, Group
from tests.lotto.commands.helpers import Script


def _nodes(node=ROOT):
    yield node
    if isinstance(node, Group):
        for child in node.children.values():
            yield from _nodes(child)


@pytest.mark.parametrize("node", list(_nodes()), ids=lambda n: " ".join(n.path) or "root")
def test_help_at_every_level(kv_memory, node):
    s = Script(kv_memory)
    out = s.run(" ".join(node.path + ("help",)))
    if isinstance(node, Group):
        for name in node.children:
            assert f"`{name}" in out.text
    else:
        assert out.text.count("Usage: `/lotto " + " ".join(node.path)) == 1
        for flag in node.all_flags:
            assert f"--{flag.name}" in out.text


def test_every_command_has_a_docstring_and_summary():
    for node in _nodes():
        if isinstance(node, Command):
            assert node.summary and node.run.__doc__, node.path


def test_json_output_is_the_result_struct(kv_memory):
    s = Script(kv_memory)
    out = s.run("/lotto rotation new ICE --beginning 2020-03-05 --json")
    assert out.is_json and out.text.startswith("```json\n") and out.text.endswith("\n```")
    data = json.loads(out.text[len("```json\n") : -len("\n```")])
    assert data["rotation"]["RotationID"] == "ICE"
    assert data["rotation"]["FillSettings"]["Beginning"].startswith("2020-03-05T00:00:00")
    listing = json.loads(s.run("rotation list --json").text.strip("`").removeprefix("json"))
    assert listing["rotation_ids"] == ["ICE"]


def test_now_flag_sets_the_command_time(kv_memory):
    s = Script(kv_memory, tz="America/Los_Angeles")
    s.run("rotation new T --now 2021-06-01T10:00")  # beginning defaults to now
    rot = s.run("rotation show T").data.rotation
    assert rot.fill_settings.beginning == datetime(2021, 6, 1, 17, tzinfo=UTC)
    s.run("rotation new TIX --task-type ticket --now 2021-06-01T10:00")
    ticket = s.run("task new ticket TIX --summary 'disk full' --now 2021-06-02T08:00").data.task
    assert ticket.summary == "disk full"
    assert ticket.expected_start == datetime(2021, 6, 2, 15, tzinfo=UTC)


def test_a_failing_poster_never_fails_the_command(kv_memory, caplog):
    s = Script(kv_memory)

    class Down:
        def dm(self, user_id, message):
            raise ConnectionError("chat is down")

    s.env = s.env.replace(poster=Down())
    out = s.try_("rotation new R --beginning 2020-01-01")
    assert out.ok
    out = s.try_("user join R @ann @bob")
    assert out.ok and out.notices
    assert "chat is down" in caplog.text


def test_dms_name_the_task_and_the_actor(kv_memory):
    s = Script(kv_memory, actor="boss")
    s.multi("""
        rotation new R --beginning 2020-01-01
        user join R @ann
        task new shift R --number 0
        task fill R#0
    """)
    s.poster.reset()
    s.run("task schedule R#0")
    [(uid, text)] = s.poster.sent
    assert uid == "ann" and "**R#0**" in text and "@boss" in text and "TODO" not in text


def test_blank_and_bare_lotto_show_help(kv_memory):
    s = Script(kv_memory)
    for line in ("", "/lotto", "  "):
        out = execute(s.env, "x", line)
        assert out.ok and "Subcommands" in out.text


def test_help_before_the_subcommand(kv_memory):
    s = Script(kv_memory)
    assert s.run("help rotation set").text == s.run("rotation set help").text
    assert s.run("rotation help new").text == s.run("rotation new --help").text


def test_a_require_of_zero_is_removed_but_a_limit_of_zero_is_kept(kv_memory):
    s = Script(kv_memory)
    s.run("rotation new R --beginning 2020-03-05")
    s.run("rotation set require R --skill webapp --count 2")
    s.run("rotation set limit R --skill mobile --count 0")
    s.run("rotation set require R --skill webapp --count 0")
    settings = s.run("rotation show R").data.rotation.task_settings
    assert "webapp-◉" not in settings.require
    assert settings.limit == {"mobile-◉": 0}


def test_skill_new_on_a_known_skill_says_nothing_changed(kv_memory):
    s = Script(kv_memory)
    assert "Added **web**" in s.run("skill new web").text
    again = s.run("skill new web")
    assert "already a known skill" in again.text and again.data.changed is False
    assert s.run("skill list").data.skills == ["web"]
