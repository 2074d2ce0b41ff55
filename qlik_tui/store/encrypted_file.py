"""qlik-tui's own keyring backend: secrets in one passphrase-encrypted file, for machines where
no OS keyring runs (SSH sessions, WSL, containers). Used only when the user chooses it.

CONTRACT:
    keyring = EncryptedFileKeyring(path=None, passphrase=None, *, kdf=None, lock_timeout_s=10)
        path: the file; default ``user_data_path("qlik-tui") / "keys.encrypted"``
        passphrase: ``() -> str``, asked at most once per file header (the derived key is kept
            in memory for the instance's life, never written). Default: the file
            ``QLIK_TUI_PASSPHRASE_FILE`` names, else a hidden prompt.
        kdf: cost of a *new* file's key derivation (default ``default_kdf_params()``); an
            existing file always uses the parameters in its header.
    keyring.exists() -> bool          # does the file exist (a new passphrase would be chosen)
    keyring.unlock() -> None          # ask for the passphrase and derive the key now
    keyring.get_password(service, username) -> str | None
    keyring.set_password(service, username, password) -> None
    keyring.delete_password(service, username) -> None   # PasswordDeleteError when absent
Failures raise ``EncryptedStoreError`` subclasses (``qlik_tui.store.encrypted_errors``), which
are ``StoreError``s with ``problem`` and ``fix``. A failure changes nothing on disk.

- ``priority`` is -1, below keyring's own "no backend" placeholder, so keyring never picks this
  backend by itself; it is used when qlik-tui is told to, or through
  ``PYTHON_KEYRING_BACKEND=qlik_tui.store.encrypted_file.EncryptedFileKeyring``.
- Files: the store 0600 in a 0700 directory; written whole to a temporary file, fsynced,
  renamed over the old one, then the directory fsynced, so a crash leaves the old or the new
  file, never a mix. A writer holds an exclusive lock on ``<file>.lock`` around its
  read-modify-write, so concurrent writers never lose each other's entries. Readers need no
  lock (the rename is atomic).
- Reading or deleting an entry that is not there, and deleting one that is, need no passphrase
  (service and user names are stored in clear; only secrets are encrypted).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from qlik_tui.core.regular_file import NotARegularFile, read_regular_file
from qlik_tui.store.encrypted_errors import (
    NotARegularStoreFile,
    PassphraseTooShort,
    PassphraseUnavailable,
    StoreFileIOError,
    StoreFileLocked,
    UnrecognisedStoreFile,
    UnsupportedKdf,
)
from qlik_tui.store.encrypted_format import (
    Header,
    KdfParams,
    KdfUnavailable,
    StoreFile,
    Unlocked,
    decode,
    default_kdf_params,
    derive_key,
    encode,
)
from qlik_tui.store.errors import StoreError
from qlik_tui.store.files import default_store_path, make_private_dirs, write_atomically
from qlik_tui.store.lockfile import LockFile, LockTimeout
from qlik_tui.store.passphrase import (
    MIN_NEW_PASSPHRASE_CHARS,
    PassphraseSource,
    default_passphrase_source,
)

_MAX_FILE_BYTES = 16 * 1024 * 1024


class EncryptedFileKeyring(KeyringBackend):
    priority = -1  # never chosen automatically
    name = "qlik-tui encrypted file"

    def __init__(
        self,
        path: Path | None = None,
        passphrase: PassphraseSource | None = None,
        *,
        kdf: KdfParams | None = None,
        lock_timeout_s: float = 10.0,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        # Set after keyring's init, which copies KEYRING_PROPERTY_* variables onto the instance.
        self._path = Path(path) if path is not None else default_store_path()
        self._passphrase = passphrase or default_passphrase_source(lambda: not self.exists())
        self._kdf = kdf
        self._lock_timeout_s = lock_timeout_s
        self._unlocked: Unlocked | None = None
        self._pending: Unlocked | None = None  # a key for a file not created yet
        self._mutex = threading.RLock()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def lock_path(self) -> Path:
        return self._path.with_name(self._path.name + ".lock")

    @property
    def is_unlocked(self) -> bool:
        return self._unlocked is not None or self._pending is not None

    def __repr__(self) -> str:
        state = "unlocked" if self.is_unlocked else "locked"
        return f"EncryptedFileKeyring(path={str(self._path)!r}, {state})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("an EncryptedFileKeyring holds a derived key and cannot be pickled")

    def exists(self) -> bool:
        return self._path.exists()

    # -- keyring API -------------------------------------------------------------------------

    def unlock(self) -> None:
        """Ask for the passphrase and derive the key now (for an existing file: verify it), so
        that later calls are fast and prompt-free."""
        with self._mutex:
            store = self._read()
            if store is None:
                self._key_for_new_file()
            else:
                self._key_for(store)

    def get_password(self, service: str, username: str) -> str | None:
        with self._mutex:
            store = self._read()
            entry = store.find(service, username) if store is not None else None
            if store is None or entry is None:
                return None
            return self._key_for(store).open(entry, self._path)

    def get_passwords(
        self, service: str, usernames: Sequence[str]
    ) -> dict[str, str | StoreError | None]:
        """Several entries from one read of the file: each one's text, None when it has no
        entry, or the ``StoreError`` its own ``get_password`` would raise (the passphrase not
        given, a wrong one: only entries that exist need it)."""
        with self._mutex:
            store = self._read()
            entries = {u: store.find(service, u) if store is not None else None for u in usernames}
            found: dict[str, str | StoreError | None] = {u: None for u in usernames}
            present = {u: e for u, e in entries.items() if e is not None}
            if store is None or not present:
                return found
            try:
                unlocked = self._key_for(store)
            except StoreError as exc:
                failure = exc.with_traceback(None)
                return {**found, **dict.fromkeys(present, failure)}
            for username, entry in present.items():
                try:
                    found[username] = unlocked.open(entry, self._path)
                except StoreError as exc:  # this entry's own damage: the others still open
                    found[username] = exc.with_traceback(None)
            return found

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._mutex:
            # The slow part (prompt, key derivation) happens before taking the lock.
            before = self._read()
            if before is not None:
                self._key_for(before)
            else:
                self._key_for_new_file()
            self._ensure_private_directory()
            with self._locked():
                store = self._read()
                if store is None:
                    unlocked = self._key_for_new_file()
                    store = unlocked.new_store()
                else:
                    unlocked = self._key_for(store)
                updated = store.with_entry(unlocked.seal(service, username, password))
                self._write(encode(updated))
                self._unlocked, self._pending = unlocked, None

    def delete_password(self, service: str, username: str) -> None:
        with self._mutex:
            if self._read() is None:
                raise PasswordDeleteError(f"no encrypted key file at {self._path}")
            with self._locked():
                store = self._read()
                if store is None or store.find(service, username) is None:
                    raise PasswordDeleteError("no such entry in the encrypted key file")
                self._write(encode(store.without(service, username)))

    # -- keys --------------------------------------------------------------------------------

    def _key_for(self, store: StoreFile) -> Unlocked:
        unlocked = self._unlocked
        if unlocked is None or unlocked.header.canonical != store.header.canonical:
            unlocked = self._derive(store.header, self._ask(new_file=False))
            unlocked.verify(store, self._path)
            self._unlocked = unlocked
        return unlocked

    def _key_for_new_file(self) -> Unlocked:
        if self._pending is None:
            passphrase = self._ask(new_file=True)
            header = Header.new(self._kdf or default_kdf_params())
            self._pending = self._derive(header, passphrase)
        return self._pending

    def _ask(self, *, new_file: bool) -> str:
        passphrase = self._passphrase()
        if not isinstance(passphrase, str) or not passphrase:
            raise PassphraseUnavailable()
        if new_file and len(passphrase) < MIN_NEW_PASSPHRASE_CHARS:
            raise PassphraseTooShort(MIN_NEW_PASSPHRASE_CHARS)
        return passphrase

    def _derive(self, header: Header, passphrase: str) -> Unlocked:
        try:
            key = derive_key(passphrase, header)
        except KdfUnavailable as exc:
            kdf = exc.kdf
        else:
            return Unlocked(header, key)
        raise UnsupportedKdf(self._path, kdf)

    # -- files -------------------------------------------------------------------------------

    def _read(self) -> StoreFile | None:
        try:
            data = read_regular_file(self._path, _MAX_FILE_BYTES, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except NotARegularFile as exc:
            raise NotARegularStoreFile(self._path, exc.kind) from None
        except OSError as exc:
            raise StoreFileIOError(self._path, "open", exc) from None
        if len(data) > _MAX_FILE_BYTES:
            raise UnrecognisedStoreFile(self._path, "it is larger than any file qlik-tui writes")
        return decode(data, self._path)

    def _locked(self) -> LockFile:
        return _ExplainedLock(self.lock_path, self._lock_timeout_s)

    def _ensure_private_directory(self) -> None:
        directory = self._path.parent
        try:
            make_private_dirs(directory)
            if sys.platform != "win32" and directory.stat().st_mode & 0o077:
                os.chmod(directory, 0o700)  # an existing open directory is made private too
        except OSError as exc:
            raise StoreFileIOError(directory, "create the directory of", exc) from None

    def _write(self, data: bytes) -> None:
        try:
            write_atomically(self._path, data)
        except OSError as exc:
            raise StoreFileIOError(self._path, "write", exc) from None


class _ExplainedLock(LockFile):
    def acquire(self) -> None:
        try:
            super().acquire()
        except LockTimeout:
            timed_out = True
        except OSError as exc:
            raise StoreFileIOError(self.path, "lock", exc) from None
        else:
            timed_out = False
        if timed_out:
            raise StoreFileLocked(self.path, self.timeout_s)
