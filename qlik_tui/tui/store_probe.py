"""Where a new key would be kept, as the Welcome and Generate steps show it before any key
exists. ``probe_store`` is the one function the store line calls (in a thread).

CONTRACT:
    probe_store(services) -> KeyStoreProbe       blocking; never raises a ``StoreError``
    KeyStoreProbe: usable: bool, headline: str ("SecretService Keyring, unlocked"),
                   why / fix: str | None (set when not usable), alternative: str | None
                   (another safe place for the key, offered when the keyring is not usable)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from qlik_tui.store.errors import StoreError

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


@dataclass(frozen=True)
class KeyringProbe:
    """The OS keyring as the secret store sees it: its backend, or why none can be used."""

    usable: bool
    headline: str
    why: str | None = None
    fix: str | None = None
    alternative: str | None = None


def probe_store(services: Services) -> KeyStoreProbe:
    """Open the keyring of ``services`` (within its deadline) and say where a key would go."""
    try:
        name = services.secrets.backend_name
        notice = services.secrets.insecure_notice
    except StoreError as exc:
        return KeyringProbe(False, "No usable keyring", why=exc.problem, fix=exc.fix or None)
    if notice:
        return KeyringProbe(False, name, why=notice)
    return KeyringProbe(True, name)
