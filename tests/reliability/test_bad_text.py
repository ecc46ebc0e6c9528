"""Hostile text against a real ``lotto serve``: lone surrogates and bytes that are not UTF-8.

Wherever they are — command text, form fields, JSON bodies at any depth, user ids,
headers, URLs — the answer is a short JSON error with a 4xx status (400 for text),
never a 500 or a traceback, and nothing runs or changes.
"""

from __future__ import annotations

import json

import pytest

from tests.shim.conftest import SECRET, SLASH_TOKEN

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def served(fake_mm, start_shim):
    """A shim on its own in-process store, one admin user, and its bearer headers."""
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    shim = start_shim(fake_mm, "memory://", "--autopilot-interval", "0")
    auth = {"Authorization": f"Bearer {SECRET}", "Mattermost-User-ID": boss["id"], **JSON}
    return shim, boss, auth


def _refused(r, status: int = 400) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["kind"] != "InternalError" and "Traceback" not in r.text, body
    return body


def test_json_bodies_with_bad_text_are_400(served):
    shim, boss, auth = served
    bodies = [
        b'{"command": "/lotto rotation list \\ud800"}',
        b'{"command": "/lotto rotation new \\udcff"}',
        b'{"command": "/lotto rotation new X\xff"}',
        b'{"command": "/lotto rotation new X\xed\xa0\x80"}',
    ]
    for body in bodies:
        body_json = _refused(shim.http.post("/api/v1/execute_command", content=body, headers=auth))
        assert "not valid" in body_json["error"], body_json
        hook = (
            body.replace(
                b'{"command"', b'{"args": {"user_id": "%s", "command"' % boss["id"].encode()
            )
            + b"}"
        )
        body_json = _refused(shim.http.post("/hooks/ExecuteCommand", content=hook, headers=auth))
        assert "not valid" in body_json["error"], body_json
    user = b'{"args": {"user_id": "\\ud800", "command": "/lotto info"}}'
    _refused(shim.http.post("/hooks/ExecuteCommand", content=user, headers=auth))
    settings = b'{"AdminUserIDs": "\\ud800"}'
    _refused(shim.http.post("/hooks/OnConfigurationChange", content=settings, headers=auth))
    _assert_nothing_ran(shim, boss)


def test_form_fields_with_bad_text_are_400(served):
    shim, boss, _ = served
    base = f"token={SLASH_TOKEN}&user_id={boss['id']}&command=%2Flotto"
    for extra in ("&text=rotation+new+%FF", "&text=rotation+new+%ED%A0%80", "&text=%C3"):
        r = shim.http.post(
            "/api/v1/slash",
            content=(base + extra).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert "not valid UTF-8" in _refused(r)["error"]
    raw = (base + "&text=rotation+new+").encode() + b"\xff"
    r = shim.http.post(
        "/api/v1/slash", content=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    _refused(r)
    bad_user = f"token={SLASH_TOKEN}&user_id=%FF{boss['id'][1:]}&text=info".encode()
    r = shim.http.post(
        "/api/v1/slash",
        content=bad_user,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _refused(r)
    _assert_nothing_ran(shim, boss)


def test_headers_and_urls_with_bad_bytes_are_refused_cleanly(served):
    shim, boss, auth = served
    r = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto rotation new H"},
        headers={**auth, "Mattermost-User-ID": b"\xff" + boss["id"][1:].encode()},
    )
    _refused(r)
    for path in ("/api/v1/calendar/%FF.ics", "/api/v1/calendar/%ED%A0%80.ics?user=%FF&sig=%FF"):
        r = shim.http.get(path)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert json.loads(r.text)["kind"] != "InternalError"
    _assert_nothing_ran(shim, boss)


def _assert_nothing_ran(shim, boss) -> None:
    """No rotation was made, and the shim logged no crash."""
    reply = shim.slash("rotation list", boss).json()["text"]
    assert "No active rotations" in reply, reply
    log = shim.log()
    assert "Traceback" not in log and "crashed" not in log, log
