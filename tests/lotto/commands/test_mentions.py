"""Results declare the user ids they mention (issue 15 item 3).

Every result type says which users its rendering may show (``result.user_ids()``);
the command layer looks them up in ONE directory call, and rendering asks the
directory nothing more. The whole suite renders strictly (tests/conftest.py): a
shown id that no result declared fails. Here: every result type declares, every
one is rendered by the script below, and a command asks the directory once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from lotto import api
from lotto.api._base import _Result
from lotto.commands import Env, execute, names
from lotto.commands.names import Names, UndeclaredUserError
from lotto.local import LocalDirectory, RecordingPoster
from lotto.ports import Profile

NOW = datetime(2030, 3, 4, 9, tzinfo=UTC)


class CountingDirectory(LocalDirectory):
    """A directory where a username is not its id (``ann`` is ``id-ann``), counting calls."""

    def __init__(self) -> None:
        super().__init__("Europe/Berlin")
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def _named(self, name: str) -> Profile | None:
        base = self._profile(name)
        if base is None:
            return None
        return Profile(
            user_id=f"id-{name}", username=name, time_zone=self.tz, is_admin=base.is_admin
        )

    def by_id(self, user_id: str) -> Profile | None:
        self.calls.append(("by_id", (user_id,)))
        return self._named(user_id.removeprefix("id-"))

    def by_username(self, username: str) -> Profile | None:
        self.calls.append(("by_username", (username,)))
        return self._named(username)

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        self.calls.append(("by_ids", tuple(user_ids)))
        found = {u: self._named(u.removeprefix("id-")) for u in user_ids}
        return {u: p for u, p in found.items() if p is not None}

    def by_usernames(self, usernames: list[str]) -> dict[str, Profile]:
        self.calls.append(("by_usernames", tuple(usernames)))
        found = {n: self._named(n) for n in usernames}
        return {n: p for n, p in found.items() if p is not None}


# Every command that renders a result, acting as `boss` on people it mostly does not
# name on the line (those come from the results' declarations).
SCRIPT = """
    skill new webapp
    skill list
    info
    rotation new ICE --beginning 2030-03-04 --period weekly
    rotation list
    user join ICE @ann @bob @cy @dee
    user qualify @ann @bob --skill webapp-2
    rotation set require ICE --skill webapp-1 --count 1
    rotation set limit ICE --skill webapp-2 --count 2
    rotation set owners ICE @owen
    rotation set task ICE --grace 1h
    rotation set fill ICE --seed 3
    rotation set autopilot ICE --create --create-prior 400h
    rotation set hours ICE --days mon-fri
    rotation set holidays ICE --dates 2030-12-25
    rotation set channel ICE ~town-square
    task new shift ICE --number 0
    task new shift ICE --number 1
    task fill ICE#0
    task assign ICE#1 @cy
    task unassign ICE#1 @cy
    task schedule ICE#0
    task offer ICE#0 {first}
    {taker}> task take ICE#0
    task start ICE#0
    task show ICE#0
    task finish ICE#0
    rotation show ICE
    rotation show ICE --members --tasks all
    rotation now ICE
    rotation stats ICE
    rotation calendar ICE
    rotation page ICE
    rotation forecast ICE --shifts 2 --samples 20 --seed 1
    user forecast ICE @ann --shifts 2 --samples 20 --seed 1
    user show @ann @bob
    user shifts @ann
    user notify @ann --mute reminders
    user unavailable @dee --start 2030-04-01 --finish 2030-04-03
    rotation autopilot ICE
    autopilot
    user leave ICE @dee
    rotation new DESK --task-type ticket
    task new ticket DESK
    rotation archive DESK
    skill delete webapp
"""


def _result_types() -> set[type]:
    found = set()
    for name in api.__all__:
        value = getattr(api, name)
        if isinstance(value, type) and issubclass(value, _Result) and value is not _Result:
            found.add(value)
    return found


def test_every_result_type_declares_the_users_it_mentions():
    missing = [t.__name__ for t in _result_types() if "_mentions" not in t.__dict__]
    assert not missing, f"declare user_ids (a _mentions method) on: {missing}"


def test_every_result_type_renders_with_only_what_it_declares(kv_memory):
    assert names.STRICT  # the suite's setting: an undeclared id raises
    directory = CountingDirectory()
    # Messages stay in the outbox (delivering renders each with its own one lookup).
    env = Env(kv_memory, directory, RecordingPoster(), deliver=lambda: None)
    env.service.directory = CountingDirectory()  # the service's own checks are not counted
    seen: set[type] = set()
    first = taker = ""
    for line in (ln.strip() for ln in SCRIPT.strip().splitlines()):
        actor, _, line = line.format(first=first, taker=taker).rpartition("> ")
        actor = f"id-{actor or 'boss'}"
        directory.calls.clear()
        out = execute(env, actor, line, now=NOW)
        assert out.ok, f"{line}: {out.text}"
        seen.add(type(out.data))
        if line.startswith("task fill"):
            on = out.data.task.mattermost_user_ids
            first = f"@{on[0].removeprefix('id-')}"
            taker = next(u for u in ("ann", "bob", "cy", "dee") if f"id-{u}" not in on)
        # The actor once, the typed @names in one call, each result's users in one more:
        # nothing one by one while rendering.
        singles = [c for c in directory.calls if c[0] in ("by_id", "by_username")]
        assert singles == [("by_id", (actor,))], (line, directory.calls)
        batches = [c for c in directory.calls if c[0] == "by_ids"]
        assert len(batches) <= (2 if line == "autopilot" else 1), (line, batches)
    assert _result_types() - seen == set(), sorted(t.__name__ for t in _result_types() - seen)


def test_rotation_show_names_owners_and_people_from_one_lookup(kv_memory):
    directory = CountingDirectory()
    env = Env(kv_memory, directory, RecordingPoster())
    env.service.directory = CountingDirectory()  # the service's own checks are not counted
    for line in (
        "rotation new ICE --beginning 2030-03-04",
        "user join ICE @ann @bob",
        "rotation set owners ICE @owen @olga",
        "task new shift ICE --number 0",
        "task assign ICE#0 @cy",
    ):
        assert execute(env, "id-boss", line, now=NOW).ok
    directory.calls.clear()
    out = execute(env, "id-boss", "rotation show ICE", now=NOW)
    assert out.ok, out.text
    for name in ("@ann", "@bob", "@owen", "@olga", "@cy"):
        assert name in out.text
    assert "id-" not in out.text
    assert directory.calls[0] == ("by_id", ("id-boss",))
    (batch,) = directory.calls[1:]
    assert batch[0] == "by_ids"
    assert {"id-owen", "id-olga", "id-cy", "id-ann", "id-bob"} <= set(batch[1])


def test_an_undeclared_id_raises_when_strict_and_is_looked_up_otherwise(monkeypatch, caplog):
    directory = CountingDirectory()
    found = Names(directory)
    found.learn(["id-ann"])
    assert found.mention("id-ann") == "@ann"
    with pytest.raises(UndeclaredUserError, match="id-bob"):
        found.mention("id-bob")
    monkeypatch.setattr(names, "STRICT", False)
    with caplog.at_level(logging.WARNING, logger="lotto.commands"):
        assert found.mention("id-bob") == "@bob"
    assert found.undeclared == ["id-bob"]
    assert "not declared" in caplog.text
    assert directory.calls == [("by_ids", ("id-ann",)), ("by_ids", ("id-bob",))]


def test_a_directory_outage_renders_ids_without_failing():
    class Down(CountingDirectory):
        def by_ids(self, user_ids):
            from lotto.errors import LottoError

            raise LottoError("Mattermost did not answer")

    found = Names(Down())
    found.learn(["id-ann"])
    assert found.mention("id-ann") == "@id-ann"
    assert found.zone_of("id-ann") == "UTC"
