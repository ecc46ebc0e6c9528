"""The composition root of the shim: one call builds a whole, immutable Runtime.

:func:`bootstrap` (``lotto serve``, the tests) opens the store (:func:`open_store`,
unless one is given) and the Mattermost client, asks Mattermost who the bot is
(``GET /users/me``) and builds everything at once: the directory, the poster, the
command environment (with the signed links and the site the calendar events name),
the outbox worker, the admin log handler, the autopilot timer and the heavy-command
pool (given as a factory, since the pool's worker processes build their runtimes
here too). :func:`worker_runtime` builds a pool worker's: the same environment for a
bot already known, without the parts that stay one per shim process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import kvstore
from lotto.commands import Env, autopilot_all
from shim import calendar, links
from shim.actions import props_maker
from shim.adminlog import AdminLogHandler, install
from shim.autopilot import Autopilot
from shim.channels import MattermostChannels
from shim.config import Config
from shim.directory import MattermostDirectory, MattermostPoster
from shim.errors import MattermostError
from shim.mattermost import MattermostClient
from shim.outbox import OutboxWorker
from shim.redaction import Redactor
from shim.runtime import HeavyRunner, Runtime, Settings, waiting_time

__all__ = ["bootstrap", "worker_runtime", "open_store", "PoolFactory"]

_log = logging.getLogger("shim.runtime")

#: Makes the heavy-command pool of a shim: ``factory(config, bot_id, bot_username)``.
PoolFactory = Callable[[Config, str, str], HeavyRunner]


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
    config: Config,
    *,
    store: Any = None,
    client: MattermostClient | None = None,
    pool: PoolFactory | None = None,
) -> Runtime:
    """The complete runtime of a shim process for ``config`` (raises MattermostError when
    Mattermost does not say who the bot is; then the client is closed, and the store too
    unless given). ``store`` and ``client`` (tests) are used instead of opening them;
    ``pool`` makes the heavy-command pool (none without it)."""
    own_store = store is None
    store = open_store(config) if own_store else store
    client = client or MattermostClient(config.mattermost_url, config.bot_token)
    try:
        me = client.me()
        bot_id = me.get("id") if isinstance(me, dict) else None
        if not bot_id:
            raise MattermostError(
                "Mattermost did not return the bot's user id from GET /api/v4/users/me"
            )
        return _shim_runtime(
            config, store, client, str(bot_id), str(me.get("username") or ""), pool
        )
    except BaseException:
        client.close()
        if own_store:
            store.close()
        raise


def worker_runtime(
    config: Config, bot_id: str, bot_username: str, deliver: Callable[[], None]
) -> Runtime:
    """The runtime of a worker process of the heavy-command pool: its own store and
    client, the command environment of the bot the shim names; ``deliver`` is called
    when a command committed messages (the shim's outbox worker delivers them)."""
    store = open_store(config)
    client = MattermostClient(config.mattermost_url, config.bot_token)
    settings = Settings(config)
    directory = _directory(config, client, settings)
    poster = MattermostPoster(client, bot_id)
    env = _env(config, store, client, directory, poster, bot_id, bot_username, deliver)
    return Runtime(
        settings=settings,
        client=client,
        store=store,
        directory=directory,
        bot_user_id=bot_id,
        bot_username=bot_username,
        poster=poster,
        env=env,
    )


def _directory(config: Config, client: MattermostClient, settings: Settings) -> MattermostDirectory:
    return MattermostDirectory(
        client, admin_ids=settings.admin_ids, ttl=config.cache_ttl, max_entries=config.cache_size
    )


def _env(
    config: Config,
    store: Any,
    client: MattermostClient,
    directory: MattermostDirectory,
    poster: MattermostPoster,
    bot_id: str,
    bot_username: str,
    deliver: Callable[[], None],
) -> Env:
    return Env(
        store,
        directory,
        poster,
        admin_only=True,
        bot_id=bot_id,
        # Commands reply with signed links (feeds, pages, charts); only the shim holds
        # the secret to sign them. Event UIDs name the deployment's Mattermost site.
        links=links.links_for(config),
        site=calendar.site_of(config.mattermost_url),
        deliver=deliver,
        channels=MattermostChannels(client, bot_id, f"@{bot_username or 'the bot'}"),
    )


def _shim_runtime(
    config: Config,
    store: Any,
    client: MattermostClient,
    bot_id: str,
    bot_username: str,
    pool: PoolFactory | None,
) -> Runtime:
    settings = Settings(config)
    directory = _directory(config, client, settings)
    poster = MattermostPoster(client, bot_id)
    outbox: list[OutboxWorker] = []  # made with the env's renderer, just below

    def wake_outbox() -> None:
        # Messages wait in the outbox (committed with each change); a command only wakes
        # the outbox worker, which delivers them outside every command's deadline.
        outbox[0].kick()

    env = _env(config, store, client, directory, poster, bot_id, bot_username, wake_outbox)
    outbox.append(
        OutboxWorker(
            env.message_text,
            client,
            store,
            bot_id,
            poll=config.outbox_poll,
            props=props_maker(config),
        )
    )

    def recipients() -> frozenset[str]:
        return (settings.admin_ids() | directory.system_admin_ids()) - {bot_id}

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
    _log.info("shim started as bot %s (%s)", bot_username or "?", bot_id)
    if config.debug_endpoints:
        _log.warning("debug endpoints are ON (/debug/autopilot): never run like this in production")
    return Runtime(
        settings=settings,
        client=client,
        store=store,
        directory=directory,
        bot_user_id=bot_id,
        bot_username=bot_username,
        poster=poster,
        env=env,
        outbox=outbox[0],
        adminlog=adminlog,
        autopilot=pilot,
        pool=pool(config, bot_id, bot_username) if pool is not None else None,
    )
