"""What arrives over HTTP must be valid Unicode text: lone surrogates and bytes that are
not UTF-8 are refused as a bad request (400), wherever they are, before anything runs."""

from __future__ import annotations

import pytest

from shim.errors import RequestError, http_status
from shim.inbound import command_text, json_object, parse_form


@pytest.mark.parametrize(
    "body",
    [
        b'{"command": "/lotto rotation list \\ud800"}',  # an escaped lone surrogate
        b'{"command": "/lotto rotation list \\udfff\\ud800"}',  # reversed pair
        b'{"args": {"command": "/lotto info", "user_id": "\\ud83d"}}',  # nested
        b'{"\\ud800": 1}',  # in a key
        b'{"AdminUserIDs": ["ok", "\\udc00"]}',  # in a list
        b'{"command": "/lotto rotation list \xff"}',  # raw bytes that are not UTF-8
        b'{"command": "/lotto rotation list \xed\xa0\x80"}',  # a UTF-8-encoded surrogate
    ],
)
def test_json_bodies_with_text_that_is_not_unicode_are_bad_requests(body):
    with pytest.raises(RequestError) as err:
        json_object(body)
    assert http_status(err.value) == 400
    assert "not valid" in str(err.value)
    str(err.value).encode("utf-8")


def test_json_bodies_with_proper_pairs_and_non_ascii_text_are_fine():
    assert json_object(b'{"command": "/lotto info \\ud83d\\ude00 \xc3\xa9"}') == {
        "command": "/lotto info \U0001f600 \u00e9"
    }


@pytest.mark.parametrize(
    "body",
    [b"text=rotation+list+%FF", b"text=%ED%A0%80", b"user_id=%C3", b"te%FFxt=1", b"text=\xff"],
)
def test_form_fields_that_are_not_utf8_are_bad_requests(body):
    with pytest.raises(RequestError) as err:
        parse_form(body)
    assert http_status(err.value) == 400
    assert "not valid UTF-8" in str(err.value)


def test_form_fields_in_utf8_are_read():
    assert parse_form(b"text=rotation+new+%C3%89T%C3%89&token=x") == {
        "text": "rotation new \u00c9T\u00c9",
        "token": "x",
    }


def test_command_text_refuses_lone_surrogates():
    with pytest.raises(RequestError) as err:
        command_text("rotation list \ud800")
    assert "not valid Unicode" in str(err.value)
