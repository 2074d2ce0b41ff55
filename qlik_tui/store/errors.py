"""What can go wrong with the keyring, each with a ``problem`` and a ``fix`` sentence.

No keyring import here: the CLI and the TUI can name these without paying for keyring.
"""

from __future__ import annotations

WINDOWS_CREDENTIAL_LIMIT = 1280  # characters Windows Credential Manager keeps of a secret

_NO_SECRET_SERVICE_FIX = (
    "Install and start gnome-keyring or KeePassXC's Secret Service, or set "
    "PYTHON_KEYRING_BACKEND explicitly to a backend you accept."
)
_START_DBUS_FIX = (
    "The Secret Service is reached over the D-Bus session bus. Run qlik-tui inside your desktop "
    "session; on a headless machine or over SSH start one for this shell with "
    "`dbus-run-session -- $SHELL`, then unlock a keyring in it with "
    "`gnome-keyring-daemon --unlock --components=secrets` (type the password, then Ctrl-D)."
)


class StoreError(Exception):
    problem: str = "The keyring failed."
    fix: str = ""
    detail: str | None = None  # the backend's own exception type and (redacted) message

    def __init__(
        self, problem: str | None = None, fix: str | None = None, detail: str | None = None
    ) -> None:
        if problem is not None:
            self.problem = problem
        if fix is not None:
            self.fix = fix
        if detail is not None:
            self.detail = detail
        super().__init__(self.problem)


class NoBackend(StoreError):
    problem = "No Secret Service is running, so there is no keyring to keep the key in."
    fix = _NO_SECRET_SERVICE_FIX


class NoDBusSession(StoreError):
    problem = "There is no D-Bus session bus, so the Secret Service cannot be reached."
    fix = _START_DBUS_FIX


class KeyringLocked(StoreError):
    problem = "The keyring is locked and could not be unlocked."
    fix = (
        "Unlock it and try again: answer the unlock prompt on your desktop (or unlock the "
        "'Login' keyring in Passwords and Keys / Seahorse); on a headless machine run "
        "`gnome-keyring-daemon --unlock --replace --components=secrets`, type the password, "
        "then Ctrl-D."
    )


class PromptDismissed(StoreError):
    problem = "The keyring's prompt was dismissed, or could not be shown."
    fix = (
        "Try again and accept the prompt. Without a desktop no prompt can appear: unlock the "
        "keyring beforehand (`gnome-keyring-daemon --unlock --components=secrets`, type a "
        "non-empty password, then Ctrl-D), which also creates the default keyring if missing."
    )


class DeadlineExceeded(StoreError):
    problem = "The keyring did not answer in time."
    fix = (
        "It may be waiting for an unlock prompt: look for a password dialog on your desktop, "
        "or unlock the keyring first, then try again."
    )


class SecretTruncated(StoreError):
    problem = "The keyring gave back a different value than was saved."
    fix = (
        "Use a keyring backend that keeps long secrets (Windows Credential Manager keeps at "
        f"most {WINDOWS_CREDENTIAL_LIMIT} characters). The key was not stored: paste it again "
        "once the keyring can hold it."
    )


class KeyNotFound(StoreError):
    problem = "No key is stored for this profile."
    fix = "Add the key again: paste it in the wizard."


class StoredKeyUnreadable(StoreError):
    """The entry exists but does not hold a valid API key (empty, cut off, garbage)."""

    problem = "The keyring entry does not hold a valid API key."
    fix = "Log in again to store the key for this profile."


class InsecureBackend(StoreError):
    problem = "The keyring backend keyring picked is not secure."
    fix = (
        "Install and start gnome-keyring or KeePassXC's Secret Service; or, if you accept this "
        "backend, select it explicitly with PYTHON_KEYRING_BACKEND."
    )
