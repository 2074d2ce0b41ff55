from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.expiry import ExpiryView, describe_expiry, renewal_hint, warning_span
from qlik_tui.core.timestamps import parse_iso_datetime

FUZZ = settings(max_examples=200, deadline=None)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("left", "view"),
    [
        (timedelta(days=3), ExpiryView("ok", "expires in 3 d")),
        (timedelta(days=3, hours=23), ExpiryView("ok", "expires in 3 d")),
        (timedelta(hours=24), ExpiryView("ok", "expires in 1 d")),
        (timedelta(hours=5), ExpiryView("soon", "expires in 5 h")),
        (timedelta(hours=5, minutes=59), ExpiryView("soon", "expires in 5 h")),
        (timedelta(minutes=12), ExpiryView("soon", "expires in 12 min")),
        (timedelta(minutes=1), ExpiryView("soon", "expires in 1 min")),
        (timedelta(seconds=59), ExpiryView("soon", "expires in less than a minute")),
        (timedelta(microseconds=1), ExpiryView("soon", "expires in less than a minute")),
        (timedelta(0), ExpiryView("expired", "expired less than a minute ago")),
        (-timedelta(hours=2), ExpiryView("expired", "expired 2 h ago")),
        (-timedelta(days=400), ExpiryView("expired", "expired 400 d ago")),
        (-timedelta(minutes=5, seconds=30), ExpiryView("expired", "expired 5 min ago")),
    ],
)
def test_describe_expiry(left: timedelta, view: ExpiryView) -> None:
    assert describe_expiry(NOW + left, now=NOW) == view


def test_unknown_expiry() -> None:
    assert describe_expiry(None, now=NOW) == ExpiryView("unknown", "expiry unknown")


def test_warn_below_sets_the_soon_threshold() -> None:
    expiry = NOW + timedelta(days=3)
    assert describe_expiry(expiry, now=NOW, warn_below=timedelta(days=7)).state == "soon"
    assert describe_expiry(expiry, now=NOW, warn_below=timedelta(days=3)).state == "ok"
    assert describe_expiry(expiry, now=NOW, warn_below=timedelta(0)).state == "ok"


def test_naive_datetimes_are_utc() -> None:
    naive_expiry = datetime(2025, 6, 1, 17, 0)
    assert describe_expiry(naive_expiry, now=NOW).text == "expires in 5 h"
    naive_now = datetime(2025, 6, 1, 12, 0)
    aware_expiry = datetime(2025, 6, 1, 19, 0, tzinfo=timezone(timedelta(hours=2)))
    assert describe_expiry(aware_expiry, now=naive_now).text == "expires in 5 h"


def test_offsets_are_compared_as_instants() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert describe_expiry(datetime(2025, 6, 1, 22, 0, tzinfo=tokyo), now=NOW).text == (
        "expires in 1 h"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01T12:00:00Z", datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)),
        ("2025-06-01T12:00:00z", datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)),
        (
            "2025-06-01T12:00:00.123Z",
            datetime(2025, 6, 1, 12, 0, 0, 123000, tzinfo=timezone.utc),
        ),
        (
            "2025-06-01T12:00:00.123456789Z",
            datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
        ),
        (
            "2025-06-01T14:30:00+02:30",
            datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc),
        ),
        ("2025-06-01T07:00:00-0500", datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)),
        ("2025-06-01T12:00:00", datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)),
        ("2025-06-01 12:00", datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)),
        ("2025-06-01", datetime(2025, 6, 1, tzinfo=timezone.utc)),
        ("  2025-06-01T12:00:00Z\n", datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)),
    ],
)
def test_parse_iso_datetime(text: str, expected: datetime) -> None:
    parsed = parse_iso_datetime(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "soon",
        "2025-13-01T00:00:00Z",
        "2025-02-30",
        "2025-06-01T24:00:00Z",
        "2025-06-01T12:00:60Z",
        "2025-06-01T12:00:00+24:00",
        "0000-01-01",
        "2025-06-01T12:00:00ZZ",
        "٢٠٢٥-06-01",
        "2025-06-01T12:00:00Z\nx",
    ],
)
def test_parse_iso_datetime_returns_none_for_junk(text: str | None) -> None:
    assert parse_iso_datetime(text) is None


@FUZZ
@given(st.one_of(st.none(), st.text(), st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T.{0,20}")))
def test_parse_iso_datetime_never_raises(text: str | None) -> None:
    parsed = parse_iso_datetime(text)
    assert parsed is None or parsed.utcoffset() is not None


offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware = st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31), timezones=offsets)


@FUZZ
@given(aware)
def test_isoformat_round_trips(moment: datetime) -> None:
    assert parse_iso_datetime(moment.isoformat()) == moment
    utc_text = moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    assert parse_iso_datetime(utc_text) == moment


TEXT_SHAPE = re.compile(r"expires in (\d+ (min|h|d)|less than a minute)")
PAST_SHAPE = re.compile(r"expired (\d+ (min|h|d)|less than a minute) ago")


@FUZZ
@given(st.datetimes(), st.datetimes(), st.timedeltas(min_value=timedelta(0)))
def test_describe_expiry_is_consistent(
    expiry: datetime, now: datetime, warn_below: timedelta
) -> None:
    view = describe_expiry(expiry, now=now, warn_below=warn_below)
    aware_view = describe_expiry(
        expiry.replace(tzinfo=timezone.utc),
        now=now.replace(tzinfo=timezone.utc),
        warn_below=warn_below,
    )
    assert view == aware_view
    left = expiry - now
    if left <= timedelta(0):
        assert view.state == "expired"
        assert PAST_SHAPE.fullmatch(view.text)
    else:
        assert view.state == ("soon" if left < warn_below else "ok")
        assert TEXT_SHAPE.fullmatch(view.text)


# -- the warning rule: the last fifth of the lifetime, and never less than 6 hours ---------------


def test_a_fresh_24_hour_key_is_not_expiring_soon() -> None:
    issued = NOW - timedelta(minutes=5)
    view = describe_expiry(issued + timedelta(hours=24), now=NOW, issued=issued)
    assert view == ExpiryView("ok", "expires in 23 h")


@pytest.mark.parametrize(
    ("lifetime", "left", "state"),
    [
        (timedelta(hours=24), timedelta(hours=6, minutes=1), "ok"),
        (timedelta(hours=24), timedelta(hours=5, minutes=59), "soon"),  # 6 h beats 24 h / 5
        (timedelta(days=30), timedelta(days=6, minutes=1), "ok"),
        (timedelta(days=30), timedelta(days=5, hours=23), "soon"),  # a fifth of 30 days
        (timedelta(hours=2), timedelta(hours=1, minutes=59), "soon"),  # short keys: always
    ],
)
def test_soon_means_a_fifth_of_the_lifetime_or_6_hours(
    lifetime: timedelta, left: timedelta, state: str
) -> None:
    expiry = NOW + left
    assert describe_expiry(expiry, now=NOW, issued=expiry - lifetime).state == state


def test_without_a_known_lifetime_only_the_6_hours_count() -> None:
    assert describe_expiry(NOW + timedelta(hours=7), now=NOW).state == "ok"
    assert describe_expiry(NOW + timedelta(hours=5), now=NOW).state == "soon"
    assert warning_span(None) == timedelta(hours=6)
    assert warning_span(timedelta(0)) == timedelta(hours=6)  # nonsense lifetimes count as unknown


def test_warn_below_replaces_the_6_hours_but_not_the_fifth() -> None:
    issued = NOW - timedelta(days=20)
    expiry = NOW + timedelta(days=5)  # 25-day key: its last fifth is 5 days
    assert describe_expiry(expiry, now=NOW, issued=issued, warn_below=timedelta(0)).state == "ok"
    later = NOW + timedelta(days=1)
    assert describe_expiry(expiry, now=later, issued=issued, warn_below=timedelta(0)).state == (
        "soon"
    )
    assert warning_span(timedelta(hours=24), timedelta(hours=48)) == timedelta(hours=48)


def test_the_renewal_names_the_command_with_the_name_quoted() -> None:
    assert renewal_hint("prod") == "renew it: qlik-tui rotate prod"
    assert renewal_hint("my key; rm -rf ~") == "renew it: qlik-tui rotate 'my key; rm -rf ~'"


@FUZZ
@given(
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3650)),
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3650)),
)
def test_soon_follows_the_rule(lifetime: timedelta, left: timedelta) -> None:
    expiry = NOW + left
    view = describe_expiry(expiry, now=NOW, issued=expiry - lifetime)
    expected = left < timedelta(hours=6) or left < lifetime / 5
    assert view.state == ("soon" if expected else "ok")
