"""The slash reply format and the splitting of long output (pure functions)."""

from __future__ import annotations

from shim.app import command_reply
from shim.directory import split_message
from shim.mattermost import POST_LIMIT


def test_success_echoes_the_command_in_a_code_block():
    reply = command_reply("/lotto rotation list", True, "- ICE\n- SET")
    assert reply == {
        "response_type": "ephemeral",
        "text": "```\n/lotto rotation list\n```\n- ICE\n- SET",
        "extra_responses": [],
    }


def test_failure_names_the_error_in_bold_like_the_original():
    reply = command_reply(
        "/lotto task fill X#1", False, "task X#1 not found.\nUsage: `/lotto task fill ID`"
    )
    assert reply["text"] == (
        "```\n/lotto task fill X#1\n```\nCommand failed. Error: **task X#1 not found.**\n"
        "Usage: `/lotto task fill ID`"
    )


def test_long_output_is_split_into_extra_responses():
    out = "\n".join(f"- line {i:06d} " + "y" * 60 for i in range(1000))
    reply = command_reply("/lotto rotation list", True, out)
    parts = [reply["text"]] + [r["text"] for r in reply["extra_responses"]]
    assert len(parts) == 5
    assert all(len(p) <= POST_LIMIT for p in parts)
    assert all(r["response_type"] == "ephemeral" for r in reply["extra_responses"])
    assert "".join(parts) == "```\n/lotto rotation list\n```\n" + out


def test_a_code_block_cut_in_two_is_closed_and_reopened():
    body = "```\n" + "\n".join("x" * 100 for _ in range(300)) + "\n```\nafter"
    parts = split_message(body, limit=5000)
    assert len(parts) > 1
    for part in parts:
        assert part.count("```") % 2 == 0, part[-50:]
        assert len(part) <= 5000
    assert parts[-1].endswith("```\nafter")


def test_a_single_huge_line_is_hard_cut():
    parts = split_message("z" * 40_000)
    assert [len(p) for p in parts] == [16378, 16378, 7244]
    assert "".join(parts) == "z" * 40_000


def test_short_text_is_one_part():
    assert split_message("hello") == ["hello"]


def test_text_typed_in_the_command_cannot_close_the_echo_block():
    line = "/lotto task offer ICE#0 --note 'x\n```\n###### @all'"
    text = command_reply(line, True, "Offered.")["text"]
    assert text.startswith("````\n/lotto task offer") and "\n```\n###### @all'\n````\n" in text
