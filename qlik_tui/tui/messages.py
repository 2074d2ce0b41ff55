"""Messages several screens share: a worker's end (crash or cancel), and, until those screens
nest their own, the dashboard's and the Welcome's. A message one screen or widget posts is
nested in its class (Textual's convention). Workers do nothing but post messages.

None of these carries the key. Their reprs are Textual's, which show no fields: a message is
logged under TEXTUAL_LOG, and tenant data has no business there either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from qlik_tui.services.check import CheckResult
    from qlik_tui.store.profiles import Profile


@dataclass(repr=False, eq=False)
class WorkerCrashed(Message):
    """A worker raised something unexpected: a bug, reported without details or the key."""

    group: str
    description: str
    error_type: str


@dataclass(repr=False, eq=False)
class WorkerCancelled(Message):
    group: str


class ReportsWorkerEnds:
    """Screen mixin: the one place a worker's crash or cancellation becomes a message
    (``WorkerCrashed`` / ``WorkerCancelled``) that the screen handles like any other."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        post = cast("MessagePump", self).post_message
        if event.state == WorkerState.ERROR:
            error = worker.error
            error_type = type(error).__name__ if error is not None else "error"
            post(WorkerCrashed(worker.group, worker.description, error_type))
        elif event.state == WorkerState.CANCELLED:
            post(WorkerCancelled(worker.group))


# -- stored profiles -----------------------------------------------------------------------------


@dataclass(repr=False, eq=False)
class ProfilesFound(Message):
    """Whether any profile is stored (read in a thread: the file's lock can make a read wait)."""

    found: bool


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
