"""All the Markdown the command layer writes: replies, help, direct messages, reports.

This package is the only place user-facing text of commands is written (errors
become text in :mod:`lotto.commands.errors`). Command modules compute what to
say and call the functions re-exported here; each submodule renders one area:

- :mod:`.records`: tasks, rotations and users, and the shared pieces (times,
  durations, needs, skills);
- :mod:`.replies`: the rotation, task, skill and info commands' replies;
- :mod:`.users`: the user commands' replies;
- :mod:`.autopilot`: autopilot reports; :mod:`.notices`: direct messages;
- :mod:`.forecast`, :mod:`.calendar`: forecasts and calendar feeds;
- :mod:`.oncall`: owners, channel, ``rotation now`` and ``user shifts``;
- :mod:`.compact`: the shortened ``rotation show`` and ``user show``;
- :mod:`.stats`: the fairness report; :mod:`.names`: notes about names;
- :mod:`.help`: the help of the command tree;
- :mod:`.usertext`: text people typed (notes, summaries), capped and made inert.

Every reply shows times in the reader's zone (the acting user's: their profile's
zone in Mattermost, ``--tz`` in the CLI), named (``Thu 12 Mar 2026 09:00 PDT``); a
direct message in its recipient's zone, a channel post in the rotation's. Lists
name the zone once in their header. ``--json`` keeps RFC 3339 UTC.
"""

from __future__ import annotations

from lotto.commands.render.autopilot import (
    STEP_LABELS,
    autopilot_all_text,
    autopilot_failure,
    autopilot_report,
)
from lotto.commands.render.calendar import (
    LINK_LIFETIME,
    calendar_text,
    feed_choices,
    links_refused,
    subscription_text,
)
from lotto.commands.render.compact import (
    MEMBERS_LISTED,
    PAST_SHIFTS_LISTED,
    TASKS_LISTED,
    rotation_overview,
    users_show,
)
from lotto.commands.render.forecast import forecast_text, percent
from lotto.commands.render.help import help_text
from lotto.commands.render.hours import holidays_changed, hours_changed, hours_lines, on_call_note
from lotto.commands.render.names import non_member_note, suffixed_id_note
from lotto.commands.render.notices import DIGEST_BREAK, notice_text
from lotto.commands.render.offers import task_offered, task_taken, time_off_lines
from lotto.commands.render.oncall import channel_changed, now_text, owners_changed, shifts_text
from lotto.commands.render.page import chart_line, page_text
from lotto.commands.render.records import (
    Mention,
    auto_assigned,
    channel_text,
    event_reason,
    fmt_duration,
    fmt_needs,
    fmt_time,
    fmt_when,
    offers_text,
    owners_text,
    rotation_details,
    rotation_settings,
    skills_text,
    task_details,
    task_noun,
    task_summary,
    user_details,
    user_with_skills,
)
from lotto.commands.render.replies import (
    info_text,
    json_block,
    needs_changed,
    rotation_archived,
    rotation_changed,
    rotation_list,
    skill_added,
    skill_deleted,
    skill_list,
    task_assigned,
    task_created,
    task_transitioned,
    task_unassigned,
)
from lotto.commands.render.risks import broken_alert, risk_line, warnings_text
from lotto.commands.render.stats import stats_text
from lotto.commands.render.users import (
    user_disqualified,
    user_joined,
    user_left,
    user_notified,
    user_qualified,
    user_unavailable,
    users_reply,
)
from lotto.commands.render.usertext import user_text

__all__ = [
    "broken_alert",
    "risk_line",
    "warnings_text",
    # working days, hours and holidays
    "hours_changed",
    "holidays_changed",
    "hours_lines",
    "on_call_note",
    # on call (owners, channel, now, my shifts)
    "owners_text",
    "channel_text",
    "owners_changed",
    "channel_changed",
    "now_text",
    "shifts_text",
    # records and shared pieces
    "Mention",
    "fmt_time",
    "fmt_when",
    "task_noun",
    "fmt_duration",
    "fmt_needs",
    "skills_text",
    "user_with_skills",
    "auto_assigned",
    "event_reason",
    "task_summary",
    "task_details",
    "offers_text",
    "rotation_settings",
    "rotation_details",
    "user_details",
    # command replies
    "rotation_changed",
    "rotation_list",
    "rotation_archived",
    "needs_changed",
    "task_created",
    "task_assigned",
    "task_unassigned",
    "task_transitioned",
    "task_offered",
    "task_taken",
    "time_off_lines",
    "skill_added",
    "skill_deleted",
    "skill_list",
    "info_text",
    "json_block",
    "users_reply",
    "user_qualified",
    "user_disqualified",
    "user_joined",
    "user_left",
    "user_unavailable",
    "user_notified",
    # autopilot, direct messages, forecasts, calendar feeds, help
    "STEP_LABELS",
    "autopilot_report",
    "autopilot_failure",
    "autopilot_all_text",
    "notice_text",
    "DIGEST_BREAK",
    "user_text",
    "forecast_text",
    "stats_text",
    "rotation_overview",
    "MEMBERS_LISTED",
    "TASKS_LISTED",
    "PAST_SHIFTS_LISTED",
    "users_show",
    "suffixed_id_note",
    "non_member_note",
    "percent",
    "calendar_text",
    "subscription_text",
    "feed_choices",
    "links_refused",
    "LINK_LIFETIME",
    "page_text",
    "chart_line",
    "help_text",
]
