"""Moments in words: "time ago", spans rounded down, and the expiry sentence of detail views."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.expiry import (
    UNKNOWN_EXPIRY,
    ExpiryState,
    describe_expiry,
    expiry_sentence,
)
from qlik_tui.core.timestamps import NEVER, span_text, time_ago

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def iso(before_now: timedelta) -> str:
    return (NOW - before_now).isoformat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, NEVER),
        ("not a date", NEVER),
        (iso(timedelta(seconds=59)), "just now"),
        (iso(-timedelta(minutes=3)), "just now"),
        (iso(timedelta(minutes=1)), "1 min ago"),
        (iso(timedelta(hours=1, minutes=59)), "1 h ago"),
        (iso(timedelta(days=400)), "400 d ago"),
        ("2025-06-01T11:00:00Z", "1 h ago"),
    ],
)
def test_time_ago(text: str | None, expected: str) -> None:
    assert time_ago(text, NOW) == expected


@settings(max_examples=200, deadline=None)
@given(st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=3000)))
def test_span_text_is_never_more_than_the_span(length: timedelta) -> None:
    words = span_text(length)
    if length < timedelta(minutes=1):
        assert words is None
        return
    assert words is not None
    count, unit = words.split(" ")
    size = {"min": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}[unit]
    assert int(count) >= 1
    assert int(count) * size <= length < (int(count) + 1) * size


def test_expiry_sentence_names_the_time_left_and_the_moment() -> None:
    expiry = NOW + timedelta(hours=5)
    assert expiry_sentence(expiry, now=NOW) == "expires in 5 h (2025-06-01T17:00+00:00)"
    assert expiry_sentence(None, now=NOW) == UNKNOWN_EXPIRY


def test_expiry_state_is_an_enum_that_serialises_as_its_word() -> None:
    view = describe_expiry(NOW + timedelta(hours=5), now=NOW)
    assert view.state is ExpiryState.SOON
    assert json.dumps({"expiry_state": view.state.value}) == '{"expiry_state": "soon"}'
