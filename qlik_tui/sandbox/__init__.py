"""A fake Qlik Cloud tenant on loopback for ``qlik-tui demo``: a real HTTP(S) server.

    with SandboxTenant(seed=2026) as sandbox:                   # or .start() / .stop()
        key = sandbox.issue_key("valid", user="admin")          # JWT-shaped, made up
        sandbox.origin                                          # "http://127.0.0.1:PORT"

``server`` holds the loopback HTTP(S) plumbing, ``keys`` the issued keys, ``tenant`` the API.
"""

from __future__ import annotations

from qlik_tui.sandbox.keys import KEY_KINDS
from qlik_tui.sandbox.tenant import SandboxTenant, SandboxUser

__all__ = ["KEY_KINDS", "SandboxTenant", "SandboxUser"]
