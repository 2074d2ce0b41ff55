"""The dashboard's messages: the profiles file read, each profile re-checked, one forgotten.

Until the dashboard nests them (Textual's convention), here rather than in ``tui/messages.py``,
which the Welcome imports before its first frame. None of these carries a key; their reprs are
Textual's, which show no fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from qlik_tui.services.check import CheckResult
    from qlik_tui.store.profiles import Profile


@dataclass(repr=False, eq=False)
class ProfilesLoaded(Message):
    """The profiles file was read (in a thread: its lock can make the read wait)."""

    profiles: list[Profile]


@dataclass(repr=False, eq=False)
class ProfilesUnreadable(Message):
    """The profiles file is broken or cannot be read: what ``ProfilesFileError`` said."""

    path: Path
    problem: str
    backup: Path | None
    fix: str


@dataclass(repr=False, eq=False)
class RecheckStarted(Message):
    """The re-check of one profile began (its request is about to go out)."""

    name: str


@dataclass(repr=False, eq=False)
class RecheckResult(Message):
    """One profile was re-checked; ``result.profile`` is its metadata as saved afterwards."""

    result: CheckResult


@dataclass(repr=False, eq=False)
class RecheckFinished(Message):
    count: int


@dataclass(repr=False, eq=False)
class ProfileForgotten(Message):
    name: str
    key_removed: bool  # False: the keyring held no key for it
    metadata_removed: bool


@dataclass(repr=False, eq=False)
class ForgetFailed(Message):
    """The keyring or the profiles file refused; ``problem`` and ``fix`` are user-facing."""

    name: str
    problem: str
    fix: str
    key_removed: bool = field(default=False, kw_only=True)  # the key is gone, the metadata not
