"""The environment commands run against: the store, the directory, the posters, the service.

Its own module so that the command modules and :mod:`lotto.commands.base` can name it
without importing the package that imports them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from lotto import PLUGIN_ID, api, delivery
from lotto.api.mentions import of_notices
from lotto.commands.names import Names
from lotto.commands.render.notices import notice_text
from lotto.errors import LottoError
from lotto.local import LocalChannels
from lotto.model.outbox import OutboxMessage
from lotto.ports import Channels, Directory, Links, Poster, Profile, Store
from lotto.service import Service

__all__ = ["Env"]

log = logging.getLogger("lotto.commands")


class Env:
    """What commands run against: the store, the user directory and the DM poster.

    Complete and immutable once made (a variant is :meth:`replace`'s): whoever builds
    it (the CLI, the shim's :func:`shim.boot.bootstrap`, a test) gives every part.
    ``admin_only=False`` lets every user run admin commands (single-user CLI use).
    ``bot_id`` is the acting user of :func:`autopilot_all` (empty: "the autopilot").
    ``links`` (:class:`lotto.ports.Links`) makes the signed URLs of calendar feeds,
    rotation pages and chart images, or is None when no server publishes them; the
    server that serves them (the shim) supplies it, since it alone can sign URLs.
    ``site`` names the deployment (the chat server's host; the store's host in the CLI):
    with :attr:`namespace` it makes calendar event ids unique across deployments.
    ``channels`` finds the channels people name (default: the CLI's, where a name is
    its own id). ``deliver`` is called after a command committed messages (the shim
    wakes its outbox worker; the CLI delivers after the command, outside its
    deadline); without it the messages are delivered right away, to ``poster``.
    ``service`` defaults to the service on ``kv`` and ``directory``.
    """

    __slots__ = (
        "kv",
        "directory",
        "poster",
        "admin_only",
        "bot_id",
        "links",
        "site",
        "channels",
        "service",
        "_deliver",
    )

    kv: Store
    directory: Directory
    poster: Poster
    admin_only: bool
    bot_id: str
    links: Links | None
    site: str
    channels: Channels
    service: Service
    _deliver: Callable[[], None] | None

    def __init__(
        self,
        kv: Store,
        directory: Directory,
        poster: Poster,
        *,
        admin_only: bool = True,
        bot_id: str = "",
        links: Links | None = None,
        site: str = "localhost",
        deliver: Callable[[], None] | None = None,
        channels: Channels | None = None,
        service: Service | None = None,
    ) -> None:
        parts = {
            "kv": kv,
            "directory": directory,
            "poster": poster,
            "admin_only": admin_only,
            "bot_id": bot_id,
            "links": links,
            "site": site,
            "_deliver": deliver,
            "channels": channels if channels is not None else LocalChannels(),
            "service": service if service is not None else Service(kv, directory),
        }
        for name, value in parts.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Env is immutable: make a variant with env.replace({name}=...)")

    def replace(self, **changes: Any) -> Env:
        """A copy with ``changes`` (constructor keywords); a new ``kv`` or ``directory``
        gets a new service unless ``service`` is given too."""
        parts: dict[str, Any] = {
            "kv": self.kv,
            "directory": self.directory,
            "poster": self.poster,
            "admin_only": self.admin_only,
            "bot_id": self.bot_id,
            "links": self.links,
            "site": self.site,
            "deliver": self._deliver,
            "channels": self.channels,
        }
        if not {"kv", "directory"} & set(changes):
            parts["service"] = self.service
        parts.update(changes)
        kv, directory, poster = parts.pop("kv"), parts.pop("directory"), parts.pop("poster")
        return Env(kv, directory, poster, **parts)

    def actor(self, profile: Profile) -> api.Actor:
        """The caller the service sees for ``profile``: a plugin admin when the profile
        is one, or when everyone is (``admin_only=False``)."""
        return api.Actor(user_id=profile.user_id, is_admin=profile.is_admin or not self.admin_only)

    @property
    def bot(self) -> api.Actor:
        """The caller of the autopilot timer: the bot (``bot_id``), with full rights."""
        return api.Actor(user_id=self.bot_id, is_admin=True)

    @property
    def namespace(self) -> str:
        """The store's namespace (its plugin id)."""
        return str(getattr(self.kv, "plugin_id", "") or PLUGIN_ID)

    def deliver(self) -> None:
        """After a command committed messages: the ``deliver`` hook when one was given,
        else :meth:`deliver_now`. A delivery problem never fails the command that committed."""
        try:
            if self._deliver is not None:
                self._deliver()
            else:
                self.deliver_now()
        except Exception:
            log.exception("could not deliver the outbox")

    def deliver_now(self) -> delivery.DeliveryReport:
        """One delivery round of the outbox to ``poster``, here and now (``lotto.delivery``)."""
        return delivery.deliver(self.kv, self.message_text, self._post)

    def _post(self, message: OutboxMessage, text: str, earlier_ms: int | None) -> None:
        # The poster prints (the CLI) or records (tests): a repeat is harmless there.
        notice = message.notice
        if message.channel_id:
            self.poster.post(message.channel_id, notice.channel_name, text)
        else:
            self.poster.dm(notice.user_id, text)

    def message_text(self, message: OutboxMessage) -> str:
        """The Markdown text of an outbox message, written for its reader."""
        notice = message.notice
        names = Names(self.directory)
        names.learn(of_notices([notice]))  # everyone it names, in ONE directory call
        # A channel post has many readers: it shows the zone the service chose (the rotation's).
        zone = names.zone_of(notice.user_id) if notice.user_id else (notice.zone or "UTC")
        return notice_text(notice, names.mention, zone)

    def mention(self, user_id: str) -> str:
        """``@username`` for a user id (``@id`` when the directory does not know it, or
        cannot answer: rendering a committed change must not fail it)."""
        if not user_id:
            return "the autopilot"
        profile = self._profile(user_id)
        return f"@{profile.username}" if profile is not None else f"@{user_id}"

    def zone_of(self, user_id: str) -> str:
        """The user's IANA zone from the directory (UTC when unknown or unanswered)."""
        profile = self._profile(user_id) if user_id else None
        return (profile.time_zone or "UTC") if profile is not None else "UTC"

    def _profile(self, user_id: str) -> Profile | None:
        try:
            return self.directory.by_id(user_id)
        except LottoError as exc:  # e.g. the chat server did not answer in time
            log.warning("could not look up user %s to render a reply: %s", user_id, exc)
            return None
