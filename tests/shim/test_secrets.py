"""Secrets of ``lotto serve``: read from files, checked at start, bound to a team, never
printed or logged (issue 19 item 7).

Before, secrets could only be flags (readable in ``/proc/<pid>/cmdline``) or
variables, a 1-character slash token was accepted, any team's token worked with
another team's ``team_id``, and ``--mattermost-url http://admin:PW@…`` was printed
as given.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from shim.config import SlashToken, load
from shim.errors import ConfigError
from shim.redaction import Redactor
from tests.shim.conftest import SECRET, SLASH_TOKEN, serve_once

TEAM_A = "a" * 26
TEAM_B = "b" * 26
TOKEN_A = "tokenforteama0000000000000"
TOKEN_ANY = "tokenforanyteam00000000000"
BASE = {
    "LOTTO_STORE": "redis://127.0.0.1:6379/0",
    "LOTTO_MATTERMOST_URL": "https://chat.example.com",
}


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return str(path)


def test_every_secret_can_be_read_from_a_file(tmp_path):
    env = {
        **BASE,
        "LOTTO_BOT_TOKEN_FILE": _file(tmp_path, "bot", "bot-token-from-file\n"),
        "LOTTO_SLASH_TOKEN_FILE": _file(tmp_path, "slash", f"{TEAM_A}:{TOKEN_A},{TOKEN_ANY}\n"),
        "LOTTO_SECRET_FILE": _file(tmp_path, "secret", SECRET + "\n"),
    }
    c = load([], env)
    assert c.bot_token == "bot-token-from-file" and c.secret == SECRET
    assert c.slash_tokens == (SlashToken(TOKEN_A, TEAM_A), SlashToken(TOKEN_ANY, ""))
    # The flags of the file forms work too, and a flag wins over a variable.
    flag = _file(tmp_path, "secret2", "another-secret-0123456789")
    assert load(["--secret-file", flag], env).secret == "another-secret-0123456789"
    assert load(["--secret", "x" * 16], env).secret == "x" * 16


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"LOTTO_BOT_TOKEN": "b", "LOTTO_BOT_TOKEN_FILE": "/dev/null"},
            "give LOTTO_BOT_TOKEN or LOTTO_BOT_TOKEN_FILE, not both",
        ),
        ({"LOTTO_SECRET_FILE": "/nonexistent/secret"}, "LOTTO_SECRET_FILE: cannot read"),
        ({"LOTTO_SECRET_FILE": "/dev/null"}, "LOTTO_SECRET_FILE: '/dev/null' is empty"),
    ],
)
def test_secret_files_that_cannot_be_used_are_named(change, message):
    env = {**BASE, "LOTTO_BOT_TOKEN": "bot", "LOTTO_SLASH_TOKEN": TOKEN_ANY, **change}
    with pytest.raises(ConfigError, match=message):
        load([], env)


def test_a_short_slash_token_is_refused_at_start_without_echoing_it():
    proc = serve_once(
        LOTTO_STORE="memory://",
        LOTTO_MATTERMOST_URL="http://127.0.0.1:9",
        LOTTO_BOT_TOKEN="bot",
        LOTTO_SLASH_TOKEN=f"{TOKEN_ANY},q",
    )
    assert proc.returncode == 2
    assert "token 2 has 1 characters; Mattermost's slash command tokens have 26" in proc.stderr
    assert TOKEN_ANY not in proc.stderr and "Traceback" not in proc.stderr


def test_a_team_id_must_be_a_mattermost_id():
    with pytest.raises(ConfigError, match="entry 1 must be TOKEN or TEAM_ID:TOKEN"):
        load([], {**BASE, "LOTTO_BOT_TOKEN": "b", "LOTTO_SLASH_TOKEN": f"team-a:{TOKEN_A}"})


def test_secrets_from_files_and_tokens_bound_to_their_team(
    fake_mm, redis_url, start_shim, tmp_path
):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    shim = start_shim(
        fake_mm,
        redis_url,
        "--autopilot-interval",
        "0",
        credentials=False,
        LOTTO_BOT_TOKEN_FILE=_file(tmp_path, "bot", fake_mm.bot_token + "\n"),
        LOTTO_SLASH_TOKEN_FILE=_file(tmp_path, "slash", f"{TEAM_A}:{TOKEN_A},{TOKEN_ANY}"),
        LOTTO_SECRET_FILE=_file(tmp_path, "secret", SECRET),
    )
    # Nothing secret is on the command line the process runs with.
    cmdline = Path(f"/proc/{shim.proc.pid}/cmdline").read_bytes().decode()
    assert fake_mm.bot_token not in cmdline and TOKEN_A not in cmdline and SECRET not in cmdline

    def status(token: str, team: str) -> int:
        return shim.slash("info", boss, token=token, team_id=team).status_code

    assert status(TOKEN_A, TEAM_A) == 200
    assert status(TOKEN_A, TEAM_B) == 401  # team A's token, sent with team B's id
    assert status(TOKEN_ANY, TEAM_B) == 200 and status(TOKEN_ANY, TEAM_A) == 200
    assert status(SLASH_TOKEN, TEAM_A) == 401
    hook = shim.http.post(
        "/hooks/OnActivate", json={}, headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert hook.status_code == 200, hook.text


def test_a_mattermost_url_with_credentials_is_printed_masked():
    proc = serve_once(
        LOTTO_STORE="memory://",
        LOTTO_MATTERMOST_URL="http://admin:PW-s3cret@127.0.0.1:9",
        LOTTO_BOT_TOKEN="bot-token-never-shown",
        LOTTO_SLASH_TOKEN=TOKEN_ANY,
    )
    assert proc.returncode == 1
    assert "cannot use Mattermost at http://admin:***@127.0.0.1:9" in proc.stderr, proc.stderr
    assert "PW-s3cret" not in proc.stderr and "bot-token-never-shown" not in proc.stderr


def test_log_lines_and_tracebacks_are_masked(caplog):
    redactor = Redactor(["bot-token-abcdef", "shared-secret-0123456789"])
    logger = logging.getLogger("shim.test-redaction")
    handler = caplog.handler
    handler.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger="shim.test-redaction"):
            logger.info(
                "calling %s with %s, feed %s",
                "https://admin:hunter2@chat.example.com/api/v4",
                "bot-token-abcdef",
                "https://lotto.example.com/api/v1/calendar/ICE.ics?user=&sig=0123abcd",
            )
            try:
                raise RuntimeError("bad secret shared-secret-0123456789 at redis://:pw@db:6379")
            except RuntimeError:
                logger.exception("it failed")
        text = caplog.text
    finally:
        handler.removeFilter(redactor)
    for secret in ("hunter2", "bot-token-abcdef", "0123abcd", "shared-secret-0123456789", ":pw@"):
        assert secret not in text, (secret, text)
    assert "https://admin:***@chat.example.com" in text and "sig=***" in text
    assert "redis://:***@db:6379" in text and "Traceback" in text
