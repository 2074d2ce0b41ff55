"""Joining the parts of a message as sentences."""

from __future__ import annotations

_SENTENCE_ENDS = (".", "!", "?", ":", ";", "\u2026")


def join_heading(head: str, detail: str) -> str:
    """ "Title: detail", or "Title. Detail" when the title already ends a sentence (never
    "reached.: You need")."""
    head = head.rstrip()
    if head.endswith(_SENTENCE_ENDS):
        return f"{head} {detail.lstrip()}"
    return f"{head}: {detail.lstrip()}"
