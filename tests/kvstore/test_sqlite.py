"""The SQLite engine beyond the shared contract: URLs, the file, busy writers, processes.

The KV contract, units of work, locks and queues run on SQLite through the
``kv``/``store_url`` fixtures like on every engine; this file covers what only a
file has: where it is, who may read it, other processes writing it at once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import kvstore
from kvstore import BackendError, BackendNoAnswerError, InvalidArgumentError

from .helpers import Engine

PLUGIN = "com.mattermost.solar-lottery"
ROOT = Path(__file__).parents[2]
SLACK = 1.5  # seconds a loaded 2-core machine may add to a bounded wait


def test_absolute_home_and_relative_paths(tmp_path, monkeypatch):
    absolute = tmp_path / "abs.db"
    with kvstore.open(f"sqlite://{absolute}", PLUGIN) as kv:
        kv.set("k", b"absolute")
    assert str(absolute).startswith("/") and absolute.exists()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    with kvstore.open("sqlite://~/in-home.db", PLUGIN) as kv:
        kv.set("k", b"home")
    assert (tmp_path / "home" / "in-home.db").exists()
    monkeypatch.chdir(tmp_path)
    with kvstore.open("sqlite://relative.db?timeout=2", PLUGIN) as kv:
        assert kv.timeout == 2.0
        kv.set("k", b"relative")
        assert kv.backend.path == str(tmp_path / "relative.db")  # type: ignore[attr-defined]
    with kvstore.open(f"sqlite://{absolute}", PLUGIN) as kv:
        assert kv.get("k") == b"absolute"  # it persisted


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///", "sqlite:///tmp/x.db?journal=off", "sqlite:///tmp/x.db?timeout=0"],
)
def test_bad_sqlite_urls_are_refused(url):
    with pytest.raises(InvalidArgumentError):
        kvstore.open(url, PLUGIN)


def test_a_missing_directory_is_refused_and_nothing_is_made(tmp_path):
    with pytest.raises(InvalidArgumentError, match="directory .* does not exist"):
        kvstore.open(f"sqlite://{tmp_path}/nope/lotto.db", PLUGIN)
    assert not (tmp_path / "nope").exists()


def test_a_file_that_is_not_a_database_is_a_backend_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just some text that is long enough " * 20)
    with pytest.raises(BackendError, match="SQLite failed") as info:
        kvstore.open(f"sqlite://{path}", PLUGIN)
    assert info.value.engine == "SQLite"
    assert path.read_text().startswith("not a database")


def test_the_file_is_the_owners_in_wal_mode_with_readable_rows(tmp_path, plugin_id):
    path = tmp_path / "lotto.db"
    with kvstore.open(f"sqlite://{path}", plugin_id) as kv:
        kv.set("rotation:SET", b'{"RotationID":"SET"}')
    assert path.stat().st_mode & 0o777 == 0o600
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = db.execute("SELECT key, CAST(value AS TEXT), expires FROM kv").fetchall()
    # The same full keys as in Redis, so a dump of one restores into the other.
    assert rows == [(f"{plugin_id}:rotation:SET", '{"RotationID":"SET"}', None)]


def test_expired_rows_are_deleted_by_later_writes(tmp_path):
    kv = kvstore.open(f"sqlite://{tmp_path / 'sweep.db'}", PLUGIN)
    kv.set_with_expiry("temp", b"x", 60)
    Engine(kv).expire_soon(kv.full_key("temp"))
    assert kv.get("temp") is None and kv.list_keys(0, 10) == []
    kv.set("other", b"y")  # any write transaction sweeps what has expired
    path = kv.backend.path  # type: ignore[attr-defined]
    with contextlib.closing(sqlite3.connect(path)) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM kv")]
    assert keys == [kv.full_key("other")]
    kv.close()


@contextlib.contextmanager
def _writer_holding_the_lock(path: Path):
    """Another connection inside BEGIN IMMEDIATE: the file's write lock is taken."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


def test_a_busy_file_fails_within_the_deadline_and_never_says_locked(tmp_path):
    path = tmp_path / "busy.db"
    kv = kvstore.open(f"sqlite://{path}?timeout=0.5", PLUGIN)
    kv.set("a", b"1")
    with _writer_holding_the_lock(path):
        assert kv.get("a") == b"1"  # WAL: readers never wait for the writer
        start = time.monotonic()
        with pytest.raises(BackendNoAnswerError) as info:
            kv.run(lambda uow: uow.set("b", uow.get("a")))
        elapsed = time.monotonic() - start
    assert 0.4 < elapsed < 0.5 + SLACK, elapsed
    assert "nothing was written" in str(info.value)
    assert "locked" not in str(info.value)
    assert kv.get("b") is None
    kv.run(lambda uow: uow.set("b", uow.get("a")))  # free again: it goes through
    assert kv.get("b") == b"1"
    kv.close()


def test_a_writer_waits_for_the_lock_within_its_deadline(tmp_path):
    path = tmp_path / "wait.db"
    kv = kvstore.open(f"sqlite://{path}", PLUGIN)
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _writer_holding_the_lock(path):
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    done = threading.Event()
    writer = threading.Thread(target=lambda: (kv.set("k", b"v"), done.set()))
    writer.start()
    assert not done.wait(0.2)  # waiting for the lock, not failing
    release.set()
    holder.join(10)
    writer.join(10)
    assert done.is_set() and kv.get("k") == b"v"
    kv.close()


def test_a_passed_deadline_runs_nothing(tmp_path):
    kv = kvstore.open(f"sqlite://{tmp_path / 'late.db'}", PLUGIN)
    with kv.deadline(time.monotonic() - 1):
        with pytest.raises(BackendNoAnswerError, match="nothing was written"):
            kv.set("never", b"x")
    assert kv.get("never") is None
    kv.close()


def test_a_closed_store_fails_cleanly(tmp_path):
    kv = kvstore.open(f"sqlite://{tmp_path / 'closed.db'}", PLUGIN)
    kv.close()
    with pytest.raises(BackendError, match="closed"):
        kv.get("k")


_INCREMENT = textwrap.dedent(
    """
    import sys, kvstore
    url, plugin, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kv = kvstore.open(url, plugin)
    def bump(uow):
        uow.set("n", str(int(uow.get("n") or b"0") + 1).encode())
        uow.enqueue("outbox", b"bumped")
    for _ in range(rounds):
        kv.run(bump)
    kv.close()
    """
)


def test_processes_sharing_a_file_lose_no_update(tmp_path):
    """Eight processes increment one counter while another lists and reads everything."""
    url = f"sqlite://{tmp_path / 'shared.db'}"
    kvstore.open(url, PLUGIN).close()
    processes, rounds = 8, 25
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _INCREMENT, url, PLUGIN, str(rounds)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    reader = kvstore.open(url, PLUGIN)
    seen = 0
    while any(w.poll() is None for w in writers):
        seen = max(seen, int(reader.get_many(["n"])["n"] or b"0"))  # a dump's reads
        reader.list_keys(0, 100)
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0] * processes, errors
    assert all("locked" not in e and "Traceback" not in e for e in errors), errors
    assert reader.get("n") == str(processes * rounds).encode()
    assert reader.queue("outbox").length() == processes * rounds
    assert seen <= processes * rounds
    reader.close()
