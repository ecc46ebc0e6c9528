"""Rotation operations: new, list, show, archive, settings, and info."""

from __future__ import annotations

import string
from datetime import datetime, timedelta

from lotto import api
from lotto.errors import InputError
from lotto.model import keys
from lotto.model.hours import WorkingHours
from lotto.model.index import OpenTasks
from lotto.model.risks import check_duration
from lotto.model.rotation import (
    FILLER_QUEUE,
    FILLER_SOLAR_LOTTERY,
    TASK_TYPE_SHIFT,
    TASK_TYPE_TICKET,
    FillSettings,
    Rotation,
)
from lotto.model.skill import ANY, need_id, parse_skill
from lotto.model.timeutil import (
    format_duration,
    format_wall,
    get_zone,
    local_wall,
    localize,
    parse_period,
    parse_wall,
)
from lotto.service.access import ADMIN, OWNER, PUBLIC
from lotto.service.common import resolve_rotation, run
from lotto.service.hours import next_holidays
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.risking import needs_warnings
from lotto.service.taskops import load_open_tasks
from lotto.store import Session

__all__ = ["RotationOps"]

_ID_ALPHABET = string.ascii_lowercase + string.digits
_SUFFIX_LEN = 7
_MAX_NAME = 100  # keys are limited to 150 characters, namespace included


def _check_name(name: str) -> str:
    """The one rotation-name rule: ``#`` separates task numbers (``R#3``), ``@`` marks users
    among a command's words, blanks separate words; the id must fit in a key."""
    name = name.strip()
    if (
        not name
        or name.startswith("@")
        or "#" in name
        or any(c.isspace() for c in name)
        or len(name) > _MAX_NAME
    ):
        raise InputError(
            f"{name!r} is not a valid rotation name: use 1-{_MAX_NAME} characters without "
            "spaces, '@' or '#', e.g. `rotation new SET`.",
            name=name,
        )
    return name


def _non_negative(value, what: str, zero):
    if value is not None and value < zero:
        shown = format_duration(value) if isinstance(value, timedelta) else value
        raise InputError(f"{what} must not be negative (got {shown}).", value=value)
    return value


def _beginning_wall(req: api.RotationNewRequest, beginning: datetime, zone: str) -> str:
    """The wall-clock time shifts keep: as asked for, if it names ``beginning`` on the clock."""
    if not (req.beginning and req.beginning_wall):
        return local_wall(beginning, zone)
    wall = parse_wall(req.beginning_wall)
    # A skipped time reads as the moment after the gap, so it still names the beginning;
    # so does a repeated one (fall back) whichever of its two moments was meant.
    if localize(wall, zone) != beginning and local_wall(beginning, zone) != format_wall(wall):
        raise InputError(
            f"the wall-clock beginning {req.beginning_wall} is not the beginning "
            f"{beginning.isoformat()} on the {zone} clock.",
            beginning_wall=req.beginning_wall,
        )
    return req.beginning_wall


class RotationOps(Ops):
    """Mixin of :class:`lotto.service.Service`: rotation commands."""

    @operation(api.InfoRequest, access=PUBLIC)
    def info(self, req: api.InfoRequest, *, actor_id: str, now: datetime) -> api.InfoResult:
        """Active rotations and known skills. Round trips: 1 read batch (+ empty commit)."""

        def fn(s: Session) -> api.InfoResult:
            s.prefetch([keys.ACTIVE_ROTATIONS, keys.SKILLS])
            return api.InfoResult(
                rotation_ids=list(s.index(keys.ACTIVE_ROTATIONS).ids),
                skills=list(s.index(keys.SKILLS).ids),
            )

        return run(self.kv, fn, self.stats)

    @operation(api.RotationListRequest, access=PUBLIC)
    def rotation_list(
        self, req: api.RotationListRequest, *, actor_id: str, now: datetime
    ) -> api.RotationListResult:
        """Active rotation ids, sorted. Round trips: 1 read batch."""

        def fn(s: Session) -> api.RotationListResult:
            return api.RotationListResult(rotation_ids=list(s.index(keys.ACTIVE_ROTATIONS).ids))

        return run(self.kv, fn, self.stats)

    @operation(api.RotationNewRequest, access=ADMIN)
    def rotation_new(
        self, req: api.RotationNewRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Create a rotation; its id is the name, or name-xxxxxxx if an archived rotation has it.

        An active rotation of the same name (in any case) refuses it: a second
        ``ICE`` would only be told apart by a random suffix.

        Round trips: batch 1 = active index + ``rotation:<name>``; batch 2 (only when
        the name is taken) = the candidate suffixed id; commit.
        """
        name = _check_name(req.name)
        task_type = req.task_type or TASK_TYPE_SHIFT
        if task_type not in (TASK_TYPE_SHIFT, TASK_TYPE_TICKET):
            raise InputError(
                f"Unknown task type {task_type!r}: use shift or ticket.", task_type=task_type
            )
        filler = req.filler_type or FILLER_SOLAR_LOTTERY
        if filler not in (FILLER_SOLAR_LOTTERY, FILLER_QUEUE):
            raise InputError(
                f"Unknown fill type {filler!r}: use solar-lottery or queue.", filler_type=filler
            )
        _non_negative(req.fuzz, "--fuzz", 0)
        if any(not 0 <= d <= 6 for d in req.working_days or []):
            raise InputError("working days are 0 (Monday) to 6 (Sunday).", days=req.working_days)
        zone = req.time_zone
        if not zone:
            profile = self.directory.by_id(actor_id)
            zone = (profile.time_zone if profile else "") or "UTC"
        get_zone(zone)  # BadTimeError for an unknown zone
        period = parse_period(req.period) if req.period else "weekly"
        # Whole minutes: shift starts are shown (and typed) to the minute.
        beginning = req.beginning or now.replace(second=0, microsecond=0)
        wall = _beginning_wall(req, beginning, zone)
        # Candidate suffixes drawn before the unit of work: a retry reuses them.
        suffixes = [
            "".join(self._id_rng.choice(_ID_ALPHABET) for _ in range(_SUFFIX_LEN)) for _ in range(3)
        ]

        def fn(s: Session) -> api.RotationResult:
            s.prefetch([keys.ACTIVE_ROTATIONS, keys.rotation(name)])  # batch 1
            taken = [
                r for r in s.index(keys.ACTIVE_ROTATIONS).ids if r.casefold() == name.casefold()
            ]
            if taken:
                same = "" if taken[0] == name else f" (as {taken[0]}: names differ only in case)"
                raise InputError(
                    f"Rotation {name} already exists{same}: pick another name, or archive the "
                    f"old one first with `rotation archive {taken[0]}`. Nothing was changed.",
                    name=name,
                    rotation_id=taken[0],
                )
            rid = name
            # Only an archived rotation can hold the id now: its record stays, so the
            # new one gets a suffixed id (the reply says so).
            if s.rotation(name) is not None:
                candidates = [f"{name}-{sfx}" for sfx in suffixes]
                s.prefetch(keys.rotation(c) for c in candidates)  # batch 2
                free = [c for c in candidates if s.rotation(c) is None]
                if not free:
                    raise InputError(
                        f"Could not find a free id for rotation {name}; try again.", name=name
                    )
                rid = free[0]
            rotation = Rotation(
                rotation_id=rid,
                # The creator is the first owner; the autopilot has no id.
                owners=[actor_id] if actor_id else [],
                filler_type=filler,
                task_type=task_type,
                fill_settings=FillSettings(
                    beginning=beginning,
                    period=period,
                    seed=req.seed or 0,
                    fuzz=req.fuzz or 0,
                    time_zone=zone,
                    beginning_wall=wall,
                ),
                working=WorkingHours(days=sorted(set(req.working_days or []))),
            )
            s.save_rotation(rotation)
            s.save_open_tasks(rid, OpenTasks())
            active = s.index(keys.ACTIVE_ROTATIONS)
            active.ids.append(rid)
            s.save_index(keys.ACTIVE_ROTATIONS, active)
            return api.RotationResult(rotation=rotation)

        return run(self.kv, fn, self.stats)

    @operation(api.RotationShowRequest, access=PUBLIC)
    def rotation_show(
        self, req: api.RotationShowRequest, *, actor_id: str, now: datetime
    ) -> api.RotationShowResult:
        """A rotation, its members and open tasks.

        Round trips: batch 1 = name resolution (see ``resolve_rotation``);
        batch 2 = open tasks + members + assigned users; commit (nothing written).
        """

        def fn(s: Session) -> api.RotationShowResult:
            rotation = resolve_rotation(s, req.rotation)
            tasks = load_open_tasks(
                s, rotation, [keys.user(u) for u in rotation.mattermost_user_ids]
            )
            users = {u: s.user(u) for u in rotation.mattermost_user_ids}
            return api.RotationShowResult(
                rotation=rotation,
                users={u: rec for u, rec in users.items() if rec is not None},
                tasks=list(tasks.values()),
                next_holidays=next_holidays(rotation, now),
            )

        return run(self.kv, fn, self.stats)

    @operation(api.RotationArchiveRequest, access=OWNER)
    def rotation_archive(
        self, req: api.RotationArchiveRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Archive a rotation and drop it from the active index. Round trips: 1 batch + commit."""

        def fn(s: Session) -> api.RotationResult:
            rotation = resolve_rotation(s, req.rotation)
            rotation.is_archived = True
            s.save_rotation(rotation)
            active = s.index(keys.ACTIVE_ROTATIONS)
            active.ids = [i for i in active.ids if i != rotation.rotation_id]
            s.save_index(keys.ACTIVE_ROTATIONS, active)
            return api.RotationResult(rotation=rotation)

        return run(self.kv, fn, self.stats)

    def _update(self, ref: api.RotationRef, change, extra_keys=()) -> api.RotationResult:
        """Resolve, apply ``change(rotation, session)``, save. Round trips: 1 batch + commit.

        ``change`` may return a dict of extra result fields; ``extra_keys`` are
        read in the same batch as the rotation.
        """

        def fn(s: Session) -> api.RotationResult:
            rotation = resolve_rotation(s, ref, extra_keys)
            extra = change(rotation, s) or {}
            s.save_rotation(rotation)
            return api.RotationResult(rotation=rotation, **extra)

        return run(self.kv, fn, self.stats)

    @operation(api.RotationSetAutopilotRequest, access=OWNER)
    def rotation_set_autopilot(
        self, req: api.RotationSetAutopilotRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Change autopilot settings (``off`` first switches every step off)."""
        fields = (
            "create",
            "create_prior",
            "schedule",
            "schedule_prior",
            "start_finish",
            "remind_start",
            "remind_start_prior",
            "remind_finish",
            "remind_finish_prior",
        )
        for f in fields:
            if f.endswith("_prior"):
                _non_negative(getattr(req, f), "--" + f.replace("_", "-"), timedelta(0))

        def change(rotation: Rotation, _s: Session) -> None:
            ap = rotation.autopilot_settings
            if req.off:
                for f in fields:
                    if not f.endswith("_prior"):
                        setattr(ap, f, False)
            for f in fields:
                value = getattr(req, f)
                if value is not None:
                    setattr(ap, f, value)

        return self._update(req.rotation, change)

    @operation(api.RotationSetFillRequest, access=OWNER)
    def rotation_set_fill(
        self, req: api.RotationSetFillRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Change the fill fuzz and/or seed."""
        _non_negative(req.fuzz, "--fuzz", 0)

        def change(rotation: Rotation, _s: Session) -> None:
            if req.fuzz is not None:
                rotation.fill_settings.fuzz = req.fuzz
            if req.seed is not None:
                rotation.fill_settings.seed = req.seed

        return self._update(req.rotation, change)

    def _set_need(self, req: api.RotationSetRequireRequest, attr: str) -> api.RotationResult:
        skill = ANY if req.skill.strip().lower() == ANY else parse_skill(req.skill)
        nid = need_id(skill, 0 if skill == ANY else req.level)
        if not req.clear and req.count < 0:
            raise InputError(f"--count must not be negative (got {req.count}).", count=req.count)

        def change(rotation: Rotation, s: Session) -> dict:
            needs = getattr(rotation.task_settings, attr)
            # A Require of 0 asks for nobody, so it is removed like --clear; a
            # Limit of 0 is kept: it means "nobody with this skill".
            if req.clear or (attr == "require" and req.count == 0):
                needs.pop(nid, None)
                return {"warnings": needs_warnings(s, rotation)}  # batch 2
            needs[nid] = req.count
            known = skill == ANY or skill in s.index(keys.SKILLS).ids
            # Accepted, but said: a need no member set can meet, or one few can.
            extra: dict = {"warnings": needs_warnings(s, rotation)}  # batch 2
            return extra if known else {**extra, "unknown_skill": skill}

        # The known skills come in the rotation's batch: no extra round trip.
        return self._update(req.rotation, change, extra_keys=[keys.SKILLS])

    @operation(api.RotationSetRequireRequest, access=OWNER)
    def rotation_set_require(
        self, req: api.RotationSetRequireRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Set (or with ``clear`` remove) a Require need of new tasks; the reply warns when
        the members cannot meet it or only some of them can ever serve.
        Round trips: batch 1 = the rotation; batch 2 = its members; commit."""
        return self._set_need(req, "require")

    @operation(api.RotationSetLimitRequest, access=OWNER)
    def rotation_set_limit(
        self, req: api.RotationSetLimitRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Set (or with ``clear`` remove) a Limit need of new tasks."""
        return self._set_need(req, "limit")

    @operation(api.RotationSetTaskRequest, access=OWNER)
    def rotation_set_task(
        self, req: api.RotationSetTaskRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Change the duration and/or grace of new tasks; a duration longer than the period
        needs ``force`` (shifts would overlap)."""
        _non_negative(req.duration, "--duration", timedelta(0))
        _non_negative(req.grace, "--grace", timedelta(0))

        def change(rotation: Rotation, _s: Session) -> None:
            if req.duration is not None:
                check_duration(rotation, req.duration, force=req.force)
                rotation.task_settings.duration = req.duration
            if req.grace is not None:
                rotation.task_settings.grace = req.grace

        return self._update(req.rotation, change)
