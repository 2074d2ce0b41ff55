"""Tenant-supplied text made safe for a terminal line: control characters are shown escaped."""

from __future__ import annotations


def printable(text: str | None, limit: int = 200) -> str:
    """``text`` on one line, every non-printable character (ESC, newlines, bidi controls)
    written as its escape, cut at ``limit`` characters."""
    if not text:
        return ""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
