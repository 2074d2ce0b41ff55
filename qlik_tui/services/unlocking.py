"""Unlocking qlik-tui's encrypted key file: one service for both fronts, each with its own
passphrase source (the CLI: a hidden prompt or the file QLIK_TUI_PASSPHRASE_FILE names, three
tries at a prompt; the TUI: the text typed in its dialog, one try a submit). Once unlocked,
``services.storing_in(KeyStoreKind.ENCRYPTED_FILE)`` writes new keys there.

CONTRACT:
    unlock_encrypted_file(stores, source, *, tries=1, on_wrong=None) -> None
        blocking (the key derivation takes a fraction of a second: the TUI calls it in a
        worker). A wrong passphrase is asked for again, ``tries`` in all; ``on_wrong(left)``
        runs before each new try. Raises the last ``StoreError`` (wrong passphrase, damaged
        file, newer format); nothing on disk changes then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qlik_tui.store.encrypted_errors import WrongPassphrase

if TYPE_CHECKING:
    from qlik_tui.store.key_stores import KeyStores
    from qlik_tui.store.passphrase import PassphraseSource


def unlock_encrypted_file(
    stores: KeyStores,
    source: PassphraseSource,
    *,
    tries: int = 1,
    on_wrong: Callable[[int], object] | None = None,
) -> None:
    for attempt in range(1, tries + 1):
        try:
            stores.unlock_encrypted(source)
            return
        except WrongPassphrase:
            if attempt == tries:
                raise
            if on_wrong is not None:
                on_wrong(tries - attempt)
