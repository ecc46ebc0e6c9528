"""The shared test helpers see what they are meant to see."""

from __future__ import annotations

from tests.lotto.commands.helpers import Script
from tests.lotto.helpers import dump


def test_dump_sees_writes(kv_memory):
    before = dump(kv_memory)
    Script(kv_memory).run("rotation new ICE --beginning 2020-01-01")
    after = dump(kv_memory)
    assert before != after and any("ICE" in k for k in after)
