"""Fewer direct messages (issue 8): one welcome per join, no moot reminder on a late
tick, and `user notify --mute` for the kinds a person does not want."""

from __future__ import annotations

from datetime import UTC, datetime

from lotto.model.outbox import OUTBOX_QUEUE
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _rotation(s: Script) -> None:
    s.multi("""
        rotation new ICE --beginning 2030-01-07T09:00 --period weekly
        rotation set require ICE --count 2
        rotation set autopilot ICE --create --create-prior 200h --schedule --start-finish
        rotation set autopilot ICE --schedule-prior 200h --remind-start --remind-finish
        rotation set autopilot ICE --remind-start-prior 2h --remind-finish-prior 2h
        user join ICE @ann @bob
    """)


def _kinds(s: Script, user: str) -> list[str]:
    return [text.splitlines()[0] for uid, text in s.poster.sent if uid == user]


def test_one_welcome_per_join(kv_memory):
    s = Script(kv_memory)
    s.run("rotation new ICE --beginning 2030-01-07T09:00")
    s.run("user join ICE @ann")
    (text,) = [t for uid, t in s.poster.sent if uid == "ann"]
    assert text.startswith("#### Welcome to rotation **ICE**!")
    assert "Solar Lottery is the team rotation scheduler" in text  # the first one says what it is
    s.run("rotation new OPS --beginning 2030-01-07T09:00")
    s.poster.reset()
    s.run("user join OPS @ann")
    (text,) = [t for uid, t in s.poster.sent if uid == "ann"]
    assert "Solar Lottery is the team rotation scheduler" not in text  # not a newcomer now


def _texts(s: Script, user: str) -> str:
    """Everything ``user`` was sent, as one text (a run sends each person one message)."""
    return "\n".join(text for uid, text in s.poster.sent if uid == user)


def test_a_late_tick_sends_the_finish_and_start_without_their_reminders(kv_memory):
    s = Script(kv_memory)
    _rotation(s)
    s.run("rotation autopilot ICE", now=NOW)  # creates ICE#0, already due: schedules it
    s.poster.reset()
    # Nobody ran the autopilot until well after ICE#0 began: it starts now, no "starts soon".
    # (The same run makes ICE#1, already due, and schedules it.)
    s.run("rotation autopilot ICE", now=datetime(2030, 1, 7, 12, tzinfo=UTC))
    started = _texts(s, "ann")
    assert "###### Your shift **ICE#0** has started" in started
    assert "ICE#0** starts soon" not in started
    assert "The autopilot started shift **ICE#0**" in started and "@test-user" not in started
    assert "With you: @bob." in started or "With you: @ann." in started
    s.poster.reset()
    # ... and long after it ended: finished, no "finishes soon".
    s.run("rotation autopilot ICE", now=datetime(2030, 1, 15, 12, tzinfo=UTC))
    assert "###### Your shift **ICE#0** is finished" in _kinds(s, "ann")
    assert "finishes soon" not in _texts(s, "ann")


def test_muted_kinds_are_not_sent_and_unmuting_brings_them_back(kv_memory):
    s = Script(kv_memory)
    _rotation(s)
    out = s.run("user notify @ann --mute reminders,scheduled")
    assert out.data.users[0].muted == ["scheduled", "reminders"]
    assert "@ann (changed): muted: scheduled, reminders" in out.text
    s.poster.reset()
    s.run("rotation autopilot ICE", now=NOW)  # creates ICE#0, already due: schedules it
    assert _kinds(s, "ann") == []
    assert _kinds(s, "bob") == ["###### You have been scheduled for shift **ICE#0**"]
    s.poster.reset()
    s.run("rotation autopilot ICE", now=datetime(2030, 1, 7, 8, tzinfo=UTC))  # reminds
    assert _kinds(s, "ann") == []
    assert "###### Reminder: your shift **ICE#0** starts soon" in _texts(s, "bob")
    assert kv_memory.queue(OUTBOX_QUEUE).length() == 0
    s.poster.reset()
    s.run("user notify @ann --unmute scheduled")
    s.run("rotation autopilot ICE", now=datetime(2030, 1, 14, tzinfo=UTC))  # schedules ICE#2
    assert "###### You have been scheduled for shift **ICE#2**" in _texts(s, "ann")
    assert "Reminder" not in _texts(s, "ann")
    assert "- Muted messages: reminders" in s.run("user show @ann").text


def test_members_mute_for_themselves_and_admins_for_others(kv_memory):
    s = Script(kv_memory, admins=False)
    s.run("user notify --mute finished", actor="ann")
    assert s.run("user notify", actor="ann").text.endswith("- @ann: muted: finished")
    out = s.try_("user notify @bob --mute finished", actor="ann")
    assert not out.ok and "only plugin admins" in out.text
    admin = Script(kv_memory)
    assert admin.run("user notify @bob --mute finished").data.changed == ["bob"]


def test_bad_mute_words_are_refused_and_change_nothing(kv_memory):
    s = Script(kv_memory)
    s.run("user notify @ann --mute reminders")
    out = assert_rejected_unchanged(s, "user notify @ann --mute reminders,weather")
    assert "`weather` is not a kind of message one can mute" in out.text
    out = assert_rejected_unchanged(s, "user notify @ann --mute finished --unmute finished")
    assert "both muted and unmuted" in out.text
