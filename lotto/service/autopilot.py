"""The autopilot (docs/design.md §4): one run over one rotation at one time.

:func:`run_autopilot` works on records already loaded into a session: the
rotation, its open tasks and the users (members and assigned). It changes
them in place through :mod:`lotto.service.taskops` and returns the report
steps and notices; the service saves everything in the same unit of work.

"A run works on the tasks as they were when the run began, and on the shifts it
makes": the view is the map task id → state taken before step 1. Steps 1, 2, 5
and 6 select by that view (and the task's current state must still match), so a
task scheduled in step 4 is reminded or started no earlier than the next run.
Step 4 considers the tasks pending at the start and then the shifts step 3 just
made: one made already due is filled and scheduled by the run that makes it (the
original waited for the next run), in the same unit of work.

Step 4 leaves alone a pending task whose expected interval has already ended
(``now ≥ ExpectedStart + ExpectedDuration``): filling it could never help, and
retrying it every tick would report the same failure to the admins forever.
It is listed in the step as skipped (not a failure) and stays pending; a task
that is due but not yet over is still tried on every run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lotto import api
from lotto.api import AutopilotFill, AutopilotStep, Notice
from lotto.errors import InsufficientError
from lotto.model.history import task_made
from lotto.model.rotation import (
    TASK_TYPE_TICKET,
    Rotation,
    holiday_of_shift,
    shift_number_of,
    shift_start_of,
)
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    STATE_SCHEDULED,
    STATE_STARTED,
    Task,
    new_shift,
    overlapping_tasks,
    shift_task_id,
    task_interval,
)
from lotto.model.user import User
from lotto.service import taskops
from lotto.service.alerts import alert_once
from lotto.service.common import notice
from lotto.store import Session

__all__ = ["run_autopilot", "MAX_CREATE_AHEAD", "OFFER_ALERT_BEFORE"]

#: The create step looks at most this many shift numbers ahead of the current
#: one: a tiny period with a long create-prior ("--period 1m", 800h ahead) would
#: otherwise make tens of thousands of shifts in one tick, each checked against
#: all the others, and the tick would never end. Daily shifts still reach 2.7
#: years ahead; the window moves on with every run.
MAX_CREATE_AHEAD = 1000

#: An offered place still open this close to its task's start is an alert.
OFFER_ALERT_BEFORE = timedelta(hours=24)


class _Run:
    def __init__(
        self,
        session: Session,
        rotation: Rotation,
        tasks: dict[str, Task],
        users: dict[str, User],
        now: datetime,
        actor_id: str,
    ) -> None:
        self.s = session
        self.rotation = rotation
        self.tasks = tasks
        self.users = users
        self.now = now
        self.actor_id = actor_id
        self.view = {tid: t.state for tid, t in tasks.items()}  # as the run began
        self.notices: list[Notice] = []
        self.mentioned: set[str] = set()
        self.created: list[str] = []  # made by step 3 of this run, in order

    def in_view(self, state: str) -> list[Task]:
        """Tasks that were in ``state`` when the run began and still are, in creation order."""
        return [
            t for tid, t in self.tasks.items() if self.view.get(tid) == state and t.state == state
        ]

    def _remind(self, name: str, kind: str, due) -> AutopilotStep:
        step = AutopilotStep(name=name)
        state = STATE_STARTED if kind == "remind_finish" else STATE_SCHEDULED
        users: dict[str, None] = {}
        for task in self.in_view(state):
            if not due(task):
                continue
            interval = task_interval(task)
            for uid in task.mattermost_user_ids:
                self.notices.append(
                    notice(
                        kind,
                        uid,
                        self.actor_id,
                        task=task,
                        interval=interval,
                        task_type=self.rotation.task_type,
                    )
                )
                users[uid] = None
            if kind == "remind_finish":
                task.autopilot_reminded_finish = True
            else:
                task.autopilot_reminded_start = True
            self.s.save_task(task)
            step.task_ids.append(task.task_id)
        step.user_ids = list(users)
        return step

    def remind_finish(self) -> AutopilotStep:
        ap = self.rotation.autopilot_settings
        if not ap.remind_finish:
            return AutopilotStep(name=api.STEP_REMIND_FINISH, configured=False)
        return self._remind(
            api.STEP_REMIND_FINISH,
            "remind_finish",
            lambda t: (
                not t.autopilot_reminded_finish
                and self.now >= t.actual_start + t.expected_duration - ap.remind_finish_prior
            ),
        )

    def remind_start(self) -> AutopilotStep:
        ap = self.rotation.autopilot_settings
        if not ap.remind_start:
            return AutopilotStep(name=api.STEP_REMIND_START, configured=False)
        return self._remind(
            api.STEP_REMIND_START,
            "remind_start",
            lambda t: (
                not t.autopilot_reminded_start
                and self.now >= t.expected_start - ap.remind_start_prior
            ),
        )

    def _transition(self, name: str, from_state: str, to_state: str, due) -> AutopilotStep:
        if not self.rotation.autopilot_settings.start_finish:
            return AutopilotStep(name=name, configured=False)
        step = AutopilotStep(name=name)
        for task in self.in_view(from_state):
            if due(task):
                _, notes = taskops.transition(
                    self.s,
                    self.rotation,
                    task,
                    to_state,
                    self.users,
                    now=self.now,
                    actor_id=self.actor_id,
                    others=self.tasks.values(),
                )
                self.notices.extend(notes)
                step.task_ids.append(task.task_id)
        return step

    def finish(self) -> AutopilotStep:
        return self._transition(
            api.STEP_FINISH,
            STATE_STARTED,
            STATE_FINISHED,
            lambda t: t.actual_start + t.expected_duration < self.now,
        )

    def start(self) -> AutopilotStep:
        return self._transition(
            api.STEP_START, STATE_SCHEDULED, STATE_STARTED, lambda t: self.now >= t.expected_start
        )

    def create(self) -> AutopilotStep:
        ap, fs, r = self.rotation.autopilot_settings, self.rotation.fill_settings, self.rotation
        if r.task_type == TASK_TYPE_TICKET:
            return AutopilotStep(
                name=api.STEP_CREATE,
                configured=ap.create,
                skipped_reason="tickets can not be auto-created",
            )
        if not ap.create:
            return AutopilotStep(name=api.STEP_CREATE, configured=False)
        if fs.beginning is None:
            return AutopilotStep(
                name=api.STEP_CREATE, skipped_reason="the rotation has no beginning time"
            )
        step = AutopilotStep(name=api.STEP_CREATE)
        up_to = self.now + ap.create_prior
        n = shift_number_of(r, self.now)
        last = n + MAX_CREATE_AHEAD - 1
        while n <= last and (start := shift_start_of(r, n)) < up_to:
            tid = shift_task_id(r.rotation_id, n)
            # Shift numbers before the beginning don't exist; an existing shift
            # (any state) or an open task covering the start means "covered".
            covered = (
                n < 0
                or task_made(r, tid)
                or bool(holiday_of_shift(r, n))  # a holiday's turn, never made
                or any(
                    (iv := task_interval(t)) and iv[0] <= start < iv[1] for t in self.tasks.values()
                )
            )
            # A shift that would overlap an open task is skipped, not an error: the
            # autopilot must keep running the other steps.
            if not covered and not overlapping_tasks(new_shift(r, n), self.tasks.values()):
                task = taskops.make_shift(self.s, r, n, self.tasks.values())
                self.tasks[task.task_id] = task
                self.created.append(task.task_id)
                step.task_ids.append(task.task_id)
            n += 1
        return step

    def alert_open_offers(self) -> None:
        """Alert the owners and the channel, once per offer, when an offered place is still
        open within :data:`OFFER_ALERT_BEFORE` of its task's start."""
        for task in self.tasks.values():
            start = task.expected_start
            if task.state not in (STATE_PENDING, STATE_SCHEDULED) or start is None:
                continue
            if not start - OFFER_ALERT_BEFORE <= self.now < start:
                continue
            for offer in list(task.offers):
                self.notices += alert_once(
                    self.s,
                    self.rotation,
                    task,
                    "alert_offer_open",
                    self.actor_id,
                    cause=offer.offer_id,
                    subject_id=offer.user_id,
                )

    def fill_schedule(self) -> AutopilotStep:
        ap = self.rotation.autopilot_settings
        if not ap.schedule:
            return AutopilotStep(name=api.STEP_FILL_SCHEDULE, configured=False)
        step = AutopilotStep(name=api.STEP_FILL_SCHEDULE)
        # The shifts step 3 just made count as pending at the start: one made already
        # due is filled now, not one run later (a difference from the original).
        made = [self.tasks[tid] for tid in self.created]
        for task in self.in_view(STATE_PENDING) + made:
            start = task.expected_start
            # A pending task always has an expected start; a record without one
            # (hand-edited) has no time to fill it ahead of, so it is left alone.
            if start is None or self.now < start - ap.schedule_prior:
                continue
            ended = start + task.expected_duration
            if self.now >= ended:
                # Too late to fill: report, don't retry (a failure here would recur every tick).
                step.fills.append(
                    AutopilotFill(task_id=task.task_id, state=task.state, ended_at=ended)
                )
                self.notices += alert_once(
                    self.s, self.rotation, task, "alert_skipped", self.actor_id
                )
                continue
            try:
                added = taskops.fill(self.s, self.rotation, task, self.users, self.now)
            except InsufficientError as err:
                # One unfillable task must not stop the rest of the run (finishing
                # and starting other shifts, reminders): report it, leave it pending.
                step.fills.append(
                    AutopilotFill(task_id=task.task_id, state=task.state, error=err.message)
                )
                step.task_ids.append(task.task_id)
                self.notices += alert_once(
                    self.s,
                    self.rotation,
                    task,
                    "alert_unfilled",
                    self.actor_id,
                    need=str(err.context.get("need", "")),
                    unmet=_unmet(err.context.get("unmet")),
                )
                continue
            _, notes = taskops.transition(
                self.s,
                self.rotation,
                task,
                STATE_SCHEDULED,
                self.users,
                now=self.now,
                actor_id=self.actor_id,
            )
            self.notices.extend(notes)
            self.mentioned.update(added)
            step.fills.append(
                AutopilotFill(task_id=task.task_id, added_user_ids=added, state=task.state)
            )
            step.task_ids.append(task.task_id)
        return step


def _unmet(value: object) -> dict[str, int]:
    """The unmet needs an InsufficientError carries (need id → count)."""
    return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}


def run_autopilot(
    session: Session,
    rotation: Rotation,
    tasks: dict[str, Task],
    users: dict[str, User],
    *,
    now: datetime,
    actor_id: str,
) -> tuple[list[AutopilotStep], list[Notice], dict[str, User]]:
    """Run the six steps in order; returns (steps, notices, records of auto-assigned users).

    ``tasks`` are the rotation's open tasks; ``users`` must hold the records of
    the members and of every user assigned to an open task. A task that can't
    be filled is reported in its step (``AutopilotFill.error``) and stays
    pending; unlike the original, the run goes on with the other tasks and steps.
    A pending task whose expected interval has ended is not tried: it is
    reported as skipped (``AutopilotFill.ended_at``) and stays pending.
    """
    run = _Run(session, rotation, dict(tasks), users, now, actor_id)
    steps = [run.remind_finish(), run.finish(), run.create(), run.fill_schedule()]
    run.alert_open_offers()  # before the start step, which drops a starting task's offers
    steps += [run.remind_start(), run.start()]
    notices = _one_message_each(run.notices)
    for n in notices:
        n.by_autopilot = True
        if n.kind == "started" and n.task_type != TASK_TYPE_TICKET:
            _neighbours(n, run.tasks)
    return steps, notices, {u: users[u] for u in sorted(run.mentioned)}


# A reminder made moot by what the same run did to the task: a late tick tells of the
# finish (or start) only, not "finishes soon" and "is finished" together.
_MOOT = {"remind_finish": "finished", "remind_start": "started"}


def _one_message_each(notices: list[Notice]) -> list[Notice]:
    done = {(n.kind, n.user_id, n.task_id) for n in notices}
    return [
        n
        for n in notices
        if n.kind not in _MOOT or (_MOOT[n.kind], n.user_id, n.task_id) not in done
    ]


def _neighbours(n: Notice, tasks: dict[str, Task]) -> None:
    """Fill in who hands over (the shift before this one) and who is next (the one after),
    among the shifts the run has loaded, by expected start."""
    this = tasks.get(n.task_id)
    if this is None or this.expected_start is None:
        return
    at = this.expected_start
    starts = [
        (t.expected_start, t)
        for t in tasks.values()
        if t.task_id != n.task_id and t.expected_start is not None
    ]
    before = [(start, t) for start, t in starts if start < at]
    after = [(start, t) for start, t in starts if start > at]
    if before and not n.handover_user_ids:
        prev = max(before, key=lambda pair: pair[0])[1]
        n.handover_user_ids = list(prev.mattermost_user_ids)
    if after:
        nxt = min(after, key=lambda pair: pair[0])[1]
        n.next_task_id = nxt.task_id
        n.next_user_ids = list(nxt.mattermost_user_ids)
