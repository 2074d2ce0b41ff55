"""Untrusted text made safe to show: tenant answers, a key's claims, files we did not just write,
and what the user typed when a message repeats it.

CONTRACT:
    neutralise(text, limit=MAX_DATA_CHARS) -> str   # a data string, once, where it enters
    neutralise_optional(text) -> str | None         # the same; None stays None
    echoed(text, what="value") -> str               # a user-supplied string quoted for a message
    looks_like_key(text) -> bool                    # a JWT, or the start of one

Visible form: every character that is not printable (``str.isprintable``: C0 and C1 controls,
ESC, DEL, bidi overrides, embeddings, isolates and marks, zero-width and other invisible format
characters, line and paragraph separators, spaces other than the ASCII space, lone surrogates,
private-use and unassigned code points) is replaced by its Python escape text:
``\\x1b``, ``\\x9b``, ``\\x7f``, ``\\u202e``, and ``\\n``, ``\\r``, ``\\t``. The result is
printable and holds no control character, so no terminal acts on it and ``--json`` output
carries none either; a backslash in the data is kept as it is (the form is for reading, not
for decoding back). Values longer than ``limit`` characters (after escaping) are cut to
``limit`` with a final ``…``.
``neutralise`` is idempotent: text that went through it passes through again unchanged.

Markup is not this module's concern: the TUI never parses a data string as markup.
"""

from __future__ import annotations

import re

MAX_DATA_CHARS = 300  # a name, an id, an error sentence; nothing a tenant sends needs more
MAX_ECHO_CHARS = 100
ELLIPSIS = "…"

# A JSON Web Token: base64url header that starts with '{"' (eyJ), payload, optional signature.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A key's header alone (base64url of '{"alg"...' and more): a truncated paste is still a key.
JWT_HEADER = re.compile(r"eyJ[A-Za-z0-9_-]{16,}")


def neutralise(text: str, limit: int = MAX_DATA_CHARS) -> str:
    """``text`` with every unprintable character in its visible escape form, cut to ``limit``."""
    if text.isprintable():
        escaped = text
    else:
        escaped = "".join(char if char.isprintable() else _escape(char) for char in text)
    if len(escaped) > limit:
        escaped = escaped[: max(limit - 1, 0)] + ELLIPSIS
    return escaped


def neutralise_optional(text: str | None, limit: int = MAX_DATA_CHARS) -> str | None:
    return None if text is None else neutralise(text, limit)


def echoed(text: str, what: str = "value", limit: int = MAX_ECHO_CHARS) -> str:
    """A user-supplied string for a message: quoted and neutralised; a key-like string is
    replaced by a placeholder naming ``what`` it was, so that a key typed where a name belongs
    is never repeated."""
    if looks_like_key(text):
        return f"(a {what} that looks like an API key, not shown)"
    return quoted(text, limit)


def quoted(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` neutralised, in double quotes (for a value already known not to be a key)."""
    return '"' + neutralise(text, limit) + '"'


def looks_like_key(text: str) -> bool:
    """True for text holding a JWT, or the start of one (a header long enough to be a key's)."""
    return bool(JWT.search(text) or JWT_HEADER.search(text))


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
