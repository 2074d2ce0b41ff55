"""The scanner recognises decoded claims, not a pattern; a finding's text never holds the secret."""

from __future__ import annotations

import base64
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_tui.core.apikey import make_fake_key
from qlik_tui.core.scan import Finding, FindingKind, fingerprint, looks_binary, scan_text

FUZZ = settings(max_examples=200, deadline=None)
KEY_ID = "6d0c2f5e-3b1a-4c8e-9f2d-7a6b5c4d3e21"
TENANT_ID = "Xq7Lm2Np9Rs4Tv6"
USER_ID = "60a1b2c3d4e5f6a7b8c9d0e1"
KEY = make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID)
CLIENT_SECRET = "s3cr3tOAuthClientSecretValue0987"


def _b64(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _other_jwt(payload: dict[str, object], alg: str = "HS256") -> str:
    return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(payload)}.c2lnbmF0dXJlc2lnbmF0dXJl"


def _visible(findings: list[Finding]) -> str:
    return repr(findings) + "".join(
        f"{f.fingerprint}{f.key_id}{f.tenant_id}{f.subject}{f.client_id}" for f in findings
    )


def test_a_key_is_found_with_its_claims_and_line() -> None:
    data = f"# notes\nQLIK_API_KEY={KEY}\n".encode()
    [finding] = scan_text(data)
    assert finding.kind is FindingKind.API_KEY
    assert (finding.line, finding.key_id, finding.tenant_id, finding.subject) == (
        2,
        KEY_ID,
        TENANT_ID,
        USER_ID,
    )
    assert finding.fingerprint == KEY_ID
    assert finding.secret.reveal() == KEY
    assert KEY.rsplit(".", 1)[1] not in _visible([finding])


def test_claims_are_neutralised() -> None:
    hostile = make_fake_key(key_id=KEY_ID, tenant_id="T\x1b[2J\u202e", sub="U\n\x07")
    [finding] = scan_text(f"K={hostile}\n".encode())
    assert (finding.tenant_id, finding.subject) == ("T\\x1b[2J\\u202e", "U\\n\\x07")


def test_decoys_are_not_reported() -> None:
    decoys = [
        _other_jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}),
        # the right shape with another issuer / audience / algorithm
        make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, iss="someone.else"),
        make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, aud="other.api"),
        make_fake_key(key_id=KEY_ID, tenant_id=TENANT_ID, sub=USER_ID, alg="HS256"),
        make_fake_key(key_id=KEY_ID, tenant_id=None, sub=USER_ID),
        KEY[: len(KEY) - 40],  # cut off: its signature is short
        KEY.rsplit(".", 1)[0],  # no signature at all
        KEY_ID,  # the key id alone
    ]
    data = "\n".join(f"token{index}={decoy}" for index, decoy in enumerate(decoys)).encode()
    assert scan_text(data) == []
    # A JWT for qlik.api from another issuer may be an access token; never an API key.
    assert [f.kind for f in scan_text(data, tokens=True)] == [FindingKind.ACCESS_TOKEN]


def test_a_key_inside_binary_data_is_not_read() -> None:
    assert looks_binary(b"\x7fELF\0\0" + KEY.encode())
    assert scan_text(b"\x7fELF\0\0" + KEY.encode()) == []


def test_a_client_secret_needs_its_client_id_beside_it() -> None:
    alone = f"QLIK_CLIENT_SECRET={CLIENT_SECRET}\n".encode()
    assert scan_text(alone) == []
    paired = f"QCS_CLIENT_ID=abc123\nexport QCS_CLIENT_SECRET='{CLIENT_SECRET}'\n".encode()
    [finding] = scan_text(paired)
    assert (finding.kind, finding.line, finding.client_id) == (
        FindingKind.CLIENT_SECRET,
        2,
        "abc123",
    )
    assert finding.fingerprint == "s3cr…0987"
    assert CLIENT_SECRET not in _visible([finding])


def test_a_contexts_file_oauth_context_is_found() -> None:
    contexts = (
        "contexts:\n  bot:\n    server: https://acme.eu.qlikcloud.com\n"
        f"    oauth-client-id: 0f1e2d3c4b5a\n    oauth-client-secret: {CLIENT_SECRET}\n"
        "    server-type: cloud\n"
    ).encode()
    [finding] = scan_text(contexts)
    assert (finding.kind, finding.line) == (FindingKind.CLIENT_SECRET, 5)


def test_a_key_in_the_client_id_place_is_not_repeated() -> None:
    data = f"QLIK_CLIENT_ID={KEY}\nQLIK_CLIENT_SECRET={CLIENT_SECRET}\n".encode()
    secrets = [f for f in scan_text(data) if f.kind is FindingKind.CLIENT_SECRET]
    assert [f.client_id for f in secrets] == [None]


_NAME = st.sampled_from(
    ["QLIK_CLIENT_SECRET", "QCS_CLIENT_SECRET", "oauth-client-secret", "QLIK_OAUTH_CLIENT_SECRET"]
)
_ID_NAME = st.sampled_from(["QLIK_CLIENT_ID", "QCS_CLIENT_ID", "oauth-client-id", "client_id"])
_VALUE = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-", min_size=16, max_size=60
)


@FUZZ
@given(
    name=_NAME,
    id_name=_ID_NAME,
    value=_VALUE,
    separator=st.sampled_from(["=", ": ", " = ", ":"]),
    quote=st.sampled_from(["", "'", '"']),
    export=st.booleans(),
    noise=st.lists(st.sampled_from(["# comment", "", "A=1", "  indented: yes"]), max_size=4),
)
def test_a_paired_secret_is_found_in_any_layout(
    name: str,
    id_name: str,
    value: str,
    separator: str,
    quote: str,
    export: bool,
    noise: list[str],
) -> None:
    lines = [*noise, f"{id_name}{separator}abc123"]
    lines.append(f"{'export ' if export else ''}{name}{separator}{quote}{value}{quote}")
    [finding] = scan_text("\n".join(lines).encode())
    assert (finding.kind, finding.line) == (FindingKind.CLIENT_SECRET, len(lines))
    assert finding.secret.reveal() == value
    assert finding.fingerprint == fingerprint(value)


def test_another_services_client_secret_is_not_reported() -> None:
    other = {"client_id": "1234.apps.example.com", "client_secret": CLIENT_SECRET}
    assert scan_text(json.dumps(other, indent=1).encode()) == []
    named_as_qlik = {"QLIK_CLIENT_ID": "1234", "QLIK_CLIENT_SECRET": CLIENT_SECRET}
    assert len(scan_text(json.dumps(named_as_qlik, indent=1).encode())) == 1


def test_placeholders_are_not_secrets() -> None:
    data = b"QLIK_CLIENT_ID=abc\nQLIK_CLIENT_SECRET=${QLIK_CLIENT_SECRET}\nQCS_CLIENT_SECRET=xxx\n"
    assert scan_text(data) == []


def test_access_tokens_only_when_asked() -> None:
    claims = {"aud": "qlik.api", "iss": "qlik.api/login", "tenantId": TENANT_ID, "exp": 1893456000}
    token = _other_jwt(claims, "RS256")
    data = f"Authorization: Bearer {token}\n".encode()
    assert scan_text(data) == []
    [finding] = scan_text(data, tokens=True)
    assert (finding.kind, finding.tenant_id) == (FindingKind.ACCESS_TOKEN, TENANT_ID)
    assert finding.expiry == "2030-01-01T00:00:00+00:00"
    assert token not in _visible([finding])


def test_a_fingerprint_shows_at_most_four_characters_at_each_end() -> None:
    assert fingerprint("abcdefghijklmnop") == "abcd…mnop"
    assert fingerprint("short") == "(5 characters)"


# A filler that cannot glue onto a key: no base64url characters next to it.
_FILLER = st.text(alphabet=st.sampled_from(" \n\t\"'=:;,#()[]{}"), max_size=40)


@FUZZ
@given(before=st.lists(_FILLER, max_size=5), after=_FILLER)
def test_a_planted_key_is_found_once_on_its_line(before: list[str], after: str) -> None:
    prefix = "\n".join(before)
    data = f"{prefix}{KEY}{after}".encode()
    findings = scan_text(data)
    assert [(f.key_id, f.line) for f in findings] == [(KEY_ID, prefix.count("\n") + 1)]


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_scan_without_error(data: bytes) -> None:
    for finding in scan_text(b"eyJ" + data + b"QLIK_CLIENT_SECRET", tokens=True):
        assert finding.line >= 1


@FUZZ
@given(st.text(min_size=12, max_size=200))
def test_a_fingerprint_never_holds_the_middle_of_a_secret(secret: str) -> None:
    shown = fingerprint(secret)
    assert shown == f"{secret[:4]}…{secret[-4:]}"
