"""One error root base for the three packages: a message plus keyword context."""

from __future__ import annotations

import pytest

from kvstore.errors import ContextError, KeyTooLongError, KVError
from lotto.errors import LottoError, NotFoundError
from shim.errors import MattermostUnavailable, ShimError


@pytest.mark.parametrize("root", [KVError, LottoError, ShimError])
def test_each_package_root_is_a_context_error(root):
    assert issubclass(root, ContextError)
    assert not issubclass(root, tuple({KVError, LottoError, ShimError} - {root}))


@pytest.mark.parametrize(
    "err",
    [
        KeyTooLongError("too long", key="k" * 151, limit=150),
        NotFoundError("no such rotation", rotation_id="r1"),
        MattermostUnavailable("Mattermost is down", status=503),
    ],
)
def test_message_and_context_are_kept(err):
    assert str(err) == err.message == err.args[0]
    assert err.context
    for name, value in err.context.items():
        assert getattr(err, name) == value
