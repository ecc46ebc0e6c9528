"""Changes that warn (issue 13 items 4-7): broken shifts, --force, hints that work, words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

NOW = datetime(2027, 1, 1, tzinfo=UTC)
LEADS = ("anna", "chloe", "farah")
OTHERS = ("bea", "dan", "emil", "gus", "hana")

# 8 people, weekly in Berlin, 2027: 2 people a shift, one of them a lead.
TEAM = f"""
    rotation new OPS --period weekly --beginning 2027-01-04T09:00 --timezone Europe/Berlin
    user join OPS {" ".join("@" + u for u in LEADS + OTHERS)}
    user qualify {" ".join("@" + u for u in LEADS)} --skill lead-3
    rotation set require OPS --count 2
    rotation set channel OPS ~ops
"""


def _team(kv) -> Script:
    s = Script(kv, actor="boss", now=NOW)
    s.multi(TEAM)
    s.run("rotation set require OPS --skill lead-3 --count 1")
    return s


def _scheduled(s: Script, *numbers: int) -> None:
    for n in numbers:
        s.run(f"task new shift OPS --number {n}")
        s.run(f"task fill OPS#{n}")
        s.run(f"task schedule OPS#{n}")


def test_disqualifying_every_lead_warns_and_alerts_the_owners_at_once(kv_memory):
    s = _team(kv_memory)
    _scheduled(s, 0, 1, 2)
    s.run("rotation set owners OPS @owl")
    s.poster.reset()
    out = s.run("user disqualify @anna @chloe @farah --skill lead")
    # Before: accepted without a word. Now the reply names every broken shift...
    for tid in ("OPS#0", "OPS#1", "OPS#2"):
        assert f"Scheduled **{tid}** now lacks 1 lead (advanced or better)" in out.text, out.text
    assert [w.task_id for w in out.data.warnings] == ["OPS#0", "OPS#1", "OPS#2"]
    # ...and the owners (and the channel) hear at once, in one alert naming the shifts.
    alerts = [t for u, t in s.poster.sent if u == "owl" and "Alert: a change broke" in t]
    assert len(alerts) == 1 and all(f"**OPS#{n}**" in alerts[0] for n in range(3)), alerts
    assert any(
        "Alert: a change broke 3 shifts" in t or "broke shifts" in t for _, t in s.poster.posts
    )


def test_a_requirement_no_member_set_can_meet_is_accepted_with_a_warning(kv_memory):
    s = _team(kv_memory)
    out = s.run("rotation set require OPS --count 20")
    assert "It asks for 20 people, but the rotation has only 8 members" in out.text, out.text
    assert out.data.rotation.task_settings.require["any"] == 20  # accepted all the same
    out = s.run("rotation set require OPS --skill lead-3 --count 4")
    assert "at least 4 lead (advanced or better), but only 3 members are" in out.text, out.text


def test_a_requirement_that_lets_only_some_members_serve_says_so(kv_memory):
    s = Script(kv_memory, actor="boss", now=NOW)
    s.multi(TEAM)
    out = s.run("rotation set require OPS --count 1")
    assert "Warning" not in out.text
    out = s.run("rotation set require OPS --skill lead-3 --count 1")
    assert "Only @anna, @chloe, @farah can ever serve" in out.text, out.text
    assert "the other 5 members never will" in out.text
    hint = re.search(r"`/lotto (rotation set require OPS --skill any --count \d+)`", out.text)
    assert hint and "Warning" not in s.run(hint.group(1)).text  # the hint mends it


@pytest.mark.parametrize(
    "line, says",
    [
        ("rotation set task OPS --duration 3w", "longer than the rotation's period (1 week)"),
        ("task new shift OPS --number 500", "more than a year from now"),
        ("task new shift OPS --number 0 --now 2027-02-01", "wholly in the past"),
        (
            "user unavailable @bea --start 2020-03-01 --finish 2020-03-05",
            "wholly in the past",
        ),
    ],
)
def test_likely_mistakes_ask_for_force(kv_memory, line, says):
    s = _team(kv_memory)
    out = assert_rejected_unchanged(s, line)
    assert says in out.text and "Add `--force` to do it anyway." in out.text, out.text
    assert s.run(line + " --force").ok


def test_every_hint_of_an_alert_or_error_is_a_command_that_works(kv_memory):
    s = _team(kv_memory)
    s.run("rotation set owners OPS @owl")
    _scheduled(s, 0)
    on = s.run("task show OPS#0").data.task.mattermost_user_ids
    leaver = on[0]
    s.poster.reset()
    s.run(f"user leave OPS @{leaver}")
    alert = [t for u, t in s.poster.sent if u == "owl" and "Alert" in t][0]
    # Filling a scheduled shift without --force says how it is done.
    refused = s.try_("task fill OPS#0")
    hints = _hints(alert) + _hints(refused.text)
    assert hints, (alert, refused.text)
    ran = 0
    for hint in hints:
        if re.search(r"@user\b|\bN\b|SKILL|ID\b", hint):
            continue  # a placeholder: nothing to run as it stands
        out = s.try_(hint)
        assert out.ok, f"hint {hint!r} failed: {out.text}"
        ran += 1
    assert ran >= 2
    task = s.run("task show OPS#0").data.task
    assert leaver not in task.mattermost_user_ids and len(task.mattermost_user_ids) == 2


def _hints(text: str) -> list[str]:
    return [m.removeprefix("/lotto ") for m in re.findall(r"`(/lotto [^`]+)`", text)]


def test_manual_changes_post_to_the_channel_and_close_moot_offers(kv_memory):
    s = _team(kv_memory)
    _scheduled(s, 0)
    on = s.run("task show OPS#0").data.task.mattermost_user_ids
    s.run(f"task offer OPS#0 @{on[1]}")
    s.poster.reset()
    s.run(f"task unassign OPS#0 @{on[1]} --force")
    posts = [t for _, t in s.poster.posts]
    assert any("changed by hand" in t and "taken off it" in t for t in posts), posts
    assert any("is closed: it can no longer be taken" in t for t in posts), posts
    s.poster.reset()
    free = [u for u in OTHERS if u not in on][0]
    s.run(f"task assign OPS#0 @{free} --force")
    assert any(f"@{free} put on it" in t for _, t in s.poster.posts), s.poster.posts


def test_levels_read_as_words_outside_member_lists(kv_memory):
    s = _team(kv_memory)
    shown = s.run("rotation show OPS").text
    assert "- Require: 2 people, at least 1 lead (advanced or better)" in shown, shown
    s.run("rotation set require OPS --count 9")  # one more than the members
    s.run("rotation set autopilot OPS --create --create-prior 2w --schedule --schedule-prior 2w")
    s.run("rotation set owners OPS @owl")
    s.poster.reset()
    s.run("rotation autopilot OPS --now 2027-01-02")
    s.run("rotation autopilot OPS --now 2027-01-02T00:01")
    alerts = [t for _, t in s.poster.sent if "could not be filled" in t]
    assert alerts and all(g not in t for t in alerts for g in "◉▣◈"), alerts


@pytest.mark.parametrize(
    "line, check",
    [
        ("rotation set task OPS --duration 1 week", "tasks last 1 week"),
        ("rotation set task OPS --grace 2 days --duration 1 day", "tasks last 1 day, grace 2 days"),
    ],
)
def test_a_flag_value_may_hold_spaces(kv_memory, line, check):
    s = _team(kv_memory)
    assert check in s.run(line).text


def test_a_date_with_spaces_and_as_replies_show_it(kv_memory):
    s = _team(kv_memory)
    out = s.run("user unavailable @bea --start 10 Nov 2027 --finish Thu 11 Nov 2027 09:00")
    assert "Wed 10 Nov 2027 00:00 to Thu 11 Nov 2027 09:00: personal" in out.text, out.text


@pytest.mark.parametrize(
    "line, guess",
    [
        ("rotation new X --timezone Europe/Berlim", "did you mean Europe/Berlin?"),
        ("rotation shwo OPS", "did you mean `/lotto rotation show`?"),
        ("rotation set task OPS --durattion 1d", "did you mean `--duration`?"),
    ],
)
def test_unknown_names_suggest_the_closest(kv_memory, line, guess):
    s = _team(kv_memory)
    assert guess in assert_rejected_unchanged(s, line).text


def test_disqualify_lists_only_the_last_five_past_shifts(kv_memory):
    s = Script(kv_memory, actor="boss", now=NOW)
    s.multi("""
        rotation new R --period daily --beginning 2027-01-01T09:00
        user join R @ann
        user qualify @ann --skill web
    """)
    for n in range(8):
        s.run(f"task new shift R --number {n}")
        s.run(f"task assign R#{n} @ann")
        s.run(f"task schedule R#{n}")
    out = s.run("user disqualify @ann --skill web --now 2027-01-20")
    assert out.text.count(": task R#") == 5, out.text
    assert "and 3 earlier past shifts" in out.text
    full = s.run("user qualify @ann --skill web")
    assert (
        s.run("user disqualify @ann --skill web --history --now 2027-01-20").text.count(": task R#")
        == 8
    ), full.text


def test_the_readme_example_of_changes_that_warn():
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Changes that warn")
    block = re.search(r"^```text\n(.*?)^```", readme[start:], re.M | re.S)
    assert block, "no example under 'Changes that warn'"
    lines = block.group(1).splitlines()
    import kvstore
    from kvstore.backends import discard_memory

    url = "memory://readme-warn"
    kv = kvstore.open(url, "readme")
    try:
        s = Script(kv, actor="boss", now=NOW)
        s.multi(TEAM.replace("rotation set require OPS --count 2", ""))
        expected: dict[str, list[str]] = {}
        for line in lines:
            if line.startswith("$ lotto "):
                command = line.removeprefix("$ lotto ")
                expected[command] = []
            else:
                expected[command].append(line)
        for command, reply in expected.items():
            assert s.run(command).text.splitlines() == reply, command
    finally:
        kv.close()
        discard_memory(url)
