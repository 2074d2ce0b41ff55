"""Start the TUI from the CLI: crash hooks, the keystroke-log warning, the app's exit code.

``launch(services, *, start="auto"|"setup"|"dashboard", sandbox=None) -> exit code``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from qlik_tui.tui.crash import install_crash_hooks
from qlik_tui.tui.keystroke_log import warn_about_textual_log

if TYPE_CHECKING:
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.tui.app import QlikTuiApp


def launch(services: Services, *, start: str = "auto", sandbox: SandboxTenant | None = None) -> int:
    install_crash_hooks()
    warn_about_textual_log(sys.stderr)
    # Deferred: Textual loads after the crash hooks are in place and the warning is printed.
    from qlik_tui.tui.app import QlikTuiApp

    return run_app(QlikTuiApp(services, start=start, sandbox=sandbox))


def run_app(app: QlikTuiApp, **run_options: Any) -> int:
    """Run the app; its return code is 1 after a crash (Textual sets it)."""
    result = app.run(**run_options)
    if app.return_code:
        return app.return_code
    return result if isinstance(result, int) else 0
