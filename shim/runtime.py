"""Everything one shim process runs against, wired together once at start.

``bootstrap(config)`` opens the store (:func:`open_store`, unless one is given) and
the Mattermost client, asks Mattermost who the bot is (``GET /users/me``) and builds
the whole :class:`Runtime` at once: the directory, the poster, the command
environment (with the signed links and the site the calendar events name), the
outbox worker, the admin log handler and the autopilot. Nothing of it is set
later. Only the plugin settings (``AdminUserIDs``, ``AdminLogLevel``,
``AdminLogVerbose``) can change at run time, through the ``OnConfigurationChange``
hook (:meth:`Runtime.reconfigure`).

Waits are bounded by ``--command-timeout`` and ``--health-timeout``: of each
bound, all but a small reserve for building and sending the answer (a tenth, at
most half a second; :func:`waiting_time`) may be spent waiting for Redis. A
command's deadline starts when its request arrives, so time spent queueing for
a worker thread counts too.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

import kvstore
from lotto.commands import Env, autopilot_all, execute
from lotto.errors import LottoError
from shim import calendar, links
from shim.actions import props_maker
from shim.adminlog import AdminLogHandler, install
from shim.autopilot import Autopilot
from shim.channels import MattermostChannels
from shim.config import LOG_LEVELS, Config
from shim.directory import MattermostDirectory, MattermostPoster
from shim.errors import MattermostError, RequestError, StoreUnavailable, UnknownUserError
from shim.mattermost import MattermostClient
from shim.mattermost import deadline as mattermost_deadline
from shim.outbox import OutboxWorker
from shim.redaction import Redactor

__all__ = ["Runtime", "bootstrap", "open_store", "waiting_time"]

_log = logging.getLogger("shim.runtime")


def waiting_time(bound: float) -> float:
    """The part of an answer ``bound`` (seconds) that may be spent waiting for Redis.

    A quarter of the bound (at most a second) is kept back for everything else an
    answer does, so a busy machine still answers in time.
    """
    return bound - min(1.0, bound / 4)


def open_store(config: Config) -> kvstore.KVStore:
    """The store of ``config``, its waits bounded by the command timeout (raises what
    ``kvstore.open`` raises for a URL it rejects)."""
    return kvstore.open(
        config.store,
        config.plugin_id,
        timeout=waiting_time(config.command_timeout),
        retry_budget=config.retry_budget,
    )


def bootstrap(
    config: Config, *, store: Any = None, client: MattermostClient | None = None
) -> Runtime:
    """The complete runtime of ``config`` (raises MattermostError when Mattermost does
    not say who the bot is; then the client is closed, and the store too unless given).

    ``store`` and ``client`` (tests) are used instead of opening them.
    """
    own_store = store is None
    store = open_store(config) if own_store else store
    client = client or MattermostClient(config.mattermost_url, config.bot_token)
    try:
        return _build(config, store, client)
    except BaseException:
        client.close()
        if own_store:
            store.close()
        raise


def _build(config: Config, store: Any, client: MattermostClient) -> Runtime:
    me = client.me()
    bot_id = me.get("id") if isinstance(me, dict) else None
    if not bot_id:
        raise MattermostError(
            "Mattermost did not return the bot's user id from GET /api/v4/users/me"
        )
    bot_user_id = str(bot_id)
    settings = _Settings(config)
    directory = MattermostDirectory(
        client, admin_ids=settings.admin_ids, ttl=config.cache_ttl, max_entries=config.cache_size
    )
    poster = MattermostPoster(client, bot_user_id)
    outbox: list[OutboxWorker] = []  # made with the env's renderer, just below

    def wake_outbox() -> None:
        # After a command committed messages: wake the outbox worker. Never delivers in
        # the command's thread, so no delivery runs inside a command's deadline (issue 15).
        outbox[0].kick()

    env = Env(
        store,
        directory,
        poster,
        admin_only=True,
        bot_id=bot_user_id,
        # Commands reply with signed links (feeds, pages, charts); only the shim holds
        # the secret to sign them. Event UIDs name the deployment's Mattermost site.
        links=links.links_for(config),
        site=calendar.site_of(config.mattermost_url),
        deliver=wake_outbox,
        channels=MattermostChannels(client, bot_user_id, f"@{me.get('username') or 'the bot'}"),
    )
    outbox.append(
        OutboxWorker(
            env.message_text,
            client,
            store,
            bot_user_id,
            poll=config.outbox_poll,
            props=props_maker(config),
        )
    )

    def recipients() -> frozenset[str]:
        return (settings.admin_ids() | directory.system_admin_ids()) - {bot_user_id}

    adminlog = AdminLogHandler(poster, recipients)
    adminlog.addFilter(Redactor(config.secrets()))  # its lines become DMs
    adminlog.configure(config.admin_log_level, config.admin_log_verbose)
    install(adminlog)
    pilot = None
    if config.autopilot_interval > 0:
        pilot = Autopilot(
            store,
            lambda now, fence=None: autopilot_all(env, now, fence=fence),
            config.autopilot_interval,
            lease=config.autopilot_lease,
            fenced=True,
        )
    _log.info("shim started as bot %s (%s)", me.get("username", "?"), bot_user_id)
    if config.debug_endpoints:
        _log.warning("debug endpoints are ON (/debug/autopilot): never run like this in production")
    return Runtime(
        settings=settings,
        client=client,
        store=store,
        directory=directory,
        bot_user_id=bot_user_id,
        poster=poster,
        env=env,
        outbox=outbox[0],
        adminlog=adminlog,
        autopilot=pilot,
    )


class _Settings:
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
    log and autopilot of a process, all made by :func:`bootstrap`; ``autopilot`` is None
    when the timer is off (``--autopilot-interval 0``)."""

    _settings: _Settings
    client: MattermostClient
    store: Any
    directory: MattermostDirectory
    bot_user_id: str
    poster: MattermostPoster
    env: Env
    outbox: OutboxWorker
    adminlog: AdminLogHandler
    autopilot: Autopilot | None

    __slots__ = (
        "_settings",
        "client",
        "store",
        "directory",
        "bot_user_id",
        "poster",
        "env",
        "outbox",
        "adminlog",
        "autopilot",
    )

    def __init__(
        self,
        *,
        settings: _Settings,
        client: MattermostClient,
        store: Any,
        directory: MattermostDirectory,
        bot_user_id: str,
        poster: MattermostPoster,
        env: Env,
        outbox: OutboxWorker,
        adminlog: AdminLogHandler,
        autopilot: Autopilot | None,
    ) -> None:
        parts = {
            "_settings": settings,
            "client": client,
            "store": store,
            "directory": directory,
            "bot_user_id": bot_user_id,
            "poster": poster,
            "env": env,
            "outbox": outbox,
            "adminlog": adminlog,
            "autopilot": autopilot,
        }
        for name, value in parts.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the Runtime is immutable (made whole by bootstrap): {name}")

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
        self.adminlog.configure(config.admin_log_level, verbose)
        self.directory.invalidate()
        _log.info(
            "configuration changed: %d admin ids, admin log level %s",
            len(config.admin_user_ids),
            level,
        )

    def close(self) -> None:
        """Release the store, the HTTP pool and the log handler."""
        self.outbox.stop()
        for name in ("shim", "lotto"):
            logging.getLogger(name).removeHandler(self.adminlog)
        self.adminlog.close()
        try:
            self.store.close()
        finally:
            self.client.close()
        _log.info("closed the store and the Mattermost connections")
