"""``rotation page`` and the chart images of the stats and forecast replies (command layer)."""

from __future__ import annotations

from datetime import UTC, datetime

from lotto.commands import Env, execute
from lotto.local import LocalDirectory
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged
from tests.lotto.commands.test_calendar import _Links

NOW = datetime(2020, 3, 1, 12, tzinfo=UTC)


def _script(kv) -> Script:
    s = Script(kv)
    s.multi(
        """
        rotation new ICE --period weekly --beginning 2020-02-27T09:00
        user join ICE @ann @bob
        task new shift ICE --number 0
        task assign ICE#0 @ann
        task schedule ICE#0
        """,
        now=NOW,
    )
    s.run("task start ICE#0", now=datetime(2020, 2, 27, 9, tzinfo=UTC))
    s.run("task new shift ICE --number 1", now=NOW)
    return s


def test_without_a_server_the_reply_says_where_pages_come_from_and_who_is_on_call(kv):
    out = _script(kv).run("rotation page IC", now=NOW)
    assert out.text.startswith("#### Page of rotation ICE")
    assert "LOTTO_PUBLIC_URL" in out.text and "rotation now ICE" in out.text
    assert "On call now: **ICE#0** @ann." in out.text
    assert "Next: **ICE#1** from Thu 5 Mar 2020 09:00 UTC: nobody yet." in out.text


def test_members_and_owners_get_a_link_given_to_them_others_are_told_why_not(kv):
    s = _script(kv)
    env = Env(kv, LocalDirectory("UTC", admins=False), s.poster, links=_Links())
    out = execute(env, "bob", "rotation page ICE", now=NOW)
    assert out.ok and "https://lotto.example/page/ICE?by=bob" in out.text
    assert "a year" in out.text and "&user=NAME" in out.text
    out = execute(env, "zed", "rotation page ICE", now=NOW)  # anyone may ask
    assert out.ok and "/page/" not in out.text and "are for its members and owners" in out.text


def test_stats_and_forecast_replies_embed_a_chart_only_where_a_server_publishes_them(kv):
    s = _script(kv)
    for line in ("rotation stats ICE", "rotation forecast ICE"):
        assert "![" not in s.run(line, now=NOW).text  # the CLI: tables only
    env = Env(kv, LocalDirectory("UTC"), s.poster, links=_Links())
    stats = execute(env, "bob", "rotation stats ICE", now=NOW).text
    assert "| Member |" in stats
    assert stats.endswith("(the table has the numbers)](https://lotto.example/chart/ICE/stats.png)")
    forecast = execute(env, "bob", "rotation forecast ICE", now=NOW).text
    assert forecast.endswith("](https://lotto.example/chart/ICE/forecast.png)")


def test_bad_input_is_a_clean_error_that_changes_nothing(kv):
    s = _script(kv)
    for line in ("rotation page", "rotation page NOPE", "rotation page ICE --bogus"):
        assert_rejected_unchanged(s, line, now=NOW)
