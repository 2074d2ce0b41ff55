"""The API key value type and local (unverified) inspection of the JWT it is.

CONTRACT:
    parse_key(text) -> ApiKey   (normalises the paste; raises KeyFormatError)
    ApiKey.reveal() -> str      (the only way to get the secret; used for the
                                 Authorization header and the keyring only)
    ApiKey.info -> KeyInfo      (decoded header/payload + warnings)
    repr/str/format of ApiKey never contain any part of the secret.

Secrets discipline in this module: error messages and warnings are built only from counts,
positions, character classes and the decoded public claims (shortened); never from the raw
text. The claims are untrusted data: ``KeyInfo`` holds them neutralised
(``qlik_tui.core.untrusted``), and that is also the key id used to look the key up. A claim
that neutralising changes (a control, bidi or invisible character, or an absurd length) cannot
belong to a real Qlik key, so such a key gets a warning and its lookup simply finds nothing.
Exceptions are raised outside ``except`` blocks so no decoder error (which may quote the data)
is chained onto them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any, NamedTuple, NoReturn

from qlik_tui.core.untrusted import neutralise

EXPECTED_ALG = "ES384"
EXPECTED_AUD = "qlik.api"
EXPECTED_ISS = "qlik.api/api-keys"
EXPECTED_SUB_TYPE = "user"
ES384_SIGNATURE_BYTES = 96
MAX_KEY_CHARS = 16_384  # real keys are a few hundred characters

_WHERE_TO_COPY = "your profile's API keys page in the Qlik Cloud hub (Generate new key)"
_COPY_AGAIN = f"Copy it again from {_WHERE_TO_COPY}; a key is shown only once, so if it is "
_COPY_AGAIN += "gone, generate a new one."
_PART_NAMES = ("header", "payload", "signature")

_QUOTES = "'\"`\u2018\u2019\u201c\u201d\u00ab\u00bb"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_SPACE_OR_INVISIBLE = re.compile(rf"[\s{_INVISIBLE}]+")
_HEADER_NAME = re.compile(r"authorization\s*[\"']?\s*[:=]\s*", re.IGNORECASE)
_BEARER = re.compile(r"bearer(?:\s*:\s*|\s+|(?=ey)|$)", re.IGNORECASE)
_CURL_FLAG = re.compile(r"(?:-H|--header)(?=[\s'\"])", re.IGNORECASE)
_B64URL_CHAR = re.compile(r"[A-Za-z0-9_\-]")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_SHOWN_VALUE_CHARS = 40
_SHOWN_PAYLOAD_CLAIMS = ("jti", "tenantId", "sub", "subType", "aud", "iss")


class KeyFormatError(ValueError):
    """The paste is not a usable key. ``str(err)`` is a user-facing sentence."""


class KeyInfo(NamedTuple):
    key_id: str | None  # jti, or kid when jti is missing
    tenant_id: str | None
    subject: str | None  # sub: the user id
    sub_type: str | None
    alg: str | None
    aud: str | None
    iss: str | None
    warnings: tuple[str, ...] = ()  # unexpected alg/aud/iss, kid != jti ...


class ApiKey:
    """Holds the secret; never shows it. Not picklable, not hashable by value."""

    __slots__ = ("_info", "_secret")
    _secret: str
    _info: KeyInfo

    def __init__(self, secret: str, info: KeyInfo) -> None:
        object.__setattr__(self, "_secret", secret)
        object.__setattr__(self, "_info", info)

    def reveal(self) -> str:
        return self._secret

    @property
    def info(self) -> KeyInfo:
        return self._info

    @property
    def key_id(self) -> str | None:
        return self._info.key_id

    def __repr__(self) -> str:
        return f"ApiKey(key_id={self._info.key_id!r}, secret=<hidden, {len(self._secret)} chars>)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApiKey):
            return NotImplemented
        return hmac.compare_digest(self._secret.encode(), other._secret.encode())

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ApiKey is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ApiKey is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("ApiKey cannot be pickled: the secret must never be written out")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("ApiKey cannot be pickled: the secret must never be written out")

    # Copies are harmless (nothing leaves the process) and let containers be copied.
    def __copy__(self) -> ApiKey:
        return self

    def __deepcopy__(self, memo: Any) -> ApiKey:
        return self


def normalise_paste(text: str) -> str:
    """Strip what surrounds a pasted key: whitespace anywhere (keys get wrapped), quotes,
    ``Bearer``, an ``Authorization:`` header or a curl ``-H '...'`` fragment, a trailing
    comma, semicolon or full stop. Idempotent: repeated until nothing more comes off."""
    current = text
    while True:
        cleaned = _normalise_once(current)
        if cleaned == current:
            return cleaned
        current = cleaned


def _normalise_once(text: str) -> str:
    strip_chars = _QUOTES + _INVISIBLE + ",;"
    s = text.strip().strip(_INVISIBLE)
    header = _HEADER_NAME.search(s)
    if header:  # everything before "Authorization:" is command or request noise
        s = s[header.end() :]
    s = _CURL_FLAG.sub("", s, count=1) if s[:2].lower() in ("-h", "--") else s
    s = s.strip().lstrip(strip_chars).strip()
    bearer = _BEARER.match(s)
    if bearer:
        s = s[bearer.end() :]
    s = s.lstrip(strip_chars)
    for index, char in enumerate(s):
        if char in _QUOTES:  # a closing quote: what follows is the rest of a command
            s = s[:index]
            break
    s = s.rstrip().rstrip(strip_chars + ".")  # a key never ends in '.'; a sentence does
    return _SPACE_OR_INVISIBLE.sub("", s)


def parse_key(text: str) -> ApiKey:
    """Normalise a paste and decode the JWT's header and payload (no signature check)."""
    key = normalise_paste(text) if isinstance(text, str) else ""
    if not key:
        _fail(f"The paste is empty. Copy the API key from {_WHERE_TO_COPY} and paste it here.")
    if len(key) > MAX_KEY_CHARS:
        _fail(
            f"That paste is {len(key)} characters long, far too long for an API key (a few "
            f"hundred characters). Paste only the key. {_COPY_AGAIN}"
        )
    _check_alphabet(key)

    parts = key.split(".")
    if len(parts) != 3:
        _fail(_part_count_message(key, parts))
    for name, part in zip(_PART_NAMES, parts, strict=True):
        if not part:
            _fail(f"The key's {name} part is empty: the key looks cut off. {_COPY_AGAIN}")

    header = _decode_json_part(parts[0], "header")
    payload = _decode_json_part(parts[1], "payload")
    signature = _decode_b64url(parts[2], "signature")

    alg = _text_claim(header, "alg")
    if alg == EXPECTED_ALG and len(signature) < ES384_SIGNATURE_BYTES:
        _fail(
            f"The key looks cut off: its signature has {len(signature)} of the "
            f"{ES384_SIGNATURE_BYTES} bytes an ES384 key has. {_COPY_AGAIN}"
        )
    info = _key_info(header, payload, alg, signature_bytes=len(signature))
    altered = _altered_claims(header, payload)
    if altered:
        warning = (
            f"The key's {', '.join(altered)} claim{'s' if len(altered) > 1 else ''} hold"
            f"{'' if len(altered) > 1 else 's'} control, invisible or far too many characters "
            "(shown escaped or cut); a Qlik API key's claims never do."
        )
        info = info._replace(warnings=(*info.warnings, warning))
    return ApiKey(key, info)


def make_fake_key(
    *,
    key_id: str | None,
    tenant_id: str | None,
    sub: str | None,
    signature: bytes | None = None,
    alg: str | None = EXPECTED_ALG,
    aud: str | None = EXPECTED_AUD,
    iss: str | None = EXPECTED_ISS,
    extra_payload: Mapping[str, Any] | None = None,
    sub_type: str | None = EXPECTED_SUB_TYPE,
    kid: str | None = None,
) -> str:
    """A JWT-shaped string laid out like a real Qlik API key, but not signed (for tests and the
    sandbox). ``None`` leaves a claim out; ``kid`` defaults to ``key_id``; the signature
    defaults to 96 random bytes."""
    header = _without_none({"alg": alg, "kid": kid if kid is not None else key_id, "typ": "JWT"})
    payload = _without_none(
        {
            "subType": sub_type,
            "tenantId": tenant_id,
            "jti": key_id,
            "aud": aud,
            "iss": iss,
            "sub": sub,
        }
    )
    payload.update(extra_payload or {})
    if signature is None:
        signature = secrets.token_bytes(ES384_SIGNATURE_BYTES)
    return ".".join(
        (_b64url_json(header), _b64url_json(payload), _b64url(signature)),
    )


# -- decoding ------------------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    raise KeyFormatError(message)


def _check_alphabet(key: str) -> None:
    for position, char in enumerate(key, start=1):
        if char != "." and not _B64URL_CHAR.fullmatch(char):
            part = _PART_NAMES[min(key.count(".", 0, position - 1), 2)]
            _fail(
                f"The key contains {_char_class(char)} at position {position} (in its {part}), "
                "which cannot be part of an API key: keys use only letters, digits, '-', '_' "
                f"and dots. {_COPY_AGAIN}"
            )


def _char_class(char: str) -> str:
    if char in "+/":
        return "a '+' or '/' (standard base64, not the base64url an API key uses)"
    if char == "=":
        return "a '=' padding sign"
    if not char.isascii():
        return "a non-ASCII character (such as a typographic quote, dash or accented letter)"
    if not char.isprintable():
        return "a control character"
    return "a punctuation character"


def _part_count_message(key: str, parts: list[str]) -> str:
    found = f"found {len(parts)} part{'s' if len(parts) != 1 else ''} separated by dots"
    shape = "a Qlik API key has three parts joined by dots (header.payload.signature)"
    if len(parts) == 1 and _UUID.fullmatch(key):
        return (
            "That looks like a key ID, not the key itself. The key is a long text of three "
            f"parts joined by dots, shown once when you generate it. {_COPY_AGAIN}"
        )
    if len(parts) == 2 or (len(parts) == 1 and key.startswith("eyJ")):
        return f"The key looks cut off: {found}, but {shape}. {_COPY_AGAIN}"
    if len(parts) > 3:
        return (
            f"That is not an API key: {found}, but {shape}. Did you paste more than one key? "
            "Paste exactly one."
        )
    return f"That is not an API key: {found}, but {shape}. {_COPY_AGAIN}"


def _decode_b64url(part: str, name: str) -> bytes:
    if len(part) % 4 == 1:  # no base64 text has this length: a character is missing
        _fail(f"The key looks cut off: its {name} ends in the middle. {_COPY_AGAIN}")
    decoded: bytes | None = None
    with contextlib.suppress(binascii.Error, ValueError):
        decoded = base64.b64decode(part + "=" * (-len(part) % 4), altchars=b"-_", validate=True)
    if decoded is None:
        _fail(f"The key's {name} is not valid base64url text: the key is damaged. {_COPY_AGAIN}")
    return decoded


def _decode_json_part(part: str, name: str) -> dict[str, Any]:
    raw = _decode_b64url(part, name)
    value: object = None
    truncated = False  # the JSON (or a UTF-8 sequence) stops mid-way rather than being wrong
    try:
        value = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated")
    except UnicodeDecodeError as exc:
        truncated = exc.reason == "unexpected end of data"
    except (ValueError, RecursionError):
        pass
    if truncated:
        _fail(f"The key looks cut off: its {name} stops in the middle. {_COPY_AGAIN}")
    if not isinstance(value, dict):
        _fail(
            f"The key's {name} does not decode to a JSON object, so this is not an API key. "
            f"{_COPY_AGAIN}"
        )
    return value


def _text_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = _raw_text_claim(claims, name)
    return None if value is None else neutralise(value)


def _raw_text_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def _altered_claims(header: Mapping[str, Any], payload: Mapping[str, Any]) -> list[str]:
    """The claims that neutralising changed: no real key's claims need it."""
    altered = []
    for claims, names in ((header, ("alg", "kid")), (payload, _SHOWN_PAYLOAD_CLAIMS)):
        for name in names:
            value = _raw_text_claim(claims, name)
            if value is not None and neutralise(value) != value:
                altered.append(name)
    return altered


def _shown(value: str) -> str:
    """A claim value quoted for a message: shortened, with control characters escaped."""
    short = value if len(value) <= _SHOWN_VALUE_CHARS else value[:_SHOWN_VALUE_CHARS] + "…"
    return repr(short)


def _key_info(
    header: Mapping[str, Any], payload: Mapping[str, Any], alg: str | None, signature_bytes: int
) -> KeyInfo:
    jti = _text_claim(payload, "jti")
    kid = _text_claim(header, "kid")
    tenant_id = _text_claim(payload, "tenantId")
    subject = _text_claim(payload, "sub")
    sub_type = _text_claim(payload, "subType")
    aud = _text_claim(payload, "aud")
    iss = _text_claim(payload, "iss")

    warnings: list[str] = []
    if alg != EXPECTED_ALG:
        what = f"is signed with {_shown(alg)}" if alg else "does not name its signing algorithm"
        warnings.append(f"The key {what}; Qlik API keys use {EXPECTED_ALG}.")
    elif signature_bytes > ES384_SIGNATURE_BYTES:
        warnings.append(
            f"The key's signature is longer than an {EXPECTED_ALG} signature "
            f"({signature_bytes} bytes, not {ES384_SIGNATURE_BYTES}): check nothing was added."
        )
    if aud != EXPECTED_AUD:
        what = f"is for {_shown(aud)}" if aud else "does not name its audience"
        warnings.append(f"The key {what}; Qlik API keys are for {EXPECTED_AUD!r}.")
    if iss != EXPECTED_ISS:
        what = f"was issued by {_shown(iss)}" if iss else "does not name its issuer"
        warnings.append(f"The key {what}; Qlik API keys are issued by {EXPECTED_ISS!r}.")
    if jti is None and kid is None:
        warnings.append("The key has no key id (jti), so its expiry cannot be looked up.")
    elif jti is not None and kid is not None and jti != kid:
        warnings.append("The key's id (jti) differs from its header's key id (kid).")
    if sub_type != EXPECTED_SUB_TYPE:
        if sub_type:
            warnings.append(f"The key is for a subject of type {_shown(sub_type)}, not a user.")
        else:
            warnings.append("The key does not say what kind of subject it is for (subType).")
    if tenant_id is None:
        warnings.append("The key does not name its tenant (tenantId).")
    if subject is None:
        warnings.append("The key does not name its user (sub).")

    return KeyInfo(
        key_id=jti if jti is not None else kid,
        tenant_id=tenant_id,
        subject=subject,
        sub_type=sub_type,
        alg=alg,
        aud=aud,
        iss=iss,
        warnings=tuple(warnings),
    )


# -- encoding (fake keys) ------------------------------------------------------------------


def _without_none(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if value is not None}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(claims: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
