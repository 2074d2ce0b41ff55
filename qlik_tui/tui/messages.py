"""Messages the workers post back to their screen. Workers do nothing else.

None of these carries the key; reprs show only what the screen needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from qlik_tui.services.verify import VerifyReport
    from qlik_tui.store.profiles import Profile


class LiveTestFinished(Message):
    """``verify_key`` returned (every outcome, success or failure, is in the report)."""

    def __init__(self, report: VerifyReport) -> None:
        super().__init__()
        self.report = report


class KeyringFound(Message):
    """The OS keyring backend the key would go to (looked up in a thread: it may block)."""

    def __init__(self, name: str, insecure_notice: str | None) -> None:
        super().__init__()
        self.name = name
        self.insecure_notice = insecure_notice


class KeyStored(Message):
    def __init__(self, profile: Profile, where: str) -> None:
        super().__init__()
        self.profile = profile
        self.where = where  # the keyring, described for people


class StoreFailed(Message):
    """The keyring or the profiles file refused; ``problem`` and ``fix`` are user-facing."""

    def __init__(
        self, problem: str, fix: str, backend: str = "", *, key_in_keyring: bool = False
    ) -> None:
        super().__init__()
        self.problem = problem
        self.fix = fix
        self.backend = backend  # "" when not even the backend could be opened
        self.key_in_keyring = key_in_keyring  # the keyring took it, the profiles file did not


class RescueWritten(Message):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class RescueFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class WorkerCrashed(Message):
    """A worker raised something unexpected: a bug, reported without details or the key."""

    def __init__(self, group: str, description: str, error_type: str) -> None:
        super().__init__()
        self.group = group
        self.description = description
        self.error_type = error_type


class WorkerCancelled(Message):
    def __init__(self, group: str) -> None:
        super().__init__()
        self.group = group


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


# -- the dashboard (issue #5) --------------------------------------------------------------------

if TYPE_CHECKING:
    from qlik_tui.services.check import CheckResult


class ProfilesLoaded(Message):
    """The profiles file was read (in a thread: its lock can make the read wait)."""

    def __init__(self, profiles: list[Profile]) -> None:
        super().__init__()
        self.profiles = profiles


class ProfilesUnreadable(Message):
    """The profiles file is broken or cannot be read: what ``ProfilesFileError`` said."""

    def __init__(self, path: Path, problem: str, backup: Path | None, fix: str) -> None:
        super().__init__()
        self.path = path
        self.problem = problem
        self.backup = backup
        self.fix = fix


class RecheckStarted(Message):
    """The re-check of one profile began (its request is about to go out)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class RecheckResult(Message):
    """One profile was re-checked; ``result.profile`` is its metadata as saved afterwards."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__()
        self.result = result


class RecheckFinished(Message):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class ProfileForgotten(Message):
    def __init__(self, name: str, key_removed: bool, metadata_removed: bool) -> None:
        super().__init__()
        self.name = name
        self.key_removed = key_removed  # False: the keyring held no key for it
        self.metadata_removed = metadata_removed


class ForgetFailed(Message):
    """The keyring or the profiles file refused; ``problem`` and ``fix`` are user-facing."""

    def __init__(self, name: str, problem: str, fix: str, *, key_removed: bool = False) -> None:
        super().__init__()
        self.name = name
        self.problem = problem
        self.fix = fix
        self.key_removed = key_removed  # the key is gone, only the metadata stayed
