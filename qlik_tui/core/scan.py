"""Recognise Qlik credentials lying in plain text: bytes in, findings out. Pure (no files).

CONTRACT:
    scan_text(data, tokens=False) -> list[Finding]   # one file's bytes (binary: no findings)
    looks_binary(data) -> bool                      # a NUL in the first 8 KiB
    Finding.secret -> Secret    (hidden in every repr; ``reveal()`` only for --verify / --fix)
    Finding.fingerprint -> str  (the key id, or the first and last 4 characters of a secret)

What counts (decoded, never a loose regex verdict):
- A Qlik API key: a JWT whose header and payload decode (``core.apikey.parse_key``) to
  ``alg ES384``, ``iss qlik.api/api-keys``, ``aud qlik.api``, a key id (``jti``), a
  ``tenantId`` and a ``sub``. Any other JWT, or a cut-off key, is not reported. The regex
  below only finds *candidates* (text shaped like a JWT) cheaply.
- An OAuth client secret: a value named as Qlik's (qlik-cli's ``oauth-client-secret``,
  ``QLIK_CLIENT_SECRET``, ``QCS_CLIENT_SECRET``, ``QLIK_OAUTH_CLIENT_SECRET`` ...) in a file
  that also names a client id (``oauth-client-id``, ``QLIK_CLIENT_ID``, ``client_id`` ...): a
  secret with no client id beside it is not a usable credential and is not reported, nor is
  another service's plain ``client_secret``.
- With ``tokens``: an access token, a JWT for ``aud qlik.api`` that is not an API key
  (inference: Qlik's OAuth access tokens are JWTs for the same audience; the API key's own
  issuer is not theirs).

Every string taken from the data is untrusted: the claims come neutralised from
``parse_key``; file names are neutralised by the caller. The secret never enters a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import NoReturn

from qlik_tui.core.apikey import (
    EXPECTED_ALG,
    EXPECTED_AUD,
    EXPECTED_ISS,
    KeyFormatError,
    parse_key,
)
from qlik_tui.core.untrusted import looks_like_key, neutralise

BINARY_PROBE_BYTES = 8192
SHOWN_SECRET_CHARS = 4  # a fingerprint shows at most this many characters at each end
MIN_SECRET_CHARS = 16  # shorter values are placeholders ("changeme", "xxx"), not secrets

# Candidates only: base64url of '{"' starts with eyJ; header and payload are both JSON objects.
_JWT_CANDIDATE = re.compile(
    rb"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
)
_JWT_PREFIX = b"eyJ"
# NAME = value / NAME: value / export NAME=value / "name": "value" (.env, YAML, JSON, shell)
_ASSIGNMENT = re.compile(
    rb"""(?im)^[ \t]*(?:export[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[:=][ \t]*"""
    rb"""["']?([^\s"'#]*)["']?"""
)
# The secret's name says it is Qlik's (qlik-cli's key, or a QLIK_/QCS_ variable): another
# service's client_secret (Google, Azure ...) is not ours to report. Its client id may be
# named plainly.
_SECRET_NAME = re.compile(
    rb"(?i)^(?:(?:qlik|qcs)[_-]?(?:oauth[_-]?)?client[_-]secret|oauth-client-secret)$"
)
_CLIENT_ID_NAME = re.compile(rb"(?i)^(?:qlik|qcs)?[_-]?(?:oauth[_-]?)?client[_-]id$")
_SECRET_MARKER = re.compile(rb"(?i)client[_-]secret")
_PLACEHOLDER_START = (b"$", b"<", b"{", b"%")


class FindingKind(str, Enum):
    API_KEY = "api-key"
    CLIENT_SECRET = "oauth-client-secret"
    ACCESS_TOKEN = "access-token"


class Secret:
    """A found secret: hidden in every repr, not picklable."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def reveal(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Secret(<hidden, {len(self._text)} chars>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a found secret cannot be pickled")


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    line: int  # 1-based
    fingerprint: str  # the key id, or "abcd…wxyz": never the secret
    secret: Secret = field(repr=False, compare=False)
    key_id: str | None = None
    tenant_id: str | None = None
    subject: str | None = None  # the key's user id
    client_id: str | None = None  # the OAuth client id beside a secret (neutralised)
    expiry: str | None = None  # ISO 8601 UTC, from an access token's ``exp`` claim


def looks_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PROBE_BYTES]


def might_hold_credentials(data: bytes) -> bool:
    """A cheap first test: no JWT prefix and no client-secret name, nothing to decode. Plain
    substring tests first (memchr-fast); the case-blind pattern only where "ecret" is."""
    if _JWT_PREFIX in data:
        return True
    if b"ecret" not in data and b"ECRET" not in data:
        return False
    return _SECRET_MARKER.search(data) is not None


def scan_text(data: bytes, *, tokens: bool = False) -> list[Finding]:
    """The credentials in one file's bytes, in file order, each once per place."""
    if not might_hold_credentials(data) or looks_binary(data):
        return []
    lines = _LineIndex(data)
    findings = _jwt_findings(data, lines, tokens)
    findings.extend(_client_secret_findings(data, lines))
    findings.sort(key=lambda finding: finding.line)
    return findings


def fingerprint(secret: str) -> str:
    """At most the first and last 4 characters; for a short secret, only its length."""
    if len(secret) < 3 * SHOWN_SECRET_CHARS:
        return f"({len(secret)} characters)"
    return f"{secret[:SHOWN_SECRET_CHARS]}…{secret[-SHOWN_SECRET_CHARS:]}"


class _LineIndex:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0
        self._line = 1

    def line_of(self, offset: int) -> int:
        if offset < self._offset:  # a lookup behind the last one: count from the start
            self._offset, self._line = 0, 1
        self._line += self._data.count(b"\n", self._offset, offset)
        self._offset = offset
        return self._line


def _jwt_findings(data: bytes, lines: _LineIndex, tokens: bool) -> list[Finding]:
    findings = []
    for match in _JWT_CANDIDATE.finditer(data):
        text = match.group().decode("ascii")
        finding = _api_key_finding(text, lines.line_of(match.start()))
        if finding is None and tokens:
            finding = _access_token_finding(text, lines.line_of(match.start()))
        if finding is not None:
            findings.append(finding)
    return findings


def _api_key_finding(text: str, line: int) -> Finding | None:
    try:
        key = parse_key(text)
    except KeyFormatError:  # cut off or damaged: not a usable key
        return None
    info = key.info
    if (info.alg, info.iss, info.aud) != (EXPECTED_ALG, EXPECTED_ISS, EXPECTED_AUD):
        return None
    if not (info.key_id and info.tenant_id and info.subject):
        return None
    return Finding(
        kind=FindingKind.API_KEY,
        line=line,
        fingerprint=info.key_id,
        secret=Secret(key.reveal()),
        key_id=info.key_id,
        tenant_id=info.tenant_id,
        subject=info.subject,
    )


def _access_token_finding(text: str, line: int) -> Finding | None:
    payload = _payload(text)
    if payload is None or payload.get("aud") != EXPECTED_AUD:
        return None
    if payload.get("iss") == EXPECTED_ISS:  # an API key that failed the checks above
        return None
    tenant_id = payload.get("tenantId")
    subject = payload.get("sub")
    expires = payload.get("exp")
    expiry = None
    if isinstance(expires, int) and not isinstance(expires, bool) and 0 < expires < 2**33:
        expiry = datetime.fromtimestamp(expires, timezone.utc).isoformat()
    return Finding(
        kind=FindingKind.ACCESS_TOKEN,
        line=line,
        fingerprint=fingerprint(text),
        secret=Secret(text),
        tenant_id=neutralise(tenant_id) if isinstance(tenant_id, str) else None,
        subject=neutralise(subject) if isinstance(subject, str) else None,
        expiry=expiry,
    )


def _payload(text: str) -> dict[str, object] | None:
    parts = text.split(".")
    if len(parts) != 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _client_secret_findings(data: bytes, lines: _LineIndex) -> list[Finding]:
    if _SECRET_MARKER.search(data) is None:
        return []
    secrets: list[tuple[int, bytes]] = []
    client_ids: list[bytes] = []
    for match in _ASSIGNMENT.finditer(data):
        name, value = match.group(1), match.group(2)
        if _SECRET_NAME.match(name) and _usable_value(value):
            secrets.append((match.start(2), value))
        elif _CLIENT_ID_NAME.match(name) and _usable_value(value, minimum=1):
            client_ids.append(value)
    if not client_ids:  # a secret without its client id cannot be used: not reported
        return []
    client_id_text = client_ids[0].decode("utf-8", "replace")
    # A client id is public, but a key pasted in its place is not: never repeat one.
    client_id = None if looks_like_key(client_id_text) else neutralise(client_id_text, 80)
    findings = []
    for offset, value in secrets:
        text = value.decode("utf-8", "replace")
        findings.append(
            Finding(
                kind=FindingKind.CLIENT_SECRET,
                line=lines.line_of(offset),
                fingerprint=fingerprint(text),
                secret=Secret(text),
                client_id=client_id,
            )
        )
    return findings


def _usable_value(value: bytes, minimum: int = MIN_SECRET_CHARS) -> bool:
    return len(value) >= minimum and not value.startswith(_PLACEHOLDER_START)
