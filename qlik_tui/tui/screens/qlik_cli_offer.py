"""The Welcome screen's offer to import qlik-cli's keys: found without delaying the first paint.

Light on purpose (the Welcome imports it): the import screen itself is imported when chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message
from textual.screen import Screen


class QlikCliKeysFound(Message):
    """qlik-cli's contexts file holds ``count`` (> 0) API-key contexts."""

    def __init__(self, path: Path, count: int) -> None:
        super().__init__()
        self.path = path
        self.count = count


def offer_label(count: int) -> str:
    return f"Import {count} key{'' if count == 1 else 's'} from qlik-cli"


def look_for_qlik_cli_keys(screen: Screen[Any]) -> None:
    """Post ``QlikCliKeysFound`` to ``screen`` when qlik-cli's file holds API keys.

    The file is looked for here (a couple of stat calls) and read in a thread, only when it
    exists: the first screen never waits for it, and without qlik-cli nothing runs at all."""
    from qlik_tui.core.qlik_cli_location import existing_contexts_file

    path = existing_contexts_file()
    if path is None:
        return

    def count() -> None:
        from qlik_tui.core.qlik_cli_contexts import ContextsFileError, read_contexts_file

        try:
            found = len(read_contexts_file(path).importable)
        except ContextsFileError:
            return  # the import screen explains a broken file; the offer just stays away
        if found:
            screen.post_message(QlikCliKeysFound(path, found))

    screen.run_worker(
        count, thread=True, group="qlik-cli-offer", description="Counting qlik-cli's keys"
    )
