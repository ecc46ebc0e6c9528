"""Fair history (issue 8): LastServed survives leaving, newcomers join mid-queue, a fair
start, unassigning gives the credit back, and only admins choose where someone starts.

Each is a deliberate change from the original (README, "Differences from the original").
Every scenario runs through the command layer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from lotto.commands.tree import ROOT, Group
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

README = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")


def ts(text: str) -> int:
    """Unix seconds of a UTC time written ``YYYY-MM-DD[THH:MM]``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def served(s: Script, user: str, rid: str = "ICE") -> int | None:
    """``LastServed[rid]`` of ``user`` as ``user show`` reports it (None: unset)."""
    return s.run(f"user show @{user}").data.users[0].last_served.get(rid)


def ice(s: Script, members: str = "@a @b @c") -> None:
    """A weekly rotation beginning Monday 2020-01-06 with ``members``."""
    s.multi(f"""
        rotation new ICE --beginning 2020-01-06
        user join ICE {members}
    """)


# ----------------------------------------------------------------------------- 1. leaving


def test_leaving_and_rejoining_keeps_last_served(kv_memory):
    s = Script(kv_memory)
    ice(s)
    s.multi("""
        task new shift ICE --number 0
        task assign ICE#0 @a
    """)
    assert served(s, "a") == ts("2020-01-13")
    s.run("user leave ICE @a")
    assert served(s, "a") == ts("2020-01-13")  # the original forgot it here
    text = s.run("user join ICE @a").text
    assert served(s, "a") == ts("2020-01-13")
    # On 1 Jan ICE#0 is still to come: the reply names it, not a time served (issue 13).
    assert text == (
        "Added @a to rotation **ICE**. @a keeps their place: next shift ICE#0 Mon 6 Jan 2020 "
        "00:00 UTC."
    )
    welcome = s.poster.sent[-1]
    assert welcome[0] == "a" and "You keep your place in the queue" in welcome[1]


def test_rejoining_after_leaving_does_not_put_you_at_the_front(kv_memory):
    # @a served shift 0, left and came back. Had the rejoin forgotten it, @a would weigh as
    # much as @b and @c for shift 1 (1 in 3); keeping it, @a weighs 1 against their 16 each.
    picks = []
    for seed in range(40):
        kv_memory.delete_all()
        s = Script(kv_memory)
        ice(s)
        s.multi(f"""
            rotation set fill ICE --seed {seed}
            task new shift ICE --number 0
            task assign ICE#0 @a
            user leave ICE @a
            user join ICE @a
            task new shift ICE --number 1
        """)
        picks += s.run("task fill ICE#1").data.task.mattermost_user_ids
    print(f"\nshift 1 after @a rejoined, 40 seeds: @a picked {picks.count('a')} times")
    assert picks.count("a") <= 5  # expected 40/33 ≈ 1.2; forgetting would give ≈ 13


# ----------------------------------------------------------------------------- 2. mid-queue


def test_a_newcomer_starts_at_the_median_of_the_members(kv_memory):
    s = Script(kv_memory)
    ice(s)
    s.multi("""
        task new shift ICE --number 0
        task assign ICE#0 @a
        task new shift ICE --number 1
        task assign ICE#1 @b
        task new shift ICE --number 2
        task assign ICE#2 @c
    """)
    sent = len(s.poster.sent)
    # Joining once the three shifts are over (a median still ahead is no time served).
    out = s.run("user join ICE @d @e", now=datetime(2020, 2, 1, tzinfo=UTC))
    # Ends of shifts 0, 1, 2: the median is the end of shift 1.
    assert served(s, "d") == served(s, "e") == ts("2020-01-20")
    assert out.data.starts == {"d": "median", "e": "median"}
    assert out.text == (
        "Added @d, @e to rotation **ICE**. @d, @e start mid-queue: counted as last served "
        "Mon 20 Jan 2020 00:00 UTC, the median of the members."
    )
    dms = {u: text for u, text in s.poster.sent[sent:] if "Welcome to rotation" in text}
    assert set(dms) == {"d", "e"}
    # Times named in the reader's zone (issue 8).
    assert "You start mid-queue: counted as last served Mon 20 Jan 2020 00:00 UTC" in dms["d"]


def test_median_counts_members_who_never_served_at_the_fair_start(kv_memory):
    # @a served shift 0; @b and @c never did, so they count one cycle (3 weeks) before
    # the beginning: the median of {fair start, fair start, end of shift 0} is the fair start.
    s = Script(kv_memory)
    ice(s)
    s.multi("""
        task new shift ICE --number 0
        task assign ICE#0 @a
        user join ICE @d
    """)
    assert served(s, "d") == ts("2019-12-16")


def test_before_anyone_served_a_newcomer_gets_the_fair_start_like_everyone(kv_memory):
    s = Script(kv_memory)
    ice(s)
    out = s.run("user join ICE @d")
    assert out.text == "Added @d to rotation **ICE**."
    assert out.data.starts == {"d": "fair"}
    assert served(s, "d") is None


# ----------------------------------------------------------------------------- 3. fair start


def test_a_new_rotation_gives_everyone_a_turn_before_anyone_serves_twice(kv_memory):
    """30 members, 2 per weekly shift, nobody unavailable: a cycle is 15 shifts."""
    members = [f"m{i:02d}" for i in range(30)]
    shortest, longest = [], []
    for seed in range(1, 11):
        kv_memory.delete_all()
        s = Script(kv_memory)
        s.multi(f"""
            rotation new TEAM --beginning 2020-01-06
            rotation set require TEAM --count 2
            rotation set fill TEAM --seed {seed}
            user join TEAM {" ".join("@" + m for m in members)}
        """)
        shifts: list[list[str]] = []
        for n in range(30):
            s.run(f"task new shift TEAM --number {n}")
            shifts.append(s.run(f"task fill TEAM#{n}").data.task.mattermost_user_ids)
        first = [u for shift in shifts[:15] for u in shift]
        assert sorted(first) == members, f"seed {seed}: someone served twice in 15 shifts"
        # Waits between a person's two shifts (in shifts), for the report.
        at = {u: [n for n, shift in enumerate(shifts) if u in shift] for u in members}
        waits = [b - a for ns in at.values() for a, b in zip(ns, ns[1:], strict=False)]
        shortest.append(min(waits))
        longest.append(max(waits))
    print(f"\nfair start, 10 seeds: shortest wait {min(shortest)}, longest {max(longest)} shifts")
    assert min(shortest) >= 1


# ----------------------------------------------------------------------------- 4. unassign


def test_unassigning_gives_back_the_credit(kv_memory):
    s = Script(kv_memory)
    ice(s, "@a @b")
    s.multi("""
        task new shift ICE --number 0
        task assign ICE#0 @b
        task new shift ICE --number 1
    """)
    assert served(s, "b") == ts("2020-01-13")
    s.run("task assign ICE#1 @b")
    assert served(s, "b") == ts("2020-01-20")
    s.run("task unassign ICE#1 @b")
    assert served(s, "b") == ts("2020-01-13")  # the original left it at 2020-01-20
    s.run("task unassign ICE#0 @b")
    assert served(s, "b") is None


def test_unassigning_keeps_a_later_assignment_and_restores_starting(kv_memory):
    s = Script(kv_memory)
    ice(s, "@a")
    s.multi("""
        user join ICE @b --starting 2019-12-01
        task new shift ICE --number 0
        task new shift ICE --number 1
        task assign ICE#0 @b
        task assign ICE#1 @b
        task unassign ICE#0 @b
    """)
    # ICE#1 set LastServed after ICE#0: it stands.
    assert served(s, "b") == ts("2020-01-20")
    s.run("task unassign ICE#1 @b")
    # Each unassignment gave back exactly its credit: back to --starting (issue 13; this
    # gave ICE#0's end, though @b was no longer on ICE#0).
    assert served(s, "b") == ts("2019-12-01")
    # An auto-fill gives the credit back just the same.
    before = {u: served(s, u) for u in ("a", "b")}
    filled = s.run("task fill ICE#1").data.task.mattermost_user_ids
    assert served(s, filled[0]) == ts("2020-01-20")
    s.run(f"task unassign ICE#1 @{filled[0]}")
    assert {u: served(s, u) for u in ("a", "b")} == before


def test_unassigning_a_started_shift_restores_the_starting_time(kv_memory):
    s = Script(kv_memory)
    ice(s, "@a")
    s.multi("""
        user join ICE @b --starting 2019-12-01
        task new shift ICE --number 0
        task assign ICE#0 @b
        task schedule ICE#0
        task start ICE#0 --now 2020-01-06T10:00
    """)
    assert served(s, "b") == ts("2020-01-13T10:00")
    s.run("task unassign ICE#0 @b --force")
    assert served(s, "b") == ts("2019-12-01")


# ----------------------------------------------------------------------------- 5. --starting


def test_only_admins_may_choose_where_someone_starts(kv_memory):
    admin = Script(kv_memory)
    ice(admin)
    admin.multi("""
        task new shift ICE --number 0
        task assign ICE#0 @a
    """)
    member = Script(kv_memory, actor="zoe", admins=False)
    out = assert_rejected_unchanged(member, "user join ICE --starting 2099-01-01")
    assert "only plugin admins may use `--starting` with `/lotto user join`" in out.text
    # Without it, a member joining themselves gets the default: mid-queue.
    text = member.run("user join ICE").text
    assert "@zoe starts mid-queue" in text
    assert served(admin, "zoe") == ts("2019-12-16")  # median of {fair, fair, 2020-01-13}
    # Leaving and rejoining with --starting does not work either.
    member.run("user leave ICE")
    assert_rejected_unchanged(member, "user join ICE --starting 2099-01-01")
    # Admins may.
    admin.run("user join ICE @y --starting 2099-01-01")
    assert served(admin, "y") == ts("2099-01-01")
    assert "`--starting TIME`: count the users" in admin.run("user join help").text
    assert "(plugin admins only)" in admin.run("user join help").text


def _commands(node):
    if isinstance(node, Group):
        for child in node.children.values():
            yield from _commands(child)
    else:
        yield node


def test_readme_names_exactly_the_admin_only_flags():
    sentence = re.search(r"Only plugin admins may give (.*?)\.", README, re.S)
    assert sentence, "README: Who may do what lists no admin-only flags"
    listed = set(re.findall(r"`([^`]+)`", sentence.group(1)))
    in_code = {
        f"{' '.join(c.path)} --{f.name}" for c in _commands(ROOT) for f in c.flags if f.admin_only
    }
    # `--now` is every command's flag, admin-only where the command changes records.
    if any(f.name == "now" and f.admin_only for c in _commands(ROOT) for f in c.all_flags):
        in_code.add("--now")
    assert listed == in_code


# ----------------------------------------------------------------------------- the rules


def test_fair_start_is_one_cycle_before_the_beginning_in_both_fillers():
    from lotto.fillers import queue, solar_lottery
    from lotto.model.rotation import FillSettings, Rotation, TaskSettings
    from lotto.model.user import User, fair_start, people_per_shift

    beginning = datetime(2020, 1, 6, tzinfo=UTC)
    rot = Rotation(
        rotation_id="R",
        mattermost_user_ids=[f"u{i}" for i in range(6)],
        task_settings=TaskSettings(require={"any": 2}),
        fill_settings=FillSettings(beginning=beginning, period="weekly"),
    )
    week = 7 * 86400
    assert people_per_shift(rot) == 2
    assert fair_start(rot, 0) == ts("2020-01-06") - 3 * week  # 6 members / 2 per shift
    fresh = User(mattermost_user_id="u0")
    old = User(mattermost_user_id="u1", last_served={"R": ts("2019-12-23")})  # 2 weeks before
    w = solar_lottery.user_log2_weights(rot, [fresh, old], datetime(2020, 1, 13, tzinfo=UTC))
    assert w == {"u0": 4.0, "u1": 3.0}  # idle 4 and 3 weeks
    assert [u.mattermost_user_id for u in queue.queue_order(rot, [old, fresh])] == ["u0", "u1"]
    # Skill needs count when they ask for more people than `any`.
    skills = TaskSettings(require={"any": 1, "webapp": 2, "server": 1})
    assert people_per_shift(Rotation(rotation_id="S", task_settings=skills)) == 3
