"""Every reply and the page say "last served" only of shifts that ended, and name the
next shift apart (issue 13): the rule of ``user show`` and ``rotation stats``.

@a served ICE#0 (6 to 13 Jan 2020) and is assigned to ICE#2 (20 to 27 Jan). On 15 Jan
the queue's ``LastServed`` is ICE#2's end, 27 Jan; a reply must not call that "last
served".
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lotto import api
from shim.page.html import View, render_page
from tests.lotto.commands.helpers import Script

MID = datetime(2020, 1, 15, tzinfo=UTC)
LAST = "- Last served: ICE Mon 13 Jan 2020 00:00"
NEXT = "- Next shift: ICE#2 Mon 20 Jan 2020 00:00"


@pytest.fixture
def s(kv_memory) -> Script:
    s = Script(kv_memory)
    s.multi("""
        rotation new ICE --beginning 2020-01-06
        user join ICE @a @b
        task new shift ICE --number 0
        task assign ICE#0 @a
        task new shift ICE --number 2
        task assign ICE#2 @a
    """)
    return s


def _says_the_rule(text: str) -> None:
    assert LAST in text and NEXT in text
    assert "27 Jan 2020" not in text.split("- Unavailable")[0], text


@pytest.mark.parametrize(
    "line",
    [
        "user qualify @a -s webapp",
        "user disqualify @a -s nothing --history",
        "user disqualify @a -s nothing",
        "user unavailable @a --start 2020-02-10 --finish 2020-02-12",
        "user show @a",
    ],
)
def test_user_replies_say_last_served_of_ended_shifts_and_next_shift_apart(s, line):
    _says_the_rule(s.run(line, now=MID).text)


def test_a_rejoining_member_keeps_their_place_said_by_the_same_rule(s):
    s.run("user leave ICE @a", now=MID)
    sent = len(s.poster.sent)
    text = s.run("user join ICE @a", now=MID).text
    assert text == (
        "Added @a to rotation **ICE**. @a keeps their place: last served Mon 13 Jan 2020 "
        "00:00 UTC, next shift ICE#2 Mon 20 Jan 2020 00:00 UTC."
    )
    (welcome,) = [t for uid, t in s.poster.sent[sent:] if uid == "a"]
    assert "You keep your place in the queue: last served Mon 13 Jan 2020 00:00 UTC." in welcome


def test_a_rejoin_before_any_shift_ended_names_only_the_next_shift(s):
    s.run("user leave ICE @a")
    text = s.run("user join ICE @a").text  # 1 Jan: ICE#0 is still to come
    assert text.endswith("@a keeps their place: next shift ICE#0 Mon 6 Jan 2020 00:00 UTC.")
    assert "You keep your place in the queue." in s.poster.sent[-1][1]


def test_a_median_start_still_ahead_is_a_queue_place_not_a_time_served(s):
    # On 1 Jan the members' LastServed are the ends of shifts still to come (13 and 27 Jan,
    # and @b's fair start): the median is a place in the queue, not a time anyone served.
    sent = len(s.poster.sent)
    out = s.run("user join ICE @c")
    assert out.data.starts == {"c": "median"}
    assert out.text == (
        "Added @c to rotation **ICE**. @c starts mid-queue, at the median of the members' "
        "places in the queue."
    )
    (welcome,) = [t for uid, t in s.poster.sent[sent:] if uid == "c"]
    assert "You start mid-queue, at the median of the members' places in the queue." in welcome
    assert "last served" not in welcome


def test_the_pages_member_table_follows_the_rule(s):
    res = s.env.service.rotation_page(
        api.RotationPageRequest(rotation=api.RotationRef(name="ICE"), forecast=False),
        actor_id="test-user",
        now=MID,
    )
    html = render_page(res, View(zone="UTC", mention=lambda u: f"@{u}"))
    members = html[html.index('id="members"') :]
    row = members[members.index('data-user="@a"') :].split("</tr>")[0]
    assert "<td>Mon 13 Jan 2020 00:00</td><td>ICE#2 Mon 20 Jan 2020 00:00</td>" in row
    assert "27 Jan" not in row
