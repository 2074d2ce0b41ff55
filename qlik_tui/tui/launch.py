"""Start the TUI from the CLI: crash hooks, the keystroke-log warning, the app's exit code.

``launch(services, *, start=StartWith.AUTO, sandbox=None) -> exit code``: 0, 1
after a crash, 130 / 143 / 129 when SIGINT / SIGTERM / SIGHUP ended it (then, if a pasted key
was not stored, a line on stderr says so, once the terminal is restored; SIGHUP also stands for
a terminal that went away, where that line is lost without an error). ``services=None``: the
app builds the default ones after its first frame.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from typing import TYPE_CHECKING, Any

from qlik_tui.tui.crash import install_crash_hooks
from qlik_tui.tui.host import StartWith as StartWith  # re-exported: the commands pass one
from qlik_tui.tui.keystroke_log import warn_about_textual_log

# How long a thread that wants the GIL waits before the running one is asked to let go of it
# (CPython's switch interval, 5 ms by default): Textual's writer thread, with a frame, among them.
FRAME_WRITE_WAIT_S = 0.001
KEY_NOT_STORED = (
    "the pasted key was not stored, nor written to a file. Qlik shows a key only once: paste "
    "it again if you still have it, or generate a new one."
)

if TYPE_CHECKING:
    from qlik_tui.sandbox import SandboxTenant
    from qlik_tui.services.context import Services
    from qlik_tui.tui.app import QlikTuiApp


def launch(
    services: Services | None,
    *,
    start: StartWith = StartWith.AUTO,
    sandbox: SandboxTenant | None = None,
) -> int:
    install_crash_hooks()
    warn_about_textual_log(sys.stderr)
    # Until the first frame the process creates long-lived objects only (modules, classes, the
    # first screen): collecting cycles among them frees nothing and delays that frame. The app
    # turns collection back on once the frame is out (``QlikTuiApp.on_ready``).
    gc.disable()
    # Textual's writer thread puts each frame on the terminal; the event loop carries on (after
    # the first frame: its resize and show events, the workers starting) and holds the GIL
    # meanwhile. Measured on a loaded 2-CPU machine, the first frame waited a median 12 ms for
    # the writer to take it with the default interval, 6 ms with this one (a bare Textual app: 4).
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(FRAME_WRITE_WAIT_S)
    try:
        # Deferred: Textual loads after the crash hooks are in place and the warning is printed.
        from qlik_tui.tui.app import QlikTuiApp

        return run_app(QlikTuiApp(services, start=start, sandbox=sandbox))
    finally:
        sys.setswitchinterval(switch_interval)
        gc.enable()


def run_app(app: QlikTuiApp, **run_options: Any) -> int:
    """Run the app; its return code is 1 after a crash (Textual sets it), 128 + N after
    signal N."""
    app.ends_on_signals = True
    try:
        result = app.run(**run_options)
    finally:
        if app.session_store is not None:
            app.session_store.close()
    if app.ended_by_signal is not None and app.state.key_at_risk:
        # The terminal may be gone (EIO): there is no one left to tell then.
        with contextlib.suppress(OSError):
            print(
                f"qlik-tui: {app.ended_by_signal.name} ended the app: {KEY_NOT_STORED}",
                file=sys.stderr,
                flush=True,
            )
    if app.return_code:
        return app.return_code
    return result if isinstance(result, int) else 0
