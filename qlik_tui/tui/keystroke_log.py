"""Textual can record every key press (and so a pasted key) outside this process: when it is
set up to, say so on stderr before the app starts and again inside it."""

from __future__ import annotations

import os
from typing import TextIO

IN_APP_TITLE = "Keystrokes are being logged"
IN_APP_WARNING = "{what}, which would include a pasted API key. Unset it before pasting a key."
STDERR_WARNING = "qlik-tui: warning: {what}. Unset it before pasting a key."


def keystroke_logging() -> str | None:
    """Why key presses may be recorded outside this process, if they are."""
    path = os.environ.get("TEXTUAL_LOG")
    if path:
        return f"TEXTUAL_LOG is set: Textual writes every key press and message to {path}"
    if "devtools" in os.environ.get("TEXTUAL", "").split(","):
        return "TEXTUAL=devtools is set: every key press and message goes to the Textual console"
    return None


def warn_about_textual_log(stream: TextIO) -> bool:
    """Print the warning to ``stream`` when keystrokes are logged; True if it did."""
    what = keystroke_logging()
    if what is None:
        return False
    print(STDERR_WARNING.format(what=what), file=stream, flush=True)
    return True


def in_app_warning() -> str | None:
    """The notification text, or None when nothing is logged."""
    what = keystroke_logging()
    return None if what is None else IN_APP_WARNING.format(what=what)
