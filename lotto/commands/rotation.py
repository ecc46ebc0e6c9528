"""``/lotto rotation …``: create, list, show, archive, configure and run autopilot."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import PERIOD_WEEKDAYS, ROTATION_FLAG, Ctx, Reply, convert_value
from lotto.commands.page import chart_image
from lotto.commands.parser import Flag
from lotto.commands.tree import OWNER, PUBLIC, command, group
from lotto.errors import InputError
from lotto.model.hours import parse_days

__all__: list[str] = []

ROT = ROTATION_FLAG
_BEGINNING = Flag(
    "beginning",
    "time",
    "when shift 0 starts (default: now); without a zone, on the "
    "clock of `--timezone` if given, else on yours",
)

group(("rotation",), "create, show and configure rotations")
group(("rotation", "set"), "change a rotation's settings")


def _rotation_reply(res: api.RotationResult, what: str, zone: str) -> Reply:
    return res, render.rotation_changed(res.rotation, what, zone)


@command(
    ("rotation", "new"),
    "NAME [--beginning TIME] [--period PERIOD] [--timezone ZONE] [--task-type shift|ticket] "
    "[--fill-type solar-lottery|queue] [--seed N] [--fuzz N]",
    "create a rotation",
    flags=(
        _BEGINNING,
        Flag(
            "period",
            "period",
            "daily, weekly (default), biweekly, monthly (all keep the wall-clock time) "
            "or a fixed length like 36h or 3 days; weekdays: daily, Monday to Friday",
            short="p",
        ),
        Flag(
            "timezone",
            "str",
            "IANA zone whose wall clock shifts follow (default: yours)",
            value_name="ZONE",
        ),
        Flag(
            "task-type",
            "choice",
            "shift (recurring, default) or ticket (on demand)",
            choices=("shift", "ticket"),
        ),
        Flag(
            "fill-type",
            "choice",
            "how tasks are filled (default solar-lottery)",
            choices=("solar-lottery", "queue"),
        ),
        Flag("seed", "int", "seed of the lottery's random numbers"),
        Flag("fuzz", "count", "slow down the growth of idle users' odds by this many periods"),
    ),
    details=(
        "NAME may not be an active rotation's name in any case (ICE and ice are one name). "
        "If an archived rotation had NAME, the new id gets a random suffix (the reply says so)."
    ),
    request=api.RotationNewRequest,
)
def rotation_new(ctx: Ctx) -> Reply:
    """Create a rotation."""
    name = ctx.one_arg("a rotation name")  # the service checks the name (one rule)
    from lotto.model.timeutil import get_zone, wall_time

    beginning, wall = ctx.flag("beginning"), None
    zone = ctx.flag("timezone") if ctx.has("timezone") else ctx.zone
    if ctx.has("timezone"):
        get_zone(zone)
        if beginning is not None:
            # A beginning without a zone is on the clock the rotation follows.
            beginning = convert_value(_BEGINNING, ctx.parsed.raw["beginning"], zone, ctx.now)
    if beginning is not None:
        # Kept as typed, so shifts stay at 02:30 even if daylight saving skips it on day one.
        wall = wall_time(ctx.parsed.raw["beginning"], zone, ctx.now)
    period, days = ctx.flag("period"), None
    if period == PERIOD_WEEKDAYS:
        period, days = "daily", parse_days("mon-fri")
    res = ctx.call(
        api.RotationNewRequest(
            name=name,
            beginning=beginning,
            period=period,
            time_zone=ctx.flag("timezone"),
            task_type=ctx.flag("task-type"),
            filler_type=ctx.flag("fill-type"),
            seed=ctx.flag("seed"),
            fuzz=ctx.flag("fuzz"),
            beginning_wall=wall,
            working_days=days,
        )
    )
    text = render.rotation_changed(res.rotation, "new", ctx.zone)
    if res.rotation.rotation_id != name.strip():
        text += "\n" + render.suffixed_id_note(name.strip(), res.rotation.rotation_id)
    return res, text


@command(
    ("rotation", "list"),
    "",
    "list the active rotations",
    access=PUBLIC,
    read_only=True,
    request=api.RotationListRequest,
)
def rotation_list(ctx: Ctx) -> Reply:
    """List active rotations."""
    ctx.no_args()
    res = ctx.call(api.RotationListRequest())
    return res, render.rotation_list(res.rotation_ids)


@command(
    ("rotation", "show"),
    "R [--tasks N|all] [--members]",
    "show a rotation's settings, members and open tasks",
    flags=(
        ROT,
        Flag(
            "tasks",
            "str",
            f"how many of the next open tasks to list (default {render.TASKS_LISTED}), or all",
            value_name="N|all",
        ),
        Flag(
            "members",
            "bool",
            f"list every member with their skills (default: by name up to "
            f"{render.MEMBERS_LISTED} members, else a count by skill)",
        ),
    ),
    access=PUBLIC,
    read_only=True,
    request=api.RotationShowRequest,
)
def rotation_show(ctx: Ctx) -> Reply:
    """Show a rotation."""
    listed = _tasks_listed(ctx)
    res = ctx.call(api.RotationShowRequest(rotation=ctx.rotation()))
    return res, render.rotation_overview(
        res.rotation,
        res.users,
        res.tasks,
        ctx.username,
        tasks_listed=listed,
        every_member=bool(ctx.flag("members", False)),
        zone=ctx.zone,
        next_holidays=res.next_holidays,
    )


def _tasks_listed(ctx: Ctx) -> int | None:
    """``--tasks N|all``: how many open tasks to list (None: all)."""
    raw = ctx.flag("tasks")
    if raw is None:
        return render.TASKS_LISTED
    if raw.strip().lower() == "all":
        return None
    if not raw.strip().isdigit():
        raise InputError(
            f"bad value for `--tasks`: `{raw}` is neither a whole number nor `all`; "
            "e.g. `--tasks 20` or `--tasks all`.",
            flag="tasks",
            value=raw,
        )
    return int(raw)


@command(
    ("rotation", "stats"),
    "R [--since TIME] [--until TIME]",
    "show how fairly the rotation's shifts were shared",
    flags=(
        ROT,
        Flag("since", "time", "start of the report (default: 365 days before --until)"),
        Flag("until", "time", "end of the report (default: now)"),
    ),
    access=PUBLIC,
    read_only=True,
    details=(
        "Per person: shifts served (started or finished tasks that began in the window), "
        "hours served, their fair share (every shift served in the window split by each "
        "person's time in the rotation, less their personal unavailability), the "
        "difference, when they last served, the longest and shortest wait between two of "
        "their shifts and their current wait. People who left but served in the window "
        "are listed apart. It changes nothing."
    ),
    request=api.RotationStatsRequest,
)
def rotation_stats(ctx: Ctx) -> Reply:
    """Show the fairness report of a rotation."""
    res = ctx.call(
        api.RotationStatsRequest(
            rotation=ctx.rotation(), since=ctx.flag("since"), until=ctx.flag("until")
        )
    )
    window = {"since": int(res.since.timestamp()), "until": int(res.until.timestamp())}
    chart = chart_image(ctx, "stats", res.rotation_id, window)
    return res, render.stats_text(res, ctx.username, ctx.zone) + chart


@command(
    ("rotation", "archive"),
    "R",
    "archive a rotation (it stops being active)",
    flags=(ROT,),
    access=OWNER,
    request=api.RotationArchiveRequest,
)
def rotation_archive(ctx: Ctx) -> Reply:
    """Archive a rotation."""
    res = ctx.call(api.RotationArchiveRequest(rotation=ctx.rotation()))
    return res, render.rotation_archived(res.rotation)


@command(
    ("rotation", "autopilot"),
    "R",
    "run the rotation's autopilot once, now (or at `--now`)",
    flags=(ROT,),
    access=OWNER,
    request=api.RotationAutopilotRequest,
)
def rotation_autopilot(ctx: Ctx) -> Reply:
    """Run autopilot for one rotation."""
    res = ctx.call(api.RotationAutopilotRequest(rotation=ctx.rotation()))
    return res, render.autopilot_report(
        res, ctx.username(ctx.actor.user_id), ctx.zone, ctx.username
    )


@command(
    ("rotation", "set", "autopilot"),
    "R [--off] [--create] [--create-prior D] [--schedule] [--schedule-prior D] "
    "[--start-finish] [--remind-start] [--remind-start-prior D] [--remind-finish] "
    "[--remind-finish-prior D] [--cover-by D]",
    "choose what the autopilot does for the rotation",
    flags=(
        ROT,
        Flag("off", "bool", "turn every autopilot step off (then apply the other flags)"),
        Flag("create", "bool", "create shifts automatically"),
        Flag("create-prior", "duration", "create shifts this long before they start"),
        Flag("schedule", "bool", "fill and schedule pending tasks automatically"),
        Flag("schedule-prior", "duration", "fill and schedule this long before the start"),
        Flag("start-finish", "bool", "start and finish tasks when they are due"),
        Flag("remind-start", "bool", "remind the assigned users before the start"),
        Flag("remind-start-prior", "duration", "remind this long before the start"),
        Flag("remind-finish", "bool", "remind the assigned users before the finish"),
        Flag("remind-finish-prior", "duration", "remind this long before the finish"),
        Flag(
            "cover-by",
            "duration",
            "fill an offered place nobody took this long before it begins (default 24h; "
            "0: only alert)",
        ),
    ),
    access=OWNER,
    request=api.RotationSetAutopilotRequest,
)
def rotation_set_autopilot(ctx: Ctx) -> Reply:
    """Change autopilot settings."""
    res = ctx.call(
        api.RotationSetAutopilotRequest(
            rotation=ctx.rotation(),
            off=bool(ctx.flag("off", False)),
            create=ctx.flag("create"),
            create_prior=ctx.flag("create-prior"),
            schedule=ctx.flag("schedule"),
            schedule_prior=ctx.flag("schedule-prior"),
            start_finish=ctx.flag("start-finish"),
            remind_start=ctx.flag("remind-start"),
            remind_start_prior=ctx.flag("remind-start-prior"),
            remind_finish=ctx.flag("remind-finish"),
            remind_finish_prior=ctx.flag("remind-finish-prior"),
            cover_by=ctx.flag("cover-by"),
        )
    )
    return _rotation_reply(res, "autopilot", ctx.zone)


@command(
    ("rotation", "set", "fill"),
    "R [--fuzz N] [--seed N]",
    "change how the rotation's tasks are filled",
    flags=(
        ROT,
        Flag("fuzz", "count", "add this many periods to the odds' doubling time"),
        Flag("seed", "int", "seed of the lottery's random numbers"),
    ),
    access=OWNER,
    request=api.RotationSetFillRequest,
)
def rotation_set_fill(ctx: Ctx) -> Reply:
    """Change fill settings."""
    res = ctx.call(
        api.RotationSetFillRequest(
            rotation=ctx.rotation(), fuzz=ctx.flag("fuzz"), seed=ctx.flag("seed")
        )
    )
    return _rotation_reply(res, "fill", ctx.zone)


_NEED_FLAGS = (
    ROT,
    Flag(
        "skill",
        "skill",
        "the skill and minimum level (`webapp`, `webapp-2`; default `any`)",
        short="s",
    ),
    Flag("count", "count", "how many users (default 1)"),
    Flag("clear", "bool", "remove this need instead"),
)


def _need(ctx: Ctx, kind: type[api.RotationSetRequireRequest], limits: bool) -> Reply:
    skill, level = ctx.flag("skill", ("any", 0))
    res = ctx.call(
        kind(
            rotation=ctx.rotation(),
            skill=skill,
            level=level,
            count=ctx.flag("count", 1),
            clear=bool(ctx.flag("clear", False)),
        )
    )
    unknown = skill if res.unknown_skill else ""
    return res, render.needs_changed(res.rotation, limits=limits, unknown_skill=unknown)


@command(
    ("rotation", "set", "require"),
    "R [--skill S[-L]] [--count N] [--clear]",
    "require at least N users with a skill in each task",
    flags=_NEED_FLAGS,
    access=OWNER,
    request=api.RotationSetRequireRequest,
)
def rotation_set_require(ctx: Ctx) -> Reply:
    """Change requirements."""
    return _need(ctx, api.RotationSetRequireRequest, False)


@command(
    ("rotation", "set", "limit"),
    "R [--skill S[-L]] [--count N] [--clear]",
    "allow at most N users with a skill in each task",
    flags=_NEED_FLAGS,
    access=OWNER,
    request=api.RotationSetLimitRequest,
)
def rotation_set_limit(ctx: Ctx) -> Reply:
    """Change limits."""
    return _need(ctx, api.RotationSetLimitRequest, True)


@command(
    ("rotation", "set", "task"),
    "R [--duration D] [--grace D] [--force]",
    "change the defaults for new tasks",
    flags=(
        ROT,
        Flag("duration", "duration", "task length (0: shifts last a whole period)"),
        Flag("grace", "duration", "rest time after serving a task"),
        Flag("force", "bool", "accept a duration longer than the period (shifts overlap)"),
    ),
    access=OWNER,
    request=api.RotationSetTaskRequest,
)
def rotation_set_task(ctx: Ctx) -> Reply:
    """Change task defaults."""
    res = ctx.call(
        api.RotationSetTaskRequest(
            rotation=ctx.rotation(),
            duration=ctx.flag("duration"),
            grace=ctx.flag("grace"),
            force=bool(ctx.flag("force", False)),
        )
    )
    return _rotation_reply(res, "task", ctx.zone)
