"""Alerts: what goes wrong with a rotation, told to its owners and its channel.

An alert goes to every owner of the rotation as a direct message (but the one
whose own command caused it, who reads it in the reply) and to the rotation's
channel, whatever the admin log level. Each alert is sent once per
cause: the task records the alerts sent about it (``Task.alerts_sent``) in the
same commit as the alert's notices, so the autopilot, running every minute,
never repeats one.
"""

from __future__ import annotations

from typing import Any

from lotto.model.notice import ALERT_KINDS, Notice
from lotto.model.risks import Risk
from lotto.model.rotation import Rotation
from lotto.model.task import Task, task_interval
from lotto.service.common import channel_notice, notice
from lotto.store import Session

__all__ = ["alert", "alert_once", "alert_broken"]


def alert(
    rotation: Rotation, kind: str, actor_id: str, *, task: Task | None = None, **extra: Any
) -> list[Notice]:
    """The notices of one alert: a DM to each owner and a post in the channel (if any).

    The owner whose own command caused the alert gets no DM: its reply already says it.
    """
    assert kind in ALERT_KINDS, kind
    interval = task_interval(task) if task is not None else None
    common: dict[str, Any] = {"task": task, "interval": interval, **extra}
    if task is not None:
        common.setdefault("task_type", rotation.task_type)  # "shift" or "ticket" in the text
    if task is None:
        common["rotation_id"] = rotation.rotation_id
    out = [notice(kind, o, actor_id, **common) for o in rotation.owners if o != actor_id]
    # The channel's post names its rotation itself.
    out += channel_notice(
        rotation, kind, actor_id, **{k: v for k, v in common.items() if k != "rotation_id"}
    )
    return out


def alert_once(
    session: Session,
    rotation: Rotation,
    task: Task,
    kind: str,
    actor_id: str,
    *,
    cause: str = "",
    **extra: Any,
) -> list[Notice]:
    """The alert ``kind`` about ``task`` unless it was already sent for this ``cause``.

    ``cause`` tells apart alerts of one kind about one task (e.g. which member left);
    the task remembers ``kind:cause`` and is saved in the same unit of work.
    """
    key = f"{kind}:{cause}" if cause else kind
    if key in task.alerts_sent or not (rotation.owners or rotation.channel_id):
        return []  # sent already, or nobody to tell (an owner added later still hears)
    task.alerts_sent.append(key)
    session.save_task(task)
    return alert(rotation, kind, actor_id, task=task, **extra)


def alert_broken(rotation: Rotation, risks: list[Risk], actor_id: str) -> list[Notice]:
    """One alert naming every scheduled or started shift of ``rotation`` a change broke.

    Sent at once by the change itself (the change is its one cause, so nothing
    repeats it); none when nothing broke.
    """
    mine = [r for r in risks if r.rotation_id == rotation.rotation_id]
    if not mine:
        return []
    return alert(rotation, "alert_broken", actor_id, risks=mine, task_type=rotation.task_type)
