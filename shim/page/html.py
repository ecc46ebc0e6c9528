"""A rotation's page as one server-rendered HTML document (inline SVG, one small stylesheet).

Pure: the service's :class:`lotto.api.RotationPageResult`, the viewer's zone and
names in; the document and its Content-Security-Policy out. No external asset,
no framework: the only script is a few lines that send the browser's time zone
(``Intl``) on the first visit and submit the zone picker; without it the page
works in the rotation's zone and the picker's button. Both inline blocks are
allowed by their hashes in the CSP, nothing else is.

Every chart value is also real text: titles on the marks, and a table behind a
``<details>`` under each chart (the numbers of ``rotation stats`` and ``rotation
forecast``, formatted as their replies format them).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape

from lotto import api
from lotto.commands.render import percent
from lotto.commands.render.records import fmt_duration, fmt_when, skills_text
from lotto.model.needs import format_needs
from lotto.model.task import STATE_PENDING, Task, task_interval
from lotto.model.user import last_ended, next_shift
from shim.page.svg import (
    Bar,
    FairRow,
    Lane,
    fairness_svg,
    heatmap_svg,
    timeline_svg,
    week_ticks,
)

__all__ = ["View", "render_page", "CSP", "STYLE", "SCRIPT"]

Mention = Callable[[str], str]

STYLE = """
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
background:#fff;margin:0 auto;max-width:1240px;padding:12px 16px 40px}
h1{font-size:1.5rem;margin:.4rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;
border-bottom:1px solid #d0d4dc;padding-bottom:.2rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;font-size:.92rem}th,td{text-align:left;padding:3px 8px;
border-bottom:1px solid #e3e6ec;vertical-align:top}td.n,th.n{text-align:right}
tr.me td,text.me,.lane.me text{font-weight:700}tr.me{background:#fff4d6}
.oncall{font-size:1.1rem;background:#eef3fc;border-left:4px solid #2f6fdf;padding:8px 12px}
.pending{color:#5a4a00}.muted{color:#4a5160}
svg text{font:12px system-ui,sans-serif;fill:#1a1a1a}svg text.head{font-weight:700}
svg text.tick{fill:#4a5160}svg text.pct{font-size:11px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;
height:12px;margin-right:4px;vertical-align:-1px;border:1px solid #1a1a1a}
.sw.task{background:#2f6fdf}.sw.pending{background:#9dbcf2}.sw.time_off{background:#e8912d}
.sw.offer{background:#8e44ad}.sw.now{background:#d62828}.sw.working_hours{background:#3a9d5d}
.sw.holiday{background:#c0392b}.sw.override{background:#16a085}
form.zone{display:inline}select,button{font:inherit}
details{margin:.5rem 0}summary{cursor:pointer;color:#1f4fb0}
@media (max-width:640px){body{font-size:14px;padding:8px}th,td{padding:2px 5px}}
""".strip()

SCRIPT = (
    "(function(){var p=new URLSearchParams(location.search);"
    'if(!p.has("tz")){try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;'
    'if(z){p.set("tz",z);location.replace(location.pathname+"?"+p.toString());return;}}'
    "catch(e){}}"
    'var s=document.getElementById("tz");'
    'if(s){s.addEventListener("change",function(){s.form.submit();});}})();'
)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


#: The page's Content-Security-Policy: nothing loads but this document's own two blocks.
CSP = (
    f"default-src 'none'; style-src {_hash(STYLE)}; script-src {_hash(SCRIPT)}; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _e(text: str) -> str:
    return escape(text, quote=True)


@dataclass
class View:
    """How one viewer sees the page.

    ``zone``: the viewer's IANA zone (``zone_note`` says why it is that one);
    ``zones``: the picker's choices; ``highlight``: a member's user id to stand out;
    ``hidden``: the link's signed parameters, kept by the picker's form;
    ``expires``: when the link stops working.
    """

    zone: str
    mention: Mention
    zones: Sequence[str] = ()
    highlight: str = ""
    hidden: Mapping[str, str] = field(default_factory=dict)
    expires: datetime | None = None
    zone_note: str = ""


def _when(dt: datetime | None, zone: str) -> str:
    return fmt_when(dt, zone, named=False)


def _people(task: Task, mention: Mention) -> str:
    return ", ".join(mention(u) for u in task.mattermost_user_ids) or "nobody yet"


def _interval_text(task: Task, zone: str) -> tuple[str, str]:
    iv = task_interval(task)
    return (_when(iv[0], zone), _when(iv[1], zone)) if iv else ("-", "-")


def _on_call(res: api.RotationPageResult, view: View) -> list[str]:
    z, m = view.zone, view.mention
    out = ['<section id="now" aria-labelledby="now-h"><h2 id="now-h">On call now</h2>']
    if res.current is not None:
        _, until = _interval_text(res.current, z)
        out.append(
            f'<p class="oncall" data-task="{_e(res.current.task_id)}"><strong>'
            f"{_e(_people(res.current, m))}</strong> on <strong>{_e(res.current.task_id)}"
            f"</strong> ({_e(res.current.state)}) until <time>{_e(until)}</time></p>"
        )
    else:
        out.append('<p class="oncall" data-task="">Nobody is on call right now.</p>')
    if res.next is not None:
        start, _ = _interval_text(res.next, z)
        out.append(
            f"<p>Next: <strong>{_e(res.next.task_id)}</strong> ({_e(res.next.state)}) from "
            f"<time>{_e(start)}</time>: {_e(_people(res.next, m))}</p>"
        )
    out.append("</section>")
    return out


def _offers(task: Task, mention: Mention) -> str:
    parts = []
    for o in task.offers:
        to = f" to {mention(o.to_user_id)}" if o.to_user_id else ""
        note = f" ({o.note})" if o.note else ""
        parts.append(f"{mention(o.user_id)}'s place{to}{note}")
    return "; ".join(parts)


def _upcoming(res: api.RotationPageResult, view: View) -> list[str]:
    out = [
        '<section id="upcoming" aria-labelledby="up-h"><h2 id="up-h">Next shifts</h2>',
        '<div class="scroll"><table><thead><tr><th scope="col">Task</th>'
        '<th scope="col">Starts</th><th scope="col">Ends</th><th scope="col">State</th>'
        '<th scope="col">People</th><th scope="col">Offered</th>'
        '<th scope="col">Still needs</th></tr></thead><tbody>',
    ]
    if not res.upcoming:
        out.append('<tr><td colspan="7">No coming tasks yet.</td></tr>')
    for item in res.upcoming:
        t = item.task
        start, end = _interval_text(t, view.zone)
        me = ' class="me"' if view.highlight in t.mattermost_user_ids else ""
        state = f'<span class="pending">{t.state}</span>' if t.state == STATE_PENDING else t.state
        out.append(
            f'<tr{me} data-task="{_e(t.task_id)}"><td>{_e(t.task_id)}'
            f"{(' ' + _e(t.summary)) if t.summary else ''}</td><td>{_e(start)}</td>"
            f"<td>{_e(end)}</td><td>{state}</td><td>{_e(_people(t, view.mention))}</td>"
            f"<td>{_e(_offers(t, view.mention)) or '-'}</td>"
            f"<td>{_e(format_needs(item.unfilled)) if item.unfilled else '-'}</td></tr>"
        )
    out.append("</tbody></table></div></section>")
    return out


_ENTRY_NAMES = {
    "time_off": "time off",
    "offer": "place offered",
    "working_hours": "working hours",
    "holiday": "holiday",
    "override": "override",
}


def _timeline(res: api.RotationPageResult, view: View) -> list[str]:
    z, m, me = view.zone, view.mention, view.highlight
    rotation_bars: list[Bar] = []
    person: dict[str, list[Bar]] = {}
    rows: list[tuple[datetime, str]] = []  # (start, table row) for the details table
    for t in res.tasks:
        iv = task_interval(t)
        if iv is None:
            continue
        kind = "pending" if t.state == STATE_PENDING else "task"
        start, end = _when(iv[0], z), _when(iv[1], z)
        head = f"{t.task_id}{' ' + t.summary if t.summary else ''}"
        title = f"{head} ({t.state}) {start} to {end}: {_people(t, m)}"
        mine = me in t.mattermost_user_ids
        rotation_bars.append(Bar(iv[0], iv[1], kind, title, t.task_id, mine))
        for uid in t.mattermost_user_ids:
            person.setdefault(uid, []).append(Bar(iv[0], iv[1], kind, title, t.task_id, mine))
        cls = ' class="me"' if mine else ""
        rows.append(
            (
                iv[0],
                f'<tr{cls} data-kind="{kind}" data-task="{_e(t.task_id)}"><td>{_e(head)}</td>'
                f"<td>{'pending' if kind == 'pending' else _e(t.state)}</td><td>{_e(start)}</td>"
                f"<td>{_e(end)}</td><td>{_e(_people(t, m))}</td></tr>",
            )
        )
    for e in res.entries:
        name = _ENTRY_NAMES.get(e.kind, e.kind.replace("_", " "))
        who = m(e.user_id) if e.user_id else "everyone"
        start, end = _when(e.start, z), _when(e.finish, z)
        what = f"{name}{' on ' + e.task_id if e.task_id else ''}"
        note = f": {e.label}" if e.label and e.kind != "time_off" else ""
        title = f"{who}: {what} {start} to {end}{note}"
        bar = Bar(e.start, e.finish, e.kind, title, e.task_id, e.user_id == me and bool(me))
        if e.user_id:
            person.setdefault(e.user_id, []).append(bar)
        else:
            rotation_bars.append(bar)
        cls = ' class="me"' if e.user_id == me and me else ""
        rows.append(
            (
                e.start,
                f'<tr{cls} data-kind="{_e(e.kind)}" data-task="{_e(e.task_id)}">'
                f"<td>{_e(what)}</td><td>{_e(name)}</td><td>{_e(start)}</td><td>{_e(end)}</td>"
                f"<td>{_e(who)}</td></tr>",
            )
        )
    order = sorted(person, key=lambda u: (u != me, m(u)))
    lanes = [Lane("Rotation", rotation_bars)]
    lanes += [Lane(m(u), person[u], highlight=(u == me), user=m(u)) for u in order]
    ticks = week_ticks(res.since, res.until, lambda t: " ".join(_when(t, z).split()[1:3]))
    rows.sort(key=lambda r: r[0])
    legend = "".join(
        f'<span><i class="sw {k}"></i>{label}</span>'
        for k, label in (
            ("task", "task"),
            ("pending", "pending task"),
            ("time_off", "time off"),
            ("offer", "place offered"),
            ("working_hours", "working hours"),
            ("holiday", "holiday"),
            ("now", "now"),
        )
    )
    return [
        '<section id="timeline" aria-labelledby="tl-h"><h2 id="tl-h">Timeline</h2>',
        f'<p class="muted">{_e(_when(res.since, z))} to {_e(_when(res.until, z))}: the past '
        f"{api.PAGE_PAST_DAYS // 7} weeks and the next {api.PAGE_NEXT_DAYS // 7}.</p>",
        f'<p class="legend">{legend}</p>',
        '<div class="scroll">',
        timeline_svg(lanes, res.since, res.until, res.time, ticks),
        "</div>",
        "<details><summary>The timeline as a table</summary>",
        '<div class="scroll"><table><thead><tr><th scope="col">What</th>'
        '<th scope="col">Kind</th><th scope="col">From</th><th scope="col">To</th>'
        '<th scope="col">Who</th></tr></thead><tbody>',
        *(r for _, r in rows),
        "</tbody></table></div></details></section>",
    ]


def _hours(td: timedelta) -> float:
    return td.total_seconds() / 3600


def _signed(x: float) -> str:
    return "0.0" if round(x, 1) == 0 else f"{x:+.1f}"


def _fairness(res: api.RotationPageResult, view: View) -> list[str]:
    st, m, me = res.stats, view.mention, view.highlight
    people = sorted(st.members, key=lambda s: (-s.difference, m(s.user_id)))
    rows = [
        FairRow(
            m(s.user_id),
            s.shifts,
            s.fair_shifts,
            _hours(s.served),
            _hours(s.fair_served),
            s.user_id == me,
        )
        for s in people
    ]
    table = []
    for s in people:
        cls = ' class="me"' if s.user_id == me else ""
        last = _when(s.last_served, view.zone) if s.last_served else "never"
        table.append(
            f'<tr{cls} data-user="{_e(m(s.user_id))}"><td>{_e(m(s.user_id))}</td>'
            f'<td class="n">{s.shifts}</td><td class="n">{s.fair_shifts:.1f}</td>'
            f'<td class="n">{_signed(s.difference)}</td><td class="n">{_hours(s.served):.1f}</td>'
            f'<td class="n">{_hours(s.fair_served):.1f}</td><td>{_e(last)}</td></tr>'
        )
    summary = (
        f"{st.shifts} shifts served in the year to {_e(_when(st.until, view.zone))}; spread "
        f"{st.spread:.1f} shifts between the most over-served ({_e(m(st.most_over))}) and "
        f"the most under-served ({_e(m(st.most_under))})."
        if st.members and st.most_over
        else f"{st.shifts} shifts served in the year; the rotation has no members."
    )
    return [
        '<section id="fairness" aria-labelledby="fair-h"><h2 id="fair-h">How fair it has been</h2>',
        f"<p>{summary} A fair share splits every shift served by each member's time in the "
        "rotation, less their time away (as <code>rotation stats</code> reports it).</p>",
        '<div class="scroll">',
        fairness_svg(rows) if rows else "",
        "</div><details><summary>Fairness as a table</summary>",
        '<div class="scroll"><table><thead><tr><th scope="col">Member</th>'
        '<th scope="col" class="n">Shifts</th><th scope="col" class="n">Fair share</th>'
        '<th scope="col" class="n">Difference</th><th scope="col" class="n">Hours</th>'
        '<th scope="col" class="n">Fair hours</th><th scope="col">Last served</th></tr>'
        "</thead><tbody>",
        *table,
        "</tbody></table></div></details></section>",
    ]


def _forecast(res: api.RotationPageResult, view: View) -> list[str]:
    out = ['<section id="forecast" aria-labelledby="fc-h"><h2 id="fc-h">Who is likely next</h2>']
    if res.forecast is None or not res.forecast.forecast.shifts:
        note = res.forecast_note or "No coming shifts to forecast."
        return out + [f"<p>{_e(note)}</p></section>"]
    fc, m, me = res.forecast.forecast, view.mention, view.highlight
    columns = [s.task_id for s in fc.shifts]
    rows = [(m(u.user_id), u.p_shift, u.user_id == me) for u in fc.users]
    head = "".join(f'<th scope="col" class="n">{_e(c)}</th>' for c in columns)
    starts = "".join(f'<td class="n">{_e(_when(s.start, view.zone))}</td>' for s in fc.shifts)
    table = [f'<tr><th scope="row">Starts</th><td></td><td></td>{starts}</tr>']
    for u in fc.users:
        cls = ' class="me"' if u.user_id == me else ""
        cells = "".join(f'<td class="n">{percent(p)}</td>' for p in u.p_shift)
        table.append(
            f'<tr{cls} data-user="{_e(m(u.user_id))}"><th scope="row">{_e(m(u.user_id))}</th>'
            f'<td class="n">{percent(u.p_any)}</td><td class="n">{u.expected_shifts:.2f}</td>'
            f"{cells}</tr>"
        )
    return out + [
        f"<p>The next {len(columns)} shifts replayed {fc.samples} times with the rotation's "
        f"own lottery (seed {res.forecast.seed}, as <code>rotation forecast</code> does): "
        "the chance that each member serves in each.</p>",
        '<div class="scroll">',
        heatmap_svg(columns, rows, percent),
        "</div><details><summary>The forecast as a table</summary>",
        '<div class="scroll"><table><thead><tr><th scope="col">Member</th>'
        '<th scope="col" class="n">At least once</th><th scope="col" class="n">Expected</th>'
        f"{head}</tr></thead><tbody>",
        *table,
        "</tbody></table></div></details></section>",
    ]


def _members(res: api.RotationPageResult, view: View) -> list[str]:
    m, rid = view.mention, res.rotation.rotation_id
    out = [
        '<section id="members" aria-labelledby="mem-h"><h2 id="mem-h">Members</h2>',
        '<div class="scroll"><table><thead><tr><th scope="col">Member</th>'
        '<th scope="col">Skills</th><th scope="col">Last served</th>'
        '<th scope="col">Next shift</th></tr></thead><tbody>',
    ]
    for uid in sorted(res.rotation.mattermost_user_ids, key=lambda u: (u != view.highlight, m(u))):
        user = res.users.get(uid)
        # The replies' rule: last served counts shifts that ended; the next one apart.
        ended = last_ended(user, rid, res.time) if user else None
        coming = next_shift(user, rid, res.time) if user else None
        last = _when(ended, view.zone) if ended is not None else "never"
        nxt = f"{coming.task_id} {_when(coming.start, view.zone)}" if coming else "none"
        cls = ' class="me"' if uid == view.highlight else ""
        out.append(
            f'<tr{cls} data-user="{_e(m(uid))}"><td>{_e(m(uid))}</td>'
            f"<td>{_e(skills_text(user)) or 'none'}</td><td>{_e(last)}</td>"
            f"<td>{_e(nxt)}</td></tr>"
        )
    out.append("</tbody></table></div></section>")
    return out


def _zone_form(view: View, rotation_zone: str) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{_e(k)}" value="{_e(v)}">' for k, v in view.hidden.items()
    )
    zones = list(view.zones) or [view.zone]
    if view.zone not in zones:
        zones = [view.zone, *zones]
    options = "".join(
        f"<option{' selected' if z == view.zone else ''}>{_e(z)}</option>" for z in zones
    )
    return (
        f'<form class="zone" method="get">{hidden}<label for="tz">Time zone</label> '
        f'<select id="tz" name="tz">{options}</select> <button type="submit">Show</button></form>'
    )


def render_page(res: api.RotationPageResult, view: View) -> str:
    """The page's HTML document (send it with :data:`CSP`)."""
    rot = res.rotation
    rid = rot.rotation_id
    z = view.zone
    expires = (
        f" This link works until {_e(fmt_when(view.expires, z))} while its holder is a member "
        "or owner of the rotation."
        if view.expires
        else ""
    )
    period = rot.fill_settings.period
    duration = rot.task_settings.duration
    about = f"{rot.task_type}s, period {period}" + (
        f", each lasting {fmt_duration(duration)}" if duration else ""
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Rotation {_e(rid)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<header><h1>Rotation {_e(rid)}</h1>",
        f'<p class="muted">{_e(about)}; {len(rot.mattermost_user_ids)} members. As of '
        f'<time id="as-of">{_e(fmt_when(res.time, z))}</time>. Times in '
        f'<strong id="zone">{_e(z)}</strong>{_e(view.zone_note)}. '
        f"{_zone_form(view, rot.fill_settings.time_zone)}</p></header><main>",
        *_on_call(res, view),
        *_upcoming(res, view),
        *_timeline(res, view),
        *_fairness(res, view),
        *_forecast(res, view),
        *_members(res, view),
        f'</main><footer><p class="muted">Read-only view of Solar Lottery.{expires}</p></footer>',
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)
