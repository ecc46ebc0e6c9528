"""Who is on call, in the rotation channel's header (issue 17).

See docs/design.md §7 "Who is on call, in chat".

With ``rotation set header R --on`` the bot keeps one line of the channel's
header current: who is on call now and until when, and who is next. The line
is kept current by a step that runs before the commit of *every* change
(:func:`lotto.service.common.on_commit`), so a start, a finish, an assignment,
a taken offer — and any later operation that changes a task (overrides, swaps)
— updates it without having to remember to. The step looks at the rotations the
change loaded whose header is on (or was, or whose line sits in a former
channel); for those whose tasks, open-tasks record or settings the change wrote,
it works out who is on call at the operation's ``now``
(:func:`lotto.service.oncall.on_call`, the rule of ``rotation now``) and, when
that differs from what it last asked for (``Rotation.header.shown``), records a
``header`` notice. The notice goes to the outbox with the change, and the
shim's deliverer rewrites the header line (``shim.header``); the line itself is
written by the command layer. At most one per rotation and channel per change;
the latest wins.

Turning it off, or moving the rotation to another channel, sends an ``off``
notice for the channel the line was in: the line comes out and the header is as
it was without it; the custom group, if any, is emptied.

Round trips: none for a change that touches no rotation with a header line;
otherwise the open tasks of that rotation, in one batch when the change had not
read them already.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from lotto import api
from lotto.errors import InputError
from lotto.model import keys, override
from lotto.model.rotation import Rotation
from lotto.model.task import Task, task_interval
from lotto.service.access import OWNER
from lotto.service.common import on_commit, resolve_rotation, run
from lotto.service.hours import on_call_now
from lotto.service.oncall import on_call
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.taskops import load_open_tasks
from lotto.store import Session, operation_now

__all__ = ["HeaderOps", "header_notices", "GROUP_NAME"]

#: A custom group's name as Mattermost takes it (what follows the ``@``).
GROUP_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_STATE = msgspec.json.Encoder()


class HeaderOps(Ops):
    """Mixin of :class:`lotto.service.Service`: ``rotation set header``."""

    @operation(api.RotationSetHeaderRequest, access=OWNER)
    def rotation_set_header(
        self, req: api.RotationSetHeaderRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Turn the header line on or off, and set or drop its custom group.

        The line itself follows in the same commit (``header_notices``). Round trips:
        1 batch (the rotation) + 1 (its open tasks, when on) + commit.
        """
        if req.on and req.off:
            raise InputError("give either `--on` or `--off`, not both.", rotation=req.rotation)
        if req.group and req.no_group:
            raise InputError("give either `--group` or `--no-group`, not both.")
        group = req.group.removeprefix("@")
        if group and not GROUP_NAME.fullmatch(group):
            raise InputError(
                f"`{group}` cannot be a Mattermost group name: use 1-64 lowercase letters, "
                "digits, `.`, `-` or `_`, starting with a letter or digit (e.g. `ops-oncall`).",
                group=group,
            )
        if not (req.on or req.off or group or req.no_group):
            raise InputError("say what to change: `--on`, `--off`, `--group NAME` or `--no-group`.")

        def fn(s: Session) -> api.RotationResult:
            rotation = resolve_rotation(s, req.rotation)
            hs = rotation.header
            if req.on and not rotation.channel_id:
                raise InputError(
                    f"{rotation.rotation_id} has no channel for the header line: set one first "
                    f"with `rotation set channel {rotation.rotation_id} ~channel`.",
                    rotation_id=rotation.rotation_id,
                )
            if req.on or req.off:
                hs.on = req.on
            if group or req.no_group:
                hs.group = group
            s.save_rotation(rotation)
            return api.RotationResult(rotation=rotation)

        return run(self.kv, fn, self.stats)


@on_commit
def header_notices(session: Session) -> list[api.Notice]:
    """The ``header`` notices a change causes (see the module doc); marks them shown."""
    changed = set(session.changed_keys())
    if not changed:
        return []
    now = operation_now() or datetime.now(UTC)
    notices: list[api.Notice] = []
    for rotation in session.loaded(Rotation):
        hs = rotation.header
        if not (hs.on or hs.shown or hs.channel_id):
            continue
        if _touched(session, rotation, changed):
            notices += _refresh(session, rotation, now)
    return notices


def _touched(session: Session, rotation: Rotation, changed: set[str]) -> bool:
    rid = rotation.rotation_id
    if keys.rotation(rid) in changed or keys.open_tasks(rid) in changed:
        return True
    return any(keys.task(tid) in changed for tid in session.open_tasks(rotation).tasks)


def _refresh(session: Session, rotation: Rotation, now: datetime) -> list[api.Notice]:
    hs = rotation.header
    wanted = hs.on and bool(rotation.channel_id)
    notices: list[api.Notice] = []
    if hs.channel_id and (not wanted or hs.channel_id != rotation.channel_id):
        # Off, or the rotation moved channel: the line comes out of where it was.
        notices.append(_notice(rotation, hs.channel_id, outcome="off"))
        hs.shown, hs.channel_id = "", ""
    if wanted:
        tasks = list(load_open_tasks(session, rotation).values())
        # The rule of `rotation now`, working hours included: off hours nobody is on
        # call, and the next person is on from the next working window.
        at = on_call_now(rotation, on_call(tasks, now), tasks, now)
        current, following = at.current, at.next
        notice = _notice(rotation, rotation.channel_id)
        if current is not None:
            notice.task_id = current.task_id
            # Covers (overrides) put their people in the place of those they replace.
            notice.user_ids = override.on_call_at(current, now)
            interval = task_interval(current)
            notice.start, notice.finish = interval if interval else (None, None)
            notice.finish = _until(current, now, at.on_call_until or notice.finish)
        if following is not None:
            notice.next_task_id = following.task_id
            interval = task_interval(following)
            notice.next_start = at.next_on_call or (interval[0] if interval else None)
            when = notice.next_start or now
            notice.next_user_ids = override.on_call_at(following, when)
        state = _state(notice)
        if state != hs.shown or hs.channel_id != rotation.channel_id:
            notices.append(notice)
            hs.shown, hs.channel_id = state, rotation.channel_id
    if notices:
        session.save_rotation(rotation)
    return notices


def _until(task: Task, now: datetime, finish: datetime | None) -> datetime | None:
    """When who is on call for ``task`` next changes: ``finish``, or sooner where a cover
    of it begins or ends."""
    edges = [
        edge
        for o in task.overrides
        if o.replaces in task.mattermost_user_ids
        for edge in (o.start, o.finish)
        if edge > now
    ]
    return min([*edges, *([finish] if finish else [])], default=None)


def _notice(rotation: Rotation, channel_id: str, outcome: str = "") -> api.Notice:
    name = rotation.channel_name if channel_id == rotation.channel_id else ""
    return api.Notice(
        kind="header",
        user_id="",
        actor_id="",
        rotation_id=rotation.rotation_id,
        channel_id=channel_id,
        channel_name=name,
        zone=rotation.fill_settings.time_zone,
        task_type=rotation.task_type,
        group=rotation.header.group,
        outcome=outcome,
    )


def _state(n: api.Notice) -> str:
    """What the line and the group say, as one comparable string."""
    return _STATE.encode(
        [
            n.channel_id,
            n.group,
            n.zone,
            n.task_id,
            n.user_ids,
            n.finish,
            n.next_task_id,
            n.next_user_ids,
            n.next_start,
        ]
    ).decode()
