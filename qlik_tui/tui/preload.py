"""The services the screens' workers call import httpx, which is heavy: ``load_services``
imports them in a thread, once, so a worker awaits it and then imports what it uses the
ordinary (typed) way without stalling the event loop. Nothing here runs at start-up."""

from __future__ import annotations

import asyncio

_loaded = False


def _import_services() -> None:
    # Only imported for their side effect (sys.modules); the workers import the names.
    import qlik_tui.services.check
    import qlik_tui.services.key_admin
    import qlik_tui.services.login
    import qlik_tui.services.rotation
    import qlik_tui.services.verify  # noqa: F401


async def load_services() -> None:
    """Import the services modules off the event loop (the first call; later ones return)."""
    global _loaded
    if not _loaded:
        await asyncio.to_thread(_import_services)
        _loaded = True
