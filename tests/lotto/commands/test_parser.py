"""The tokenizer and the flag parser of the command layer."""

from __future__ import annotations

import pytest

from lotto.commands.parser import Flag, parse_flags, tokenize
from lotto.errors import InputError

FLAGS = (
    Flag("rotation", "str", short="r"),
    Flag("count", "int"),
    Flag("force", "bool"),
    Flag("skill", "str", short="s"),
)


def _parse(text):
    return parse_flags(
        tokenize(text), FLAGS, lambda flag, raw: int(raw) if flag.kind == "int" else raw
    )


def test_tokenize_honours_quotes():
    assert tokenize("task new ticket R --summary \"disk is full\" 'x y'") == [
        "task",
        "new",
        "ticket",
        "R",
        "--summary",
        "disk is full",
        "x y",
    ]


def test_tokenize_keeps_hash_and_at():
    assert tokenize("task fill ICE#3 @bob") == ["task", "fill", "ICE#3", "@bob"]


def test_unclosed_quote_is_an_input_error():
    with pytest.raises(InputError, match="quote"):
        tokenize('task new ticket R --summary "oops')


def test_long_flag_forms():
    p = _parse("X --count 3 --rotation=R @a")
    assert p.args == ["X", "@a"]
    assert p.values == {"count": 3, "rotation": "R"}


def test_short_flags_and_booleans():
    p = _parse("-r R -s=webapp --force")
    assert p.values == {"rotation": "R", "skill": "webapp", "force": True}
    assert _parse("--force=false").values == {"force": False}


def test_value_taking_flag_consumes_a_dash_value():
    assert _parse("--count -1").values == {"count": -1}


def test_double_dash_ends_flags_and_negative_numbers_are_args():
    assert _parse("-5 -- --count").args == ["-5", "--count"]


def test_last_repeated_flag_wins():
    assert _parse("--count 1 --count 2").values == {"count": 2}


@pytest.mark.parametrize(
    "text, message",
    [
        ("--nope", "unknown flag `--nope`"),
        ("-x", "unknown flag `-x`"),
        ("--count", "flag `--count` needs a value"),
        ("--force=maybe", "true or false"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(InputError, match=message):
        _parse(text)


def test_smart_dashes_are_flags():
    assert tokenize("rotation new X \u2014period weekly \u2013seed 3") == [
        "rotation",
        "new",
        "X",
        "--period",
        "weekly",
        "--seed",
        "3",
    ]


def test_smart_double_quotes_quote_and_curly_apostrophes_stay_text():
    # What a chat client makes of `--summary "disk full"`, and of a typed apostrophe.
    assert tokenize("task new ticket R --summary \u201cdisk full\u201d") == [
        "task",
        "new",
        "ticket",
        "R",
        "--summary",
        "disk full",
    ]
    assert tokenize("task new ticket R --summary \u201cdon\u2019t page\u201d") == [
        "task",
        "new",
        "ticket",
        "R",
        "--summary",
        "don\u2019t page",
    ]


def test_no_break_spaces_separate_words():
    assert tokenize("task fill\u00a0ICE#3\u202f@bob") == ["task", "fill", "ICE#3", "@bob"]
