"""Markdown for ``rotation page`` (the link to the web page) and the replies' chart images."""

from __future__ import annotations

from lotto import api
from lotto.commands.render.calendar import LINK_LIFETIME
from lotto.commands.render.records import Mention, fmt_when

__all__ = ["page_text", "chart_line"]

_CHART_ALT = {
    "stats": "Chart of shifts served per member against their fair share",
    "forecast": "Chart of each member's chance of serving in the coming shifts",
}


def _people(ids: list[str], mention: Mention) -> str:
    return ", ".join(mention(u) for u in ids) or "nobody yet"


def page_text(
    res: api.RotationPageResult, url: str | None, mention: Mention, zone: str, *, refused: str = ""
) -> str:
    """The page's link (or why there is none) and who is on call, times in ``zone``."""
    rid = res.rotation.rotation_id
    lines = [f"#### Page of rotation {rid}", ""]
    if url:
        lines += [
            url,
            "",
            "On call now, the next shifts, a timeline, how fair it has been and who is likely "
            "next, in your browser's time zone. Anyone with the link can read the page, so "
            f"share it only with your team; it works for {LINK_LIFETIME} and only while you "
            f"are a member or owner of {rid} (run `rotation page {rid}` again to renew it). "
            "Add `&user=NAME` to highlight one member.",
        ]
    elif refused:
        lines.append(refused)
    else:
        lines.append(
            "Pages are served by `lotto serve` with a public URL (`LOTTO_PUBLIC_URL`); "
            f"here, see `rotation now {rid}`, `rotation stats {rid}` and "
            f"`rotation forecast {rid}`."
        )
    now = res.current
    if now is not None:
        lines += [
            "",
            f"On call now: **{now.task_id}** {_people(now.mattermost_user_ids, mention)}.",
        ]
    if res.next is not None:
        start = res.next.expected_start or res.next.actual_start
        when = f" from {fmt_when(start, zone)}" if start else ""
        lines.append(
            f"Next: **{res.next.task_id}**{when}: {_people(res.next.mattermost_user_ids, mention)}."
        )
    return "\n".join(lines)


def chart_line(kind: str, url: str | None) -> str:
    """A reply's chart as an in-line image (``""`` without a URL); the reply keeps its table."""
    if not url:
        return ""
    return f"\n\n![{_CHART_ALT.get(kind, 'Chart')} (the table has the numbers)]({url})"
