"""Everything one shim process runs against: the :class:`Runtime`, made whole and
immutable by :func:`shim.boot.bootstrap` (nothing of it is set later). Only the plugin
settings (``AdminUserIDs``, ``AdminLogLevel``, ``AdminLogVerbose``) can change at run
time, through the ``OnConfigurationChange`` hook (:meth:`Runtime.reconfigure`).

Waits are bounded by ``--command-timeout`` and ``--health-timeout``: of each
bound, all but a small reserve for building and sending the answer (a quarter,
at most a second; :func:`waiting_time`) may be spent waiting for Redis. A
command's deadline starts when its request arrives, so it answers within the
bound even when every thread waits for a frozen Redis; a heavy command
(:meth:`Runtime.run_heavy`) holds no thread, and its deadlines start when a
worker process takes it up.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any, Protocol

from lotto.commands import Env, autopilot_all, execute
from lotto.errors import LottoError
from shim.adminlog import AdminLogHandler
from shim.autopilot import Autopilot
from shim.config import LOG_LEVELS, Config
from shim.directory import MattermostDirectory, MattermostPoster
from shim.errors import MattermostError, RequestError, StoreUnavailable, UnknownUserError
from shim.heavy import big_rotation_command
from shim.mattermost import MattermostClient
from shim.mattermost import deadline as mattermost_deadline
from shim.outbox import OutboxWorker

__all__ = ["Runtime", "Settings", "HeavyRunner", "waiting_time"]

_log = logging.getLogger("shim.runtime")


def waiting_time(bound: float) -> float:
    """The part of an answer ``bound`` (seconds) that may be spent waiting for Redis.

    A quarter of the bound (at most a second) is kept back for everything else an
    answer does, so a busy machine still answers in time.
    """
    return bound - min(1.0, bound / 4)


class HeavyRunner(Protocol):
    """The heavy-command pool (``shim.pool.HeavyPool``) as the runtime uses it."""

    @property
    def started(self) -> bool:
        """Whether it takes work (``start`` was called)."""
        ...

    def start(self) -> None:
        """Start taking work."""
        ...

    def status(self) -> dict[str, Any]:
        """Counts of its workers by state."""
        ...

    async def run(
        self,
        actor_id: str,
        text: str,
        team_id: str,
        name: str,
        admin_ids: frozenset[str],
        gone: threading.Event,
    ) -> Any:
        """Run one heavy command line in a worker process; its reply."""
        ...

    def close(self) -> None:
        """Stop every worker process."""
        ...


class Settings:
    """The configuration in force: replaced whole, under a lock, by ``reconfigure``."""

    def __init__(self, config: Config) -> None:
        self._lock = threading.Lock()
        self._config = config

    @property
    def config(self) -> Config:
        with self._lock:
            return self._config

    def admin_ids(self) -> frozenset[str]:
        """The current ``AdminUserIDs``."""
        return self.config.admin_user_ids

    def replace(self, **changes: Any) -> Config:
        with self._lock:
            self._config = replace(self._config, **changes)
            return self._config


class Runtime:
    """The store, Mattermost client, directory, poster, command env, outbox worker, admin
    log, autopilot and heavy-command pool of a process, all made by
    :func:`shim.boot.bootstrap`. ``autopilot`` is None when the timer is off
    (``--autopilot-interval 0``); a worker process of the pool
    (:func:`shim.boot.worker_runtime`) has no outbox worker, admin log, timer or pool:
    those stay one per shim process."""

    _settings: Settings
    client: MattermostClient
    store: Any
    directory: MattermostDirectory
    bot_user_id: str
    bot_username: str
    poster: MattermostPoster
    env: Env
    outbox: OutboxWorker | None
    adminlog: AdminLogHandler | None
    autopilot: Autopilot | None
    pool: HeavyRunner | None

    __slots__ = (
        "_settings",
        "client",
        "store",
        "directory",
        "bot_user_id",
        "bot_username",
        "poster",
        "env",
        "outbox",
        "adminlog",
        "autopilot",
        "pool",
    )

    def __init__(
        self,
        *,
        settings: Settings,
        client: MattermostClient,
        store: Any,
        directory: MattermostDirectory,
        bot_user_id: str,
        bot_username: str,
        poster: MattermostPoster,
        env: Env,
        outbox: OutboxWorker | None = None,
        adminlog: AdminLogHandler | None = None,
        autopilot: Autopilot | None = None,
        pool: HeavyRunner | None = None,
    ) -> None:
        parts = {
            "_settings": settings,
            "client": client,
            "store": store,
            "directory": directory,
            "bot_user_id": bot_user_id,
            "bot_username": bot_username,
            "poster": poster,
            "env": env,
            "outbox": outbox,
            "adminlog": adminlog,
            "autopilot": autopilot,
            "pool": pool,
        }
        for name, value in parts.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the Runtime is immutable (made whole by bootstrap): {name}")

    def wake_outbox(self) -> None:
        """After a command committed messages: wake the outbox worker. Never delivers in
        the command's thread, so no delivery runs inside a command's deadline (issue 15)."""
        if self.outbox is not None:
            self.outbox.kick()

    @property
    def config(self) -> Config:
        """The configuration in force (the plugin settings may change it at run time)."""
        return self._settings.config

    def check(self) -> None:
        """Verify Mattermost still knows the bot and the store answers (``OnActivate``)."""
        me = self.client.me()
        if str(me.get("id")) != self.bot_user_id:
            raise MattermostError("the bot token now belongs to another user; restart the shim")
        if not self.healthy():
            raise StoreUnavailable("the store is unreachable")

    def admin_ids(self) -> frozenset[str]:
        """The current ``AdminUserIDs``."""
        return self._settings.admin_ids()

    def log_recipients(self) -> frozenset[str]:
        """Who gets the admin-log DMs: system admins and ``AdminUserIDs``, not the bot itself."""
        return (self.admin_ids() | self.directory.system_admin_ids()) - {self.bot_user_id}

    def command_deadline(self) -> float:
        """The ``time.monotonic()`` instant by which a command arriving now must be done."""
        return time.monotonic() + waiting_time(self.config.command_timeout)

    def execute(
        self, actor_id: str, text: str, deadline: float | None = None, team_id: str = ""
    ) -> tuple[bool, str]:
        """Run one ``/lotto`` command line as ``actor_id`` (blocking): ``(ok, text)``.

        Every Redis round trip of the command ends by ``deadline`` (default
        :meth:`command_deadline` from now), and so does every Mattermost lookup it
        makes (the actor, the users and channels it names), a little earlier: the
        reserve of :func:`waiting_time` is left for the command's own Redis work, so
        a slow Mattermost fails the command as Mattermost's fault, not Redis's.
        Raises UnknownUserError, before anything runs, when Mattermost does not
        know ``actor_id`` (or the user is deactivated); a Mattermost outage during
        that check is a failed command like any other lookup failure.
        """
        at = deadline or self.command_deadline()
        left = max(0.0, at - time.monotonic())
        with mattermost_deadline(at - (left - waiting_time(left))):
            try:
                actor = self.directory.by_id(actor_id)
            except LottoError as err:
                return False, str(err)
            if actor is None:
                raise UnknownUserError("unknown or deactivated Mattermost user", user_id=actor_id)
            with self.store.deadline(at):
                outcome = execute(self.env, actor_id, text, team_id=team_id)
        return bool(outcome.ok), str(outcome.text)

    def run_light(
        self, actor_id: str, text: str, deadline: float | None = None, team_id: str = ""
    ) -> tuple[bool, str] | str:
        """Run one command line as ``actor_id`` here (blocking), like :meth:`execute`; but a
        show or calendar of a big rotation (``shim.heavy``) is not run: its name is
        returned, for :meth:`run_heavy`, once the pool is started."""
        at = deadline or self.command_deadline()
        pool = self.pool
        if pool is not None and pool.started:
            with self.store.deadline(at):  # the look at the rotation's size counts too
                name = big_rotation_command(self.store, text)
            if name is not None:
                return name
        return self.execute(actor_id, text, at, team_id)

    async def run_heavy(
        self, actor_id: str, text: str, team_id: str, name: str, gone: threading.Event
    ) -> tuple[bool, str]:
        """Run the heavy command ``name`` (``text``) as ``actor_id`` in the pool's worker
        processes, holding no request thread; its deadlines start when a worker takes it.
        ``gone`` is set when the client went away (the command is then stopped). Raises
        like :meth:`execute`."""
        if self.pool is None:
            raise RuntimeError("this runtime has no heavy-command pool")
        reply = await self.pool.run(actor_id, text, team_id, name, self.admin_ids(), gone)
        if reply.committed:
            self.wake_outbox()
        return bool(reply.ok), str(reply.text)

    def run_autopilot(self, now: Any, fence: Any = None) -> list[Any]:
        """Autopilot for every active rotation as of ``now`` (blocking), fenced by ``fence``."""
        return autopilot_all(self.env, now, fence=fence)

    def healthy(self) -> bool:
        """Whether the store answers (blocking, within the store's timeout)."""
        try:
            return bool(self.store.ping())
        except Exception:
            return False

    async def healthy_async(self) -> bool:
        """Whether the store answers within the health bound (on the event loop, no thread).

        A failed PING is tried once more on a new connection while time is left: after
        a Redis restart the probe's kept connection is dead, and Redis itself is fine.
        """
        deadline = time.monotonic() + waiting_time(self.config.health_timeout)
        if await self.store.ping_async(deadline - time.monotonic()):
            return True
        left = deadline - time.monotonic()
        return left > 0 and await self.store.ping_async(left)

    def reconfigure(self, settings: dict[str, Any]) -> None:
        """Apply plugin settings from the ``OnConfigurationChange`` hook (raises RequestError)."""
        admins = settings.get("AdminUserIDs", ",".join(sorted(self.config.admin_user_ids)))
        level = settings.get("AdminLogLevel", self.config.admin_log_level)
        verbose = settings.get("AdminLogVerbose", self.config.admin_log_verbose)
        if not isinstance(admins, str):
            raise RequestError("AdminUserIDs must be a comma-separated string")
        if isinstance(level, str) and level.strip().lower() == "warning":  # as the flag accepts it
            level = "warn"
        if not isinstance(level, str) or level.strip().lower() not in LOG_LEVELS:
            raise RequestError(f"AdminLogLevel must be one of {', '.join(LOG_LEVELS)}")
        if not isinstance(verbose, bool):
            raise RequestError("AdminLogVerbose must be true or false")
        config = self._settings.replace(
            admin_user_ids=frozenset(i.strip() for i in admins.split(",") if i.strip()),
            admin_log_level=level.strip().lower(),
            admin_log_verbose=verbose,
        )
        if self.adminlog is not None:
            self.adminlog.configure(config.admin_log_level, verbose)
        self.directory.invalidate()
        _log.info(
            "configuration changed: %d admin ids, admin log level %s",
            len(config.admin_user_ids),
            level,
        )

    def close(self) -> None:
        """Release the store, the HTTP pool and the log handler."""
        if self.outbox is not None:
            self.outbox.stop()
        if self.pool is not None:
            self.pool.close()
        if self.adminlog is not None:
            for name in ("shim", "lotto"):
                logging.getLogger(name).removeHandler(self.adminlog)
            self.adminlog.close()
        try:
            self.store.close()
        finally:
            self.client.close()
        _log.info("closed the store and the Mattermost connections")
