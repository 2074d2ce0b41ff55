"""OAuth machine-to-machine clients: the client secret, access tokens, the token answer.

CONTRACT:
    ClientSecret(text)                       # the secret; repr hides it; reveal() gives it
    AccessToken(text, expires_at, scope)     # a minted bearer; repr hides it (both: core.hidden)
    normalise_client_id(text) -> str        # strips; raises ClientIdRefused for a secret-like value
    parse_client_secret(text) -> ClientSecret  # a paste normalised; raises ClientSecretRefused
    parse_token_answer(obj, now) -> AccessToken   # the 200 answer of POST /oauth/token
    token_refusal(status, body, secret) -> QlikError  # either error shape, mapped to its row

Error shapes of ``POST /oauth/token``, both read and neither trusted (``@qlik/api`` reads an
``errors`` array from it; RFC 6749 servers answer ``{"error", "error_description"}``): codes
are compared, never shown raw; descriptions are neutralised, cut, and any copy of the secret
is blanked before anything keeps them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from qlik_tui.core import errors
from qlik_tui.core.hidden import DEFAULT_SCOPE as DEFAULT_SCOPE  # re-exported
from qlik_tui.core.hidden import AccessToken as AccessToken  # re-exported
from qlik_tui.core.hidden import ClientSecret as ClientSecret  # re-exported
from qlik_tui.core.kinds import OutcomeKind
from qlik_tui.core.untrusted import looks_like_key, neutralise

_MAX_LIFETIME_S = 7 * 24 * 3600  # Qlik allows at most 1440 minutes; beyond a week is nonsense
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]{16,8192}$")  # printable ASCII, no spaces
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_SECRET_LIKE = re.compile(r"^[0-9a-fA-F]{48,}$|^[A-Za-z0-9_-]{40,}$")  # long random runs
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}")


class ClientIdRefused(ValueError):
    """What was given as a client id looks like a secret or a key: refused without echoing."""


def looks_like_client_secret(text: str) -> bool:
    """A long random run that is not shaped like a client ID: what a secret looks like."""
    value = text.strip()
    return bool(_SECRET_LIKE.match(value)) and not _is_hex_client_id(value)


def normalise_client_id(text: str) -> str:
    """The client id as typed, stripped; a secret- or key-like value is refused unseen."""
    value = text.strip()
    if _JWT_LIKE.search(value) or (_SECRET_LIKE.match(value) and not _is_hex_client_id(value)):
        raise ClientIdRefused(
            "That looks like a client secret or an API key, not a client ID: it was not used, "
            "stored or sent. Paste the client ID (the shorter value shown above the secret)."
        )
    if not _CLIENT_ID.match(value):
        raise ClientIdRefused(
            "A client ID is 8 to 128 letters, digits, dots, dashes, underscores or colons."
        )
    return value


MAX_SECRET_CHARS = 1024  # Qlik's secrets are 64 characters; far more is not one secret
_SECRET_QUOTES = "'\"`\u2018\u2019\u201c\u201d\u00ab\u00bb"
_SECRET_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_SECRET_LABEL = re.compile(r"^[\"']?client[ _-]?secret[\"']?\s*[:=]\s*", re.IGNORECASE)
_SECRET_CHARS = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


class ClientSecretRefused(ValueError):
    """What was pasted as a client secret is not one; ``str()`` says why, never the text."""


def parse_client_secret(text: str) -> ClientSecret:
    """A pasted client secret, normalised as a pasted key is: whitespace and invisible
    characters around it, quotes, a ``client_secret:`` label and a trailing comma or semicolon
    come off. Refused (without echoing it): empty, several words, too long, an API key."""
    value = text.strip().strip(_SECRET_INVISIBLE).strip()
    value = _SECRET_LABEL.sub("", value, count=1)
    value = value.strip().strip(_SECRET_QUOTES + _SECRET_INVISIBLE + ",;").strip()
    problem: str | None = None
    if not value:
        problem = "The secret field is empty: paste the client secret Qlik showed once."
    elif len(value) > MAX_SECRET_CHARS:
        problem = (
            f"That paste is {len(value)} characters long, far too long for a client secret. "
            "Paste only the secret."
        )
    elif looks_like_key(value):
        problem = (
            "That is an API key, not a client secret: it was not used. Store a key with "
            "Start setup on the Welcome; here, paste the client's secret."
        )
    elif not _SECRET_CHARS.match(value):
        problem = (
            "That paste holds spaces, line breaks or characters no client secret has: paste "
            "only the secret (one word)."
        )
    if problem is not None:
        raise ClientSecretRefused(problem)
    return ClientSecret(value)


def _is_hex_client_id(value: str) -> bool:
    """Qlik's client ids are 32 hexadecimal characters: those are ids, not secrets."""
    return len(value) == 32 and all(c in "0123456789abcdefABCDEF" for c in value)


def parse_token_answer(obj: object, now: datetime) -> AccessToken:
    """The 200 answer of ``POST /oauth/token``; MalformedResponse without a usable token."""
    if not isinstance(obj, dict):
        raise errors.MalformedResponse("the token answer is not a JSON object")
    text = obj.get("access_token")
    if not isinstance(text, str) or not _TOKEN_CHARS.match(text):
        raise errors.MalformedResponse("the token answer has no usable access_token")
    token_type = obj.get("token_type")
    if isinstance(token_type, str) and token_type.lower() != "bearer":
        raise errors.MalformedResponse("the token answer is not a bearer token")
    lifetime = obj.get("expires_in")
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)
    expires_at: datetime | None = None
    if (
        isinstance(lifetime, int)
        and not isinstance(lifetime, bool)
        and 0 < lifetime <= _MAX_LIFETIME_S
    ):
        expires_at = now + timedelta(seconds=lifetime)
    scope = obj.get("scope")
    return AccessToken(
        text, expires_at, neutralise(scope)[:200] if isinstance(scope, str) else None
    )


@dataclass(frozen=True)
class TokenErrorBody:
    """What a refusal of ``POST /oauth/token`` said, in either shape (``errors.ErrorBody``)."""

    codes: tuple[str, ...]  # lower-cased: ``error``, and each ``errors[].code`` / ``title``
    description: str | None  # neutralised, cut, the secret blanked

    @property
    def summary(self) -> str | None:
        return self.description


def read_token_error(body: bytes, secret: ClientSecret | None) -> TokenErrorBody | None:
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError, TypeError):
        return None
    if not isinstance(obj, dict):
        return None
    codes: list[str] = []
    texts: list[str] = []
    if isinstance(obj.get("error"), str):
        codes.append(obj["error"])
        if isinstance(obj.get("error_description"), str):
            texts.append(obj["error_description"])
    items = obj.get("errors")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        for name in ("code", "title"):
            if isinstance(item.get(name), str):
                codes.append(item[name])
        if isinstance(item.get("detail"), str):
            texts.append(item["detail"])
        elif isinstance(item.get("title"), str):
            texts.append(item["title"])
    if not codes and not texts:
        return None
    description = _blank_secret(" ".join(texts), secret) if texts else None
    return TokenErrorBody(
        codes=tuple(c.strip().lower()[:64] for c in codes),
        description=neutralise(description)[:300] if description else None,
    )


def _blank_secret(text: str, secret: ClientSecret | None) -> str:
    value = secret.reveal() if secret is not None else ""
    if len(value) >= 4:
        text = text.replace(value, "<secret>")
    return text


_GONE_WORDS = ("disabled", "deleted", "not found", "unknown client", "does not exist", "no such")


class ClientSecretRejected(errors.KeyRejected):
    kind = OutcomeKind.OAUTH_SECRET_REJECTED


class ClientUnavailable(errors.KeyRejected):
    kind = OutcomeKind.OAUTH_CLIENT_UNAVAILABLE


class M2MNotEnabled(errors.StatusError):
    kind = OutcomeKind.OAUTH_M2M_NOT_ENABLED


class ConsentNotTrusted(errors.StatusError):
    kind = OutcomeKind.OAUTH_CONSENT_NOT_TRUSTED


class ScopeNotAllowed(errors.StatusError):
    kind = OutcomeKind.OAUTH_SCOPE_NOT_ALLOWED


def token_refusal(status: int, body: bytes, secret: ClientSecret | None) -> errors.QlikError:
    """The exception for a refused token request: its codes decide, its words only explain."""
    said = read_token_error(body, secret)
    codes = set(said.codes) if said is not None else set()
    words = (said.description or "").lower() if said is not None else ""
    if "invalid_scope" in codes:
        return ScopeNotAllowed(status, said)
    if codes & {"unauthorized_client", "unsupported_grant_type"}:
        return M2MNotEnabled(status, said)
    if codes & {"consent_required", "interaction_required"} or "consent" in words:
        return ConsentNotTrusted(status, said)
    if "invalid_client" in codes or status == 401:
        if any(word in words for word in _GONE_WORDS):
            return ClientUnavailable(status, said)
        return ClientSecretRejected(status, said)
    if status == 403:
        return errors.Forbidden(status, said)
    if status == 404:
        return errors.NotFound(status, said)
    if status >= 500:
        return errors.ServerError(status, said)
    return errors.StatusError(status, said)


@dataclass(frozen=True)
class SecretHint:
    hint: str
    created_at: str | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class OAuthClientRecord:
    """``GET /api/v1/oauth-clients/{id}`` as a TenantAdmin reads it (what qlik-tui uses)."""

    client_id: str
    client_name: str | None
    secrets: tuple[SecretHint, ...]
    allowed_scopes: tuple[str, ...] = ()
    consent_method: str | None = None
    disabled: bool = False

    @classmethod
    def from_json(cls, obj: object) -> OAuthClientRecord:
        if not isinstance(obj, dict):
            raise errors.MalformedResponse("OAuth client: expected a JSON object")
        client_id = obj.get("clientId")
        if not isinstance(client_id, str) or not client_id:
            raise errors.MalformedResponse("OAuth client: missing or invalid field 'clientId'")
        hints: list[SecretHint] = []
        raw = obj.get("clientSecrets")
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, dict) and isinstance(item.get("hint"), str) and item["hint"]:
                hints.append(
                    SecretHint(
                        neutralise(item["hint"])[:64],
                        _text(item.get("createdAt")),
                        _text(item.get("createdBy")),
                    )
                )
        scopes = obj.get("allowedScopes")
        config = obj.get("connectionConfig")
        consent = config.get("consentMethod") if isinstance(config, dict) else None
        return cls(
            client_id=neutralise(client_id)[:128],
            client_name=_text(obj.get("clientName")),
            secrets=tuple(hints),
            allowed_scopes=tuple(
                neutralise(s)[:64]
                for s in (scopes if isinstance(scopes, list) else [])
                if isinstance(s, str)
            ),
            consent_method=_text(consent),
            disabled=bool(obj.get("disableTag")),
        )


@dataclass(frozen=True)
class CreatedClientSecret:
    """The 201 answer of ``POST .../client-secrets``: the new secret (shown once) and its hint."""

    client_id: str
    secret: ClientSecret
    hint: str
    created_at: str | None = None

    @classmethod
    def from_json(cls, obj: object) -> CreatedClientSecret:
        if not isinstance(obj, dict):
            raise errors.MalformedResponse("new client secret: expected a JSON object")
        value, hint = obj.get("clientSecret"), obj.get("hint")
        if not isinstance(value, str) or not _TOKEN_CHARS.match(value):
            raise errors.MalformedResponse("the new client secret's answer holds no usable secret")
        if not isinstance(hint, str) or not hint:
            raise errors.MalformedResponse("the new client secret's answer has no hint")
        client_id = obj.get("clientId")
        return cls(
            client_id=neutralise(client_id)[:128] if isinstance(client_id, str) else "",
            secret=ClientSecret(value),
            hint=neutralise(hint)[:64],
            created_at=_text(obj.get("createdAt")),
        )


def _text(value: object) -> str | None:
    return neutralise(value)[:200] if isinstance(value, str) else None
