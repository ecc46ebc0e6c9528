"""The rotation page in a real browser: headless Chromium (Playwright) against ``lotto serve``.

A rotation with past, current, pending and offered shifts and time off is made
through the slash command; ``rotation page`` gives the signed URL; Chromium,
in Los Angeles time, loads it from the shim under test and the DOM must show who
is on call, the timeline's entries and the very numbers ``rotation stats`` and
``rotation forecast`` give, with no console error and no request leaving the
shim. Screenshots at desktop and phone widths are kept in ``artifacts/page/``
and inspected (not blank, the palette's colours there). Forged, tampered and
expired links get 403 and no data.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import sync_playwright

from lotto.commands.render.records import fmt_when
from shim.links import page_query
from shim.page.svg import COLOURS
from tests.shim.browser import ARTIFACTS, LAUNCH_ARGS, chromium_path, colours_near, read_png
from tests.shim.conftest import ROOT, SECRET

PUBLIC = "https://lotto.example.com/oncall"
LA = "America/Los_Angeles"


def _minute(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def rotation(fake_mm, redis_url, start_shim, tmp_path):
    """ICE (weekly, 4 members): 5 finished shifts, #5 on call now, #6 scheduled with bob's
    place offered, #7 pending; dan away next week. Returns the shim, users and times."""
    users = {
        "boss": fake_mm.add_user("boss", roles="system_user system_admin"),
        **{n: fake_mm.add_user(n) for n in ("alice", "bob", "carol", "dan")},
    }
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.page-{uuid.uuid4().hex[:8]}"
    (tmp_path / "plugin.json").write_text(json.dumps(manifest))
    shim = start_shim(
        fake_mm,
        redis_url,
        "--plugin-json",
        str(tmp_path / "plugin.json"),
        "--autopilot-interval",
        "0",
        LOTTO_PUBLIC_URL=PUBLIC,
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    begin = now - timedelta(weeks=5, days=2)
    week = timedelta(weeks=1)

    def run(line: str, who: str = "boss") -> str:
        text = shim.slash(line, users[who]).json()["text"]
        assert "Command failed" not in text, (line, text)
        return text

    run(f"rotation new ICE --period weekly --beginning {_minute(begin)} --timezone UTC")
    run("rotation set require ICE --count 2")
    run("user qualify @alice -s webapp-2")
    run(f"user join ICE @alice @bob @carol @dan --now {_minute(begin - week)}")
    pairs = ["@alice @bob", "@carol @dan", "@alice @carol", "@bob @dan", "@alice @dan"]
    for n, pair in enumerate(pairs):
        start = begin + n * week
        made = _minute(start - timedelta(days=1))
        run(f"task new shift ICE --number {n} --now {made}")
        run(f"task assign ICE#{n} {pair} --now {made}")
        run(f"task schedule ICE#{n} --now {made}")
        run(f"task start ICE#{n} --now {_minute(start)}")
        run(f"task finish ICE#{n} --now {_minute(start + week - timedelta(minutes=1))}")
    start5 = begin + 5 * week
    run(f"task new shift ICE --number 5 --now {_minute(start5 - timedelta(days=1))}")
    run(f"task assign ICE#5 @bob @carol --now {_minute(start5 - timedelta(days=1))}")
    run(f"task schedule ICE#5 --now {_minute(start5 - timedelta(days=1))}")
    run(f"task start ICE#5 --now {_minute(start5)}")
    run("task new shift ICE --number 6")
    run("task assign ICE#6 @bob @dan")
    run("task schedule ICE#6")
    run('task offer ICE#6 --note "dentist"', who="bob")
    run("task new shift ICE --number 7")
    run(
        f"user unavailable @dan --start {_minute(now + timedelta(days=8))} "
        f"--finish {_minute(now + timedelta(days=10))}"
    )
    return shim, users, run, now, begin


def _page_url(shim, reply: str) -> str:
    found = re.search(re.escape(PUBLIC) + r"(/page/\S+)", reply)
    assert found, reply
    return shim.url + found.group(1)


def _json(text: str) -> dict:
    block = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert block, text
    return json.loads(block.group(1))


def test_the_page_in_chromium_shows_the_services_numbers_in_the_viewers_zone(rotation):
    shim, users, run, now, begin = rotation
    url = _page_url(shim, run("rotation page ICE", who="alice"))
    names = {u["id"]: "@" + u["username"] for u in users.values()}
    requests: list[str] = []
    problems: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        try:
            desktop = browser.new_context(
                timezone_id=LA, viewport={"width": 1280, "height": 900}, locale="en-US"
            )
            page = desktop.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url)
            # The page's script sent the browser's zone and came back in it.
            page.wait_for_url(re.compile(r"[?&]tz=America%2FLos_Angeles"))
            page.wait_for_load_state("load")
            assert page.inner_text("#zone") == LA

            stats = _json(run("rotation stats ICE --json"))
            forecast = _json(run("rotation forecast ICE --json"))
            fc = forecast["forecast"]

            # On call now, until when (in the viewer's zone), and next.
            oncall = page.locator(".oncall")
            assert oncall.get_attribute("data-task") == "ICE#5"
            text = oncall.inner_text()
            assert "@bob, @carol" in text
            assert fmt_when(begin + timedelta(weeks=6), LA, named=False) in text
            assert "ICE#6" in page.locator("#now").inner_text()

            # The next shifts: people, the offer, unfilled needs.
            up = {
                r.get_attribute("data-task"): r.inner_text()
                for r in page.locator("#upcoming tbody tr").all()
            }
            assert "@bob's place (dentist)" in up["ICE#6"] and "@bob, @dan" in up["ICE#6"]
            assert "nobody yet" in up["ICE#7"] and "2 any" in up["ICE#7"]

            # The timeline: every task of the window, pending marked, time off, the offer.
            bars = page.locator("svg.timeline rect.bar")
            tasks = {b.get_attribute("data-task") for b in bars.all()}
            assert {f"ICE#{n}" for n in range(1, 8)} <= tasks
            assert page.locator('svg.timeline rect.pending[data-task="ICE#7"]').count() == 1
            assert page.locator('svg.timeline g[data-user="@dan"] rect.time_off').count() == 1
            assert page.locator('svg.timeline g[data-user="@bob"] rect.offer').count() == 1
            kinds = page.locator("#timeline details tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.kind)"
            )
            assert {"task", "pending", "time_off", "offer"} <= set(kinds)

            # Fairness: the bars carry rotation stats' numbers.
            served = page.locator("svg.fairness rect.served[data-shifts]").evaluate_all(
                "rs => rs.map(r => [r.dataset.user, +r.dataset.shifts, +r.dataset.fair])"
            )
            drawn = {who: (shifts, fair) for who, shifts, fair in served}
            want = {names[m["user_id"]]: (m["shifts"], m["fair_shifts"]) for m in stats["members"]}
            assert drawn.keys() == want.keys()
            for who, (shifts, fair) in want.items():
                assert drawn[who][0] == shifts
                assert drawn[who][1] == pytest.approx(fair, abs=0.02)

            # The heatmap: rotation forecast's chances, member by member, shift by shift.
            cells = page.locator("svg.heatmap rect.cell").evaluate_all(
                "cs => cs.map(c => [c.dataset.user, c.dataset.task, Number(c.dataset.p)])"
            )
            columns = [s["task_id"] for s in fc["shifts"]]
            want_p = {
                (names[u["user_id"]], columns[i]): p
                for u in fc["users"]
                for i, p in enumerate(u["p_shift"])
            }
            assert {(u, t): p for u, t, p in cells} == pytest.approx(want_p, abs=1e-4)

            # Members with skills and last served; every chart has a table behind <details>.
            members = page.locator("#members").inner_text()
            assert "webapp (intermediate)" in members and "@dan" in members
            assert page.locator("svg[role=img] > title").count() == 3
            assert page.locator("section details table").count() == 3
            assert page.get_attribute("html", "lang") == "en"
            assert _contrast(page, "body") >= 7 and _contrast(page, ".muted") >= 4.5

            page.screenshot(path=str(ARTIFACTS / "desktop.png"), full_page=True)
            timeline = read_png(page.locator("svg.timeline").screenshot())
            for colour in ("task", "time_off", "offer", "now", "pending"):
                assert colours_near(timeline[2], COLOURS[colour]) > 20, colour
            fairness = read_png(page.locator("svg.fairness").screenshot())
            assert colours_near(fairness[2], COLOURS["task"]) > 200

            # ?user= highlights one member everywhere.
            page.goto(url + "&tz=Europe%2FBerlin&user=dan")
            assert page.inner_text("#zone") == "Europe/Berlin"
            assert page.locator("#members tr.me").inner_text().startswith("@dan")
            assert page.locator("svg.timeline g.lane.me").get_attribute("data-user") == "@dan"

            # A phone: nothing wider than the screen but the charts' own scroll boxes.
            phone = browser.new_context(
                timezone_id=LA,
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                has_touch=True,
            )
            small = phone.new_page()
            small.on("request", lambda r: requests.append(r.url))
            small.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            small.goto(url)
            small.wait_for_url(re.compile(r"tz="))
            small.wait_for_load_state("load")
            assert small.evaluate("document.documentElement.scrollWidth") <= 390
            shot = small.screenshot()
            small.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
            width, height, pixels = read_png(shot)
            assert width >= 390 and height >= 844
            assert len(set(pixels)) > 50, "a blank screenshot"
            assert colours_near(pixels, "#ffffff", 3) < 0.97 * len(pixels)
            assert colours_near(pixels, COLOURS["task"]) > 50  # the on-call box's edge
        finally:
            browser.close()
    assert problems == []
    outside = [u for u in requests if not u.startswith(shim.url)]
    assert outside == [] and requests, requests
    assert (ARTIFACTS / "desktop.png").stat().st_size > 20_000


def _contrast(page, selector: str) -> float:
    """The WCAG contrast ratio of an element's text against the page's background."""
    return page.evaluate(
        """sel => {
          const rgb = s => s.match(/\\d+/g).slice(0, 3).map(Number);
          const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const fg = lum(rgb(getComputedStyle(document.querySelector(sel)).color));
          const bg = lum(rgb(getComputedStyle(document.body).backgroundColor));
          return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        }""",
        selector,
    )


def test_forged_tampered_or_expired_page_links_get_403_and_no_data(rotation):
    shim, users, run, now, _ = rotation
    url = _page_url(shim, run("rotation page ICE", who="alice"))
    good = shim.http.get(url)
    assert good.status_code == 200 and "ICE#5" in good.text
    assert "default-src 'none'" in good.headers["content-security-policy"]
    assert good.headers["referrer-policy"] == "no-referrer"
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = parts.path
    sig = query["sig"]
    old = datetime.now(UTC) - timedelta(days=400)
    bad = [
        {**query, "sig": sig[:-1] + ("0" if sig[-1] != "0" else "1")},
        {**query, "by": users["bob"]["id"]},
        {**query, "exp": str(int(query["exp"]) + 86400)},
        {k: v for k, v in query.items() if k != "sig"},
        page_query("not-the-secret-at-all", "ICE", users["alice"]["id"], now),
        page_query(SECRET, "ICE", users["alice"]["id"], old),
        {},
    ]
    for q in bad:
        r = shim.http.get(f"{path}?{urlencode(q)}")
        assert r.status_code == 403, (q, r.status_code)
        assert r.json()["kind"] == "ForbiddenError"
        assert "ICE#" not in r.text and "alice" not in r.text and "Traceback" not in r.text
    # Another rotation's path with this rotation's signature is no page either.
    assert shim.http.get(url.replace("/page/ICE", "/page/ICF")).status_code == 403
    # Someone who is not in the rotation gets no link; one who leaves loses theirs.
    outsider = run("rotation page ICE", who="boss")  # the creator: an owner
    assert "/page/ICE" in outsider
    run("user leave ICE @alice")
    r = shim.http.get(url)
    assert r.status_code == 403 and "ICE#5" not in r.text
    assert "members and owners" in run("rotation page ICE", who="alice")
    assert "Traceback" not in shim.log()


def _chart_url(shim, reply: str, kind: str) -> str:
    found = re.search(
        r"!\[([^\]]+)\]\(" + re.escape(PUBLIC) + rf"(/api/v1/chart/ICE/{kind}\.png\?\S+)\)", reply
    )
    assert found, reply
    assert "table has the numbers" in found.group(1)
    return shim.url + found.group(2)


def test_stats_and_forecast_replies_embed_their_charts_as_signed_png_images(rotation):
    shim, users, run, now, _ = rotation
    stats = run("rotation stats ICE", who="carol")
    assert "| Member | Shifts |" in stats  # the table stays, for screen readers and the CLI
    r = shim.http.get(_chart_url(shim, stats, "stats"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    width, height, pixels = read_png(r.content)
    assert width == 640 and height <= 500
    assert colours_near(pixels, COLOURS["task"], 4) > 500  # the bars
    assert colours_near(pixels, COLOURS["fair"], 4) > 50  # the fair-share marks and text
    forecast = run("rotation forecast ICE --shifts 4", who="dan")
    url = _chart_url(shim, forecast, "forecast")
    assert "shifts=4" in url
    r = shim.http.get(url)
    assert r.status_code == 200
    _, _, pixels = read_png(r.content)
    assert len(set(pixels)) > 4  # shades of the heatmap
    # Altered, the link is refused before anything is read.
    for bad in (url.replace("shifts=4", "shifts=5"), url.replace("forecast.png", "stats.png")):
        r = shim.http.get(bad)
        assert r.status_code == 403 and not r.content.startswith(b"\x89PNG")
