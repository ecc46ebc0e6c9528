"""Replies and direct messages through the shim read in each reader's profile zone.

The shift runs from 4 to 11 March 2030, across the US change to daylight-saving
time (10 March); Berlin changes only on 31 March. The admin, a reader in Berlin and
one in Los Angeles each see the same times on their own clock, named.
"""

from __future__ import annotations

from shim.runtime import Runtime


def _run(rt: Runtime, user: dict, line: str) -> str:
    ok, text = rt.execute(user["id"], line)
    assert ok, text
    return text


def test_each_reader_sees_the_shift_on_their_own_clock(fake_mm, runtime):
    boss = fake_mm.add_user(
        "boss", roles="system_user system_admin", time_zone="America/Los_Angeles"
    )
    ann = fake_mm.add_user("ann", time_zone="Europe/Berlin", automatic=True)
    bob = fake_mm.add_user("bob", time_zone="America/Los_Angeles")
    made = _run(runtime, boss, "rotation new ICE --period weekly --beginning 2030-03-04T09:00")
    # Typed on the admin's clock, shown on it, named.
    assert "from Mon 4 Mar 2030 09:00 PST on the America/Los_Angeles clock" in made
    _run(runtime, boss, "user join ICE @ann @bob")
    _run(runtime, boss, "task new shift ICE --number 0 --force")
    _run(runtime, boss, "task assign ICE#0 @ann @bob")
    _run(runtime, boss, "task schedule ICE#0")
    assert runtime.outbox.deliver_once().waiting == 0  # everything went out

    (ann_dm,) = [m for m in fake_mm.dms(ann["id"]) if "scheduled" in m]
    (bob_dm,) = [m for m in fake_mm.dms(bob["id"]) if "scheduled" in m]
    assert "from Mon 4 Mar 2030 18:00 CET to Mon 11 Mar 2030 17:00 CET." in ann_dm
    assert "from Mon 4 Mar 2030 09:00 PST to Mon 11 Mar 2030 09:00 PDT." in bob_dm
    assert "With you: @bob." in ann_dm and "With you: @ann." in bob_dm

    # Replies: the same shift, on each reader's clock, the zone said once in the header.
    for user, zone, start, end in [
        (ann, "Europe/Berlin", "Mon 4 Mar 2030 18:00", "Mon 11 Mar 2030 17:00"),
        (bob, "America/Los_Angeles", "Mon 4 Mar 2030 09:00", "Mon 11 Mar 2030 09:00"),
    ]:
        shown = _run(runtime, user, "task show ICE#0")
        assert shown.startswith(f"#### Shift ICE#0 (times in {zone})"), shown
        assert f"- Interval: {start} to {end}\n" in shown
    # --json keeps RFC 3339 UTC whoever reads it.
    as_json = _run(runtime, ann, "task show ICE#0 --json")
    assert '"2030-03-04T17:00:00Z"' in as_json
