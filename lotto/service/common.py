"""Shared steps of the service operations: running a unit of work, resolving names.

Round-trip accounting: each helper that reads says which batch it spends.
A batch is one ``Session.prefetch`` (one MGET).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from kvstore.errors import (
    BackendError,
    BackendNoAnswerError,
    BackendOutcomeUnknownError,
    CommitConflictError,
    FenceError,
    InvalidKeyError,
)
from lotto.api import Notice, RotationRef
from lotto.errors import (
    AmbiguousError,
    BadTimeError,
    ConflictError,
    InputError,
    NoAnswerError,
    NotFoundError,
    OutcomeUnknownError,
    StoreError,
)
from lotto.model import keys
from lotto.model.notice import MUTABLE_KINDS, is_muted, one_per_reader
from lotto.model.outbox import new_message
from lotto.model.record import decode, encode
from lotto.model.rotation import Rotation
from lotto.model.task import Task, rotation_id_of
from lotto.ports import Directory, Store, UnitOfWork
from lotto.service import access
from lotto.store import Session

__all__ = [
    "run",
    "out_of_range",
    "resolve_rotation",
    "load_task",
    "check_users",
    "rotation_id_of",
    "notice",
    "channel_notice",
    "on_commit",
]

T = TypeVar("T")

# Steps run at the end of every unit of work, before its commit: each looks at what
# the change wrote (``Session.changed_keys``) and returns notices it causes, stored in
# the outbox with the change's own. They register themselves (``on_commit``) so this
# module needs no import of them: ``lotto.service.header`` keeps the channel header.
_COMMIT_STEPS: list[Callable[[Session], list[Notice]]] = []


def on_commit(
    step: Callable[[Session], list[Notice]],
) -> Callable[[Session], list[Notice]]:
    """Register ``step(session) -> notices`` to run before every commit (see above)."""
    if step not in _COMMIT_STEPS:
        _COMMIT_STEPS.append(step)
    return step


def run(kv: Store, fn: Callable[[Session], T], stats: Any = None) -> T:
    """Run ``fn`` in ONE unit of work; its changed records are committed together.

    The commit is the last round trip (none when nothing was written). If
    ``fn`` raises, nothing is written. On a conflict the kvstore re-runs
    ``fn`` from scratch, so ``fn`` must not have side effects outside the
    session (notices are returned, never sent).

    This is the one place where ``kvstore`` errors become lotto errors: the
    store kept changing past the kvstore's retry budget, or ``kv`` is fenced by
    a lock that was lost (a run that outlived its lease, see ``kvstore.lock``)
    -> :class:`lotto.errors.ConflictError`; a malformed or
    too long key -> :class:`lotto.errors.InputError`; the store failed ->
    :class:`lotto.errors.StoreError`. A time computation leaving Python's date
    range (OverflowError) becomes :class:`lotto.errors.BadTimeError`.
    ``stats`` (optional) gets ``round_trips`` of the last attempt, commit included.
    """
    attempt: list[UnitOfWork] = []

    def unit(uow: UnitOfWork) -> T:
        attempt[:] = [uow]
        session = Session(uow)
        result = fn(session)
        access.check_resolved()
        caused = [n for step in _COMMIT_STEPS for n in step(session)]
        notices = getattr(result, "notices", None)
        if caused and isinstance(notices, list):
            # The result says so too: its caller knows there is something to deliver.
            notices.extend(caused)
        _to_outbox(session, notices if isinstance(notices, list) else caused)
        session.flush()
        return result

    try:
        return kv.run(unit)
    except OverflowError:
        # Python dates stop at years 1 and 9999: a far --now, a huge --number or
        # a giant duration can push a computed time past them (nothing was written).
        raise out_of_range() from None
    except InvalidKeyError as err:
        # Only a name from the request (a user, task or rotation id) can make a bad key.
        raise InputError(
            "A name in this command (a user, task or rotation id) is too long or malformed to be "
            "stored; check it and use a shorter one. Nothing was changed.",
            key=err.context.get("key"),
        ) from None
    except FenceError as err:
        raise ConflictError(
            "This run outlived its lock and another run has taken over, so nothing was saved "
            "here; the run that holds the lock now does this work.",
            lock=err.context.get("lock"),
        ) from None
    except CommitConflictError as err:
        raise ConflictError(
            "Other commands kept changing the same records at the same time, so nothing was "
            "saved; run the command again.",
            key=getattr(err, "key", None),
        ) from None
    except BackendOutcomeUnknownError as err:
        raise OutcomeUnknownError(
            "the store (Redis) took the change but did not answer in time, so it may or may "
            "not have been saved.",
            key=err.context.get("key"),
        ) from None
    except BackendNoAnswerError as err:
        if err.context.get("engine") == "SQLite":
            text = (
                "the store (its SQLite file) did not answer in time; nothing was changed. "
                "Other programs kept the file busy; run the command again."
            )
        else:
            text = (
                "the store (Redis) did not answer in time; nothing was changed. Check that "
                "Redis is up and not overloaded, then run the command again."
            )
        raise NoAnswerError(text, key=err.context.get("key")) from None
    except BackendError as err:
        # The driver's text names hosts and ports: it goes to the log (``detail``), never
        # to the user, who learns which step failed.
        detail = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        if err.context.get("engine") == "SQLite":
            reason = "its SQLite file could not be read or written"
            check = "Check that the file can be read and written and the disk is not full"
        else:
            reason = (
                "could not connect to Redis"
                if "connect" in detail.lower()
                else "Redis answered a request with an error"
            )
            check = "Check that Redis is up and reachable"
        raise StoreError(
            f"the store failed ({reason}). {check}; a command's changes are saved entirely "
            "or not at all, so look with a `show` command before running it again.",
            key=err.context.get("key"),
            detail=detail,
        ) from None
    finally:
        if stats is not None and attempt:
            stats.round_trips = attempt[0].round_trips


def out_of_range() -> BadTimeError:
    """The error for a computed time outside Python's years 1-9999."""
    return BadTimeError(
        "A time this command works out falls out of range (before year 1 or after year 9999): "
        "check --now, --starting, --number and the rotation's durations and priors; "
        "nothing was changed.",
    )


def resolve_rotation(
    session: Session, ref: RotationRef, extra_keys: Iterable[str] = ()
) -> Rotation:
    """Find the active rotation ``ref`` names (docs/design.md §5) and return its record.

    In order: the exact id; else (not with ``--rotation``) the one id equal to
    the name in another case (``ice`` → ``ICE``); else the one id containing
    the name, first as typed, then in any case. An unknown name suggests the
    closest id (``did you mean ICE?``).

    Round trips: ONE batch reads the active index, every active rotation whose
    id contains the name in any case (with its open-tasks record) and
    ``extra_keys`` together, so an exact id and an abbreviation cost the same.
    (Case is folded for ASCII in that read; a non-ASCII name matched in
    another case costs one more read.)
    """
    name = ref.name.strip()
    if not name:
        raise InputError("No rotation given: name one, e.g. `rotation show SET`.")
    session.prefetch(extra_keys, follow=keys.follow_active_rotations(name))
    active = session.index(keys.ACTIVE_ROTATIONS).ids
    rid = name if name in active else _match(name, active, exact=ref.exact)
    rotation = session.rotation(rid)
    if rotation is None:  # index names a rotation whose record is gone
        raise NotFoundError(
            f"Rotation {rid} is listed as active but its record is missing; "
            "archive and recreate it.",
            rotation_id=rid,
        )
    access.check_owner(rotation)
    return rotation


def _match(name: str, active: list[str], *, exact: bool) -> str:
    """The one active id ``name`` stands for (it is not an exact id), or the error saying why."""
    folded = name.casefold()
    same = [rid for rid in active if rid.casefold() == folded]
    if exact:
        hint = f" (did you mean {same[0]}?)" if len(same) == 1 else _closest(name, active)
        raise NotFoundError(
            f"Rotation {name} not found: --rotation needs an exact active rotation id{hint}; "
            "see `rotation list`.",
            rotation_id=name,
        )
    if len(same) == 1:
        return same[0]
    matches = [rid for rid in active if name in rid] or [
        rid for rid in active if folded in rid.casefold()
    ]
    if not matches:
        raise NotFoundError(
            f"Rotation {name} not found: no active rotation id contains {name!r}"
            f"{_closest(name, active)}; see `rotation list` or create it with `rotation new`.",
            rotation_id=name,
        )
    if len(matches) > 1:
        raise AmbiguousError(
            f"Rotation name {name!r} is ambiguous: it matches {', '.join(sorted(matches))}; "
            "give more of the name or the exact id.",
            rotation_id=name,
            matches=sorted(matches),
        )
    return matches[0]


def _closest(name: str, active: list[str]) -> str:
    """`` (did you mean X?)`` for the active id most like ``name``, or ``""`` if none is close."""
    folded = {rid.casefold(): rid for rid in sorted(active)}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]}?)" if close else ""


def load_task(
    session: Session, task_id: str, extra_keys: Iterable[str] = ()
) -> tuple[Task, Rotation]:
    """The task and its rotation.

    Round trips: batch 1 reads ``task:<id>``, ``rotation:<rid>`` (the rotation
    id is derived from the task id), its open-tasks record and ``extra_keys``.
    """
    rid = rotation_id_of(task_id)
    session.prefetch([keys.task(task_id), keys.rotation(rid), keys.open_tasks(rid), *extra_keys])
    task = session.task(task_id)
    if task is None:
        raise NotFoundError(
            f"Task {task_id} not found: check the id with `rotation show {rid}`.",
            task_id=task_id,
        )
    rotation = session.rotation(task.rotation_id)
    if rotation is None:
        raise NotFoundError(
            f"The rotation {task.rotation_id} of task {task_id} no longer exists.",
            task_id=task_id,
            rotation_id=task.rotation_id,
        )
    access.check_owner(rotation)
    return task, rotation


def check_users(directory: Directory, user_ids: list[str]) -> list[str]:
    """The distinct user ids in order; NotFoundError if the directory doesn't know one.

    Called before the unit of work (a directory may be remote; a retry must not
    repeat it).
    """
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        raise InputError("No users given: name at least one @user.")
    known = directory.by_ids(ids)
    unknown = [u for u in ids if u not in known]
    if unknown:
        raise NotFoundError(
            f"Unknown user(s): {', '.join(unknown)}. Check the @usernames.",
            user_ids=unknown,
        )
    return ids


def notice(
    kind: str,
    user_id: str,
    actor_id: str,
    *,
    task: Task | None = None,
    rotation_id: str = "",
    interval: tuple | None = None,
    **extra: Any,
) -> Notice:
    """Build a Notice; with ``task`` its id, rotation, snapshot and interval are filled in."""
    start = finish = None
    if interval is not None:
        start, finish = interval
    if task is not None:
        rotation_id = rotation_id or task.rotation_id
        # Deep copy (a JSON round trip is msgspec's fastest): the task object keeps
        # changing within the same command, the notice must show it as it was.
        snapshot = decode(Task, encode(task))
        return Notice(
            kind=kind,
            user_id=user_id,
            actor_id=actor_id,
            rotation_id=rotation_id,
            task_id=task.task_id,
            task=snapshot,
            start=start,
            finish=finish,
            **extra,
        )
    return Notice(
        kind=kind,
        user_id=user_id,
        actor_id=actor_id,
        rotation_id=rotation_id,
        start=start,
        finish=finish,
        **extra,
    )


def channel_notice(
    rotation: Rotation,
    kind: str,
    actor_id: str,
    *,
    task: Task | None = None,
    interval: tuple | None = None,
    **extra: Any,
) -> list[Notice]:
    """The post of ``kind`` in ``rotation``'s channel: one notice, or none when it has no channel.

    A list, so callers can ``extend`` unconditionally. Times in the post follow the
    rotation's zone (a channel has many readers).
    """
    if not rotation.channel_id:
        return []
    return [
        notice(
            kind,
            "",
            actor_id,
            task=task,
            rotation_id=rotation.rotation_id,
            interval=interval,
            channel_id=rotation.channel_id,
            channel_name=rotation.channel_name,
            zone=rotation.fill_settings.time_zone,
            **{"task_type": rotation.task_type, **extra},
        )
    ]


def _to_outbox(session: Session, notices: Iterable[Notice]) -> None:
    """Store the messages a change causes in the outbox, in the change's own commit."""
    # The wall clock, not the command's `now`: it dates the backlog for operators
    # (how long messages have waited), which is real elapsed time.
    created = datetime.now(UTC)
    # The one place a person's muted kinds are applied. Only kinds a person may turn
    # off need their record (already loaded by the operations that make them, so this
    # costs no round trip); alerts, offers and welcomes always go out.
    notices = list(notices)
    mutable = [n for n in notices if n.kind in MUTABLE_KINDS and n.user_id and not n.channel_id]
    session.prefetch(keys.user(n.user_id) for n in mutable)
    check = {id(n) for n in mutable}
    kept = []
    for notice in notices:
        if id(notice) in check:
            user = session.user(notice.user_id)
            if user is not None and is_muted(notice.kind, user.muted):
                continue
        kept.append(notice)
    # One message per person and per channel for the whole change (a digest of its
    # notices), however many tasks or kinds of news it touched.
    for message in one_per_reader(kept):
        session.send(new_message(message, created, channel_id=message.channel_id))
