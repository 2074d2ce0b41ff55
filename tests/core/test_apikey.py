from __future__ import annotations

import base64
import copy
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.apikey import (
    ApiKey,
    KeyFormatError,
    KeyInfo,
    make_fake_key,
    normalise_paste,
    parse_key,
)

FUZZ = settings(max_examples=200, deadline=None)

KEY_ID = "6d0c2f5e-3b1a-4c8e-9f2d-7a6b5c4d3e21"
TENANT_ID = "Xq7Lm2Np9Rs4Tv6"
USER_ID = "60a1b2c3d4e5f6a7b8c9d0e1"
# The signature segment is readable text so any leak of it is easy to spot.
SENTINEL_SIGNATURE_TEXT = ("SENTINELsecretSIGNATURE0do-not-leak_" * 4)[:128]
SENTINEL_SIGNATURE = base64.urlsafe_b64decode(SENTINEL_SIGNATURE_TEXT)
SENTINEL_KEY = make_fake_key(
    key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, signature=SENTINEL_SIGNATURE
)
HEADER_TEXT, PAYLOAD_TEXT, SIGNATURE_TEXT = SENTINEL_KEY.split(".")
LEAK_WINDOW = 12


def assert_no_leak(text: str, raw: str = SENTINEL_KEY) -> None:
    """No run of LEAK_WINDOW characters of the raw key (any part of it) appears in text."""
    assert SIGNATURE_TEXT not in text
    for part in raw.split("."):
        for start in range(max(len(part) - LEAK_WINDOW + 1, 0)):
            window = part[start : start + LEAK_WINDOW]
            assert window not in text, f"leaked {window!r}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_part(value: object) -> str:
    return _b64url(json.dumps(value).encode())


def test_sentinel_key_has_the_real_shape() -> None:
    assert SIGNATURE_TEXT == SENTINEL_SIGNATURE_TEXT
    assert len(SENTINEL_SIGNATURE) == 96
    header = json.loads(base64.urlsafe_b64decode(HEADER_TEXT + "=="))
    assert header == {"alg": "ES384", "kid": KEY_ID, "typ": "JWT"}


def test_parse_decodes_the_public_claims() -> None:
    key = parse_key(SENTINEL_KEY)
    assert key.reveal() == SENTINEL_KEY
    assert key.key_id == KEY_ID
    assert key.info == KeyInfo(
        key_id=KEY_ID,
        tenant_id=TENANT_ID,
        subject=USER_ID,
        sub_type="user",
        alg="ES384",
        aud="qlik.api",
        iss="qlik.api/api-keys",
        warnings=(),
    )


def test_key_id_falls_back_to_kid() -> None:
    text = make_fake_key(key_id=None, kid=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID)
    assert parse_key(text).info.key_id == KEY_ID


def test_make_fake_key_random_signature_and_extra_claims() -> None:
    first = make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID)
    second = make_fake_key(
        key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, extra_payload={"iat": 1}
    )
    assert first.split(".")[2] != second.split(".")[2]
    assert len(first.split(".")[2]) == 128
    payload = json.loads(base64.urlsafe_b64decode(second.split(".")[1] + "=="))
    assert payload["iat"] == 1
    assert payload["jti"] == KEY_ID


# -- hiding the secret ---------------------------------------------------------------------


def test_repr_str_format_hide_the_secret() -> None:
    key = parse_key(SENTINEL_KEY)
    shown = [repr(key), str(key), format(key), f"{key}", f"{key!r}", f"{key!s}", f"{key:>200}"]
    shown += ["%s" % key, "%r" % (key,), str([key]), str({"k": key})]  # noqa: UP031
    for text in shown:
        assert_no_leak(text)
        assert "hidden" in text
    assert repr(key) == f"ApiKey(key_id='{KEY_ID}', secret=<hidden, {len(SENTINEL_KEY)} chars>)"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickling_is_refused(protocol: int) -> None:
    key = parse_key(SENTINEL_KEY)
    with pytest.raises(TypeError):
        pickle.dumps(key, protocol=protocol)
    with pytest.raises(TypeError):
        key.__reduce__()


def test_copy_is_the_same_key() -> None:
    key = parse_key(SENTINEL_KEY)
    assert copy.copy(key) is key
    assert copy.deepcopy({"key": key})["key"] is key


def test_equality_by_secret_and_unhashable() -> None:
    key = parse_key(SENTINEL_KEY)
    assert key == parse_key(f"Bearer {SENTINEL_KEY}")
    other = parse_key(make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID))
    assert key != other
    assert key != SENTINEL_KEY  # never equal to the plain string
    with pytest.raises(TypeError):
        hash(key)


def test_key_is_immutable_and_has_no_dict() -> None:
    key = parse_key(SENTINEL_KEY)
    with pytest.raises(AttributeError):
        key._secret = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del key._secret
    assert not hasattr(key, "__dict__")
    assert key.reveal() == SENTINEL_KEY


# -- normalising pastes --------------------------------------------------------------------


PASTES = [
    SENTINEL_KEY,
    f"  {SENTINEL_KEY}\n",
    f"Bearer {SENTINEL_KEY}",
    f"bearer    {SENTINEL_KEY}",
    f"BEARER\n{SENTINEL_KEY}",
    f"Authorization: Bearer {SENTINEL_KEY}",
    f"authorization:bearer {SENTINEL_KEY}\r\n",
    f"-H 'Authorization: Bearer {SENTINEL_KEY}'",
    f'--header "Authorization: Bearer {SENTINEL_KEY}"',
    f'curl -H "Authorization: Bearer {SENTINEL_KEY}" https://acme.eu.qlikcloud.com/api/v1/users/me',
    f'{{"Authorization": "Bearer {SENTINEL_KEY}"}}',
    f"'{SENTINEL_KEY}'",
    f'"{SENTINEL_KEY}",',
    f"`{SENTINEL_KEY}`;",
    f"\u201c{SENTINEL_KEY}\u201d",
    f"{SENTINEL_KEY};",
    f"{SENTINEL_KEY}.",
    f"\ufeff{SENTINEL_KEY}\u200b",
    "\n".join(SENTINEL_KEY[i : i + 64] for i in range(0, len(SENTINEL_KEY), 64)),
    " \t".join(SENTINEL_KEY[i : i + 50] for i in range(0, len(SENTINEL_KEY), 50)),
    f"Bearer '{SENTINEL_KEY}'",
]


@pytest.mark.parametrize("paste", PASTES, ids=range(len(PASTES)))
def test_pasted_key_in_common_wrappings(paste: str) -> None:
    assert normalise_paste(paste) == SENTINEL_KEY
    key = parse_key(paste)
    assert key.reveal() == SENTINEL_KEY
    assert key.key_id == KEY_ID


def test_normalise_leaves_other_text_alone_apart_from_spaces() -> None:
    assert normalise_paste("abc def") == "abcdef"
    assert normalise_paste("") == ""
    assert normalise_paste("  \n ") == ""


# -- refusals ------------------------------------------------------------------------------

SIG_START = len(HEADER_TEXT) + len(PAYLOAD_TEXT) + 2


REFUSALS = [
    ("", ["empty"]),
    ("  \n\t", ["empty"]),
    ("Bearer ", ["empty"]),
    ("hello", ["found 1 part", "three parts joined by dots"]),
    (f"{HEADER_TEXT}.{PAYLOAD_TEXT}", ["found 2 parts", "three parts", "cut off"]),
    (HEADER_TEXT[:30], ["cut off", "found 1 part"]),
    (f"{SENTINEL_KEY}.{SENTINEL_KEY}", ["found 6 parts", "more than one key"]),
    (f"{SENTINEL_KEY}.x", ["found 4 parts"]),
    (KEY_ID, ["key ID, not the key"]),
    (f"{HEADER_TEXT}.{PAYLOAD_TEXT}.", ["found 2 parts", "cut off"]),
    (f"{HEADER_TEXT}..{SIGNATURE_TEXT}", ["payload part is empty", "cut off"]),
    (f".{PAYLOAD_TEXT}.{SIGNATURE_TEXT}", ["header part is empty"]),
    (SENTINEL_KEY[:-8], ["cut off", "Copy it again from", "90 of the 96 bytes"]),
    (SENTINEL_KEY[:-1], ["cut off", "95 of the 96"]),
    (SENTINEL_KEY[:-3], ["signature ends in the middle"]),
    (f"{HEADER_TEXT}.{PAYLOAD_TEXT[:-3]}.{SIGNATURE_TEXT}", ["payload ends in the middle"]),
    (f"{HEADER_TEXT}.{PAYLOAD_TEXT[:-8]}.{SIGNATURE_TEXT}", ["payload stops in the middle"]),
    (f"{_json_part([1])}.{PAYLOAD_TEXT}.{SIGNATURE_TEXT}", ["header does not decode"]),
    (f"{HEADER_TEXT}.{_json_part('x')}.{SIGNATURE_TEXT}", ["payload does not decode"]),
    (f"{HEADER_TEXT}.{_b64url(b'not json')}.{SIGNATURE_TEXT}", ["payload does not decode"]),
    (f"{HEADER_TEXT}.{_b64url(bytes([255, 254]))}.{SIGNATURE_TEXT}", ["not decode"]),
    (f"{HEADER_TEXT}.{_b64url(b'[' * 100_000)[:9000]}.{SIGNATURE_TEXT}", ["payload"]),
    (SENTINEL_KEY[:SIG_START] + "+" + SENTINEL_KEY[SIG_START + 1 :], ["'+' or '/'"]),
    (SENTINEL_KEY[:SIG_START] + "=" + SENTINEL_KEY[SIG_START + 1 :], ["padding"]),
    (SENTINEL_KEY[:SIG_START] + "\u00e9" + SENTINEL_KEY[SIG_START + 1 :], ["non-ASCII"]),
    (SENTINEL_KEY[:SIG_START] + "\x07" + SENTINEL_KEY[SIG_START + 1 :], ["control"]),
    (SENTINEL_KEY[:SIG_START] + "!" + SENTINEL_KEY[SIG_START + 1 :], ["punctuation"]),
    ("x" * 20_000, ["too long"]),
]


@pytest.mark.parametrize(("paste", "fragments"), REFUSALS, ids=range(len(REFUSALS)))
def test_refusals_explain_without_leaking(paste: str, fragments: list[str]) -> None:
    with pytest.raises(KeyFormatError) as caught:
        parse_key(paste)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert_no_leak(message)
    assert_no_leak(repr(caught.value))
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_bad_character_reports_position_and_part() -> None:
    position = SIG_START + 10
    damaged = SENTINEL_KEY[: position - 1] + "+" + SENTINEL_KEY[position:]
    with pytest.raises(KeyFormatError) as caught:
        parse_key(damaged)
    assert f"position {position} (in its signature)" in str(caught.value)
    assert_no_leak(str(caught.value))


def test_bad_base64_part_is_refused() -> None:
    # Five characters decode to no whole number of bytes: a base64 text cannot end that way.
    with pytest.raises(KeyFormatError, match="header ends in the middle"):
        parse_key(f"abcde.{PAYLOAD_TEXT}.{SIGNATURE_TEXT}")


# -- warnings ------------------------------------------------------------------------------


def _warnings(**changes: object) -> tuple[str, ...]:
    claims: dict[str, object] = {"key_id": KEY_ID, "tenant_id": TENANT_ID, "sub": USER_ID}
    claims.update(changes)
    text = make_fake_key(signature=SENTINEL_SIGNATURE, **claims)  # type: ignore[arg-type]
    warnings = parse_key(text).info.warnings
    for warning in warnings:
        assert_no_leak(warning, text)
    return warnings


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"alg": "HS256"}, "'HS256'; Qlik API keys use ES384"),
        ({"alg": None}, "does not name its signing algorithm"),
        ({"aud": "other"}, "is for 'other'"),
        ({"aud": None}, "does not name its audience"),
        ({"iss": "someone"}, "issued by 'someone'"),
        ({"iss": None}, "does not name its issuer"),
        ({"kid": "another-id"}, "differs from its header's key id"),
        ({"key_id": None}, "no key id"),
        ({"sub_type": "externalClient"}, "'externalClient', not a user"),
        ({"sub_type": None}, "subType"),
        ({"tenant_id": None}, "tenantId"),
        ({"sub": None}, "does not name its user"),
        ({"alg": "x" * 500}, "…"),
        ({"aud": "\x1b[31mred"}, "\\x1b"),
    ],
)
def test_unexpected_claims_warn_but_parse(changes: dict[str, object], fragment: str) -> None:
    warnings = _warnings(**changes)
    assert any(fragment in warning for warning in warnings), warnings


def test_long_es384_signature_warns() -> None:
    text = make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, signature=b"s" * 100)
    assert any("longer than" in warning for warning in parse_key(text).info.warnings)


def test_other_algorithms_are_not_held_to_the_es384_length() -> None:
    text = make_fake_key(
        key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, signature=b"s" * 32, alg="HS256"
    )
    assert parse_key(text).info.alg == "HS256"


def test_non_text_claims_read_as_missing() -> None:
    text = make_fake_key(
        key_id=KEY_ID, tenant_id=None, sub=USER_ID, extra_payload={"tenantId": 42, "jti": []}
    )
    info = parse_key(text).info
    assert info.tenant_id is None
    assert info.key_id == KEY_ID  # from kid


# -- properties ----------------------------------------------------------------------------


def _parse_or_error(text: str) -> ApiKey | KeyFormatError:
    try:
        return parse_key(text)
    except KeyFormatError as err:
        assert str(err)
        return err


@FUZZ
@given(st.text())
def test_any_text_gives_a_key_or_a_key_format_error(text: str) -> None:
    assert isinstance(_parse_or_error(text), (ApiKey, KeyFormatError))


@FUZZ
@given(st.text(alphabet="eyJ.-_AbC0=+/ \n'\"`,;:Bearer", max_size=60))
def test_jwt_like_text_gives_a_key_or_a_key_format_error(text: str) -> None:
    assert isinstance(_parse_or_error(text), (ApiKey, KeyFormatError))


@FUZZ
@given(st.text())
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise_paste(text)
    assert normalise_paste(once) == once


ids = st.uuids().map(str)
tenant_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
realistic_keys = st.builds(
    lambda key_id, tenant_id, sub, signature: (
        key_id,
        make_fake_key(key_id=key_id, tenant_id=tenant_id, sub=sub, signature=signature),
    ),
    ids,
    tenant_ids.filter(bool),
    st.text(alphabet="0123456789abcdef", min_size=24, max_size=24),
    st.binary(min_size=96, max_size=96),
)
WRAPPINGS = [
    "{}",
    "Bearer {}",
    "bearer {}",
    "BEARER\t{}",
    "Authorization: Bearer {}",
    "authorization:Bearer\n{}",
    "-H 'Authorization: Bearer {}'",
    '-H "Authorization: Bearer {}"',
    "'{}'",
    '"{}"',
    "`{}`",
    '"{}",',
    "{};",
    "Bearer '{}'",
]
spaces = st.text(alphabet=" \t\r\n\u00a0\u200b\ufeff", max_size=4)


@st.composite
def wrapped_keys(draw: st.DrawFn) -> tuple[str, str, str]:
    """(pasted text, clean key, key id): a realistic key, line-wrapped and wrapped in quotes etc."""
    key_id, key = draw(realistic_keys)
    cuts = sorted(draw(st.lists(st.integers(1, len(key) - 1), max_size=5, unique=True)))
    pieces = [key[a:b] for a, b in zip([0, *cuts], [*cuts, len(key)], strict=True)]
    wrapped_key = "".join(piece + draw(spaces) for piece in pieces[:-1]) + pieces[-1]
    wrapping = draw(st.sampled_from(WRAPPINGS))
    return draw(spaces) + wrapping.format(wrapped_key) + draw(spaces), key, key_id


@FUZZ
@given(wrapped_keys())
def test_wrapped_keys_round_trip(case: tuple[str, str, str]) -> None:
    paste, clean, key_id = case
    key = parse_key(paste)
    assert key.reveal() == clean
    assert key.key_id == key_id
    assert key.info.warnings == ()
    assert normalise_paste(normalise_paste(paste)) == normalise_paste(paste) == clean


@FUZZ
@given(realistic_keys)
def test_generated_keys_never_show_their_signature(case: tuple[str, str]) -> None:
    _key_id, text = case
    signature = text.split(".")[2]
    key = parse_key(text)
    for shown in (repr(key), str(key), format(key), f"{key}", f"{key!r}", f"{key:^300}"):
        assert signature not in shown
        assert signature[:16] not in shown


@FUZZ
@given(realistic_keys, st.data())
def test_damaged_keys_never_leak_in_errors(case: tuple[str, str], data: st.DataObject) -> None:
    _key_id, text = case
    cut = data.draw(st.integers(0, len(text)))
    bad_char = data.draw(st.sampled_from(["+", "/", "=", "é", "!", "\x00", ".", ""]))
    damaged = data.draw(st.sampled_from([text[:cut], text[:cut] + bad_char + text[cut + 1 :]]))
    result = _parse_or_error(damaged)
    if isinstance(result, KeyFormatError):
        assert_no_leak(str(result), text)
        assert_no_leak(repr(result), text)
    else:
        assert_no_leak(repr(result), text)
