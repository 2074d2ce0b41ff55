"""Profile names: what can name a profile, and how a name goes into a message.

CONTRACT:
    validate_profile_name(name) -> str       # raises InvalidProfile with a user-facing sentence
    looks_like_key(text) -> bool             # a JWT, or the start of one
    quoted_name(name) -> str                 # for messages; a key-like name is never echoed
A name is checked on the way in: printable (no control, invisible, bidi, surrogate or
private-use characters), at most ``MAX_NAME_CHARS`` characters, no surrounding spaces, not
key-like. Names already in a profiles file are read with the checks they were written under.
"""

from __future__ import annotations

import json
import re
import unicodedata

MAX_NAME_CHARS = 100

# A JSON Web Token: base64url header that starts with '{"' (eyJ), payload, optional signature.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A key's header alone (base64url of '{"alg"...' and more): a truncated paste is still a key.
JWT_HEADER = re.compile(r"eyJ[A-Za-z0-9_-]{16,}")
# Controls, format (invisible, bidi), surrogates, private use, line/paragraph breaks.
_FORBIDDEN_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_FORBIDDEN_STORED_NAME_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class InvalidProfile(ValueError):
    """A profile (or name) that must not be written. ``str(err)`` is a user-facing sentence."""


def validate_profile_name(name: object) -> str:
    """Return ``name`` if it can name a profile, else raise ``InvalidProfile`` saying why."""
    if not isinstance(name, str):
        raise InvalidProfile("A profile name must be text.")
    problem = name_problem(name)
    if problem is not None:
        raise InvalidProfile(problem)
    return name


def name_problem(name: str, *, incoming: bool = True) -> str | None:
    """Why ``name`` cannot name a profile, or None. ``incoming=False`` (a name already in the
    file) skips the checks added after files were written, so such a file still loads."""
    # Key-like first: every later message quotes the name, and a key must never be echoed.
    if JWT.search(name) or (incoming and looks_like_key(name)):
        return (
            "That profile name looks like an API key, so it was not used (and is not shown). "
            "Pick a short name such as 'work'."
        )
    if not name.strip():
        return "A profile name cannot be empty."
    if len(name) > MAX_NAME_CHARS:
        return f"A profile name can have at most {MAX_NAME_CHARS} characters, not {len(name)}."
    forbidden = _FORBIDDEN_NAME_CATEGORIES if incoming else _FORBIDDEN_STORED_NAME_CATEGORIES
    if any(unicodedata.category(char) in forbidden for char in name):
        return (
            f"The profile name {quoted(name)} contains control, invisible or unprintable "
            "characters; use letters, digits, spaces and punctuation."
        )
    if name != name.strip():
        return f"The profile name {quoted(name)} starts or ends with a space."
    return None


def looks_like_key(text: str) -> bool:
    """True for text holding a JWT, or the start of one (a header long enough to be a key's)."""
    return bool(JWT.search(text) or JWT_HEADER.search(text))


def quoted_name(name: str) -> str:
    """A profile name for a message: quoted, control characters escaped, and a key-like name
    replaced by a placeholder so that a key typed where a name belongs is never echoed."""
    if looks_like_key(name):
        return "(a name that looks like an API key, not shown)"
    return quoted(name)


def quoted(name: str) -> str:
    """A name for a message, with control characters escaped (json.dumps escapes them)."""
    return json.dumps(name[:MAX_NAME_CHARS] + ("…" if len(name) > MAX_NAME_CHARS else ""))
