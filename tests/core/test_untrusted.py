"""Untrusted text: what ``neutralise`` and ``echoed`` promise, for any input."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.apikey import make_fake_key, parse_key
from qlik_tui.core.models import ApiKeyConfig, ApiKeyRecord, User, parse_error_envelope
from qlik_tui.core.untrusted import MAX_DATA_CHARS, echoed, neutralise, neutralise_optional
from tests.fixtures.hostile import (
    ATTACKS,
    BIDI_ISOLATE,
    BIDI_OVERRIDE,
    C1_CSI,
    HOSTILE_KEY_ID,
    HOSTILE_NAME,
    HOSTILE_SUB,
    HOSTILE_TENANT_ID,
    hostile,
    hostile_fake_key,
)

UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
BIDI_AND_MARKS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
BIDI_AND_MARKS += ["\u200e", "\u200f", "\u061c"]
ANY_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=[]),
    max_size=400,
)
NOT_PRINTABLE = ["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"]
LIMITS = st.integers(min_value=1, max_value=500)


def assert_safe(text: str) -> None:
    assert not any(unicodedata.category(char) in UNSAFE_CATEGORIES for char in text), text
    assert text.isprintable(), text


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT, LIMITS)
def test_neutralised_text_holds_no_control_bidi_or_invisible_character(
    text: str, limit: int
) -> None:
    assert_safe(neutralise(text, limit))


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT, LIMITS)
def test_neutralised_text_is_cut_to_the_limit_with_an_ellipsis(text: str, limit: int) -> None:
    whole = neutralise(text, limit=10**6)
    result = neutralise(text, limit)
    assert len(result) <= limit
    assert result == (whole if len(whole) <= limit else whole[: limit - 1] + "…")


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT, LIMITS)
def test_neutralising_twice_changes_nothing(text: str, limit: int) -> None:
    once = neutralise(text, limit)
    assert neutralise(once, limit) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=NOT_PRINTABLE) | st.just(" ")))
def test_printable_text_within_the_limit_is_kept_as_it_is(text: str) -> None:
    assert neutralise(text, limit=max(len(text), 1)) == text


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_neutralised_text_is_valid_json_without_escapes_or_raw_controls(text: str) -> None:
    dumped = json.dumps(neutralise(text), ensure_ascii=False)
    assert_safe(dumped)
    assert json.loads(dumped) == neutralise(text)


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_attack_string_comes_out_without_escape_or_bidi_characters(attack: str) -> None:
    result = neutralise(hostile("x") + attack)
    assert "\x1b" not in result and "\x07" not in result and "\x9b" not in result
    assert BIDI_OVERRIDE not in result and BIDI_ISOLATE not in result
    assert_safe(result)


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        (C1_CSI, "\\x9b31m"),
        ("a\x7fb", "a\\x7fb"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
        ("line\nbreak\ttab", "line\\nbreak\\ttab"),
        ("[bold]x[/]", "[bold]x[/]"),  # markup is the renderer's business: kept literally
        ("Ann Lee 😀 Ωmega", "Ann Lee 😀 Ωmega"),
    ],
)
def test_the_visible_form_is_the_python_escape_text(raw: str, visible: str) -> None:
    assert neutralise(raw) == visible


@pytest.mark.parametrize("char", BIDI_AND_MARKS)
def test_every_bidi_override_isolate_and_mark_is_shown_escaped(char: str) -> None:
    assert neutralise(f"a{char}b") == f"a\\u{ord(char):04x}b"


def test_a_long_value_is_cut_with_an_ellipsis() -> None:
    result = neutralise("x" * 1000)
    assert result == "x" * (MAX_DATA_CHARS - 1) + "…"


def test_none_stays_none() -> None:
    assert neutralise_optional(None) is None
    assert neutralise_optional("\x1b") == "\\x1b"


KEYS = st.builds(
    lambda key_id, prefix, suffix: (
        prefix + make_fake_key(key_id=key_id, tenant_id="t", sub="s") + suffix
    ),
    st.text(max_size=20),
    st.text(max_size=20),
    st.text(max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(KEYS)
def test_a_key_like_string_is_never_echoed(text: str) -> None:
    assert echoed(text, what="name") == "(a name that looks like an API key, not shown)"


def test_a_truncated_key_header_is_not_echoed_either() -> None:
    header = make_fake_key(key_id="k", tenant_id="t", sub="s").split(".")[0]
    assert "eyJ" not in echoed(header)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_an_echoed_string_is_quoted_neutralised_and_short(text: str) -> None:
    result = echoed(text)
    assert_safe(result)
    assert len(result) <= 102


# -- where tenant data and key claims enter ----------------------------------------------------


def test_a_key_with_hostile_claims_is_inspected_into_neutralised_claims() -> None:
    info = parse_key(hostile_fake_key()).info
    assert info.key_id == neutralise(HOSTILE_KEY_ID)
    assert info.subject == neutralise(HOSTILE_SUB)
    assert info.tenant_id == neutralise(HOSTILE_TENANT_ID)
    for value in (info.key_id, info.subject, info.tenant_id, *info.warnings):
        assert_safe(value or "")
    assert any("jti, tenantId, sub claims hold control" in w for w in info.warnings)


def test_an_ordinary_key_gets_no_claims_warning() -> None:
    info = parse_key(make_fake_key(key_id="k-1", tenant_id="t", sub="s")).info
    assert info.key_id == "k-1"
    assert not any("claim" in w and "control" in w for w in info.warnings)


def test_tenant_records_are_neutralised_as_they_are_parsed() -> None:
    user = User.from_json(
        {
            "id": "u1",
            "tenantId": "t1",
            "subject": "s",
            "name": HOSTILE_NAME,
            "email": HOSTILE_NAME,
            "assignedRoles": [{"id": "r", "name": HOSTILE_NAME}],
            "assignedGroups": [{"id": "g", "name": HOSTILE_NAME}],
        }
    )
    record = ApiKeyRecord.from_json(
        {"id": "k", "status": HOSTILE_NAME, "description": HOSTILE_NAME}
    )
    config = ApiKeyConfig.from_json({"max_api_key_expiry": HOSTILE_NAME})
    envelope = parse_error_envelope(
        json.dumps({"errors": [{"code": HOSTILE_NAME, "title": HOSTILE_NAME, "detail": "d\x1b"}]})
    )
    assert envelope is not None
    texts = [
        user.name,
        user.email or "",
        user.roles[0].name,
        user.groups[0].name,
        record.status or "",
        record.description or "",
        config.max_api_key_expiry or "",
        envelope.summary or "",
    ]
    for text in texts:
        assert_safe(text)
    assert user.name == neutralise(HOSTILE_NAME)
    assert envelope.summary == f"{neutralise(HOSTILE_NAME)}: d\\x1b"
