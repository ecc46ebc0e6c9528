"""The HTTP edge of ``lotto serve`` against raw sockets: slow clients, idle floods, hang-ups.

Issue 19 item 4: a body sent at 1 byte/s stayed open indefinitely, 1,100 idle
connections under a 1,024-descriptor limit made ``/healthz`` time out (with a
traceback per failed ``accept()``), and each client that hung up mid-body
logged a ``ClientDisconnect`` traceback.
"""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import time
from urllib.parse import urlsplit

import httpx

from shim.edges import quiet_accept_errors
from tests.shim.conftest import wait_for

SLACK = 2.0  # what a loaded two-core machine may add to a bound
FORM_HEAD = (
    b"POST /api/v1/slash HTTP/1.1\r\nHost: shim\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
)


def _address(shim) -> tuple[str, int]:
    parts = urlsplit(shim.url)
    return str(parts.hostname), int(parts.port or 80)


def _trickle(sock: socket.socket, give_up: float) -> bytes:
    """Send one byte every 0.1 s (a slowloris client) until the server closes; what it sent.

    Fails if the connection is still open after ``give_up`` seconds.
    """
    answer = b""
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], 0.1)
        try:
            if readable:
                data = sock.recv(65536)
                if not data:
                    return answer
                answer += data
            else:
                sock.send(b"x")
        except (BrokenPipeError, ConnectionResetError):
            return answer
    raise AssertionError(f"the connection was still open after {give_up} s: {answer!r}")


def test_a_body_sent_byte_by_byte_is_cut_off_within_the_body_timeout(
    fake_mm, redis_url, start_shim
):
    shim = start_shim(fake_mm, redis_url, "--autopilot-interval", "0", "--body-timeout", "1")
    with socket.create_connection(_address(shim), timeout=10) as sock:
        sock.sendall(FORM_HEAD)
        start = time.monotonic()
        answer = _trickle(sock, give_up=30)
        elapsed = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in answer.lower()
    assert b'"kind":"RequestTimeoutError"' in answer.replace(b" ", b"")
    assert elapsed < 1 + SLACK, elapsed
    assert "Traceback" not in shim.log()
    # The shim still serves everyone else.
    assert httpx.get(shim.url + "/healthz", timeout=10).status_code == 200


def test_a_request_head_sent_byte_by_byte_is_cut_off_within_the_header_timeout(
    fake_mm, redis_url, start_shim
):
    shim = start_shim(fake_mm, redis_url, "--autopilot-interval", "0", "--header-timeout", "1")
    with socket.create_connection(_address(shim), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: shim\r\nX-Slow: ")
        start = time.monotonic()
        answer = _trickle(sock, give_up=30)
        elapsed = time.monotonic() - start
    assert answer == b""  # nothing was asked, so nothing is answered: the connection closes
    assert elapsed < 1 + SLACK, elapsed


def test_an_answer_before_the_body_closes_the_connection(fake_mm, redis_url, start_shim):
    # A request refused before its body is read (here: a bad token in the header) must not
    # let the client go on trickling the body into a kept-alive connection.
    shim = start_shim(fake_mm, redis_url, "--autopilot-interval", "0")
    head = (
        b"POST /hooks/OnActivate HTTP/1.1\r\nHost: shim\r\nAuthorization: Bearer wrong\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(_address(shim), timeout=10) as sock:
        sock.sendall(head)
        answer = _trickle(sock, give_up=30)
    assert answer.startswith(b"HTTP/1.1 401 "), answer
    assert b"connection: close" in answer.lower()


def test_many_idle_connections_do_not_stop_healthz_or_commands(fake_mm, redis_url, start_shim):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    # 256 open files leave room for 128 client connections; the flood opens 400 and never
    # sends a byte. The header timeout is long, so only the connection limit can help.
    shim = start_shim(
        fake_mm,
        redis_url,
        "--autopilot-interval",
        "0",
        "--header-timeout",
        "120",
        open_files=256,
    )
    flood = [socket.create_connection(_address(shim), timeout=10) for _ in range(400)]
    try:
        with httpx.Client(base_url=shim.url, timeout=10) as http:
            health = http.get("/healthz")
            assert health.status_code == 200, health.text
        reply = shim.slash("info", boss)
        assert reply.status_code == 200 and "Command failed" not in reply.json()["text"]
        # The longest-idle connections were closed to make room: the oldest ones see EOF.
        assert flood[0].recv(1) == b""
    finally:
        for sock in flood:
            sock.close()
    log = shim.log()
    assert "Traceback" not in log and "out of system resource" not in log, log[-3000:]
    assert 1 <= log.count("connection limit (128) reached") <= 2, log[-3000:]


def test_a_client_that_hangs_up_mid_body_is_one_log_line(fake_mm, redis_url, start_shim):
    shim = start_shim(fake_mm, redis_url, "--autopilot-interval", "0")
    for _ in range(3):
        with socket.create_connection(_address(shim), timeout=10) as sock:
            sock.sendall(FORM_HEAD + b"token=abc&text=rotation")
    line = "INFO shim.app: a client went away before its request was read (POST /api/v1/slash)"
    wait_for(lambda: shim.log().count(line) == 3, timeout=20)
    log = shim.log()
    assert "Traceback" not in log and "ClientDisconnect" not in log, log[-3000:]
    assert httpx.get(shim.url + "/healthz", timeout=10).status_code == 200


def test_when_every_connection_is_busy_a_new_one_gets_503(fake_mm, redis_url, start_shim):
    # 140 open files: room for 12 connections. Each of 12 clients is mid-body (busy),
    # so there is no idle one to close for the thirteenth.
    shim = start_shim(
        fake_mm, redis_url, "--autopilot-interval", "0", "--body-timeout", "120", open_files=140
    )
    busy = []
    try:
        for _ in range(12):
            sock = socket.create_connection(_address(shim), timeout=10)
            busy.append(sock)
            sock.sendall(FORM_HEAD.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
            # "100 Continue" comes once the shim reads the body: the connection is busy.
            assert sock.recv(100).startswith(b"HTTP/1.1 100 ")
            sock.sendall(b"token=")
        with socket.create_connection(_address(shim), timeout=10) as late:
            late.sendall(b"GET /healthz HTTP/1.1\r\nHost: shim\r\n\r\n")
            answer = _trickle(late, give_up=30)
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"too many connections" in answer
    finally:
        for sock in busy:
            sock.close()
    assert "every connection is busy: refused one (503)" in shim.log()
    assert httpx.get(shim.url + "/healthz", timeout=10).status_code == 200


def test_accept_running_out_of_descriptors_is_one_line_a_minute(caplog):
    loop = asyncio.new_event_loop()
    try:
        quiet_accept_errors(loop)
        with caplog.at_level(logging.WARNING, logger="shim.http"):
            for _ in range(1000):
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(24, "Too many open files"),
                    }
                )
    finally:
        loop.close()
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None
    assert "out of file descriptors ([Errno 24] Too many open files)" in caplog.text
