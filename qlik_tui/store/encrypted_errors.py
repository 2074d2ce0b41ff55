"""What can go wrong with qlik-tui's encrypted key file, each with a ``problem`` and a ``fix``.

Every class is an ``EncryptedStoreError``, itself a ``StoreError``: the CLI and the TUI render
them like any keyring failure. No keyring or cryptography import here, so naming them is cheap.
None of them ever carries a passphrase, a derived key or a stored secret.
"""

from __future__ import annotations

from pathlib import Path

from qlik_tui.store.errors import StoreError

_RESTORE_FIX = (
    "Restore the file from a backup; or move it aside and store your keys again with "
    "`qlik-tui login` (a new file is created with a new passphrase)."
)


class EncryptedStoreError(StoreError):
    problem = "qlik-tui's encrypted key file cannot be used."
    fix = _RESTORE_FIX


class WrongPassphrase(EncryptedStoreError):
    fix = (
        "Type the passphrase you chose when the file was created (it is case-sensitive). "
        "If it is lost, the keys in the file cannot be recovered: move the file aside and "
        "store your keys again with `qlik-tui login`."
    )

    def __init__(self, path: Path) -> None:
        super().__init__(
            problem=f"The passphrase does not unlock the encrypted key file {path} (or the "
            "file's header was altered)."
        )


class PassphraseUnavailable(EncryptedStoreError):
    """No usable passphrase: empty, prompt cancelled, or the passphrase file is unusable."""

    problem = "No passphrase was given for the encrypted key file."
    fix = (
        "Type the passphrase at the prompt, or, for jobs without a terminal, name a file "
        "holding it (mode 0600, owned by you) in QLIK_TUI_PASSPHRASE_FILE."
    )


class PassphraseTooShort(EncryptedStoreError):
    fix = "Choose a longer passphrase; several unrelated words are easy to type and hard to guess."

    def __init__(self, minimum: int) -> None:
        super().__init__(
            problem=f"A new encrypted key file needs a passphrase of at least {minimum} "
            "characters: the file is only as strong as its passphrase."
        )


class DamagedStoreFile(EncryptedStoreError):
    """The file cannot be trusted: not ours, cut short, or altered."""


class UnrecognisedStoreFile(DamagedStoreFile):
    def __init__(self, path: Path, what: str = "it does not start with qlik-tui's header") -> None:
        super().__init__(problem=f"{path} is not a qlik-tui encrypted key file: {what}.")


class TruncatedStoreFile(DamagedStoreFile):
    def __init__(self, path: Path) -> None:
        super().__init__(
            problem=f"The encrypted key file {path} is incomplete: it ends before its checksum "
            "(cut short by a full disk, a crash or an interrupted copy)."
        )


class TamperedStoreFile(DamagedStoreFile):
    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            problem=f"The encrypted key file {path} was changed outside qlik-tui or is "
            f"damaged: {what}. Nothing in it is trusted."
        )


class NewerFormatVersion(EncryptedStoreError):
    fix = "Upgrade qlik-tui (`pipx upgrade qlik-tui` or `pip install -U qlik-tui`)."

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            problem=f"The encrypted key file {path} has format version {found}, written by a "
            f"newer qlik-tui; this one reads version {supported} at most."
        )


class UnsupportedKdf(EncryptedStoreError):
    fix = (
        "Upgrade the cryptography package (`pip install -U cryptography`; Argon2id needs "
        "cryptography 44 or later built with OpenSSL 3.2 or later), or open the file on the "
        "machine that created it."
    )

    def __init__(self, path: Path, kdf: str) -> None:
        super().__init__(
            problem=f"The encrypted key file {path} is protected with {kdf}, which the "
            "installed cryptography package does not offer."
        )


class StoreFileLocked(EncryptedStoreError):
    fix = "Another qlik-tui is writing to the file; wait for it to finish, then try again."

    def __init__(self, path: Path, timeout_s: float) -> None:
        super().__init__(
            problem=f"The encrypted key file {path} stayed locked by another process for "
            f"{timeout_s:g} s."
        )


class StoreFileIOError(EncryptedStoreError):
    fix = (
        "Check the file's and its directory's permissions and the free disk space, then try again."
    )

    def __init__(self, path: Path, action: str, error: OSError) -> None:
        reason = error.strerror or type(error).__name__
        super().__init__(
            problem=f"Could not {action} the encrypted key file {path}: {reason}.",
            detail=f"{type(error).__name__}: errno {error.errno}",
        )


class NotARegularStoreFile(EncryptedStoreError):
    """A FIFO, directory, socket or device at the file's path: never opened for reading."""

    def __init__(self, path: Path, kind: str) -> None:
        from qlik_tui.core.outcomes import OutcomeKind, make_outcome  # the table: only here

        outcome = make_outcome(OutcomeKind.NOT_A_REGULAR_FILE, path=str(path), file_kind=kind)
        super().__init__(problem=outcome.cause, fix=outcome.next_step)
        self.path = path
        self.kind = kind
