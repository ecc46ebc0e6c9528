"""Errors name people by @username and durations the way they are typed."""

from __future__ import annotations

from lotto.local import LocalDirectory
from lotto.ports import Profile
from tests.lotto.commands.helpers import Script, assert_clean_error


class _MattermostLike(LocalDirectory):
    """Users with opaque ids (``id-<name>``), as in Mattermost."""

    def _profile(self, name: str) -> Profile | None:
        base = name[3:] if name.startswith("id-") else name
        profile = super()._profile(base)
        if profile is None:
            return None
        return Profile(
            user_id="id-" + base, username=base, display_name=base, time_zone="UTC", is_admin=True
        )

    def by_ids(self, user_ids):
        return {u: p for u in user_ids if (p := self.by_id(u)) is not None}


def test_errors_name_users_by_username_not_by_id(kv_memory):
    s = Script(kv_memory)
    s.directory = _MattermostLike()
    s.env = s.env.replace(directory=s.directory, service=s.env.service)
    s.multi("""
        rotation new R --beginning 2020-01-06
        rotation set limit R --skill server --count 1
        user qualify @ann @bob --skill server
        task new shift R -n 0
        task assign R#0 @ann
    """)
    out = s.try_("task assign R#0 @bob")
    assert_clean_error(out)
    assert (
        out.text.startswith("Assigning @bob to R#0 would break its limit server-◉")
        and "id-bob" not in out.text
    )
    out = s.try_("task unassign R#0 @bob")
    assert_clean_error(out)
    assert out.text.startswith("@bob is not assigned to R#0") and "id-" not in out.text


def test_negative_duration_is_shown_as_typed(kv_memory):
    s = Script(kv_memory)
    s.run("rotation new R")
    out = s.try_("rotation set autopilot R --create-prior=-5h")
    assert_clean_error(out)
    assert "--create-prior must not be negative (got -5 h)" in out.text


def test_an_unreachable_store_is_named_not_an_internal_error(plugin_id):
    import kvstore

    kv = kvstore.open("redis://127.0.0.1:1/0", plugin_id)  # nothing listens on port 1
    try:
        out = Script(kv).try_("rotation list")
    finally:
        kv.close()
    assert_clean_error(out)
    assert out.text.startswith("the store failed (could not connect to Redis)"), out.text
    assert "Check that Redis is up" in out.text
    assert "127.0.0.1" not in out.text and "Error 111" not in out.text  # no internal address
