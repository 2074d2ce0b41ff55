"""Lenient parsing of the records the API answers with."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.errors import MalformedResponse
from qlik_tui.core.models import (
    ApiErrorItem,
    ApiKeyConfig,
    ApiKeyRecord,
    ErrorEnvelope,
    TenantRecord,
    User,
    parse_error_envelope,
    user_label,
    user_with_email,
)
from qlik_tui.core.timestamps import parse_iso_datetime as parse_datetime
from qlik_tui.core.untrusted import neutralise

USER = {
    "id": "637390ec6541614d3a88d6c1",
    "tenantId": "xqFQ0k66vSR8f9G7J-vYtHZQkiYrCpct",
    "subject": "auth0|a08D000001L1rM3IAJ",
    "name": "Ada Sandbox",
    "email": "ada@example.com",
    "status": "active",
    "assignedRoles": [
        {"id": "r1", "name": "TenantAdmin", "type": "default", "level": "admin"},
        {"id": "r2", "name": "API key users", "type": "custom", "level": "user"},
    ],
    "assignedGroups": [{"id": "g1", "name": "Analysts", "providerType": "idp"}],
    "assignedScopes": [],
    "links": {
        "self": {"href": "https://acme.eu.qlikcloud.com/api/v1/users/637390ec6541614d3a88d6c1"}
    },
    "someFieldFrom2030": {"nested": [1, None, "x"]},
}


def test_user_record_with_unknown_fields_parses() -> None:
    user = User.from_json(USER)
    assert user.id == USER["id"]
    assert user.tenant_id == USER["tenantId"]
    assert user.name == "Ada Sandbox"
    assert [r.name for r in user.roles] == ["TenantAdmin", "API key users"]
    assert user.roles[1].type == "custom"
    assert [g.name for g in user.groups] == ["Analysts"]
    assert user.is_tenant_admin


def test_user_without_admin_role_is_not_tenant_admin() -> None:
    user = User.from_json({**USER, "assignedRoles": [{"id": "r2", "name": "Developer"}]})
    assert not user.is_tenant_admin


@pytest.mark.parametrize("missing", ["id", "tenantId"])
def test_user_missing_required_field_is_malformed(missing: str) -> None:
    record = {k: v for k, v in USER.items() if k != missing}
    with pytest.raises(MalformedResponse, match=missing):
        User.from_json(record)


@pytest.mark.parametrize("field", ["subject", "name"])
def test_user_without_a_display_field_still_proves_the_key(field: str) -> None:
    for record in ({**USER, field: None}, {k: v for k, v in USER.items() if k != field}):
        user = User.from_json(record)
        assert (user.id, user.tenant_id) == (USER["id"], USER["tenantId"])
    assert User.from_json({**USER, "name": None}).name == "unknown"


def test_user_required_field_of_wrong_type_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        User.from_json({**USER, "id": 42})


@pytest.mark.parametrize("not_an_object", [None, [], "user", 3, True])
def test_user_from_non_object_is_malformed(not_an_object: object) -> None:
    with pytest.raises(MalformedResponse):
        User.from_json(not_an_object)


def test_odd_optional_fields_are_dropped_not_fatal() -> None:
    user = User.from_json(
        {
            **USER,
            "email": 7,
            "assignedRoles": [{"id": "r1"}, "junk", {"id": "r3", "name": "TenantAdmin"}],
            "assignedGroups": "not a list",
        }
    )
    assert user.email is None
    assert [r.id for r in user.roles] == ["r3"]
    assert user.groups == ()


def test_api_key_record_dates_are_aware() -> None:
    record = ApiKeyRecord.from_json(
        {
            "id": "7f4a0c4e-8d3b-4f43-9c0d-3f0d3f0d3f0d",
            "tenantId": "t1",
            "status": "active",
            "sub": "u1",
            "subType": "user",
            "expiry": "2026-05-01T10:00:00.123456789Z",
            "created": "2026-04-30T10:00:00Z",
            "createdByUser": "u1",
        }
    )
    assert record.expiry == datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert record.created is not None and record.created.tzinfo is not None
    assert record.sub_type == "user"


def test_api_key_record_junk_dates_become_none() -> None:
    record = ApiKeyRecord.from_json({"id": "k", "expiry": "tomorrow", "created": 5})
    assert record.expiry is None and record.created is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T10:00:00Z", datetime(2026, 5, 1, 10, tzinfo=timezone.utc)),
        ("2026-05-01T12:00:00+02:00", datetime(2026, 5, 1, 10, tzinfo=timezone.utc)),
        ("2026-05-01T10:00:00", datetime(2026, 5, 1, 10, tzinfo=timezone.utc)),
        ("2026-05-01T10:00:00.5Z", datetime(2026, 5, 1, 10, 0, 0, 500000, tzinfo=timezone.utc)),
        ("", None),
        ("not a date", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_api_key_config_accepts_numeric_strings() -> None:
    config = ApiKeyConfig.from_json(
        {
            "max_api_key_expiry": "PT24H",
            "max_keys_per_user": "5",
            "scim_externalClient_expiry": "P365D",
        }
    )
    assert config == ApiKeyConfig(max_api_key_expiry="PT24H", max_keys_per_user=5)


def test_error_envelope_with_string_status() -> None:
    body = (
        b'{"errors":[{"code":"HTTP-401","title":"Authorization Required","status":"401"}],'
        b'"traceId":"abc"}'
    )
    envelope = parse_error_envelope(body)
    assert envelope == ErrorEnvelope(
        errors=(ApiErrorItem(code="HTTP-401", title="Authorization Required", status=401),),
        trace_id="abc",
    )
    assert envelope.summary == "Authorization Required"


@pytest.mark.parametrize(("code", "read"), [(1001, "1001"), (1001.0, "1001"), (1.5, "1.5")])
def test_error_codes_typed_as_numbers_are_read(code: object, read: str) -> None:
    # users.d.ts ErrorItem: ``code: number``
    envelope = parse_error_envelope(json.dumps({"errors": [{"code": code, "title": "Gone"}]}))
    assert envelope is not None and envelope.errors[0].code == read


def test_tenant_hostnames_are_neutralised() -> None:
    tenant = TenantRecord.from_json({"id": "t1", "name": "x", "hostnames": ["a\x1b[31m.example"]})
    assert tenant.hostnames == ("a\\x1b[31m.example",)


def test_error_envelope_with_int_status_and_detail() -> None:
    envelope = parse_error_envelope(
        json.dumps(
            {
                "errors": [
                    {
                        "code": "HTTP-429",
                        "title": "API rate limit reached.",
                        "detail": "You need to wait 13 seconds until limit is lifted.",
                        "status": 429,
                    }
                ]
            }
        ).encode()
    )
    assert envelope is not None
    assert envelope.errors[0].status == 429
    assert envelope.trace_id is None
    assert envelope.summary == (
        "API rate limit reached. You need to wait 13 seconds until limit is lifted."
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"",
        b"null",
        b"[]",
        b'{"errors": "nope"}',
        b'{"message": "no envelope"}',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
    ],
)
def test_non_envelopes_give_none(body: bytes) -> None:
    assert parse_error_envelope(body) is None


def test_envelope_without_items_has_no_summary() -> None:
    envelope = parse_error_envelope(b'{"errors": [1, "x", null]}')
    assert envelope is not None
    assert envelope.errors == ()
    assert envelope.summary is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("401", 401),
        (401, 401),
        (" 404 ", 404),
        ("4o1", None),
        (True, None),
        (401.5, None),
        (None, None),
    ],
)
def test_error_status_forms(raw: object, expected: int | None) -> None:
    assert ApiErrorItem.from_json({"code": "c", "title": "t", "status": raw}).status == expected


# --- property tests: random JSON never breaks the parsers ---------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
field_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.lists(st.integers(), max_size=2)
)
error_items = st.fixed_dictionaries(
    {},
    optional={
        "code": field_values,
        "title": field_values,
        "detail": field_values,
        "status": field_values | st.integers(100, 599).map(str),
        "meta": json_values,
    },
)
envelopes = st.fixed_dictionaries(
    {"errors": st.lists(error_items | json_values, max_size=4)},
    optional={"traceId": field_values, "extra": json_values},
)


@settings(max_examples=200, deadline=None)
@given(json_values | envelopes)
def test_parse_error_envelope_never_raises_on_json(value: object) -> None:
    result = parse_error_envelope(json.dumps(value).encode())
    assert result is None or isinstance(result, ErrorEnvelope)
    if result is not None:
        for item in result.errors:
            assert item.status is None or isinstance(item.status, int)
        assert result.summary is None or isinstance(result.summary, str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_parse_error_envelope_never_raises_on_bytes(body: bytes) -> None:
    assert parse_error_envelope(body) is None or isinstance(
        parse_error_envelope(body), ErrorEnvelope
    )


user_like = st.fixed_dictionaries(
    {},
    optional={
        "id": field_values,
        "tenantId": field_values,
        "subject": field_values,
        "name": field_values,
        "email": field_values,
        "status": field_values,
        "assignedRoles": st.lists(
            st.fixed_dictionaries({}, optional={"id": field_values, "name": field_values})
            | json_values,
            max_size=3,
        )
        | json_values,
        "assignedGroups": st.lists(json_values, max_size=3) | json_values,
        "unknown": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(user_like | json_values)
def test_user_from_json_returns_or_raises_malformed_only(value: object) -> None:
    try:
        user = User.from_json(value)
    except MalformedResponse:
        return
    assert isinstance(user.id, str) and user.id
    assert all(isinstance(r.name, str) for r in user.roles)


@settings(max_examples=200, deadline=None)
@given(
    json_values
    | st.dictionaries(st.sampled_from(["id", "expiry", "created", "status"]), field_values)
)
def test_key_records_parse_exactly_when_required_fields_are_usable(value: object) -> None:
    key_id = value.get("id") if isinstance(value, dict) else None
    if isinstance(key_id, str) and key_id:
        assert ApiKeyRecord.from_json(value).id == neutralise(key_id)
    else:
        with pytest.raises(MalformedResponse):
            ApiKeyRecord.from_json(value)
    if isinstance(value, dict):
        assert isinstance(ApiKeyConfig.from_json(value), ApiKeyConfig)
    else:
        with pytest.raises(MalformedResponse):
            ApiKeyConfig.from_json(value)


def test_parse_datetime_near_now_roundtrips() -> None:
    moment = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=3)
    assert parse_datetime(moment.isoformat().replace("+00:00", "Z")) == moment


@pytest.mark.parametrize(
    ("email", "name", "user_id", "label"),
    [
        ("ann@example.com", "Ann", "u1", "ann@example.com"),
        (None, "Ann", "u1", "Ann"),
        ("", "", "u1", "u1"),
        (None, None, None, None),
    ],
)
def test_user_label_prefers_email_then_name_then_id(
    email: str | None, name: str | None, user_id: str | None, label: str | None
) -> None:
    assert user_label(email, name, user_id) == label


def test_user_with_email() -> None:
    assert user_with_email("Ann", "ann@example.com") == "Ann <ann@example.com>"
    assert user_with_email("Ann", None) == "Ann"
    assert user_with_email(None, "ann@example.com") == "ann@example.com"
    assert user_with_email(None, None) is None
