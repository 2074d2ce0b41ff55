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

import unicodedata

from qlik_tui.core.untrusted import JWT as JWT
from qlik_tui.core.untrusted import echoed
from qlik_tui.core.untrusted import looks_like_key as looks_like_key
from qlik_tui.core.untrusted import quoted as _quoted_text

MAX_NAME_CHARS = 100

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
    # Printable ASCII is in none of those categories: the usual name needs no lookup per
    # character (reading a profiles file checks every name in it).
    plain = name.isascii() and name.isprintable()
    if not plain and any(unicodedata.category(char) in forbidden for char in name):
        return (
            f"The profile name {quoted(name)} contains control, invisible or unprintable "
            "characters; use letters, digits, spaces and punctuation."
        )
    if name != name.strip():
        return f"The profile name {quoted(name)} starts or ends with a space."
    return None


def quoted_name(name: str) -> str:
    """A profile name for a message: quoted, control characters escaped, and a key-like name
    replaced by a placeholder so that a key typed where a name belongs is never echoed."""
    return echoed(name, what="name", limit=MAX_NAME_CHARS)


def quoted(name: str) -> str:
    """A name for a message, neutralised (``qlik_tui.core.untrusted``) and in double quotes."""
    return _quoted_text(name, MAX_NAME_CHARS)
