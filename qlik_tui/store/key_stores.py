"""The two places a profile's key can live: the OS keyring, or qlik-tui's encrypted file.

CONTRACT:
    KeyStoreKind.KEYRING / KeyStoreKind.ENCRYPTED_FILE   # the values profiles record
    kind_of(profile) -> KeyStoreKind | None              # None: a value this qlik-tui does not know
    stores = KeyStores(keyring=None, encrypted_path=None, deadline_s=3.0, kdf=None)  # one per
                                                         # process; kdf: a new file's (default)
    stores.keyring -> SecretStore                        # the OS keyring (keyring picks one)
    stores.encrypted -> SecretStore                      # the encrypted file, as a SecretStore
    stores.for_kind(kind) -> SecretStore
    stores.encrypted_path -> Path;  stores.encrypted_file_exists() -> bool
    stores.encrypted_unlocked -> bool
    stores.unlock_encrypted(passphrase: () -> str) -> None   # raises StoreError (wrong, damaged...)

Why ``unlock_encrypted``: ``SecretStore`` runs every backend call in a worker under a short
deadline; a passphrase prompt or a slow key derivation there would time out. So the caller asks
for the passphrase first (a terminal prompt, ``QLIK_TUI_PASSPHRASE_FILE`` or a TUI dialog),
then the key calls run prompt-free. A call that needs the passphrase before that fails with
``EncryptedFileLocked`` (only a ``QLIK_TUI_PASSPHRASE_FILE`` may still be read there, so that a
file another process created meanwhile can be opened).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from qlik_tui.core.kinds import KeyStoreKind as KeyStoreKind  # the one word, re-exported
from qlik_tui.store.encrypted_errors import PassphraseUnavailable
from qlik_tui.store.errors import StoreError
from qlik_tui.store.secrets import DEFAULT_DEADLINE_S, SecretStore

if TYPE_CHECKING:
    from qlik_tui.core.outcomes import KeyStoreWords
    from qlik_tui.store.encrypted_file import EncryptedFileKeyring
    from qlik_tui.store.encrypted_format import KdfParams
    from qlik_tui.store.passphrase import PassphraseSource
    from qlik_tui.store.profiles import Profile


def kind_of(profile: Profile) -> KeyStoreKind | None:
    """Where ``profile``'s key is kept. Profiles written before the choice existed record
    nothing: their key is in the OS keyring."""
    if profile.store is None:
        return KeyStoreKind.KEYRING
    try:
        return KeyStoreKind(profile.store)
    except ValueError:
        return None


def in_encrypted_file(profile: Profile) -> bool:
    """Whether ``profile``'s key is kept in qlik-tui's encrypted file."""
    return kind_of(profile) is KeyStoreKind.ENCRYPTED_FILE


def key_store_words(profile: Profile) -> KeyStoreWords:
    """The outcome placeholders naming where ``profile``'s key is kept (the recorded backend)."""
    from qlik_tui.core.outcomes import key_store_context  # the outcome table: when first needed

    return key_store_context(encrypted_file=in_encrypted_file(profile), backend=profile.backend)


class EncryptedFileLocked(PassphraseUnavailable):
    problem = "qlik-tui's encrypted key file is locked: its passphrase was not given."
    fix = (
        "Give the passphrase when qlik-tui asks for it, or, for jobs without a terminal, name "
        "a file holding it (mode 0600) in QLIK_TUI_PASSPHRASE_FILE."
    )


class KeyStores:
    """The key stores of one process. The encrypted file's keyring is made once (it keeps the
    derived key in memory) and only when first used (it loads cryptography)."""

    def __init__(
        self,
        keyring: SecretStore | None = None,
        *,
        encrypted_path: Path | None = None,
        deadline_s: float = DEFAULT_DEADLINE_S,
        kdf: KdfParams | None = None,
    ) -> None:
        self._keyring = keyring
        self._encrypted_path = encrypted_path
        self._deadline_s = deadline_s
        self._kdf = kdf  # the cost of a new file's key derivation (None: the default)
        self._file: EncryptedFileKeyring | None = None
        self._encrypted: SecretStore | None = None
        self._unlocking: PassphraseSource | None = None
        self._unlock_failure: StoreError | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        state = "unlocked" if self.encrypted_unlocked else "locked"
        return f"KeyStores(encrypted_path={str(self.encrypted_path)!r}, {state})"

    @property
    def keyring(self) -> SecretStore:
        with self._lock:
            if self._keyring is None:
                self._keyring = SecretStore(self._deadline_s)
            return self._keyring

    @property
    def encrypted_path(self) -> Path:
        if self._file is not None:
            return self._file.path
        if self._encrypted_path is None:
            from qlik_tui.store.files import default_store_path

            self._encrypted_path = default_store_path()
        return self._encrypted_path

    def encrypted_file_exists(self) -> bool:
        return self.encrypted_path.exists()

    @property
    def encrypted_file(self) -> EncryptedFileKeyring:
        with self._lock:
            if self._file is None:
                from qlik_tui.store.encrypted_file import EncryptedFileKeyring

                self._file = EncryptedFileKeyring(
                    self.encrypted_path, self._passphrase_gate, kdf=self._kdf
                )
            return self._file

    @property
    def encrypted(self) -> SecretStore:
        with self._lock:
            if self._encrypted is None:
                self._encrypted = SecretStore(self._deadline_s, backend=self.encrypted_file)
            return self._encrypted

    @property
    def encrypted_unlocked(self) -> bool:
        return self._file is not None and self._file.is_unlocked

    def for_kind(self, kind: KeyStoreKind) -> SecretStore:
        return self.encrypted if kind is KeyStoreKind.ENCRYPTED_FILE else self.keyring

    def unlock_encrypted(self, passphrase: PassphraseSource) -> None:
        """Derive the file's key from ``passphrase()`` now (for a file that does not exist yet:
        the key it will be created with). Blocking (key derivation takes a fraction of a
        second): a TUI calls it from a worker. Raises the ``StoreError`` that explains a wrong
        passphrase, a damaged file or a newer format; nothing on disk changes."""
        keyring = self.encrypted_file
        failure: StoreError | None = None
        with self._lock:
            self._unlocking = passphrase
            try:
                keyring.unlock()
            except StoreError as exc:
                failure = exc.with_traceback(None)
            finally:
                self._unlocking = None
            self._unlock_failure = failure
        if failure is not None:
            failure.__cause__ = failure.__context__ = None
            raise failure

    def _passphrase_gate(self) -> str:
        """The passphrase source the encrypted file keyring sees: the one given to
        ``unlock_encrypted`` while it runs; otherwise never a prompt (see the module)."""
        from qlik_tui.store.passphrase import (
            passphrase_file_configured,
            passphrase_from_environment,
        )

        unlocking = self._unlocking
        if unlocking is not None:
            return unlocking()
        failure = self._unlock_failure
        if failure is not None:
            raise EncryptedFileLocked(
                problem=f"qlik-tui's encrypted key file stays locked: {failure.problem}",
                fix=failure.fix,
            )
        if passphrase_file_configured():
            return passphrase_from_environment()
        raise EncryptedFileLocked()
