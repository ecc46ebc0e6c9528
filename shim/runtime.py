"""Everything one shim process runs against, wired together once at start.

``Runtime(config)`` opens the store and the Mattermost client; ``start()``
asks Mattermost who the bot is (``GET /users/me``) and builds the command
environment, the admin log handler and the autopilot. The plugin settings
(``AdminUserIDs``, ``AdminLogLevel``, ``AdminLogVerbose``) can change at run
time through the ``OnConfigurationChange`` hook.

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
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import kvstore
from lotto.commands import Env, autopilot_all, execute
from lotto.errors import LottoError
from shim.actions import props_maker
from shim.adminlog import AdminLogHandler, install
from shim.autopilot import Autopilot
from shim.channels import MattermostChannels
from shim.config import LOG_LEVELS, Config
from shim.directory import MattermostDirectory, MattermostPoster
from shim.errors import MattermostError, RequestError, StoreUnavailable, UnknownUserError
from shim.heavy import big_rotation_command
from shim.mattermost import MattermostClient
from shim.mattermost import deadline as mattermost_deadline
from shim.outbox import OutboxWorker
from shim.redaction import Redactor

__all__ = ["Runtime", "waiting_time"]

_log = logging.getLogger("shim.runtime")


def waiting_time(bound: float) -> float:
    """The part of an answer ``bound`` (seconds) that may be spent waiting for Redis.

    A quarter of the bound (at most a second) is kept back for everything else an
    answer does, so a busy machine still answers in time.
    """
    return bound - min(1.0, bound / 4)


class Runtime:
    """The store, Mattermost client, directory, poster, command env and autopilot of a process."""

    def __init__(
        self, config: Config, *, store: Any = None, client: MattermostClient | None = None
    ) -> None:
        self.config = config
        self.client = client or MattermostClient(config.mattermost_url, config.bot_token)
        self.store = (
            store
            if store is not None
            else kvstore.open(
                config.store,
                config.plugin_id,
                timeout=waiting_time(config.command_timeout),
                retry_budget=config.retry_budget,
            )
        )
        self._lock = threading.Lock()
        self.directory = MattermostDirectory(
            self.client,
            admin_ids=self.admin_ids,
            ttl=config.cache_ttl,
            max_entries=config.cache_size,
        )
        self.bot_user_id = ""
        self.bot_username = ""
        #: The heavy-command pool (``shim.pool.HeavyPool``), set by the app that serves us.
        self.pool: Any = None
        self.poster: MattermostPoster | None = None
        self.env: Any = None
        self.adminlog: AdminLogHandler | None = None
        self.autopilot: Autopilot | None = None
        self.outbox: OutboxWorker | None = None

    def start(self) -> None:
        """Find the bot's own user id and build the command environment (raises MattermostError)."""
        me = self.client.me()
        bot_id = me.get("id") if isinstance(me, dict) else None
        if not bot_id:
            raise MattermostError(
                "Mattermost did not return the bot's user id from GET /api/v4/users/me"
            )
        self.attach(str(bot_id), str(me.get("username") or ""))
        assert self.poster is not None  # attach made it
        self.outbox = OutboxWorker(
            self.env.message_text,
            self.client,
            self.store,
            self.bot_user_id,
            poll=self.config.outbox_poll,
            props=props_maker(self.config),
        )
        self.adminlog = AdminLogHandler(self.poster, self.log_recipients)
        self.adminlog.addFilter(Redactor(self.config.secrets()))  # its lines become DMs
        self.adminlog.configure(self.config.admin_log_level, self.config.admin_log_verbose)
        install(self.adminlog)
        if self.config.autopilot_interval > 0:
            self.autopilot = Autopilot(
                self.store,
                self.run_autopilot,
                self.config.autopilot_interval,
                lease=self.config.autopilot_lease,
                fenced=True,
            )
        _log.info("shim started as bot %s (%s)", me.get("username", "?"), self.bot_user_id)
        if self.config.debug_endpoints:
            _log.warning(
                "debug endpoints are ON (/debug/autopilot): never run like this in production"
            )

    def attach(
        self, bot_id: str, bot_username: str, *, deliver: Callable[[], None] | None = None
    ) -> None:
        """Build the command environment for the bot ``bot_id`` without asking Mattermost
        (what :meth:`start` does once it knows the bot, and a worker process of the pool
        does with what the shim tells it). ``deliver`` replaces waking the outbox worker."""
        self.bot_user_id = bot_id
        self.bot_username = bot_username
        self.poster = MattermostPoster(self.client, self.bot_user_id)
        # Messages wait in the outbox (committed with each change); a command only
        # wakes the outbox worker, which delivers them outside every command's deadline.
        self.env = Env(
            self.store,
            self.directory,
            self.poster,
            admin_only=True,
            bot_id=self.bot_user_id,
            deliver=deliver or self._deliver_outbox,
            channels=MattermostChannels(
                self.client, self.bot_user_id, f"@{bot_username or 'the bot'}"
            ),
        )

    def _deliver_outbox(self) -> None:
        """After a command committed messages: wake the outbox worker. Never delivers in
        the command's thread, so no delivery runs inside a command's deadline (issue 15)."""
        if self.outbox is not None:
            self.outbox.kick()

    def check(self) -> None:
        """Verify Mattermost still knows the bot and the store answers (``OnActivate``)."""
        me = self.client.me()
        if str(me.get("id")) != self.bot_user_id:
            raise MattermostError("the bot token now belongs to another user; restart the shim")
        if not self.healthy():
            raise StoreUnavailable("the store is unreachable")

    def admin_ids(self) -> frozenset[str]:
        """The current ``AdminUserIDs``."""
        with self._lock:
            return self.config.admin_user_ids

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
        reply = await self.pool.run(actor_id, text, team_id, name, self.admin_ids(), gone)
        if reply.committed:
            self._deliver_outbox()
        return reply.ok, reply.text

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
        with self._lock:
            self.config = replace(
                self.config,
                admin_user_ids=frozenset(i.strip() for i in admins.split(",") if i.strip()),
                admin_log_level=level.strip().lower(),
                admin_log_verbose=verbose,
            )
        if self.adminlog is not None:
            self.adminlog.configure(self.config.admin_log_level, verbose)
        self.directory.invalidate()
        _log.info(
            "configuration changed: %d admin ids, admin log level %s",
            len(self.config.admin_user_ids),
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
