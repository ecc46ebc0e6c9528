"""Heavy commands run in worker processes, bounded and cancellable (issue 15 item 5, issue 19
item 2), through a real ``lotto serve``, the fake Mattermost and the session's redis-server.

Measured before: a forecast ran in a request thread (sharing the GIL with every other
command); six of them filled the threads, and a ``task show`` then failed with "Redis did
not answer in time" because its deadline started when the request arrived; nothing bounded
how many ran, per person or in all, nor stopped one whose client had gone.

A heavy command is held where we want it by the fake Mattermost: the worker's first
request (its lookup of the acting user) waits for an event the test sets.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from shim.pool import BUSY
from tests.shim.conftest import SECRET, SLASH_TOKEN, ShimProcess, wait_for

USER_LOOKUP = "GET /api/v4/users/{user_id}"
FLAGS = ("--autopilot-interval", "0", "--debug-endpoints", "--command-timeout", "30")


def _text(response: httpx.Response) -> str:
    return str(response.json()["text"])


def _ok(response: httpx.Response) -> str:
    text = _text(response)
    assert "Command failed" not in text, text
    return text


def _hold(fake, call: str = USER_LOOKUP) -> tuple[threading.Event, threading.Event]:
    """The next ``call`` to the fake waits for ``release``; ``arrived`` is set when it came."""
    arrived, release = threading.Event(), threading.Event()

    def hook() -> None:
        arrived.set()
        release.wait(timeout=120)

    fake.before[call] = hook
    return arrived, release


def _pool(shim: ShimProcess) -> dict:
    r = shim.http.get("/debug/pool", headers={"Authorization": f"Bearer {SECRET}"})
    assert r.status_code == 200, r.text
    return r.json()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped is a zombie: dead for our purposes.
    with open(f"/proc/{pid}/status") as status:
        return "zombie" not in status.read()


@pytest.fixture
def serve(fake_mm, redis_url, start_shim, plugin_json) -> Callable[..., ShimProcess]:
    """Start ``lotto serve`` on a fresh namespace with the debug endpoints and extra flags."""

    def start(*flags: str) -> ShimProcess:
        return start_shim(fake_mm, redis_url, *FLAGS, "--plugin-json", plugin_json, *flags)

    return start


@pytest.fixture
def people(fake_mm) -> dict[str, dict]:
    """A plugin admin and three members."""
    users = {"boss": fake_mm.add_user("boss", roles="system_user system_admin")}
    for name in ("ann", "bob", "cid"):
        users[name] = fake_mm.add_user(name)
    return users


def _rotation(shim: ShimProcess, people: dict[str, dict]) -> None:
    boss = people["boss"]
    _ok(shim.slash("rotation new FC --beginning 2030-01-07T09:00", boss))
    _ok(shim.slash("user join FC @ann @bob @cid", boss))
    _ok(shim.slash("task new shift FC --number 0 --force", boss))


def test_a_heavy_command_runs_in_another_process_while_light_ones_answer(serve, fake_mm, people):
    shim = serve("--workers", "1")
    _rotation(shim, people)
    _ok(shim.slash("skill list", people["bob"]))  # bob's profile is cached in the shim
    arrived, release = _hold(fake_mm)
    with ThreadPoolExecutor(1) as ex:
        forecast = ex.submit(shim.slash, "rotation forecast FC --shifts 4", people["ann"])
        assert arrived.wait(60)  # the forecast is under way, held in its worker
        running = _pool(shim)["running"]
        assert [r["command"] for r in running] == ["rotation forecast"], running
        assert running[0]["pid"] not in (0, shim.proc.pid)  # another process
        # Light commands are answered by the shim meanwhile.
        _ok(shim.slash("skill list", people["bob"]))
        _ok(shim.slash("task show FC#0", people["bob"]))
        assert not forecast.done()
        release.set()
        assert "Forecast for rotation FC" in _ok(forecast.result(60))
    assert _pool(shim)["running"] == []


def test_a_full_pool_is_busy_and_one_heavy_command_per_person(serve, fake_mm, people):
    shim = serve("--workers", "1")
    _rotation(shim, people)
    _ok(shim.slash("task show FC#0", people["bob"]))
    arrived, release = _hold(fake_mm)
    with ThreadPoolExecutor(1) as ex:
        first = ex.submit(shim.slash, "rotation forecast FC --shifts 4", people["ann"])
        assert arrived.wait(60)
        # ann's second heavy command is answered at once, and runs nothing.
        again = _text(shim.slash("rotation stats FC", people["ann"]))
        assert "Your forecast is still running" in again and "Command failed" in again, again
        # Someone else finds the one worker taken: busy, not a misleading store error.
        busy = _text(shim.slash("rotation forecast FC", people["bob"]))
        assert BUSY in busy and "Redis" not in busy, busy
        # A show of a small rotation is no heavy command: it is answered.
        assert "Members (3)" in _ok(shim.slash("rotation show FC", people["bob"]))
        release.set()
        _ok(first.result(60))
    assert "Forecast for rotation FC" in _ok(shim.slash("rotation forecast FC", people["bob"]))
    assert "Forecast for @ann in rotation FC" in _ok(shim.slash("user forecast FC", people["ann"]))


def test_a_heavy_command_past_its_budget_is_stopped_and_its_worker_replaced(serve, fake_mm, people):
    shim = serve("--workers", "1", "--heavy-timeout", "1")
    _rotation(shim, people)
    arrived, release = _hold(fake_mm)
    try:
        reply = _text(shim.slash("rotation forecast FC", people["ann"]))
        assert arrived.is_set()
        assert "`rotation forecast` was stopped: it ran out of its time budget (1 s)" in reply
        assert "fewer `--shifts` or `--samples`" in reply
        assert "replacing worker process" in shim.log()
    finally:
        release.set()
    # The worker that ran it is gone; a new one answers the next heavy command.
    first = int(shim.log().split("replacing worker process ")[1].split(":")[0])
    wait_for(lambda: not _alive(first), timeout=30)
    assert "Forecast for rotation FC" in _ok(shim.slash("rotation forecast FC", people["ann"]))
    assert first not in _pool(shim)["pids"]


def test_a_heavy_command_whose_client_went_away_is_stopped(serve, fake_mm, people):
    shim = serve("--workers", "1", "--heavy-timeout", "120")
    _rotation(shim, people)
    arrived, release = _hold(fake_mm)
    try:
        sock = _send_slash(shim, "rotation forecast FC", people["ann"])
        assert arrived.wait(60)
        [running] = _pool(shim)["running"]
        sock.close()  # the client gives up
        wait_for(lambda: not _alive(running["pid"]), timeout=60)
        wait_for(lambda: "went away" in shim.log(), timeout=10)
        assert _pool(shim)["running"] == []
    finally:
        release.set()
    assert "Forecast for rotation FC" in _ok(shim.slash("rotation forecast FC", people["ann"]))


def test_light_commands_never_wait_behind_heavy_ones(serve, fake_mm, people):
    # One request thread and a 1 s bound (0.75 s for Redis), and a forecast of 300 members
    # that takes seconds of processor time. Before, the forecast held the thread and the
    # commands behind it failed ("the store (Redis) did not answer in time"): their
    # deadlines had passed by the time the thread took them.
    shim = serve("--workers", "1", "--threads", "1", "--command-timeout", "1")
    _rotation(shim, people)
    names = [fake_mm.add_user(f"m{n:03}")["username"] for n in range(297)]
    _ok(shim.slash("user join FC " + " ".join(f"@{n}" for n in names), people["boss"]))
    _ok(shim.slash("task show FC#0", people["bob"]))
    # The worker's first lookups of 300 profiles may take it longer than the bound.
    warm = "rotation forecast FC --shifts 1 --samples 1"
    wait_for(lambda: "Command failed" not in _text(shim.slash(warm, people["ann"])), timeout=60)
    with ThreadPoolExecutor(3) as ex:
        big = ex.submit(
            shim.slash, "rotation forecast FC --shifts 52 --samples 1000", people["ann"]
        )
        wait_for(lambda: _pool(shim)["running"], timeout=60)
        assert "FC#0" in _ok(shim.slash("task show FC#0", people["bob"]))
        _ok(shim.slash("skill list", people["bob"]))
        assert "Forecast for rotation FC: next 52 shifts" in _ok(big.result(120))


def _send_slash(shim: ShimProcess, text: str, user: dict) -> socket.socket:
    """Post a slash command on a raw socket (so the test can hang up); the open socket."""
    form = urlencode(
        {
            "token": SLASH_TOKEN,
            "team_id": "team000000000000000000000",
            "user_id": user["id"],
            "command": "/lotto",
            "text": text,
        }
    ).encode()
    parts = urlsplit(shim.url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.sendall(
        b"POST /api/v1/slash HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(form)}\r\n\r\n".encode()
        + form
    )
    return sock
