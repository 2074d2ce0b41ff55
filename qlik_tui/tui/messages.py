"""Messages the workers post back to their screen. Workers do nothing else.

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
    from qlik_tui.services.key_admin import KeyListing, Revocation
    from qlik_tui.services.rotation import RotationResult, StepEvent
    from qlik_tui.services.verify import VerifyReport
    from qlik_tui.store.profiles import Profile


@dataclass(repr=False, eq=False)  # Textual's repr (no fields) and identity
class LiveTestFinished(Message):
    """``verify_key`` returned (every outcome, success or failure, is in the report)."""

    report: VerifyReport


@dataclass(repr=False, eq=False)
class StoresLookedUp(Message):
    """Where a key can go (looked up in a thread: the keyring may block): the OS keyring
    ``backend`` when it is usable, else ``keyring_problem`` says why not."""

    backend: str | None
    insecure_notice: str | None
    keyring_problem: str | None


@dataclass(repr=False, eq=False)
class KeyStored(Message):
    profile: Profile
    where: str  # the store, described for people
    # After a move between stores: the old copy was removed, or (warning) it stayed.
    move_note: str | None = None
    move_warning: str | None = None


@dataclass(repr=False, eq=False)
class StoreFailed(Message):
    """The keyring or the profiles file refused; ``problem`` and ``fix`` are user-facing."""

    problem: str
    fix: str
    backend: str = ""  # "" when not even the backend could be opened
    key_in_keyring: bool = field(default=False, kw_only=True)  # the profile alone failed
    # The chosen store cannot be used at all here (no keyring, a locked file): retrying the
    # same store will not help, another store will.
    store_unusable: bool = field(default=False, kw_only=True)


@dataclass(repr=False, eq=False)
class RescueWritten(Message):
    path: Path


@dataclass(repr=False, eq=False)
class RescueFailed(Message):
    reason: str


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


# -- renewing and the tenant's keys ----------------------------------------------------------


@dataclass(repr=False, eq=False)
class RenewStep(Message):
    """A step of a renewal started or ended (the event names key ids, never a key)."""

    event: StepEvent


@dataclass(repr=False, eq=False)
class RenewFinished(Message):
    """The rotation service returned: what was renewed, cleaned up or left behind."""

    result: RotationResult


@dataclass(repr=False, eq=False)
class KeysListed(Message):
    """The tenant's keys, as the profile's key may see them; ``stored_id`` is that key's id."""

    listing: KeyListing
    stored_id: str | None
    # key id -> the other profiles (on this tenant) that store it: named before a revoke
    held_by: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(repr=False, eq=False)
class KeysUnavailable(Message):
    """The keys could not be listed; ``problem`` and ``fix`` are user-facing."""

    problem: str
    fix: str


@dataclass(repr=False, eq=False)
class KeyRevokeFinished(Message):
    """The revoke service returned for one key."""

    revocation: Revocation
