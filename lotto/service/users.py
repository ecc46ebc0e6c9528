"""User and skill commands: qualify, disqualify, show, unavailable, join, leave; skills."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lotto import api
from lotto.errors import BadSkillError, BadTimeError, InputError, NotFoundError
from lotto.model import keys
from lotto.model.availability import (
    REASON_PERSONAL,
    REASON_TASK,
    Event,
    add_events,
    clear_personal,
    overlapping,
)
from lotto.model.membership import Memberships, adopt_legacy, record_joined, record_left
from lotto.model.notice import MUTE_WORDS
from lotto.model.risks import RISK_GONE, broken_tasks, check_time_off
from lotto.model.rotation import Rotation
from lotto.model.skill import ANY, LEVEL_SYMBOLS, parse_skill
from lotto.model.user import (
    START_FAIR,
    START_KEPT,
    START_MEDIAN,
    START_STARTING,
    User,
    joining_last_served,
    last_ended,
    set_served_floor,
)
from lotto.service import taskops
from lotto.service.access import ADMIN, PUBLIC, SELF, SELF_OR_OWNER
from lotto.service.alerts import alert_once
from lotto.service.common import check_users, notice, resolve_rotation, run
from lotto.service.offering import time_off
from lotto.service.offers import new_offer_id
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.risking import broken_by_change
from lotto.store import Session

__all__ = ["UserOps", "SkillOps"]


def _skill(text: str) -> str:
    skill = parse_skill(text)
    if skill.lower() == ANY:
        raise BadSkillError(
            "'any' is not a skill one can have: it matches every user already.", skill=text
        )
    return skill


def _user_keys(ids: list[str]) -> list[str]:
    return [keys.user(u) for u in ids]


def _spans_key(req: api.UserJoinRequest | api.UserLeaveRequest) -> list[str]:
    # The memberships of the rotation named by its exact id (the usual case) go with
    # batch 1; another name costs one more read when someone joins or leaves.
    name = req.rotation.name.strip()
    return [keys.memberships(name)] if name else []


def _memberships(s: Session, rotation: Rotation) -> Memberships:
    """The rotation's memberships, with an old record's moved in (the rotation is saved)."""
    spans = s.memberships(rotation.rotation_id)
    if adopt_legacy(spans, rotation.memberships):
        rotation.memberships = {}
        s.save_rotation(rotation)
    return spans


class UserOps(Ops):
    """Mixin of :class:`lotto.service.Service`: user commands."""

    @operation(api.UserQualifyRequest, access=ADMIN)
    def user_qualify(
        self, req: api.UserQualifyRequest, *, actor_id: str, now: datetime
    ) -> api.UsersResult:
        """Give every listed user the skills (fixing the original's early return);
        new skills become known. Round trips: batch 1 = users + skills index; commit."""
        ids = check_users(self.directory, req.user_ids)
        if not req.skills:
            raise BadSkillError("No skills given: use --skill webapp-2,server.")
        skills = []
        for skill, level in req.skills:
            if level not in LEVEL_SYMBOLS:
                raise BadSkillError(
                    f"Level {level!r} of {skill} is not valid: use 1-4.", skill=skill, level=level
                )
            skills.append((_skill(skill), level))

        def fn(s: Session) -> api.UsersResult:
            s.prefetch([keys.SKILLS, *(keys.user(u) for u in ids)])  # batch 1
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            changed = []
            for uid in ids:  # every user: no early exit when one is unchanged
                user = users[uid]
                before = dict(user.skill_levels)
                for skill, level in skills:
                    user.skill_levels[skill] = level
                if user.skill_levels != before:
                    changed.append(uid)
                    s.save_user(user)
            known = s.index(keys.SKILLS)
            if not {sk for sk, _ in skills} <= set(known.ids):
                known.ids.extend(sk for sk, _ in skills)
                s.save_index(keys.SKILLS, known)
            return api.UsersResult(users=[users[u] for u in ids], changed=changed, notices=notices)

        return run(self.kv, fn, self.stats)

    @operation(api.UserDisqualifyRequest, access=ADMIN)
    def user_disqualify(
        self, req: api.UserDisqualifyRequest, *, actor_id: str, now: datetime
    ) -> api.UsersResult:
        """Remove the skills from every listed user; the scheduled and started shifts this
        breaks are warned of and their rotations' owners alerted (``risks.broken_tasks``).

        Round trips: batch 1 = users; batch 2 (only when a changed user is on a shift not
        over yet) = those shifts and their rotations; batch 3 (only when others are on
        those shifts) = the others' records; commit.
        """
        ids = check_users(self.directory, req.user_ids)
        if not req.skills:
            raise BadSkillError("No skills given: use --skill webapp,server.")
        skills = [_skill(sk) for sk in req.skills]

        def fn(s: Session) -> api.UsersResult:
            s.prefetch(keys.user(u) for u in ids)  # batch 1
            users, changed = [], []
            before: dict[str, User] = {}
            for uid in ids:  # every user: no early exit when one is unchanged
                user, _ = s.user_or_new(uid)
                users.append(user)
                if any(sk in user.skill_levels for sk in skills):
                    before[uid] = msgspec.structs.replace(
                        user, skill_levels=dict(user.skill_levels)
                    )
                    for sk in skills:
                        user.skill_levels.pop(sk, None)
                    changed.append(uid)
                    s.save_user(user)
            warnings, notices = broken_by_change(s, before, now, actor_id)
            return api.UsersResult(users=users, changed=changed, warnings=warnings, notices=notices)

        return run(self.kv, fn, self.stats)

    @operation(api.UserShowRequest, access=PUBLIC)
    def user_show(
        self, req: api.UserShowRequest, *, actor_id: str, now: datetime
    ) -> api.UsersResult:
        """Users' records (never-seen users show empty, unsaved) and their active rotations.

        Round trips: batch 1 = the users + the active index; batch 2 = the active rotations.
        """
        ids = check_users(self.directory, req.user_ids)

        def fn(s: Session) -> api.UsersResult:
            s.prefetch([keys.ACTIVE_ROTATIONS, *(keys.user(u) for u in ids)])
            active = s.index(keys.ACTIVE_ROTATIONS).ids
            s.prefetch(keys.rotation(r) for r in active)
            members = {
                r: set(rot.mattermost_user_ids)
                for r in active
                if (rot := s.rotation(r)) is not None
            }
            rotations = {u: [r for r in active if u in members.get(r, ())] for u in ids}
            return api.UsersResult(users=[s.user_or_new(u)[0] for u in ids], rotations=rotations)

        return run(self.kv, fn, self.stats)

    @operation(api.UserUnavailableRequest, access=SELF)
    def user_unavailable(
        self, req: api.UserUnavailableRequest, *, actor_id: str, now: datetime
    ) -> api.UsersResult:
        """Add a personal unavailability, or with ``clear`` remove personal events overlapping it.

        Time off over a task the user is on protects them (``offering.time_off``): off a
        pending task, their place offered on a scheduled one, the owners and channel told.
        Round trips: batch 1 = users; batch 2 (only when the time off covers tasks they
        are on) = those tasks, their rotations and members; commit.
        """
        ids = check_users(self.directory, req.user_ids)
        if req.finish <= req.start:
            raise BadTimeError(
                "--finish must be after --start.", start=req.start, finish=req.finish
            )
        if not req.clear:
            check_time_off(req.start, req.finish, now, force=req.force)

        def fn(s: Session) -> api.UsersResult:
            s.prefetch(keys.user(u) for u in ids)  # batch 1
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            changed = []
            for uid in ids:
                user = users[uid]
                before = list(user.calendar)
                if req.clear:
                    user.calendar = clear_personal(user.calendar, req.start, req.finish)
                else:
                    event = Event(start=req.start, finish=req.finish, reason=REASON_PERSONAL)
                    user.calendar = add_events(user.calendar, [event])
                if user.calendar != before:
                    changed.append(uid)
                    s.save_user(user)
            covered = [
                (uid, e.task_id, e.rotation_id)
                for uid in ([] if req.clear else ids)
                for e in overlapping(users[uid].calendar, req.start, req.finish)
                if e.reason == REASON_TASK and e.task_id and e.rotation_id
            ]
            done: list[api.TimeOffTask] = []
            if covered:
                done, more = time_off(
                    s,
                    covered,
                    users,
                    now=now,
                    actor_id=actor_id,
                    new_offer_id=lambda: new_offer_id(self),
                )
                notices += more
            return api.UsersResult(
                users=[users[u] for u in ids], changed=changed, notices=notices, time_off=done
            )

        return run(self.kv, fn, self.stats)

    @operation(api.UserNotifyRequest, access=SELF)
    def user_notify(
        self, req: api.UserNotifyRequest, *, actor_id: str, now: datetime
    ) -> api.UsersResult:
        """Turn kinds of direct messages off (``mute``) or on (``unmute``) for the users.
        Round trips: batch 1 = the users; commit (only when something changed)."""
        ids = check_users(self.directory, req.user_ids)
        unknown = [w for w in [*req.mute, *req.unmute] if w not in MUTE_WORDS]
        if unknown:
            raise InputError(
                f"`{unknown[0]}` is not a kind of message one can mute; use some of "
                f"{', '.join(MUTE_WORDS)} (e.g. `--mute reminders,finished`).",
                value=unknown[0],
            )
        both = set(req.mute) & set(req.unmute)
        if both:
            raise InputError(
                f"`{sorted(both)[0]}` is both muted and unmuted; give it to one of them.",
                value=sorted(both)[0],
            )

        def fn(s: Session) -> api.UsersResult:
            s.prefetch(keys.user(u) for u in ids)  # batch 1
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            changed = []
            for uid in ids:
                user = users[uid]
                after = [w for w in MUTE_WORDS if (w in user.muted or w in req.mute)]
                after = [w for w in after if w not in req.unmute]
                if after != user.muted:
                    user.muted = after
                    changed.append(uid)
                    s.save_user(user)
            return api.UsersResult(users=[users[u] for u in ids], changed=changed, notices=notices)

        return run(self.kv, fn, self.stats)

    @operation(api.UserJoinRequest, access=SELF_OR_OWNER)
    def user_join(
        self, req: api.UserJoinRequest, *, actor_id: str, now: datetime
    ) -> api.MembershipResult:
        """Add users to a rotation; ``starts`` says where each starts in its queue.

        ``starting`` sets the LastServed there of every user it adds. Without
        it a user keeps the LastServed they had there (leaving keeps it); one
        who never served there starts mid-queue, at the median of the current
        members, once any of them has served (before that, the fair start
        applies to everyone alike). Round trips: batch 1 = rotation resolution
        + the users; batch 2 = the current members (only when someone may start
        at the median); commit.
        """
        ids = check_users(self.directory, req.user_ids)

        def fn(s: Session) -> api.MembershipResult:
            rotation = resolve_rotation(s, req.rotation, [*_user_keys(ids), *_spans_key(req)])
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            rid = rotation.rotation_id
            changed = [u for u in ids if u not in rotation.mattermost_user_ids]
            # Like the original, members already in the rotation are left as they
            # are: --starting applies to the users it adds.
            starts = _place(s, rotation, [users[u] for u in changed], req.starting, now)
            rotation.mattermost_user_ids.extend(changed)
            if changed:
                spans = _memberships(s, rotation)
                for uid in changed:
                    record_joined(spans, uid, now)  # for the fairness report
                s.save_memberships(spans)
            for uid in changed:
                if starts[uid] in (START_STARTING, START_MEDIAN):
                    s.save_user(users[uid])
            # One welcome per join: a user new to Solar Lottery gets the rotation's
            # welcome, which then also says what Solar Lottery is.
            new = {n.user_id for n in notices if n.kind == "welcome_new"} & set(changed)
            notices = [n for n in notices if n.user_id not in new]
            for uid in changed:
                # As replies say it: a time served only once that shift has ended.
                served = last_ended(users[uid], rid, now)
                notices.append(
                    notice(
                        "welcome",
                        uid,
                        actor_id,
                        rotation_id=rid,
                        start_rule=starts[uid],
                        last_served=served,
                        first_time=uid in new,
                        task_type=rotation.task_type,
                    )
                )
            if changed:
                s.save_rotation(rotation)
            return api.MembershipResult(
                rotation=rotation, changed=changed, users=users, notices=notices, starts=starts
            )

        return run(self.kv, fn, self.stats)

    @operation(api.UserLeaveRequest, access=SELF_OR_OWNER)
    def user_leave(
        self, req: api.UserLeaveRequest, *, actor_id: str, now: datetime
    ) -> api.MembershipResult:
        """Remove users from a rotation; users not in it are skipped (as in the original).

        A removed user's LastServed there is kept (unlike the original, where a
        returning user started afresh, at the front of the queue). Their
        assignments to the rotation's open tasks stay (a scheduled or started
        shift must not silently lose people); the result lists them so the
        command can say how to unassign.
        Round trips: batch 1 = rotation resolution (with its open-tasks record) + the users;
        batch 2 (only when a leaving user is assigned) = their open tasks, for the alert; commit.
        """
        ids = check_users(self.directory, req.user_ids)

        def fn(s: Session) -> api.MembershipResult:
            rotation = resolve_rotation(s, req.rotation, [*_user_keys(ids), *_spans_key(req)])
            rid = rotation.rotation_id
            removed = [u for u in ids if u in rotation.mattermost_user_ids]
            if not removed:
                return api.MembershipResult(rotation=rotation)
            rotation.mattermost_user_ids = [
                u for u in rotation.mattermost_user_ids if u not in removed
            ]
            spans = _memberships(s, rotation)
            for uid in removed:
                record_left(spans, uid, now, rotation.fill_settings.beginning)  # for the report
            s.save_memberships(spans)
            s.save_rotation(rotation)
            users = {uid: user for uid in removed if (user := s.user(uid)) is not None}
            open_tasks = s.open_tasks(rotation).tasks
            assigned = {
                u: tids for u in removed if (tids := [t for t, us in open_tasks.items() if u in us])
            }
            notices = [notice("left", u, actor_id, rotation_id=rid) for u in removed]
            # A member who leaves while assigned is an alert (the shift may lack them).
            s.prefetch(keys.task(t) for tids in assigned.values() for t in tids)  # batch 2
            on = [
                t
                for tid in sorted({t for ts in assigned.values() for t in ts})
                if (t := s.task(tid))
            ]
            warnings = [
                msgspec.structs.replace(r, user_ids=[u for u in r.user_ids if u in removed])
                for r in broken_tasks(rotation, on, {})
                if r.kind == RISK_GONE and set(r.user_ids) & set(removed)
            ]
            for uid, tids in assigned.items():
                for tid in tids:
                    task = s.task(tid)
                    if task is not None:
                        notices += alert_once(
                            s, rotation, task, "alert_left", actor_id, cause=uid, subject_id=uid
                        )
            return api.MembershipResult(
                rotation=rotation,
                changed=removed,
                users=users,
                assigned=assigned,
                notices=notices,
                warnings=warnings,
            )

        return run(self.kv, fn, self.stats)


def _place(
    s: Session, rotation: Rotation, joining: list[User], starting: datetime | None, now: datetime
) -> dict[str, str]:
    """Set where each joining user starts in the queue (in place); their START_* rules by id.

    Reads the current members' records (one batch) only when someone joins
    without --starting and without a LastServed there.
    """
    rid = rotation.rotation_id
    if starting is not None:
        for user in joining:
            set_served_floor(user, rid, int(starting.timestamp()))
        return dict.fromkeys((u.mattermost_user_id for u in joining), START_STARTING)
    starts = {}
    fresh = []
    for user in joining:
        if user.last_served.get(rid, 0) > 0:
            starts[user.mattermost_user_id] = START_KEPT
        else:
            fresh.append(user)
    if not fresh:
        return starts
    members = list(dict.fromkeys(rotation.mattermost_user_ids))
    s.prefetch(keys.user(u) for u in members)  # batch 2
    median = joining_last_served(
        rotation, [u for m in members if (u := s.user(m)) is not None], now.timestamp()
    )
    for user in fresh:
        if median is None:
            starts[user.mattermost_user_id] = START_FAIR
        else:
            set_served_floor(user, rid, median)
            starts[user.mattermost_user_id] = START_MEDIAN
    return {u.mattermost_user_id: starts[u.mattermost_user_id] for u in joining}


class SkillOps(Ops):
    """Mixin of :class:`lotto.service.Service`: the known-skills list."""

    @operation(api.SkillNewRequest, access=ADMIN)
    def skill_new(
        self, req: api.SkillNewRequest, *, actor_id: str, now: datetime
    ) -> api.SkillsResult:
        """Add a known skill (already known: no change). Round trips: 1 batch + commit."""
        skill = _skill(req.skill)

        def fn(s: Session) -> api.SkillsResult:
            known = s.index(keys.SKILLS)
            if skill in known.ids:
                return api.SkillsResult(skills=sorted(known.ids), changed=False)
            known.ids.append(skill)
            s.save_index(keys.SKILLS, known)
            return api.SkillsResult(skills=sorted(known.ids))

        return run(self.kv, fn, self.stats)

    @operation(api.SkillDeleteRequest, access=ADMIN)
    def skill_delete(
        self, req: api.SkillDeleteRequest, *, actor_id: str, now: datetime
    ) -> api.SkillsResult:
        """Forget a known skill (users keep their levels). Round trips: 1 batch + commit."""
        skill = _skill(req.skill)

        def fn(s: Session) -> api.SkillsResult:
            known = s.index(keys.SKILLS)
            if skill not in known.ids:
                raise NotFoundError(f"Skill {skill} is not known; see `skill list`.", skill=skill)
            known.ids = [k for k in known.ids if k != skill]
            s.save_index(keys.SKILLS, known)
            return api.SkillsResult(skills=list(known.ids))

        return run(self.kv, fn, self.stats)

    @operation(api.SkillListRequest, access=PUBLIC)
    def skill_list(
        self, req: api.SkillListRequest, *, actor_id: str, now: datetime
    ) -> api.SkillsResult:
        """Known skills, sorted. Round trips: 1 batch."""

        def fn(s: Session) -> api.SkillsResult:
            return api.SkillsResult(skills=sorted(s.index(keys.SKILLS).ids))

        return run(self.kv, fn, self.stats)
