"""Text a member typed, as the bot repeats it: capped and inert (issue 19 item 5).

Before, an offer's note went out verbatim as Markdown: ``###### You have been scheduled …``
was a bot heading and ``@all`` notified everyone in the rotation's channel.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotto.commands.render.usertext import JOINER, user_text
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged
from tests.lotto.helpers import HOSTILE_NOTE, live_markup


def _mattermost_words(text: str) -> list[str]:
    """The words Mattermost's mention parser looks at: it splits on every character that is
    not a letter, a digit or one of ``: . - _ @`` (the server's StandardMentionParser)."""
    words, word = [], ""
    for c in text:
        if c.isalnum() or c in ":.-_@":
            word += c
        elif word:
            words.append(word)
            word = ""
    return [*words, word] if word else words


def test_the_issues_note_is_quoted_and_inert():
    text = user_text(HOSTILE_NOTE)
    assert text.splitlines() == [
        "> x",
        ">",
        "> \\###### You have been scheduled for shift \\*\\*ICE#7\\*\\*",
        f"> @{JOINER}all please re-login at `http://evil.example`",
    ]
    assert live_markup(text) == []
    assert live_markup(user_text(HOSTILE_NOTE, inline=True)) == []


@pytest.mark.parametrize(
    "typed",
    ["@all", "@channel", "@here", "@ALL!", "hi @bob.", "(@here)", "~town-square", "me@evil.x"],
)
def test_mentions_and_channel_links_mention_nobody(typed):
    text = user_text(typed)
    for word in _mattermost_words(text):
        assert not (word.startswith(("@", "~")) and len(word) > 1), (word, text)
    assert text.replace(JOINER, "").replace("> ", "", 1) == typed.replace("~", "\\~")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("# big", "\\# big"),
        ("> nested", "\\> nested"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("1. first", "1\\. first"),
        ("2) second", "2\\) second"),
        ("===", "\\==="),
        ("    indented code", "indented code"),
        ("```", "\\`\\`\\`"),
        ("**bold** _it_ ~~gone~~", f"\\*\\*bold\\*\\* \\_it\\_ \\~\\~{JOINER}gone\\~\\~"),
        ("[click](http://evil.example)", "\\[click\\](`http://evil.example`)"),
        ("![img](x.png)", "!\\[img\\](x.png)"),
        ("<http://evil.example>", "\\<`http://evil.example`>"),
        ("see www.evil.example, now", "see `www.evil.example`, now"),
        ("a | b", "a \\| b"),
        ("&#64;all", "\\&#64;all"),
        ("#hashtag ICE#7", f"\\#{JOINER}hashtag ICE#7"),
    ],
)
def test_markdown_is_escaped(typed, shown):
    assert user_text(typed) == f"> {shown}"
    assert live_markup(user_text(typed)) == []


def test_capped_at_500_characters_and_cleaned():
    assert user_text("y" * 501) == "> " + "y" * 500 + "…"
    assert user_text("y" * 500) == "> " + "y" * 500
    assert user_text("a\u202eb\x00c\u200bd\r\n\r\n\r\n\te") == "> abcd\n>\n> e"
    assert user_text("one\ntwo", inline=True) == "one / two"
    assert user_text("") == ""


@given(st.text(max_size=700))
def test_anything_typed_stays_quoted_and_inert(typed):
    text = user_text(typed)
    assert all(line.startswith(">") for line in text.splitlines())
    assert live_markup(text) == []
    assert "\n" not in user_text(typed, inline=True)
    # Capped: each character typed becomes at most three (escape, character, joiner).
    assert len(text) <= 3 * 501 + 3 * text.count("\n") + text.count("`") + 2


@pytest.mark.parametrize(
    "line",
    [
        "task offer ICE#0 --note '{}'",
        "task new ticket TIX --summary '{}'",
    ],
)
def test_a_note_or_summary_over_500_characters_is_refused(kv_memory, line):
    script = Script(kv_memory, actor="boss")
    script.multi("""
        rotation new ICE --beginning 2020-01-06
        rotation new TIX --task-type ticket
        user join ICE @boss
        task new shift ICE --number 0
        task assign ICE#0 @boss
    """)
    out = assert_rejected_unchanged(script, line.format("z" * 501))
    assert "is at most 500 characters and this one has 501" in out.text, out.text
    script.run(line.format("z" * 500))
