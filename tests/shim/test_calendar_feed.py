"""Calendar feeds over real HTTP: ``lotto serve`` with ``--public-url``, the fake Mattermost, Redis.

The slash command replies with signed feed URLs; fetching them gives an
iCalendar text; a wrong or missing signature is 403, an unknown rotation 404.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from shim.calendar import feed_url, signature, signature_ok
from shim.config import load
from shim.errors import ConfigError
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
        "task new shift ICE --number 0",
        "task assign ICE#0 @alice",
        "task new shift ICE --number 1",
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
    assert [e["UID"] for e in events] == [f"ICE#0@{plugin_id}", f"ICE#1@{plugin_id}"]
    assert [unescape(e["SUMMARY"]) for e in events] == ["ICE#0: @alice", "ICE#1: @bob"]
    assert events[0]["DTSTART"] == "20300103T090000Z" and events[0]["DTEND"] == "20300110T090000Z"
    mine = parse(shim.http.get(urls["Your shifts (@alice)"]).text)
    assert [e["UID"] for e in mine] == [f"ICE#0@{plugin_id}"]


def test_bad_or_missing_signatures_are_refused(feeds):
    shim, users, _ = feeds
    good = _urls(shim.slash("rotation calendar ICE @alice", users["alice"]).json()["text"])
    path = next(iter(good.values()))
    sig = re.search(r"sig=([0-9a-f]+)", path).group(1)
    bad = [
        path.replace(f"user={users['alice']['id']}", f"user={users['bob']['id']}"),  # other user
        path.replace(f"user={users['alice']['id']}&", ""),  # widened to the whole rotation
        path.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1")),
        path.split("&sig=")[0],
        "/api/v1/calendar/ICE.ics",
    ]
    for url in bad:
        r = shim.http.get(url)
        assert r.status_code == 403, (url, r.status_code, r.text)
        assert r.json()["kind"] == "ForbiddenError" and "Traceback" not in r.text
    assert shim.http.get(path).status_code == 200


def test_an_unknown_rotation_with_a_valid_signature_is_404(feeds):
    shim, _, _ = feeds
    r = shim.http.get(feed_url("", SECRET, "NOPE", ""))
    assert r.status_code == 404
    assert r.json()["kind"] == "NotFoundError" and "Traceback" not in r.text
    # A substring of a rotation id is no feed: URLs name exact ids.
    assert shim.http.get(feed_url("", SECRET, "IC", "")).status_code == 404
    assert "Traceback" not in shim.log()


def test_signatures_bind_rotation_and_user():
    sig = signature("k" * 16, "ICE", "alice")
    assert signature_ok("k" * 16, "ICE", "alice", sig)
    assert not signature_ok("k" * 16, "ICE", "", sig)
    assert not signature_ok("k" * 16, "ICE\nalice", "", sig)
    assert not signature_ok("x" * 16, "ICE", "alice", sig)
    assert not signature_ok("k" * 16, "ICE", "alice", "")
    assert feed_url("https://h/x/", "k" * 16, "A B", "") == (
        f"https://h/x/api/v1/calendar/A%20B.ics?sig={signature('k' * 16, 'A B', '')}"
    )


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
