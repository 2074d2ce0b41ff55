"""The secrets of an OAuth client held hidden: its secret and the access tokens minted with it.

Apart from ``core.oauth`` (which re-exports both) so that ``exec`` and ``token`` handing out a
cached access token load neither the token answer's parsers nor their records (~20 M
instructions of a ~700 M run), nor ``check`` of an API key's profile (with the HTTP client).

CONTRACT:
    ClientSecret(text)                       # the secret; repr hides it; reveal() gives it
    AccessToken(text, expires_at, scope)     # a minted bearer; repr hides it
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, NoReturn

DEFAULT_SCOPE = "user_default"  # what a token is minted for unless asked otherwise


class _Hidden:
    """Holds a secret string; never shows it. Not picklable, not hashable by value."""

    __slots__ = ("_text",)
    _text: str
    _what = "secret"

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "_text", text)

    def reveal(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<hidden, {len(self._text)} chars>)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Hidden)
        return hmac.compare_digest(self._text.encode(), other._text.encode())

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} cannot be pickled: it must never be written out")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} cannot be pickled: it must never be written out")


class ClientSecret(_Hidden):
    """An OAuth client's secret."""

    __slots__ = ()


class AccessToken(_Hidden):
    """A minted access token, with what the token endpoint said of it."""

    __slots__ = ("expires_at", "scope")
    expires_at: datetime | None  # None: the answer had no usable expires_in
    scope: str | None

    def __init__(
        self, text: str, expires_at: datetime | None = None, scope: str | None = None
    ) -> None:
        super().__init__(text)
        object.__setattr__(self, "expires_at", expires_at)
        object.__setattr__(self, "scope", scope)

    def __repr__(self) -> str:
        expiry = self.expires_at.isoformat() if self.expires_at else None
        return f"AccessToken(<hidden, {len(self._text)} chars>, expires_at={expiry!r})"

    __str__ = __repr__

    def seconds_left(self, now: datetime) -> float | None:
        return None if self.expires_at is None else (self.expires_at - now).total_seconds()
