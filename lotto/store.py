"""Typed records over a kvstore unit of work.

A :class:`Session` wraps one ``UnitOfWork``: it decodes each stored record
once, hands out the same Python object on every access, remembers which
records were changed (``put``) and writes them back in :meth:`Session.flush`.
Decoding happens only here (house rule: at the store boundary).

Round trips: :meth:`Session.prefetch` is the only method that talks to Redis
on its own, with ONE ``get_many`` (MGET) for every key not yet read. Getters
(``rotation``, ``task``, …) read through the cache; a getter for a key never
prefetched costs one round trip, so service code always prefetches first and
documents each batch. ``flush`` only buffers writes: the unit of work commits
them (one more round trip) when the service function returns.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from kvstore import Follow
from lotto.errors import LottoError
from lotto.model import keys
from lotto.model.index import Index, OpenTasks
from lotto.model.membership import Memberships
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE, OutboxMessage
from lotto.model.record import Record, decode, encode
from lotto.model.rotation import Rotation
from lotto.model.task import Task, calendar_view
from lotto.model.user import User
from lotto.ports import UnitOfWork

# OpenTasks is defined in lotto.model.index; it stays importable from here for old callers.
__all__ = [
    "Session",
    "OutboxBacklog",
    "outbox_backlog",
    "outbox_messages",
    "operation_time",
]

# The ``now`` of the service operation running in this context (set at the door by
# ``lotto.service.registry``): the time a revised task's calendar event was modified.
_OPERATION_TIME: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "lotto_operation_time", default=None
)


@contextlib.contextmanager
def operation_time(now: datetime) -> Iterator[None]:
    """Within this block, sessions stamp revised tasks as modified at ``now``."""
    token = _OPERATION_TIME.set(now)
    try:
        yield
    finally:
        _OPERATION_TIME.reset(token)


R = TypeVar("R", bound=Record)


def _decode(key: str, raw: bytes) -> Record:
    try:
        return decode(keys.record_type_of(key), raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        # Every later command on the record would fail the same way: say which
        # record it is and how to find out more, not "internal error".
        raise LottoError(
            f"The stored record {key} can not be read ({err}), so nothing was changed. "
            "An administrator can list such records with `lotto-store check` and restore "
            "a backup with `lotto-store restore`.",
            key=key,
        ) from None


class Session:
    """Decoded, cached, change-tracked records of one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._records: dict[str, Record | None] = {}
        self._dirty: dict[str, None] = {}  # insertion-ordered set
        self._outbox: list[OutboxMessage] = []
        # Task key -> its calendar view as read (absent: not read, or no such task).
        self._views: dict[str, tuple] = {}

    @property
    def round_trips(self) -> int:
        """Redis round trips spent by the unit of work so far."""
        return self.uow.round_trips

    def prefetch(self, key_list: Iterable[str], *, follow: Follow | None = None) -> None:
        """Read every key not yet read, in ONE round trip (none if all are cached).

        With ``follow`` the index it names and the records that index points at
        come in that same round trip (see ``kvstore.Follow``).
        """
        missing = [k for k in dict.fromkeys(key_list) if k not in self._records]
        if not missing and follow is None:
            return
        for key, raw in self.uow.get_many(missing, follow=follow).items():
            if key not in self._records:
                record = None if raw is None else _decode(key, raw)
                self._records[key] = record
                if isinstance(record, Task):
                    self._views[key] = calendar_view(record)

    def get(self, key: str) -> Record | None:
        """The decoded record at ``key`` or None (one round trip if not prefetched)."""
        if key not in self._records:
            self.prefetch([key])
        return self._records[key]

    def put(self, key: str, record: Record) -> None:
        """Store ``record`` at ``key`` when the session is flushed."""
        self._records[key] = record
        self._dirty[key] = None

    def send(self, message: OutboxMessage) -> None:
        """Put ``message`` in the outbox when the session is flushed (same commit)."""
        self._outbox.append(message)

    def flush(self) -> None:
        """Buffer every changed record and outbox message into the unit of work.

        A task whose calendar view changed since it was read is revised first: its
        ``sequence`` goes up (a new task keeps 0) and ``modified`` becomes the
        operation's time (:func:`operation_time`).
        """
        for key in self._dirty:
            record = self._records[key]
            if record is None:
                self.uow.delete(key)
                continue
            if isinstance(record, Task):
                self._revise(key, record)
            self.uow.set(key, encode(record))
        self._dirty.clear()
        for message in self._outbox:
            self.uow.enqueue(OUTBOX_QUEUE, encode(message))
        self._outbox.clear()

    def _revise(self, key: str, task: Task) -> None:
        view = calendar_view(task)
        before = self._views.get(key)
        if before == view:
            return
        if before is not None:
            task.sequence += 1
        now = _OPERATION_TIME.get()
        if now is not None:
            task.modified = now
        self._views[key] = view

    # -- typed access -------------------------------------------------------
    def _get_as(self, key: str, record_type: type[R]) -> R | None:
        found = self.get(key)
        if found is None or isinstance(found, record_type):
            return found
        # Only a caller putting the wrong record under a key gets here (decoding follows the key).
        raise TypeError(f"{key} holds a {type(found).__name__}, not a {record_type.__name__}")

    def rotation(self, rotation_id: str) -> Rotation | None:
        """The rotation, or None."""
        return self._get_as(keys.rotation(rotation_id), Rotation)

    def task(self, task_id: str) -> Task | None:
        """The task, or None."""
        return self._get_as(keys.task(task_id), Task)

    def user(self, user_id: str) -> User | None:
        """The stored user, or None when the user was never stored."""
        return self._get_as(keys.user(user_id), User)

    def user_or_new(self, user_id: str) -> tuple[User, bool]:
        """The user's record, or a fresh (unsaved) one; the flag says it is new."""
        user = self.user(user_id)
        if user is None:
            return User(mattermost_user_id=user_id), True
        return user, False

    def index(self, key: str) -> Index:
        """The index at ``key`` (an empty one when absent)."""
        found = self._get_as(key, Index)
        return found if found is not None else Index()

    def open_tasks(self, rotation: Rotation) -> OpenTasks:
        """The rotation's open-tasks record; derived from ``TaskIDs`` when absent."""
        key = keys.open_tasks(rotation.rotation_id)
        found = self._get_as(key, OpenTasks)
        if found is None:
            # Legacy rotation: assume every task open; the caller (service) learns
            # the real states and users when it loads the tasks, and saves the record.
            found = OpenTasks(tasks={tid: [] for tid in rotation.task_ids})
            self._records[key] = found
        return found

    def memberships(self, rotation_id: str) -> Memberships:
        """The rotation's memberships record (an empty one when absent)."""
        found = self._get_as(keys.memberships(rotation_id), Memberships)
        return found if found is not None else Memberships(rotation_id=rotation_id)

    def save_memberships(self, rec: Memberships) -> None:
        """Write a rotation's memberships record back."""
        self.put(keys.memberships(rec.rotation_id), rec)

    def save_rotation(self, rotation: Rotation) -> None:
        """Write the rotation back."""
        self.put(keys.rotation(rotation.rotation_id), rotation)

    def save_task(self, task: Task) -> None:
        """Write the task back."""
        self.put(keys.task(task.task_id), task)

    def save_user(self, user: User) -> None:
        """Write the user back."""
        self.put(keys.user(user.mattermost_user_id), user)

    def save_index(self, key: str, index: Index) -> None:
        """Write an index back (ids kept sorted and unique)."""
        index.ids = sorted(set(index.ids))
        self.put(key, index)

    def save_open_tasks(self, rotation_id: str, open_tasks: OpenTasks) -> None:
        """Write a rotation's open-tasks record back."""
        self.put(keys.open_tasks(rotation_id), open_tasks)


class OutboxBacklog(msgspec.Struct, kw_only=True):
    """What waits in the outbox: how many messages, how old the oldest is, and the dead letters."""

    waiting: int
    oldest_age_seconds: float
    dead: int


def outbox_backlog(kv: Any, now: datetime) -> OutboxBacklog:
    """The outbox's backlog as of ``now`` (three round trips: the waiting messages, the
    first of each of the outbox's lanes, and the dead letters)."""
    queue = kv.queue(OUTBOX_QUEUE)
    waiting = queue.length()
    age = 0.0
    if waiting:
        # The oldest message is the first of some lane (or of the intake).
        created = [_created(raw, now) for raw in queue.heads()]
        age = max(0.0, (now - min(created, default=now)).total_seconds())
    return OutboxBacklog(
        waiting=waiting, oldest_age_seconds=age, dead=kv.queue(DEAD_QUEUE).length()
    )


def _created(raw: bytes, now: datetime) -> datetime:
    try:
        return decode(OutboxMessage, raw).created
    except msgspec.MsgspecError:
        return now  # `lotto-store check` reports it; its age is unknown


def outbox_messages(kv: Any, queue: str, limit: int) -> list[tuple[bytes, OutboxMessage | None]]:
    """The first ``limit`` entries of an outbox queue, each with its message (None: unreadable)."""
    out: list[tuple[bytes, OutboxMessage | None]] = []
    for raw in kv.queue(queue).peek(limit) if limit > 0 else []:
        try:
            out.append((raw, decode(OutboxMessage, raw)))
        except msgspec.MsgspecError:
            out.append((raw, None))
    return out
