"""Start the TUI from the CLI: crash handling and start-up warnings live here.

CONTRACT: launch(services, *, start="auto"|"setup"|"dashboard", sandbox=None) -> exit code.
Imports Textual only when called.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.tui.app import QlikTuiApp

TEXTUAL_LOG_STDERR = "qlik-tui: warning: {what}. Unset it before pasting a key."


def keystroke_logging() -> str | None:
    """Why key presses (and so a pasted key) may be recorded outside this process, if so."""
    path = os.environ.get("TEXTUAL_LOG")
    if path:
        return f"TEXTUAL_LOG is set: Textual writes every key press and message to {path}"
    if "devtools" in os.environ.get("TEXTUAL", "").split(","):
        return "TEXTUAL=devtools is set: every key press and message goes to the Textual console"
    return None


def launch(services: Services, *, start: str = "auto", sandbox: SandboxTenant | None = None) -> int:
    from qlik_tui.tui.crash import install_crash_hooks

    install_crash_hooks()
    warn_about_textual_log(sys.stderr)
    from qlik_tui.tui.app import QlikTuiApp

    return run_app(QlikTuiApp(services, start=start, sandbox=sandbox))


def warn_about_textual_log(stream: TextIO) -> bool:
    what = keystroke_logging()
    if what is None:
        return False
    print(TEXTUAL_LOG_STDERR.format(what=what), file=stream, flush=True)
    return True


def run_app(app: QlikTuiApp, **run_options: Any) -> int:
    """Run the app; its return code is 1 after a crash (see ``QlikTuiApp._handle_exception``)."""
    result = app.run(**run_options)
    if app.return_code:
        return app.return_code
    return result if isinstance(result, int) else 0
