"""Where a new key would be kept, as the Welcome and Generate steps show it before any key
exists. ``probe_store`` is the one function the store line calls (in a thread).

CONTRACT:
    probe_store(services) -> KeyStoreProbe       blocking; never raises a ``StoreError``
    KeyStoreProbe: usable: bool, headline: str ("SecretService Keyring, unlocked"),
                   why / fix: str | None (set when not usable), alternative: str | None
                   (another safe place for the key, offered when the keyring is not usable),
                   reason: str | None (why not, in a few words, for one line)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qlik_tui.services.context import Services


class KeyStoreProbe(Protocol):
    """What the store line renders (``services.store_probe.StoreProbe`` has these fields)."""

    @property
    def usable(self) -> bool: ...

    @property
    def headline(self) -> str: ...

    @property
    def why(self) -> str | None: ...

    @property
    def fix(self) -> str | None: ...

    @property
    def alternative(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...


def probe_store(services: Services) -> KeyStoreProbe:
    """Where a key would go, within the keyring deadline (``services.store_probe``)."""
    from qlik_tui.services.store_probe import probe_key_store  # in the worker's thread

    return probe_key_store(services.stores)
