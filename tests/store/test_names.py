"""Profile names are checked on the way in, and a key-like name is never echoed."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_tui.store.names import (
    MAX_NAME_CHARS,
    InvalidProfile,
    looks_like_key,
    quoted_name,
    validate_profile_name,
)
from tests.store.helpers import fake_key_text


def _problem(name: str) -> str:
    with pytest.raises(InvalidProfile) as caught:
        validate_profile_name(name)
    return str(caught.value)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key,
        lambda key: key + "\n",  # a control character too: the key-like check comes first
        lambda key: "\x1b[2J" + key,
        lambda key: " " + key,
        lambda key: key.split(".")[0],  # the header alone
        lambda key: key * 2,  # too long as well
    ],
)
def test_a_key_like_name_is_refused_without_echoing_it(mangle: Callable[[str], str]) -> None:
    key = fake_key_text()
    name = mangle(key)

    problem = _problem(name)

    assert "looks like an API key" in problem
    for part in key.split("."):
        assert part not in problem
    assert quoted_name(name) == "(a name that looks like an API key, not shown)"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("x" * (MAX_NAME_CHARS + 1), f"at most {MAX_NAME_CHARS} characters"),
        ("work\x1b]52;c;aGk=\x07", "control, invisible or unprintable"),
        ("work\u202e", "control, invisible or unprintable"),  # a bidi override
        ("work\ue000", "control, invisible or unprintable"),  # private use
        ("work\u2028x", "control, invisible or unprintable"),
        (" work", "starts or ends with a space"),
    ],
)
def test_unprintable_empty_long_or_padded_names_are_refused(name: str, says: str) -> None:
    problem = _problem(name)
    assert says in problem
    assert "\x1b" not in problem and "\u202e" not in problem  # quoted names are escaped


@pytest.mark.parametrize("name", ["work", "acme.eu.qlikcloud.com", "x[/]", "Ärger & Co", "日本"])
def test_ordinary_names_are_accepted(name: str) -> None:
    assert validate_profile_name(name) == name
    assert not looks_like_key(name)


@given(st.text(max_size=MAX_NAME_CHARS + 20))
def test_any_text_is_accepted_or_refused_with_a_sentence(name: str) -> None:
    try:
        validate_profile_name(name)
    except InvalidProfile as exc:
        assert str(exc).endswith(".")
        assert "\x1b" not in str(exc)


@given(st.text(max_size=40))
def test_the_printable_ascii_shortcut_agrees_with_the_character_categories(name: str) -> None:
    # name_problem skips the lookup per character for printable ASCII: none of it is forbidden
    forbidden = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
    has_forbidden = any(unicodedata.category(char) in forbidden for char in name)
    if name.isascii() and name.isprintable():
        assert not has_forbidden
    if has_forbidden:
        assert _problem(name)  # refused, whichever check speaks first
