"""The live test screen's modes, shared by the live test and storing (one enum for both)."""

from __future__ import annotations

from enum import Enum


class LiveTestMode(str, Enum):
    """What the screen shows."""

    RUNNING = "running"  # the live test's request is out: spinner
    RESULT = "result"  # the test's result (and, after a pass, the store form)
    STORING = "storing"  # spinner
    STORE_FAILED = "store-failed"  # the storing-failed panel
    WRITING = "writing"  # the key goes to a file: spinner above the storing-failed panel

    @property
    def busy(self) -> bool:
        return self in (LiveTestMode.RUNNING, LiveTestMode.STORING, LiveTestMode.WRITING)
