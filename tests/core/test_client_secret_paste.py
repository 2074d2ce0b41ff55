"""``parse_client_secret``: a pasted client secret is normalised as a pasted key is (what
surrounds it comes off, the secret itself never changes) and refused, without echoing it, when
it cannot be one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_tui.core.oauth import ClientSecretRefused, parse_client_secret

SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/="
secrets = st.text(alphabet=SECRET_ALPHABET, min_size=8, max_size=200).filter(
    lambda s: s.strip(".") == s  # a leading or trailing dot reads as the sentence's
)
wrappings = st.sampled_from(
    [
        "{}",
        "  {}\n",
        '"{}"',
        "'{}',",
        "\u201c{}\u201d",
        "\u200b{}\u200b",
        "client_secret: {}",
        '"client_secret": "{}"',
        "Client-Secret={};",
        "\t`{}`  \r\n",
    ]
)


@given(secrets, wrappings)
def test_what_surrounds_a_pasted_secret_comes_off_and_the_secret_stays_whole(
    secret: str, wrapping: str
) -> None:
    assert parse_client_secret(wrapping.format(secret)).reveal() == secret


@given(secrets, wrappings)
def test_normalising_twice_changes_nothing(secret: str, wrapping: str) -> None:
    once = parse_client_secret(wrapping.format(secret)).reveal()
    assert parse_client_secret(once).reveal() == once


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "empty"),
        ('  ""  ', "empty"),
        ("two words", "one word"),
        ("abc\ndef", "one word"),
        ("x" * 2000, "far too long"),
        ("eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "API key"),
    ],
)
def test_what_cannot_be_a_secret_is_refused_without_echoing_it(pasted: str, says: str) -> None:
    with pytest.raises(ClientSecretRefused) as refused:
        parse_client_secret(pasted)
    assert says in str(refused.value)
    if pasted.strip(' "'):
        assert pasted.strip() not in str(refused.value)
