"""Store, read and delete a profile's key in the OS keyring, under a deadline.

Service name ``qlik-tui``, user name = the profile name.

CONTRACT:
    store = SecretStore(deadline_s=3.0)      # backend: keyring.get_keyring() unless given
    store.backend_name -> str                # e.g. "SecretService Keyring"
    store.is_secure -> bool                  # False for plaintext / not-recommended backends
    store.insecure_notice -> str | None      # the sentence every status output must show
    store.describe() -> str                  # "SecretService Keyring (Secret Service, D-Bus)"
    store.check() -> None                    # pick and vet the backend now (else done lazily)
    store.save(profile, key: ApiKey) -> None # writes, reads back, compares; raises StoreError
    store.load(profile) -> ApiKey            # raises KeyNotFound / StoreError
    store.delete(profile) -> bool            # True when something was removed
Every failure is a ``StoreError`` subclass with ``.problem`` and ``.fix`` sentences. The
properties and ``describe()`` pick the backend on first use, so they can raise it too.

How it behaves:
- Every backend call (choosing the backend included: that talks to D-Bus) runs in a daemon
  thread and is abandoned after ``deadline_s`` with ``DeadlineExceeded``; a hung keyring never
  hangs the caller, and the abandoned thread cannot keep the process alive.
- Never falls back to plain text on its own: a backend keyring ranks "not recommended" (priority
  below 1) or that is known to keep plain text is used only when the user selected it
  (``PYTHON_KEYRING_BACKEND`` or keyring's ``keyringrc.cfg``); otherwise ``InsecureBackend``.
- When keyring picks its chainer (several recommended backends), the chainer's first backend
  (the one keyring itself writes to) is used directly, so save, read-back, load and delete all
  talk to the same store.
- Secrets discipline: the key is revealed only inside the worker thread's closures; errors are
  built from exception types and redacted messages, and raised outside ``except`` blocks with no
  cause or context, so no traceback frame or chained exception carries the key.
"""

from __future__ import annotations

import hmac
import os
import re
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from configparser import Error as ConfigError
from configparser import RawConfigParser
from contextlib import suppress
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TypeVar

import keyring
import keyring.errors as keyring_errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from qlik_tui.core.apikey import ApiKey, parse_key
from qlik_tui.store.profiles import InvalidProfile, validate_profile_name

SERVICE_NAME = "qlik-tui"
DEFAULT_DEADLINE_S = 3.0
WINDOWS_CREDENTIAL_LIMIT = 1280  # characters Windows Credential Manager keeps of a secret

_T = TypeVar("_T")

_SS_DISMISSED: tuple[type[BaseException], ...] = ()
_SS_LOCKED: tuple[type[BaseException], ...] = ()
_SS_UNAVAILABLE: tuple[type[BaseException], ...] = ()
try:  # Linux only; elsewhere there is no Secret Service to explain
    import secretstorage.exceptions as _secretstorage_errors
except ImportError:  # pragma: no cover - depends on the platform
    pass
else:
    _SS_DISMISSED = (_secretstorage_errors.PromptDismissedException,)
    _SS_LOCKED = (_secretstorage_errors.LockedException,)
    _SS_UNAVAILABLE = (_secretstorage_errors.SecretServiceNotAvailableException,)

_DBUS_BACKEND_MODULES = frozenset(
    {"keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet"}
)
_KINDS = {
    "keyring.backends.SecretService.Keyring": "Secret Service, D-Bus",
    "keyring.backends.libsecret.Keyring": "libsecret, Secret Service over D-Bus",
    "keyring.backends.kwallet.DBusKeyring": "KWallet, D-Bus",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4, D-Bus",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyrings.alt.file.PlaintextKeyring": "plain-text file, not encrypted",
    "keyrings.alt.file.EncryptedKeyring": "file encrypted with a password",
}
# Long runs of token characters in a backend's error message could be (part of) a key.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-+/=.]{24,}")
_MAX_DETAIL_CHARS = 300

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


# -- errors --------------------------------------------------------------------------------------


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


class InsecureBackend(StoreError):
    problem = "The keyring backend keyring picked is not secure."
    fix = (
        "Install and start gnome-keyring or KeePassXC's Secret Service; or, if you accept this "
        "backend, select it explicitly with PYTHON_KEYRING_BACKEND."
    )


# -- the store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Selected:
    backend: KeyringBackend
    name: str
    kind: str
    insecure_notice: str | None


class _Unreadable:
    """A stored value that is not a key (returned by the worker instead of raising, so no
    parse error that might quote the value travels anywhere)."""


_UNREADABLE = _Unreadable()
_MISSING = -1


class SecretStore:
    def __init__(
        self,
        deadline_s: float = DEFAULT_DEADLINE_S,
        backend: KeyringBackend | None = None,
        *,
        service: str = SERVICE_NAME,
    ) -> None:
        self.deadline_s = deadline_s
        self.service_name = service
        self._given = backend
        self._selected: _Selected | None = None
        self._select_lock = threading.Lock()

    def __repr__(self) -> str:
        chosen = self._selected.name if self._selected else "not chosen yet"
        return f"SecretStore(backend={chosen!r}, deadline_s={self.deadline_s:g})"

    # -- the backend ---------------------------------------------------------------------------

    def check(self) -> None:
        """Pick and vet the backend now; raises the ``StoreError`` that explains a bad one."""
        self._backend()

    @property
    def backend_name(self) -> str:
        return self._backend().name

    @property
    def is_secure(self) -> bool:
        return self._backend().insecure_notice is None

    @property
    def insecure_notice(self) -> str | None:
        return self._backend().insecure_notice

    def describe(self) -> str:
        selected = self._backend()
        return f"{selected.name} ({selected.kind})"

    def _backend(self) -> _Selected:
        with self._select_lock:
            if self._selected is None:
                given = self._given
                self._selected = self._run("open the keyring", given, lambda: _select(given))
            return self._selected

    # -- keys ----------------------------------------------------------------------------------

    def save(self, profile: str, key: ApiKey) -> None:
        """Store ``key`` for ``profile`` (replacing any), then read it back and compare."""
        _check_name(profile)
        selected = self._backend()
        backend = selected.backend
        service = self.service_name

        def write() -> None:
            backend.set_password(service, profile, key.reveal())

        def read_back() -> int | None:  # None: identical; else what came back (-1: nothing)
            stored = backend.get_password(service, profile)
            if not isinstance(stored, str):
                return _MISSING
            if hmac.compare_digest(stored.encode("utf-8"), key.reveal().encode("utf-8")):
                return None
            return len(stored)

        self._run(f"save the key of profile {profile!r}", backend, write)
        found = self._run(f"read back the key of profile {profile!r}", backend, read_back)
        if found is None:
            return
        removed = self._delete_quietly(profile, selected)
        raise SecretTruncated(problem=_truncation_problem(selected.name, found, key, removed))

    def load(self, profile: str) -> ApiKey:
        _check_name(profile)
        selected = self._backend()
        backend = selected.backend
        service = self.service_name

        def read() -> ApiKey | _Unreadable | None:
            stored = backend.get_password(service, profile)
            if stored is None:
                return None
            try:
                return parse_key(stored)
            except ValueError:
                return _UNREADABLE

        found = self._run(f"read the key of profile {profile!r}", backend, read)
        if isinstance(found, ApiKey):
            return found
        if found is None:
            raise KeyNotFound(
                problem=f"No key is stored for profile {profile!r} in {selected.name}."
            )
        raise StoreError(
            problem=f"The keyring entry of profile {profile!r} does not hold a valid API key.",
            fix="Delete the profile's key and add it again.",
        )

    def delete(self, profile: str) -> bool:
        _check_name(profile)
        selected = self._backend()
        backend = selected.backend
        service = self.service_name

        def remove() -> bool:
            try:
                backend.delete_password(service, profile)
            except keyring_errors.PasswordDeleteError:
                if backend.get_password(service, profile) is None:
                    return False  # there was nothing to delete
                raise
            return True

        return self._run(f"delete the key of profile {profile!r}", backend, remove)

    def _delete_quietly(self, profile: str, selected: _Selected) -> bool:
        """Best effort: True when nothing of ``profile`` is left behind."""
        service = self.service_name

        def remove() -> bool:
            with suppress(keyring_errors.PasswordDeleteError):
                selected.backend.delete_password(service, profile)
            return selected.backend.get_password(service, profile) is None

        try:
            what = f"remove the partial key of profile {profile!r}"
            return self._run(what, selected.backend, remove)
        except StoreError:
            return False

    # -- running calls -------------------------------------------------------------------------

    def _run(self, what: str, backend: KeyringBackend | None, call: Callable[[], _T]) -> _T:
        """Run ``call`` in a daemon thread; its result, or the ``StoreError`` explaining it.

        The worker explains a failure itself and hands over only that ``StoreError``: the
        backend's exception (whose frames may hold the key) never leaves the worker."""
        future: Future[_T] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = call()
            except BaseException as exc:
                future.set_exception(_explain(exc, backend, what))
            else:
                future.set_result(result)

        worker = threading.Thread(target=work, name=f"qlik-tui keyring: {what}", daemon=True)
        worker.start()
        done, _ = wait_for([future], timeout=self.deadline_s)
        if not done:
            raise DeadlineExceeded(
                problem=f"The keyring did not answer in {self.deadline_s:g} s (trying to {what}).",
                fix=(
                    "It may be waiting for an unlock prompt: look for a password dialog on your "
                    "desktop, or unlock the keyring first, then try again."
                ),
            )
        error = future.exception()
        if error is None:
            return future.result()
        raise error


def _check_name(profile: str) -> None:
    problem: str | None = None
    try:
        validate_profile_name(profile)
    except InvalidProfile as exc:
        problem = str(exc)
    if problem is not None:
        raise StoreError(problem=problem, fix="Use a short profile name such as 'work'.")


def _truncation_problem(name: str, found: int, key: ApiKey, removed: bool) -> str:
    wanted = len(key.reveal())
    if found == _MISSING:
        what = "nothing"
    elif found < wanted:
        what = f"only {found} of the key's {wanted} characters"
    else:
        what = "a different value"
    outcome = (
        "so it was removed again: a partial key is never kept"
        if removed
        else "and the partial copy could not be removed: delete the 'qlik-tui' entry by hand"
    )
    return f"After saving, the keyring ({name}) gave back {what}, {outcome}."


# -- choosing the backend (runs in the worker thread) ---------------------------------------------


def _select(given: KeyringBackend | None) -> _Selected:
    if given is not None:
        backend = given
    else:
        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # keyring could not load the backend the user configured
            raise _unloadable_configuration(exc) from None
    if isinstance(backend, chainer.ChainerBackend):
        chained: list[KeyringBackend] = list(type(backend).backends)
        if not chained:
            raise _explain_missing_backend()
        backend = chained[0]
    if isinstance(backend, fail.Keyring):
        raise _explain_missing_backend()
    if isinstance(backend, null.Keyring):
        raise NoBackend(
            problem="Keyring is switched off (its null backend, which keeps nothing, is selected).",
            fix="Remove keyring.backends.null.Keyring from PYTHON_KEYRING_BACKEND or from "
            f"{_config_file()}, and start a Secret Service.",
        )
    name = _backend_name(backend)
    try:
        priority = float(type(backend).priority)  # raises when the backend is not viable here
    except Exception as exc:
        unusable: StoreError | None = _explain(exc, backend, "open the keyring")
    else:
        unusable = None
    if type(unusable) is StoreError:
        unusable = NoBackend(
            problem=f"The keyring backend {name} cannot be used here: {unusable.detail}.",
            detail=unusable.detail,
        )
    if unusable is not None:
        raise unusable
    plaintext = "plaintext" in type(backend).__qualname__.lower()
    kind = _kind(backend, priority)
    if priority >= 1 and not plaintext:
        return _Selected(backend, name, kind, insecure_notice=None)

    reason = (
        "it keeps keys as plain text"
        if plaintext
        else f"keyring ranks it not recommended, priority {priority:g}"
    )
    source = _explicit_source(backend)
    if source is None:
        raise InsecureBackend(
            problem=f"Keyring picked {name}, which is not secure ({reason}); qlik-tui will not "
            "store an API key there unless you choose it yourself.",
            fix="Install and start gnome-keyring or KeePassXC's Secret Service; or, if you "
            f"accept this backend, select it explicitly: PYTHON_KEYRING_BACKEND="
            f"{_class_path(type(backend))}.",
        )
    notice = (
        f"Not secure: keys are stored with {name} ({reason}), used only because {source} "
        "selects it."
    )
    return _Selected(backend, name, f"{kind}; not secure", insecure_notice=notice)


def _unloadable_configuration(exc: Exception) -> StoreError:
    from_env = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    where = "PYTHON_KEYRING_BACKEND" if from_env else f"keyring's config file {_config_file()}"
    return StoreError(
        problem=f"Keyring cannot load the backend {where} names ({_redacted_detail(exc)}).",
        fix="Name an installed backend's module.Class there, e.g. "
        "keyring.backends.SecretService.Keyring, or remove the setting to let keyring choose.",
        detail=_redacted_detail(exc),
    )


def _backend_name(backend: KeyringBackend | type[KeyringBackend]) -> str:
    cls = backend if isinstance(backend, type) else type(backend)
    name = getattr(cls, "name", None)
    return name if isinstance(name, str) and name else cls.__name__


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _kind(backend: KeyringBackend, priority: float) -> str:
    known = _KINDS.get(_class_path(type(backend)))
    if known is not None:
        return known
    module = type(backend).__module__
    if priority < 1:
        return f"from {module}, not recommended by keyring"
    return f"from {module}"


def _config_file() -> Path:
    """keyring's own config file (``keyring.core`` reads it the same way)."""
    from keyring.util import platform_

    return Path(platform_.config_root()) / "keyringrc.cfg"


def _explicit_source(backend: KeyringBackend) -> str | None:
    """Where the user selected this backend's class, if they did."""
    cls = type(backend)
    from_env = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    if from_env and _names_class(from_env, cls):
        return "PYTHON_KEYRING_BACKEND"
    config_file = _config_file()
    parser = RawConfigParser()
    try:
        parser.read(config_file, encoding="utf-8")
        from_config = parser.get("backend", "default-keyring", fallback="").strip()
    except (ConfigError, OSError, UnicodeDecodeError):
        return None
    if from_config and _names_class(from_config, cls):
        return f"keyring's config file {config_file}"
    return None


def _names_class(dotted: str, cls: type) -> bool:
    if dotted == _class_path(cls):
        return True
    module_name, _, class_name = dotted.rpartition(".")
    try:  # a re-export, e.g. a package exposing its backend class under a shorter path
        return getattr(import_module(module_name), class_name, None) is cls
    except Exception:
        return False


def _explain_missing_backend() -> StoreError:
    """keyring found no backend: on Linux, say whether D-Bus or the Secret Service is missing."""
    if sys.platform == "win32" or sys.platform == "darwin":
        return NoBackend()
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return _no_dbus_session(unset=True)
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - the probe; raises saying what is missing
    except Exception as exc:
        explained = _explain(exc, SecretService.Keyring, "reach the Secret Service")
        if isinstance(explained, NoDBusSession):
            return explained
    return NoBackend()


def _no_dbus_session(unset: bool, detail: str | None = None) -> NoDBusSession:
    if unset:
        return NoDBusSession(
            problem="There is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so "
            "the Secret Service that keeps keys cannot be reached.",
            detail=detail,
        )
    return NoDBusSession(
        problem="The D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS cannot be reached, so "
        "the Secret Service that keeps keys cannot be reached either.",
        fix="The session it belonged to has probably ended. " + _START_DBUS_FIX,
        detail=detail,
    )


# -- explaining failures -------------------------------------------------------------------------


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _redacted_detail(exc: BaseException) -> str:
    message = _TOKEN_RUN.sub("[redacted]", str(exc))
    if len(message) > _MAX_DETAIL_CHARS:
        message = message[:_MAX_DETAIL_CHARS] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _explain(
    exc: BaseException, backend: KeyringBackend | type[KeyringBackend] | None, what: str
) -> StoreError:
    """The ``StoreError`` that explains ``exc`` (raised by ``backend`` while trying ``what``).
    The result carries no cause, context or traceback of ``exc``: those may hold the key."""
    if isinstance(exc, StoreError):  # raised on purpose in the worker: strip what it carries
        exc.__cause__ = exc.__context__ = None
        exc.__suppress_context__ = False
        return exc.with_traceback(None)
    chain = _causes(exc)
    detail = "; ".join(_redacted_detail(link) for link in chain)

    def has(*types: type[BaseException]) -> bool:
        return bool(types) and any(isinstance(link, types) for link in chain)

    if has(*_SS_DISMISSED):
        return PromptDismissed(detail=detail)
    if has(keyring_errors.KeyringLocked, *_SS_LOCKED):
        return KeyringLocked(detail=detail)
    if has(*_SS_UNAVAILABLE) or _is_dbus_backend(backend):
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or (
            has(*_SS_UNAVAILABLE) and has(KeyError)
        ):
            return _no_dbus_session(unset=True, detail=detail)
        if (has(*_SS_UNAVAILABLE) and has(OSError, ValueError)) or has(
            ConnectionError, FileNotFoundError, PermissionError
        ):
            return _no_dbus_session(unset=False, detail=detail)
        if has(*_SS_UNAVAILABLE):
            return NoBackend(
                problem="No Secret Service is running on the D-Bus session bus, so there is no "
                "keyring to keep the key in.",
                detail=detail,
            )
    if has(keyring_errors.NoKeyringError):
        return NoBackend(detail=detail)
    if has(keyring_errors.InitError):
        return PromptDismissed(detail=detail)
    name = _backend_name(backend) if backend is not None else None
    where = f"The keyring ({name})" if name else "The keyring"
    return StoreError(
        problem=f"{where} failed to {what}: {_redacted_detail(exc)}.",
        fix="Check that your keyring works (e.g. `keyring --list-backends`), then try again.",
        detail=detail,
    )


def _is_dbus_backend(backend: KeyringBackend | type[KeyringBackend] | None) -> bool:
    if backend is None:
        return False
    cls = backend if isinstance(backend, type) else type(backend)
    return cls.__module__ in _DBUS_BACKEND_MODULES
