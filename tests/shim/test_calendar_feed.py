"""Calendar feeds over real HTTP: ``lotto serve`` with ``--public-url``, the fake Mattermost, Redis.

The slash command replies with signed feed URLs; fetching them gives an
iCalendar text; a wrong, missing or expired signature is 403, and so is the link
of someone who left the rotation; an unknown rotation is 404.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from shim import signing
from shim.config import load
from shim.errors import ConfigError
from shim.links import LINK_LIFETIME, ShimLinks, feed_query
from tests.lotto.helpers import parse, unescape
from tests.shim.conftest import ROOT, SECRET

PUBLIC = "https://lotto.example.com/oncall"


@pytest.fixture
def feeds(fake_mm, redis_url, start_shim, tmp_path):
    """A shim with feeds on, a rotation ICE with two shifts (alice on #0, bob on #1)."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = plugin_id = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    users = {
        "boss": fake_mm.add_user("boss", roles="system_user system_admin"),
        "alice": fake_mm.add_user("alice"),
        "bob": fake_mm.add_user("bob"),
    }
    shim = start_shim(
        fake_mm,
        redis_url,
        "--plugin-json",
        str(path),
        "--autopilot-interval",
        "0",
        LOTTO_PUBLIC_URL=PUBLIC,
    )
    for line in (
        "rotation new ICE --beginning 2030-01-03T09:00",
        "user join ICE @alice @bob",
        "task new shift ICE --number 0 --force",
        "task assign ICE#0 @alice",
        "task new shift ICE --number 1 --force",
        "task assign ICE#1 @bob",
    ):
        text = shim.slash(line, users["boss"]).json()["text"]
        assert "Command failed" not in text, text
    return shim, users, plugin_id


def _urls(text: str) -> dict[str, str]:
    """Feed URLs of a reply, by their label, as paths on the test's shim."""
    found = dict(re.findall(r"^- (.+?): (https://\S+)$", text, re.M))
    assert found, text
    assert all(url.startswith(PUBLIC + "/api/v1/calendar/") for url in found.values())
    return {label: url[len(PUBLIC) :] for label, url in found.items()}


def test_the_slash_reply_gives_signed_urls_that_serve_the_calendar(feeds):
    shim, users, plugin_id = feeds
    reply = shim.slash("rotation calendar IC", users["alice"]).json()["text"]
    urls = _urls(reply)
    assert set(urls) == {"Every shift", "Your shifts (@alice)"}
    r = shim.http.get(urls["Every shift"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    events = parse(r.text)
    site = "127.0.0.1"  # the fake Mattermost's host: the deployment's site
    assert [e["UID"] for e in events] == [f"ICE#{n}.{plugin_id}@{site}" for n in (0, 1)]
    assert [unescape(e["SUMMARY"]) for e in events] == ["ICE#0: @alice", "ICE#1: @bob"]
    assert events[0]["DTSTART"] == "20300103T090000Z" and events[0]["DTEND"] == "20300110T090000Z"
    mine = parse(shim.http.get(urls["Your shifts (@alice)"]).text)
    assert [e["UID"] for e in mine] == [f"ICE#0.{plugin_id}@{site}"]
    # Each URL carries its holder and an expiry about a year away, under the signature.
    exp = int(re.search(r"exp=(\d+)", urls["Every shift"]).group(1))
    left = exp - datetime.now(UTC).timestamp()
    assert LINK_LIFETIME.total_seconds() - 600 < left <= LINK_LIFETIME.total_seconds()
    assert f"by={users['alice']['id']}" in urls["Every shift"]


def test_bad_or_missing_signatures_are_refused(feeds):
    shim, users, _ = feeds
    good = _urls(shim.slash("rotation calendar ICE @alice", users["alice"]).json()["text"])
    path = next(iter(good.values()))
    sig = re.search(r"sig=([0-9a-f]+)", path).group(1)
    exp = re.search(r"exp=(\d+)", path).group(1)
    bad = [
        path.replace(f"user={users['alice']['id']}", f"user={users['bob']['id']}"),  # other user
        path.replace(f"user={users['alice']['id']}&", ""),  # widened to the whole rotation
        path.replace(f"by={users['alice']['id']}", f"by={users['bob']['id']}"),  # other holder
        path.replace(f"exp={exp}", f"exp={int(exp) + 86400 * 365}"),  # made to last longer
        path.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1")),
        path.split("&sig=")[0],
        "/api/v1/calendar/ICE.ics",
    ]
    for url in bad:
        r = shim.http.get(url)
        assert r.status_code == 403, (url, r.status_code, r.text)
        assert r.json()["kind"] == "ForbiddenError" and "Traceback" not in r.text
    assert shim.http.get(path).status_code == 200


def _signed(rotation: str, user: str, holder: str, now: datetime | None = None) -> str:
    query = feed_query(SECRET, rotation, user, holder, now or datetime.now(UTC))
    return f"/api/v1/calendar/{rotation}.ics?{urlencode(query)}"


def test_an_unknown_rotation_with_a_valid_signature_is_404(feeds):
    shim, users, _ = feeds
    r = shim.http.get(_signed("NOPE", "", users["alice"]["id"]))
    assert r.status_code == 404
    assert r.json()["kind"] == "NotFoundError" and "Traceback" not in r.text
    # A substring of a rotation id is no feed: URLs name exact ids.
    assert shim.http.get(_signed("IC", "", users["alice"]["id"])).status_code == 404
    assert "Traceback" not in shim.log()


def test_an_expired_link_is_refused(feeds):
    shim, users, _ = feeds
    old = datetime.now(UTC) - LINK_LIFETIME - timedelta(minutes=1)
    r = shim.http.get(_signed("ICE", "", users["alice"]["id"], old))
    assert r.status_code == 403 and "BEGIN:VCALENDAR" not in r.text
    assert shim.http.get(_signed("ICE", "", users["alice"]["id"])).status_code == 200


def test_a_link_stops_working_when_its_holder_leaves_and_works_again_for_a_new_link(feeds):
    shim, users, _ = feeds
    urls = _urls(shim.slash("rotation calendar ICE", users["bob"]).json()["text"])
    assert all(shim.http.get(u).status_code == 200 for u in urls.values())
    assert "Command failed" not in shim.slash("user leave ICE", users["bob"]).json()["text"]
    for url in urls.values():
        r = shim.http.get(url)
        assert r.status_code == 403, (url, r.text)
        assert "BEGIN:VCALENDAR" not in r.text and r.json()["kind"] == "ForbiddenError"
    # Someone no longer in the rotation is told why there is no URL (and gets the text).
    reply = shim.slash("rotation calendar ICE", users["bob"]).json()["text"]
    assert "/api/v1/calendar/" not in reply and "members and owners" in reply
    # Owners keep theirs: the creator (boss) is an owner without being a member.
    boss = _urls(shim.slash("rotation calendar ICE", users["boss"]).json()["text"])
    assert shim.http.get(boss["Every shift"]).status_code == 200


def test_signatures_bind_purpose_rotation_parameters_and_expiry():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    q = feed_query("k" * 16, "ICE", "alice", "alice", now)
    names = ("user", "by", "exp")
    t = now.timestamp()
    assert signing.check_query("k" * 16, signing.FEED, ("ICE",), q, names, t) is not None
    assert signing.check_query("x" * 16, signing.FEED, ("ICE",), q, names, t) is None
    assert signing.check_query("k" * 16, signing.FEED, ("ICE2",), q, names, t) is None
    # The same fields signed for a page (or a chart) are no feed, and the other way round.
    assert signing.check_query("k" * 16, signing.PAGE, ("ICE",), q, names, t) is None
    assert (
        signing.check_query("k" * 16, signing.FEED, ("ICE",), {**q, "user": ""}, names, t) is None
    )
    late = (now + LINK_LIFETIME + timedelta(seconds=1)).timestamp()
    assert signing.check_query("k" * 16, signing.FEED, ("ICE",), q, names, late) is None
    # The keys are derived per purpose; none is the secret itself (the hooks' bearer).
    keys = {signing.signing_key("k" * 16, p) for p in signing.PURPOSES}
    assert len(keys) == len(signing.PURPOSES) and ("k" * 16).encode() not in keys
    url = ShimLinks("https://h/x/", "k" * 16, clock=lambda: now).feed("A B", "", "alice")
    assert url is not None and url.startswith("https://h/x/api/v1/calendar/A%20B.ics?by=alice&exp=")


def test_public_url_is_checked_and_needs_the_secret():
    base = {
        "LOTTO_STORE": "memory://",
        "LOTTO_MATTERMOST_URL": "https://chat.example.com",
        "LOTTO_BOT_TOKEN": "t",
        "LOTTO_SECRET": SECRET,
    }
    assert load([], base).public_url == ""
    assert (
        load(["--public-url", "https://lotto.example.com/"], base).public_url
        == "https://lotto.example.com"
    )
    for bad in ("lotto.example.com", "ftp://x", "https://x/?a=1"):
        with pytest.raises(ConfigError, match="--public-url"):
            load(["--public-url", bad], base)
    no_secret = {**base, "LOTTO_SLASH_TOKEN": "s" * 26}
    del no_secret["LOTTO_SECRET"]
    with pytest.raises(ConfigError, match="needs --secret"):
        load([], {**no_secret, "LOTTO_PUBLIC_URL": "https://lotto.example.com"})
