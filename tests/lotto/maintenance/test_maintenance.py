"""Operators' maintenance: dump/restore, consistency checks, repairs and ``lotto-store``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

import kvstore
from kvstore.backends import discard_memory
from lotto.commands import Env, execute
from lotto.errors import InputError, StateError
from lotto.local import LocalDirectory, RecordingPoster
from lotto.maintenance import FIXABLE, KINDS, check, dump, repair, restore
from lotto.maintenance.cli import main
from lotto.model import keys
from lotto.model.notice import Notice
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE, new_message
from lotto.model.record import encode
from tests.kvstore.helpers import Engine

ROOT = Path(__file__).parents[3]
# The console script pip installs beside the interpreter (pyproject.toml's [project.scripts]).
SCRIPT = Path(sys.executable).parent / "lotto-store"
NOW = datetime(2026, 1, 5, tzinfo=UTC)

# A small but realistic store: two active rotations (shifts and tickets), an
# archived one, finished/pending/assigned tasks, skills, calendars.
COMMANDS = [
    "rotation new ICE --period weekly --beginning 2026-01-05",
    "user join ICE @alice @bob @carol",
    "user qualify @alice @bob --skill webapp-2,server",
    "rotation set task ICE --grace 48h",
    "task new shift ICE --number 0",
    "task fill ICE#0",
    "task schedule ICE#0",
    "task start ICE#0",
    "task finish ICE#0",
    "task new shift ICE --number 1",
    "task assign ICE#1 @carol",
    "rotation new OLD",
    "rotation archive OLD",
    "user unavailable @bob --start 2026-02-01 --finish 2026-02-03",
    "rotation new TIX --task-type ticket",
    "task new ticket TIX --summary hello",
    "user join TIX @dave",
    "task assign TIX#1 @dave",
]


def build(kv) -> dict[str, bytes]:
    """Fill ``kv`` through the command layer; return every stored value."""
    env = Env(kv, LocalDirectory(), RecordingPoster())
    for command in COMMANDS:
        out = execute(env, "lead", command, now=NOW)
        assert out.ok, (command, out.text)
    return raw(kv)


def raw(kv) -> dict[str, bytes]:
    """Every key of the plugin with its stored bytes."""
    return {k: kv.get(k) for k in kv.list_keys(0, 10_000)}


def edit(kv, key: str, **fields) -> None:
    """Change fields of a stored record in place, writing raw JSON."""
    value = json.loads(kv.get(key))
    value.update(fields)
    kv.set(key, json.dumps(value).encode())


class Spy:
    """Delegates to a KVStore and counts the calls made through it."""

    def __init__(self, kv) -> None:
        self.kv = kv
        self.calls: dict[str, int] = {}

    def __getattr__(self, name):
        attr = getattr(self.kv, name)
        if callable(attr):

            def counted(*args, **kwargs):
                self.calls[name] = self.calls.get(name, 0) + 1
                return attr(*args, **kwargs)

            return counted
        return attr


# -- dump / restore -----------------------------------------------------------


def test_realistic_store_is_consistent(kv):
    stored = build(kv)
    assert {"index:open_tasks:OLD", "task:ICE#0", "user:dave", keys.SKILLS} <= set(stored)
    assert check(kv) == []


def test_dump_restore_round_trip_is_byte_identical(kv):
    before = build(kv)
    data = dump(kv)
    assert list(data) == sorted(before)
    # ICE#0 is finished: its number is in the ranges, out of the list every command reads.
    assert data["rotation:ICE"]["TaskIDs"] == ["ICE#1"]
    assert data["rotation:ICE"]["FinishedNumbers"] == [[0, 0]]
    # What an operator keeps is the pretty JSON file.
    data = json.loads(json.dumps(data, indent=2, ensure_ascii=False))
    kv.delete_all()
    assert kv.list_keys(0, 10) == []
    assert restore(kv, data) == len(before)
    assert raw(kv) == before
    assert check(kv) == []


def test_dump_lists_by_pages_and_reads_in_one_batch(kv):
    before = build(kv)
    spy = Spy(kv)
    dump(spy)
    assert spy.calls.get("get", 0) == 0
    assert spy.calls["get_many"] == 1
    assert spy.calls["list_keys"] == 1
    assert len(before) > 10


def test_restore_refuses_a_non_empty_store(kv):
    before = build(kv)
    data = dump(kv)
    kv.delete(keys.user("alice"))
    kv.set("index:open_tasks:EXTRA", b'{"Tasks":{}}')
    changed = raw(kv)
    with pytest.raises(StateError, match="already holds") as err:
        restore(kv, data)
    assert "--replace" in str(err.value)
    assert raw(kv) == changed
    assert restore(kv, data, replace=True) == len(before)
    assert raw(kv) == before  # alice back, the extra key gone


@pytest.mark.parametrize(
    "bad_key, bad_value, named",
    [
        ("task:ICE#1", {"TaskID": 7, "RotationID": "ICE"}, "task:ICE#1"),
        ("user:zed", {"SkillLevels": {}}, "user:zed"),  # MattermostUserID missing
        ("rotation:ICE", [1, 2], "rotation:ICE"),
        ("bogus:key", {}, "bogus:key"),
        ("index:whatever", {"IDs": []}, "index:whatever"),
    ],
)
def test_a_bad_dump_changes_nothing(kv, bad_key, bad_value, named):
    before = build(kv)
    data = dump(kv)
    data[bad_key] = bad_value
    with pytest.raises(InputError, match="nothing was restored") as err:
        restore(kv, data, replace=True)
    assert named in str(err.value)
    assert raw(kv) == before
    kv.delete_all()
    with pytest.raises(InputError):
        restore(kv, data)
    assert raw(kv) == {}
    with pytest.raises(InputError, match="JSON object"):
        restore(kv, [1, 2])


def test_dump_names_a_value_that_is_not_json(kv):
    build(kv)
    kv.set("task:ICE#1", b"\x00 not json")
    with pytest.raises(StateError, match="task:ICE#1"):
        dump(kv)


# -- check --------------------------------------------------------------------


def _set(key, value):
    return lambda kv: kv.set(key, value)


def _delete(key):
    return lambda kv: kv.delete(key)


def _edit(key, **fields):
    return lambda kv: edit(kv, key, **fields)


def _push(queue, entry):
    def push(kv):
        message = new_message(Notice(kind="welcome", user_id="bob", actor_id="alice"), NOW)
        kv.queue(queue).push(entry if entry is not None else encode(message))

    return push


def _add_event(kv):
    user = json.loads(kv.get("user:bob"))
    user["Calendar"].append(
        {
            "Start": "2026-03-01T00:00:00Z",
            "Finish": "2026-03-02T00:00:00Z",
            "Reason": "task",
            "TaskID": "ICE#7",
            "RotationID": "ICE",
        }
    )
    kv.set("user:bob", json.dumps(user).encode())


def _add_member(kv):
    members = json.loads(kv.get("rotation:ICE"))["MattermostUserIDs"]
    edit(kv, "rotation:ICE", MattermostUserIDs=[*members, "erin"])


def _unlisted_task(kv):
    task = json.loads(kv.get("task:ICE#1"))
    task.update(TaskID="ICE#9")
    kv.set("task:ICE#9", json.dumps(task).encode())


ACTIVE, SKILLS = keys.ACTIVE_ROTATIONS, keys.SKILLS
BREAKS = {
    "unknown_key": (_set("stray", b"{}"), {("unknown_key", "stray")}),
    "undecodable": (_set("task:ICE#1", b'{"TaskID": 3}'), {("undecodable", "task:ICE#1")}),
    "undecodable_json": (_set("user:alice", b"not json"), {("undecodable", "user:alice")}),
    "id_mismatch": (_edit("user:alice", MattermostUserID="bob"), {("id_mismatch", "user:alice")}),
    "active_missing": (
        _delete("rotation:TIX"),
        {
            ("active_missing", ACTIVE),
            ("task_unlisted", "task:TIX#1"),
            ("open_tasks_orphan", "index:open_tasks:TIX"),
            ("memberships_orphan", "memberships:TIX"),
        },
    ),
    "active_archived": (_edit("rotation:ICE", IsArchived=True), {("active_archived", ACTIVE)}),
    "active_unlisted": (_set(ACTIVE, b'{"IDs":["ICE"]}'), {("active_unlisted", ACTIVE)}),
    "task_missing": (
        _delete("task:ICE#1"),
        {
            ("task_missing", "rotation:ICE"),
            ("open_tasks_mismatch", "index:open_tasks:ICE"),
            ("event_task_missing", "user:carol"),
        },
    ),
    "task_wrong_rotation": (
        _edit("task:ICE#1", RotationID="TIX"),
        {("task_wrong_rotation", "task:ICE#1"), ("open_tasks_mismatch", "index:open_tasks:ICE")},
    ),
    "task_unlisted": (_unlisted_task, {("task_unlisted", "task:ICE#9")}),
    "task_not_finished": (
        _edit("task:ICE#0", State="started"),
        {("task_not_finished", "task:ICE#0")},
    ),
    "memberships_orphan": (
        _set("memberships:GONE", b'{"RotationID":"GONE","Users":{}}'),
        {("memberships_orphan", "memberships:GONE")},
    ),
    "open_tasks_mismatch": (
        _set("index:open_tasks:ICE", b'{"Tasks":{"ICE#1":[]}}'),
        {("open_tasks_mismatch", "index:open_tasks:ICE")},
    ),
    "open_tasks_missing": (
        _delete("index:open_tasks:TIX"),
        {("open_tasks_missing", "index:open_tasks:TIX")},
    ),
    "open_tasks_orphan": (
        _set("index:open_tasks:GONE", b'{"Tasks":{}}'),
        {("open_tasks_orphan", "index:open_tasks:GONE")},
    ),
    "assignee_missing": (
        _delete("user:dave"),
        {("assignee_missing", "task:TIX#1"), ("member_missing", "rotation:TIX")},
    ),
    "member_missing": (_add_member, {("member_missing", "rotation:ICE")}),
    "event_task_missing": (_add_event, {("event_task_missing", "user:bob")}),
    "skill_unknown": (_set(SKILLS, b'{"IDs":["server"]}'), {("skill_unknown", SKILLS)}),
    "outbox_undecodable": (
        _push(OUTBOX_QUEUE, b"not a message"),
        {("outbox_undecodable", "queue:outbox[0]")},
    ),
    "outbox_dead": (_push(DEAD_QUEUE, None), {("outbox_dead", "queue:outbox.dead[0]")}),
}


def test_every_kind_has_a_deliberate_break():
    assert {name.removesuffix("_json") for name in BREAKS} == set(KINDS)
    assert FIXABLE <= set(KINDS)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_check_detects(kv, name):
    build(kv)
    breaker, expected = BREAKS[name]
    breaker(kv)
    problems = check(kv)
    assert {(p.kind, p.key) for p in problems} == expected
    for problem in problems:
        assert problem.description and "\n" not in problem.description
        assert problem.kind in str(problem) and problem.key in str(problem)


def test_check_describes_what_is_wrong(kv):
    build(kv)
    kv.set("index:open_tasks:ICE", b'{"Tasks":{"ICE#0":["bob"]}}')
    (problem,) = check(kv)
    assert "ICE#0" in problem.description and "ICE#1" in problem.description
    assert problem.fixable


# -- repair -------------------------------------------------------------------


FIXABLE_BREAKS = [
    "active_archived",
    "active_unlisted",
    "open_tasks_mismatch",
    "open_tasks_missing",
    "open_tasks_orphan",
    "skill_unknown",
]


def test_repair_rebuilds_the_derived_records_exactly(kv):
    before = build(kv)
    for name in FIXABLE_BREAKS:
        if name != "active_archived":
            BREAKS[name][0](kv)
    kv.set(ACTIVE, b'{"IDs":["ICE","NOPE"]}')  # also names a missing rotation
    problems = check(kv)
    assert {p.kind for p in problems} == {
        "active_missing",
        "active_unlisted",
        "open_tasks_mismatch",
        "open_tasks_missing",
        "open_tasks_orphan",
        "skill_unknown",
    }
    spy = Spy(kv)
    changes = repair(spy, problems)
    assert spy.calls["run"] == 1
    assert {c.key for c in changes} == {
        ACTIVE,
        SKILLS,
        "index:open_tasks:ICE",
        "index:open_tasks:TIX",
        "index:open_tasks:GONE",
    }
    assert check(kv) == []
    assert raw(kv) == before  # rebuilt byte for byte as the service writes them


def test_repair_of_an_archived_rotation_in_the_index(kv):
    build(kv)
    edit(kv, "rotation:ICE", IsArchived=True)
    (change,) = repair(kv, check(kv))
    assert "removed ICE" in change.description
    assert json.loads(kv.get(ACTIVE)) == {"IDs": ["TIX"]}
    assert check(kv) == []


def test_dry_run_reports_and_writes_nothing(kv):
    build(kv)
    kv.delete("index:open_tasks:TIX")
    broken = raw(kv)
    changes = repair(kv, check(kv), dry_run=True)
    assert [c.key for c in changes] == ["index:open_tasks:TIX"]
    assert json.loads(changes[0].value) == {"Tasks": {"TIX#1": ["dave"]}}
    assert raw(kv) == broken


def test_repair_leaves_records_for_a_person(kv):
    build(kv)
    kv.delete("task:ICE#1")
    rotation = kv.get("rotation:ICE")
    changes = repair(kv, check(kv))
    assert [c.key for c in changes] == ["index:open_tasks:ICE"]
    assert kv.get("rotation:ICE") == rotation
    assert {p.kind for p in check(kv)} == {"task_missing", "event_task_missing"}


def test_repair_skips_what_was_fixed_meanwhile(kv):
    before = build(kv)
    kv.set(ACTIVE, b'{"IDs":["ICE"]}')
    problems = check(kv)
    kv.set(ACTIVE, before[ACTIVE])
    assert repair(kv, problems) == []
    assert raw(kv) == before


def test_repair_keeps_an_undecodable_rotation_listed(kv):
    build(kv)
    kv.set("rotation:TIX", b"{broken")
    edit(kv, "rotation:ICE", IsArchived=True)
    repair(kv, check(kv))
    assert json.loads(kv.get(ACTIVE)) == {"IDs": ["TIX"]}


# -- the lotto-store program ----------------------------------------------------


def _run(*args: str, env: dict[str, str] | None = None, via: str = "venv"):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    full_env.update(env or {})
    if via == "path":  # as an operator runs it with the venv activated
        full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env.get('PATH', '')}"
        cmd = [str(SCRIPT)]
    elif via == "module":
        cmd = [sys.executable, "-m", "lotto.maintenance"]
    else:
        cmd = [sys.executable, str(SCRIPT)]
    return subprocess.run(
        [*cmd, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def redis_kv(redis_url, plugin_id):
    store = kvstore.open(redis_url, plugin_id)
    Engine(store).flush()
    yield store
    store.close()


def test_script_backup_restore_check_repair(redis_kv, redis_url, tmp_path):
    kv = redis_kv
    before = build(kv)
    backup = tmp_path / "backup.json"
    out = _run("--store", redis_url, "dump", "--output", str(backup), via="path")
    assert out.returncode == 0, out.stderr
    assert f"dumped {len(before)} key(s)" in out.stderr
    assert json.loads(backup.read_text())["index:skills"] == {"IDs": ["server", "webapp"]}
    assert backup.read_text().startswith('{\n  "index:active_rotations": {')

    Engine(kv).flush()
    out = _run("restore", str(backup), env={"LOTTO_STORE": redis_url})
    assert out.returncode == 0, out.stderr
    assert raw(kv) == before
    out = _run("check", "--store", redis_url)
    assert (out.returncode, out.stdout) == (0, "")

    out = _run("--store", redis_url, "restore", str(backup))
    assert out.returncode == 1 and "--replace" in out.stderr
    assert _run("--store", redis_url, "restore", "--replace", str(backup)).returncode == 0

    kv.delete("index:open_tasks:TIX")
    kv.delete("user:dave")
    out = _run("--store", redis_url, "check")
    assert out.returncode == 1
    assert "open_tasks_missing: index:open_tasks:TIX" in out.stdout
    assert "member_missing: rotation:TIX" in out.stdout
    out = _run("--store", redis_url, "repair", "--dry-run", via="module")
    assert "would write index:open_tasks:TIX" in out.stdout
    assert kv.get("index:open_tasks:TIX") is None
    out = _run("--store", redis_url, "repair")
    assert out.returncode == 1  # the missing user needs a person
    assert "wrote index:open_tasks:TIX" in out.stdout
    assert "left for a person: assignee_missing: task:TIX#1" in out.stdout
    assert kv.get("index:open_tasks:TIX") == before["index:open_tasks:TIX"]

    out = _run("--store", redis_url, "keys")
    assert out.stdout.split() == sorted(k for k in before if k != "user:dave")


def test_moving_from_sqlite_to_redis_is_dump_then_restore(redis_kv, redis_url, tmp_path):
    """Issue 16: lotto-store works on the SQLite file, and a dump of it restores into Redis."""
    sqlite_url = f"sqlite://{tmp_path / 'lotto.db'}"
    with kvstore.open(sqlite_url, redis_kv.plugin_id) as local:
        before = build(local)
    out = _run("--store", sqlite_url, "check")
    assert (out.returncode, out.stdout) == (0, "")
    out = _run("--store", sqlite_url, "repair", "--dry-run")
    assert out.returncode == 0, out.stderr
    backup = tmp_path / "backup.json"
    out = _run("--store", sqlite_url, "dump", "--output", str(backup))
    assert out.returncode == 0 and f"dumped {len(before)} key(s)" in out.stderr, out.stderr
    out = _run("--store", redis_url, "restore", str(backup))
    assert out.returncode == 0, out.stderr
    assert raw(redis_kv) == before  # byte for byte
    assert _run("--store", redis_url, "check").returncode == 0
    # The commands go on from Redis where they left off on the file.
    env = Env(redis_kv, LocalDirectory(), RecordingPoster())
    assert execute(env, "lead", "task fill ICE#1", now=NOW).ok
    # And back: a Redis dump restores into a new file the same way.
    back = f"sqlite://{tmp_path / 'back.db'}"
    assert _run("--store", redis_url, "dump", "--output", str(backup)).returncode == 0
    assert _run("--store", back, "restore", str(backup)).returncode == 0
    with kvstore.open(back, redis_kv.plugin_id) as again:
        assert raw(again) == raw(redis_kv)


def test_no_store_names_the_lotto_programs_own_file():
    out = _run("dump")
    assert out.returncode == 2
    assert "sqlite://" in out.stderr and "solar-lottery/lotto.db" in out.stderr


def test_script_dump_to_stdout_and_other_plugin_ids(redis_kv, redis_url):
    build(redis_kv)
    out = _run("--store", redis_url, "dump")
    assert json.loads(out.stdout)["rotation:TIX"]["TaskType"] == "ticket"
    out = _run("--store", redis_url, "--plugin-id", "other.plugin", "dump")
    assert (out.returncode, json.loads(out.stdout)) == (0, {})


def test_script_errors_are_one_paragraph(redis_url, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"task:X#1": {"TaskID": "X#1"}}')
    cases = [
        ((), 2, "no command"),
        (("check",), 2, "LOTTO_STORE"),
        (("--store", "bogus://x", "check"), 2, "bogus"),
        (("--store", redis_url, "--plugin-id", "bad id!", "check"), 2, "plugin id"),
        (("--store", redis_url, "frobnicate"), 2, "frobnicate"),
        (("--store", redis_url, "restore", str(tmp_path / "missing.json")), 2, "cannot read"),
        (("--store", redis_url, "restore", str(bad)), 2, "not a JSON dump"),
        (("--store", redis_url, "restore", str(wrong)), 2, "task:X#1"),
        (("--store", "redis://127.0.0.1:1/0", "check"), 1, "Redis is running"),
    ]
    for args, code, text in cases:
        out = _run(*args)
        assert out.returncode == code, (args, out.stderr)
        assert text in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
        assert out.stderr.startswith("lotto-store: ") and out.stderr.count("\n") == 1


def test_main_in_process(capsys, monkeypatch):
    # main() opens its own store: memory:// stores of one name are shared within the process.
    url = f"memory://maintenance-{uuid.uuid4().hex}"
    monkeypatch.setenv("LOTTO_STORE", url)
    kv = kvstore.open(url, "com.mattermost.solar-lottery")
    try:
        build(kv)
        assert main(["check"]) == 0
        kv.delete(ACTIVE)
        assert main(["check"]) == 1
        assert "active_unlisted: index:active_rotations" in capsys.readouterr().out
        assert main(["repair"]) == 0
        assert "wrote index:active_rotations" in capsys.readouterr().out
        assert main(["check"]) == 0
    finally:
        kv.close()
        discard_memory(url)


def test_lotto_store_outbox_shows_the_backlog_and_requeues_dead_letters(kv, store_url, capsys):
    build(kv)
    _push(OUTBOX_QUEUE, None)(kv)
    _push(DEAD_QUEUE, None)(kv)
    args = ["--store", store_url, "--plugin-id", kv.plugin_id, "outbox"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("waiting: 1; oldest: ") and out.splitlines()[0].endswith(
        "dead letters: 1"
    )
    assert "welcome" in out and "to bob" in out
    assert main([*args, "--requeue-dead", "--list", "0"]) == 0
    assert capsys.readouterr().out.startswith("waiting: 2;")
    assert kv.queue(DEAD_QUEUE).length() == 0
    assert main([*args, "--list", "-1"]) == 2
