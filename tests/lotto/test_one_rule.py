"""Each input rule and each store-error translation lives in one place.

The service boundary (``lotto.service.common.run``) turns every ``kvstore``
error into a lotto error; the rotation-name and skill-name rules are the same
whether a request comes from a command or straight from a caller of the service.
"""

from __future__ import annotations

import pytest

import kvstore
from lotto import api
from lotto.errors import BadSkillError, InputError, StoreError
from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.service.helpers import ACTOR, NOW, make_service


def test_an_unreachable_store_is_a_store_error_at_the_service_boundary(plugin_id):
    kv = kvstore.open("redis://127.0.0.1:1/0", plugin_id)  # nothing listens on port 1
    try:
        with pytest.raises(StoreError) as info:
            make_service(kv).rotation_list(api.RotationListRequest(), actor_id=ACTOR, now=NOW)
    finally:
        kv.close()
    assert str(info.value).startswith("the store failed (")
    assert "Check that Redis is up" in str(info.value)
    assert not isinstance(info.value, kvstore.KVError)


def test_a_key_too_long_for_the_store_is_an_input_error(kv_memory):
    svc = make_service(kv_memory)
    with pytest.raises(InputError, match="too long or malformed"):
        svc.task_show(api.TaskShowRequest(task_id="R#" + "9" * 300), actor_id=ACTOR, now=NOW)


@pytest.mark.parametrize("name", ["x#1", "@ice", "A B"])
def test_rotation_names_follow_one_rule_for_commands_and_service_callers(kv_memory, name):
    wording = (
        f"{name!r} is not a valid rotation name: use 1-100 characters without "
        "spaces, '@' or '#', e.g. `rotation new SET`."
    )
    with pytest.raises(InputError) as info:
        make_service(kv_memory).rotation_new(
            api.RotationNewRequest(name=name), actor_id=ACTOR, now=NOW
        )
    assert str(info.value) == wording
    out = Script(kv_memory).try_(f"rotation new '{name}'")
    assert_clean_error(out)
    assert out.text.startswith(wording)


def test_skill_names_follow_one_rule_for_commands_and_service_callers(kv_memory):
    long_name = "y" * 65
    svc = make_service(kv_memory)
    with pytest.raises(BadSkillError, match="at most 64 characters"):
        svc.skill_new(api.SkillNewRequest(skill=long_name), actor_id=ACTOR, now=NOW)
    with pytest.raises(BadSkillError, match="at most 64 characters"):
        svc.user_qualify(
            api.UserQualifyRequest(user_ids=["ann"], skills=[(long_name, 1)]),
            actor_id=ACTOR,
            now=NOW,
        )
    s = Script(kv_memory)
    for line in (f"skill new {long_name}", f"user qualify @ann --skill {long_name}-2"):
        out = s.try_(line)
        assert_clean_error(out)
        assert "at most 64 characters" in out.text
    assert svc.skill_new(api.SkillNewRequest(skill="y" * 64), actor_id=ACTOR, now=NOW).skills == [
        "y" * 64
    ]
