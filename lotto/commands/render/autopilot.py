"""Markdown for autopilot runs: one rotation's report, and every rotation's.

The report's header shows the run's time in the acting user's zone (as the
original's tests pin); the timer's runs have no acting user.
"""

from __future__ import annotations

from lotto import api
from lotto.commands.render.records import Mention, auto_assigned, fmt_time
from lotto.model.user import User

__all__ = ["STEP_LABELS", "autopilot_report", "autopilot_failure", "autopilot_all_text"]

# Report labels of the autopilot steps (docs/design.md §4), in run order.
STEP_LABELS: dict[str, str] = {
    api.STEP_REMIND_FINISH: "finish reminder",
    api.STEP_FINISH: "finish",
    api.STEP_CREATE: "create shift",
    api.STEP_FILL_SCHEDULE: "fill and schedule",
    api.STEP_REMIND_START: "start reminder",
    api.STEP_START: "start",
}


def autopilot_report(
    res: api.AutopilotResult, actor: str | None, zone: str, mention: Mention
) -> str:
    """The autopilot report of docs/design.md §4 (header time in the acting user's zone).

    ``actor`` is the acting user's ``@username``, or None for the timer's runs.
    """
    who = f"{actor} ran autopilot" if actor else "autopilot ran"
    lines = [f"{who} on {res.rotation.rotation_id} for {fmt_time(res.time, zone)}."]
    for step in res.steps:
        lines += _step_lines(step, res.users, mention, zone)
    return "\n".join(lines)


def autopilot_failure(rotation_id: str, error: str) -> str:
    """The line for a rotation whose autopilot run failed, in an every-rotation report."""
    return f"autopilot on {rotation_id}: {error}"


def autopilot_all_text(reports: list[str]) -> str:
    """The reply of ``/lotto autopilot``: every rotation's report (or failure), or none ran."""
    if not reports:
        return "No active rotations: the autopilot had nothing to do."
    return "\n\n".join(reports)


def _step_lines(
    step: api.AutopilotStep, users: dict[str, User], mention: Mention, zone: str
) -> list[str]:
    label = STEP_LABELS.get(step.name, step.name)
    if not step.configured:
        return [f"  - {label}: not configured"]
    if step.skipped_reason:
        return [f"  - {label}: {step.skipped_reason}"]
    if not step.task_ids and not step.fills:
        return [f"  - {label}: nothing to do"]
    n = len(step.task_ids)
    if step.name == api.STEP_CREATE:
        return [f"  - {label}: created {n} shifts:"] + [
            f"    - created shift {tid}" for tid in step.task_ids
        ]
    if step.name == api.STEP_FILL_SCHEDULE:
        out = [f"  - {label}: processed {len(step.fills)} tasks:"]
        for fill in step.fills:
            if fill.ended_at is not None:
                out.append(
                    f"    - skipped {fill.task_id}: it ended at {fmt_time(fill.ended_at, zone)} "
                    f"before it could be filled; it stays {fill.state}"
                )
                continue
            if fill.error:
                out.append(f"    - {fill.error}; {fill.task_id} stays {fill.state}")
                continue
            out.append(
                f"    - {auto_assigned(fill.task_id, fill.added_user_ids, users, mention)}"
                f", transitioned {fill.task_id} to {fill.state}"
            )
        return out
    if step.name in (api.STEP_REMIND_START, api.STEP_REMIND_FINISH):
        return [f"  - {label}: messaged {len(step.user_ids)} users of {n} tasks"]
    if step.name == api.STEP_FINISH:
        return [f"  - finished: {n} tasks"]
    if step.name == api.STEP_START:
        return [f"  - started: {n} tasks"]
    return [f"  - {label}: {n} tasks"]
