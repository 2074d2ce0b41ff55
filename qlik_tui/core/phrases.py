"""Small text helpers for messages built from parts: joining a heading and its detail, and
showing a string we did not write without any control character in it."""

from __future__ import annotations

import unicodedata

_SENTENCE_ENDS = (".", "!", "?", ":", ";", "\u2026")
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def join_heading(head: str, detail: str) -> str:
    """ "Title: detail", or "Title. Detail" when the title already ends a sentence (never
    "reached.: You need")."""
    head = head.rstrip()
    if head.endswith(_SENTENCE_ENDS):
        return f"{head} {detail.lstrip()}"
    return f"{head}: {detail.lstrip()}"


def neutral_text(text: str, *, limit: int = 200) -> str:
    """``text`` with every control, format and bidi character shown as an escape (``\\x1b``,
    ``\\u202e``), cut to ``limit`` characters: safe to print, never a terminal command."""
    shown: list[str] = []
    for char in text:
        code = ord(char)
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            shown.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            shown.append(char)
    result = "".join(shown)
    return result if len(result) <= limit else result[: limit - 1] + "\u2026"
