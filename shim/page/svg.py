"""The page's charts as inline SVG: the timeline, the fairness bars and the forecast heatmap.

Pure: numbers and labels in, markup out. Every mark carries its value as real
text (a ``<title>`` read by screen readers and shown on hover) and as ``data-``
attributes, and the page puts the same numbers in a table behind a
``<details>``. No ``style`` attributes (the page's CSP allows none): colours are
presentation attributes or classes of the page's stylesheet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

__all__ = [
    "COLOURS",
    "Bar",
    "Lane",
    "FairRow",
    "timeline_svg",
    "fairness_svg",
    "heatmap_svg",
    "heat_colour",
    "week_ticks",
]

#: The palette (also the chat images'): each passes 3:1 against white for marks.
COLOURS = {
    "task": "#2f6fdf",
    "pending": "#9dbcf2",
    "finished": "#5b7bb0",
    "time_off": "#e8912d",
    "offer": "#8e44ad",
    "working_hours": "#3a9d5d",
    "holiday": "#c0392b",
    "override": "#16a085",
    "now": "#d62828",
    "fair": "#1a1a1a",
    "grid": "#d0d4dc",
    "text": "#1a1a1a",
}

_ROW = 20
_LABEL = 150
# (offset, height) in a lane of the marks drawn over tasks: offers on top, time off below.
_BANDS = {"offer": (1, 6), "time_off": (11, 6), "holiday": (11, 6), "working_hours": (13, 4)}
_TL_WIDTH = 1000


def _e(text: str) -> str:
    return escape(text, quote=True)


@dataclass(frozen=True, slots=True)
class Bar:
    """A span on a timeline lane: ``kind`` picks its colour, ``title`` is its text."""

    start: datetime
    finish: datetime
    kind: str
    title: str
    task_id: str = ""
    highlight: bool = False


@dataclass(frozen=True, slots=True)
class Lane:
    """A timeline row: its label and its bars."""

    label: str
    bars: Sequence[Bar]
    highlight: bool = False
    user: str = ""


def timeline_svg(
    lanes: Sequence[Lane],
    since: datetime,
    until: datetime,
    now: datetime,
    ticks: Sequence[tuple[datetime, str]],
) -> str:
    """A timeline of ``lanes`` over ``[since, until)`` with a "now" line and labelled ticks."""
    span = (until - since).total_seconds() or 1.0
    scale = _TL_WIDTH / span

    def x(t: datetime) -> float:
        return _LABEL + max(0.0, min(span, (t - since).total_seconds())) * scale

    height = 30 + _ROW * len(lanes) + 10
    width = _LABEL + _TL_WIDTH + 10
    out = [
        f'<svg class="timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' role="img" aria-labelledby="timeline-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="timeline-title">Timeline: tasks, time off and offers; '
        "the table below lists every entry</title>",
    ]
    for t, label in ticks:
        tx = x(t)
        out.append(
            f'<line x1="{tx:.1f}" y1="22" x2="{tx:.1f}" y2="{height - 10}" '
            f'stroke="{COLOURS["grid"]}"/>'
            f'<text x="{tx + 2:.1f}" y="14" class="tick">{_e(label)}</text>'
        )
    for i, lane in enumerate(lanes):
        y = 26 + i * _ROW
        cls = "lane me" if lane.highlight else "lane"
        user = f' data-user="{_e(lane.user)}"' if lane.user else ""
        out.append(
            f'<g class="{cls}"{user}><text x="4" y="{y + 13}" class="label">{_e(lane.label)}</text>'
        )
        for bar in lane.bars:
            x0, x1 = x(bar.start), x(bar.finish)
            w = max(2.0, x1 - x0)
            colour = COLOURS.get(bar.kind, COLOURS["task"])
            extra = ' stroke="#1a1a1a" stroke-width="2"' if bar.highlight else ""
            if bar.kind == "pending":
                extra += ' stroke-dasharray="3 2" stroke="#2f6fdf"'
            # Tasks fill the lane; what happens over them (an offer, time off) is a band.
            top, h = _BANDS.get(bar.kind, (1, 16))
            top += y
            tid = f' data-task="{_e(bar.task_id)}"' if bar.task_id else ""
            out.append(
                f'<rect class="bar {bar.kind}" x="{x0:.1f}" y="{top}" width="{w:.1f}" '
                f'height="{h}" rx="2" fill="{colour}"{extra}{tid} data-kind="{bar.kind}">'
                f"<title>{_e(bar.title)}</title></rect>"
            )
        out.append("</g>")
    nx = x(now)
    out.append(
        f'<line class="now" x1="{nx:.1f}" y1="18" x2="{nx:.1f}" y2="{height - 6}" '
        f'stroke="{COLOURS["now"]}" stroke-width="2"><title>now</title></line>'
    )
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class FairRow:
    """One member in the fairness chart: served against fair share, in shifts and hours."""

    label: str
    shifts: int
    fair_shifts: float
    hours: float
    fair_hours: float
    highlight: bool = False


def _panel(
    rows: Sequence[FairRow],
    x0: float,
    width: float,
    value: Callable[[FairRow], float],
    fair: Callable[[FairRow], float],
    unit: str,
    name: str,
) -> list[str]:
    top = max([1.0, *(max(value(r), fair(r)) for r in rows)])
    scale = width / top
    out = [f'<text x="{x0}" y="14" class="head">{_e(name)}</text>']
    for i, r in enumerate(rows):
        y = 24 + i * _ROW
        v, f = value(r), fair(r)
        fmt = f"{v:g}" if unit == "shifts" else f"{v:.1f}"
        out.append(
            f'<rect class="bar served" x="{x0}" y="{y + 2}" width="{max(0.0, v * scale):.1f}" '
            f'height="14" fill="{COLOURS["task"]}" data-user="{_e(r.label)}" data-{unit}="{fmt}" '
            f'data-fair="{f:.2f}">'
            f"<title>{_e(r.label)}: {fmt} {unit}, fair share {f:.1f}</title></rect>"
            f'<line class="fair" x1="{x0 + f * scale:.1f}" y1="{y}" x2="{x0 + f * scale:.1f}" '
            f'y2="{y + 18}" stroke="{COLOURS["fair"]}" stroke-width="2"/>'
            f'<text x="{x0 + max(0.0, v, f) * scale + 5:.1f}" y="{y + 14}" class="value">'
            f"{fmt}</text>"
        )
    return out


def fairness_svg(rows: Sequence[FairRow]) -> str:
    """Two bar panels per member, shifts and hours served, each with its fair-share mark."""
    panel = 380
    width = _LABEL + 2 * panel + 60
    height = 24 + _ROW * len(rows) + 8
    out = [
        f'<svg class="fairness" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' role="img" aria-labelledby="fairness-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="fairness-title">Shifts and hours served per member (bars) against '
        "their fair share (black marks)</title>",
    ]
    for i, r in enumerate(rows):
        y = 24 + i * _ROW
        cls = "label me" if r.highlight else "label"
        out.append(f'<text x="4" y="{y + 14}" class="{cls}">{_e(r.label)}</text>')
    out += _panel(
        rows, _LABEL, panel - 50, lambda r: r.shifts, lambda r: r.fair_shifts, "shifts", "Shifts"
    )
    out += _panel(
        rows,
        _LABEL + panel + 20,
        panel - 50,
        lambda r: r.hours,
        lambda r: r.fair_hours,
        "hours",
        "Hours",
    )
    out.append("</svg>")
    return "".join(out)


def heat_colour(p: float) -> str:
    """White (never) to the task blue (always), by the chance ``p``."""
    p = max(0.0, min(1.0, p))
    r0, g0, b0 = 0xF4, 0xF6, 0xFA
    r1, g1, b1 = 0x1F, 0x4F, 0xB0
    r, g, b = (round(a + (z - a) * p) for a, z in ((r0, r1), (g0, g1), (b0, b1)))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[float], bool]],
    percent: Callable[[float], str],
) -> str:
    """Members (``(label, chances, highlight)``) × coming shifts (``columns``)."""
    cell_w, cell_h = 64, _ROW
    width = _LABEL + cell_w * len(columns) + 10
    height = 26 + cell_h * len(rows) + 6
    out = [
        f'<svg class="heatmap" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' role="img" aria-labelledby="heatmap-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="heatmap-title">Chance of serving in each coming shift, per member</title>',
    ]
    for j, col in enumerate(columns):
        out.append(f'<text x="{_LABEL + j * cell_w + 4}" y="16" class="head">{_e(col)}</text>')
    for i, (label, chances, highlight) in enumerate(rows):
        y = 24 + i * cell_h
        cls = "label me" if highlight else "label"
        out.append(f'<text x="4" y="{y + 14}" class="{cls}">{_e(label)}</text>')
        for j, p in enumerate(chances):
            text = percent(p)
            ink = "#ffffff" if p >= 0.5 else COLOURS["text"]
            out.append(
                f'<rect class="cell" x="{_LABEL + j * cell_w}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="{heat_colour(p)}" data-p="{p:.4f}" '
                f'data-task="{_e(columns[j])}" data-user="{_e(label)}">'
                f"<title>{_e(label)}, {_e(columns[j])}: "
                f"{text}</title></rect>"
                f'<text x="{_LABEL + j * cell_w + 6}" y="{y + 14}" fill="{ink}" '
                f'class="pct">{text}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def week_ticks(
    since: datetime, until: datetime, label: Callable[[datetime], str]
) -> list[tuple[datetime, str]]:
    """A tick every 7 days from ``since`` (labelled by ``label``)."""
    ticks = []
    t = since
    while t < until:
        ticks.append((t, label(t)))
        t += timedelta(days=7)
    return ticks
