"""The Mattermost REST client, directory and poster against the fake server (real HTTP)."""

from __future__ import annotations

import logging

import httpx
import pytest

from shim.directory import MattermostDirectory, MattermostPoster
from shim.errors import MattermostError, MattermostUnavailable
from shim.mattermost import MattermostClient
from tests.shim.conftest import free_port


@pytest.fixture
def client(fake_mm):
    c = MattermostClient(fake_mm.url, fake_mm.bot_token, timeout=2, backoff=0.001)
    yield c
    c.close()


def test_me_is_the_bot(client, fake_mm):
    assert client.me()["id"] == fake_mm.bot["id"]
    assert fake_mm.count("GET /api/v4/users/me") == 1


def test_wrong_token_is_an_error(fake_mm):
    c = MattermostClient(fake_mm.url, "wrong", backoff=0.001)
    with pytest.raises(MattermostError, match="401"):
        c.me()
    c.close()


def test_profiles_take_zone_roles_and_names(client, fake_mm):
    la = fake_mm.add_user("ann", time_zone="America/Los_Angeles", first_name="Ann", last_name="Lee")
    auto = fake_mm.add_user(
        "bob", time_zone="Europe/Berlin", automatic=True, roles="system_user system_admin"
    )
    plain = fake_mm.add_user("cat")
    d = MattermostDirectory(client, admin_ids=lambda: frozenset({plain["id"]}))
    ann = d.by_username("@ann")
    assert (ann.user_id, ann.display_name, ann.time_zone, ann.is_admin) == (
        la["id"],
        "Ann Lee",
        "America/Los_Angeles",
        False,
    )
    bob = d.by_id(auto["id"])
    assert (bob.time_zone, bob.is_admin) == ("Europe/Berlin", True)
    cat = d.by_id(plain["id"])
    assert (cat.time_zone, cat.display_name, cat.is_admin) == ("UTC", "cat", True)


def test_unknown_and_deleted_users_are_none(client, fake_mm):
    gone = fake_mm.add_user("gone", deleted=True)
    d = MattermostDirectory(client)
    assert d.by_id("nosuchuser00000000000000000") is None
    assert d.by_username("nobody") is None
    assert d.by_id(gone["id"]) is None
    assert d.by_ids([gone["id"], "nosuchuser00000000000000000"]) == {}


def test_lookups_are_cached_for_the_ttl(client, fake_mm):
    user = fake_mm.add_user("dan")
    now = [0.0]
    d = MattermostDirectory(client, ttl=30, clock=lambda: now[0])
    d.by_id(user["id"])
    d.by_username("dan")
    d.by_ids([user["id"]])
    assert fake_mm.count(f"GET /api/v4/users/{user['id']}") == 1
    assert fake_mm.count("GET /api/v4/users/username/dan") == 0
    assert fake_mm.count("POST /api/v4/users/ids") == 0
    now[0] = 31.0
    d.by_id(user["id"])
    assert fake_mm.count(f"GET /api/v4/users/{user['id']}") == 2


def test_batch_lookup_is_one_request_for_the_uncached(client, fake_mm):
    users = [fake_mm.add_user(f"u{i}") for i in range(5)]
    d = MattermostDirectory(client)
    d.by_id(users[0]["id"])
    got = d.by_ids([u["id"] for u in users] + ["nosuchuser00000000000000000"])
    assert list(got) == [u["id"] for u in users]
    assert fake_mm.count("POST /api/v4/users/ids") == 1


def test_username_batch_is_one_request_keyed_by_the_names_given(client, fake_mm):
    users = [fake_mm.add_user(f"n{i}") for i in range(4)]
    d = MattermostDirectory(client)
    d.by_username("n0")  # cached: not asked again
    got = d.by_usernames(["n0", "N1", "n2", "n3", "ghost"])
    assert {k: p.user_id for k, p in got.items()} == {
        "n0": users[0]["id"],
        "N1": users[1]["id"],
        "n2": users[2]["id"],
        "n3": users[3]["id"],
    }
    assert fake_mm.count("POST /api/v4/users/usernames") == 1
    d.by_usernames(["n1", "n2"])  # now cached
    assert fake_mm.count("POST /api/v4/users/usernames") == 1


def test_dm_opens_the_direct_channel_once(client, fake_mm):
    user = fake_mm.add_user("eve")
    poster = MattermostPoster(client, fake_mm.bot["id"])
    poster.dm(user["id"], "hello")
    poster.dm(user["id"], "again")
    assert fake_mm.dms(user["id"]) == ["hello", "again"]
    assert fake_mm.count("POST /api/v4/channels/direct") == 1


def test_long_dm_is_split_under_the_post_limit(client, fake_mm):
    user = fake_mm.add_user("fay")
    poster = MattermostPoster(client, fake_mm.bot["id"])
    message = "\n".join(f"line {i:05d} " + "x" * 90 for i in range(400))
    poster.dm(user["id"], message)
    parts = fake_mm.dms(user["id"])
    assert len(parts) == 3 and all(len(p) <= 16383 for p in parts)
    assert "".join(parts) == message


def test_failed_dm_is_logged_not_raised(client, fake_mm, caplog):
    poster = MattermostPoster(client, fake_mm.bot["id"])
    with caplog.at_level(logging.ERROR, logger="shim.poster"):
        poster.dm("nosuchuser00000000000000000", "hello")
    assert "could not send a direct message" in caplog.text
    assert fake_mm.posts == []


def test_5xx_is_retried_then_succeeds(client, fake_mm):
    fake_mm.fail_next = [503, 500]
    assert client.me()["id"] == fake_mm.bot["id"]
    assert fake_mm.count("GET /api/v4/users/me") == 3


def test_retries_are_bounded(client, fake_mm):
    fake_mm.fail_next = [503] * 10
    with pytest.raises(MattermostUnavailable):
        client.me()
    assert fake_mm.count("GET /api/v4/users/me") == 3


def test_a_post_is_not_retried_after_a_500(client, fake_mm):
    user = fake_mm.add_user("gus")
    channel = client.direct_channel(fake_mm.bot["id"], user["id"])
    fake_mm.fail_next = [500]
    with pytest.raises(MattermostError):
        client.create_post(channel, "maybe posted")
    assert fake_mm.count("POST /api/v4/posts") == 1


def test_unreachable_server_is_unavailable():
    c = MattermostClient(f"http://127.0.0.1:{free_port()}", "t", timeout=1, backoff=0.001)
    with pytest.raises(MattermostUnavailable):
        c.me()
    c.close()


def test_hostile_username_stays_in_its_path_segment(client, fake_mm):
    d = MattermostDirectory(client)
    assert d.by_username("../../users/me") is None
    assert fake_mm.count("GET /api/v4/users/username/..%2F..%2Fusers%2Fme") == 1


def test_fake_rejects_paths_outside_the_openapi_file(fake_mm):
    r = httpx.get(
        fake_mm.url + "/api/v4/not/a/real/path",
        headers={"Authorization": f"Bearer {fake_mm.bot_token}"},
    )
    assert r.status_code == 404
    r = httpx.post(
        fake_mm.url + "/api/v4/posts",
        json={"channel_id": "x"},
        headers={"Authorization": f"Bearer {fake_mm.bot_token}"},
    )
    assert r.status_code == 400
    assert len(fake_mm.violations) == 2
    assert "not in the OpenAPI file" in fake_mm.violations[0]
    assert "'message' is a required property" in fake_mm.violations[1]
    fake_mm.violations.clear()  # deliberate violations: do not fail the fixture


def test_ephemeral_post_matches_the_contract(client, fake_mm):
    user = fake_mm.add_user("hal")
    post = client.ephemeral_post(user["id"], "channel0000000000000000000", "only you")
    assert post["message"] == "only you"
    assert fake_mm.ephemeral[-1]["user_id"] == user["id"]


def test_lookup_during_an_outage_is_a_user_facing_error(client, fake_mm):
    from lotto.errors import LottoError

    d = MattermostDirectory(client)
    fake_mm.fail_next = [503] * 3
    with pytest.raises(LottoError, match="Mattermost did not answer"):
        d.by_username("anyone")


def test_system_admins_are_listed_by_role_and_cached(client, fake_mm):
    admins = [fake_mm.add_user(f"sys{i}", roles="system_user system_admin") for i in range(3)]
    fake_mm.add_user("plainuser")
    fake_mm.add_user("exadmin", roles="system_user system_admin", deleted=True)
    now = [0.0]
    d = MattermostDirectory(client, clock=lambda: now[0], admin_ttl=300)
    assert d.system_admin_ids() == {a["id"] for a in admins}
    assert d.system_admin_ids() == {a["id"] for a in admins}
    listings = [c for c in fake_mm.calls if c.startswith("GET /api/v4/users?")]
    assert listings == ["GET /api/v4/users?role=system_admin&active=true&per_page=200&page=0"]
    fake_mm.fail_next = [403] * 5  # e.g. the bot may not list users: keep what we knew
    now[0] = 301.0
    assert d.system_admin_ids() == {a["id"] for a in admins}


def test_system_admin_listing_follows_pages(client, fake_mm):
    admins = [fake_mm.add_user(f"pg{i}", roles="system_admin system_user") for i in range(5)]
    assert {u["id"] for u in client.users_with_role("system_admin", per_page=2)} == {
        a["id"] for a in admins
    }
    assert sum(c.startswith("GET /api/v4/users?") for c in fake_mm.calls) == 3


def test_a_profile_zone_unknown_to_our_tz_database_reads_as_utc(client, fake_mm):
    odd = fake_mm.add_user("odd", time_zone="Mars/Olympus_Mons")
    assert MattermostDirectory(client).by_id(odd["id"]).time_zone == "UTC"


def test_a_post_is_not_retried_after_a_gateway_timeout_but_is_after_a_503(client, fake_mm):
    user = fake_mm.add_user("ivy")
    channel = client.direct_channel(fake_mm.bot["id"], user["id"])
    for status in (502, 504):
        fake_mm.fail_next = [status]
        with pytest.raises(MattermostError):
            client.create_post(channel, "maybe posted")
    assert fake_mm.count("POST /api/v4/posts") == 2
    fake_mm.fail_next = [503]
    client.create_post(channel, "surely not posted the first time")
    assert fake_mm.count("POST /api/v4/posts") == 4
    assert fake_mm.dms(user["id"]) == ["surely not posted the first time"]


def test_fake_flags_wrong_request_and_response_bodies_and_query_parameters(fake_mm, openapi):
    auth = {"Authorization": f"Bearer {fake_mm.bot_token}"}
    r = httpx.post(
        fake_mm.url + "/api/v4/users/ids", json={"ids": ["a"]}, headers=auth
    )  # must be an array
    assert r.status_code == 400
    r = httpx.post(
        fake_mm.url + "/api/v4/channels/direct", json=["a", 7], headers=auth
    )  # ids are strings
    assert r.status_code == 400
    r = httpx.get(
        fake_mm.url + "/api/v4/users?rol=system_admin", headers=auth
    )  # undeclared parameter
    assert r.status_code == 400
    r = httpx.get(fake_mm.url + "/api/v4/users?per_page=lots", headers=auth)  # mistyped parameter
    assert r.status_code == 400
    assert len(fake_mm.violations) == 4, fake_mm.violations
    assert "is not of type 'array'" in fake_mm.violations[0]
    assert "is not of type 'string'" in fake_mm.violations[1]
    assert "'rol' is not in the OpenAPI file" in fake_mm.violations[2]
    fake_mm.violations.clear()  # deliberate violations: do not fail the fixture
    op = openapi.operation("GET", "/api/v4/users/abc")
    assert openapi.response_errors(
        op, 200, {"id": "x", "roles": 7, "timezone": "UTC"}
    )  # wrong types
    assert openapi.response_errors(op, 200, fake_mm.bot) == []
    assert openapi.response_errors(op, 418, {}) == [
        "GET /api/v4/users/{user_id} does not document status 418"
    ]
