"""``Service``: the public face of the service (skeleton; bodies filled per noun)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from lotto import api
from lotto.ports import Directory

__all__ = ["Service"]


class Service:
    """Every ``/lotto`` operation over a kvstore and a user directory.

    ``kv`` is a ``kvstore.KVStore`` (only its ``run`` is used); ``directory``
    resolves profiles (the acting user's zone is the default rotation zone).
    ``rng_factory`` makes the generator for random rotation-id suffixes
    (default: ``random.Random(seed)``), so tests are deterministic.
    """

    def __init__(
        self,
        kv,
        directory: Directory,
        *,
        seed: int | None = None,
        rng_factory: Callable[[], random.Random] | None = None,
    ) -> None:
        self.kv = kv
        self.directory = directory
        self._id_rng = rng_factory() if rng_factory else random.Random(seed)

    # ------------------------------------------------------------------ info
    def info(self, req: api.InfoRequest, *, actor_id: str, now: datetime) -> api.InfoResult:
        """Active rotations and known skills."""
        raise NotImplementedError

    # ------------------------------------------------------------------ rotations
    def rotation_new(self, req: api.RotationNewRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Create a rotation (id = name, or name-xxxxxxx when the name is taken)."""
        raise NotImplementedError

    def rotation_list(self, req: api.RotationListRequest, *, actor_id: str, now: datetime) -> api.RotationListResult:
        """Active rotation ids, sorted (also used by ``autopilot_all``)."""
        raise NotImplementedError

    def rotation_show(self, req: api.RotationShowRequest, *, actor_id: str, now: datetime) -> api.RotationShowResult:
        """A rotation with its members and open tasks."""
        raise NotImplementedError

    def rotation_archive(self, req: api.RotationArchiveRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Archive a rotation and drop it from the active index."""
        raise NotImplementedError

    def rotation_autopilot(self, req: api.RotationAutopilotRequest, *, actor_id: str, now: datetime) -> api.AutopilotResult:
        """Run the autopilot once for a rotation at ``now`` (SPEC §4)."""
        raise NotImplementedError

    def rotation_set_autopilot(self, req: api.RotationSetAutopilotRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Change autopilot settings."""
        raise NotImplementedError

    def rotation_set_fill(self, req: api.RotationSetFillRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Change fill settings (fuzz, seed)."""
        raise NotImplementedError

    def rotation_set_require(self, req: api.RotationSetRequireRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Set or clear a Require need."""
        raise NotImplementedError

    def rotation_set_limit(self, req: api.RotationSetLimitRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Set or clear a Limit need."""
        raise NotImplementedError

    def rotation_set_task(self, req: api.RotationSetTaskRequest, *, actor_id: str, now: datetime) -> api.RotationResult:
        """Change task defaults (duration, grace)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ tasks
    def task_new_shift(self, req: api.TaskNewShiftRequest, *, actor_id: str, now: datetime) -> api.TaskResult:
        """Make shift N of a rotation (OverlapError if it overlaps a task)."""
        raise NotImplementedError

    def task_new_ticket(self, req: api.TaskNewTicketRequest, *, actor_id: str, now: datetime) -> api.TaskResult:
        """Make the next ticket of a rotation, starting now."""
        raise NotImplementedError

    def task_assign(self, req: api.TaskAssignRequest, *, actor_id: str, now: datetime) -> api.TaskAssignResult:
        """Assign users to a task (Limit checked unless ``force``)."""
        raise NotImplementedError

    def task_unassign(self, req: api.TaskUnassignRequest, *, actor_id: str, now: datetime) -> api.TaskAssignResult:
        """Unassign users from a task and drop its calendar events."""
        raise NotImplementedError

    def task_fill(self, req: api.TaskFillRequest, *, actor_id: str, now: datetime) -> api.TaskAssignResult:
        """Auto-assign users to a pending task with the rotation's filler."""
        raise NotImplementedError

    def task_transition(self, req: api.TaskTransitionRequest, *, actor_id: str, now: datetime) -> api.TaskTransitionResult:
        """Move a task to scheduled, started or finished."""
        raise NotImplementedError

    def task_show(self, req: api.TaskShowRequest, *, actor_id: str, now: datetime) -> api.TaskShowResult:
        """A task with its assigned users."""
        raise NotImplementedError

    # ------------------------------------------------------------------ users
    def user_qualify(self, req: api.UserQualifyRequest, *, actor_id: str, now: datetime) -> api.UsersResult:
        """Give users skills (and make the skills known)."""
        raise NotImplementedError

    def user_disqualify(self, req: api.UserDisqualifyRequest, *, actor_id: str, now: datetime) -> api.UsersResult:
        """Remove skills from users."""
        raise NotImplementedError

    def user_show(self, req: api.UserShowRequest, *, actor_id: str, now: datetime) -> api.UsersResult:
        """Users' records (a user never seen gets an empty record, not stored)."""
        raise NotImplementedError

    def user_unavailable(self, req: api.UserUnavailableRequest, *, actor_id: str, now: datetime) -> api.UsersResult:
        """Add (or clear) personal unavailability."""
        raise NotImplementedError

    def user_join(self, req: api.UserJoinRequest, *, actor_id: str, now: datetime) -> api.MembershipResult:
        """Add users to a rotation (optionally with LastServed = starting)."""
        raise NotImplementedError

    def user_leave(self, req: api.UserLeaveRequest, *, actor_id: str, now: datetime) -> api.MembershipResult:
        """Remove users from a rotation."""
        raise NotImplementedError

    # ------------------------------------------------------------------ skills
    def skill_new(self, req: api.SkillNewRequest, *, actor_id: str, now: datetime) -> api.SkillsResult:
        """Add a known skill."""
        raise NotImplementedError

    def skill_delete(self, req: api.SkillDeleteRequest, *, actor_id: str, now: datetime) -> api.SkillsResult:
        """Remove a known skill."""
        raise NotImplementedError

    def skill_list(self, req: api.SkillListRequest, *, actor_id: str, now: datetime) -> api.SkillsResult:
        """Known skills."""
        raise NotImplementedError
