"""Messages several screens share: a worker's end (crash or cancel). A message one screen or
widget posts is nested in its class (Textual's convention). Workers do
nothing but post messages. Each dataclass here is made when the Welcome is imported, before its
first frame (~0.1 ms each): only what the Welcome needs.

None of these carries the key. Their reprs are Textual's, which show no fields: a message is
logged under TEXTUAL_LOG, and tenant data has no business there either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.message_pump import MessagePump


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
