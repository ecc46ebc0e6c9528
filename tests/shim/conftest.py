"""Fixtures for the shim tests: the fake Mattermost server and ``lotto serve`` processes."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from shim.boot import bootstrap
from shim.config import load
from shim.runtime import Runtime
from tests.shim.fake_mattermost import FakeMattermost
from tests.shim.openapi import OpenAPI, load_spec

ROOT = Path(__file__).resolve().parents[2]
SLASH_TOKEN = "slashtoken0123456789abcdefgh"  # 28 characters: Mattermost's have 26
SECRET = "shim-secret-0123456789abcdef"


def wait_for(
    condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.02
) -> object:
    """Poll ``condition`` until it is truthy (returned) or ``timeout`` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    """The Mattermost OpenAPI description, parsed once per session."""
    return load_spec()


@pytest.fixture
def fake_mm(openapi: OpenAPI) -> Iterator[FakeMattermost]:
    """A fresh fake Mattermost; the test fails if any request broke the OpenAPI contract."""
    fake = FakeMattermost(openapi).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == [], fake.violations


@pytest.fixture
def runtime(fake_mm: FakeMattermost, redis_url: str) -> Iterator[Runtime]:
    """A started shim runtime (no HTTP server, no outbox worker thread: a test drives
    delivery itself) on the session's Redis, under a plugin id of its own."""
    plugin = f"com.mattermost.solar-lottery.rt-{uuid.uuid4().hex[:8]}"
    config = load(
        ["--autopilot-interval", "0"],
        {
            "LOTTO_STORE": redis_url,
            "LOTTO_MATTERMOST_URL": fake_mm.url,
            "LOTTO_BOT_TOKEN": fake_mm.bot_token,
            "LOTTO_SLASH_TOKEN": SLASH_TOKEN,
        },
    )
    rt = bootstrap(dataclasses.replace(config, plugin_id=plugin))
    try:
        yield rt
    finally:
        rt.store.delete_all()
        rt.close()


@pytest.fixture
def plugin_json(tmp_path: Path) -> str:
    """A copy of ``plugin.json`` with a plugin id of its own (so replicas share a fresh
    namespace of the session's Redis); its path."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.replicas-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    return str(path)


class ShimProcess:
    """A running ``python -m shim`` subprocess."""

    def __init__(self, proc: subprocess.Popen, url: str, log_path: Path) -> None:
        self.proc = proc
        self.url = url
        self.log_path = log_path
        self.http = httpx.Client(base_url=url, timeout=30)

    def log(self) -> str:
        """What the process wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

    def slash(
        self,
        text: str,
        user: dict,
        *,
        token: str = SLASH_TOKEN,
        command: str = "/lotto",
        team_id: str = "team000000000000000000000",
    ) -> httpx.Response:
        """Post a slash command exactly as Mattermost does (form-encoded), typed in ``team_id``."""
        form = {
            "channel_id": "channel0000000000000000000",
            "channel_name": "town-square",
            "command": command,
            "response_url": "http://127.0.0.1:1/hooks/commands/x",
            "team_domain": "team",
            "team_id": team_id,
            "text": text,
            "token": token,
            "trigger_id": "trigger",
            "user_id": user["id"],
            "user_name": user["username"],
        }
        return self.http.post(
            "/api/v1/slash", data=form, headers={"Authorization": f"Token {token}"}
        )

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def shim_env(**overrides: str) -> dict[str, str]:
    """The environment for a shim subprocess (no inherited LOTTO_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env


def serve_once(**env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m shim`` with ``env`` (the LOTTO_* settings) until it exits, e.g. on a
    configuration error; its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "shim"],
        cwd=ROOT,
        env=shim_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _serve_command() -> list[str]:
    """``lotto serve`` through the installed console script (falls back to its entry point)."""
    script = Path(sys.executable).with_name("lotto")
    if script.exists():
        return [str(script), "serve"]
    code = (
        "import sys; from shim.entry import main; sys.exit(main(['lotto', 'serve', *sys.argv[1:]]))"
    )
    return [sys.executable, "-c", code]


@pytest.fixture
def start_shim(tmp_path: Path) -> Iterator[Callable[..., ShimProcess]]:
    """Start shim processes: ``start_shim(fake_mm, store_url, *flags, **env)``; stopped at teardown.

    Returns once ``/healthz`` answers 200 (or answers at all, with ``wait_healthy=False``).
    ``open_files`` lowers the process's open-files limit (RLIMIT_NOFILE) to that number;
    ``credentials=False`` leaves out the token and secret flags (give them as ``env``).
    """
    started: list[ShimProcess] = []

    def start(
        fake: FakeMattermost,
        store: str,
        *flags: str,
        wait_healthy: bool = True,
        open_files: int | None = None,
        credentials: bool = True,
        **env: str,
    ) -> ShimProcess:
        port = free_port()
        log_path = tmp_path / f"shim-{port}.log"
        args = [
            *_serve_command(),
            "--listen",
            f"127.0.0.1:{port}",
            "--store",
            store,
            "--mattermost-url",
            fake.url,
            *(
                ("--bot-token", fake.bot_token, "--slash-token", SLASH_TOKEN, "--secret", SECRET)
                if credentials
                else ()
            ),
            *flags,
        ]

        def limit_files() -> None:
            if open_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=shim_env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=limit_files,
            )
        shim = ShimProcess(proc, f"http://127.0.0.1:{port}", log_path)
        started.append(shim)

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"shim exited with {proc.returncode}:\n{shim.log()}")
            try:
                status = httpx.get(shim.url + "/healthz", timeout=1).status_code
                return status == 200 or not wait_healthy
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=20, interval=0.05)
        return shim

    yield start
    for shim in started:
        shim.stop()
